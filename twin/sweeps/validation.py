"""``twin validate``: the twin's predictions of published deployments, beside what they published.

For each catalogue file (twin/sweeps/catalogue.py) the set-up's uncertain figures are sampled
(Latin hypercube over their ranges and the algorithm profile's assumption ranges), and each sample
is one measurement on a Dask worker: the twin's face model (twin.recognition.faces, fitted to the
profile at the deployment's vendor threshold) enrols a synthetic watchlist in the real FAISS matcher,
and strangers' captures (and, for TPIR, watchlist members' captures at the reference quality) are
searched for real. Nothing is taken from the model's own arithmetic; every rate is counted. A TPIR
row's watchlist members are captured at the qualities walkers reached in the profile's calibration
set-up when its reference quality was fitted there (`twin calibrate-fit`).

**Scaling, stated.** A deployment's millions of faces against a watchlist of up to 500,000 cannot be
searched on a small machine, so each measurement searches ``probes`` strangers against at most
``MAX_SIMULATED_WATCHLIST`` identities and counts every comparison above the threshold (top
``TOP_K`` candidates). That gives the false-match rate of one comparison (FMR) with a Jeffreys
posterior; the deployment's false-positive identification rate follows from NIST's relation
``FPIR(N) = 1 - (1 - FMR)^N`` (facts.md) at the published (or sampled) watchlist size N, and its
expected false alerts are ``faces scanned x FPIR(N)``. Strangers are independent of one another, so
searching fewer of them and scaling changes only the noise, which the interval carries.

**Intervals.** The prediction's 95% interval pools, over parameter samples, draws from each
measurement's posterior: parameter uncertainty and simulation noise together. A published count's own
interval is the exact (Garwood) Poisson interval; a rate's is Wilson's when the trials are published,
else the figure itself. A row is ``within`` when the two intervals overlap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from scipy import stats

from twin.errors import TwinInputError
from twin.scenario import AssumptionRange
from twin.sweeps.catalogue import Published, ValidationScenario
from twin.sweeps.sampling import latin_hypercube

#: Largest watchlist searched for real per measurement; FPIR at larger sizes follows from the FMR.
MAX_SIMULATED_WATCHLIST: Final = 10_000
#: Candidates kept per probe when counting comparisons above the threshold.
TOP_K: Final = 32
#: Strangers searched per measurement, and watchlist members for a TPIR row.
DEFAULT_PROBES: Final = 30_000
MATED_PROBES: Final = 2_000
#: Parameter samples per catalogue file.
DEFAULT_SAMPLES: Final = 6
#: Posterior draws per measurement when the intervals are pooled.
POSTERIOR_DRAWS: Final = 400
CONFIDENCE: Final = 0.95
CHUNK: Final = 8192
#: Capture quality of strangers' faces when the set-up gives no range: it matters only when the
#: watchlist was enrolled from poor images. *Assumption*: the twin's cameras span about this range.
DEFAULT_CAPTURE_QUALITY: Final = AssumptionRange(
    distribution="uniform", low=0.3, high=0.9, source="*assumption*: typical capture qualities"
)
PROFILE_PREFIX: Final = "profile."


@dataclass(frozen=True)
class Measurement:
    """One parameter sample of one catalogue file: what a Dask worker measures."""

    file: str
    sample: int
    seed: int
    algorithm: str
    vendor_threshold: float
    simulated_watchlist: int
    probes: int
    mated_probes: int
    values: Mapping[str, float] = field(default_factory=dict)  # sampled set-up and profile figures


def measure(task: Measurement, threads: int = 1) -> dict[str, Any]:
    """Search synthetic strangers (and watchlist members) through the real matcher. Returns counts."""
    from twin.matcher import Matcher, configure_threads
    from twin.recognition.faces import (
        NOT_ON_WATCHLIST,
        capture_embeddings,
        fit_face_model,
        make_watchlist,
    )
    from twin.recognition.profiles import load_profile
    from twin.recognition.reference_fit import draw_from_quantiles
    from twin.scenario import FacesConfig, MatcherConfig, WatchlistConfig

    configure_threads(threads)
    profile = load_profile(task.algorithm)
    fitted_reference = profile.reference_quality
    updates = {
        key.removeprefix(PROFILE_PREFIX): value
        for key, value in task.values.items()
        if key.startswith(PROFILE_PREFIX)
    }
    profile = profile.model_validate({**profile.model_dump(), **updates})
    enrolment = float(task.values.get("enrolment_quality", 1.0))
    model = fit_face_model(
        profile,
        FacesConfig(),
        WatchlistConfig(size=task.simulated_watchlist, enrolment_quality=enrolment),
        MatcherConfig(threshold_vendor=task.vendor_threshold),
    )
    threshold = model.threshold_cosine
    rng = np.random.default_rng(task.seed)
    size = task.simulated_watchlist
    watchlist = make_watchlist(rng, model, np.zeros(size, dtype=np.int64))
    matcher = Matcher(model.dim)
    matcher.add(np.arange(size, dtype=np.int64), watchlist.enrolled, provenance="validation")
    quality = float(task.values.get("capture_quality", DEFAULT_CAPTURE_QUALITY.central()))
    above = 0
    saturated = 0
    for begin in range(0, task.probes, CHUNK):
        n = min(CHUNK, task.probes - begin)
        probes, _ = capture_embeddings(
            rng,
            model,
            watchlist,
            np.full(n, NOT_ON_WATCHLIST, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.full(n, quality),
        )
        scores = matcher.search(probes, k=min(TOP_K, size)).scores >= threshold
        above += int(scores.sum())
        saturated += int(scores[:, -1].sum())
    found = 0
    if task.mated_probes:
        subjects = rng.integers(0, size, task.mated_probes)
        # At the qualities walkers reached where the TPIR was measured, when the profile's reference
        # quality was fitted there (twin.recognition.reference_fit); else at the reference quality.
        # A sampled reference quality stands for a set-up geometry that would have fitted it: the
        # set-up's qualities scale with it (TPIR depends on quality / reference quality only).
        mated_quality = (
            draw_from_quantiles(rng, profile.setup_qualities, task.mated_probes)
            * (profile.reference_quality / fitted_reference)
            if profile.setup_qualities
            else np.full(task.mated_probes, model.reference_quality)
        )
        probes, _ = capture_embeddings(
            rng,
            model,
            watchlist,
            subjects,
            np.zeros(task.mated_probes, dtype=np.int64),
            mated_quality,
        )
        result = matcher.search(probes, k=1)
        hit = (result.ids[:, 0] == subjects) & (result.scores[:, 0] >= threshold)
        found = int(np.sum(hit & (mated_quality > 0)))
    return {
        "file": task.file,
        "sample": task.sample,
        "false_matches": above,
        "comparisons": task.probes * size,
        "saturated_probes": saturated,
        "mated": task.mated_probes,
        "mates_found": found,
        "threshold_cosine": threshold,
    }


def _ranges(scenario: ValidationScenario) -> dict[str, AssumptionRange]:
    """Every range a file's measurements sample: its set-up's and its profile's, prefixed."""
    from twin.recognition.profiles import load_profile

    ranges = dict(scenario.setup.ranges)
    if scenario.setup.enrolment_quality < 1.0 or "enrolment_quality" in ranges:
        ranges.setdefault("capture_quality", DEFAULT_CAPTURE_QUALITY)
    profile = load_profile(scenario.setup.algorithm)
    for key, value in profile.assumptions.items():
        ranges[f"{PROFILE_PREFIX}{key}"] = value
    return ranges


def check_sizes(*, samples: int, probes: int) -> None:
    """Refuse fewer than one sample or probe."""
    if samples < 1:
        raise TwinInputError(f"--samples: must be at least 1, got {samples}")
    if probes < 1:
        raise TwinInputError(f"--probes: must be at least 1, got {probes}")


def plan_measurements(
    catalogue: Sequence[ValidationScenario],
    *,
    samples: int = DEFAULT_SAMPLES,
    probes: int = DEFAULT_PROBES,
    seed: int = 0,
) -> list[Measurement]:
    """The measurements for the catalogue: ``samples`` parameter samples per file, each its own
    seed (children of one SeedSequence)."""
    check_sizes(samples=samples, probes=probes)
    children = np.random.SeedSequence(seed).spawn(len(catalogue) * samples)
    tasks = []
    for index, scenario in enumerate(catalogue):
        draws = latin_hypercube(_ranges(scenario), samples, seed=seed + index)
        published_sizes = [row.watchlist_size or 0 for row in scenario.published]
        needs_tpir = any(row.quantity == "tpir" for row in scenario.published)
        for s, values in enumerate(draws):
            full = {"enrolment_quality": scenario.setup.enrolment_quality, **values}
            largest = max([*published_sizes, scenario.setup.watchlist_size or 0])
            size = int(full.get("watchlist_size", largest))
            child = children[index * samples + s]
            tasks.append(
                Measurement(
                    file=str(scenario.path),
                    sample=s,
                    seed=int(child.generate_state(1, dtype=np.uint64)[0] >> 1),
                    algorithm=scenario.setup.algorithm,
                    vendor_threshold=scenario.setup.vendor_threshold,
                    simulated_watchlist=min(MAX_SIMULATED_WATCHLIST, max(size, 1)),
                    probes=probes,
                    mated_probes=MATED_PROBES if needs_tpir else 0,
                    values=full,
                )
            )
    return tasks


def published_interval(row: Published) -> tuple[float, float]:
    """The published figure's own 95% interval: as given, else exact Poisson for a count, Wilson
    for a rate with its trials, else the figure itself."""
    if row.low is not None and row.high is not None:
        return row.low, row.high
    if row.quantity == "false_alerts":
        k = row.value
        low = 0.0 if k == 0 else float(stats.chi2.ppf((1 - CONFIDENCE) / 2, 2 * k) / 2)
        high = float(stats.chi2.ppf(1 - (1 - CONFIDENCE) / 2, 2 * k + 2) / 2)
        return low, high
    if row.trials is not None:
        events = round(row.value * row.trials)
        ci = stats.binomtest(events, row.trials).proportion_ci(CONFIDENCE, method="wilson")
        return float(ci.low), float(ci.high)
    return row.value, row.value


def _draws(
    row: Published,
    scenario: ValidationScenario,
    result: Mapping[str, Any],
    values: Mapping[str, float],
    rng: np.random.Generator,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Posterior draws of the row's quantity from one measurement."""
    if row.quantity == "tpir":
        found, mated = result["mates_found"], result["mated"]
        return rng.beta(found + 0.5, mated - found + 0.5, POSTERIOR_DRAWS)
    k, trials = result["false_matches"], result["comparisons"]
    fmr = rng.beta(k + 0.5, trials - k + 0.5, POSTERIOR_DRAWS)
    size = row.watchlist_size or values.get("watchlist_size") or scenario.setup.watchlist_size or 0
    fpir = -np.expm1(float(size) * np.log1p(-fmr))  # 1 - (1 - FMR)^N
    if row.quantity == "fpir":
        return np.asarray(fpir, dtype=np.float64)
    scanned = values.get("faces_scanned") or scenario.setup.faces_scanned or 0
    return np.asarray(float(scanned) * fpir, dtype=np.float64)


def validation_rows(
    catalogue: Sequence[ValidationScenario],
    tasks: Sequence[Measurement],
    results: Sequence[Mapping[str, Any]],
    *,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per published figure: source, quantity, published, predicted, low, high, fitted,
    within (and, beside them, the file, the published interval and notes)."""
    by_task = {(r["file"], r["sample"]): r for r in results}
    rng = np.random.default_rng(seed)
    rows = []
    for scenario in catalogue:
        mine = [t for t in tasks if t.file == str(scenario.path)]
        for row in scenario.published:
            pooled = np.concatenate(
                [
                    _draws(row, scenario, by_task[t.file, t.sample], t.values, rng)
                    for t in mine
                    if (t.file, t.sample) in by_task
                ]
            )
            tail = (1 - CONFIDENCE) / 2 * 100
            low, predicted, high = (float(v) for v in np.percentile(pooled, [tail, 50, 100 - tail]))
            pub_low, pub_high = published_interval(row)
            label = (
                f"{row.quantity} at watchlist {row.watchlist_size:,}"
                if row.watchlist_size
                else row.quantity
            )
            rows.append(
                {
                    "source": f"{scenario.source.report}, {scenario.source.date}, {scenario.source.page}",
                    "quantity": label,
                    "published": row.value,
                    "predicted": predicted,
                    "low": low,
                    "high": high,
                    "fitted": scenario.role == "calibration",
                    "within": bool(pub_low <= high and low <= pub_high),
                    "name": scenario.name,
                    "file": str(scenario.path),
                    "published_low": pub_low,
                    "published_high": pub_high,
                    "uncertain": row.uncertain or bool(scenario.setup.uncertain),
                    "samples": len(mine),
                }
            )
    return rows


def summarise(rows: Sequence[Mapping[str, Any]], *, wall_seconds: float) -> dict[str, Any]:
    """Validation rows within, calibration rows within, and the median predicted/published ratio of
    validation rows (rows whose published figure is zero have no ratio and are left out of it)."""
    checked = [r for r in rows if not r["fitted"]]
    fitted = [r for r in rows if r["fitted"]]
    ratios = [r["predicted"] / r["published"] for r in checked if r["published"] > 0]
    return {
        "validation_rows": len(checked),
        "validation_within": sum(bool(r["within"]) for r in checked),
        "calibration_rows": len(fitted),
        "calibration_within": sum(bool(r["within"]) for r in fitted),
        "median_ratio_predicted_to_published": float(np.median(ratios)) if ratios else None,
        "ratio_rows": len(ratios),
        "wall_seconds": wall_seconds,
    }


def run_validation(
    catalogue: Sequence[ValidationScenario],
    *,
    samples: int = DEFAULT_SAMPLES,
    probes: int = DEFAULT_PROBES,
    workers: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Plan, measure on a Dask LocalCluster, and compare. Returns ``{"rows": [...], "summary": {...}}``."""
    from twin.matcher.blas import usable_cores
    from twin.sweeps.engine import check_engine, dask_client

    check_engine(workers=workers, scheduler=None)
    began = time.perf_counter()
    tasks = plan_measurements(catalogue, samples=samples, probes=probes, seed=seed)
    n_workers = workers or usable_cores()
    threads = max(1, usable_cores() // n_workers)
    with dask_client(workers=n_workers) as client:
        futures = client.map(measure, tasks, threads=threads, pure=False)
        results = client.gather(futures)  # type: ignore[no-untyped-call]
    rows = validation_rows(catalogue, tasks, results, seed=seed)
    return {"rows": rows, "summary": summarise(rows, wall_seconds=time.perf_counter() - began)}
