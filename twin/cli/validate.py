"""``twin validate`` and ``twin uncertainty``: how well the twin predicts published deployments, and
how sure it is of a run's headline figures.

Both run on Dask (a LocalCluster of ``--workers`` processes). Bad input gets one line and exit code 2,
as everywhere in ``twin``. Mounted on the ``twin`` command by twin/cli/app.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stderr, stdout

#: The fields of each validation row, in this order, in ``--json``.
ROW_FIELDS = ("source", "quantity", "published", "predicted", "low", "high", "fitted", "within")


def _fmt(value: float) -> str:
    if value == 0 or 0.001 <= abs(value) < 1e6:
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:.3g}"


@refuse_bad_input
def validate(
    catalogue: Annotated[
        Path | None,
        typer.Option(help="Folder of validation scenarios (default: scenarios/validation)."),
    ] = None,
    samples: Annotated[
        int, typer.Option(help="Parameter samples (Latin hypercube) per published figure set.")
    ] = 8,
    probes: Annotated[
        int, typer.Option(help="Strangers searched through the real matcher per sample.")
    ] = 40_000,
    workers: Annotated[
        int | None, typer.Option(help="Dask worker processes (default: one per usable core).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every sample and measurement.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Also write the result here as JSON (atomically).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Predict every published deployment in the catalogue and set it beside what was published."""
    from twin.results.writer import write_json_atomic
    from twin.sweeps.catalogue import load_catalogue
    from twin.sweeps.engine import check_engine
    from twin.sweeps.validation import check_sizes, run_validation

    check_engine(workers=workers, scheduler=None)
    check_sizes(samples=samples, probes=probes)
    loaded = load_catalogue(catalogue)
    if not as_json:
        stderr.print(f"validating {len(loaded)} published figure sets, {samples} samples each ...")
    result = run_validation(loaded, samples=samples, probes=probes, workers=workers, seed=seed)
    if out is not None:
        write_json_atomic(out, result)
    if as_json:
        rows = [{key: row[key] for key in ROW_FIELDS} for row in result["rows"]]
        typer.echo(json.dumps({"rows": rows, "summary": result["summary"]}, indent=2))
        return
    _render_validation(result)


def _render_validation(result: dict[str, Any]) -> None:
    table = Table(title="Published deployments: published vs predicted (95% interval)")
    for heading in (
        "figure set",
        "quantity",
        "published",
        "predicted",
        "95% interval",
        "row",
        "within",
    ):
        table.add_column(heading)
    for row in result["rows"]:
        table.add_row(
            row["name"],
            row["quantity"],
            _fmt(row["published"]),
            _fmt(row["predicted"]),
            f"{_fmt(row['low'])} - {_fmt(row['high'])}",
            "fitted" if row["fitted"] else "validation",
            "yes" if row["within"] else "no",
        )
    stdout.print(table)
    summary = result["summary"]
    ratio = summary["median_ratio_predicted_to_published"]
    stdout.print(
        f"validation rows within: {summary['validation_within']} of {summary['validation_rows']}; "
        f"calibration rows within: {summary['calibration_within']} of {summary['calibration_rows']}; "
        f"median predicted/published: {'n/a' if ratio is None else f'{ratio:.3g}'} "
        f"(over {summary['ratio_rows']} rows with a published figure above zero); "
        f"{summary['wall_seconds']:.0f} s"
    )
