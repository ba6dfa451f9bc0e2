"""The camera graph: cameras linked by the walks people actually make between them.

Each simulated walker passes a sequence of cameras (`twin.crowd.walking.Passes`, in time order). Two
consecutive passes of one walker, at camera A and then at a different camera B, are one *transition*
A -> B, and the time between the two best moments is its transit time. The graph (a networkx
``DiGraph``) has a node per camera (position, heading, whether it is recognition-capable, passes) and
an edge per observed A -> B with the number of transitions and the transit-time distribution: mean
and standard deviation, percentiles, and a log-normal fit (``log_mean``, ``log_sd`` of ln seconds).
Later work merges repeat alerts of one person with it: an alert at B soon after one at A is the same
person when the gap is likely under A -> B's distribution.

It is exported as JSON (networkx node-link data) or GraphML; `twin cameras graph` draws it over
the site.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt

from twin.crowd.walking import Passes

if TYPE_CHECKING:
    from twin.site.model import Site

FloatArray = npt.NDArray[np.float64]

#: Transit-time percentiles kept on every edge, as ``transit_pNN_s`` attributes.
TRANSIT_PERCENTILES: Final = (5, 25, 50, 75, 95)
#: Formats :func:`write_graph` writes, by file suffix.
GRAPH_FORMATS: Final = (".json", ".graphml")


def camera_graph(site: Site, passes: Passes, *, min_transitions: int = 1) -> nx.DiGraph:
    """Build the camera graph of ``site`` from simulated ``passes``; edges seen fewer than
    ``min_transitions`` times are left out. Transit times in seconds."""
    graph = nx.DiGraph(site=site.name, crs=site.crs)
    seen = np.bincount(passes.camera, minlength=len(site.cameras))
    for index, node in enumerate(site.cameras):
        graph.add_node(
            node.camera_id,
            name=node.name,
            x_m=node.x_m,
            y_m=node.y_m,
            heading_deg=node.heading_deg,
            recognition_capable=node.recognition_capable,
            passes=int(seen[index]),
        )
    if len(passes) < 2:
        return graph
    order = np.lexsort((passes.best_s, passes.pedestrian))
    walker = passes.pedestrian[order]
    camera = passes.camera[order]
    best_s = passes.best_s[order]
    follows = (walker[1:] == walker[:-1]) & (camera[1:] != camera[:-1])
    origin, target = camera[:-1][follows], camera[1:][follows]
    transit_s = (best_s[1:] - best_s[:-1])[follows]
    if transit_s.size == 0:
        return graph
    pair = origin * len(site.cameras) + target
    order = np.lexsort((transit_s, pair))
    pair, transit_s = pair[order], transit_s[order]
    codes, first, counts = np.unique(pair, return_index=True, return_counts=True)
    for code, start, count in zip(codes.tolist(), first.tolist(), counts.tolist(), strict=True):
        if count < min_transitions:
            continue
        times = transit_s[start : start + count]
        a, b = divmod(code, len(site.cameras))
        graph.add_edge(
            site.cameras[a].camera_id, site.cameras[b].camera_id, **_transit_figures(times)
        )
    return graph


def _transit_figures(times_s: FloatArray) -> dict[str, float | int]:
    """Count, mean, sd, percentiles and log-normal fit of sorted transit times (s)."""
    logs = np.log(np.maximum(times_s, 1e-3))
    figures: dict[str, float | int] = {
        "transitions": int(times_s.size),
        "transit_mean_s": float(times_s.mean()),
        "transit_sd_s": float(times_s.std()),
        "transit_min_s": float(times_s[0]),
        "transit_max_s": float(times_s[-1]),
        "log_mean": float(logs.mean()),
        "log_sd": float(logs.std()),
    }
    for pct, value in zip(
        TRANSIT_PERCENTILES, np.percentile(times_s, TRANSIT_PERCENTILES), strict=True
    ):
        figures[f"transit_p{pct:02d}_s"] = float(value)
    return figures


def graph_document(graph: nx.DiGraph) -> dict[str, Any]:
    """The graph as JSON-ready node-link data (``nodes``, ``edges``, ``graph`` attributes)."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def write_graph(graph: nx.DiGraph, path: Path) -> None:
    """Write the graph as JSON (node-link) or GraphML, by ``path``'s suffix."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(graph_document(graph), indent=1) + "\n", encoding="utf-8")
    elif suffix == ".graphml":
        nx.write_graphml(graph, path)
    else:
        raise ValueError(
            f"graph file must end in one of {', '.join(GRAPH_FORMATS)}, not {suffix!r}"
        )


def read_graph(path: Path) -> nx.DiGraph:
    """Read a graph written by :func:`write_graph`."""
    if path.suffix.lower() == ".graphml":
        graph: nx.DiGraph = nx.read_graphml(path)
        return graph
    data = json.loads(path.read_text(encoding="utf-8"))
    read: nx.DiGraph = nx.node_link_graph(data, directed=True, edges="edges")
    return read
