"""The oversight ledger: a hash chain that names the first entry someone tampered with."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.response.ledger import GENESIS_SHA256, Ledger, entry_sha256, verify_bytes


def small_ledger() -> Ledger:
    ledger = Ledger()
    ledger.extend(
        [
            (0.0, "deployment", {"site": "plaza"}),
            (0.0, "watchlist_entry", {"watchlist_id": 0, "supplied_by": "police"}),
            (100.0, "alert", {"search_id": 4, "score": 0.31}),
            (130.0, "review", {"incident": 0, "judged": "credible"}),
            (170.0, "intervention", {"incident": 0, "person_stopped": "not the person"}),
        ]
    )
    return ledger


def lines_of(ledger: Ledger) -> list[dict[str, object]]:
    return [json.loads(line) for line in ledger.to_bytes().splitlines()]


def join(entries: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in entries)


def test_each_entry_carries_the_hash_of_the_one_before() -> None:
    ledger = small_ledger()
    entries = lines_of(ledger)
    assert entries[0]["prev_sha256"] == GENESIS_SHA256
    for before, after in itertools.pairwise(entries):
        assert after["prev_sha256"] == before["sha256"] == entry_sha256(before)
    check = verify_bytes(ledger.to_bytes(), expected_entries=5, expected_head=ledger.head_sha256)
    assert check.intact and check.entries == 5 and check.head_sha256 == ledger.head_sha256


def test_events_are_recorded_in_time_order() -> None:
    ledger = Ledger()
    ledger.extend([(5.0, "b", {}), (1.0, "a", {}), (5.0, "c", {})])
    assert [e["kind"] for e in ledger.entries] == ["a", "b", "c"]


def test_an_edited_entry_is_named() -> None:
    entries = lines_of(small_ledger())
    entries[2]["data"] = {"search_id": 4, "score": 0.99}
    check = verify_bytes(join(entries))
    assert not check.intact
    assert check.first_bad == 2
    assert "edited" in check.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = lines_of(small_ledger())
    entries[2]["data"] = {"search_id": 4, "score": 0.99}
    entries[2]["sha256"] = entry_sha256(entries[2])
    check = verify_bytes(join(entries))
    assert (check.intact, check.first_bad) == (False, 3)
    assert "prev_sha256" in check.reason


def test_a_removed_entry_is_named() -> None:
    entries = lines_of(small_ledger())
    del entries[1]
    check = verify_bytes(join(entries))
    assert (check.intact, check.first_bad) == (False, 1)


def test_a_cut_off_end_is_caught_against_the_manifest() -> None:
    ledger = small_ledger()
    entries = lines_of(ledger)
    cut = join(entries[:3])
    assert verify_bytes(cut).intact  # the chain alone cannot tell
    check = verify_bytes(cut, expected_entries=5, expected_head=ledger.head_sha256)
    assert (check.intact, check.first_bad) == (False, 3)
    assert "cut off" in check.reason


def test_a_line_that_is_not_json_is_named() -> None:
    data = small_ledger().to_bytes().splitlines()
    data[3] = b"{not json"
    check = verify_bytes(b"\n".join(data) + b"\n")
    assert (check.intact, check.first_bad) == (False, 3)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_changed_byte_is_detected(data: st.DataObject) -> None:
    ledger = small_ledger()
    raw = bytearray(ledger.to_bytes())
    position = data.draw(st.integers(0, len(raw) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    raw[position] = replacement
    check = verify_bytes(bytes(raw), expected_entries=5, expected_head=ledger.head_sha256)
    assert not check.intact


def test_nan_cannot_enter_the_ledger() -> None:
    with pytest.raises(ValueError):
        Ledger().append(time_s=0.0, kind="alert", data={"score": float("nan")})
