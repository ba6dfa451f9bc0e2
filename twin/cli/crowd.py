"""``twin crowd``: validate the crowd model as the field validates crowd simulators.

Mounted by the ``twin`` command as ``twin crowd``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stdout

crowd_app = typer.Typer(
    help="The crowd model: validation against RiMEA test cases and Weidmann's diagram.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@crowd_app.command("validate")
@refuse_bad_input
def validate(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Run the crowd validation checks (RiMEA 1, the fundamental diagram, a bottleneck) and print
    each with its figure and tolerance. Exit code 1 if any fails.

    Example:

      twin crowd validate --json
    """
    from twin.crowd.validation import run_checks

    checks = run_checks()
    if as_json:
        typer.echo(json.dumps({"checks": [c.as_dict() for c in checks]}, indent=2))
    else:
        table = Table(title="Crowd validation")
        for column in ("check", "figure", "expected", "result", "setting"):
            table.add_column(column)
        for check in checks:
            table.add_row(
                check.name,
                f"{check.figure:.3f}",
                check.expected,
                "pass" if check.passed else "FAIL",
                check.detail,
            )
        stdout.print(table)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)
