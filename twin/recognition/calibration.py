"""Calibration: does the synthetic face model, run through the real matcher, do what the profile says?

`calibrate` enrols a 10,000-person synthetic watchlist in the real FAISS matcher, as ten galleries of
1,000 side by side, searches non-mated probes (captures of people not on it, ``CAPTURES_PER_PERSON``
captures of each person, every one a noisy view of the person's one face: `twin.recognition.persons`)
and mated probes (watchlist members at the reference capture quality), and measures:

- FPIR per search at watchlist 1,000 (each probe against each gallery of 1,000: ten trials per
  probe) and at 10,000 (each probe against all ten together), beside the profile's published points
  (NIST FRTE 1:N definitions; facts.md). A person's captures are not independent, so the 95% interval
  is Wilson's on the effective number of searches (searches / design effect, the design effect
  measured from the spread of false alerts between people);
- TPIR at the reference quality (the mate is the top candidate, above the threshold), and, when the
  reference quality was fitted in the set-up where the TPIR was measured, TPIR at the qualities
  walkers reached there (beside the published TPIR: the fit, checked through the real matcher);
- a DET table: FPIR at 10,000 and FNIR across thresholds around the operating point;
- per group, when the scenario defines groups: FPIR and its ratio to the best-served group;
- how false alerts at 10,000 concentrate on people: flagged people, false alerts per flagged person,
  the share on the most-flagged 1%, and the chance that another capture of a flagged person alerts
  too, beside FPIR (their ratio is 1 when captures are independent).

No figure is reused from the model's own arithmetic: every rate is counted from real matcher answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from twin.matcher import Matcher
from twin.recognition.faces import FaceModel, Watchlist, capture_embeddings
from twin.recognition.gallery import build_gallery
from twin.recognition.outcomes import concentration
from twin.recognition.persons import (
    face_directions,
    watchlist_ids,
)
from twin.recognition.profiles import AlgorithmProfile
from twin.recognition.reference_fit import draw_from_quantiles
from twin.scenario import Scenario
from twin.streams import streams_for

FloatArray = npt.NDArray[np.float64]

SMALL_WATCHLIST = 1_000
LARGE_WATCHLIST = 10_000
GALLERIES = LARGE_WATCHLIST // SMALL_WATCHLIST
TOP_K = 8  # candidates kept per probe: far more than ever pass the threshold together
CHUNK = 8192
DET_OFFSETS = (-0.06, -0.04, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.04)
CONFIDENCE = 0.95
# Non-mated captures of each person. *Assumption*: a person crossing a camera-dense estate is captured
# several times (the default King's Cross day searches each scanned person about ten times).
CAPTURES_PER_PERSON = 8


@dataclass(frozen=True, slots=True)
class Proportion:
    """A measured rate with its 95% Wilson interval."""

    events: int
    trials: int

    @property
    def rate(self) -> float:
        return self.events / self.trials if self.trials else float("nan")

    def interval(self) -> tuple[float, float]:
        """95% Wilson score interval (scipy)."""
        if not self.trials:
            return (float("nan"), float("nan"))
        ci = stats.binomtest(self.events, self.trials).proportion_ci(CONFIDENCE, method="wilson")
        return (float(ci.low), float(ci.high))

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval()
        return {
            "rate": self.rate,
            "ci95": [low, high],
            "events": self.events,
            "trials": self.trials,
        }


@dataclass(frozen=True, slots=True)
class ClusteredProportion:
    """A rate over trials that come in clusters (one person's captures), per cluster: events and
    trials. Its 95% interval is Wilson's on ``trials / design effect`` trials (Kish)."""

    events: npt.NDArray[np.int64]
    trials: npt.NDArray[np.int64]

    @property
    def rate(self) -> float:
        total = int(self.trials.sum())
        return int(self.events.sum()) / total if total else float("nan")

    def design_effect(self) -> float:
        """Variance of the rate (ratio estimator over clusters) over the binomial variance, >= 1."""
        n = len(self.trials)
        total = float(self.trials.sum())
        p = self.rate
        if n < 2 or not 0.0 < p < 1.0:
            return 1.0
        residual = self.events - p * self.trials
        clustered = n / (n - 1) * float(np.sum(residual**2)) / total**2
        return max(1.0, clustered / (p * (1.0 - p) / total))

    def interval(self) -> tuple[float, float]:
        """95% Wilson interval on the effective number of trials (scipy)."""
        effective = max(1, round(float(self.trials.sum()) / self.design_effect()))
        events = min(effective, round(self.rate * effective))
        return Proportion(events, effective).interval()

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval()
        return {
            "rate": self.rate,
            "ci95": [low, high],
            "events": int(self.events.sum()),
            "trials": int(self.trials.sum()),
            "people": len(self.trials),
            "design_effect": self.design_effect(),
        }


def _hits_per_gallery(
    matcher: Matcher, probes: npt.NDArray[np.float32], threshold: float
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Which of the ten galleries of 1,000 hold a candidate at or above ``threshold`` for each probe,
    as counts (n,), and each probe's best score over all 10,000.

    One search of the whole watchlist returns each probe's top candidates; every identity above the
    threshold is among them as long as fewer than ``TOP_K`` are, and then each gallery of 1,000 has a
    hit exactly when one of its members does. A probe with ``TOP_K`` candidates above the threshold
    would make the count inexact, so it is refused rather than miscounted.
    """
    result = matcher.search(probes, k=TOP_K)
    above = result.scores >= threshold
    if np.any(above[:, -1]):
        raise RuntimeError(
            f"a probe has {TOP_K} or more candidates above the threshold: raise TOP_K"
        )
    gallery = np.where(above, result.ids // SMALL_WATCHLIST, -1)
    distinct = np.zeros(len(probes), dtype=np.int64)
    for column in range(TOP_K):
        here = gallery[:, column]
        seen_before = (gallery[:, :column] == here[:, None]).any(axis=1)
        distinct += (here >= 0) & ~seen_before
    return distinct, result.scores[:, 0].astype(np.float64)


def _mated_searches(
    rng: np.random.Generator,
    model: FaceModel,
    watchlist: Watchlist,
    matcher: Matcher,
    subjects: npt.NDArray[np.int64],
    quality: FloatArray,
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Captures of watchlist members ``subjects`` at ``quality``, searched against the whole
    watchlist: whether the mate is the top candidate, and the top score."""
    found = np.empty(len(subjects), dtype=bool)
    best = np.empty(len(subjects))
    for begin in range(0, len(subjects), CHUNK):
        rows = slice(begin, min(begin + CHUNK, len(subjects)))
        who = subjects[rows]
        probes, _ = capture_embeddings(
            rng, model, watchlist, who, watchlist.group[who], quality[rows]
        )
        result = matcher.search(probes, k=1)
        found[rows] = result.ids[:, 0] == who
        best[rows] = result.scores[:, 0]
    return found, best


def _concentration(
    alerts_per_person: npt.NDArray[np.int64], fpir: float, correlation: float
) -> dict[str, Any]:
    """How the false alerts at 10,000 fall on people, and how likely a flagged person is flagged again."""
    pairs = float(np.sum(alerts_per_person * (CAPTURES_PER_PERSON - 1)))
    again = float(np.sum(alerts_per_person * (alerts_per_person - 1))) / pairs if pairs else None
    return {
        **concentration(alerts_per_person),
        "captures_per_person": CAPTURES_PER_PERSON,
        "within_person_correlation": correlation,
        "fpir_10000": fpir,
        "again_after_a_false_alert": again,
        "again_over_fpir": again / fpir if again is not None and fpir > 0 else None,
    }


def calibrate(
    profile: AlgorithmProfile,
    scenario: Scenario,
    *,
    non_mated: int,
    mated: int,
    seed: int,
    on_progress: Callable[[float, float], None] | None = None,
) -> dict[str, Any]:
    """Measure the fitted model through the real matcher. Returns the report (see module doc)."""
    began = time.perf_counter()
    streams = streams_for(seed)  # the run's layout: groups, enrolled faces and probes apart
    shares = np.array([group.share for group in scenario.faces.groups])
    watchlist_groups = streams.population.choice(
        len(shares), size=LARGE_WATCHLIST, p=shares / shares.sum()
    ).astype(np.int64)
    # One exact (flat) index of 10,000 identities; identity i belongs to sub-gallery i // 1,000.
    gallery = build_gallery(
        profile,
        scenario,
        watchlist_ids(LARGE_WATCHLIST),
        watchlist_groups,
        streams.watchlist,
        seed=seed,
        backend="flat",
        provenance="calibration",
    )
    model, watchlist, matcher = gallery.model, gallery.watchlist, gallery.matcher
    threshold = model.threshold_cosine
    n_groups = len(model.groups)
    rng = streams.probes
    quality_ref = model.reference_quality
    correlation = scenario.faces.within_person_correlation
    people = -(-non_mated // CAPTURES_PER_PERSON)
    non_mated = people * CAPTURES_PER_PERSON
    total_work = float(non_mated + mated)

    # People not on the watchlist, equally many per group, each captured CAPTURES_PER_PERSON times at
    # the reference quality; probe i is a capture of person i // CAPTURES_PER_PERSON.
    person_group = np.arange(people, dtype=np.int64) % n_groups
    hits_small = np.zeros(people, dtype=np.int64)
    hits_large = np.zeros(people, dtype=np.int64)
    best_scores = np.empty(non_mated)
    chunk = CHUNK - CHUNK % CAPTURES_PER_PERSON
    for begin in range(0, non_mated, chunk):
        rows = slice(begin, min(begin + chunk, non_mated))
        who = np.arange(rows.start, rows.stop) // CAPTURES_PER_PERSON
        first, last = int(who[0]), int(who[-1]) + 1
        faces = face_directions(seed, np.arange(first, last, dtype=np.int64), model.free_dim)
        probes = model.person_captures(
            rng,
            free_unit=faces[who - first],
            quality=np.full(len(who), quality_ref),
            group=person_group[who],
            within_person_correlation=correlation,
        )
        hits, best = _hits_per_gallery(matcher, probes, threshold)
        np.add.at(hits_small, who, hits)
        np.add.at(hits_large, who, hits > 0)
        best_scores[rows] = best
        if on_progress:
            on_progress(float(rows.stop), total_work)

    # Watchlist members at the reference quality, searched against the whole 10,000.
    subjects = rng.integers(0, LARGE_WATCHLIST, mated)
    mate_found, mate_best = _mated_searches(
        rng, model, watchlist, matcher, subjects, np.full(mated, quality_ref)
    )
    if on_progress:
        on_progress(total_work, total_work)
    # And at the qualities walkers reached in the set-up where the TPIR was measured, when the
    # profile's reference quality was fitted there (twin.recognition.reference_fit).
    setup_tpir = None
    if profile.setup_qualities:
        qualities = draw_from_quantiles(rng, profile.setup_qualities, mated)
        found, best = _mated_searches(
            rng, model, watchlist, matcher, rng.integers(0, LARGE_WATCHLIST, mated), qualities
        )
        setup_tpir = Proportion(int(np.sum(found & (best >= threshold) & (qualities > 0))), mated)

    searches = np.full(people, CAPTURES_PER_PERSON, dtype=np.int64)
    fpir_small = ClusteredProportion(hits_small, searches * GALLERIES)
    fpir_large = ClusteredProportion(hits_large, searches)
    tpir = Proportion(int(np.sum(mate_found & (mate_best >= threshold))), mated)
    published = {point.watchlist_size: point.fpir for point in profile.fpir_points}

    def fpir_entry(size: int, measured: ClusteredProportion) -> dict[str, Any]:
        entry = measured.as_dict()
        if size in published:
            low, high = measured.interval()
            entry["published"] = published[size]
            entry["published_within_ci95"] = bool(low <= published[size] <= high)
        return entry

    det = []
    for offset in DET_OFFSETS:
        cut = threshold + offset
        fp = Proportion(int(np.sum(best_scores >= cut)), non_mated)
        fn = Proportion(int(np.sum(~(mate_found & (mate_best >= cut)))), mated)
        det.append(
            {
                "threshold_cosine": cut,
                "fpir_10000": fp.rate,
                "fpir_10000_ci95": list(fp.interval()),
                "fnir": fn.rate,
                "fnir_ci95": list(fn.interval()),
            }
        )

    per_group = {}
    if n_groups > 1:
        small = [
            ClusteredProportion(
                hits_small[person_group == g], searches[person_group == g] * GALLERIES
            )
            for g in range(n_groups)
        ]
        best_served = min(range(n_groups), key=lambda g: model.groups[g].fmr_multiplier)
        smallest = model.groups[best_served].fmr_multiplier
        profile_fpir_small = -np.expm1(SMALL_WATCHLIST * np.log1p(-model.fmr))
        for g, group in enumerate(model.groups):
            low, high = small[g].interval()
            # k times the best-served group, which keeps the profile's FPIR
            expected = group.fmr_multiplier / smallest * profile_fpir_small
            per_group[group.name] = {
                "fpir_1000": small[g].as_dict(),
                "fpir_10000": ClusteredProportion(
                    hits_large[person_group == g], searches[person_group == g]
                ).as_dict(),
                "fmr_multiplier": group.fmr_multiplier,
                "closeness": group.closeness,
                "expected_fpir_1000": expected,
                "ratio_to_best_served": small[g].rate / small[best_served].rate
                if small[best_served].events.any()
                else None,
                "multiplier_within_ci95": bool(low <= expected <= high),
            }

    ratio = fpir_large.rate / fpir_small.rate if fpir_small.events.any() else None
    return {
        "profile": profile.name,
        "source": profile.source,
        "threshold_cosine": threshold,
        "vendor_threshold": profile.vendor_threshold,
        "fmr_per_comparison": profile.fmr,
        "non_mated_searches": non_mated,
        "mated_searches": mated,
        "reference_quality": quality_ref,
        "fpir_by_watchlist_size": {
            str(SMALL_WATCHLIST): fpir_small.rate,
            str(LARGE_WATCHLIST): fpir_large.rate,
        },
        "fpir": {
            str(SMALL_WATCHLIST): fpir_entry(SMALL_WATCHLIST, fpir_small),
            str(LARGE_WATCHLIST): fpir_entry(LARGE_WATCHLIST, fpir_large),
        },
        "fpir_ratio_10000_to_1000": ratio,
        "tpir_at_reference_quality": tpir.rate,
        "tpir": {**tpir.as_dict(), "profile": profile.tpir},
        "tpir_in_setup": None
        if setup_tpir is None
        else {**setup_tpir.as_dict(), "published": profile.tpir},
        "det": det,
        "groups": per_group,
        "false_alert_concentration": _concentration(hits_large, fpir_large.rate, correlation),
        "seed": seed,
        "wall_seconds": time.perf_counter() - began,
    }
