"""``twin validate`` and ``twin uncertainty``: how well the twin predicts published deployments, and
how sure it is of a run's headline figures.

Both run on Dask (a LocalCluster of ``--workers`` processes). Bad input gets one line and exit code 2,
as everywhere in ``twin``. Mounted on the ``twin`` command by twin/cli/app.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.cli.support import interactive, refuse_bad_input, stderr, stdout
from twin.errors import TwinInputError

#: Defaults of `twin validate`: parameter samples per figure set, strangers searched per sample
#: (twin.sweeps.validation.DEFAULT_SAMPLES and DEFAULT_PROBES, repeated so the CLI loads fast).
DEFAULT_SAMPLES = 6
DEFAULT_PROBES = 30_000
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
    ] = DEFAULT_SAMPLES,
    probes: Annotated[
        int, typer.Option(help="Strangers searched through the real matcher per sample.")
    ] = DEFAULT_PROBES,
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


@refuse_bad_input
def uncertainty(
    scenario: Annotated[
        Path, typer.Argument(help="The scenario TOML whose assumptions to sample.")
    ],
    samples: Annotated[
        int, typer.Option(help="Latin hypercube samples of every assumption (each one twin run).")
    ] = 64,
    window: Annotated[
        str | None, typer.Option(help="Simulate only this window of the day, HH:MM-HH:MM.")
    ] = "07:00-10:00",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the runs and the report (default: sweeps/uncertainty-NAME)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Dask worker processes (default: one per usable core).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the Latin hypercube.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Sample every assumption's range, run each sample on Dask, and report 90% intervals and which
    assumptions move each headline figure most. Re-running the same command resumes."""
    from twin.cli.sweeps import FailureLines, RichSweepProgress
    from twin.figures.uncertainty import tornado
    from twin.sweeps.engine import check_engine, run_sweep
    from twin.sweeps.tables import manifest_figures
    from twin.sweeps.uncertainty import (
        OUTPUTS,
        plan_uncertainty,
        summarise_uncertainty,
        write_report,
    )

    check_engine(workers=workers, scheduler=None)
    if samples < 1:
        _refuse_samples(samples)
    folder = out or Path("sweeps") / f"uncertainty-{scenario.stem}"
    plan = plan_uncertainty(scenario, samples=samples, out=folder, window=window, seed=seed)
    if not as_json:
        stderr.print(f"{samples} samples of {len(plan.axes)} assumptions -> {plan.out}")
    try:
        if interactive() and not as_json:
            with Progress(
                TextColumn("[bold]samples"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            ) as bar:
                outcome = run_sweep(plan, workers=workers, progress=RichSweepProgress(bar))
        else:
            outcome = run_sweep(plan, workers=workers, progress=FailureLines())
    except KeyboardInterrupt:
        stderr.print(
            f"interrupted: finished samples are kept in {plan.out}; run the same command to resume"
        )
        raise typer.Exit(code=130) from None
    by_run = {(r.run.point, r.run.replication): r for r in outcome.records}
    figures = []
    for run in plan.runs:
        record = by_run.get((run.point, run.replication))
        figures.append(manifest_figures(record.manifest) if record and record.manifest else None)
    report = summarise_uncertainty(plan, figures)
    report["wall_seconds"] = outcome.wall_seconds
    report["runs_reused"] = outcome.reused
    report["runs_failed"] = len(outcome.failed)
    write_report(plan.out, report)
    for name, _, _ in OUTPUTS:
        if "sensitivity" in report["outputs"][name]:
            target = plan.out / f"tornado-{name}.html"
            temp = target.with_suffix(".tmp")
            tornado(report, name).write_html(temp, include_plotlyjs="cdn")
            temp.replace(target)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _render_uncertainty(report)


def _refuse_samples(samples: int) -> NoReturn:
    raise TwinInputError(f"--samples: must be at least 1, got {samples}")


def _render_uncertainty(report: dict[str, Any]) -> None:
    table = Table(title=f"{report['scenario_name']}: {report['interval']} interval")
    for heading in ("output", "median", "90% interval", "moved most by"):
        table.add_column(heading)
    for entry in report["outputs"].values():
        if "sensitivity" not in entry:
            table.add_row(entry["meaning"], "absent", entry["absent"], "")
            continue
        top = ", ".join(
            f"{s['assumption']} ({s['spearman']:+.2f})" for s in entry["sensitivity"][:3]
        )
        table.add_row(
            entry["meaning"],
            _fmt(entry["median"]),
            f"{_fmt(entry['low_90'])} - {_fmt(entry['high_90'])}",
            top,
        )
    stdout.print(table)
    stdout.print(
        f"{report['samples_complete']} of {report['samples']} samples complete "
        f"({report['runs_reused']} reused); {report['wall_seconds']:.0f} s"
    )
