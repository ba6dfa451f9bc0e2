"""Hostile input to the readers of results: manifests and tables a careless operator or an attacker
might leave in a results folder, met by the strict reader, ``twin report``, ``twin audit verify`` and
``twin compare``.

Each case breaks a copy of one real plaza run; every entry point must refuse it with exit code 2 and
one line on standard error (no traceback), and must read nothing outside the run: decoys outside
(another run's ledger and tables, a file of secrets) are never opened (an audit hook records every
file Python opens) and never change the answer. The dashboard's share of the corpus is in
tests/hostile/test_dashboard.py.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from twin.cli.app import app
from twin.errors import ResultsError
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.results.schema import MANIFEST, PEDESTRIANS, SITE_MAP_FILE
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DEEP = 100_000  # levels of nesting, as in the report that found the tracebacks
SECRET = "decoy-secret-never-to-be-shown"


@pytest.fixture(scope="module")
def plaza(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real plaza run (half an hour of the morning) to break copies of."""
    scenario = load_scenario(
        ROOT / "scenarios" / "small_plaza.toml",
        overrides=["crowd.window_start='08:00'", "crowd.window_end='08:30'"],
    )
    out = tmp_path_factory.mktemp("hostile") / "plaza"
    run_scenario(scenario, out=out, seed=5)
    return out


@dataclass(frozen=True)
class Scene:
    """A broken run inside a results folder, a good run beside it, and decoys outside."""

    runs: Path
    run: Path
    good: Path
    outside: Path


@pytest.fixture
def scene(plaza: Path, tmp_path: Path) -> Scene:
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    shutil.copytree(plaza, runs / "bad")
    shutil.copytree(plaza, runs / "good")
    shutil.copytree(plaza, outside / "elsewhere")
    (outside / "secrets.txt").write_text(SECRET, encoding="utf-8")
    return Scene(runs=runs, run=runs / "bad", good=runs / "good", outside=outside)


# --- the ways a manifest or a run folder is broken --------------------------------------------------

Break = Callable[[Scene], None]


def _manifest(scene: Scene) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((scene.run / MANIFEST).read_text(encoding="utf-8"))
    return data


def _write(scene: Scene, data: Any) -> None:
    (scene.run / MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def _set(path: str, value: Any) -> Break:
    """Set a dotted field of the manifest to ``value`` (as JSON)."""

    def apply(scene: Scene) -> None:
        data = _manifest(scene)
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
        _write(scene, data)

    return apply


def _raw(text: str | bytes) -> Break:
    """Replace the manifest's bytes."""

    def apply(scene: Scene) -> None:
        data = text.encode() if isinstance(text, str) else text
        (scene.run / MANIFEST).write_bytes(data)

    return apply


def _literal_at(path: str, literal: str) -> Break:
    """A field holding raw JSON text ``literal`` (deep nesting, a huge number)."""

    def apply(scene: Scene) -> None:
        _set(path, "@LITERAL@")(scene)
        text = (scene.run / MANIFEST).read_text(encoding="utf-8")
        (scene.run / MANIFEST).write_text(text.replace('"@LITERAL@"', literal), encoding="utf-8")

    return apply


DEEP_LIST = "[" * DEEP + "]" * DEEP


def _unlink(name: str) -> Break:
    return lambda scene: (scene.run / name).unlink()


def _manifest_loop(scene: Scene) -> None:
    (scene.run / MANIFEST).unlink()
    (scene.run / MANIFEST).symlink_to(scene.run / MANIFEST)


def _manifest_folder(scene: Scene) -> None:
    (scene.run / MANIFEST).unlink()
    (scene.run / MANIFEST).mkdir()


def _run_is_a_file(scene: Scene) -> None:
    shutil.rmtree(scene.run)
    scene.run.write_text("x", encoding="utf-8")


def _set_to(path: str, value: Callable[[Scene], str]) -> Break:
    return lambda scene: _set(path, value(scene))(scene)


def _symlink(name: str, target: Callable[[Scene], Path]) -> Break:
    """Replace a file of the run by a symlink to a file outside it."""

    def apply(scene: Scene) -> None:
        link = scene.run / name
        link.unlink()
        link.symlink_to(target(scene))

    return apply


def _elsewhere(name: str) -> Callable[[Scene], Path]:
    return lambda scene: scene.outside / "elsewhere" / name


def _drop_column(scene: Scene) -> None:
    path = scene.run / f"{PEDESTRIANS}.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["captures"]), path)


def _table_of_words(scene: Scene) -> None:
    path = scene.run / f"{PEDESTRIANS}.parquet"
    table = pq.read_table(path)
    index = table.column_names.index("captures")
    words = pa.array(["many"] * table.num_rows)
    pq.write_table(table.set_column(index, "captures", words), path)


def _bytes(scene: Scene, data: bytes) -> None:
    (scene.run / f"{PEDESTRIANS}.parquet").write_bytes(data)


NULL_SECTIONS = (
    "scenario", "counts", "outcomes", "latency_ms", "throughput", "matcher", "site", "window",
    "environment", "stage_seconds", "tables", "seed", "started_utc", "wall_seconds",
)  # fmt: skip

#: Every broken run in the corpus: name -> how to break it.
CASES: dict[str, Break] = {
    **{f"null {section}": _set(section, None) for section in NULL_SECTIONS},
    "null counts.captures": _set("counts.captures", None),
    "null response.funnel": _set("response.funnel", None),
    "null response.ledger": _set("response.ledger", None),
    "null tables.decisions": _set("tables.decisions", None),
    "faces scanned: many": _set("counts.captures", "many"),
    "negative count": _set("counts.pedestrians", -3),
    "count as a float": _set("counts.alerts", 2.5),
    "count as a boolean": _set("counts.searches", True),
    "count as a numeric string": _set("counts.passes", "4217"),
    "seed as text": _set("seed", "7"),
    "window as a clock": _set("window.start_s", "07:00"),
    "fpir above one": _set("outcomes.fpir", 1.5),
    "latency in words": _set("latency_ms.p99", "fast"),
    "rows as text": _set("tables.decisions.rows", "x"),
    "service time map of words": _set("matcher.service_time_ms", {"1": "x"}),
    "by_group as a list": _set("outcomes.by_group", [1, 2]),
    "cameras as a float": _set("site.cameras", 3.5),
    "posts of strings": _set("response.posts", ["a"]),
    "funnel as a number": _set("response.funnel", 3),
    "a phantom top-level key": _set("throughput_per_s", 1),
    "a phantom count": _set("counts.faces", 1),
    "status running": _set("status", "running"),
    "status null": _set("status", None),
    "schema version 2": _set("schema_version", 2),
    "schema version as text": _set("schema_version", "1"),
    "schema version true": _set("schema_version", True),
    "5,000-digit seed": _raw(
        '{"status": "complete", "schema_version": 1, "seed": ' + "9" * 5000 + "}"
    ),
    "5,000-digit count": _literal_at("counts.captures", "9" * 5000),
    "infinity": _raw('{"status": "complete", "schema_version": 1, "wall_seconds": Infinity}'),
    "NaN latency": _set("latency_ms.p50", float("nan")),
    "manifest nested 100,000 deep": _raw("[" * DEEP + "]" * DEEP),
    "object nested 100,000 deep": _raw('{"a":' * DEEP + "1" + "}" * DEEP),
    "counts nested 100,000 deep": _literal_at("counts", DEEP_LIST),
    "resolved scenario nested 100,000 deep": _literal_at("scenario.resolved", DEEP_LIST),
    "not JSON": _raw("{not json"),
    "empty manifest": _raw(""),
    "binary manifest": _raw(bytes(range(256))),
    "a JSON array": _raw("[1, 2, 3]"),
    "a JSON string": _raw('"complete"'),
    "a JSON null": _raw("null"),
    "table path with ..": _set("tables.decisions.file", "../good/decisions.parquet"),
    "table path deep ..": _set("tables.decisions.file", "sub/../../../outside/elsewhere/x"),
    "table path absolute": _set_to(
        "tables.decisions.file", lambda s: str(s.outside / "elsewhere" / "decisions.parquet")
    ),
    "table path to secrets": _set_to(
        "tables.decisions.file", lambda s: str(s.outside / "secrets.txt")
    ),
    "table path windows drive": _set("tables.decisions.file", "C:\\Windows\\win.ini"),
    "table path empty": _set("tables.decisions.file", ""),
    # verify once said "intact" for another run's ledger named here
    "ledger path absolute to another run": _set_to(
        "response.ledger.file", lambda s: str(s.outside / "elsewhere" / "ledger.jsonl")
    ),
    "ledger path with ..": _set("response.ledger.file", "../good/ledger.jsonl"),
    "site map path absolute": _set_to("site.map", lambda s: str(s.outside / "secrets.txt")),
    "site map path with ..": _set("site.map", "../../outside/secrets.txt"),
    "table symlinked outside": _symlink("decisions.parquet", _elsewhere("decisions.parquet")),
    "ledger symlinked to another run": _symlink("ledger.jsonl", _elsewhere("ledger.jsonl")),
    "site map symlinked to secrets": _symlink(SITE_MAP_FILE, lambda s: s.outside / "secrets.txt"),
    "manifest symlinked outside": _symlink(MANIFEST, _elsewhere(MANIFEST)),
    "manifest symlink loop": _manifest_loop,
    "table missing": _unlink("decisions.parquet"),
    "ledger missing": _unlink("ledger.jsonl"),
    "site map missing": _unlink(SITE_MAP_FILE),
    "manifest missing": _unlink(MANIFEST),
    "manifest is a folder": _manifest_folder,
    "run is a file": _run_is_a_file,
}

#: Broken tables: the manifest is fine, so only the readers of that table refuse.
TABLE_CASES: dict[str, Break] = {
    "pedestrians table of garbage": lambda s: _bytes(s, b"PAR1 not parquet"),
    "pedestrians table lacks a column": _drop_column,
    "pedestrians table empty file": lambda s: _bytes(s, b""),
    "captures column of words": _table_of_words,
}


# --- watching what is read --------------------------------------------------------------------------

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and args and isinstance(args[0], str | bytes):
        _opened.append(args[0].decode() if isinstance(args[0], bytes) else args[0])


sys.addaudithook(_audit)


@contextmanager
def watching_opens() -> Iterator[list[str]]:
    """Every file Python opens meanwhile (an audit hook: open(), Path.read_bytes(), ...)."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def _assert_nothing_outside_read(scene: Scene, opened: list[str]) -> None:
    outside = str(scene.outside)
    assert not [path for path in opened if path.startswith(outside)], opened


# --- the entry points -------------------------------------------------------------------------------


def _cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


ENTRY_POINTS: dict[str, Callable[[Scene], list[str]]] = {
    "report": lambda s: ["report", str(s.run)],
    "report --json": lambda s: ["report", str(s.run), "--json"],
    "audit verify": lambda s: ["audit", "verify", str(s.run)],
    "audit verify --json": lambda s: ["audit", "verify", str(s.run), "--json"],
    "compare": lambda s: ["compare", str(s.good), str(s.run)],
}


def _assert_one_clean_line(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in out + err
    assert SECRET not in out + err


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_command_refuses_a_broken_run_cleanly(scene: Scene, case: str, entry: str) -> None:
    CASES[case](scene)
    with watching_opens() as opened:
        code, out, err = _cli(ENTRY_POINTS[entry](scene))
    _assert_one_clean_line(code, out, err)
    assert "intact" not in out + err  # never another run's ledger verified in this run's name
    _assert_nothing_outside_read(scene, opened)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reader_refuses_a_broken_run_with_one_line(scene: Scene, case: str) -> None:
    CASES[case](scene)
    with watching_opens() as opened, pytest.raises(ResultsError) as refused:
        read_results(scene.run, root=scene.runs)
    line = refused.value.line()
    assert "\n" not in line and str(scene.run) in line and len(line) < 400
    assert SECRET not in line
    _assert_nothing_outside_read(scene, opened)


@pytest.mark.parametrize("case", sorted(TABLE_CASES))
def test_a_broken_table_is_refused_by_its_readers(scene: Scene, case: str) -> None:
    TABLE_CASES[case](scene)
    with pytest.raises(ResultsError, match=r"pedestrians\.parquet"):
        read_results(scene.run).table(PEDESTRIANS)
    _assert_one_clean_line(*_cli(["report", str(scene.run)]))
    assert _cli(["audit", "verify", str(scene.run)])[0] == 0  # the ledger itself is fine


def test_a_null_response_section_is_a_run_without_a_response(scene: Scene) -> None:
    _set("response", None)(scene)
    assert read_results(scene.run).typed.response is None
    for args in (["report", str(scene.run)], ["audit", "verify", str(scene.run)]):
        _assert_one_clean_line(*_cli(args))


def test_a_run_folder_symlinked_out_of_the_results_folder_is_refused(scene: Scene) -> None:
    (scene.runs / "link").symlink_to(scene.outside / "elsewhere")
    with pytest.raises(ResultsError, match="outside the results folder"):
        read_results(scene.runs / "link", root=scene.runs)
    assert read_results(scene.runs / "good", root=scene.runs).typed.seed == 5


def test_a_ledger_line_nested_deep_is_a_broken_ledger(scene: Scene) -> None:
    ledger = scene.run / "ledger.jsonl"
    lines = ledger.read_bytes().split(b"\n")
    lines[3] = b"[" * DEEP + b"]" * DEEP
    ledger.write_bytes(b"\n".join(lines))
    code, out, err = _cli(["audit", "verify", str(scene.run)])
    assert code == 1 and "entry 3" in err and "Traceback" not in out + err


def test_the_unbroken_copies_are_read(scene: Scene) -> None:
    """The control: the same commands on the unbroken copy succeed."""
    assert _cli(["report", str(scene.good)])[0] == 0
    assert _cli(["audit", "verify", str(scene.good)])[0] == 0
    assert _cli(["compare", str(scene.good), str(scene.run)])[0] == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _leaves(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*prefix, k))] or [prefix]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*prefix, i))] or [prefix]
    return [prefix]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_value_in_any_field_is_read_or_refused_in_one_line(
    scene: Scene, data: st.DataObject
) -> None:
    original = json.loads((scene.good / MANIFEST).read_text(encoding="utf-8"))
    original["scenario"]["resolved"] = {}  # its leaves are the scenario's, not the manifest's
    leaves = [leaf for leaf in _leaves(original) if leaf]
    where = data.draw(st.sampled_from(leaves))
    value = data.draw(JSON)
    node = original
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    (scene.run / MANIFEST).write_text(json.dumps(original), encoding="utf-8")
    try:
        results = read_results(scene.run, root=scene.runs)
    except ResultsError as exc:
        assert "\n" not in exc.line()
        return
    assert results.typed.counts.captures >= 0  # what was read is typed as the schema says
