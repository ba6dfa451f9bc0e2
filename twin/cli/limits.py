"""Bounded work: refuse, before starting, jobs this machine cannot finish, unless ``--force``.

Each limit below is what a small machine (2 cores, a few GB) finishes in hours rather than days; the
refusal names the option, the estimate and the limit, and ``--force`` runs the job anyway. The
per-unit costs are *assumptions* measured roughly on a 2-core machine and stated with a range.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Final

from twin.errors import SiteMapError, TwinInputError

MAX_SWEEP_RUNS: Final = 5_000  # grid points x replications
RUN_S: Final = 10.0  # *assumption*: one run of a small scenario, 5-30 s of one core
MAX_CANDIDATES: Final = 20_000  # candidate mounts of twin cameras plan (default 500)
DEFAULT_CANDIDATES: Final = 500
MAX_WALKWAYS: Final = 5_000  # walkways in one site map (King's Cross has 440)
KINGS_CROSS_WALKWAYS: Final = 440
MAX_PX_PER_M: Final = 10_000.0  # a 4K sensor filled by a face 0.15 m wide gives about 25,000 / 1
MAX_MAP_BYTES: Final = 256 * 1024 * 1024  # a site map file larger than this is refused outright


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h" if seconds >= 3600 else f"{seconds / 60:,.0f} min"


def check_sweep_size(points: int, replications: int, *, cores: int, force: bool) -> None:
    """Refuse a sweep of more than `MAX_SWEEP_RUNS` runs (points x replications)."""
    runs = points * replications
    if runs <= MAX_SWEEP_RUNS or force:
        return
    estimate = _hours(runs * RUN_S / max(cores, 1))
    raise TwinInputError(
        f"--replications/--vary: {points:,} point(s) x {replications:,} replication(s) = {runs:,} "
        f"runs, about {estimate} on {cores} core(s) at ~{RUN_S:g} s a run; the limit is "
        f"{MAX_SWEEP_RUNS:,} runs (give --force to insist)"
    )


def check_candidates(candidates: int, *, force: bool) -> None:
    """Refuse more than `MAX_CANDIDATES` candidate mounts (work and memory grow with them)."""
    if candidates < 1:
        raise TwinInputError(f"--candidates: {candidates}; allowed: 1 to {MAX_CANDIDATES:,}")
    if candidates <= MAX_CANDIDATES or force:
        return
    ratio = candidates / DEFAULT_CANDIDATES
    raise TwinInputError(
        f"--candidates: {candidates:,} is {ratio:,.0f}x the work and memory of the default "
        f"{DEFAULT_CANDIDATES}; the limit is {MAX_CANDIDATES:,} (give --force to insist)"
    )


def check_px_per_m(value: float | None) -> None:
    """A finite pixel density in (0, `MAX_PX_PER_M`]."""
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_PX_PER_M):
        raise TwinInputError(
            f"--min-px-per-m: {value}; allowed: a number of px/m above 0 and at most "
            f"{MAX_PX_PER_M:,.0f}"
        )


def check_map_size(path: Path, *, force: bool) -> None:
    """Refuse a site map whose walkways would take hours to node and route (quadratic in count).

    Reads only the feature kinds; everything else is left to the map's own loader.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return  # the loader names the missing file
    if size > MAX_MAP_BYTES and not force:
        raise SiteMapError(
            f"{size:,} bytes; the limit is {MAX_MAP_BYTES:,} (give --force to insist)", source=path
        )
    try:
        document = json.loads(path.read_bytes())
    except RecursionError as exc:
        raise SiteMapError("JSON nested too deeply to be a site map", source=path) from exc
    except (ValueError, OSError):
        return  # the loader names what is wrong
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        return
    walkways = sum(
        1
        for feature in features
        if isinstance(feature, dict)
        and isinstance(feature.get("properties"), dict)
        and feature["properties"].get("kind") == "walkway"
    )
    if walkways <= MAX_WALKWAYS or force:
        return
    ratio = (walkways / KINGS_CROSS_WALKWAYS) ** 2
    raise SiteMapError(
        f"{walkways:,} walkways: noding and routing them is about {ratio:,.0f}x the work of King's "
        f"Cross ({KINGS_CROSS_WALKWAYS}); the limit is {MAX_WALKWAYS:,} (give --force to insist)",
        source=path,
    )
