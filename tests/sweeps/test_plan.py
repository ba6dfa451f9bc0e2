"""The sweep plan: --vary parsing, validation before any work, seeds and stable point keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.results_fixtures import manifest_sections
from tests.sweep_fixtures import PLAZA, plaza_plan
from twin.errors import TwinInputError
from twin.scenario import parse_override
from twin.sweeps.plan import (
    MAX_POINTS,
    PointRun,
    check_scenario_key,
    finished_manifest,
    parse_vary,
    plan_sweep,
    replication_seeds,
    toml_literal,
)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("watchlist.size=7,100,1000", (7, 100, 1000)),
        ("matcher.threshold_cosine=0.24, 0.3", (0.24, 0.3)),
        ("matcher.backend=flat,hnsw", ("flat", "hnsw")),
        ("crowd.window_start=07:00,08:30", ("07:00", "08:30")),
        ('faces.algorithm="npl_2023","older_generation"', ("npl_2023", "older_generation")),
        ('cameras.recognition_tags=["a","b"],["c"]', (["a", "b"], ["c"])),
        ("watchlist.size=7", (7,)),
    ],
)
def test_vary_values_are_read_as_toml_or_bare_words(text: str, values: tuple[Any, ...]) -> None:
    axis = parse_vary(text)
    assert axis.key == text.partition("=")[0]
    assert axis.values == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("watchlist.size", "expected KEY=V1,V2"),
        ("watchlist.size=", "no values given"),
        ("watchlist.size=7,,9", "an empty value between commas"),
        ("watchlist.size=7,7", "the value 7 is given twice"),
        ("watchlist.sise=7", "unknown key 'sise' in section watchlist; allowed: size, prevalence"),
        ("colour=red", "unknown key 'colour' in the scenario; allowed: name, description"),
        ("watchlist=7", "a section, not a field; its fields: size"),
        ("seed=1,2", "use --seed and --replications"),
        ("9lives=1", "expected a dotted key"),
    ],
)
def test_bad_vary_is_refused_naming_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(TwinInputError, match=message):
        parse_vary(text)


def test_keys_inside_tables_are_left_to_the_scenario_validation() -> None:
    check_scenario_key("crowd.trips.inbound.share", flag="--vary")


scalars = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.text(max_size=20)
)


@given(
    st.one_of(
        scalars,
        st.lists(scalars, max_size=4),
        st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    )
)
def test_a_value_survives_the_trip_through_an_override(value: Any) -> None:
    assert parse_override(f"k={toml_literal(value)}")[1] == value


def test_replication_seeds_are_independent_stable_and_fit_63_bits() -> None:
    five = replication_seeds(7, 5)
    assert len(set(five)) == 5
    assert replication_seeds(7, 3) == five[:3]  # more replications keep the first ones
    assert set(replication_seeds(8, 5)).isdisjoint(five)
    assert all(0 <= seed < 2**63 for seed in five)


def test_the_grid_is_every_combination_each_replicated(tmp_path: Path) -> None:
    plan = plaza_plan(
        tmp_path / "s",
        vary=("watchlist.size=7,100", "matcher.threshold_cosine=0.2,0.25,0.3"),
        replications=2,
    )
    assert len(plan.points) == 6
    assert len(plan.runs) == 12
    assert [dict(p) for _, p in plan.points][:2] == [
        {"watchlist.size": 7, "matcher.threshold_cosine": 0.2},
        {"watchlist.size": 7, "matcher.threshold_cosine": 0.25},
    ]
    for run in plan.runs:
        assert run.scenario.watchlist.size == run.params["watchlist.size"]
        assert run.scenario.crowd.window_start == "07:00"
        assert run.out == tmp_path / "s" / "points" / run.point / f"rep-{run.replication}"
    # Replication r runs on the same seed at every point: the same crowd, a different what-if.
    seeds = {(run.replication, run.seed) for run in plan.runs}
    assert len(seeds) == 2
    assert plan.base_seed == 7  # the scenario's own


def test_point_keys_are_stable_and_follow_the_scenario_and_base_seed(tmp_path: Path) -> None:
    first = plaza_plan(tmp_path / "a")
    again = plaza_plan(tmp_path / "b")
    other_seed = plaza_plan(tmp_path / "c", seed=8)
    assert [k for k, _ in first.points] == [k for k, _ in again.points]
    assert {k for k, _ in first.points}.isdisjoint(k for k, _ in other_seed.points)
    # The same overrides on an edited scenario file are other points: stale runs are never reused.
    edited = tmp_path / "plaza.toml"
    text = PLAZA.read_text(encoding="utf-8").replace(
        "daily_pedestrians = 8000", "daily_pedestrians = 9000"
    )
    edited.write_text(text.replace("../site_maps/", f"{PLAZA.parent.parent / 'site_maps'}/"))
    changed = plan_sweep(edited, vary=("watchlist.size=7,100",), replications=1, out=tmp_path / "d")
    assert {k for k, _ in first.points}.isdisjoint(k for k, _ in changed.points)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replications": 0}, "--replications: must be at least 1, got 0"),
        ({"seed": -1}, "--seed: must be a non-negative integer"),
        ({"vary": ("watchlist.size=ten,100",)}, r"watchlist.size='ten'.*valid integer"),
        ({"vary": ("matcher.backend=flat,gpu",)}, r"'flat', 'ivf' or 'hnsw' \(got 'gpu'\)"),
        ({"vary": ("watchlist.size=7", "watchlist.size=9")}, "given more than once"),
        ({"vary": ("watchlist.size=1000,1000.0",)}, "are the same scenario"),
        ({"vary": ("crowd.window_end=07:30",)}, "--window and --vary crowd.window_end"),
        ({"overrides": ("watchlist.sise=3",)}, "--set watchlist.sise: unknown key"),
        ({"overrides": ("watchlist.size=0",)}, r"--set watchlist.size=0 --window .*greater than"),
    ],
)
def test_bad_sweeps_are_refused_before_any_work(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TwinInputError, match=message):
        plaza_plan(tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists()


def test_a_grid_too_large_to_mean_it_is_refused(tmp_path: Path) -> None:
    sizes = ",".join(str(n) for n in range(1, 102))
    rates = ",".join(str(n / 1000) for n in range(1, 101))
    with pytest.raises(TwinInputError, match=f"at most {MAX_POINTS:,}"):
        plaza_plan(tmp_path, vary=(f"watchlist.size={sizes}", f"watchlist.prevalence={rates}"))


def test_an_out_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")
    with pytest.raises(TwinInputError, match="not a directory"):
        plaza_plan(tmp_path / "taken")


def _write_manifest(run: PointRun, **changes: Any) -> None:
    run.out.mkdir(parents=True)
    manifest = {**manifest_sections(seed=run.seed), "status": "complete", "schema_version": 1}
    manifest["scenario"] = {**manifest["scenario"], "sha256": run.scenario_sha256}
    manifest["tables"] = {}
    for key, value in changes.items():
        manifest[key] = {**manifest[key], **value} if isinstance(value, dict) else value
    (run.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "finished"),
    [
        ({}, True),
        ({"status": "running"}, False),
        ({"seed": 1}, False),
        ({"scenario": {"sha256": "another"}}, False),
        ({"counts": {"captures": "many"}}, False),  # off the schema: run again
    ],
)
def test_a_run_is_finished_only_if_complete_with_its_own_scenario_and_seed(
    tmp_path: Path, changes: dict[str, Any], finished: bool
) -> None:
    run = plaza_plan(tmp_path, replications=1).runs[0]
    assert finished_manifest(run) is None
    _write_manifest(run, **changes)
    assert (finished_manifest(run) is not None) is finished
