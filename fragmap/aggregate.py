"""Aggregates: the private counts cube, indicators (rates, rolling totals, trends, shares) and the index.

:func:`count_cube` is the one table everything downstream reads: counts by
quarter x month x category x partner x action, zeros included. It is PRIVATE
(unsuppressed); :func:`fragmap.privacy.publish` turns it into what may be shown.
:func:`indicators` derives the figures planners explore in notebooks (private too).

Example
-------
>>> cube = count_cube(assigned, quarters, settings, months=["2026-09", "2026-10"])   # doctest: +SKIP
>>> ind = indicators(cube, quarters)                                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fragmap.publication import TOTAL
from fragmap.settings import Settings

CUBE_COLUMNS = ("quarter_id", "town", "month", "category", "partner", "action", "count")


def count_cube(
    reports: pd.DataFrame, quarters: pd.DataFrame, settings: Settings, *, months: Sequence[str]
) -> pd.DataFrame:
    """Counts by quarter x month x category x partner x action, with every zero present.

    Parameters
    ----------
    reports : DataFrame
        Reports with ``quarter_id`` (NA = not placed: left out and counted by the caller),
        ``month``, ``category``, ``partner``, ``action``.
    quarters : DataFrame
        ``quarter_id`` and ``town`` of every quarter.
    settings : Settings
        Categories with their partners, and actions.
    months : sequence of str
        The months to cover (``YYYY-MM``); reports of other months are left out.

    Returns
    -------
    DataFrame
        Columns :data:`CUBE_COLUMNS`; ``count`` is int.
    """
    pairs = {(c.code, p) for c in settings.categories for p in c.partners}
    r = reports[reports["quarter_id"].notna() & reports["month"].isin(list(months))]
    pairs |= set(zip(r["category"].astype(str), r["partner"].astype(str)))
    actions = sorted(set(settings.actions) | set(r["action"].astype(str)))
    combos = pd.DataFrame(sorted(pairs), columns=["category", "partner"]).merge(
        pd.DataFrame({"action": actions}), how="cross"
    )
    frame = (
        quarters[["quarter_id", "town"]]
        .merge(pd.DataFrame({"month": list(months)}), how="cross")
        .merge(combos, how="cross")
    )
    counts = (
        r.astype({"quarter_id": str, "category": str, "partner": str, "action": str})
        .groupby(["quarter_id", "month", "category", "partner", "action"])
        .size()
        .rename("count")
        .reset_index()
    )
    cube = frame.merge(counts, on=["quarter_id", "month", "category", "partner", "action"], how="left")
    cube["count"] = cube["count"].fillna(0).astype(int)
    return cube.sort_values(["quarter_id", "month", "category", "partner", "action"]).reset_index(drop=True)[list(CUBE_COLUMNS)]


def indicators(cube: pd.DataFrame, quarters: pd.DataFrame) -> pd.DataFrame:
    """Per quarter x month x category (and ``totale``): count, rates, rolling totals, trend, share.

    Columns: ``quarter_id, town, month, category, count, r3, r12, rate_per_1000,
    rate12_per_1000, rate_per_1000_65`` (for ``anziani``: per 1,000 residents aged 65+,
    12-month window), ``change_yoy`` (12-month total against the same window a year
    before; NaN without a full year of history or a zero base), ``share_of_town``
    (of the town's 12-month total). PRIVATE: not suppressed.
    """
    g = cube.groupby(["quarter_id", "town", "month", "category"], as_index=False)["count"].sum()
    tot = g.groupby(["quarter_id", "town", "month"], as_index=False)["count"].sum().assign(category=TOTAL)
    g = pd.concat([g, tot], ignore_index=True).sort_values(["quarter_id", "category", "month"])
    months = sorted(cube["month"].unique())
    g["m"] = g["month"].map({m: i for i, m in enumerate(months)})
    key = ["quarter_id", "category"]
    g["r3"] = g.groupby(key)["count"].transform(lambda s: s.rolling(3, min_periods=3).sum())
    g["r12"] = g.groupby(key)["count"].transform(lambda s: s.rolling(12, min_periods=12).sum())
    prev = g.groupby(key)["r12"].shift(12)
    g["change_yoy"] = np.where(prev > 0, g["r12"] / prev - 1, np.nan)
    pop = quarters.set_index("quarter_id")
    g["rate_per_1000"] = g["count"] / g["quarter_id"].map(pop["population"]) * 1000
    g["rate12_per_1000"] = g["r12"] / g["quarter_id"].map(pop["population"]) * 1000
    g["rate_per_1000_65"] = np.where(
        g["category"] == "anziani", g["r12"] / g["quarter_id"].map(pop["pop_65"]) * 1000, np.nan
    )
    town_r12 = g.groupby(["town", "month", "category"])["r12"].transform("sum")
    g["share_of_town"] = np.where(town_r12 > 0, g["r12"] / town_r12, np.nan)
    return g.drop(columns="m").reset_index(drop=True)


def fragility_index(table: pd.DataFrame, *, categories: Sequence[str]) -> pd.DataFrame:
    """A composite index per area from PUBLISHED 12-month rates (percentile ranks, averaged).

    For each category, areas are ranked by their published rate per 1,000 residents
    (percentile 0-100; a suppressed cell, fewer reports than the threshold, ranks in
    the lowest tier). The index is the mean of the category percentiles; the top
    decile is flagged. Because it reads only published figures it reveals nothing the
    publication does not.

    Parameters
    ----------
    table : DataFrame
        ``area_id, category, rate_per_1000, suppressed`` for one month and window 12.
    categories : sequence of str
        Category codes to combine.

    Returns
    -------
    DataFrame
        ``area_id, index_value (0-100), rank (1 = most fragile), top_decile``.
    """
    t = table[table["category"].isin(list(categories))]
    wide = t.pivot_table(index="area_id", columns="category", values="rate_per_1000", aggfunc="first")
    wide = wide.reindex(columns=list(categories))
    # Suppressed or missing: below every shown rate.
    ranks = wide.fillna(-1.0).rank(pct=True, method="average") * 100
    idx = ranks.mean(axis=1)
    out = pd.DataFrame({"area_id": idx.index, "index_value": idx.round(1).to_numpy()})
    out["rank"] = out["index_value"].rank(ascending=False, method="min").astype(int)
    cutoff = out["index_value"].quantile(0.9)
    out["top_decile"] = out["index_value"] >= cutoff
    return out.sort_values(["rank", "area_id"]).reset_index(drop=True)
