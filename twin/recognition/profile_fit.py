"""``twin calibrate-fit``: fit a profile's reference quality and vendor-threshold mapping to the
published set-up and counts, and write them to the fit file the profile reads.

- reference quality: `twin.recognition.reference_fit` in the set-up scenario (one fit per camera
  variant: the central one is the value, the spread over all of them the *assumption* range);
- vendor score per tenfold FMR change: `twin.recognition.threshold_fit` on the per-threshold counts.

The fit file (``scenarios/algorithms/fits/NAME.toml``) holds the fitted figures, their ranges (as the
profile's ``[assumptions]``, which ``twin uncertainty`` samples) and how they were obtained; the
profile names it with ``fit = "fits/NAME.toml"`` and `twin.recognition.profiles.load_profile` fills
the figures in. Nothing in it is typed by hand: rerun the command to refit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from pathlib import Path
from typing import Any, Final

import numpy as np

from twin.errors import TwinInputError
from twin.recognition.profiles import AlgorithmProfile
from twin.recognition.reference_fit import (
    SETUP_TAGS,
    fit_reference_quality,
    quality_quantiles,
    setup_qualities,
)
from twin.recognition.threshold_fit import fit_vendor_slope, load_observations
from twin.scenario import PROJECT_ROOT, Scenario

#: Where fit files live, beside the profiles.
FITS_DIR: Final = "fits"


def fit_profile(
    profile: AlgorithmProfile,
    setup: Scenario,
    thresholds: Path | None,
    *,
    seed: int,
) -> dict[str, Any]:
    """Fit the profile's reference quality in ``setup`` (and its vendor-threshold mapping to the
    counts in ``thresholds``, when given). Returns the fit (see module doc) as a dict."""
    began = time.perf_counter()
    walkers = setup_qualities(setup, seed=seed)
    dim, sd = setup.faces.embedding_dim, setup.faces.genuine_score_sd
    variants = {}
    for tag in SETUP_TAGS:
        qualities = walkers.by_tag[tag]
        captured = qualities > 0
        variants[tag] = {
            "reference_quality": fit_reference_quality(
                profile, qualities, dim=dim, genuine_score_sd=sd
            ),
            "share_captured": float(np.mean(captured)),
            "median_best_quality": float(np.median(qualities[captured])) if captured.any() else 0.0,
        }
    central = variants[SETUP_TAGS[0]]
    fitted = [variant["reference_quality"] for variant in variants.values()]
    result: dict[str, Any] = {
        "profile": profile.name,
        "reference_quality": round(central["reference_quality"], 4),
        "setup_qualities": list(quality_quantiles(walkers.by_tag[SETUP_TAGS[0]])),
        "assumptions": {
            "reference_quality": {
                "distribution": "uniform",
                "low": round(min(fitted), 4),
                "high": round(max(fitted), 4),
                "source": (
                    f"fitted so the twin reproduces TPIR {profile.tpir:g} in {setup.name}: the "
                    f"central camera geometry gives the value, the range spans the geometries "
                    f"{', '.join(SETUP_TAGS)} (camera distances are not published)"
                ),
            }
        },
        "reference_fit": {
            "setup": _shown(setup.source) if setup.source else setup.name,
            "walkers": walkers.walkers,
            "tpir": profile.tpir,
            "variants": variants,
        },
    }
    if thresholds is not None:
        observed = load_observations(thresholds)
        if observed.profile != profile.name:
            raise TwinInputError(
                f"{thresholds}: profile: {observed.profile!r} is not the profile being fitted "
                f"(allowed: {profile.name!r})"
            )
        slope = fit_vendor_slope(observed, profile.fmr)
        result["vendor_score_per_fmr_decade"] = round(slope["vendor_score_per_fmr_decade"], 5)
        unbounded = slope["unbounded_ends"]
        result["assumptions"]["vendor_score_per_fmr_decade"] = {
            "distribution": "loguniform",
            "low": round(slope["low"], 5),
            "high": round(slope["high"], 5),
            "source": (
                "95% likelihood-ratio interval of the fit to NPL's counts at other thresholds, "
                "over the ranges of the searches and gallery behind them: one and zero events give "
                "a wide interval"
                + (
                    f"; the counts set no bound at the {' or '.join(unbounded)} end"
                    if unbounded
                    else ""
                )
            ),
        }
        result["threshold_fit"] = {
            "observations": _shown(thresholds),
            **{key: value for key, value in slope.items() if key != "vendor_score_per_fmr_decade"},
        }
    result["seed"] = seed
    result["wall_seconds"] = time.perf_counter() - began
    return result


def _shown(path: Path) -> str:
    """A path as written in a fit file: relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)


def _literal(value: Any) -> str:
    """A value as a TOML literal (numbers, strings, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r}: not a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(str(k))} = {_literal(v)}" for k, v in value.items())
            + " }"
        )
    raise ValueError(f"{value!r}: not a TOML value")


def fit_file_text(fit: dict[str, Any], command: str) -> str:
    """The fit file: a header saying how it was made, the fitted figures, their ranges and details."""
    lines = [
        f"# Fitted by `{command}` on {dt.date.today().isoformat()}; do not edit by hand: rerun it.",
        "# twin/recognition/profile_fit.py explains the fit; docs/validation.md the figures.",
        f"profile = {_literal(fit['profile'])}",
        f"reference_quality = {_literal(fit['reference_quality'])}",
    ]
    if "vendor_score_per_fmr_decade" in fit:
        lines.append(
            f"vendor_score_per_fmr_decade = {_literal(fit['vendor_score_per_fmr_decade'])}"
        )
    lines.append(f"setup_qualities = {_literal(fit['setup_qualities'])}")
    lines.append(f"seed = {_literal(fit['seed'])}")
    lines.append("")
    lines.append("[assumptions]")
    for key, spread in fit["assumptions"].items():
        lines.append(f"{key} = {_literal(spread)}")
    for table in ("reference_fit", "threshold_fit"):
        if table in fit:
            lines.append("")
            lines.append(f"[{table}]")
            for key, value in fit[table].items():
                lines.append(f"{key} = {_literal(value)}")
    return "\n".join(lines) + "\n"


def write_fit_file(path: Path, text: str) -> None:
    """Write the fit file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)
