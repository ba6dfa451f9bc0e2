"""The package's import graph: no module imports itself back through others.

grimp (what import-linter uses) reads every import statement in ``twin``, those under
``TYPE_CHECKING`` and inside functions included; the layer contracts themselves are in pyproject.toml
and run by ``lint-imports``.
"""

from __future__ import annotations

import grimp
import networkx as nx


def import_graph() -> nx.DiGraph:
    """Modules of ``twin`` and which of them each imports."""
    graph = grimp.build_graph("twin", cache_dir=None)
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    return edges


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 100 and graph.number_of_edges() > 300  # it read the package
    cycles = [sorted(component) for component in nx.strongly_connected_components(graph)]
    tangled = [component for component in cycles if len(component) > 1]
    assert not tangled, f"import cycles among: {tangled}"
