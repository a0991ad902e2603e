"""The attacker over time: linear programming over every published 12-month total.

Suppression (:func:`fragmap.privacy.suppress`) protects each month's table on its own. An
attacker who keeps consecutive publications holds more: two 12-month totals a month apart
differ by one month in and one month out, and with enough of them (a shown 0, the months
before the data begin, a partner that joined later, or simply the fact that no count is
negative) the monthly counts of a small cell can be pinned down. This module plays that
attacker, for the run's audit and for the suppression that answers it.

Attacker model
--------------
The attacker holds every figure of every publication kept in the private ledger of what
was released, plus the current one: the shown 12-month totals of each month of each
publication, and the 12-month totals a year earlier that a shown year-on-year change gives
back. They know that counts are whole numbers of at least 0, that nothing was counted
before the data begin, and that a partner counted nothing before its first report. For one
*family* of cells at a time (one area: its categories and total; at town and network level
also its partners and actions) they solve linear programs over the unknown monthly counts,
giving for each monthly count and each hidden 12-month total the least and greatest value
consistent with everything published.

Guarantee checked
-----------------
No monthly count may be pinned to a single value from 1 to ``threshold - 1`` (two shown
totals a month apart always *bound* the month that entered: that is what rolling totals
are). No 12-month total hidden to protect another ("n.d.", reasons ``secondary``,
``history``, ``area``) may be confined to an interval ``[low, high]`` (whole numbers)
narrower than the threshold that reaches under it: ``high - low < threshold``,
``low < threshold`` and ``high > 0`` is an *exposure* (``[12, 14]`` is not small, ``[0, 0]``
is a zero, which may be shown anyway). A total hidden because it is small (``primary``)
is printed "< 5", which already says it lies from 1 to 4: it may not be pinned to one value.

Relations between areas within a month (quarters -> town) are protected by the monthly
complementary suppression and are not combined with time here: the families are solved
one by one (see docs/METHODS.md, "Privacy over time").
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fragmap._keys import ALL_ACTIONS, ALL_PARTNERS, TOTAL, UNASSIGNED

WINDOW = 12
#: Key of a published cell (without its month).
CELL_KEY = ("level", "area_id", "category", "partner", "action")
_EPS = 1e-6


@dataclass(frozen=True)
class Exposure:
    """A count the attacker can confine to a narrow interval. Never printed with its value."""

    level: str
    area_id: str
    month: str
    #: ``"mese"`` (a monthly count, never published) or ``"12 mesi"`` (a hidden 12-month total)
    kind: str
    category: str
    partner: str
    action: str
    low: int
    high: int

    def describe(self, language: str = "it") -> str:
        """The exposure in words, without the count itself (the interval's width only)."""
        dims = "/".join(x for x in (self.category, self.partner, self.action) if x not in (TOTAL, ALL_PARTNERS, ALL_ACTIONS))
        dims = dims or (TOTAL if language == "it" else "total")
        width = self.high - self.low
        if language == "en":
            what = "monthly count" if self.kind == "mese" else "hidden 12-month total"
            return (f"{self.level} {self.area_id}, {dims}, {self.month}: the {what} can be narrowed down "
                    f"to {width + 1} possible value(s) by combining the publications")
        what = "il conteggio del mese" if self.kind == "mese" else "il totale di 12 mesi nascosto"
        return (f"{self.level} {self.area_id}, {dims}, {self.month}: {what} si restringe a {width + 1} "
                f"valore/i possibile/i combinando le pubblicazioni")


@dataclass
class AttackReport:
    """What :func:`attack` found and how long it took."""

    exposures: list[Exposure] = field(default_factory=list)
    families: int = 0
    targets: int = 0
    programs: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.exposures


def _ordinal(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _month(ordinal: int) -> str:
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def _interval(lo: float, hi: float) -> tuple[int, int]:
    return int(np.ceil(lo - _EPS)), int(np.floor(hi + _EPS))


def exposed(low: int, high: int, threshold: int) -> bool:
    """True when ``[low, high]`` is narrower than ``threshold`` and reaches under it (not just 0).

    Examples
    --------
    >>> exposed(2, 2, 5), exposed(0, 3, 5), exposed(0, 0, 5), exposed(0, 5, 5), exposed(12, 14, 5)
    (True, True, False, False, False)
    """
    return high - low < threshold and low < threshold and high > 0


def attack(
    cube: pd.DataFrame,
    shown: pd.DataFrame,
    *,
    threshold: int,
    data_start: str,
    partner_start: dict[str, str] | None = None,
    hidden: pd.DataFrame | None = None,
    families: Iterable[tuple[str, str]] | None = None,
    limit: int | None = None,
) -> AttackReport:
    """Play the attacker over time; list every exposure (see the module docstring).

    Parameters
    ----------
    cube : DataFrame
        PRIVATE monthly counts mapped to publication areas: ``area_id, town, month,
        category, partner, action, count``, covering every month of every window in ``shown``
        from ``data_start`` on.
    shown : DataFrame
        Every 12-month total the attacker holds: :data:`CELL_KEY` and ``month`` (the window's
        last month). Their values are taken from ``cube`` (the truth): see :func:`released`.
    threshold : int
        The privacy threshold.
    data_start : str
        ``YYYY-MM``: nothing was counted before (public: the project's start).
    partner_start : dict, optional
        ``partner -> YYYY-MM`` of each partner's first report (public: when it joined).
    hidden : DataFrame, optional
        Hidden 12-month totals to check too (:data:`CELL_KEY` and ``month``).
    families : iterable of (level, area_id), optional
        Only these families (default: every family with a cell in ``shown``).
    limit : int, optional
        Stop after this many exposures.

    Returns
    -------
    AttackReport
    """
    try:  # small dense algebra: one thread is faster than many fighting over a shared machine
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        import contextlib

        def threadpool_limits(limits: int) -> contextlib.AbstractContextManager[None]:  # type: ignore[misc]
            return contextlib.nullcontext()

    with threadpool_limits(1):
        return _attack(cube, shown, threshold=threshold, data_start=data_start, partner_start=partner_start,
                       hidden=hidden, families=families, limit=limit)


def _ordinals(months: Any) -> np.ndarray:
    """:func:`_ordinal` of every ``YYYY-MM`` in ``months``, parsing each distinct month once."""
    codes, uniq = pd.factorize(np.asarray(months, dtype=object))
    return np.array([_ordinal(m) for m in uniq], dtype=np.int64)[codes] if len(uniq) else np.zeros(0, np.int64)


@dataclass
class _Columns:
    """The cube as integer codes (categories, partners and actions in sorted order, so that
    the family's unknowns come out in the order of a sorted group-by), split once per family."""

    cat: np.ndarray
    partner: np.ndarray
    action: np.ndarray
    mo: np.ndarray
    count: np.ndarray
    cat_names: np.ndarray
    partner_names: np.ndarray
    action_names: np.ndarray

    @classmethod
    def of(cls, cube: pd.DataFrame) -> _Columns:
        keep = cube["category"].notna() & cube["partner"].notna() & cube["action"].notna()  # as a group-by
        cube = cube[keep.to_numpy()]
        cat, cat_names = pd.factorize(cube["category"], sort=True)
        partner, partner_names = pd.factorize(cube["partner"], sort=True)
        action, action_names = pd.factorize(cube["action"], sort=True)
        return cls(cat.astype(np.int64), partner.astype(np.int64), action.astype(np.int64),
                   cube["mo"].to_numpy(np.int64), cube["count"].to_numpy(float),
                   np.asarray(cat_names, dtype=object), np.asarray(partner_names, dtype=object),
                   np.asarray(action_names, dtype=object))

    def family_rows(self, cube: pd.DataFrame, families: list[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
        """The rows (positions) each family sums: its area, its town, or everything."""
        keep = (cube["category"].notna() & cube["partner"].notna() & cube["action"].notna()).to_numpy()
        sub = cube[keep]
        by_area = sub.groupby("area_id", sort=False).indices
        by_town = sub.groupby("town", sort=False).indices if any(f[0] == "town" for f in families) else {}
        every = np.arange(len(sub))
        none = np.zeros(0, dtype=np.int64)
        out: dict[tuple[str, str], np.ndarray] = {}
        for level, area_id in families:
            if level in ("quarter", UNASSIGNED):
                out[(level, area_id)] = by_area.get(area_id, none)
            elif level == "town":
                out[(level, area_id)] = by_town.get(area_id, none)
            else:
                out[(level, area_id)] = every
        return out


def _attack(cube: pd.DataFrame, shown: pd.DataFrame, *, threshold: int, data_start: str,
            partner_start: dict[str, str] | None, hidden: pd.DataFrame | None,
            families: Iterable[tuple[str, str]] | None, limit: int | None) -> AttackReport:
    from scipy import sparse

    started = time.perf_counter()
    report = AttackReport()
    partner_start = partner_start or {}
    start = _ordinal(data_start)
    shown = shown.assign(mo=_ordinals(shown["month"]))
    hidden = hidden.assign(mo=_ordinals(hidden["month"])) if hidden is not None and len(hidden) else None
    cube = cube.assign(mo=_ordinals(cube["month"])) if "mo" not in cube else cube
    cube = cube[cube["mo"] >= start]
    wanted = list(families) if families is not None else sorted(set(zip(shown["level"], shown["area_id"])))
    # the equations: each shown total once, as plain arrays split by family
    shown = shown.drop_duplicates([*CELL_KEY, "mo"]).reset_index(drop=True)
    by_family = shown.groupby(["level", "area_id"], sort=False).indices
    s_cat, s_partner, s_action = (shown[k].to_numpy(object) for k in ("category", "partner", "action"))
    s_mo = shown["mo"].to_numpy(np.int64)
    hidden_by: dict[tuple[str, str], np.ndarray] = {}
    if hidden is not None:
        hidden = hidden.drop_duplicates([*CELL_KEY, "mo"]).reset_index(drop=True)
        hidden_by = hidden.groupby(["level", "area_id"], sort=False).indices
        h_cat, h_partner, h_action = (hidden[k].to_numpy(object) for k in ("category", "partner", "action"))
        h_mo = hidden["mo"].to_numpy(np.int64)
        h_primary = (hidden["reason"] == "primary").to_numpy() if "reason" in hidden else np.zeros(len(hidden), bool)
    cols = _Columns.of(cube)
    rows_of = cols.family_rows(cube, [f for f in wanted if f in by_family])
    n_p, n_a = len(cols.partner_names), len(cols.action_names)
    p_first_of = np.array([_ordinal(partner_start[p]) if p in partner_start else start for p in cols.partner_names],
                          dtype=np.int64)
    for level, area_id in wanted:
        idx = by_family.get((level, area_id))
        if idx is None or not len(idx):
            continue
        report.families += 1
        fine = level in ("town", "network")
        if not fine:
            idx = idx[(s_partner[idx] == ALL_PARTNERS) & (s_action[idx] == ALL_ACTIONS)]
            if not len(idx):
                continue
        first_m, last_m = max(int(s_mo[idx].min()) - WINDOW + 1, start), int(s_mo[idx].max())
        rows = rows_of[(level, area_id)]
        rows = rows[(cols.mo[rows] >= first_m) & (cols.mo[rows] <= last_m)]
        if not len(rows):
            continue
        # the unknowns (atoms): one per category (and partner and action at town and network level)
        key = cols.cat[rows] * (n_p * n_a) + cols.partner[rows] * n_a + cols.action[rows] if fine else cols.cat[rows]
        atom_keys, atom_of = np.unique(key, return_inverse=True)
        n_atoms, n_months = len(atom_keys), last_m - first_m + 1
        truth = np.zeros((n_atoms, n_months))
        np.add.at(truth, (atom_of, cols.mo[rows] - first_m), cols.count[rows])
        cats = cols.cat_names[atom_keys // (n_p * n_a)] if fine else cols.cat_names[atom_keys]
        partners = cols.partner_names[(atom_keys // n_a) % n_p] if fine else None
        actions = cols.action_names[atom_keys % n_a] if fine else None
        # public zeros: before a partner's first report (and a category all of whose partners came later)
        ub = np.full((n_atoms, n_months), np.inf)
        months = np.arange(first_m, last_m + 1)
        if partner_start:
            if fine:
                p_first = p_first_of[(atom_keys // n_a) % n_p]
            else:
                p_first = np.full(n_atoms, np.iinfo(np.int64).max)
                pos = cols.count[rows] > 0  # the partners that reported in each category
                np.minimum.at(p_first, atom_of[pos], p_first_of[cols.partner[rows][pos]])
                p_first[p_first == np.iinfo(np.int64).max] = start
            ub[months[None, :] < p_first[:, None]] = 0.0
        if (truth[ub == 0] != 0).any():  # a partner's first month not the first with reports: trust nothing
            ub[:] = np.inf

        masks_cache: dict[tuple[str, str, str], np.ndarray] = {}

        def atom_mask(cat: str, partner: str, action: str) -> np.ndarray:
            key = (cat, partner, action)
            if key not in masks_cache:
                m = np.ones(n_atoms, dtype=bool)
                if cat != TOTAL:
                    m &= cats == cat
                if fine and partner != ALL_PARTNERS:
                    m &= partners == partner
                if fine and action != ALL_ACTIONS:
                    m &= actions == action
                masks_cache[key] = m
            return masks_cache[key]

        def window(am: np.ndarray, end: int) -> np.ndarray:
            w = np.zeros((n_atoms, n_months), dtype=bool)
            lo = max(end - WINDOW + 1, first_m) - first_m
            w[am, lo:end - first_m + 1] = True
            return w.ravel()

        # one row per equation: its unknowns (atoms) times its 12 months, built at once
        eq_atoms = np.array([atom_mask(c, p, a) for c, p, a in zip(s_cat[idx], s_partner[idx], s_action[idx])])
        ends = s_mo[idx] - first_m
        month_cols = np.arange(n_months)
        eq_months = (month_cols[None, :] >= np.maximum(ends - WINDOW + 1, 0)[:, None]) & (month_cols[None, :] <= ends[:, None])
        dense = (eq_atoms[:, :, None] & eq_months[:, None, :]).reshape(len(idx), -1).astype(float)
        flat = truth.ravel()
        b = dense @ flat
        A = sparse.csr_matrix(dense)
        bounds = np.column_stack([np.zeros(ub.size), ub.ravel()])
        # targets: monthly counts of every dimension the family publishes, and hidden 12-month totals
        dim_cells = [(TOTAL, ALL_PARTNERS, ALL_ACTIONS)] + [(c, ALL_PARTNERS, ALL_ACTIONS) for c in pd.unique(cats)]
        if fine:
            dim_cells += [(TOTAL, p, ALL_ACTIONS) for p in pd.unique(partners)]
            dim_cells += [(TOTAL, ALL_PARTNERS, a) for a in pd.unique(actions)]
        covered = (dense.sum(axis=0) > 0).reshape(n_atoms, n_months)
        targets: list[tuple[str, tuple[str, str, str], int, np.ndarray, float]] = []
        for dc in dim_cells:
            am = atom_mask(*dc)
            monthly = truth[am].sum(axis=0)
            for j in np.flatnonzero((monthly > 0) & (monthly < threshold)):
                if not covered[am, j].any() or (ub[am, j] == 0).all():
                    continue
                t = np.zeros((n_atoms, n_months), dtype=bool)
                t[am, j] = True
                targets.append(("mese", dc, first_m + int(j), t.ravel(), float(monthly[j])))
        for j in hidden_by.get((level, area_id), ()):
            r_cat, r_partner, r_action, r_mo = h_cat[j], h_partner[j], h_action[j], int(h_mo[j])
            if not fine and (r_partner != ALL_PARTNERS or r_action != ALL_ACTIONS):
                continue
            if first_m <= r_mo <= last_m:
                t = window(atom_mask(r_cat, r_partner, r_action), r_mo)
                v = float(flat[t].sum())
                if v <= 2 * threshold - 2:  # above, an interval narrower than the threshold around it stays above it
                    targets.append(("12 mesi<" if h_primary[j] else "12 mesi", (r_cat, r_partner, r_action), r_mo, t, v))
        if not targets:
            continue
        # positive in the true counts, or in no equation: free for sure (the program asks about the others)
        # in a shown total of 0: zero at every solution (no need to ask either)
        zero = dense[b < 0.5].any(axis=0)
        free, inner = _free_variables(A, b, bounds, known=((flat > 0) | ~covered.ravel()) & (bounds[:, 1] > 0),
                                      zero=zero)
        basis = _row_space(dense, free)
        pinned = _pinned_all(np.array([t for *_, t, _v in targets], dtype=float), free, basis)
        solver: _Solver | None = None
        # solutions met so far: each bounds every interval from inside, for free
        pool = [flat] + ([inner] if inner is not None else [])
        for (kind, dc, m, t, true_value), is_pinned in zip(targets, pinned):
            report.targets += 1
            c = t.astype(float)
            if is_pinned:
                low = high = round(true_value)
            elif kind in ("mese", "12 mesi<"):
                continue  # a monthly count is exposed only when pinned (to a value from 1 to threshold - 1)
            else:  # a hidden 12-month total: how wide is its interval?
                seen = np.array([x @ c for x in pool])
                if seen.max() - seen.min() >= threshold:
                    continue  # two known solutions already lie that far apart
                if solver is None:
                    solver = _Solver(A, b, bounds)
                x_hi = solver.solution(c, maximise=True)
                report.programs += 1
                if x_hi is None:
                    continue  # unbounded: nothing pins it
                pool.append(x_hi)
                hi = float(x_hi @ c)
                if np.floor(hi + _EPS) - seen.min() >= threshold:
                    continue  # wide enough
                lo = 0.0
                if true_value >= 0.5:
                    x_lo = solver.solution(c, maximise=False)
                    report.programs += 1
                    if x_lo is not None:
                        pool.append(x_lo)
                        lo = float(x_lo @ c)
                low, high = _interval(lo, hi)
            if kind == "12 mesi<":  # "< 5" on the page already says 1 to 4: exposed only when pinned
                kind = "12 mesi"
                if not (low == high and 0 < low < threshold):
                    continue
            if exposed(low, high, threshold):
                report.exposures.append(Exposure(level, area_id, _month(m), kind, *dc, low, high))
                if limit is not None and len(report.exposures) >= limit:
                    report.seconds = time.perf_counter() - started
                    return report
    report.seconds = time.perf_counter() - started
    return report


_BANNER_LOCK = threading.Lock()
_banner_done = False


def _new_highs(highspy: Any) -> Any:
    """A silent ``highspy.Highs`` (its first construction in a process prints a banner: kept off
    the terminal by pointing the standard output elsewhere for that moment)."""
    global _banner_done
    with _BANNER_LOCK:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


class _Solver:
    """One family's linear program, solved for one objective after another.

    With highspy the model is passed once and each new objective starts from the last
    basis (a few pivots); without it, :func:`scipy.optimize.linprog` (HiGHS too) solves
    each from scratch.
    """

    def __init__(self, A, b: np.ndarray, bounds: np.ndarray,  # type: ignore[no-untyped-def]
                 row_upper: np.ndarray | None = None) -> None:
        # rows: b <= A x <= row_upper (row_upper None: A x = b)
        self.A, self.b, self.bounds, self.row_upper = A, b, bounds, row_upper
        try:
            import highspy
        except ImportError:  # pragma: no cover - the dependency is declared; scipy still works
            self.h = None
            return
        csc = A.tocsc()
        h = _new_highs(highspy)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        inf = highspy.kHighsInf
        lp.col_cost_ = np.zeros(A.shape[1])
        lp.col_lower_ = bounds[:, 0].astype(float)
        lp.col_upper_ = np.where(np.isinf(bounds[:, 1]), inf, bounds[:, 1]).astype(float)
        lp.row_lower_ = np.where(np.isinf(b), -inf, b).astype(float)
        lp.row_upper_ = (b if row_upper is None else np.where(np.isinf(row_upper), inf, row_upper)).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        h.passModel(lp)
        # a new objective keeps the last basis feasible: primal simplex from it, no presolve
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 4)
        self.h, self.hs, self.cols = h, highspy, np.arange(A.shape[1], dtype=np.int32)

    def optimum(self, c: np.ndarray, *, maximise: bool) -> float | None:
        """The least (greatest) value of ``c . x``; None when unbounded or not solved."""
        x = self.solution(c, maximise=maximise)
        return None if x is None else float(c @ x)

    def solution(self, c: np.ndarray, *, maximise: bool) -> np.ndarray | None:
        """A solution minimising (maximising) ``c . x``; None when the objective is unbounded.

        HiGHS from the last basis first; if it ends without an optimum for any other reason
        (numerical trouble), the program is solved again from scratch with scipy, and if that
        fails too :class:`ArithmeticError` is raised: a count is never declared safe because a
        solver gave up.
        """
        if self.h is not None:
            hs = self.hs
            self.h.changeColsCost(len(self.cols), self.cols, c.astype(float))
            self.h.changeObjectiveSense(hs.ObjSense.kMaximize if maximise else hs.ObjSense.kMinimize)
            self.h.run()
            status = self.h.getModelStatus()
            if status == hs.HighsModelStatus.kOptimal:
                return np.asarray(self.h.getSolution().col_value)
            if status == hs.HighsModelStatus.kUnbounded:
                return None
        from scipy.optimize import Bounds, LinearConstraint, linprog, milp

        if self.row_upper is None:
            res = linprog(-c if maximise else c, A_eq=self.A, b_eq=self.b, bounds=self.bounds, method="highs")
        else:
            res = milp(-c if maximise else c, constraints=LinearConstraint(self.A, self.b, self.row_upper),
                       bounds=Bounds(self.bounds[:, 0], self.bounds[:, 1]))
        if res.status == 0:
            return np.asarray(res.x)
        if res.status == 3:  # unbounded
            return None
        raise ArithmeticError(f"the privacy attacker's linear program failed: {res.message}")


def _free_variables(A, b: np.ndarray, bounds: np.ndarray,  # type: ignore[no-untyped-def]
                    known: np.ndarray | None = None,
                    zero: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Which unknowns can be positive somewhere in ``{x >= 0, A x = b}`` (one linear program),
    and a solution where they all are (None if no program was needed).

    Freund, Roundy and Todd (1985): maximise ``sum(y)`` with ``0 <= y <= 1``, ``y <= x`` and
    ``A x = theta b``, ``theta >= 1``; scaling by ``theta`` lets every unknown that can be
    positive reach ``y = 1`` at once. The others are 0 at every solution (implicit zeros).
    ``known`` marks unknowns already known to be positive at some solution (e.g. the true
    counts): they get no ``y`` (the argument holds for any subset of the unknowns), which
    keeps the program small; with every unknown known, none is solved. ``zero`` marks
    unknowns known to be 0 at every solution (in an equation whose total is 0): not asked.
    """
    from scipy import sparse

    n = A.shape[1]
    free = np.zeros(n, dtype=bool) if known is None else known.astype(bool)
    ask = ~free & (bounds[:, 1] != 0)  # an upper bound 0 is an implicit zero already
    if zero is not None:
        ask &= ~zero
    ask = np.flatnonzero(ask)
    k = len(ask)
    if k == 0:
        return free, None
    pick = sparse.csr_matrix((np.ones(k), (np.arange(k), ask)), shape=(k, n))
    rows = sparse.vstack([
        sparse.hstack([A, sparse.csr_matrix((A.shape[0], k)), sparse.csr_matrix(-b.reshape(-1, 1))]),
        sparse.hstack([-pick, sparse.identity(k, format="csr"), sparse.csr_matrix((k, 1))]),
    ]).tocsr()
    row_lo = np.concatenate([np.zeros(A.shape[0]), np.full(k, -np.inf)])
    row_hi = np.zeros(A.shape[0] + k)
    ub_x = np.where(bounds[:, 1] == 0, 0.0, np.inf)
    bnds = np.vstack([np.column_stack([np.zeros(n), ub_x]), np.column_stack([np.zeros(k), np.ones(k)]),
                      [[1.0, np.inf]]])
    cost = np.concatenate([np.zeros(n), np.ones(k), [0.0]])
    y = _Solver(rows, row_lo, bnds, row_upper=row_hi).solution(cost, maximise=True)
    if y is None:  # cannot happen (the objective is at most k): trust no unknown to be free
        raise ArithmeticError("the privacy attacker's interior program is unbounded")
    free[ask] = y[n:n + k] > 0.5
    # x / theta solves the original equations: a solution inside, for the intervals' pool
    return free, y[:n] / max(float(y[-1]), 1.0)


def _row_space(A: np.ndarray, free: np.ndarray) -> np.ndarray:
    """An orthonormal basis (rows) of the row space of ``A`` restricted to the free unknowns."""
    dense = A[:, free]
    if dense.size == 0:
        return np.zeros((0, int(free.sum())))
    # through the Gram matrix (rows x rows): far smaller than the unknowns, and exact enough
    # for matrices of 0 and 1
    vals, vecs = np.linalg.eigh(dense @ dense.T)
    keep = vals > 1e-9 * max(1.0, float(vals.max()))
    return (vecs[:, keep].T @ dense) / np.sqrt(vals[keep])[:, None]


def _pinned_all(targets: np.ndarray, free: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """For each row ``t`` of ``targets``: True when ``t . x`` takes one value on the whole solution set.

    On the solution set the implicit zeros stay 0 and the free unknowns move within the
    null space of ``A``; the sum is constant exactly when the target (on the free unknowns)
    lies in the row space of ``A`` (``basis``: orthonormal rows). All targets in one product.
    """
    c = targets[:, free]
    residual = c - (c @ basis.T) @ basis
    return (np.abs(residual).max(axis=1, initial=0.0) < 1e-6) | ~c.any(axis=1)


def released(table: pd.DataFrame) -> pd.DataFrame:
    """The 12-month totals a publication's table gives away: :data:`CELL_KEY`, ``month``.

    The shown cells, and for each shown year-on-year change the total a year earlier (the
    change and the count give it back: ``value / (1 + change)``).

    Examples
    --------
    >>> t = pd.DataFrame({"level": ["quarter"] * 2, "area_id": "A", "category": "totale", "partner": "tutti",
    ...                   "action": "tutte", "month": ["2026-09", "2026-10"], "value": [10.0, 12.0],
    ...                   "suppressed": False, "change_yoy": [np.nan, 0.2]})
    >>> released(t)["month"].tolist()
    ['2025-10', '2026-09', '2026-10']
    """
    t = table[~table["suppressed"].astype(bool)]
    cols = [*CELL_KEY, "month"]
    out = [t[cols]]
    if "change_yoy" in t.columns:
        yoy = t[t["change_yoy"].notna()]
        if len(yoy):
            base = yoy[cols].copy()
            base["month"] = [_month(_ordinal(m) - 12) for m in base["month"]]
            out.append(base)
    return pd.concat(out, ignore_index=True).drop_duplicates().sort_values(cols).reset_index(drop=True)


__all__ = ["CELL_KEY", "AttackReport", "Exposure", "attack", "exposed", "released"]

