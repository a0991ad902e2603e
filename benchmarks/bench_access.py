"""Walking access: 100,000 report points over a 20,000-node street network, 3 service types (goal < 10 s)."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed  # noqa: E402

from fragmap.access import access_times  # noqa: E402


def grid_graph(n: int = 142, step: float = 70.0) -> nx.MultiDiGraph:
    """A synthetic n x n street grid (about 20,000 nodes) near Pavia, EPSG:32632."""
    g = nx.MultiDiGraph(crs="EPSG:32632")
    x0, y0 = 510000.0, 5000000.0
    for i in range(n):
        for j in range(n):
            g.add_node(i * n + j, x=x0 + j * step, y=y0 + i * step)
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                g.add_edge(i * n + j, i * n + j + 1, length=step)
            if i + 1 < n:
                g.add_edge(i * n + j, (i + 1) * n + j, length=step)
    return g


def main() -> None:
    rng = np.random.default_rng(5)
    g, _ = timed("build a synthetic 20,000-node grid", grid_graph)
    span = 141 * 70.0
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(510000 + rng.random(100_000) * span,
                                                       5000000 + rng.random(100_000) * span), crs=32632)
    svc = gpd.GeoDataFrame({"type": rng.choice(["pharmacy", "school", "sportello"], 50), "name": "s"},
                           geometry=gpd.points_from_xy(510000 + rng.random(50) * span, 5000000 + rng.random(50) * span),
                           crs=32632)
    print(f"    {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, {len(pts):,} points, {len(svc)} services")
    t, _ = timed("access times over the network (one Dijkstra per type)", lambda: access_times(pts, svc, graph=g))
    print(f"    median minutes to a pharmacy: {t['min_pharmacy'].median():.1f}")
    timed("access times, straight-line fallback", lambda: access_times(pts, svc, graph=None))
    # coverage of people: 100 areas of the grid, 50,000 homes (or a 100 m uniform grid), 15 min at 0.8 m/s
    import shapely

    from fragmap.residents import resident_coverage

    side = span / 10
    cells = [shapely.box(510000 + i * side, 5000000 + j * side, 510000 + (i + 1) * side, 5000000 + (j + 1) * side)
             for i in range(10) for j in range(10)]
    areas = gpd.GeoDataFrame({"area_id": [f"A{k}" for k in range(100)], "name": "a", "town": "T", "level": "quarter",
                              "pop_65": 300.0}, geometry=cells, crs=32632)
    homes = gpd.GeoDataFrame({"area_m2": rng.uniform(60, 600, 50_000), "levels": rng.integers(1, 6, 50_000)},
                             geometry=gpd.points_from_xy(510000 + rng.random(50_000) * span,
                                                         5000000 + rng.random(50_000) * span), crs=32632)
    cov, _ = timed("residents' coverage, 50,000 homes in 100 areas",
                   lambda: resident_coverage(areas, svc, buildings=homes, graph=g))
    print(f"    residents 65+ beyond 15 min of a sportello: {cov['share_beyond'].iloc[-1]:.0%}")
    timed("residents' coverage, uniform 100 m grid", lambda: resident_coverage(areas, svc, graph=g))


if __name__ == "__main__":
    main()
