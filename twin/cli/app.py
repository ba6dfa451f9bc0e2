"""The ``twin`` command: run scenarios and inspect what they produce.

Every command that prints figures also takes ``--json`` and then prints one JSON document instead.
Bad input (a file, a field, a flag) gets one line on standard error naming what is wrong and what is
allowed, and exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.cli.support import interactive, refuse_bad_input, stderr, stdout
from twin.errors import TwinInputError
from twin.response.ledger import LEDGER_FILE
from twin.response.signing import CHECKPOINTS_FILE, load_private_key, sign_ledger
from twin.results.people_tables import flagged_in_words
from twin.results.writer import ResultsWriter

__all__ = ["app", "interactive", "main", "refuse_bad_input"]

app = typer.Typer(
    help=(
        "A digital twin of a site-wide camera estate running live facial recognition.\n\n"
        "Simulate a day of pedestrians across a site's cameras, run every captured face through a "
        "real FAISS matcher, and see how many faces are scanned, how many alerts are right and wrong, "
        "and whether the matcher keeps up. Everything is synthetic."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


@app.callback()
def _twin() -> None:
    """A digital twin of a site-wide camera estate running live facial recognition."""


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


class RichRunProgress:
    """Shows a run's stages on a terminal: the simulated clock across the day, then searches."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._unit = ""

    def stage(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._unit = unit
        self._task = self._progress.add_task(name, total=total, shown="")

    def advance_to(self, completed: float) -> None:
        if self._task is None:
            return
        shown = (
            f"simulated {_clock(completed)}"
            if self._unit == "clock"
            else f"{completed:,.0f} {self._unit}"
        )
        self._progress.update(self._task, completed=completed, shown=shown)


def _fmt_rate(value: float | None, *, as_one_in: bool = False) -> str:
    if value is None:
        return "n/a"
    if as_one_in and value > 0:
        return f"{value:.2e} (1 in {1 / value:,.0f})"
    return f"{value:.3f}" if value >= 0.001 or value == 0 else f"{value:.2e}"


def summary_table(manifest: dict[str, Any], out: Path) -> Table:
    """The end-of-run summary a planner reads."""
    counts = manifest["counts"]
    outcomes = manifest["outcomes"]
    latency = manifest["latency_ms"]
    throughput = manifest["throughput"]
    table = Table(
        title=f"{manifest['scenario']['name']} (seed {manifest['seed']})",
        show_header=False,
        caption=flagged_in_words(manifest),
    )
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    window = manifest["window"]
    rows = [
        ("Site", f"{manifest['site']['name']}, {manifest['site']['area_ha']:.1f} ha"),
        (
            "Cameras (running recognition)",
            f"{manifest['site']['cameras']} ({manifest['site']['recognition_cameras']})",
        ),
        ("Window simulated", f"{_clock(window['start_s'])}-{_clock(window['end_s'])}"),
        ("Pedestrians", f"{counts['pedestrians']:,}"),
        ("Faces captured", f"{counts['captures']:,}"),
        ("Matcher searches", f"{counts['searches']:,}"),
        (
            "Alerts (true / false)",
            f"{counts['alerts']:,} ({counts['true_alerts']:,} / {counts['false_alerts']:,})",
        ),
        (
            "Watchlisted passers-by (unseen)",
            f"{counts['watchlisted_pedestrians']:,} ({counts['watchlisted_unseen']:,})",
        ),
        ("People on site (scanned)", f"{counts['people']:,} ({counts['people_scanned']:,})"),
        (
            "Innocent people flagged (max on one)",
            f"{counts['innocent_people_flagged']:,} "
            f"({outcomes['per_person']['max_per_flagged']:,})",
        ),
        (
            "Chance an innocent visit is flagged",
            _fmt_rate(outcomes["per_person"]["chance_innocent_visit_alerted"], as_one_in=True),
        ),
        ("Watchlisted people recognised", f"{counts['watchlisted_people_alerted']:,}"),
        ("Precision", _fmt_rate(outcomes["precision"])),
        ("FPIR", _fmt_rate(outcomes["fpir"], as_one_in=True)),
        ("FNIR", _fmt_rate(outcomes["fnir"])),
        ("Matcher latency p50 / p99", f"{latency['p50'] or 0:.1f} / {latency['p99'] or 0:.1f} ms"),
        ("Peak captures per second", f"{throughput['peak_captures_per_s']:,}"),
        (
            "Wall time",
            f"{manifest['wall_seconds']:.1f} s ({throughput['simulated_over_wall'] or 0:,.0f}x real time)",
        ),
        ("Results", str(out)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def sign_run_ledger(key: Ed25519PrivateKey) -> Callable[[ResultsWriter], dict[str, Any]]:
    """Writes the signed checkpoints of the run's ledger beside it, before the run is published."""

    def sign(writer: ResultsWriter) -> dict[str, Any]:
        ledger = writer.partial / LEDGER_FILE
        if ledger.is_file():
            writer.write_file(CHECKPOINTS_FILE, sign_ledger(ledger.read_bytes(), key))
        return {}

    return sign


@app.command()
@refuse_bad_input
def run(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML file. Default: scenarios/kings_cross_weekday.toml."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results directory. Default: runs/SCENARIO-seedSEED."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed. Default: the scenario's own.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a scenario field, e.g. --set crowd.daily_pedestrians=150000 (repeatable).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the manifest as one JSON document.")
    ] = False,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            help="Ed25519 private key (twin audit keygen) to sign the run's ledger with.",
        ),
    ] = None,
) -> None:
    """Run a scenario: a day (or a window) of the site, every captured face matched for real.

    Writes a results directory (manifest.json and Parquet tables: docs/results.md) and prints a summary.

    Examples:

      twin run                                            # the default King's Cross weekday

      twin run scenarios/small_plaza.toml --out runs/plaza --seed 7

      twin run --set crowd.daily_pedestrians=150000 --set watchlist.size=7

      twin run scenarios/small_plaza.toml --signing-key keys/ledger-signing.key
    """
    from twin.results.publish import run_scenario
    from twin.scenario import find_scenario, load_scenario

    key = None if signing_key is None else load_private_key(signing_key)  # refused before the run
    scenario_path = find_scenario(scenario)
    loaded = load_scenario(scenario_path, overrides=tuple(overrides or ()))
    if seed is not None and seed < 0:
        raise TwinInputError("--seed: must be a non-negative integer")
    chosen_seed = loaded.seed if seed is None else seed
    target = out or Path("runs") / f"{scenario_path.stem}-seed{chosen_seed}"
    if interactive() and not as_json:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[shown]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=stderr, transient=True) as bar:
            manifest = run_scenario(
                loaded,
                out=target,
                seed=chosen_seed,
                progress=RichRunProgress(bar),
                extra=None if key is None else sign_run_ledger(key),
            )
    else:
        manifest = run_scenario(
            loaded,
            out=target,
            seed=chosen_seed,
            extra=None if key is None else sign_run_ledger(key),
        )
    if as_json:
        typer.echo(json.dumps({**manifest, "path": str(target)}, indent=2))
    else:
        stdout.print(summary_table(manifest, target))


def _render_calibration(report: dict[str, Any]) -> None:
    def rate(entry: dict[str, Any]) -> str:
        low, high = entry["ci95"]
        return f"{entry['rate']:.3g}  [{low:.3g}, {high:.3g}]"

    table = Table(title=f"Calibration of {report['profile']} through the real matcher")
    for column in ("figure", "measured [95% CI]", "published", "within CI"):
        table.add_column(column)
    for size, entry in report["fpir"].items():
        published = entry.get("published")
        table.add_row(
            f"FPIR, watchlist {int(size):,}",
            rate(entry),
            f"{published:.3g} (1 in {1 / published:,.0f})" if published else "-",
            "yes" if entry.get("published_within_ci95") else ("-" if published is None else "no"),
        )
    ratio = report["fpir_ratio_10000_to_1000"]
    table.add_row(
        "FPIR 10,000 / 1,000", f"{ratio:.2f}" if ratio else "n/a", "10 (FPIR ~ N x FMR)", "-"
    )
    tpir = report["tpir"]
    low, high = tpir["ci95"]
    table.add_row(
        f"TPIR at quality {report['reference_quality']:.2f}",
        rate(tpir),
        f"{tpir['profile']:.2f}",
        "yes" if low <= tpir["profile"] <= high else "no",
    )
    in_setup = report.get("tpir_in_setup")
    if in_setup:
        low, high = in_setup["ci95"]
        table.add_row(
            "TPIR in the set-up (fitted)",
            rate(in_setup),
            f"{in_setup['published']:.2f}",
            "yes" if low <= in_setup["published"] <= high else "no",
        )
    stdout.print(table)
    det = Table(title="DET: error rates across thresholds (watchlist 10,000)")
    for column in ("threshold (cosine)", "FPIR [95% CI]", "FNIR [95% CI]"):
        det.add_column(column, justify="right")
    for row in report["det"]:
        det.add_row(
            f"{row['threshold_cosine']:.3f}",
            f"{row['fpir_10000']:.3g} [{row['fpir_10000_ci95'][0]:.2g}, {row['fpir_10000_ci95'][1]:.2g}]",
            f"{row['fnir']:.3f} [{row['fnir_ci95'][0]:.3f}, {row['fnir_ci95'][1]:.3f}]",
        )
    stdout.print(det)
    if report["groups"]:
        groups = Table(title="Per group (watchlist 1,000)")
        for column in (
            "group",
            "FMR multiplier",
            "FPIR [95% CI]",
            "expected",
            "ratio to best served",
            "expected within CI",
        ):
            groups.add_column(column)
        for name, entry in report["groups"].items():
            ratio_g = entry["ratio_to_best_served"]
            groups.add_row(
                name,
                f"{entry['fmr_multiplier']:g}",
                rate(entry["fpir_1000"]),
                f"{entry['expected_fpir_1000']:.3g}",
                f"{ratio_g:.2f}" if ratio_g is not None else "n/a",
                "yes" if entry["multiplier_within_ci95"] else "no",
            )
        stdout.print(groups)
    spread = report["false_alert_concentration"]
    again = spread["again_over_fpir"]
    stdout.print(
        f"False alerts at 10,000 fell on {spread['people_flagged']:,} of "
        f"{report['non_mated_searches'] // spread['captures_per_person']:,} people "
        f"({spread['captures_per_person']} captures each, within-person correlation "
        f"{spread['within_person_correlation']:g}); {spread['flagged_twice_or_more']:,} were flagged "
        f"twice or more, at most {spread['max_per_flagged']} times"
        + (
            f"; another capture of a flagged person alerts {again:.1f}x as often as FPIR."
            if again
            else "."
        )
    )
    stdout.print(
        f"{report['non_mated_searches']:,} non-mated and {report['mated_searches']:,} mated searches in {report['wall_seconds']:.1f} s"
    )


@app.command()
@refuse_bad_input
def calibrate(
    profile: Annotated[
        str,
        typer.Argument(help="Algorithm profile: a name in scenarios/algorithms/ or a TOML path."),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option(help="Take groups, enrolment quality and embedding size from this scenario."),
    ] = None,
    non_mated: Annotated[
        int, typer.Option(help="Non-mated searches (strangers).", min=1000)
    ] = 600_000,
    mated: Annotated[
        int, typer.Option(help="Mated searches (watchlist members).", min=100)
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.", min=0)] = 1,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a scenario field (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON document.")
    ] = False,
) -> None:
    """Check an algorithm profile: synthetic faces through the real matcher against published figures.

    Measures FPIR at watchlists of 1,000 and 10,000, TPIR at the reference capture quality, a DET table
    with 95% confidence intervals, and per-group FPIR when the scenario defines groups.

    Examples:

      twin calibrate npl_2023

      twin calibrate npl_2023 --scenario scenarios/kings_cross_nist_differentials.toml --json
    """
    from twin.recognition.calibration import calibrate as run_calibration
    from twin.recognition.profiles import load_profile
    from twin.scenario import Scenario, load_scenario, scenario_from_dict

    loaded = (
        load_scenario(scenario, overrides=tuple(overrides or ()))
        if scenario is not None
        else scenario_from_dict(
            {"site": {"map": str(_default_map())}}, overrides=tuple(overrides or ()), label="--set"
        )
    )
    assert isinstance(loaded, Scenario)
    chosen = load_profile(profile, scenario_dir=loaded.source.parent if loaded.source else None)
    if interactive() and not as_json:
        with Progress(
            TextColumn("[bold]calibrating"),
            BarColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        ) as bar:
            task = bar.add_task("calibrating", total=float(non_mated + mated))
            report = run_calibration(
                chosen,
                loaded,
                non_mated=non_mated,
                mated=mated,
                seed=seed,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    else:
        report = run_calibration(chosen, loaded, non_mated=non_mated, mated=mated, seed=seed)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _render_calibration(report)


def _default_map() -> Path:
    from twin.scenario import PROJECT_ROOT

    return PROJECT_ROOT / "site_maps" / "small_plaza.geojson"


def _mount_sub_apps() -> None:
    from twin.cli.matcher import matcher_app
    from twin.cli.site import cameras_app, site_app

    app.add_typer(matcher_app, name="matcher")
    app.add_typer(site_app, name="site")
    app.add_typer(cameras_app, name="cameras")

    from twin.cli.crowd import crowd_app

    app.add_typer(crowd_app, name="crowd")

    from twin.cli.oversight import audit_app, report

    app.add_typer(audit_app, name="audit")
    app.command("report")(report)

    from twin.cli.sweeps import compare, sweep

    app.command("sweep")(sweep)
    app.command("compare")(compare)

    from twin.cli.loadtest import loadtest

    app.command("loadtest")(loadtest)

    from twin.cli.validate import uncertainty, validate

    app.command("validate")(validate)
    app.command("uncertainty")(uncertainty)

    from twin.cli.year import year

    app.command("year")(year)

    from twin.cli.calibrate_fit import calibrate_fit

    app.command("calibrate-fit")(calibrate_fit)


_mount_sub_apps()


def main() -> None:
    """Entry point for ``python -m twin``."""
    app()


if __name__ == "__main__":
    main()
