"""The response: what happens after an alert, in simulated time (SimPy).

A match is not an outcome. Alerts, merged into incidents (`twin.response.incidents`), join a review queue
served by the scenario's operators, first come first served. An incident whose latest sighting grows
older than ``alert_expiry_s`` while it waits is **expired unreviewed**. A review takes a gamma-
distributed time (mean ``review_time_mean_s``, coefficient of variation ``review_time_cv``); the
operator then judges the alert credible or **dismisses** it (:func:`credible_probability`). A
credible incident dispatches the free officer who can reach the place fastest, after
``dispatch_delay_s``.

Where the officer goes is the *system's* prediction and uses only what the system knows: the latest
alert's camera, its capture time and the walk graph (`twin.response.officers`: the person is predicted to walk
on, along the walkway closest to the direction they faced the camera). Whether the officer finds the
person is the *simulation's* business: it knows the person's real route and timing (`twin.crowd.walking`),
and the person is **intercepted** if they come within ``sighting_radius_m`` of the officer while
still on the site; otherwise the incident is **lost** (no officer free, the person left the site, or
not found). An interception stops the person the alert was about: the **right person** if they are
the watchlist identity matched.

Outcomes of an incident: ``expired``, ``dismissed``, ``intercepted``, ``lost``. Later alerts of an
incident update its latest sighting; they raise no new review.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, fields
from typing import Final

import networkx as nx
import numpy as np
import numpy.typing as npt
import simpy
from scipy.special import expit

from twin.analysis.camera_graph import camera_graph
from twin.crowd.demand import Trips
from twin.crowd.trajectories import WalkWhereabouts
from twin.crowd.walking import CrowdResult, Passes
from twin.recognition.decisions import Decisions
from twin.recognition.deployment import Deployment
from twin.recognition.outcomes import OUTCOMES as DECISION_OUTCOMES
from twin.recognition.outcomes import TRUE_ALERT
from twin.response.incidents import (
    CameraGraphTransit,
    Incidents,
    TransitTimes,
    WalkGraphTransit,
    camera_anchors,
    merge_alerts,
)
from twin.response.officers import (
    LEFT_SITE,
    NOT_FOUND,
    Post,
    Whereabouts,
    plan_intercept,
    predicted_path,
    resolve_posts,
    search,
)
from twin.scenario import ResponseConfig
from twin.site.model import Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXPIRED: Final = "expired"
DISMISSED: Final = "dismissed"
INTERCEPTED: Final = "intercepted"
LOST: Final = "lost"
INCIDENT_OUTCOMES: Final = (EXPIRED, DISMISSED, INTERCEPTED, LOST)
NO_OFFICER: Final = "no_officer"
LOST_REASONS: Final = (NO_OFFICER, LEFT_SITE, NOT_FOUND)

#: The displayed score enters the judgement per this much cosine above the threshold.
SCORE_STEP: Final = 0.1
SECONDS_PER_HOUR: Final = 3600.0


@dataclass(frozen=True)
class AlertFeed:
    """What the system knows of each alert, sorted by capture time (one row per alert)."""

    search_id: IntArray
    time_s: FloatArray  # capture time, s after midnight
    decided_s: FloatArray  # when the decision reached the operators, s after midnight
    camera_id: tuple[str, ...]
    watchlist_id: IntArray
    score: FloatArray  # displayed score (cosine)
    quality: FloatArray  # probe quality, 0-1

    def __len__(self) -> int:
        return len(self.search_id)


@dataclass(frozen=True)
class AlertTruth:
    """What only the simulation knows of each alert (rows as in `AlertFeed`)."""

    pedestrian: IntArray  # who was really captured
    right_person: BoolArray  # the captured person is the watchlist identity matched
    group: IntArray  # the captured person's group index


def credible_probability(
    config: ResponseConfig,
    *,
    score: float,
    threshold: float,
    quality: float,
    right_person: bool,
) -> float:
    """Chance an operator judges an alert credible (logistic in log-odds).

    log-odds = ``credible_base_logit``
             + ``credible_logit_per_score_0_1`` × (score − threshold) / 0.1
             + ``credible_logit_per_quality`` × (quality − 0.5)
             ± ``discernment_logit`` × quality   (+ if the faces really are the same person)

    The displayed score and the probe's quality shape the judgement; the reviewer's own look at the
    probe beside the watchlist photo pulls it towards the truth, more so for a good image.
    """
    logit = (
        config.credible_base_logit
        + config.credible_logit_per_score_0_1 * (score - threshold) / SCORE_STEP
        + config.credible_logit_per_quality * (quality - 0.5)
        + (1.0 if right_person else -1.0) * config.discernment_logit * quality
    )
    return float(expit(logit))


@dataclass(slots=True)
class IncidentRecord:
    """One incident's way through the funnel (times in s after midnight; NaN: did not happen)."""

    incident: int
    watchlist_id: int
    queued_s: float
    outcome: str = ""
    lost_reason: str = ""
    review_start_s: float = math.nan
    review_end_s: float = math.nan
    credible_p: float = math.nan
    judged_credible: bool = False
    shown_alert: int = -1  # alert row the operator judged
    target_alert: int = -1  # alert row the officer was sent for
    officer: int = -1
    post: str = ""
    dispatched_s: float = math.nan
    arrival_s: float = math.nan
    closed_s: float = math.nan  # expiry, dismissal, interception or giving up
    travel_m: float = math.nan
    intercepted_s: float = math.nan
    pedestrian: int = -1  # who was stopped
    right_person: bool | None = None


@dataclass(frozen=True)
class ResponseResult:
    """The response stage's outcome: alerts, incidents, each incident's record and staff time."""

    config: ResponseConfig
    threshold_cosine: float
    window_start_s: float
    window_end_s: float
    feed: AlertFeed
    truth: AlertTruth
    incidents: Incidents
    records: tuple[IncidentRecord, ...]
    posts: tuple[Post, ...]
    #: Operators' review intervals (start, end), s after midnight.
    reviews_s: tuple[tuple[float, float], ...]
    #: Officers' busy seconds in total.
    officer_busy_s: float
    #: When the last review or intervention ended (s): staff are on duty until then.
    duty_end_s: float = field(default=0.0)

    @property
    def officers(self) -> int:
        """Officers on duty at all posts."""
        return sum(post.officers for post in self.posts)

    @property
    def duty_s(self) -> float:
        """Staffed time: the window, stretched to the last review or intervention (s)."""
        return max(self.window_end_s, self.duty_end_s) - self.window_start_s


@dataclass
class _Officer:
    post: int
    free_at_s: float = 0.0


def simulate_response(
    *,
    feed: AlertFeed,
    truth: AlertTruth,
    incidents: Incidents,
    site: Site,
    config: ResponseConfig,
    posts: Sequence[Post],
    anchors: dict[str, int],
    whereabouts: Whereabouts,
    threshold_cosine: float,
    window_start_s: float,
    window_end_s: float,
    rng: np.random.Generator,
) -> ResponseResult:
    """Run review, judgement and dispatch for every incident in simulated time."""
    graph = site.walk_graph
    env = simpy.Environment(initial_time=window_start_s)
    operators = simpy.Resource(env, capacity=config.operators)
    officers = [_Officer(p) for p, post in enumerate(posts) for _ in range(post.officers)]
    # From each post: walk-graph distances (m) and paths to every node.
    routes = [nx.single_source_dijkstra(graph, post.node, weight="length_m") for post in posts]
    # Faces are seen from the front: people walk towards the camera, against its heading.
    bearings = {c.camera_id: (c.heading_deg + 180.0) % 360.0 for c in site.cameras}
    order = np.argsort(incidents.alert_incident, kind="stable")
    sizes = np.bincount(incidents.alert_incident, minlength=len(incidents))
    by_incident = np.split(order, np.cumsum(sizes)[:-1]) if len(incidents) else []
    records = [
        IncidentRecord(
            incident=k,
            watchlist_id=int(incidents.watchlist_id[k]),
            queued_s=float(feed.decided_s[rows].min()),
        )
        for k, rows in enumerate(by_incident)
    ]
    reviews: list[tuple[float, float]] = []
    busy = {"officers_s": 0.0, "last_s": window_start_s}

    def latest_known(rows: IntArray) -> int:
        """The incident's newest alert the system has received by now (alert row)."""
        known = rows[feed.decided_s[rows] <= env.now + 1e-9]
        return int(known[np.argmax(feed.time_s[known])])

    def review_s() -> float:
        if config.review_time_cv == 0:
            return config.review_time_mean_s
        shape = 1.0 / config.review_time_cv**2
        return float(rng.gamma(shape, config.review_time_mean_s / shape))

    def incident(record: IncidentRecord, rows: IntArray) -> Generator[simpy.Event, object, None]:
        yield env.timeout(max(0.0, record.queued_s - env.now))
        request = operators.request()
        while True:
            newest = latest_known(rows)
            deadline = feed.decided_s[newest] + config.alert_expiry_s
            yield request | env.timeout(max(0.0, deadline - env.now))
            if request.triggered:
                break
            if latest_known(rows) == newest:
                request.cancel()
                record.outcome, record.closed_s = EXPIRED, env.now
                return
        record.review_start_s = env.now
        shown = latest_known(rows)
        yield env.timeout(review_s())
        operators.release(request)
        record.review_end_s = env.now
        reviews.append((record.review_start_s, env.now))
        record.shown_alert = shown
        record.credible_p = credible_probability(
            config,
            score=float(feed.score[shown]),
            threshold=threshold_cosine,
            quality=float(feed.quality[shown]),
            right_person=bool(truth.right_person[shown]),
        )
        record.judged_credible = bool(rng.random() < record.credible_p)
        if not record.judged_credible:
            record.outcome, record.closed_s = DISMISSED, env.now
            return
        yield env.timeout(config.dispatch_delay_s)
        target = latest_known(rows)
        record.target_alert = target
        free = [i for i, o in enumerate(officers) if o.free_at_s <= env.now]
        plan = plan_intercept(
            graph,
            posts,
            routes,
            [(i, officers[i].post) for i in free],
            predicted_path(
                graph,
                anchors[feed.camera_id[target]],
                bearings[feed.camera_id[target]],
                config.predicted_walk_speed_m_s * (config.alert_expiry_s + config.search_time_s),
            ),
            now_s=env.now,
            seen_s=float(feed.time_s[target]),
            officer_speed_m_s=config.officer_speed_m_s,
            walk_speed_m_s=config.predicted_walk_speed_m_s,
        )
        if plan is None:
            record.outcome, record.lost_reason, record.closed_s = LOST, NO_OFFICER, env.now
            return
        chosen, walk = plan
        officer = officers[chosen]
        record.officer, record.post = chosen, posts[officer.post].name
        record.dispatched_s, record.travel_m = env.now, float(walk.length)
        travel_s = walk.length / config.officer_speed_m_s
        record.arrival_s = env.now + travel_s
        found_s, reason = search(
            whereabouts,
            int(truth.pedestrian[target]),
            walk,
            dispatched_s=env.now,
            until_s=record.arrival_s + config.search_time_s,
            speed_m_s=config.officer_speed_m_s,
            radius_m=config.sighting_radius_m,
        )
        done_s = found_s + config.stop_duration_s if found_s is not None else None
        free_at = (done_s or record.arrival_s + config.search_time_s) + travel_s
        officer.free_at_s = free_at
        busy["officers_s"] += free_at - env.now
        busy["last_s"] = max(busy["last_s"], free_at)
        if found_s is None:
            yield env.timeout(travel_s + config.search_time_s)
            record.outcome, record.lost_reason, record.closed_s = LOST, reason, env.now
            return
        yield env.timeout(found_s - env.now)
        record.outcome, record.intercepted_s, record.closed_s = INTERCEPTED, env.now, env.now
        record.pedestrian = int(truth.pedestrian[target])
        record.right_person = bool(truth.right_person[target])

    for record, rows in zip(records, by_incident, strict=True):
        env.process(incident(record, rows))
    env.run()
    last_review = max((end for _, end in reviews), default=window_start_s)
    return ResponseResult(
        config=config,
        threshold_cosine=threshold_cosine,
        window_start_s=window_start_s,
        window_end_s=window_end_s,
        feed=feed,
        truth=truth,
        incidents=incidents,
        records=tuple(records),
        posts=tuple(posts),
        reviews_s=tuple(reviews),
        officer_busy_s=busy["officers_s"],
        duty_end_s=max(last_review, busy["last_s"]),
    )


def alert_feed(site: Site, decisions: Decisions) -> tuple[AlertFeed, AlertTruth]:
    """A run's alerts as the system knows them, and the ground truth behind each."""
    passes = decisions.captures.passes
    rows = decisions.rows
    codes = decisions.outcome
    alert = np.flatnonzero(decisions.alert)
    time_s = passes.best_s[rows][alert]
    alert = alert[np.argsort(time_s, kind="stable")]
    cameras = [camera.camera_id for camera in site.cameras]
    matches = decisions.matches
    feed = AlertFeed(
        search_id=alert.astype(np.int64),
        time_s=passes.best_s[rows][alert],
        decided_s=decisions.pipeline.done_s[alert],
        camera_id=tuple(cameras[int(c)] for c in passes.camera[rows][alert]),
        watchlist_id=matches.top1_id[alert].astype(np.int64),
        score=matches.top1_score[alert].astype(np.float64),
        quality=decisions.captures.quality[rows][alert].astype(np.float64),
    )
    truth = AlertTruth(
        pedestrian=decisions.pedestrian[alert].astype(np.int64),
        right_person=codes[alert] == DECISION_OUTCOMES.index(TRUE_ALERT),
        group=decisions.group[alert].astype(np.int64),
    )
    return feed, truth


def transit_times(
    site: Site, config: ResponseConfig, passes: Passes, recognition: BoolArray
) -> TransitTimes:
    """Plausible transit times between recognition cameras: the camera graph of consecutive
    recognition-camera passes (aggregate walking times, no one's identity), walk-graph bounds for
    pairs it never saw."""
    watched = recognition[passes.camera]
    graph = camera_graph(
        site, Passes(**{f.name: getattr(passes, f.name)[watched] for f in fields(passes)})
    )
    return CameraGraphTransit(
        graph,
        slack_s=config.merge_slack_s,
        fallback=WalkGraphTransit.build(
            site.walk_graph,
            [camera for camera, on in zip(site.cameras, recognition, strict=True) if on],
            speed_min_m_s=config.transit_speed_min_m_s,
            speed_max_m_s=config.transit_speed_max_m_s,
            slack_s=config.merge_slack_s,
        ),
    )


def respond(
    deployment: Deployment,
    trips: Trips,
    crowd: CrowdResult,
    decisions: Decisions,
    *,
    config: ResponseConfig,
    window_start_s: float,
    window_end_s: float,
    rng: np.random.Generator,
) -> ResponseResult:
    """The response stage of a run: merge its alerts into incidents and play out the funnel.

    ``window_start_s``, ``window_end_s``: the simulated window, seconds since midnight.
    """
    site, recognition = deployment.site, deployment.recognition
    feed, truth = alert_feed(site, decisions)
    incidents = merge_alerts(
        watchlist_id=feed.watchlist_id,
        camera_id=feed.camera_id,
        time_s=feed.time_s,
        transit=transit_times(site, config, crowd.passes, recognition),
    )
    return simulate_response(
        feed=feed,
        truth=truth,
        incidents=incidents,
        site=site,
        config=config,
        posts=resolve_posts(site, config, recognition),
        anchors=camera_anchors(site.walk_graph, site.cameras),
        whereabouts=WalkWhereabouts.of(trips, crowd),
        threshold_cosine=decisions.threshold_cosine,
        window_start_s=window_start_s,
        window_end_s=window_end_s,
        rng=rng,
    )
