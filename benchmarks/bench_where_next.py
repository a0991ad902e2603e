"""Where next: greedy ranking vs the exact optimum (coverage and times), on the demo and a synthetic network.

The demo: the shipped project (synthetic reports over real Pavia and Vigevano), help desks
as today, candidates as ``Project.where_next`` chooses them. The network instance: 2,000
reports in clusters over a 40 × 40 street grid (70 m blocks), node candidates. For k = 1, 2,
3, 5 it prints the reports the greedy set and the optimal set reach, and the time of each.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402
from bench_access import grid_graph  # noqa: E402

from fragmap import access  # noqa: E402


def compare(label: str, pts: gpd.GeoDataFrame, candidates: object, current: pd.Series, **kw: object) -> None:
    for k in (1, 2, 3, 5):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            best = access.where_next(pts, candidates, current, k=k, **kw)  # type: ignore[arg-type]
        total = time.perf_counter() - t0
        a = best.attrs
        opt = a["optimal_covered"]
        share = f"{100 * a['greedy_covered'] / opt:5.1f}%" if opt else "   — "
        print(f"  {label:<10} k={k}  uncovered {a['uncovered']:>5}  greedy {a['greedy_covered']:>5}  "
              f"optimal {opt if opt is not None else '—':>5}  greedy/optimal {share}  "
              f"exact solve {a['optimal_seconds']:6.3f} s  where_next total {total:6.3f} s  [{a['optimal_status']}]")


def demo() -> None:
    from fragmap.pipeline import Project

    with tempfile.TemporaryDirectory() as tmp:
        project = Project(demo_settings(Path(tmp)))
        timed("demo: ingest and geocode", lambda: (project.ingest(), project.assigned(project.latest_month())))
        s = project.settings.access
        pts = project.window_points()
        speeds = access.walking_speeds(pts["category"], speed_ms=s.walking_speed_kmh / 3.6,
                                       elderly_speed_ms=s.elderly_speed_ms)
        times = access.access_times(pts, project.help_desk_services(), graph=project.street_network(), speed_ms=speeds,
                                    detour_factor=s.detour_factor)
        current = times.filter(like="min_").min(axis=1)
        flat = access.access_times(pts, project.help_desk_services(), graph=project.street_network(), speed_ms=s.walking_speed_kmh / 3.6,
                                   detour_factor=s.detour_factor).filter(like="min_").min(axis=1)
        print(f"    {len(pts):,} reports; uncovered at 15 minutes: {int((current > 15).sum()):,} with 0.8 m/s for "
              f"anziani, {int((flat > 15).sum()):,} if everybody walked at 4.5 km/h")
        cands = access.area_candidates(project.publication().areas)
        kw = {"graph": project.street_network(), "minutes": 15, "speed_ms": s.walking_speed_kmh / 3.6,
              "elderly_speed_ms": s.elderly_speed_ms, "detour_factor": s.detour_factor, "within": project.load_boundaries()}
        compare("areas", pts, cands, current, **kw)
        compare("services", pts, project.locate_services()[~project.locate_services()["type"].isin(["sportello", "centro"])],
                current, **kw)


def network() -> None:
    rng = np.random.default_rng(11)
    g = grid_graph(n=40, step=70.0)
    span = 39 * 70.0
    centres = rng.random((12, 2)) * span
    which = rng.integers(0, len(centres), 2000)
    xy = centres[which] + rng.normal(0, 180.0, (2000, 2))
    xy = np.clip(xy, 0, span) + [510000.0, 5000000.0]
    pts = gpd.GeoDataFrame({"category": rng.choice(["anziani", "disabilita", "fragilita_economica"], 2000)},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=32632)
    desks = gpd.GeoDataFrame({"type": ["sportello"] * 2, "name": ["A", "B"]},
                             geometry=gpd.points_from_xy([510300.0, 512400.0], [5000300.0, 5002400.0]), crs=32632)
    speeds = access.walking_speeds(pts["category"], speed_ms=4.5 / 3.6, elderly_speed_ms=0.8)
    current = access.access_times(pts, desks, graph=g, speed_ms=speeds)["min_sportello"]
    print(f"    network: {g.number_of_nodes():,} nodes, {len(pts):,} reports, {int((current > 10).sum()):,} uncovered at 10 minutes")
    compare("network", pts, "nodes", current, graph=g, minutes=10, node_spacing_m=140.0)


if __name__ == "__main__":
    demo()
    network()
