"""``twin calibrate-fit``: refit a profile's reference quality and vendor-threshold mapping from the
published set-up and counts, and write the profile's fit file. Mounted on ``twin`` by twin/cli/app.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stderr, stdout
from twin.errors import TwinInputError

#: The calibration set-ups shipped for each profile: (set-up scenario, threshold counts).
SETUPS = {
    "npl_2023": (
        Path("scenarios/calibration/npl_2023_setup.toml"),
        Path("scenarios/calibration/npl_2023_thresholds.toml"),
    ),
}


@refuse_bad_input
def calibrate_fit(
    profile: Annotated[
        str, typer.Argument(help="Algorithm profile: a name in scenarios/algorithms/.")
    ],
    setup: Annotated[
        Path | None,
        typer.Option(help="Set-up scenario where the TPIR was measured (default: the profile's)."),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option(help="Published counts at other thresholds (default: the profile's)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the set-up's crowd and captures.", min=0)] = 11,
    write: Annotated[
        bool,
        typer.Option(
            "--write/--dry-run",
            help="Write the profile's fit file (default) or only print the fit.",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the fit as JSON.")] = False,
) -> None:
    """Fit the reference quality so the twin reproduces the profile's TPIR in its published set-up,
    and the vendor-threshold mapping to the published per-threshold counts.

    Example:

      twin calibrate-fit npl_2023
    """
    from twin.recognition.profile_fit import FITS_DIR, fit_file_text, fit_profile, write_fit_file
    from twin.recognition.profiles import find_profile, load_profile
    from twin.scenario import PROJECT_ROOT, load_scenario

    default_setup, default_thresholds = SETUPS.get(profile, (None, None))
    setup = setup or (None if default_setup is None else PROJECT_ROOT / default_setup)
    thresholds = thresholds or (
        None if default_thresholds is None else PROJECT_ROOT / default_thresholds
    )
    if setup is None:
        raise TwinInputError(
            f"--setup: profile {profile!r} has no shipped set-up (allowed: a set-up scenario TOML, "
            f"or one of {', '.join(SETUPS)})"
        )
    chosen = load_profile(profile, fitted=False)  # the fit does not rest on the last fit
    scenario = load_scenario(setup)
    if not as_json:
        stderr.print(f"fitting {chosen.name} in {scenario.name} ...")
    fit = fit_profile(chosen, scenario, thresholds, seed=seed)
    target = find_profile(profile).parent / FITS_DIR / f"{chosen.name}.toml"
    if write:
        write_fit_file(target, fit_file_text(fit, f"twin calibrate-fit {profile} --seed {seed}"))
    if as_json:
        typer.echo(json.dumps({**fit, "written": str(target) if write else None}, indent=2))
        return
    table = Table(title=f"{chosen.name}: fitted figures")
    for heading in ("figure", "fitted", "range (its assumption)", "how"):
        table.add_column(heading)
    spread = fit["assumptions"]["reference_quality"]
    table.add_row(
        "reference quality",
        f"{fit['reference_quality']:.3f}",
        f"{spread['low']:.3f} - {spread['high']:.3f}",
        f"TPIR {chosen.tpir:g} among {fit['reference_fit']['walkers']:,} walkers of the set-up",
    )
    if "vendor_score_per_fmr_decade" in fit:
        spread = fit["assumptions"]["vendor_score_per_fmr_decade"]
        table.add_row(
            "vendor score per tenfold FMR",
            f"{fit['vendor_score_per_fmr_decade']:.4f}",
            f"{spread['low']:.4f} - {spread['high']:.4f}",
            "Poisson fit to the per-threshold counts"
            + (" (no bound at the high end)" if fit["threshold_fit"]["unbounded_ends"] else ""),
        )
    stdout.print(table)
    for tag, variant in fit["reference_fit"]["variants"].items():
        stdout.print(
            f"  {tag}: captures {variant['share_captured']:.1%} of walkers, median best quality "
            f"{variant['median_best_quality']:.2f} -> reference quality {variant['reference_quality']:.3f}"
        )
    stdout.print(
        f"{'written to ' + str(target) if write else 'not written (--dry-run)'}; "
        f"{fit['wall_seconds']:.1f} s"
    )
