"""Validation of the crowd model, as the field validates crowd simulators.

RiMEA test cases that apply at this model's level, run on small synthetic corridors:

- **RiMEA 1**: one walker at 1.33 m/s along a corridor 40 m long and 2 m wide must take 26-34 s
  (RiMEA guideline; facts.md).
- **Fundamental diagram**: walkers fed into a long corridor at several steady flows; the mean speed
  measured against the density measured on the middle of the corridor must follow Weidmann's
  relation (Weidmann 1993) within the tolerance.
- **Bottleneck**: steps 1 m wide (capacity 1.01 ped/s, SFPE Handbook) fed at twice their capacity
  for a minute: a queue must form, the outflow while it stands must stay at the capacity, and the
  queue must clear once the feed stops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, Point, Polygon

from twin.crowd.demand import Trips
from twin.crowd.fundamental import weidmann_speed_m_s
from twin.crowd.walking import CrowdResult, simulate_crowd
from twin.scenario import CrowdConfig
from twin.site.model import Entrance, Site
from twin.site.walkgraph import attach_point, build_walk_graph

FloatArray = npt.NDArray[np.float64]

#: RiMEA test 1: a corridor 40 m x 2 m, a walker at 1.33 m/s, travel time 26-34 s.
RIMEA_1_LENGTH_M = 40.0
RIMEA_1_WIDTH_M = 2.0
RIMEA_1_SPEED_M_S = 1.33
RIMEA_1_RANGE_S = (26.0, 34.0)
#: Fundamental-diagram check: corridor and feeds (ped/s), relative speed tolerance.
FD_LENGTH_M = 300.0
FD_WIDTH_M = 4.0
FD_FEEDS_PED_S = (0.5, 2.0, 3.5, 4.5)
FD_TOLERANCE = 0.10
#: Bottleneck check: steps 1 m wide fed at twice capacity; outflow tolerance.
BOTTLENECK_WIDTH_M = 1.0
BOTTLENECK_TOLERANCE = 0.05


@dataclass(frozen=True)
class Check:
    """One validation check: its figure, what it must be, and whether it is."""

    name: str
    figure: float
    expected: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        """The check as JSON-ready values."""
        return {**asdict(self), "figure": float(self.figure), "passed": bool(self.passed)}


def corridor_site(
    length_m: float,
    width_m: float,
    *,
    steps_from_m: float | None = None,
    steps_width_m: float = 1.0,
) -> Site:
    """A straight corridor from a gateway at x = 0 to a destination at x = ``length_m`` (metres);
    optionally steps (a bottleneck) from ``steps_from_m`` for 5 m."""
    tags: list[dict[str, str | bool]]
    if steps_from_m is None:
        walkways = [LineString([(0.0, 0.0), (length_m, 0.0)])]
        widths, tags = [width_m], [{"highway": "footway", "width_mapped": True}]
    else:
        cut = (steps_from_m, steps_from_m + 5.0)
        walkways = [
            LineString([(0.0, 0.0), (cut[0], 0.0)]),
            LineString([(cut[0], 0.0), (cut[1], 0.0)]),
            LineString([(cut[1], 0.0), (length_m, 0.0)]),
        ]
        widths = [width_m, steps_width_m, width_m]
        tags = [
            {"highway": "footway", "width_mapped": True},
            {"highway": "steps", "width_mapped": True},
            {"highway": "footway", "width_mapped": True},
        ]
    graph = build_walk_graph(walkways)
    entrances = []
    for entrance_id, role, x_m in (("start", "gateway", 0.0), ("end", "destination", length_m)):
        attached = attach_point(graph, Point(x_m, 0.0))
        assert attached is not None
        entrances.append(Entrance(entrance_id, entrance_id, role, 1.0, x_m, 0.0, attached[0]))  # type: ignore[arg-type]
    return Site(
        name="corridor",
        source=Path("corridor"),
        attribution="",
        crs="local",
        boundary=Polygon([(-1, -10), (length_m + 1, -10), (length_m + 1, 10), (-1, 10)]),
        buildings=(),
        open_spaces=(),
        walkways=tuple(walkways),
        walkway_widths_m=tuple(widths),
        walkway_names=tuple("" for _ in walkways),
        walkway_tags=tuple(tags),
        walk_graph=graph,
        entrances=tuple(entrances),
        cameras=(),
    )


def corridor_trips(start_s: FloatArray, speed_m_s: FloatArray) -> Trips:
    """Trips from the corridor's start to its end, one per departure."""
    n = start_s.size
    zeros = np.zeros(n, dtype=np.int64)
    return Trips(
        start_s=np.asarray(start_s, dtype=np.float64),
        origin=zeros,
        destination=np.ones(n, dtype=np.int64),
        kind=zeros,
        speed_m_s=np.asarray(speed_m_s, dtype=np.float64),
        dwell_s=np.zeros(n),
        group=np.full(n, -1, dtype=np.int64),
        group_rank=zeros,
        lateral_u=np.zeros(n),
        route_u=np.zeros(n),
    )


def _config(**capacity: float) -> CrowdConfig:
    return CrowdConfig.model_validate({"routes": {"k": 1}, "capacity": capacity})


def rimea_1() -> Check:
    """RiMEA test 1: travel time of one walker along 40 m."""
    site = corridor_site(RIMEA_1_LENGTH_M, RIMEA_1_WIDTH_M)
    walked = simulate_crowd(
        site, corridor_trips(np.zeros(1), np.full(1, RIMEA_1_SPEED_M_S)), _config()
    )
    travel_s = float(walked.arrive_s[0])
    low, high = RIMEA_1_RANGE_S
    return Check(
        "RiMEA 1: 40 m corridor travel time, s",
        travel_s,
        f"{low:g}-{high:g} s",
        low <= travel_s <= high,
        f"one walker at {RIMEA_1_SPEED_M_S} m/s along {RIMEA_1_LENGTH_M:g} x {RIMEA_1_WIDTH_M:g} m",
    )


def feed_corridor(feed_ped_s: float, *, duration_s: float = 600.0, seed: int = 0) -> CrowdResult:
    """Walkers fed into the fundamental-diagram corridor at ``feed_ped_s`` (Poisson), free speeds
    from Weidmann's distribution."""
    rng = np.random.default_rng(seed)
    n = max(1, int(feed_ped_s * duration_s))
    start = np.sort(rng.uniform(0.0, duration_s, n))
    speed = np.clip(rng.normal(1.34, 0.26, n), 0.5, 2.5)
    site = corridor_site(FD_LENGTH_M, FD_WIDTH_M)
    return simulate_crowd(site, corridor_trips(start, speed), _config(cell_m=50.0, stretch_m=50.0))


def measured_density_speed(
    walked: CrowdResult, *, from_s: float, to_s: float
) -> tuple[float, float]:
    """Mean density (ped/m²) and mean speed (m/s) on the corridor's middle cell over a period."""
    visits = walked.visits
    cells = walked.walkways.cell_edge.size
    middle = cells // 2
    on = visits.cell == middle
    enter, leave = visits.enter_s[on], visits.exit_s[on]
    overlap = np.clip(np.minimum(leave, to_s) - np.maximum(enter, from_s), 0.0, None)
    area = float(walked.walkways.cell_length_m[middle] * walked.walkways.width_m[0])
    density = float(overlap.sum() / (to_s - from_s) / area)
    inside = (enter >= from_s) & (leave <= to_s)
    speed = float(np.mean(visits.length_m[on][inside] / (leave[inside] - enter[inside])))
    return density, speed


def fundamental_diagram() -> list[Check]:
    """Speed against density on a long corridor at several feeds, against Weidmann."""
    checks = []
    for feed in FD_FEEDS_PED_S:
        walked = feed_corridor(feed)
        density, speed = measured_density_speed(walked, from_s=300.0, to_s=600.0)
        expected = float(weidmann_speed_m_s(density))
        error = abs(speed - expected) / expected
        checks.append(
            Check(
                f"fundamental diagram at {feed:g} ped/s: speed, m/s",
                speed,
                f"Weidmann {expected:.3f} m/s at {density:.2f} ped/m2, within {FD_TOLERANCE:.0%}",
                error <= FD_TOLERANCE,
                f"{FD_LENGTH_M:g} x {FD_WIDTH_M:g} m corridor; density {density:.3f} ped/m2",
            )
        )
    return checks


def bottleneck() -> list[Check]:
    """Steps fed at twice their capacity for a minute: queue forms, outflow at capacity, clears."""
    capacity_ped_s = 1.01 * BOTTLENECK_WIDTH_M
    n = int(2 * capacity_ped_s * 60.0)
    start = np.linspace(0.0, 60.0, n, endpoint=False)
    site = corridor_site(60.0, 3.0, steps_from_m=20.0, steps_width_m=BOTTLENECK_WIDTH_M)
    walked = simulate_crowd(site, corridor_trips(start, np.full(n, 1.34)), _config())
    queues = walked.queues
    passed_s = np.sort(queues.joined_s + queues.wait_s)
    queued = queues.ahead > 1
    busy = passed_s[queued[np.argsort(queues.joined_s + queues.wait_s)]]
    outflow = (busy.size - 1) / (busy[-1] - busy[0]) if busy.size > 2 else 0.0
    error = abs(outflow - capacity_ped_s) / capacity_ped_s
    return [
        Check(
            "bottleneck: longest queue, walkers",
            float(queues.ahead.max()),
            "> 1 (a queue forms when demand exceeds capacity)",
            bool(queues.ahead.max() > 1),
            f"{n} walkers in 60 s into steps {BOTTLENECK_WIDTH_M:g} m wide",
        ),
        Check(
            "bottleneck: outflow while queued, ped/s",
            outflow,
            f"{capacity_ped_s:.2f} ped/s within {BOTTLENECK_TOLERANCE:.0%} (SFPE stairs)",
            error <= BOTTLENECK_TOLERANCE,
            "passages per second while a queue stood",
        ),
        Check(
            "bottleneck: queue clears, s after the feed stops",
            float(passed_s[-1] - 60.0),
            "every walker through (finite)",
            bool(len(queues) == n and np.isfinite(passed_s[-1])),
            f"{len(queues)} of {n} passed",
        ),
    ]


def run_checks() -> list[Check]:
    """Every validation check."""
    return [rimea_1(), *fundamental_diagram(), *bottleneck()]
