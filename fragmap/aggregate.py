"""Aggregates: the private counts cube and the composite index.

:func:`count_cube` is the one table everything downstream reads: counts by
quarter x month x category x partner x action, zeros included. It is PRIVATE
(unsuppressed); :func:`fragmap.privacy.publish` turns it into what may be shown.
Rates, rolling totals, year-on-year changes and shares are computed once, on the
published (suppressed) figures, by :func:`fragmap.privacy.publish`.

Example
-------
>>> cube = count_cube(assigned, quarters, settings, months=["2026-09", "2026-10"])   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fragmap.publication import NETWORK, UNASSIGNED
from fragmap.settings import Settings

CUBE_COLUMNS = ("quarter_id", "town", "month", "category", "partner", "action", "count")


def count_cube(
    reports: pd.DataFrame, quarters: pd.DataFrame, settings: Settings, *, months: Sequence[str]
) -> pd.DataFrame:
    """Counts by quarter x month x category x partner x action, with every zero present.

    Parameters
    ----------
    reports : DataFrame
        Reports with ``quarter_id`` (NA = in no quarter), ``town`` (NA = unknown),
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
        Columns :data:`CUBE_COLUMNS`; ``count`` is int. Reports in no quarter are
        counted too, with ``quarter_id`` :data:`~fragmap.publication.UNASSIGNED` and
        their own town (``"rete"`` when the town is unknown), so that town and network
        totals count every report; every town of ``quarters`` has such rows (zeros
        included).

    Examples
    --------
    >>> cube = count_cube(assigned, quarters, settings, months=["2026-09", "2026-10"])   # doctest: +SKIP
    >>> cube.groupby("quarter_id")["count"].sum()                                       # doctest: +SKIP
    """
    keys = ["place", "month", "category", "partner", "action"]
    mask = reports["month"].isin(list(months)).to_numpy()
    # A report in no quarter still counts in its town: keyed "non_assegnate|<town>".
    qid = reports["quarter_id"].astype(object)
    town = reports["town"].astype(object) if "town" in reports else pd.Series(np.nan, index=reports.index, dtype=object)
    town = town.where(town.notna() & (town.astype(str) != ""), NETWORK)
    place = qid.where(qid.notna(), UNASSIGNED + "|" + town.astype(str))
    reports = reports.assign(place=place.to_numpy())
    # Count by integer codes (factorize each key once): ~10x faster than a groupby on strings.
    combined = np.zeros(int(mask.sum()), dtype=np.int64)
    uniques: list[np.ndarray] = []
    for k in keys:
        codes, values = pd.factorize(reports[k].to_numpy()[mask], use_na_sentinel=False)
        uniques.append(np.array([str(v) for v in values], dtype=object))
        combined = combined * max(len(values), 1) + codes
    found, n = np.unique(combined, return_counts=True)
    decoded: dict[str, np.ndarray] = {}
    for k, values in zip(reversed(keys), reversed(uniques)):
        size = max(len(values), 1)
        decoded[k] = values[found % size] if len(values) else np.array([], dtype=object)
        found = found // size
    counts = pd.DataFrame({k: decoded[k] for k in keys}).assign(count=n)
    pairs = {(c.code, p) for c in settings.categories for p in c.partners}
    pairs |= set(zip(counts["category"], counts["partner"]))
    actions = sorted(set(settings.actions) | set(counts["action"]))
    combos = pd.DataFrame(sorted(pairs), columns=["category", "partner"]).merge(
        pd.DataFrame({"action": actions}), how="cross"
    )
    places = quarters[["quarter_id", "town"]].astype({"quarter_id": str})
    places = places.assign(place=places["quarter_id"])
    u_towns = sorted(set(places["town"].astype(str))
                     | {p.split("|", 1)[1] for p in counts["place"] if p.startswith(UNASSIGNED + "|")})
    places = pd.concat([places, pd.DataFrame({"quarter_id": UNASSIGNED, "town": u_towns,
                                              "place": [f"{UNASSIGNED}|{t}" for t in u_towns]})],
                       ignore_index=True)
    frame = (
        places
        .merge(pd.DataFrame({"month": list(months)}), how="cross")
        .merge(combos, how="cross")
    )
    cube = frame.merge(counts, on=["place", "month", "category", "partner", "action"], how="left")
    cube["count"] = cube["count"].fillna(0).astype(int)
    return cube.sort_values(["quarter_id", "town", "month", "category", "partner", "action"]).reset_index(drop=True)[list(CUBE_COLUMNS)]


def fragility_index(table: pd.DataFrame, *, categories: Sequence[str], min_parts: int | None = None) -> pd.DataFrame:
    """A composite index per area from PUBLISHED 12-month rates (percentile ranks, averaged).

    For each category, the areas with a published positive rate are ranked by it among
    themselves (percentile above 0 up to 100, ties averaged). A shown zero is a real value
    and sits at the bottom: its percentile is 0 (not the middle of the tied zeros, nor a
    rank that pushes every area with a report to the top when most areas have none), so
    an area with no report in any published category has index 0, the lowest class. A
    hidden rate (a count under the
    threshold, or hidden to protect another figure) is unknown, not low: it takes no
    part; so does a missing rate (an area without residents has no rate, hence no
    index). The index of an area is the mean of the percentiles it has; with fewer than
    ``min_parts`` of them (default: half the categories, rounded up) it has no index. The
    top decile of the areas with an index is flagged. Because it reads only published
    figures it reveals nothing the publication does not.

    Parameters
    ----------
    table : DataFrame
        ``area_id, category, rate_per_1000, suppressed`` for one month and window 12.
    categories : sequence of str
        Category codes to combine.
    min_parts : int, optional
        Fewest published categories an area needs for an index.

    Returns
    -------
    DataFrame
        ``area_id, index_value (0-100, NaN without enough parts), parts (categories
        used), rank (1 = most fragile; NA without an index), top_decile``, sorted by rank.

    Examples
    --------
    >>> t = pd.DataFrame({"area_id": ["A", "B"] * 2, "category": ["x", "x", "y", "y"],
    ...                   "rate_per_1000": [4.0, 1.0, 2.0, 3.0], "suppressed": False})
    >>> fragility_index(t, categories=["x", "y"])[["area_id", "index_value", "rank"]].to_dict("list")
    {'area_id': ['A', 'B'], 'index_value': [75.0, 75.0], 'rank': [1, 1]}
    """
    cats = list(categories)
    need = min_parts if min_parts is not None else -(-len(cats) // 2)
    t = table[table["category"].isin(cats)]
    t = t.assign(rate=t["rate_per_1000"].where(~t["suppressed"].astype(bool)))
    wide = t.pivot_table(index="area_id", columns="category", values="rate", aggfunc="first", dropna=False)
    wide = wide.reindex(index=sorted(t["area_id"].unique()), columns=cats)
    # a zero ranks 0, not the mean rank of the tied zeros (with many empty areas that is
    # the middle of the scale, and an area with no report would read as medium fragility);
    # the areas with reports are ranked among themselves, so they spread over the scale
    ranks = (wide.where(wide > 0).rank(pct=True, method="average") * 100).mask(wide == 0, 0.0)
    parts = ranks.notna().sum(axis=1)
    idx = ranks.mean(axis=1).where(parts >= need)
    out = pd.DataFrame({"area_id": idx.index, "index_value": idx.round(1).to_numpy(), "parts": parts.to_numpy()})
    out["rank"] = out["index_value"].rank(ascending=False, method="min").astype("Int64")
    has = out["index_value"].notna()
    cutoff = out.loc[has, "index_value"].quantile(0.9) if has.any() else np.inf
    out["top_decile"] = has & (out["index_value"] >= cutoff)
    return out.sort_values(["rank", "area_id"], na_position="last").reset_index(drop=True)
