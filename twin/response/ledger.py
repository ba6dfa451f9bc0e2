"""The oversight ledger: a tamper-evident, append-only record of what the deployment did.

The King's Cross scheme of 2016-18 kept no record of whether anyone was ever matched. The ledger is
that record: one JSON object per line (JSON Lines), in the order things happened, each entry carrying
the SHA-256 of the entry before it. Change, drop or reorder an entry and the chain breaks at that
entry; :func:`verify` names the first entry where it breaks. A chain alone cannot show that entries
were cut off its end, so a run's manifest also records the number of entries and the last entry's
hash (the *head*); to be safe against someone who rewrites the manifest too, publish the head
elsewhere (a regulator's inbox, a newspaper) when the deployment ends.

Entry: ``{"seq", "time_s", "kind", "data", "prev_sha256", "sha256"}``; ``sha256`` is the SHA-256 of
the entry's canonical JSON (sorted keys, no spaces, ASCII) without the ``sha256`` key; the first
entry's ``prev_sha256`` is 64 zeros. Nothing in the ledger is a face: no embedding or image is ever
written, only scores, times, cameras and decisions.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

LEDGER_FILE: Final = "ledger.jsonl"
GENESIS_SHA256: Final = "0" * 64
ENTRY_KEYS: Final = ("seq", "time_s", "kind", "data", "prev_sha256", "sha256")


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def entry_sha256(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON, leaving out its own ``sha256`` key."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "sha256"})).hexdigest()


@dataclass
class Ledger:
    """An append-only chain of entries, kept in memory until written."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def head_sha256(self) -> str:
        """The last entry's hash (64 zeros while empty)."""
        return self.entries[-1]["sha256"] if self.entries else GENESIS_SHA256

    def append(self, *, time_s: float, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Add an entry at simulated time ``time_s`` (s after midnight) and return it."""
        entry: dict[str, Any] = {
            "seq": len(self.entries),
            "time_s": round(float(time_s), 3),
            "kind": kind,
            "data": dict(data),
            "prev_sha256": self.head_sha256,
        }
        entry["sha256"] = entry_sha256(entry)
        self.entries.append(entry)
        return entry

    def extend(self, events: Iterable[tuple[float, str, Mapping[str, Any]]]) -> None:
        """Append ``(time_s, kind, data)`` events in time order (ties keep their given order)."""
        for time_s, kind, data in sorted(events, key=lambda event: event[0]):
            self.append(time_s=time_s, kind=kind, data=data)

    def to_bytes(self) -> bytes:
        """The ledger as JSON Lines (UTF-8)."""
        return b"".join(_canonical(entry) + b"\n" for entry in self.entries)


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a ledger: intact, or the first bad entry and what is wrong with it."""

    intact: bool
    entries: int
    head_sha256: str
    #: The first bad entry's number (its ``seq``, which is its line number minus one), or None.
    first_bad: int | None = None
    reason: str = ""

    def line(self) -> str:
        """One line for a person."""
        if self.intact:
            return f"intact: {self.entries:,} entries, head {self.head_sha256}"
        return f"broken at entry {self.first_bad} (line {(self.first_bad or 0) + 1}): {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head_sha256": self.head_sha256,
            "first_bad_entry": self.first_bad,
            "reason": self.reason or None,
        }


def _broken(index: int, previous: str, reason: str) -> Verification:
    return Verification(False, index, previous, first_bad=index, reason=reason)


def verify_bytes(
    data: bytes, *, expected_entries: int | None = None, expected_head: str | None = None
) -> Verification:
    """Check a ledger's chain entry by entry and name the first bad one.

    ``expected_entries`` and ``expected_head`` (from the manifest) also catch entries cut off the end.
    """
    previous = GENESIS_SHA256
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for index, raw in enumerate(lines):
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            return _broken(index, previous, f"not a JSON object ({exc})")
        if not isinstance(entry, dict) or set(entry) != set(ENTRY_KEYS):
            return _broken(
                index, previous, f"not a ledger entry (keys must be {', '.join(ENTRY_KEYS)})"
            )
        if entry["seq"] != index:
            return _broken(
                index,
                previous,
                f"seq is {entry['seq']!r}, expected {index}: an entry was removed, added or moved",
            )
        if entry["prev_sha256"] != previous:
            return _broken(
                index,
                previous,
                "prev_sha256 does not match the previous entry's hash: this entry or the one "
                "before it was altered, or an entry was removed",
            )
        try:
            recomputed = entry_sha256(entry)
        except ValueError as exc:  # NaN or infinity smuggled into the data
            return _broken(index, previous, f"not canonical JSON ({exc})")
        if entry["sha256"] != recomputed:
            return _broken(index, previous, "its content does not match its sha256: it was edited")
        if not isinstance(entry["time_s"], int | float) or not math.isfinite(entry["time_s"]):
            return _broken(index, previous, "time_s is not a number")
        previous = entry["sha256"]
    count = len(lines)
    if expected_entries is not None and count != expected_entries:
        return _broken(
            count if count < expected_entries else expected_entries,
            previous,
            f"the ledger holds {count} entries but the manifest recorded {expected_entries}: "
            + (
                "entries were cut off its end" if count < expected_entries else "entries were added"
            ),
        )
    if expected_head is not None and previous != expected_head:
        return _broken(
            count - 1, previous, "the last entry's hash differs from the head the manifest recorded"
        )
    return Verification(True, count, previous)


def verify(
    path: str | Path, *, expected_entries: int | None = None, expected_head: str | None = None
) -> Verification:
    """Check the ledger file at ``path`` (see :func:`verify_bytes`)."""
    return verify_bytes(
        Path(path).read_bytes(), expected_entries=expected_entries, expected_head=expected_head
    )
