"""Officers: where they wait, where the system sends them, and whether they find the person.

Officer **posts** are places on the site's walk graph (an entrance, a walk-graph node, or a point
within 30 m of a walkway: :func:`resolve_posts` refuses anything else with one line). When an alert is
judged credible, the system predicts where the person went using only what it knows: the alert's
camera, its capture time and the walk graph. Faces are seen from the front, so the person was
walking towards the camera; the predicted walk follows the walkway closest to that direction at each
junction (:func:`predicted_path`). The free officer who can reach a point of that walk soonest,
before the person is predicted there, is sent (:func:`plan_intercept`).

Whether the officer finds the person is the simulation's business (:func:`search`): it knows where
the person really is (:class:`Whereabouts`: the walk as it happened, `twin.crowd.trajectories.WalkWhereabouts`), and the
officer finds them if they come within the sighting radius while still on the site.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point

from twin.errors import ScenarioError
from twin.recognition.deployment import Deployment
from twin.scenario import PostConfig, ResponseConfig
from twin.site.model import Site
from twin.site.walkgraph import ENTRANCE_SNAP_M, route_line

if TYPE_CHECKING:
    pass

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Why an officer did not find the person.
LEFT_SITE: Final = "left_site"
NOT_FOUND: Final = "not_found"
#: A post given by position must lie this close to the walk graph, m (as entrances: 30 m).
POST_SNAP_M: Final = ENTRANCE_SNAP_M
#: Officers at the default post (when the scenario names none).
DEFAULT_POST_OFFICERS: Final = 2
#: Time step at which an officer's search is checked against the person's real position, s.
SEARCH_STEP_S: Final = 1.0
#: A predicted walk never turns back by more than this at a junction, degrees.
MAX_TURN_DEG: Final = 90.0


class Whereabouts(Protocol):
    """Where a pedestrian really is (ground truth, for judging an interception)."""

    def track(self, pedestrian: int, times_s: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Positions (n, 2) in metres at ``times_s``, and whether they are on the site then."""
        ...


@dataclass(frozen=True)
class Post:
    """An officer post resolved on the walk graph: its node, and the walk from the post to it (m)."""

    name: str
    node: int
    x_m: float
    y_m: float
    offset_m: float
    officers: int


def _nearest_node(graph: nx.Graph, point: Point) -> tuple[int, float, float]:
    """The walk-graph node nearest ``point`` along its nearest edge: (node, walk from the point to
    the node in m, distance from the point to the walk graph in m)."""
    edges = list(graph.edges(data="geometry"))
    tree = shapely.STRtree([geometry for _, _, geometry in edges])
    u, v, geometry = edges[int(tree.nearest(point))]
    gap_m = float(geometry.distance(point))
    ends = {
        n: math.dist((graph.nodes[n]["x"], graph.nodes[n]["y"]), (point.x, point.y)) for n in (u, v)
    }
    node = min(ends, key=lambda n: ends[n])
    return int(node), ends[node], gap_m


def _resolve_post(site: Site, index: int, post: PostConfig) -> Post:
    label = f"response.posts.{index}"
    graph = site.walk_graph
    if post.entrance is not None:
        try:
            entrance = site.entrance(post.entrance)
        except KeyError:
            known = ", ".join(e.entrance_id for e in site.entrances)
            raise ScenarioError(
                f"{label}.entrance: no entrance {post.entrance!r} on this site map; allowed: {known}"
            ) from None
        node = entrance.node
        x_m, y_m = entrance.x_m, entrance.y_m
        offset_m = math.dist((x_m, y_m), (graph.nodes[node]["x"], graph.nodes[node]["y"]))
    elif post.node is not None:
        if post.node not in graph:
            raise ScenarioError(
                f"{label}.node: no walk-graph node {post.node}; allowed: 0 to {max(graph.nodes)}"
            )
        node, offset_m = post.node, 0.0
        x_m, y_m = float(graph.nodes[node]["x"]), float(graph.nodes[node]["y"])
    else:
        assert post.x_m is not None and post.y_m is not None  # one place: validated by the schema
        x_m, y_m = post.x_m, post.y_m
        node, offset_m, gap_m = _nearest_node(graph, Point(x_m, y_m))
        if gap_m > POST_SNAP_M:
            raise ScenarioError(
                f"{label}: ({x_m:.0f}, {y_m:.0f}) is {gap_m:.0f} m from the walk graph; "
                f"allowed: within {POST_SNAP_M:.0f} m of it"
            )
    return Post(post.name or f"post {index + 1}", int(node), x_m, y_m, offset_m, post.officers)


def resolve_posts(site: Site, config: ResponseConfig, recognition: BoolArray) -> tuple[Post, ...]:
    """The scenario's officer posts on the site's walk graph (ScenarioError naming a bad one).

    No posts named: one post of two officers at the node nearest the recognition cameras' centre.
    """
    if config.posts:
        return tuple(_resolve_post(site, i, post) for i, post in enumerate(config.posts))
    watched = [c for c, on in zip(site.cameras, recognition, strict=True) if on] or list(
        site.cameras
    )
    if watched:
        centre = Point(np.mean([c.x_m for c in watched]), np.mean([c.y_m for c in watched]))
    else:
        centre = site.boundary.centroid
    node, _, _ = _nearest_node(site.walk_graph, centre)
    nx_, ny_ = site.walk_graph.nodes[node]["x"], site.walk_graph.nodes[node]["y"]
    return (Post("default post", node, float(nx_), float(ny_), 0.0, DEFAULT_POST_OFFICERS),)


def predicted_path(
    graph: nx.Graph, anchor: int, bearing_deg: float, length_m: float
) -> list[tuple[int, float]]:
    """Where the system predicts a person seen by a camera walks next: from the camera's anchor,
    along the walkway closest to their walking direction (``bearing_deg``, compass), never turning
    back more than 90 degrees, for ``length_m``. Returns ``(node, metres from the anchor)``."""
    path = [(anchor, 0.0)]
    node, heading, walked, visited = anchor, bearing_deg, 0.0, {anchor}
    while walked < length_m:
        x0, y0 = graph.nodes[node]["x"], graph.nodes[node]["y"]
        best: tuple[float, int, float] | None = None
        for neighbour in graph.neighbors(node):
            if neighbour in visited:
                continue
            x1, y1 = graph.nodes[neighbour]["x"], graph.nodes[neighbour]["y"]
            bearing = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
            turn = abs((bearing - heading + 180.0) % 360.0 - 180.0)
            if turn <= MAX_TURN_DEG and (best is None or turn < best[0]):
                best = (turn, int(neighbour), bearing)
        if best is None:
            break
        _, following, heading = best
        walked += float(graph.edges[node, following]["length_m"])
        node = following
        visited.add(node)
        path.append((node, walked))
    return path


def plan_intercept(
    graph: nx.Graph,
    posts: Sequence[Post],
    routes: Sequence[tuple[dict[int, float], dict[int, list[int]]]],
    free: Sequence[tuple[int, int]],
    path: Sequence[tuple[int, float]],
    *,
    now_s: float,
    seen_s: float,
    officer_speed_m_s: float,
    walk_speed_m_s: float,
) -> tuple[int, LineString] | None:
    """The officer and the walk that meet the predicted person soonest: the earliest point of the
    predicted path an officer reaches before the person is predicted there; failing that, the point
    where the officer is least late. None if no officer is free (or none can reach the path)."""
    best: tuple[tuple[int, float], int, int, int] | None = None
    for officer, p in free:
        lengths, _ = routes[p]
        for node, along_m in path:
            if node not in lengths:
                continue
            officer_s = now_s + (posts[p].offset_m + lengths[node]) / officer_speed_m_s
            late_s = officer_s - (seen_s + along_m / walk_speed_m_s)
            key = (0, officer_s) if late_s <= 0 else (1, late_s)
            if best is None or key < best[0]:
                best = (key, officer, p, node)
    if best is None:
        return None
    _, officer, p, node = best
    post = posts[p]
    target = graph.nodes[node]
    walk = route_line(
        graph, routes[p][1][node], Point(post.x_m, post.y_m), Point(target["x"], target["y"])
    )
    return officer, walk


def search(
    whereabouts: Whereabouts,
    pedestrian: int,
    walk: LineString,
    *,
    dispatched_s: float,
    until_s: float,
    speed_m_s: float,
    radius_m: float,
) -> tuple[float | None, str]:
    """When (s) the officer walking ``walk`` from ``dispatched_s`` (then waiting at its end until
    ``until_s``) first has the person within ``radius_m`` while on the site; or None and why not."""
    times = np.arange(dispatched_s, until_s + SEARCH_STEP_S, SEARCH_STEP_S)
    officer = shapely.get_coordinates(
        shapely.line_interpolate_point(
            walk, np.clip((times - dispatched_s) * speed_m_s, 0.0, walk.length)
        )
    )
    person, on_site = whereabouts.track(pedestrian, times)
    near = on_site & (np.hypot(*(person - officer).T) <= radius_m)
    if near.any():
        return float(times[int(np.argmax(near))]), ""
    return None, NOT_FOUND if on_site[-1] else LEFT_SITE


def check_posts(deployment: Deployment, config: ResponseConfig) -> None:
    """Refuse officer posts that are not on the site's walk graph (ScenarioError, exit code 2)."""
    resolve_posts(deployment.site, config, deployment.recognition)
