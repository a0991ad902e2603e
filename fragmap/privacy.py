"""The privacy gate: suppression of small counts, and the audit of published folders.

What is published (see docs/METHODS.md, "Privacy"):

* only 12-month rolling totals (``window = 12``), for each of the last 12 months, at
  quarter, town and network level, by category and in total; at town and network
  level also by partner and by action. No single-month count of an area is published:
  monthly counts of small areas are mostly under the threshold, and publishing them
  beside rolling totals would let a reader difference one from the other.
* rates per 1,000 residents, year-on-year change and share of the town only where
  every count they are computed from is shown.

Rules:

1. Primary suppression: a count from 1 to ``threshold - 1`` (and 0 unless
   ``show_zero``) is never shown.
2. Complementary suppression, per month, over every additive relation of the published
   table (categories -> total, quarters -> town, towns -> network, partners -> total,
   actions -> total, and at town and network level the categories of each connected
   group of category-partner pairs -> its partners): no relation may have exactly one
   hidden cell, and where its hidden cells stand on one side they must add up to 0 or at
   least ``threshold``. The smallest non-zero shown cell is hidden until that holds
   (iterated to a fixed point).
3. The pattern of a month depends only on that month's data (and on when each partner
   began), so every publication that shows a month shows it the same way: two
   consecutive atlases cannot be differenced.
4. Before the first report nothing is known, not zero: no 12-month total reaching back
   before the data begin is published (the first publishable month is the 12th), and a
   partner that joins later is hidden (reason ``"history"``) until its first full year;
   otherwise two consecutive totals would differ by one month's count. Likewise after a
   12-month total of 0 (all its months known empty): the cell's non-zero totals of the
   next 12 months are hidden (reason ``"history"``).
5. Quarters with fewer than ``min_quarter_population`` residents are merged with the
   neighbour sharing the longest border before counting, and the note says so.
6. Over time: an attacker who keeps every publication (:mod:`fragmap.disclosure`, over
   this publication and the private ledger of earlier ones) may pin no monthly count to a
   value from 1 to ``threshold - 1`` and confine no hidden total under the threshold;
   :func:`publish` hides more new cells until that holds, :func:`audit_over_time` checks it
   again before a run publishes.

:func:`audit_folder` scans any folder for report coordinates, addresses, ids and
printed counts under the threshold. The pipeline refuses to publish if it finds any.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fragmap._errors import PrivacyError
from fragmap._geo import UTM
from fragmap._text import fold_name as _fold
from fragmap.change import NOT_COMPUTABLE, classify_changes
from fragmap.classify import rate_per_1000
from fragmap.i18n import plural
from fragmap.publication import (
    ALL_ACTIONS, ALL_PARTNERS, NETWORK, RESIDENT_ROUNDING, TOTAL, UNASSIGNED, Publication, check_table,
    unassigned_id,
)
from fragmap.settings import Settings

WINDOW = 12


# -- areas ---------------------------------------------------------------------------------
def merge_small_areas(quarters: gpd.GeoDataFrame, min_population: float) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Merge quarters under ``min_population`` residents into their longest-border neighbour.

    Returns the publication areas (``area_id, name, town, level, population,
    population_estimated, geometry``) and the mapping ``quarter_id -> area_id``.
    Smallest first; repeated until every area reaches the minimum or has no neighbour
    in its town.
    """
    q = quarters.to_crs(UTM).copy()
    q["area_id"] = q["quarter_id"]
    members: dict[str, list[str]] = {qid: [qid] for qid in q["quarter_id"]}
    names = dict(zip(q["quarter_id"], q["name"].astype(str)))
    while True:
        small = q[q["population"] < min_population].sort_values(["population", "area_id"])
        if small.empty:
            break
        merged = False
        for idx, row in small.iterrows():
            others = q[(q["town"] == row["town"]) & (q.index != idx)]
            shared = others.geometry.boundary.intersection(row.geometry.boundary).length
            shared = shared[shared > 0]
            if shared.empty:
                continue
            t = shared.sort_values(ascending=False, kind="stable").index[0]
            target = q.loc[t, "area_id"]
            q.at[t, "geometry"] = q.at[t, "geometry"].union(row.geometry)
            q.at[t, "population"] = q.at[t, "population"] + row["population"]
            q.at[t, "pop_65"] = q.at[t, "pop_65"] + row["pop_65"]
            members[target] = members[target] + members.pop(row["area_id"])
            q = q.drop(index=idx)
            merged = True
            break
        if not merged:
            break
    mapping = {qid: aid for aid, qids in members.items() for qid in qids}
    q["name"] = [
        " + ".join(names[m] for m in sorted(members[a])) if len(members[a]) > 1 else names[a] for a in q["area_id"]
    ]
    q["merged"] = [len(members[a]) > 1 for a in q["area_id"]]
    q["level"] = "quarter"
    q["geometry"] = q.geometry.buffer(0)
    areas = q.to_crs(4326)[["area_id", "name", "town", "level", "population", "pop_65", "population_estimated", "merged", "geometry"]]
    return areas.sort_values("area_id").reset_index(drop=True), mapping


# -- cells -----------------------------------------------------------------------------------
def _windowed(cube: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """12-month totals ending at each of ``months``, by area x category x partner x action."""
    all_months = sorted(cube["month"].unique())
    pos = {m: i for i, m in enumerate(all_months)}
    ends = [(m, pos[m]) for m in months if pos[m] + 1 >= WINDOW]  # a full 12-month window only
    if not ends:
        return cube.iloc[:0].assign(area_id="")
    keys = ["area_id", "town", "category", "partner", "action"]
    g = cube.groupby(keys, sort=True).ngroup().to_numpy()
    ok = g >= 0  # as a group-by: no missing key
    # one pass: each cell's running sums over the months; a window's total is a difference of two
    g, mi, values = g[ok], cube["month"].map(pos).to_numpy()[ok] + 1, cube["count"].to_numpy()[ok]
    n_g = int(g.max()) + 1 if len(g) else 0
    total = np.zeros((n_g, len(all_months) + 1), dtype=values.dtype)
    rows = np.zeros((n_g, len(all_months) + 1), dtype=np.int64)
    np.add.at(total, (g, mi), values)
    np.add.at(rows, (g, mi), 1)
    total, rows = total.cumsum(axis=1), rows.cumsum(axis=1)
    _, first = np.unique(g, return_index=True)
    key_rows = cube[ok].iloc[first][keys].reset_index(drop=True)
    frames = []
    for m, i in ends:
        present = rows[:, i + 1] - rows[:, i + 1 - WINDOW] > 0  # cells with a row in the window
        w = key_rows[present].assign(count=(total[:, i + 1] - total[:, i + 1 - WINDOW])[present])
        w["month"] = m
        frames.append(w)
    return pd.concat(frames, ignore_index=True)


def _cells(w: pd.DataFrame) -> pd.DataFrame:
    """All published cells of one or more months (window 12) with their true values."""
    out = []
    qc = w.groupby(["month", "area_id", "town", "category"], as_index=False)["count"].sum()
    qt = qc.groupby(["month", "area_id", "town"], as_index=False)["count"].sum().assign(category=TOTAL)
    for df in (qc, qt):
        # reports of a town in none of its areas: their own level (town = areas + these)
        level = np.where(df["area_id"].str.startswith(UNASSIGNED + ":"), UNASSIGNED, "quarter")
        out.append(df.assign(level=level, partner=ALL_PARTNERS, action=ALL_ACTIONS))
    no_town = qt[(qt["area_id"] == unassigned_id(NETWORK)) & (qt["count"] == 0)]
    for level, key in (("town", "town"), ("network", None)):
        # reports of no known town count in the network only
        base = w[w["town"] != NETWORK] if key else w.assign(town=NETWORK)
        by_cat = base.groupby(["month", "town", "category"], as_index=False)["count"].sum()
        tot = base.groupby(["month", "town"], as_index=False)["count"].sum().assign(category=TOTAL)
        by_p = base.groupby(["month", "town", "partner"], as_index=False)["count"].sum().assign(category=TOTAL)
        by_a = base.groupby(["month", "town", "action"], as_index=False)["count"].sum().assign(category=TOTAL)
        for df in (by_cat, tot):
            out.append(df.assign(level=level, area_id=df["town"], partner=ALL_PARTNERS, action=ALL_ACTIONS))
        out.append(by_p.assign(level=level, area_id=by_p["town"], action=ALL_ACTIONS))
        out.append(by_a.assign(level=level, area_id=by_a["town"], partner=ALL_PARTNERS))
    cells = pd.concat(out, ignore_index=True)
    # the no-town remainder of a month exists only when that month's window has such reports
    empty = set(zip(no_town["month"], no_town["area_id"]))
    if empty:
        cells = cells[[k not in empty for k in zip(cells["month"], cells["area_id"])]]
    cells.loc[cells["level"] == "network", "town"] = NETWORK
    cells["window"] = WINDOW
    cells = cells[["area_id", "level", "town", "month", "window", "category", "partner", "action", "count"]]
    return cells.sort_values(["month", "level", "area_id", "category", "partner", "action"]).reset_index(drop=True)


Relation = tuple[int | list[int], list[int]]


def _components(pairs: set[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """Connected groups of the category-partner graph: ``(categories, partners)``.

    In each group the reports of its categories are exactly the reports of its partners.
    """
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for c, p in sorted(pairs):
        parent[root(("c", c))] = root(("p", p))
    comps: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for node in sorted(parent):
        comp = comps.setdefault(root(node), ([], []))
        comp[0 if node[0] == "c" else 1].append(node[1])
    return list(comps.values())


def _groups(cells: pd.DataFrame, categories: Sequence[str],
            pairs: set[tuple[str, str]] = frozenset()) -> list[Relation]:  # type: ignore[assignment]
    """Additive relations among the cells of one month.

    ``(total, parts)`` says ``total == sum(parts)``; ``([a...], [b...])`` says
    ``sum(a) == sum(b)``. ``pairs`` are the (category, partner) pairs that can carry
    reports: at town and network level the categories of each connected group of pairs
    add up to its partners (with one partner per category, a category cell IS its
    partner's cell).
    """
    groups: list[Relation] = []
    key = cells.set_index(["level", "area_id", "category", "partner", "action"]).index
    pos = {k: i for i, k in zip(cells.index, key)}
    areas = cells[["level", "area_id", "town"]].drop_duplicates()
    towns = areas.loc[areas["level"] == "town", "area_id"].tolist()
    cats = [c for c in sorted(cells["category"].unique()) if c != TOTAL]
    partners = sorted(cells.loc[cells["partner"] != ALL_PARTNERS, "partner"].unique())
    actions = sorted(cells.loc[cells["action"] != ALL_ACTIONS, "action"].unique())
    components = _components(set(pairs))
    for lvl, aid, _ in areas.itertuples(index=False):
        total = pos.get((lvl, aid, TOTAL, ALL_PARTNERS, ALL_ACTIONS))
        parts = [pos[(lvl, aid, c, ALL_PARTNERS, ALL_ACTIONS)] for c in cats if (lvl, aid, c, ALL_PARTNERS, ALL_ACTIONS) in pos]
        groups.append((total, parts))
        if lvl in ("town", "network"):
            groups.append((total, [pos[(lvl, aid, TOTAL, p, ALL_ACTIONS)] for p in partners if (lvl, aid, TOTAL, p, ALL_ACTIONS) in pos]))
            groups.append((total, [pos[(lvl, aid, TOTAL, ALL_PARTNERS, a)] for a in actions if (lvl, aid, TOTAL, ALL_PARTNERS, a) in pos]))
            for comp_cats, comp_partners in components:
                left = [pos[k] for c in comp_cats if (k := (lvl, aid, c, ALL_PARTNERS, ALL_ACTIONS)) in pos]
                right = [pos[k] for p in comp_partners if (k := (lvl, aid, TOTAL, p, ALL_ACTIONS)) in pos]
                if left and right:
                    groups.append((left, right))
    quarter_areas = areas[areas["level"] == "quarter"]
    for t in towns:
        qids = quarter_areas.loc[quarter_areas["town"] == t, "area_id"].tolist()
        for c in [*cats, TOTAL]:
            # town = its areas + its reports in no area (the remainder is a cell like any other)
            rest = [i for i in [pos.get((UNASSIGNED, unassigned_id(t), c, ALL_PARTNERS, ALL_ACTIONS))] if i is not None]
            groups.append((pos[("town", t, c, ALL_PARTNERS, ALL_ACTIONS)],
                           [pos[("quarter", q, c, ALL_PARTNERS, ALL_ACTIONS)] for q in qids] + rest))
    for c, p, a in (
        [(c, ALL_PARTNERS, ALL_ACTIONS) for c in [*cats, TOTAL]]
        + [(TOTAL, p, ALL_ACTIONS) for p in partners]
        + [(TOTAL, ALL_PARTNERS, a) for a in actions]
    ):
        tot = pos.get(("network", NETWORK, c, p, a))
        parts = [pos[("town", t, c, p, a)] for t in towns if ("town", t, c, p, a) in pos]
        if (k := (UNASSIGNED, unassigned_id(NETWORK), c, p, a)) in pos:
            parts.append(pos[k])  # reports of no known town
        if tot is not None and parts:
            groups.append((tot, parts))
    return [(t, p) for t, p in groups if t is not None and p]


def suppress(values: np.ndarray, groups: Sequence[Relation], *, threshold: int, show_zero: bool,
             forced: np.ndarray | None = None, forced_reason: str = "area") -> tuple[np.ndarray, np.ndarray]:
    """Primary and complementary suppression over additive relations.

    Parameters
    ----------
    values : array of int
        True counts of the cells.
    groups : list of (total, parts) or (left, right)
        ``(total, parts)`` says ``values[total] == sum(values[parts])``; with a list
        first, ``sum(values[left]) == sum(values[right])``.
    threshold, show_zero
        Primary rule: hide ``0 < v < threshold`` (and 0 unless ``show_zero``).
    forced : array of bool, optional
        Cells hidden for another reason (an area too small, a partial 12-month window).
    forced_reason : str
        The reason recorded for the forced cells.

    Returns
    -------
    (hidden, reason)
        Boolean mask and ``"primary"``/``"secondary"``/``forced_reason``/``""`` per cell.

    Notes
    -----
    Until nothing changes, for every relation: if it has exactly one hidden cell, or all
    its hidden cells stand on one side and add up to a known number from 1 to
    ``threshold - 1``, the smallest non-zero shown cell (of the parts first) is hidden too.

    Examples
    --------
    >>> hidden, reason = suppress(np.array([10, 3, 7]), [(0, [1, 2])], threshold=5, show_zero=True)
    >>> hidden.tolist(), reason.tolist()
    ([False, True, True], ['', 'primary', 'secondary'])
    """
    v = np.asarray(values, dtype=float)
    hidden = ((v > 0) & (v < threshold)) | ((v == 0) & (not show_zero))
    reason = np.where(hidden, "primary", "").astype(object)
    if forced is not None:
        newly = forced & ~hidden
        hidden |= forced
        reason[newly] = forced_reason
    relations = [([a] if isinstance(a, (int, np.integer)) else list(a), list(b)) for a, b in groups]
    changed = True
    while changed:
        changed = False
        for left, right in relations:
            h_left = [i for i in left if hidden[i]]
            h_right = [i for i in right if hidden[i]]
            if not h_left and not h_right:
                continue
            need = len(h_left) + len(h_right) == 1
            if not need and not (h_left and h_right):
                # all hidden cells on one side: their sum is known from the shown ones
                side, other = (left, right) if h_left else (right, left)
                hidden_sum = sum(v[i] for i in other) - sum(v[i] for i in side if not hidden[i])
                need = 0 < hidden_sum < threshold
            if not need:
                continue
            cand = [i for i in right if not hidden[i] and v[i] > 0]
            if not cand:
                cand = [i for i in left if not hidden[i]]
            if not cand:
                cand = [i for i in right if not hidden[i]]
            if not cand:
                continue
            pick = min(cand, key=lambda i: (v[i], i))
            hidden[pick] = True
            reason[pick] = "secondary"
            changed = True
    return hidden, reason


def first_publishable_month(settings: Settings, first_months: dict[str, str] | None) -> tuple[str, str]:
    """When the data begin and the first month a 12-month total can be published for.

    Parameters
    ----------
    settings : Settings
        ``start_date`` of the project.
    first_months : dict
        ``partner -> YYYY-MM`` of each partner's first report
        (:meth:`fragmap.pipeline.Project.first_months`).

    Returns
    -------
    (str, str)
        The first month of data and the first publishable month.

    Examples
    --------
    >>> from fragmap.settings import default_settings
    >>> first_publishable_month(default_settings(), {"anffas": "2024-11", "le_torri": "2025-02"})
    ('2024-11', '2025-10')
    """
    start = str(pd.Period(settings.start_date, freq="M"))
    first = max([start, min(first_months.values())] if first_months else [start])
    return first, str(pd.Period(first, freq="M") + (WINDOW - 1))


def _history(
    cube: pd.DataFrame, settings: Settings, months: list[str], first_months: dict[str, str] | None
) -> tuple[str, list[str], Any]:
    """When the data begin, the months that have a full 12-month window of data, and a
    function marking the cells of partners (and categories) whose window starts before their
    first report. See :func:`publish`, Notes.
    """
    from fragmap._errors import ValidationError

    seen = cube[cube["count"] > 0]
    if first_months is None:
        first_months = seen.groupby("partner")["month"].min().to_dict()
    first, first_full = first_publishable_month(settings, first_months)
    ok = [m for m in months if m >= first_full]
    if not ok:
        raise ValidationError(
            f"dati insufficienti per pubblicare {months[-1]}: le segnalazioni iniziano a {first} e i "
            f"totali di 12 mesi che si pubblicano richiedono un anno intero, quindi il primo mese "
            f"pubblicabile è {first_full}" if settings.language == "it" else
            f"not enough history to publish {months[-1]}: the reports begin in {first}, and the "
            f"12-month totals that are published need a full year, so the first month that can be "
            f"published is {first_full}"
        )
    cat_partners = seen.groupby("category")["partner"].unique().to_dict()
    cat_first = {c: min(first_months.get(p, first) for p in ps) for c, ps in cat_partners.items()}

    def late(cells: pd.DataFrame) -> np.ndarray:
        start_of_window = str(pd.Period(cells["month"].iloc[0], freq="M") - (WINDOW - 1))
        p_late = cells["partner"].map(first_months).fillna("") > start_of_window
        c_late = cells["category"].map(cat_first).fillna("") > start_of_window
        return (p_late | c_late).to_numpy()

    return first, ok, late


_CELL_KEY = ["area_id", "level", "category", "partner", "action"]


def _after_zero(cells: pd.DataFrame) -> Any:
    """A function marking the non-zero cells of a month whose 12-month total was 0 in one of
    the 12 months before (see :func:`publish`, Notes).

    A 0 total says that each of its 12 months was 0; for the next 11 months the 12-month
    totals of the cell therefore reach back into months known to be empty, and two of them
    side by side differ by one month's count: the same case as the data's beginning. The
    twelfth month is hidden too: its total differs from the (hidden) eleventh by exactly
    its own month, the month leaving the window being a known 0. The zeros are the true ones (shown or not): an attacker may know them from a shown 0 of
    a larger total that contains the cell.
    """
    if cells.empty:
        return lambda cm: np.zeros(len(cm), dtype=bool)
    zeros = cells.loc[cells["count"] == 0, [*_CELL_KEY, "month"]].copy()
    zeros["p"] = zeros["month"].map(lambda m: pd.Period(m, freq="M").ordinal)

    def mark(cm: pd.DataFrame) -> np.ndarray:
        if cm.empty or zeros.empty:
            return np.zeros(len(cm), dtype=bool)
        p = pd.Period(cm["month"].iloc[0], freq="M").ordinal
        recent = zeros[(zeros["p"] >= p - WINDOW) & (zeros["p"] <= p - 1)]
        keys = recent[_CELL_KEY].drop_duplicates().assign(_zero=True)
        hit = cm[_CELL_KEY].merge(keys, on=_CELL_KEY, how="left")["_zero"].eq(True).to_numpy()
        return hit & (cm["count"].to_numpy() > 0)

    return mark


# -- over time ------------------------------------------------------------------------------------
_KEY_COLS = ["level", "area_id", "category", "partner", "action"]


def _released_hidden(released: pd.DataFrame | None) -> dict[str, set[tuple[str, ...]]]:
    """``month -> keys`` of the cells an earlier publication hid (they stay hidden)."""
    if released is None or released.empty:
        return {}
    h = released[released["suppressed"].astype(bool)]
    out: dict[str, set[tuple[str, ...]]] = {}
    for m, g in h.groupby("month"):
        out[str(m)] = set(map(tuple, g[_KEY_COLS].astype(str).to_numpy()))
    return out


def _in_keys(cm: pd.DataFrame, keys: set[tuple[str, ...]]) -> np.ndarray:
    if not keys:
        return np.zeros(len(cm), dtype=bool)
    return np.array([tuple(k) in keys for k in cm[_KEY_COLS].astype(str).to_numpy()], dtype=bool)


#: Rounds of extra suppression before the gate gives up (the audit then refuses).
_MAX_ROUNDS = 40


def _protect_over_time(
    done: dict[str, pd.DataFrame], suppress_month: Any, cube: pd.DataFrame, released: pd.DataFrame | None, *,
    threshold: int, data_start: str, partner_start: dict[str, str], published: set[str],
) -> dict[str, pd.DataFrame]:
    """Hide more new cells until the attacker over time pins nothing (see :func:`publish`, Notes)."""
    from fragmap.disclosure import attack

    earlier = _earlier_shown(released, cube)
    extra: dict[str, set[tuple[str, ...]]] = {m: set() for m in done}
    families = None
    for _ in range(_MAX_ROUNDS):
        full = pd.concat(list(done.values()), ignore_index=True)
        shown, hidden = _attacker_view(full, earlier, published)
        report = attack(cube, shown, threshold=threshold, data_start=data_start, partner_start=partner_start,
                        hidden=hidden, families=families)
        if report.ok:
            break
        new = full[~full["suppressed"] & (full["count"] > 0)]
        if len(earlier):  # only cells no earlier publication showed can still be hidden
            old_keys = set(map(tuple, earlier[[*_KEY_COLS, "month"]].astype(str).to_numpy()))
            new = new[[tuple(k) not in old_keys for k in new[[*_KEY_COLS, "month"]].astype(str).to_numpy()]]
        new_by = dict(iter(new.groupby(["level", "area_id"], sort=False)))
        changed: set[str] = set()
        for e in report.exposures:
            pick = _candidate(new_by.get((e.level, e.area_id)), e)
            if pick is None:
                continue  # given away by earlier publications alone: the audit will refuse
            m, key = pick
            if key not in extra[m]:
                extra[m].add(key)
                changed.add(m)
        if not changed:
            break
        before = {m: done[m]["suppressed"].to_numpy().copy() for m in changed}
        for m in changed:
            done[m] = suppress_month(m, extra[m])
        touched = set()
        for m in changed:
            d = done[m]
            flip = d["suppressed"].to_numpy() != before[m]  # hidden now, or shown again: both change a family
            touched |= set(zip(d.loc[flip, "level"], d.loc[flip, "area_id"]))
        families = sorted(touched | {(e.level, e.area_id) for e in report.exposures})
    return done


def _earlier_shown(released: pd.DataFrame | None, cube: pd.DataFrame) -> pd.DataFrame:
    """The cells earlier publications showed whose 12 months lie within ``cube`` and whose
    value the cube still gives (a total published before reports were added or corrected
    describes data that no longer exist: that equation is left out)."""
    cols = [*_KEY_COLS, "month"]
    if released is None or released.empty:
        return pd.DataFrame(columns=cols)
    first = str(pd.Period(min(cube["month"]), freq="M") + (WINDOW - 1))
    r = released[~released["suppressed"].astype(bool) & (released["month"] >= first)
                 & (released["month"] <= max(cube["month"]))]
    r = r.astype({c: str for c in cols}).drop_duplicates(cols)
    if "value" in r.columns and len(r):
        truth = _cells(_windowed(cube, sorted(set(r["month"]))))
        truth = truth.astype({c: str for c in cols})[[*cols, "count"]]
        r = r.merge(truth, on=cols, how="left")
        given = pd.to_numeric(r["value"], errors="coerce")
        r = r[given.isna() | (given == r["count"])]
    return r[cols].drop_duplicates().reset_index(drop=True)


def _attacker_view(full: pd.DataFrame, earlier: pd.DataFrame, published: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the attacker holds and the hidden cells to check, exactly as the audit sees them.

    Held: the shown cells of the published months, the year-earlier totals their shown
    year-on-year changes give back (both shown and the earlier one above 0), and what earlier
    publications showed. Checked: the hidden cells of the published months that no earlier
    publication showed.
    """
    cols = [*_KEY_COLS, "month"]
    sup = full["suppressed"].astype(bool)
    now = full[full["month"].isin(published)]
    shown_now = now[~now["suppressed"].astype(bool)]
    base = full[~sup & (full["count"] > 0)][cols].copy()
    base["month"] = [str(pd.Period(m, freq="M") + 12) for m in base["month"]]
    base = base.merge(shown_now[cols], on=cols)  # a change is shown where both ends are
    base["month"] = [str(pd.Period(m, freq="M") - 12) for m in base["month"]]
    shown = pd.concat([shown_now[cols], base, earlier], ignore_index=True).drop_duplicates()
    hidden = now.loc[now["suppressed"].astype(bool), [*cols, "reason"]]
    if len(earlier):
        was = set(map(tuple, earlier[cols].astype(str).to_numpy()))
        hidden = hidden[[tuple(k) not in was for k in hidden[cols].astype(str).to_numpy()]]
    return shown.reset_index(drop=True), hidden.reset_index(drop=True)


def _candidate(g: pd.DataFrame | None, e: Any) -> tuple[str, tuple[str, ...]] | None:
    """The shown cell to hide against an exposure, among ``g`` (the area's shown cells no
    earlier publication showed): a window that holds the exposed month(s), a dimension that
    holds the exposed cell's reports; the newest month first, then the smallest count."""
    if g is None or g.empty:
        return None
    p = pd.Period(e.month, freq="M")
    lo = str(p - (WINDOW - 1 if e.kind == "12 mesi" else 0))
    hi = str(p + (WINDOW - 1))
    near = ((g["month"] >= lo) & (g["month"] <= hi)).to_numpy()
    same = np.ones(len(g), dtype=bool)
    for col, every, val in (("category", TOTAL, e.category), ("partner", ALL_PARTNERS, e.partner),
                            ("action", ALL_ACTIONS, e.action)):
        if val != every:  # the exposed cell is one category (partner, action): its own or the total
            same &= ((g[col] == val) | (g[col] == every)).to_numpy()
    # a window over the exposed months first; else any new total of the area, whose equation
    # reaches the exposed months through the chain of windows
    for keep in (near & same, same, np.ones(len(g), dtype=bool)):
        if keep.any():
            g = g[keep]
            break
    else:
        return None
    if e.kind == "12 mesi":  # a hidden total narrowed: widen it in its own month first, then nearby
        dist = np.abs(np.array([pd.Period(m, freq="M").ordinal for m in g["month"]]) - p.ordinal)
        g = g.assign(_d=dist).sort_values(["_d", "count"], kind="stable")
    else:  # a monthly count pinned: the newest total that holds it first
        g = g.sort_values(["month", "count"], ascending=[False, True], kind="stable")
    best = g.iloc[0]
    return str(best["month"]), tuple(str(best[k]) for k in _KEY_COLS)


# -- publication ------------------------------------------------------------------------------
def publish(
    cube: pd.DataFrame,
    quarters: gpd.GeoDataFrame,
    settings: Settings,
    *,
    months: Sequence[str],
    synthetic: bool,
    quarter_source: str,
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    first_months: dict[str, str] | None = None,
    released: pd.DataFrame | None = None,
    protect_over_time: bool = True,
) -> Publication:
    """Turn the PRIVATE counts cube into a :class:`Publication` that is safe to render.

    Parameters
    ----------
    cube : DataFrame
        ``quarter_id, town, month, category, partner, action, count`` covering at least
        the 23 months before the last of ``months`` (for full 12-month windows and the
        year-on-year change).
    quarters : GeoDataFrame
        With ``population``, ``pop_65``, ``population_estimated``.
    settings : Settings
        ``privacy.threshold``, ``privacy.show_zero``, ``privacy.min_quarter_population``.
    months : sequence of str
        The months to publish (ascending); each gets its 12-month window. Months whose
        window reaches back before the data begin are left out (see Notes).
    first_months : dict, optional
        ``partner -> YYYY-MM`` of the partner's first report in the whole store. Default:
        the first month with a report in ``cube``. Pass the store's (the pipeline does)
        so that a month is suppressed the same way in every publication.
    released : DataFrame, optional
        The PRIVATE ledger of what earlier publications released
        (:func:`fragmap.io.released.read_released`): ``level, area_id, category, partner,
        action, month, suppressed``. A cell hidden there stays hidden; the attacker over
        time (:mod:`fragmap.disclosure`) holds every cell shown there.
    protect_over_time : bool
        Play the attacker who keeps every publication (:func:`fragmap.disclosure.attack`)
        and hide more of the cells no earlier publication showed until it can pin nothing
        (see Notes). Default True.

    Returns
    -------
    Publication

    Raises
    ------
    ValidationError
        If not one of ``months`` has a full 12-month window of data behind it.

    Notes
    -----
    Before the first report nothing is known, not zero: a 12-month total that reaches back
    before the data begin differs from the next one by a single month's count, so two
    of them side by side give that month away. Such windows are never published: the first
    publishable month is the 12th after ``max(start_date, first report)``. Likewise a
    partner that joins later: its cells, and those of a category all of whose partners
    joined later, stay hidden (reason ``"history"``, with complementary suppression
    around them) until the partner has a full year of reports.

    The same holds after a 12-month total of 0: it says each of those months was empty, so
    for the next 12 months a cell's non-zero totals are hidden too (reason ``"history"``),
    or an attacker who keeps consecutive publications would difference one month's count
    out of two of them. To apply this to every published month the same way in every
    publication, pass a cube of 36 months (the pipeline does); with a shorter one the rule
    sees only the zeros inside it.

    Exact rolling totals published month after month can still be combined: an attacker
    who keeps the publications solves all their equations at once (linear programming,
    counts >= 0, nothing before the data begin). With ``protect_over_time`` the gate plays
    that attacker (:func:`fragmap.disclosure.attack`, one area at a time, over this
    publication and the ``released`` ledger); while a monthly count can be pinned to a value
    from 1 to ``threshold - 1``, or a hidden 12-month total confined to an interval narrower
    than the threshold, it hides one more cell that no earlier publication showed (the
    newest month of the area first, reason ``"history"``), suppresses around it, and plays
    again. What earlier publications alone give away cannot be taken back: such exposures
    stay, and the run's audit (:func:`audit_over_time`) refuses to publish.

    Examples
    --------
    >>> pub = publish(cube, quarters, settings, months=month_range("2026-10", 12),
    ...               synthetic=True, quarter_source="griglia")   # doctest: +SKIP
    """
    p = settings.privacy
    areas, mapping = merge_small_areas(quarters, p.min_quarter_population)
    c = cube.copy()
    c["area_id"] = c["quarter_id"].map(mapping)
    unplaced = c["quarter_id"] == UNASSIGNED
    c.loc[unplaced, "area_id"] = [unassigned_id(t) for t in c.loc[unplaced, "town"]]
    c = c.groupby(["area_id", "town", "month", "category", "partner", "action"], as_index=False)["count"].sum()
    first, months, history = _history(c, settings, list(months), first_months)
    c = c[c["month"] >= first]  # before the data begin nothing is known (not zero)
    all_months = sorted(c["month"].unique())
    earlier = [m for m in all_months if m < months[0]]
    # Suppress the published months and the 12 before them (the base of the year-on-year change).
    wanted = sorted(set(earlier[-12:]) | set(months))
    w = _windowed(c, wanted)
    cells = _cells(w) if len(w) else pd.DataFrame()
    after_zero = _after_zero(cells)
    settings_pairs = {(c.code, p) for c in settings.categories for p in c.partners}
    per_month = {m: cm.reset_index(drop=True) for m, cm in cells.groupby("month", sort=True)}
    earlier_hidden = _released_hidden(released)
    forced = {m: history(cm) | after_zero(cm) | _in_keys(cm, earlier_hidden.get(m, set())) for m, cm in per_month.items()}

    def suppress_month(m: str, extra: set[tuple[str, ...]]) -> pd.DataFrame:
        cm = per_month[m].copy()
        wm = w[(w["month"] == m) & (w["count"] > 0)]
        pairs = settings_pairs | set(zip(wm["category"], wm["partner"]))
        groups = _groups(cm, settings.category_codes, pairs)
        hidden, reason = suppress(cm["count"].to_numpy(), groups, threshold=p.threshold, show_zero=p.show_zero,
                                  forced=forced[m] | _in_keys(cm, extra), forced_reason="history")
        cm["suppressed"], cm["reason"] = hidden, reason
        return cm

    done = {m: suppress_month(m, set()) for m in per_month}
    if protect_over_time and done:
        fm = first_months or c[c["count"] > 0].groupby("partner")["month"].min().to_dict()
        done = _protect_over_time(done, suppress_month, c, released, threshold=p.threshold, data_start=first,
                                  partner_start=fm, published=set(months))
    full = pd.concat(list(done.values()), ignore_index=True) if done else pd.DataFrame()
    full["value"] = full["count"].where(~full["suppressed"]).astype(float)
    # per 1,000 of the residents the category is about (aged 65+ for older people)
    denominators = settings.denominators()
    residents = pd.Series(np.nan, index=full.index)
    for col in sorted(set(denominators.values()) | {"population"}):
        pop = dict(zip(areas["area_id"], areas[col]))
        town_pop = quarters.groupby("town")[col].sum().to_dict()
        pop.update(town_pop)
        pop[NETWORK] = float(sum(town_pop.values()))
        these = full["category"].map(lambda c: denominators.get(c, "population")) == col
        residents[these] = full.loc[these, "area_id"].map(pop).astype(float)
    full["rate_per_1000"] = rate_per_1000(full["value"], residents)  # the one rate of every page
    full.loc[full["level"] == UNASSIGNED, "rate_per_1000"] = np.nan  # no residents to divide by
    # year-on-year: both ends shown
    key = ["area_id", "level", "category", "partner", "action"]
    prev_month = full["month"].map(lambda m: str(pd.Period(m, freq="M") - 12))
    base = full.set_index([*key, "month"])["value"]
    prev_val = pd.Series(base.reindex(pd.MultiIndex.from_arrays([*(full[k] for k in key), prev_month])).to_numpy(), index=full.index)
    # the count a year before as that month publishes it (NaN when hidden there): the change,
    # its exact test and status come from two shown counts only (fragmap.change)
    full["value_prev"] = prev_val
    yoy = classify_changes(full["value"].to_numpy(dtype=float), prev_val.to_numpy(dtype=float))
    full["change_yoy"] = yoy["change"].to_numpy()
    full["change_status"] = yoy["status"].to_numpy()
    # share of the town: both shown
    town_val = full[full["level"] == "town"].set_index(["area_id", "month", "category", "partner", "action"])["value"]
    tkey = pd.MultiIndex.from_arrays([full["town"], full["month"], full["category"], full["partner"], full["action"]])
    tv = pd.Series(town_val.reindex(tkey).to_numpy(), index=full.index)
    full["share_of_town"] = np.where((full["level"] == "quarter") & (tv > 0), full["value"] / tv, np.nan)
    table = full[full["month"].isin(months)].copy()
    # A hidden cell shows no count a year before either: a 12-month publication would otherwise
    # republish the 12 earlier months in full, with a suppression pattern whose zero rule
    # (_after_zero) sees less history than the publications of those months did.
    for col in ("rate_per_1000", "change_yoy", "share_of_town", "value_prev"):
        table.loc[table["suppressed"], col] = np.nan
    table.loc[table["suppressed"], "change_status"] = NOT_COMPUTABLE
    table = table[["area_id", "level", "month", "window", "category", "partner", "action", "value", "suppressed",
                   "reason", "rate_per_1000", "change_yoy", "share_of_town", "value_prev",
                   "change_status"]].reset_index(drop=True)
    table["reason"] = table["reason"].astype(str)
    town_areas = _town_areas(quarters)
    pub_areas = pd.concat([areas.drop(columns=["merged"]), town_areas], ignore_index=True)
    pub_areas = gpd.GeoDataFrame(pub_areas, geometry="geometry", crs=4326)
    all_notes = list(notes)
    n_merged = int(areas["merged"].sum())
    if n_merged:
        all_notes.append(
            f"{n_merged} {plural(n_merged, 'area', 'aree')} con meno di {p.min_quarter_population} residenti "
            f"{plural(n_merged, 'unita', 'unite')} alla vicina (nome «A + B»)" if settings.language == "it" else
            f"{n_merged} {plural(n_merged, 'area', 'areas')} with fewer than {p.min_quarter_population} residents merged with a neighbour "
            f"(named 'A + B')"
        )
    u_note = unassigned_note(table, months[-1], settings.language)
    if u_note:
        all_notes.append(u_note)
    extras: dict[str, pd.DataFrame] = {
        "quarter_areas": pd.DataFrame({"quarter_id": list(mapping), "area_id": list(mapping.values())}),
    }
    last = table[(table["month"] == months[-1]) & (table["level"] == "quarter") & (table["partner"] == ALL_PARTNERS)
                 & (table["action"] == ALL_ACTIONS)]
    if len(last):
        extras["fragility_index"] = fragility_index(last, categories=settings.category_codes)
    return Publication(
        table=table,
        areas=pub_areas,
        months=tuple(months),
        threshold=p.threshold,
        show_zero=p.show_zero,
        language=settings.language,
        synthetic=synthetic,
        quarter_source=quarter_source,
        attributions=tuple(attributions),
        notes=tuple(all_notes),
        extras=extras,
        labels={**{c: settings.category_label(c) for c in settings.category_codes},
                **{q: settings.partner_name(q) for q in settings.partner_codes}},
        denominators=denominators,
    )


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


def unassigned_note(table: pd.DataFrame, month: str, language: str = "it") -> str:
    """The sentence telling how many reports of the window are in a town's total but in no area.

    Reads only published cells (a hidden one prints "n.d."); "" when there is none.

    Examples
    --------
    >>> t = pd.DataFrame({"area_id": ["non_assegnate:Pavia"], "level": ["non_assegnate"], "month": ["2026-10"],
    ...                   "category": ["totale"], "partner": ["tutti"], "action": ["tutte"],
    ...                   "value": [1283.0], "suppressed": [False]})
    >>> unassigned_note(t, "2026-10")
    'Segnalazioni contate nel totale del comune ma in nessuna area (solo comune, quartiere sconosciuto, non trovate o fuori dai quartieri), 12 mesi: Pavia 1.283.'
    """
    from fragmap.i18n import format_number

    u = table[(table["level"] == UNASSIGNED) & (table["month"] == month) & (table["category"] == TOTAL)
              & (table["partner"] == ALL_PARTNERS) & (table["action"] == ALL_ACTIONS)]
    if u.empty:
        return ""
    it = language != "en"
    parts, no_town = [], ""
    for aid, v, hidden in sorted(zip(u["area_id"], u["value"], u["suppressed"].astype(bool))):
        text = format_number(None if hidden else float(v), "it" if it else "en")
        town = aid.split(":", 1)[1]
        if town == NETWORK:
            no_town = (f"; senza comune noto (solo nel totale della rete): {text}" if it
                       else f"; of no known town (in the network total only): {text}")
        else:
            parts.append(f"{town} {text}")
    head = ("Segnalazioni contate nel totale del comune ma in nessuna area (solo comune, quartiere "
            "sconosciuto, non trovate o fuori dai quartieri), 12 mesi: " if it else
            "Reports counted in the town total but in no area (placed only to the town, unknown "
            "quartiere, not found or outside the quarters), 12 months: ")
    return head + ", ".join(parts) + no_town + "."


def _town_areas(quarters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    q = quarters.to_crs(UTM)
    rows = []
    for town, grp in q.groupby("town"):
        rows.append({"area_id": town, "name": town, "town": town, "level": "town",
                     "population": float(grp["population"].sum()),
                     "pop_65": float(grp["pop_65"].sum()) if "pop_65" in grp else np.nan,
                     "population_estimated": bool(grp["population_estimated"].any()),
                     "geometry": shapely.union_all(grp.geometry.buffer(0.01).to_numpy()).buffer(-0.01)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM).to_crs(4326)


def publish_coverage(coverage: pd.DataFrame, pub: Publication, settings: Settings) -> pd.DataFrame:
    """Suppress walking-access figures per area and category before they are published.

    Parameters
    ----------
    coverage : DataFrame
        PRIVATE, per publication area (``area_id``, or ``quarter_id`` already mapped to
        the publication's areas) and category: ``n_reports``, ``n_within_5/10/15``,
        ``median_minutes``, ``method``.
    pub : Publication
        The publication the figures go with: a figure of an area and category whose
        12-month count is hidden there (for any reason) is hidden too, so coverage never
        undoes complementary suppression.
    settings : Settings
        ``privacy.threshold``.

    Returns
    -------
    DataFrame
        ``area_id, category, method, share_within_5/10/15, median_minutes, suppressed``:
        shares and medians only, never counts. A within-N share is hidden when the
        reports within N or beyond N are under the threshold (otherwise one could be
        computed from the other). Rows of areas the publication does not show are dropped.

    Examples
    --------
    >>> published = publish_coverage(private_coverage, pub, settings)   # doctest: +SKIP
    """
    t = settings.privacy.threshold
    out = coverage.rename(columns={"quarter_id": "area_id"}).copy()
    shown_areas = set(pub.areas.loc[pub.areas["level"] == "quarter", "area_id"])
    out = out[out["area_id"].isin(shown_areas)].reset_index(drop=True)
    if out.duplicated(["area_id", "category"]).any():
        raise PrivacyError("coverage must be computed per publication area (merged quarters together)")
    cells = pub.cells(month=pub.month, level="quarter", category=None)
    hidden_cell = dict(zip(zip(cells["area_id"], cells["category"]), cells["suppressed"].astype(bool)))
    n = out["n_reports"].astype(float)
    cell_hidden = pd.Series([hidden_cell.get(k, True) for k in zip(out["area_id"], out["category"])],
                            index=out.index, dtype=bool)
    small = ((n > 0) & (n < t)) | cell_hidden
    res = pd.DataFrame({"area_id": out["area_id"], "category": out["category"], "method": out.get("method", "")})
    for k in (5, 10, 15):
        col = f"n_within_{k}"
        if col not in out:
            continue
        within = out[col].astype(float)
        beyond = n - within
        hide = small | ((within > 0) & (within < t)) | ((beyond > 0) & (beyond < t))
        res[f"share_within_{k}"] = (within / n).where(~hide & (n > 0))
    res["median_minutes"] = out["median_minutes"].where(~small & (n > 0)) if "median_minutes" in out else np.nan
    res["suppressed"] = small
    return res.reset_index(drop=True)



def publish_resident_coverage(table: pd.DataFrame, pub: Publication, settings: Settings) -> pd.DataFrame:
    """Round residents-based coverage (:func:`fragmap.residents.resident_coverage`) for publication.

    The figures are estimates built from ISTAT totals, public services and public buildings,
    not from reports, so the small-count suppression of reports does not apply. What applies
    is the rule for population figures: they go with the publication's areas (merged small
    quarters together; rows of other areas are dropped), an area under
    ``min_quarter_population`` residents shows none (``suppressed``, as its population is too
    small for an estimate), residents are rounded to :data:`RESIDENT_ROUNDING` and shares to
    whole percent (computed before rounding, so rounded figures may not add up exactly).

    Parameters
    ----------
    table : DataFrame
        :func:`fragmap.residents.resident_coverage` (its :data:`~fragmap.residents.COLUMNS` only:
        any other column is refused, so nothing from reports rides along).
    pub : Publication
        The publication the figures go with.
    settings : Settings
        ``privacy.min_quarter_population``.

    Returns
    -------
    DataFrame
        The same columns plus ``suppressed``.

    Raises
    ------
    PrivacyError
        If the table carries a column that is not a residents' figure.

    Examples
    --------
    >>> published = publish_resident_coverage(resident_coverage(pub.areas, services), pub, settings)  # doctest: +SKIP
    """
    from fragmap.residents import COLUMNS

    extra = [c for c in table.columns if c not in COLUMNS]
    if extra:
        raise PrivacyError(f"resident coverage carries column(s) that are not residents' figures: {extra}")
    a = pub.areas
    quarters = a.loc[a["level"] == "quarter", "area_id"]
    towns = set(a.loc[a["level"] == "quarter", "town"])
    keep = ((table["level"] == "quarter") & table["area_id"].isin(set(quarters))) | (
        (table["level"] == "town") & table["area_id"].isin(towns)) | (table["level"] == "network")
    out = table[keep].copy().reset_index(drop=True)
    population = dict(zip(a.loc[a["level"] == "quarter", "area_id"], a.loc[a["level"] == "quarter", "population"]))
    small = (out["level"] == "quarter") & (
        out["area_id"].map(population).astype(float) < settings.privacy.min_quarter_population)
    r = float(RESIDENT_ROUNDING)
    for col in ("residents", "within", "beyond"):
        out[col] = (np.floor(out[col].astype(float) / r + 0.5) * r).where(~small)  # half up, not to even
    out["share_beyond"] = (np.floor(out["share_beyond"].astype(float) * 100 + 0.5) / 100).where(~small)
    out["suppressed"] = small.to_numpy()
    return out


#: The only columns a published where-next layer may carry (see :func:`publish_where_next`).
WHERE_NEXT_COLUMNS = ("rank", "name", "reached", "solution", "set_reached", "geometry")
_SOLUTIONS = ("greedy", "optimal")


def publish_where_next(layer: gpd.GeoDataFrame, threshold: int) -> gpd.GeoDataFrame:
    """The publishable where-next layer: sites and the counts that may be shown.

    Rules (the threshold rules of the rest of the publication):

    * a greedy site whose new reports (``reached``) are under the threshold is not
      published at all (its location would hint at a few reports);
    * the greedy set's total (``set_reached``) is shown only when every greedy site is
      shown (otherwise total minus the shown sites would give the hidden ones back);
    * the optimal set's sites are shown when it reaches more; per-site counts of the
      optimal set are never shown (their order within the set means nothing), and its
      total only when the greedy total is shown, and the optimal total and its gain over
      the greedy one are both at or above the threshold.

    Parameters
    ----------
    layer : GeoDataFrame
        PRIVATE: :func:`fragmap.access.where_next_layer` of a where-next result.
    threshold : int
        The privacy threshold.

    Returns
    -------
    GeoDataFrame
        :data:`WHERE_NEXT_COLUMNS`, counts hidden as NaN; passes :func:`check_where_next`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> layer = gpd.GeoDataFrame({"rank": [1, 2], "name": ["a", "b"], "reached": [12.0, 2.0],
    ...     "solution": ["greedy"] * 2, "set_reached": [14.0] * 2}, geometry=[Point(9.1, 45.2)] * 2, crs=4326)
    >>> publish_where_next(layer, 5)[["name", "reached", "set_reached"]].values.tolist()
    [['a', 12.0, nan]]
    """
    w = layer.copy()
    if "solution" not in w.columns:
        w["solution"] = "greedy"
    if "set_reached" not in w.columns:
        w["set_reached"] = w["reached"].astype(float).groupby(w["solution"]).transform("sum")
    reached = pd.to_numeric(w["reached"], errors="coerce").astype(float)
    greedy = (w["solution"] == "greedy").to_numpy()
    shown = greedy & (reached >= threshold).to_numpy()
    all_greedy_shown = bool(greedy.any()) and bool(shown[greedy].all())
    g_total = float(w.loc[greedy, "set_reached"].iloc[0]) if greedy.any() else np.nan
    out = w[shown | ~greedy].copy()
    out["reached"] = reached[shown | ~greedy].where(out["solution"] == "greedy")
    opt = (out["solution"] == "optimal").to_numpy()
    if not shown.any():  # no greedy site shown: no alternative to compare with either
        out = out[~opt]
        opt = np.zeros(len(out), dtype=bool)
    out["set_reached"] = np.nan
    if all_greedy_shown:
        out.loc[~opt, "set_reached"] = g_total
        if opt.any():
            o_total = float(w.loc[(w["solution"] == "optimal").to_numpy(), "set_reached"].iloc[0])
            if o_total >= threshold and (o_total - g_total) >= threshold:
                out.loc[opt, "set_reached"] = o_total
    out = gpd.GeoDataFrame(out[list(WHERE_NEXT_COLUMNS)], geometry="geometry", crs=layer.crs)
    return check_where_next(out.reset_index(drop=True), threshold)


def check_where_next(layer: gpd.GeoDataFrame, threshold: int) -> gpd.GeoDataFrame:
    """Raise unless ``layer`` is a publishable where-next layer (the renderers call this).

    Candidate points only, :data:`WHERE_NEXT_COLUMNS` only (never report data), every
    shown count at or above ``threshold``, and an optimal total shown only beside a greedy
    total it exceeds by at least ``threshold``.

    Parameters
    ----------
    layer : GeoDataFrame
        The layer to check (``rank`` required; ``reached``, ``solution``, ``set_reached``
        optional).
    threshold : int
        The privacy threshold.

    Returns
    -------
    GeoDataFrame
        ``layer`` itself.

    Raises
    ------
    PrivacyError
        If it carries other columns or a count that could disclose a small number.
    ValueError
        If it lacks ``rank`` or holds non-point geometries.

    Examples
    --------
    >>> check_where_next(publish_where_next(layer, 5), 5)     # doctest: +SKIP
    """
    extra = sorted(set(layer.columns) - set(WHERE_NEXT_COLUMNS))
    if extra:
        raise PrivacyError(
            f"where_next may carry only {', '.join(WHERE_NEXT_COLUMNS)}; refused column(s) {', '.join(extra)}: "
            "candidate sites only, never report data (publish it with fragmap.privacy.publish_where_next)"
        )
    if "rank" not in layer.columns:
        raise ValueError("where_next needs a 'rank' column")
    kinds = set(layer.geometry.geom_type.dropna().unique())
    if kinds - {"Point"}:
        raise ValueError(f"where_next must be candidate points, found {sorted(kinds)}")
    if "solution" in layer.columns and not layer["solution"].isin(_SOLUTIONS).all():
        raise ValueError(f"where_next 'solution' must be one of {', '.join(_SOLUTIONS)}")
    for col in ("reached", "set_reached"):
        if col in layer.columns:
            r = pd.to_numeric(layer[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isnan(r) & (r < threshold)
            if bad.any():
                raise PrivacyError(
                    f"{int(bad.sum())} where_next {col!r} count(s) under the privacy threshold ({threshold}): "
                    "suppress them (NaN) before rendering (fragmap.privacy.publish_where_next)"
                )
    if {"solution", "set_reached"} <= set(layer.columns):
        tot = pd.to_numeric(layer["set_reached"], errors="coerce").groupby(layer["solution"]).max()
        g, o = tot.get("greedy", np.nan), tot.get("optimal", np.nan)
        if not np.isnan(o) and (np.isnan(g) or o - g < threshold):
            raise PrivacyError(
                "the optimal where-next total may be shown only beside the greedy total, at least "
                f"{threshold} above it (the difference is a count too)"
            )
    return layer


def layer_points(
    *, isochrones: gpd.GeoDataFrame | None = None, where_next: gpd.GeoDataFrame | None = None,
) -> list[tuple[float, float]]:
    """``(lat, lon)`` of every vertex the optional map layers may print, exact and as printed.

    These points come from service locations, candidate sites and public reference data,
    not from reports; pass them to :func:`fingerprint` as ``public_points`` so the audit
    does not mistake an isochrone vertex that happens to lie near a report for a leaked
    location. Computed from the layers themselves, not from a renderer's output: every
    vertex of each walking time's outline (the renderers draw a simplification of it,
    whose vertices are a subset) and each candidate site. Each point is listed exactly and
    rounded to 5 decimals (as the pages print it). The background's printed positions are
    public reference data too: :func:`fragmap.background.background_points` lists them (the
    pipeline adds them; privacy imports no renderer).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> wn = gpd.GeoDataFrame({"rank": [1]}, geometry=[Point(9.123456, 45.187654)], crs=4326)
    >>> layer_points(where_next=wn)
    [(45.187654, 9.123456), (45.18765, 9.12346)]
    """
    pts: list[tuple[float, float]] = []

    def add(xy: np.ndarray) -> None:
        for x, y in xy:
            pts.append((float(y), float(x)))
            pts.append((round(float(y), 5), round(float(x), 5)))

    if isochrones is not None and len(isochrones):
        if "minutes" not in isochrones.columns:
            raise ValueError("isochrones need a 'minutes' column (walking minutes of each polygon)")
        g = isochrones.to_crs(UTM)
        for minutes in sorted(g["minutes"].dropna().unique()):
            outline = gpd.GeoSeries([g.loc[g["minutes"] == minutes].geometry.union_all()], crs=UTM).to_crs(4326)
            add(shapely.get_coordinates(outline.to_numpy()))
    if where_next is not None and len(where_next):
        add(shapely.get_coordinates(where_next.to_crs(4326).geometry.to_numpy()))
    return pts


def audit_over_time(
    pub: Publication, cube: pd.DataFrame, settings: Settings, *, first_months: dict[str, str] | None = None,
    released: pd.DataFrame | None = None,
) -> Any:
    """The run's audit over time: play the attacker who keeps every publication.

    Independent of :func:`publish`'s own protection and of any renderer: it reads the
    publication's table (the shown cells, and the 12-month totals a year earlier that the
    shown year-on-year changes give back), the ledger of earlier publications and the
    PRIVATE cube, and plays :func:`fragmap.disclosure.attack` over every area.

    Parameters
    ----------
    pub : Publication
        The publication about to go out.
    cube : DataFrame
        The PRIVATE counts cube it was built from (``quarter_id, town, month, category,
        partner, action, count``), as many months back as the ledger reaches.
    settings : Settings
        ``privacy.threshold`` and ``start_date``.
    first_months : dict, optional
        ``partner -> YYYY-MM`` of each partner's first report.
    released : DataFrame, optional
        The ledger of earlier publications (:func:`fragmap.io.released.read_released`).

    Returns
    -------
    fragmap.disclosure.AttackReport
        ``ok`` is False when a monthly count can be pinned to a value from 1 to
        ``threshold - 1`` or a hidden 12-month total confined to an interval narrower than
        the threshold; :func:`check_over_time` turns that into a refusal.

    Examples
    --------
    >>> project = Project.load("fragmap.toml")                                      # doctest: +SKIP
    >>> report = audit_over_time(project.publication("2026-10"), project.cube("2026-10", months=48),
    ...                          project.settings, released=project.released())   # doctest: +SKIP
    >>> exposed = report.exposures                                                   # doctest: +SKIP
    """
    from fragmap.disclosure import attack
    from fragmap.disclosure import released as released_by

    mapping = dict(zip(pub.extras["quarter_areas"]["quarter_id"], pub.extras["quarter_areas"]["area_id"])) \
        if "quarter_areas" in pub.extras else {}
    c = cube.copy()
    c["area_id"] = c["quarter_id"].map(mapping).fillna(c["quarter_id"])
    unplaced = c["quarter_id"] == UNASSIGNED
    c.loc[unplaced, "area_id"] = [unassigned_id(t) for t in c.loc[unplaced, "town"]]
    c = c.groupby(["area_id", "town", "month", "category", "partner", "action"], as_index=False)["count"].sum()
    if first_months is None:
        first_months = c[c["count"] > 0].groupby("partner")["month"].min().to_dict()
    first, _ = first_publishable_month(settings, first_months)
    c = c[c["month"] >= first]
    cols = [*_KEY_COLS, "month"]
    earlier = _earlier_shown(released, c)
    shown = pd.concat([released_by(pub.table)[cols], earlier], ignore_index=True)
    shown = shown[shown["month"] >= str(pd.Period(first, freq="M") + (WINDOW - 1))].drop_duplicates()
    hidden = pub.table.loc[pub.table["suppressed"].astype(bool), [*cols, "reason"]]
    if len(earlier):  # what an earlier publication showed is out already: not a hidden cell to protect
        was = set(map(tuple, earlier[cols].astype(str).to_numpy()))
        hidden = hidden[[tuple(k) not in was for k in hidden[cols].astype(str).to_numpy()]]
    return attack(c, shown.reset_index(drop=True), threshold=pub.threshold, data_start=first,
                  partner_start=first_months, hidden=hidden.reset_index(drop=True))


def check_over_time(report: Any, language: str = "it") -> None:
    """Raise :class:`PrivacyError` (a plain message, Italian by default) if ``report`` has exposures.

    Examples
    --------
    >>> from fragmap.disclosure import AttackReport, Exposure
    >>> check_over_time(AttackReport())
    >>> bad = AttackReport([Exposure("quarter", "PV-01", "2026-03", "mese", "anziani", "tutti", "tutte", 2, 2)])
    >>> check_over_time(bad)
    Traceback (most recent call last):
    ...
    fragmap._errors.PrivacyError: la verifica sulla privacy nel tempo ha rifiutato la pubblicazione: chi conserva le pubblicazioni di ogni mese potrebbe ricavare 1 conteggio sotto la soglia; la cartella pubblicata resta quella del mese scorso:
      - quarter PV-01, anziani, 2026-03: il conteggio del mese si restringe a 1 valore/i possibile/i combinando le pubblicazioni
    """
    if report.ok:
        return
    lines = "\n".join(f"  - {e.describe(language)}" for e in report.exposures[:20])
    n = len(report.exposures)
    if language == "en":
        raise PrivacyError(
            "the privacy audit over time refused to publish: someone who keeps every monthly publication "
            f"could work out {n} count(s) under the threshold; last month's folder is untouched:\n" + lines)
    raise PrivacyError(
        "la verifica sulla privacy nel tempo ha rifiutato la pubblicazione: chi conserva le pubblicazioni "
        f"di ogni mese potrebbe ricavare {n} conteggio{'' if n == 1 else 'i'} sotto la soglia; la cartella "
        "pubblicata resta quella del mese scorso:\n" + lines)


# -- audit ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrivateFingerprint:
    """What must never appear in a published file, in searchable form (kept in memory only)."""

    coords: frozenset[tuple[int, int]]  # (lat, lon) in units of 1e-4 degree (about 10 m)
    addresses: frozenset[str]           # folded, non-trivial addresses
    ids: frozenset[str]                 # distinctive report ids
    #: Names (stems, folded) and SHA-256 of the private input files: never published.
    names: frozenset[str] = frozenset()
    hashes: frozenset[str] = frozenset()
    #: Names published by design (areas, towns; folded): such a name and a figure after a
    #: label sign ("I Cortili - Via del Popolo: 7,2") is not an address (fragmap._published_names).
    public_names: frozenset[str] = frozenset()




def fingerprint(
    reports: pd.DataFrame, *, public_addresses: Sequence[str] = (), public_points: Sequence[tuple[float, float]] = (),
    private_files: Sequence[str] = (), private_hashes: Sequence[str] = (), public_names: Sequence[str] = (),
) -> PrivateFingerprint:
    """Build the audit fingerprint from the private reports (given or geocoded points).

    ``public_addresses`` are addresses of public services (a school, a pharmacy): a report
    typed at the same address is not revealed by printing the service's address, so
    those are left out of the search (compared as normalised street + number). Likewise
    ``public_points`` (lat, lon) of services: a report geocoded onto a school's address
    point shares its coordinates, and the school may be shown on the map. ``public_names`` are
    names published by design (areas, towns): one followed by a figure after a label sign is
    not taken for an address (:mod:`fragmap._published_names`).
    """
    from fragmap.geocode.normalise import normalise_address

    def addr_key(text: str) -> tuple[str | None, str | None]:
        p = normalise_address(text)
        return (p.key, str(p.house_number) if p.house_number is not None else None)

    public = {addr_key(a) for a in public_addresses if a}
    public_text = " " + " | ".join(_fold(a) for a in public_addresses if a) + " "
    lat = reports["lat"].to_numpy(dtype=float) if "lat" in reports else np.array([])
    lon = reports["lon"].to_numpy(dtype=float) if "lon" in reports else np.array([])
    ok = ~(np.isnan(lat) | np.isnan(lon))
    public_xy = {(round(a * 1e4) + i, round(b * 1e4) + j) for a, b in public_points for i in (-1, 0, 1) for j in (-1, 0, 1)}
    coords = frozenset((round(a * 1e4), round(b * 1e4)) for a, b in zip(lat[ok], lon[ok])) - public_xy
    addrs = set()
    # an address can share a public one's key only if it holds that one's house number: the
    # others skip the parsing (tens of thousands at ten times the demo); a miss here only
    # keeps an address in the search (stricter), never leaves one out
    numbers = {n for _, n in public}
    held = re.compile("|".join(sorted((n for n in numbers if n is not None), key=len, reverse=True)) or "(?!)")

    def may_be_public(folded: str) -> bool:
        return None in numbers or held.search(folded) is not None

    if "address" in reports:
        for a in reports["address"].dropna().astype(str).unique():
            f = _fold(a)
            if (len(f) >= 8 and re.search(r"\d", f) and f" {f} " not in public_text
                    and not (public and may_be_public(f) and addr_key(a) in public)):
                addrs.add(f)
    ids = set()
    if "report_id" in reports:
        for i in reports["report_id"].dropna().astype(str).unique():
            if len(i) >= 4 and not i.isdigit():
                ids.add(i)
    names = frozenset(f for f in (_fold(Path(n).stem) for n in private_files) if len(f) >= 6)
    return PrivateFingerprint(coords, frozenset(addrs), frozenset(ids), names,
                              frozenset(h.lower() for h in private_hashes),
                              frozenset(f for f in map(_fold, public_names) if len(f) >= 4))


@dataclass
class Finding:
    """One problem in a published file. ``what`` never holds the private value in clear."""

    file: str
    kind: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind} ({self.where}): {self.what}"


@dataclass
class AuditResult:
    """Outcome of :func:`audit_folder`: ``ok`` is False when any finding exists."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    #: Files that cannot be read as text (images...): not checked, to be looked at by eye.
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def raise_for_findings(self, headline: str, *, limit: int = 20) -> None:
        """Refuse what was audited: a :class:`PrivacyError` with ``headline`` and the first
        ``limit`` findings, one a line; nothing when the audit found nothing.

        The one place that turns an audit into a refusal (the pipeline's publish, the CLI's
        map and atlas previews, :func:`fragmap.explore.save_figure`).
        """
        if self.findings:
            raise PrivacyError(headline + ":\n" + "\n".join(f"  - {f}" for f in self.findings[:limit]))


TEXT_SUFFIXES = {".html", ".htm", ".js", ".json", ".geojson", ".csv", ".svg", ".txt", ".md", ".css", ".xml"}
#: Files read as tables (every sheet or layer) and audited like a CSV download.
TABLE_SUFFIXES = {".xlsx", ".gpkg"}
_NUM = re.compile(r"-?\d{1,3}[.,]\d{4,}")
_COUNT_ATTR = re.compile(r'data-fm-count="([^"]*)"')
#: Column or key names that hold counts in a download (folded: lower case, ASCII).
_COUNT_NAME = re.compile(
    r"^(value|valore|count|conteggio|numero|n|n[_ ].*|.*segnalazion.*|reports?|casi|totale|total|persone|people"
    r"|reports?[_ ]a[_ ]year[_ ]before"
    # figures of a run about reports (the private manifest's): never published under the threshold
    r"|read|accepted|rejected|duplicates|window[_ ]reports|unassigned.*|fuori.*|senza[_ ].*|geocoded.*"
    r"|.*[_ ]by[_ ](?:level|reason))$"
)


def _is_count_name(name: object) -> bool:
    return bool(_COUNT_NAME.match(_fold(str(name))))


def _static_hashes() -> frozenset[str]:
    """SHA-256 of the assets fragmap ships (Leaflet's images): known, not report data."""
    root = Path(__file__).resolve().parent / "static"
    return frozenset(hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file())


def _hash(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()[:8]


class _FoldedWords:
    """A text folded once (:func:`_fold`) and split into words, to find folded phrases fast.

    ``has_phrase(p)`` is exactly ``f" {p} " in f" {_fold(text)} "`` for a folded ``p``
    (words of ``[a-z0-9]`` joined by one space). :meth:`found_phrases` finds every phrase of a
    set in ONE pass over the text's words (an Aho-Corasick-like lookup by first word and
    length, :func:`_phrase_index`) instead of one search per phrase: tens of thousands of
    addresses against pages of hundreds of thousands of words at ten times the demo.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._words: list[str] | None = None

    def words(self) -> list[str]:
        """The folded words of the text, in order."""
        return self._index()

    def _index(self) -> list[str]:
        if self._words is None:
            folded = _fold(self._text)
            self._words = folded.split(" ") if folded else []
        return self._words

    def has_phrase(self, phrase: str, skip: Callable[[Sequence[str], int], bool] | None = None) -> bool:
        """Whether the folded ``phrase`` is in the text (an occurrence for which
        ``skip(words, start)`` is True does not count)."""
        return bool(self.found_phrases(frozenset([phrase]), skip))

    def found_phrases(self, phrases: frozenset[str], skip: Callable[[Sequence[str], int], bool] | None = None) -> set[str]:
        """Those of ``phrases`` found in the text (``skip``: as in :meth:`has_phrase`)."""
        words = self._index()
        by_first, plain = _phrase_index(phrases)
        found: set[str] = set()
        for i in [i for i, w in enumerate(words) if w in by_first]:
            for n, group in by_first[words[i]].items():
                t = tuple(words[i:i + n])
                if t in group:
                    p = " ".join(t)
                    if p not in found and (skip is None or not skip(t, i)):
                        found.add(p)
        if plain:  # not folded phrases: compared the plain way
            joined = f" {' '.join(words)} "
            found.update(p for p in plain if f" {p} " in joined)
        return found

    def first_phrase(self, phrases: frozenset[str], skip: Callable[[Sequence[str], int], bool] | None = None) -> str | None:
        """The first (sorted) of ``phrases`` found in the text, or None (``skip``: as in
        :meth:`has_phrase`)."""
        found = self.found_phrases(phrases, skip)
        return min(found) if found else None


@functools.lru_cache(maxsize=8)
def _phrase_index(phrases: frozenset[str]) -> tuple[dict[str, dict[int, set[tuple[str, ...]]]], tuple[str, ...]]:
    """The folded phrases as word tuples by first word and length, and the others (not
    folded: an empty phrase or word, compared the plain way)."""
    by_first: dict[str, dict[int, set[tuple[str, ...]]]] = {}
    plain = []
    for p in phrases:
        parts = tuple(p.split(" "))
        if not p or not all(parts):
            plain.append(p)
        else:
            by_first.setdefault(parts[0], {}).setdefault(len(parts), set()).add(parts)
    return by_first, tuple(plain)


def audit_text(name: str, text: str, private: PrivateFingerprint, *, threshold: int, show_zero: bool = True) -> list[Finding]:
    """Audit one file's text (pure). See :func:`audit_folder`."""
    findings: list[Finding] = []
    # 1. coordinates: two numbers close together (lat, lon or lon, lat) matching a report point
    #    at 4 decimals (one unit of rounding either way)
    toks = [(m.start(), m.end(), m.group()) for m in _NUM.finditer(text)]
    for (s1, e1, a), (s2, _, b) in zip(toks, toks[1:]):
        gap = text[e1:s2]
        if len(gap) > 24 or not re.fullmatch(r'[\s,;:"\'A-Za-z_]*', gap):
            continue
        try:
            x, y = round(float(a.replace(",", ".")) * 1e4), round(float(b.replace(",", ".")) * 1e4)
        except ValueError:
            continue
        hit = next(((p, q) for p, q in ((x, y), (y, x)) for i in (-1, 0, 1) for j in (-1, 0, 1)
                    if (p + i, q + j) in private.coords), None)
        if hit is not None:
            findings.append(Finding(name, "report coordinate", f"offset {s1}",
                                    f"near {hit[0] / 1e4:.2f}, {hit[1] / 1e4:.2f}"))
            break
    # 2. addresses and ids
    words = _FoldedWords(text)
    if private.addresses:
        from fragmap._published_names import named_figure_check

        # an area's or town's name and a figure after it ("Name: 7,2") is not an address
        skip = named_figure_check(text, words.words(), private.public_names) if private.public_names else None
        a = words.first_phrase(private.addresses, skip)
        if a is not None:
            findings.append(Finding(name, "report address", "text", f"address #{_hash(a)}"))
    if private.ids:
        tokens = set(re.findall(r"[\w/.-]{4,}", text))
        hits = tokens & private.ids
        if hits:
            findings.append(Finding(name, "report id", "text", f"{len(hits)} id(s), e.g. #{_hash(sorted(hits)[0])}"))
    # 2b. personal values (whatever their source) and the private input files
    findings += _audit_personal(name, text, private, words)
    # 3. counts printed in HTML
    for m in _COUNT_ATTR.finditer(text):
        v = m.group(1)
        if v == "suppressed":
            continue
        try:
            x = float(v.replace(",", "."))
        except ValueError:
            findings.append(Finding(name, "unreadable count", f"offset {m.start()}", v[:20]))
            continue
        if (0 < x < threshold) or (x == 0 and not show_zero):
            findings.append(Finding(name, "count under threshold", f"offset {m.start()}", f"{x:g}"))
    # 4. data downloads: "value" key/column
    suffix = Path(name).suffix.lower()
    if suffix in (".json", ".geojson"):
        try:
            findings += _audit_json_values(name, json.loads(text), threshold, show_zero)
        except ValueError:
            pass
    elif suffix == ".csv":
        import io

        try:
            df = pd.read_csv(io.StringIO(text), sep=None, engine="python")
        except Exception:
            df = None
        for col in [] if df is None else [c for c in df.columns if _is_count_name(c)]:
            v = pd.to_numeric(df[col], errors="coerce")
            bad = ((v > 0) & (v < threshold)) | ((v == 0) & (not show_zero))
            if bad.any():
                findings.append(Finding(name, "count under threshold", f"{int(bad.sum())} row(s)", f"column {col}"))
    # embedded JSON data in HTML: <script type="application/json"> blocks, and "value": n
    if suffix in (".html", ".htm"):
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', text, flags=re.S):
            try:
                findings += _audit_json_values(name, json.loads(block), threshold, show_zero)
            except ValueError:
                findings.append(Finding(name, "unreadable embedded data", "script", "JSON block"))
    if suffix in (".html", ".htm", ".js"):
        for m in re.finditer(r'"value"\s*:\s*(-?\d+(?:\.\d+)?)', text):
            x = float(m.group(1))
            if (0 < x < threshold) or (x == 0 and not show_zero):
                findings.append(Finding(name, "count under threshold", f"offset {m.start()}", f"embedded value {x:g}"))
                break
    return findings


#: Phone numbers as the audit looks for them in published text: a mobile number (3xx and
#: 6-7 digits, separators allowed) or any number written with +39 / 0039. Landline-like digit
#: runs are too common in drawings and scripts to be searched without false alarms.
_AUDIT_PHONE = re.compile(
    r"(?<![\w.,/#-])(?<!\d )(?:(?:\+|00)39[ .-]?\d[\d .-]{7,12}\d|3\d{2}[ -]?\d{3}[ -]?\d{3,4})(?![\w,/-]|\.\d)(?! -?\d)"
)
#: Attributes of drawings that hold only numbers (SVG paths, points, transforms): left out of
#: the search for phone numbers, whose digit runs they imitate.
_DRAWING_ATTRS = re.compile(r'\s(?:d|points|transform|viewBox|style|x|y|width|height)="[^"]*"')


def _audit_personal(
    name: str, text: str, private: PrivateFingerprint, words: _FoldedWords | None = None,
) -> list[Finding]:
    """E-mails, tax codes, IBANs, phones, private file names and hashes in a published text."""
    from fragmap import personal

    findings = []
    kinds = sorted({kind for kind, _ in personal.find_personal(text, phones=False)})
    if _AUDIT_PHONE.search(_DRAWING_ATTRS.sub(" ", text)):
        kinds.append("phone")
    for kind in kinds:
        findings.append(Finding(name, "personal data", "text", personal.label(kind, "en")))
    if private.names:
        words = words if words is not None else _FoldedWords(text)
        hits = sorted(words.found_phrases(private.names))
        if hits:
            findings.append(Finding(name, "private file name", "text", f"{len(hits)} name(s), e.g. #{_hash(hits[0])}"))
    if private.hashes:
        hits = set(re.findall(r"[0-9a-fA-F]{64}", text)) & private.hashes
        if hits:
            findings.append(Finding(name, "private file hash", "text", f"{len(hits)} hash(es)"))
    return findings


def public_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The part of a run manifest that may be published (the rest stays private).

    Kept: build time, month, synthetic flag, settings, versions and the counts of cells
    and areas (how many cells are shown and hidden, never how many reports). Left out:
    the input files (their names may carry personal data, their hashes identify private
    files) and every count of reports (read, accepted, rejected, by geocoding level,
    outside the quarters...), which may be under the threshold.

    Examples
    --------
    >>> m = {"month": "2026-10", "inputs": [{"file": "x.csv"}], "counts": {"read": 2, "quarters": 40}}
    >>> public_manifest(m)
    {'month': '2026-10', 'counts': {'quarters': 40}}
    """
    keep = ("built_at", "month", "synthetic", "settings", "versions")
    out = {k: manifest[k] for k in keep if k in manifest}
    counts = manifest.get("counts") or {}
    public_counts = ("quarters", "published_cells", "suppressed_cells", "suppressed_primary",
                     "suppressed_secondary")
    out["counts"] = {k: counts[k] for k in public_counts if k in counts}
    return out


def _audit_json_values(name: str, data: Any, threshold: int, show_zero: bool) -> list[Finding]:
    bad = 0
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if _is_count_name(k):
                    if isinstance(v, dict):  # e.g. {"geocoded_by_level": {"civico": 3}}
                        v = [n for n in v.values() if not isinstance(n, (dict, list))]
                    for n in v if isinstance(v, list) else [v]:
                        if isinstance(n, (int, float)) and not isinstance(n, bool):
                            if (0 < n < threshold) or (n == 0 and not show_zero):
                                bad += 1
                else:
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return [Finding(name, "count under threshold", f"{bad} value(s)", "key value")] if bad else []


def _audit_table_file(path: Path, folder: Path, private: PrivateFingerprint, settings: Settings) -> list[Finding]:
    """Every sheet (XLSX) or layer (GPKG) checked as a CSV download: coordinates (geometries
    as text), addresses, ids and count-like columns. An unreadable file is a finding."""
    from fragmap.io.exports import read_tables

    rel = str(path.relative_to(folder))
    try:
        tables = read_tables(path)
    except Exception as exc:  # a file we cannot read cannot be declared safe
        return [Finding(rel, "unreadable file", "file", type(exc).__name__)]
    findings: list[Finding] = []
    for name, frame in tables:
        findings += audit_text(f"{rel}[{name}].csv", frame.to_csv(index=False), private,
                               threshold=settings.privacy.threshold, show_zero=settings.privacy.show_zero)
    return findings


def audit_folder(folder: str | Path, private: PrivateFingerprint, settings: Settings) -> AuditResult:
    """Scan every text file of a published folder for anything that could point at a person.

    Fails on: a report coordinate (4 decimals, ``.`` or ``,``, either order), a report
    address, a report id, a count printed (``data-fm-count``) or downloaded (a CSV column
    or JSON key named like a count: value, count, n_..., segnalazioni...) under the
    threshold. Excel workbooks and GeoPackages are read sheet by sheet and layer by layer
    (geometries as text) and checked like a CSV. Findings never print the private value in clear. Files that are not text
    (images other than fragmap's own assets) cannot be checked: they are listed in
    ``unchecked`` for a person to look at, and the CLI says so.

    Parameters
    ----------
    folder : str or Path
        The folder about to be published (or already online).
    private : PrivateFingerprint
        What must not appear (:func:`fingerprint` of the private reports).
    settings : Settings
        ``privacy.threshold`` and ``show_zero``.

    Returns
    -------
    AuditResult
        ``ok``, ``findings`` and the files that could not be checked (``unchecked``).


    Examples
    --------
    >>> res = audit_folder("maps", fingerprint(geocoded), settings)   # doctest: +SKIP
    """
    folder = Path(folder)
    result = AuditResult()
    known = _static_hashes()
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix.lower() in TABLE_SUFFIXES:
            result.files += 1
            result.findings += _audit_table_file(path, folder, private, settings)
            continue
        if path.suffix.lower() not in TEXT_SUFFIXES:
            if hashlib.sha256(path.read_bytes()).hexdigest() not in known:
                result.unchecked.append(str(path.relative_to(folder)))
            continue
        result.files += 1
        text = path.read_text(encoding="utf-8", errors="replace")
        result.findings += audit_text(str(path.relative_to(folder)), text, private,
                                      threshold=settings.privacy.threshold, show_zero=settings.privacy.show_zero)
    return result


__all__ = [
    "AuditResult", "Finding", "PrivateFingerprint", "audit_folder", "audit_over_time", "audit_text",
    "check_over_time", "check_table",
    "check_where_next", "fingerprint", "fragility_index", "layer_points", "merge_small_areas", "public_manifest",
    "publish", "publish_coverage", "publish_resident_coverage", "publish_where_next", "suppress", "unassigned_note",
]
