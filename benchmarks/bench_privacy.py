"""Suppression speed: publish() on 100 quarters x 24 months x every category, partner and action."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, timed  # noqa: E402

from fragmap.pipeline import month_range  # noqa: E402
from fragmap.privacy import publish  # noqa: E402
from fragmap.settings import default_settings, load_settings  # noqa: E402


def main() -> None:
    demo = load_settings(ROOT / "fragmap.toml")  # the demo network: the library names no town
    s = default_settings(ROOT).replace(towns=demo.towns, partners=demo.partners, categories=demo.categories)
    rng = np.random.default_rng(2)
    n = 100
    q = gpd.GeoDataFrame({"quarter_id": [f"Q{i:03d}" for i in range(n)], "name": [f"Q{i}" for i in range(n)],
                          "town": ["Pavia" if i < 50 else "Vigevano" for i in range(n)],
                          "population": rng.integers(300, 4000, n).astype(float), "pop_65": 100.0,
                          "population_estimated": True, "source": "griglia"},
                         geometry=[box(9.0 + 0.01 * (i % 10), 45.1 + 0.01 * (i // 10), 9.01 + 0.01 * (i % 10),
                                       45.11 + 0.01 * (i // 10)) for i in range(n)], crs=4326)
    months = month_range("2026-10", 24)
    rows = [(qq, t, m, c.code, p, a) for qq, t in zip(q.quarter_id, q.town) for m in months
            for c in s.categories for p in c.partners for a in s.actions]
    cube = pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action"])
    cube["count"] = rng.poisson(0.3, len(cube))
    print(f"    cube: {len(cube):,} cells, {cube['count'].sum():,} reports")
    pub, _ = timed("publish (merge small areas, windows, primary + complementary)",
                   lambda: publish(cube, q, s, months=month_range("2026-10", 12), synthetic=True, quarter_source="griglia"))
    t = pub.table
    print(f"    {len(t):,} published cells, {int(t['suppressed'].sum()):,} suppressed "
          f"({int((t['reason'] == 'secondary').sum()):,} complementary)")


if __name__ == "__main__":
    main()
