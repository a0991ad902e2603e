"""Quarters: assign + aggregate 1,000,000 reports over 100 quarters (goal < 3 s), printing figures.

The 100 quarters are street-list style polygons (Voronoi cells of 100 seeds, dissolved
and clipped to the real Pavia boundary, then checked) — irregular shapes like a real
quarter file. Reports: 1,000,000 points (95% inside the quarters, 3% without
coordinates, 2% far away), 24 months, the project's categories/partners/actions.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, demo_settings, timed  # noqa: E402

from fragmap.aggregate import count_cube  # noqa: E402
from fragmap.io.geo import read_boundaries  # noqa: E402
from fragmap.quarters import assign_reports, quarters_from_points, unassigned_reports  # noqa: E402

N_REPORTS = 1_000_000
N_QUARTERS = 100


def make_quarters(comuni: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    pv = comuni[comuni["name"] == "Pavia"]
    poly = pv.to_crs(32632).geometry.iloc[0]
    minx, miny, maxx, maxy = poly.bounds
    seeds = []
    while len(seeds) < N_QUARTERS:
        x, y = minx + rng.random() * (maxx - minx), miny + rng.random() * (maxy - miny)
        if poly.contains(gpd.points_from_xy([x], [y])[0]):
            seeds.append((x, y))
    pts = gpd.GeoDataFrame({"quartiere": [f"Q{i:03d}" for i in range(N_QUARTERS)], "town": "Pavia"},
                           geometry=gpd.points_from_xy(*zip(*seeds)), crs=32632)
    q, _ = quarters_from_points(pts, pv, with_check=True)
    return q


def make_reports(quarters: gpd.GeoDataFrame, settings, rng: np.random.Generator) -> pd.DataFrame:
    import shapely

    minx, miny, maxx, maxy = quarters.total_bounds
    area = shapely.union_all(quarters.geometry.to_numpy())
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < N_REPORTS:  # uniform inside the quarters (rejection sampling)
        x = minx + rng.random(N_REPORTS) * (maxx - minx)
        y = miny + rng.random(N_REPORTS) * (maxy - miny)
        inside = shapely.contains_xy(area, x, y)
        lon, lat = np.append(lon, x[inside]), np.append(lat, y[inside])
    lon, lat = lon[:N_REPORTS], lat[:N_REPORTS]
    far = rng.random(N_REPORTS) < 0.02
    lon[far] += 1.0
    missing = rng.random(N_REPORTS) < 0.03
    lon[missing] = np.nan
    lat[missing] = np.nan
    months = [str(pd.Period("2026-10", freq="M") - i) for i in range(24)]
    pairs = [(c.code, p) for c in settings.categories for p in c.partners]
    pick = rng.integers(0, len(pairs), N_REPORTS)
    return pd.DataFrame({
        "report_id": np.arange(N_REPORTS).astype(str),
        "partner": np.array([p for _, p in pairs])[pick],
        "category": np.array([c for c, _ in pairs])[pick],
        "action": rng.choice(np.array(settings.actions), N_REPORTS),
        "month": rng.choice(np.array(months), N_REPORTS),
        "town": "Pavia",
        "lat": lat, "lon": lon,
        "match_level": np.where(missing, "non_trovato", "civico"),
        "quartiere": pd.NA,
        "source_file": "bench.csv",
        "source_row": np.arange(2, N_REPORTS + 2),
    })


def main() -> None:
    rng = np.random.default_rng(7)
    settings = demo_settings(Path(tempfile.mkdtemp()))
    comuni = read_boundaries(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson", towns=("Pavia",))
    quarters, _ = timed(f"build {N_QUARTERS} street-list quarters over Pavia", lambda: make_quarters(comuni, rng))
    reports, _ = timed(f"make {N_REPORTS:,} synthetic reports", lambda: make_reports(quarters, settings, rng))
    months = sorted(reports["month"].unique())
    ids, t_assign = timed("assign reports to quarters (vectorised point in polygon)",
                          lambda: assign_reports(reports, quarters))
    reports["quarter_id"] = ids
    cube, t_cube = timed("aggregate: counts cube (24 months, zeros included)",
                         lambda: count_cube(reports, quarters, settings, months=months))
    total = t_assign + t_cube
    print(f"    {len(quarters)} quarters, {ids.notna().sum():,} assigned, {ids.isna().sum():,} without a quarter, "
          f"{len(cube):,} cube rows, {int(cube['count'].sum()):,} counted")
    print(f"{'assign + aggregate (goal < 3 s)':<60} {total:8.2f} s  {'OK' if total < 3 else 'SLOW'}")
    u, _ = timed("unassigned reports of the 12-month window, by reason",
                 lambda: unassigned_reports(reports, months=months[-12:]))
    print("    " + "; ".join(u.lines("en")))


if __name__ == "__main__":
    main()
