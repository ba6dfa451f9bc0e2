"""Benchmark: importing the King's Cross extract with `twin site import`, on this machine.

Prints the import's wall time against the issue's target (under 30 s), as a real process (imports
included) and in-process, beside a baseline measured in the same process (loading the shipped map
with ``load_site``: the validation the import ends with), and the imported map's area, walkway
length, gateway and destination counts against today's shipped map, with and without the overlay.

    python benchmarks/bench_import.py                     # the shared extract beside the clone
    python benchmarks/bench_import.py --json
    python benchmarks/bench_import.py --osm city.osm.pbf --boundary site.geojson
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_IMPORT_S = 30.0
_REFERENCE = [ROOT.parent / "shared" / "reference", ROOT.parent.parent / "shared" / "reference"]


def reference(name: str) -> Path:
    """A file of the shared reference data beside the clone (or one folder further up)."""
    for folder in _REFERENCE:
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"no {name} in {' or '.join(map(str, _REFERENCE))}; pass --osm/--boundary")


def figures(site: Any) -> dict[str, Any]:
    """Area, walkway length (all, and inside the boundary), entrances and cameras of a site."""
    import shapely

    inside = shapely.intersection(shapely.union_all(list(site.walkways)), site.boundary).length
    return {
        "area_ha": round(site.area_ha, 2),
        "walkway_edges": len(site.walkways),
        "walkway_length_m": round(float(sum(w.length for w in site.walkways)), 1),
        "walkway_length_inside_m": round(float(inside), 1),
        "walk_graph_nodes": site.walk_graph.number_of_nodes(),
        "buildings": len(site.buildings),
        "gateways": len(site.gateways),
        "destinations": len(site.destinations),
        "cameras": len(site.cameras),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--osm", type=Path, default=None)
    parser.add_argument("--boundary", type=Path, default=None)
    parser.add_argument(
        "--overlay", type=Path, default=ROOT / "site_maps/kings_cross_overlay.geojson"
    )
    parser.add_argument("--map", type=Path, default=ROOT / "site_maps/kings_cross.geojson")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    osm = args.osm or reference("kings_cross_osm.geojson")
    boundary = args.boundary or reference("kings_cross_boundary.geojson")

    from twin.site.model import load_site
    from twin.site.osm.importer import import_site

    began = time.perf_counter()
    today = load_site(args.map)
    baseline_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "site.geojson"
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "twin",
                "site",
                "import",
                str(osm),
                "--boundary",
                str(boundary),
                "--out",
                str(out),
                "--overlay",
                str(args.overlay),
                "--json",
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        process_s = time.perf_counter() - began
        with_overlay = import_site(osm, boundary, out, overlay=args.overlay)
        plain = import_site(osm, boundary, Path(scratch) / "plain.geojson")
    result = {
        "extract": str(osm),
        "target_import_s": TARGET_IMPORT_S,
        "import_process_s": round(process_s, 2),
        "import_s": round(with_overlay.wall_s, 2),
        "import_plain_s": round(plain.wall_s, 2),
        "baseline_load_site_s": round(baseline_s, 2),
        "import_over_load_site": round(with_overlay.wall_s / baseline_s, 2),
        "today": figures(today),
        "imported_with_overlay": figures(with_overlay.site),
        "imported_plain": figures(plain.site),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"import of {osm.name}: {result['import_process_s']:.1f} s as a process, "
        f"{result['import_s']:.1f} s in-process (target < {TARGET_IMPORT_S:.0f} s); "
        f"{result['import_over_load_site']:.1f}x loading the shipped map ({baseline_s:.2f} s)"
    )
    keys = list(result["today"])
    print(f"{'figure':<26}{'today':>12}{'overlay':>12}{'plain':>12}")
    for key in keys:
        row = [result[k][key] for k in ("today", "imported_with_overlay", "imported_plain")]
        print(f"{key:<26}" + "".join(f"{value:>12,}" for value in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
