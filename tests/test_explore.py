from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from factories import make_publication
from fragmap.explore import compare_months, plot_choropleth, quarter_figures, trend

matplotlib.use("Agg")


def test_quarter_figures_match_the_publication_cells() -> None:
    pub = make_publication(seed=3)
    gdf = quarter_figures(pub, category="anziani", window=12)
    assert len(gdf) == 9 and gdf.crs.to_epsg() == 4326
    cells = pub.cells(month=pub.month, window=12, level="quarter", category="anziani").set_index("area_id")
    for row in gdf.itertuples():
        expected = cells.loc[row.area_id, "value"]
        assert (math.isnan(row.value) and math.isnan(expected)) or row.value == expected
    # suppressed quarters carry no figure at all
    assert gdf.loc[gdf.suppressed, ["value", "rate_per_1000"]].isna().all().all()


def test_compare_months_differences_only_where_both_shown() -> None:
    pub = make_publication(seed=4)
    a, b = pub.months[-2], pub.months[-1]
    cmp = compare_months(pub, a, b, window=1, category="disabilita")
    both = cmp[f"value_{a}"].notna() & cmp[f"value_{b}"].notna()
    assert (cmp.loc[both, "difference"] == cmp.loc[both, f"value_{b}"] - cmp.loc[both, f"value_{a}"]).all()
    assert cmp.loc[~both, "difference"].isna().all()


def test_refuses_anything_but_a_publication() -> None:
    pub = make_publication()
    with pytest.raises(TypeError, match="Publication"):
        quarter_figures(pub.table)  # type: ignore[arg-type]


def test_plot_choropleth_draws_every_quarter() -> None:
    pub = make_publication(seed=5)
    ax = plot_choropleth(pub, category="anziani", window=1)
    n_patches = sum(len(c.get_paths()) for c in ax.collections)
    assert n_patches == 9
    assert "dicembre 2026" in ax.get_title()


def test_trend_has_one_row_per_month() -> None:
    pub = make_publication(seed=6)
    tr = trend(pub, "Pavia", window=12)
    assert list(tr.index) == list(pub.months)
    assert "totale" in tr.columns
