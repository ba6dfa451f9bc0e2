"""The schema module, docs/results.md and a real run's tables say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from twin.results import schema
from twin.results.publish import run_scenario
from twin.results.writer import results_writer
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "results.md"


def _doc_sections() -> dict[str, str]:
    """docs/results.md's table sections, by table name."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `(\w+)\.parquet`", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


@pytest.fixture(scope="module")
def plaza_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(
        ROOT / "scenarios" / "small_plaza.toml",
        overrides=["crowd.window_start='08:00'", "crowd.window_end='08:30'"],
    )
    out = tmp_path_factory.mktemp("schema") / "plaza"
    run_scenario(scenario, out=out, seed=3)
    return out


@pytest.mark.parametrize("name", sorted(set(schema.COLUMNS) - {schema.ALERTS}))
def test_docs_name_every_column_of_every_table(name: str) -> None:
    section = _doc_sections()[name]
    named = set(re.findall(r"`(\w+)`", section))
    missing = [c for c in schema.COLUMNS[name] if c not in named]
    assert not missing, f"docs/results.md's {name} section lacks {missing}"


def test_a_run_writes_exactly_the_schema(plaza_run: Path) -> None:
    written = {f.stem: pq.read_schema(f).names for f in plaza_run.glob("*.parquet")}
    assert set(schema.TABLES) | set(schema.RESPONSE_TABLES) == set(written)
    for name, columns in written.items():
        assert tuple(columns) == schema.COLUMNS[name], name


def test_the_writer_refuses_a_table_off_the_schema(tmp_path: Path) -> None:
    with results_writer(tmp_path / "run") as writer:
        with pytest.raises(ValueError, match="lacks column"):
            writer.write_table(schema.CAMERAS, pa.table({schema.CAMERA_ID_COL: [1]}))
        columns = {c: [0] for c in schema.ID_PROBABILITY_COLUMNS}
        with pytest.raises(ValueError, match="does not name: extra"):
            writer.write_table(schema.ID_PROBABILITY, pa.table({**columns, "extra": [0]}))
        writer.write_table(schema.ID_PROBABILITY, pa.table(columns))
