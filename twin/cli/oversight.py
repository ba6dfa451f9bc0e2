"""``twin audit verify RUN`` and ``twin report RUN``: check a run's oversight ledger, and read its
oversight report.

``twin audit verify`` exits 0 when the ledger's chain is intact and 1 naming the first broken entry;
a missing or incomplete results directory is bad input (exit code 2, one line). ``twin report``
prints the report's headline figures, ``--html FILE`` writes the full report as a web page and
``--json`` prints every figure as one JSON document. Mounted on the ``twin`` command by `twin.cli.app`;
``python -m twin.cli.oversight`` runs the same commands on their own.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from twin.cli.support import refuse_bad_input
from twin.errors import ResultsError
from twin.oversight.figures import oversight_figures
from twin.oversight.report import number, percent, render_html
from twin.response.ledger import LEDGER_FILE, verify
from twin.results.reader import read_results

audit_app = typer.Typer(
    help="Check the oversight record (the tamper-evident ledger) of a run.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@audit_app.callback()
def _audit() -> None:
    """Check the oversight record (the tamper-evident ledger) of a run."""


stdout = Console()
stderr = Console(stderr=True)

RunArgument = Annotated[Path, typer.Argument(help="A results directory written by `twin run`.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@audit_app.command("verify")
@refuse_bad_input
def verify_command(run: RunArgument, as_json: JsonOption = False) -> None:
    """Check that a run's ledger is intact: exit 0 if so, 1 naming the first bad entry.

    Each entry carries the SHA-256 of the one before it; the manifest records how many entries there
    are and the last one's hash, so edits, removals, insertions and a cut-off end are all caught.

    Example:

      twin audit verify runs/plaza
    """
    results = read_results(run)
    info = (results.manifest.get("response") or {}).get("ledger")
    if not info:
        raise ResultsError(
            "this run has no oversight ledger: re-run it with this version", source=run
        )
    path = results.path / info.get("file", LEDGER_FILE)
    if not path.is_file():
        raise ResultsError(f"the ledger {path.name} is missing", source=run)
    check = verify(
        path, expected_entries=info.get("entries"), expected_head=info.get("head_sha256")
    )
    if as_json:
        typer.echo(json.dumps({**check.as_dict(), "ledger": str(path)}, indent=2))
    elif check.intact:
        stdout.print(f"{path}: {check.line()}", highlight=False, soft_wrap=True)
    else:
        stderr.print(f"[bold red]{path}:[/] {check.line()}", highlight=False, soft_wrap=True)
    if not check.intact:
        raise typer.Exit(code=1)


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _summary(figures: dict[str, Any]) -> Table:
    funnel, staff, prop = figures["funnel"], figures["staff"], figures["proportionality"]
    watchlist, scanning = figures["watchlist"], figures["scanning"]
    check = figures["ledger"]["verification"]
    table = Table(
        title=f"Oversight report: {figures['scenario']['name']}",
        show_header=False,
        caption=(figures.get("people") or {}).get("in_words", ""),
    )
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    rows = [
        (
            "Watchlist (supplied by)",
            f"{number(watchlist.get('size'))} ({watchlist.get('supplied_by')})",
        ),
        ("Legal basis", str(watchlist.get("legal_basis"))),
        ("Faces scanned", number(scanning["faces_scanned"])),
        (
            "Alerts (right / wrong)",
            f"{number(funnel['alerts'])} ({number(funnel['true_alerts'])} / {number(funnel['false_alerts'])})",
        ),
        ("Incidents after merging", number(funnel["incidents"])),
        *(
            [
                (
                    "Innocent people flagged (most flags on one)",
                    f"{number(people['innocent_people_flagged'])} "
                    f"({number(people['per_person']['max_per_flagged'])})",
                )
            ]
            if (people := figures.get("people"))
            else []
        ),
        (
            "Expired unreviewed / dismissed",
            f"{number(funnel['expired'])} / {number(funnel['dismissed'])}",
        ),
        (
            "Officer sent / person stopped",
            f"{number(funnel['dispatched'])} / {number(funnel['intercepted'])}",
        ),
        (
            "Stopped: right / wrong person",
            f"{number(funnel['right_person'])} / {number(funnel['wrong_person'])}",
        ),
        ("Lost", number(funnel["lost"])),
        ("Faces scanned per right alert", number(prop["faces_per_true_alert"])),
        ("Bystander faces per person stopped", number(prop["bystander_faces_per_intervention"])),
        ("Operators' time reviewing", percent(staff["operator_utilisation"])),
        ("Staff cost (GBP)", number(staff["cost_gbp"])),
        (
            "Ledger",
            "intact" if check.get("intact") else f"BROKEN at entry {check.get('first_bad_entry')}",
        ),
    ]
    year = figures.get("year")
    if year:
        rows.append(
            ("Above: the first sampled day; below: a year", f"{year['days_sampled']} days sampled")
        )
        for key, label in (
            ("true_alerts", "Right alerts a year"),
            ("false_alerts", "Wrong alerts a year"),
            ("intercepted", "People stopped a year"),
            ("wrong_person", "Wrong people stopped a year"),
        ):
            figure = year["figures"][key]
            low, high = figure["ci95_per_year"]
            rows.append(
                (label, f"{number(figure['per_year'])} (95%: {number(low)} to {number(high)})")
            )
    for name, value in rows:
        table.add_row(name, value)
    return table


@refuse_bad_input
def report(
    run: RunArgument,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the full report as a web page to FILE.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The oversight report of a run, in plain words.

    Who was on the watchlist and on whose authority, faces scanned, alerts, what operators and
    officers did, errors by group, proportionality, staff time and cost, the ledger's check.

    Examples:

      twin report runs/plaza

      twin report runs/plaza --html report.html

      twin report runs/kx2016-year --json
    """
    figures = oversight_figures(read_results(run))
    if html is not None:
        _write_text_atomic(html, render_html(figures))
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    stdout.print(_summary(figures))
    if html is not None:
        stdout.print(f"Report written to {html}", highlight=False)


app = typer.Typer(
    help="Oversight of a run: the audit ledger and the report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(audit_app, name="audit")
app.command("report")(report)


if __name__ == "__main__":
    app()
