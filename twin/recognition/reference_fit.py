"""The reference quality, fitted: the capture quality at which a profile's TPIR holds, found by running
the twin's own crowd, capture and quality model in the set-up where that TPIR was measured.

A profile's TPIR was measured somewhere: NPL's 0.89 by walkers passing a live deployment's cameras
in a busy street (scenarios/calibration/npl_2023_setup.toml, with its sources). The faces model gives
a capture of quality q a genuine cosine of mean ``mu_ref q / q_ref`` and spread ``sd``
(`twin.recognition.faces`), with ``mu_ref`` set by the TPIR. So the share of walkers identified in
the set-up is

    TPIR_setup(q_ref) = mean over walkers of  P(Normal(mu_ref q_w / q_ref, sd) >= t)

where q_w is the best capture quality of walker w across the set-up's cameras (0, a miss, for a
walker never captured: NPL counted "someone [who] walked into a recognition zone"), and t is the
cosine threshold. It falls as q_ref rises, so one q_ref makes it the published TPIR: that is the
fitted reference quality (Brent's method, scipy). Walkers who are never captured cap what any q_ref
can reach; a set-up that captures fewer than TPIR of its walkers cannot be fitted and is refused.

The set-up's camera geometry is not published, so the site map holds the camera pair three times
(tags :data:`SETUP_TAGS`: a central guess and the two ends of its range); each is fitted, the central
one gives the value and the others the range that ``twin uncertainty`` samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from twin.errors import TwinInputError
from twin.recognition.faces import FaceModel
from twin.recognition.profiles import AlgorithmProfile
from twin.scenario import Scenario

FloatArray = npt.NDArray[np.float64]

#: Camera tags of the set-up's variants: the central guess first, then the ends of the range.
SETUP_TAGS: Final = ("setup-central", "setup-sharp", "setup-coarse")
#: Quantiles of the walkers' best capture quality kept in the fit file (0%, 2.5%, ... 100%).
QUALITY_QUANTILES: Final = 41
#: Bounds of the search for q_ref (the profile's schema allows (0, 1]).
LOWEST_REFERENCE: Final = 0.01
HIGHEST_REFERENCE: Final = 1.0


@dataclass(frozen=True, slots=True)
class SetupQualities:
    """Per set-up variant (camera tag): each walker's best capture quality, 0 if never captured."""

    by_tag: dict[str, FloatArray]
    walkers: int
    seed: int


def setup_qualities(scenario: Scenario, *, seed: int) -> SetupQualities:
    """Run the scenario's crowd past its cameras and score every pass (the run's own stages up to
    the captures: `twin.run.runner`). Returns, per tag in :data:`SETUP_TAGS`, the best searched
    quality of every walker on site in the window."""
    from twin.crowd.demand import generate_trips
    from twin.crowd.walking import on_site_from, simulate_crowd
    from twin.recognition.captures import capture_opportunities
    from twin.recognition.deployment import deploy
    from twin.site.scenario_site import load_scenario_site
    from twin.streams import streams_for

    streams = streams_for(seed)
    deployment = deploy(load_scenario_site(scenario), scenario.cameras)
    site = deployment.site
    tags_present = {tag for camera in site.cameras for tag in camera.tags}
    missing = [tag for tag in SETUP_TAGS if tag not in tags_present]
    if missing:
        raise TwinInputError(
            f"{scenario.source or 'the set-up scenario'}: site.map: no camera tagged "
            f"{', '.join(missing)} (a set-up needs cameras tagged {', '.join(SETUP_TAGS)})"
        )
    trips = generate_trips(site, scenario.crowd, streams.demand)
    crowd = simulate_crowd(site, trips, scenario.crowd)
    trips, crowd = on_site_from(trips, crowd, scenario.crowd.window_start_s)
    captures = capture_opportunities(
        site,
        crowd.passes,
        scenario.cameras,
        streams.captures,
        recognition=deployment.recognition,
        samples=crowd.samples,
    )
    walkers = np.unique(captures.passes.pedestrian)
    if walkers.size == 0:
        raise TwinInputError(
            f"{scenario.source or 'the set-up scenario'}: crowd: nobody passed a camera in the "
            "window (allowed: a window and daily_pedestrians that bring walkers past the cameras)"
        )
    index = np.searchsorted(walkers, captures.passes.pedestrian)
    by_tag = {}
    for tag in SETUP_TAGS:
        cameras = np.array([tag in camera.tags for camera in site.cameras], dtype=np.bool_)
        rows = np.flatnonzero(cameras[captures.passes.camera] & captures.searched)
        best = np.zeros(walkers.size)
        np.maximum.at(best, index[rows], captures.quality[rows])
        by_tag[tag] = best
    return SetupQualities(by_tag=by_tag, walkers=int(walkers.size), seed=seed)


def _model(profile: AlgorithmProfile, *, dim: int, genuine_score_sd: float) -> FaceModel:
    return FaceModel.from_profile(profile, dim=dim, genuine_score_sd=genuine_score_sd)


def setup_tpir(
    qualities: FloatArray,
    reference_quality: float,
    *,
    threshold_cosine: float,
    genuine_mean_at_reference: float,
    genuine_score_sd: float,
) -> float:
    """Share of walkers identified (0-1) when the reference quality is ``reference_quality``: the
    mean chance that a walker's best capture scores at or above the threshold (0 if never captured)."""
    mean = genuine_mean_at_reference * qualities / reference_quality
    hit = stats.norm.sf(threshold_cosine, loc=mean, scale=genuine_score_sd)
    return float(np.mean(np.where(qualities > 0, hit, 0.0)))


def fit_reference_quality(
    profile: AlgorithmProfile, qualities: FloatArray, *, dim: int, genuine_score_sd: float
) -> float:
    """The reference quality (0-1) at which walkers of these best qualities are identified at the
    profile's TPIR (Brent's method). Refused (TwinInputError) when no value in
    [:data:`LOWEST_REFERENCE`, :data:`HIGHEST_REFERENCE`] reaches it."""
    model = _model(profile, dim=dim, genuine_score_sd=genuine_score_sd)
    group = model.groups[0]

    def excess(reference: float) -> float:
        return (
            setup_tpir(
                qualities,
                reference,
                threshold_cosine=model.threshold_cosine,
                genuine_mean_at_reference=group.genuine_mean_at_reference,
                genuine_score_sd=genuine_score_sd,
            )
            - profile.tpir
        )

    captured = float(np.mean(qualities > 0))
    if excess(LOWEST_REFERENCE) < 0:
        raise TwinInputError(
            f"the set-up captures {captured:.1%} of its walkers and identifies at most "
            f"{excess(LOWEST_REFERENCE) + profile.tpir:.1%}, below the profile's TPIR "
            f"{profile.tpir:.0%} (allowed: a set-up whose cameras capture more of its walkers)"
        )
    if excess(HIGHEST_REFERENCE) > 0:
        return HIGHEST_REFERENCE  # even q_ref = 1 leaves TPIR above the target: the best it can be
    return float(optimize.brentq(excess, LOWEST_REFERENCE, HIGHEST_REFERENCE, xtol=1e-6))


def quality_quantiles(qualities: FloatArray) -> tuple[float, ...]:
    """:data:`QUALITY_QUANTILES` evenly spaced quantiles (0 to 1) of the walkers' best qualities."""
    points = np.quantile(qualities, np.linspace(0.0, 1.0, QUALITY_QUANTILES))
    return tuple(round(float(value), 4) for value in points)


def draw_from_quantiles(
    rng: np.random.Generator, quantiles: tuple[float, ...], size: int
) -> FloatArray:
    """Qualities drawn from the distribution the quantiles describe (inverse CDF, linear between)."""
    grid = np.linspace(0.0, 1.0, len(quantiles))
    return np.asarray(np.interp(rng.uniform(size=size), grid, quantiles), dtype=np.float64)
