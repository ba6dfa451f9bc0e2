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
from twin.oversight.report import PERIOD_PERSON_ROWS, number, percent, render_html
from twin.response.ledger import verify
from twin.response.signing import (
    CHECKPOINTS_FILE,
    SignatureCheck,
    check_signatures,
    generate_keypair,
    load_public_key,
)
from twin.results.reader import inside, read_results

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
def verify_command(
    run: RunArgument,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The operator's Ed25519 public key (PEM): the ledger must be signed by it.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that a run's ledger is intact: exit 0 if so, 1 naming the first bad entry.

    Each entry carries the SHA-256 of the one before it; the manifest records how many entries there
    are and the last one's hash, so edits, removals, insertions and a cut-off end are all caught.
    With --public-key the signed checkpoints must verify with that key and still match every entry,
    which catches an editor who recomputed every hash and the manifest too. A ledger without
    signatures is reported as "intact but unsigned" (and fails when --public-key is given).

    Examples:

      twin audit verify runs/plaza

      twin audit verify runs/plaza --public-key keys/ledger-signing.pub
    """
    key = None if public_key is None else load_public_key(public_key)
    results = read_results(run)
    path = results.ledger()  # resolved inside the run, never another run's ledger
    if path is None or results.typed.response is None:
        raise ResultsError(
            "this run has no oversight ledger: re-run it with this version", source=run
        )
    info = results.typed.response.ledger
    check = verify(path, expected_entries=info.entries, expected_head=info.head_sha256)
    signed = _signature_check(path, results.path, key)
    good = check.intact and (signed.ok or (signed.status == "unsigned" and key is None))
    if as_json:
        document = {**check.as_dict(), **signed.as_dict(), "ledger": str(path)}
        typer.echo(json.dumps(document, indent=2))
    elif good:
        stdout.print(f"{path}: {_verdict(check.line(), signed)}", highlight=False, soft_wrap=True)
    else:
        line = check.line() if not check.intact else _verdict(check.line(), signed)
        stderr.print(f"[bold red]{path}:[/] {line}", highlight=False, soft_wrap=True)
    if not good:
        raise typer.Exit(code=1)


def _signature_check(ledger: Path, run: Path, key: Any) -> SignatureCheck:
    checkpoints = inside(run, CHECKPOINTS_FILE, source=run, what=CHECKPOINTS_FILE)
    try:
        data = checkpoints.read_bytes() if checkpoints.is_file() else None
        return check_signatures(ledger.read_bytes(), data, key)
    except OSError as exc:
        raise ResultsError(
            f"cannot read {checkpoints.name}: {exc.strerror}", source=ledger
        ) from exc


def _verdict(chain_line: str, signed: SignatureCheck) -> str:
    if signed.status == "unsigned":
        return chain_line.replace("intact:", "intact but unsigned:", 1) + (
            " (no signed checkpoints: only a careless edit would show)"
        )
    if signed.status == "bad":
        return f"signature check failed: {signed.reason}"
    whose = "the key given" if signed.key_checked else "the key in the file, not one you hold"
    return (
        f"{chain_line}; signed ({signed.checkpoints} checkpoint(s), {signed.fingerprint}, "
        f"checked against {whose})"
    )


@audit_app.command("keygen")
@refuse_bad_input
def keygen_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the key pair.")],
) -> None:
    """Make an Ed25519 key pair for signing ledgers (private key file mode 0600).

    Keep ledger-signing.key with the operator; give ledger-signing.pub to the overseer.

    Example:

      twin audit keygen --out keys
    """
    private_path, public_path = generate_keypair(out)
    stdout.print(f"private key: {private_path}\npublic key:  {public_path}", highlight=False)


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
    period = figures.get("period")
    if period:
        rows.append(
            (
                "Above: the period's first day; below: the whole period",
                f"{period['days_complete']} simulated days of {period['days']}",
            )
        )
        for key, label in PERIOD_PERSON_ROWS:
            figure = period["per_person"][key]
            interval = figure["ci95"]
            shown = (
                ""
                if interval is None
                else f" (95%: {number(interval[0])} to {number(interval[1])})"
            )
            value = percent(figure["value"]) if key.startswith("share") else number(figure["value"])
            rows.append((label, value + shown))
        for key, label in (
            ("false_alerts", "Wrong alerts a year"),
            ("wrong_person", "Wrong people stopped a year"),
        ):
            yearly = period["per_day"].get(key)
            if yearly and yearly["ci95_per_year"]:
                low, high = yearly["ci95_per_year"]
                rows.append(
                    (label, f"{number(yearly['per_year'])} (95%: {number(low)} to {number(high)})")
                )
    sure = figures.get("how_sure") or {}
    if "validation" in sure:
        summary = sure["validation"]["summary"]
        rows.append(
            (
                "Published deployments within the twin's 95% interval",
                f"{summary['validation_within']} of {summary['validation_rows']} "
                f"(median predicted/published {number(summary.get('median_ratio_predicted_to_published'))})",
            )
        )
    for name, entry in sure.get("uncertainty", {}).get("outputs", {}).items():
        if "median" in entry and name in ("false_alerts_per_day", "precision"):
            rows.append(
                (
                    f"{str(entry['meaning']).capitalize()} (90% over assumptions)",
                    f"{number(entry['median'])} ({number(entry['low_90'])} to {number(entry['high_90'])})",
                )
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
    """The oversight report of a run (or of a period of days, twin year), in plain words.

    Who was on the watchlist and on whose authority, faces scanned, alerts, what operators and
    officers did, errors by group, proportionality, staff time and cost, the ledger's check.

    Examples:

      twin report runs/plaza

      twin report runs/plaza --html report.html

      twin report runs/year-kings_cross_weekday-seed20190902 --json   # a period of days
    """
    from twin.sweeps.period_reader import is_period_dir, read_period

    if is_period_dir(run):
        period = read_period(run)
        figures = oversight_figures(read_results(period.first_day), period=period.summary)
    else:
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
