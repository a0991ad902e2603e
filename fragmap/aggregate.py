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

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fragmap.publication import NETWORK, TOTAL, UNASSIGNED
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


def indicators(cube: pd.DataFrame, quarters: pd.DataFrame, *,
               denominators: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per quarter x month x category (and ``totale``): count, rates, rolling totals, trend, share.

    Columns: ``quarter_id, town, month, category, count, r3, r12, rate_per_1000,
    rate12_per_1000, rate_per_1000_65`` (for ``anziani``: per 1,000 residents aged 65+,
    12-month window), ``change_yoy`` (12-month total against the same window a year
    before; NaN without a full year of history or a zero base), ``share_of_town``
    (of the town's 12-month total, which counts the reports in no quarter too: their
    cube rows, ``quarter_id`` ``"non_assegnate"``, are not rows of the result).
    PRIVATE: not suppressed.

    Rates of a quarter with zero (or unknown) residents are NaN, never infinite.

    Parameters
    ----------
    cube : DataFrame
        The counts cube of :func:`count_cube`.
    quarters : DataFrame
        ``quarter_id``, ``population`` and ``pop_65``.
    denominators : mapping, optional
        ``category -> population column`` its rates are per 1,000 of
        (``Settings.denominators()``: ``pop_65`` for ``anziani``); default all residents.
        ``rate_per_1000`` and ``rate12_per_1000`` use it; ``totale`` is per all residents.

    Returns
    -------
    DataFrame


    Examples
    --------
    >>> ind = indicators(cube, quarters)                                   # doctest: +SKIP
    >>> ind.query("category == 'totale'")["rate12_per_1000"].describe()   # doctest: +SKIP
    """
    g = cube.groupby(["quarter_id", "town", "month", "category"], as_index=False)["count"].sum()
    tot = g.groupby(["quarter_id", "town", "month"], as_index=False)["count"].sum().assign(category=TOTAL)
    g = pd.concat([g, tot], ignore_index=True).sort_values(["quarter_id", "category", "month"])
    months = sorted(cube["month"].unique())
    g["m"] = g["month"].map({m: i for i, m in enumerate(months)})
    key = ["quarter_id", "town", "category"]  # the reports in no quarter are one row per town
    g["r3"] = g.groupby(key)["count"].transform(lambda s: s.rolling(3, min_periods=3).sum())
    g["r12"] = g.groupby(key)["count"].transform(lambda s: s.rolling(12, min_periods=12).sum())
    prev = g.groupby(key)["r12"].shift(12)
    g["change_yoy"] = np.where(prev > 0, g["r12"] / prev - 1, np.nan)
    pop = quarters.set_index("quarter_id")
    # No residents (or unknown): a rate is undefined, not infinite.
    residents = g["quarter_id"].map(pop["population"]).astype(float)
    residents = residents.where(residents > 0)
    old = g["quarter_id"].map(pop["pop_65"]).astype(float) if "pop_65" in pop else pd.Series(np.nan, index=g.index)
    old = old.where(old > 0)
    per = residents.copy()
    for cat, col in (denominators or {}).items():
        if col != "population" and col in pop:
            these = g["category"] == cat
            alt = g.loc[these, "quarter_id"].map(pop[col]).astype(float)
            per[these] = alt.where(alt > 0)
    g["rate_per_1000"] = g["count"] / per * 1000
    g["rate12_per_1000"] = g["r12"] / per * 1000
    g["rate_per_1000_65"] = np.where(g["category"] == "anziani", g["r12"] / old * 1000, np.nan)
    town_r12 = g.groupby(["town", "month", "category"])["r12"].transform("sum")
    g["share_of_town"] = np.where(town_r12 > 0, g["r12"] / town_r12, np.nan)
    g = g[g["quarter_id"] != UNASSIGNED]  # counted in the town's share, not a quarter
    return g.drop(columns="m").reset_index(drop=True)


def __getattr__(name: str) -> object:
    """``fragility_index`` moved to :mod:`fragmap.privacy` (it reads published rates only)."""
    if name == "fragility_index":
        from fragmap.privacy import fragility_index

        return fragility_index
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
