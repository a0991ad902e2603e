"""Year-on-year change of published counts: how much, and whether it is more than chance.

A 12-month total of 5 that becomes 7 is "+40%", but two counts that small differ by that
much by chance alone. This module decides, from two PUBLISHED counts (the 12-month total
now and the one ending in the same month a year before), the relative change, an exact
test of "no change", and a status that renderers show instead of painting noise as alarm.

The test
    Counts of reports are modelled as Poisson. Under "same rate in both years", the count
    now given the sum of both is binomial with ``n = current + previous`` and ``p = 1/2``
    (the exact conditional test of two Poisson counts over equal exposures). The two-sided
    p-value is ``min(1, 2 * P(X <= min(current, previous)))``, ``X ~ Bin(n, 1/2)``: the same
    as ``scipy.stats.binomtest(current, n, 0.5).pvalue`` (a symmetric distribution), computed
    for whole arrays at once.

The rule (defaults: :data:`MIN_BASE`, :data:`ALPHA`, :data:`STABLE_BAND`)
    * ``non_calcolabile``: either count is hidden (suppressed) or missing, or the count a
      year before is 0 (no base). No percentage is given.
    * ``aumento`` / ``calo``: the count a year before is at least ``min_base`` and the test
      rejects "no change" (``p < alpha``).
    * otherwise the change is not significant (a small base, or a p-value of ``alpha`` or
      more): ``stabile`` when it is within ``±stable_band``, ``non_significativa`` beyond.
      Neither is an alarm; renderers draw both in neutral colours.

Privacy: the inputs are counts that are already published (suppressed cells are NaN), so
neither the change nor its status says anything the two counts do not; a change is never
computed from a hidden count.

Examples
--------
>>> year_on_year(7, 5).status
'non_significativa'
>>> r = year_on_year(60, 30)
>>> r.status, round(r.change, 2), r.p_value < 0.01
('aumento', 1.0, True)
>>> year_on_year(7, float("nan")).status
'non_calcolabile'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fragmap.i18n import translate

#: Fewest reports a year before for a change to be called significant (smaller bases are
#: "not significant" whatever the test says: with fewer than 20 reports a single busy month
#: moves the total by a quarter).
MIN_BASE = 20
#: Significance level of the two-sided exact test.
ALPHA = 0.05
#: A change that is not significant and within ±10% is "stable".
STABLE_BAND = 0.10
#: Significant changes beyond ±25% get the darker colour (as the change map always had).
BIG_CHANGE = 0.25

RISE = "aumento"
FALL = "calo"
STABLE = "stabile"
NOT_SIGNIFICANT = "non_significativa"
NOT_COMPUTABLE = "non_calcolabile"
#: Every status, in the order legends list them.
STATUSES = (RISE, FALL, STABLE, NOT_SIGNIFICANT, NOT_COMPUTABLE)

#: Short labels (tables, tooltips, exports).
STATUS_LABELS: dict[str, dict[str, str]] = {
    RISE: {"it": "aumento", "en": "rise"},
    FALL: {"it": "calo", "en": "fall"},
    STABLE: {"it": "stabile", "en": "stable"},
    NOT_SIGNIFICANT: {"it": "variazione non significativa", "en": "change not significant"},
    NOT_COMPUTABLE: {"it": "non calcolabile", "en": "not computable"},
}

#: Shorter labels where a column head already says "a year before" (the printed atlas: a
#: quarter must fit one A4 sheet).
STATUS_SHORT: dict[str, dict[str, str]] = {
    **STATUS_LABELS,
    NOT_SIGNIFICANT: {"it": "non significativa", "en": "not significant"},
}

#: Display classes of a change (maps and charts), lowest first; -1 is "not computable".
CLASSES = ("fall_big", "fall", "stable", "not_significant", "rise", "rise_big")
CLASS_LABELS: dict[str, dict[str, str]] = {
    "fall_big": {"it": "calo significativo oltre il 25%", "en": "significant fall over 25%"},
    "fall": {"it": "calo significativo fino al 25%", "en": "significant fall up to 25%"},
    "stable": {"it": "stabile (entro ±10%, non significativa)", "en": "stable (within ±10%, not significant)"},
    "not_significant": {"it": "variazione non significativa (può essere casuale)",
                        "en": "change not significant (may be chance)"},
    "rise": {"it": "aumento significativo fino al 25%", "en": "significant rise up to 25%"},
    "rise_big": {"it": "aumento significativo oltre il 25%", "en": "significant rise over 25%"},
    "not_computable": {"it": "non calcolabile (zero, nascosto o assente un anno prima, o nascosto ora)",
                       "en": "not computable (zero, hidden or missing a year before, or hidden now)"},
}


@dataclass(frozen=True)
class YearOnYear:
    """The change of one count against the same window a year before.

    Attributes
    ----------
    change : float
        ``current / previous - 1``; NaN when not computable.
    p_value : float
        Two-sided p-value of the exact conditional test; NaN when not computable.
    significant : bool
        True for ``aumento`` and ``calo``.
    status : str
        One of :data:`STATUSES`.
    """

    change: float
    p_value: float
    significant: bool
    status: str


def p_values(current: Any, previous: Any) -> np.ndarray:
    """Two-sided p-values of "same Poisson rate in both years" (exact conditional test).

    Parameters
    ----------
    current, previous : array-like of float
        Whole counts; NaN where unknown (the result is NaN there).

    Returns
    -------
    numpy.ndarray
        ``min(1, 2 * P(X <= min(current, previous)))`` with ``X ~ Bin(current + previous, 1/2)``;
        1.0 when both are 0.

    Examples
    --------
    >>> [round(float(p), 4) for p in p_values([7, 60, 10], [5, 30, 10])]
    [0.7744, 0.0021, 1.0]
    """
    from scipy.special import bdtr  # the binomial CDF; scipy.stats alone takes a second to import

    c = np.asarray(current, dtype=float)
    p = np.asarray(previous, dtype=float)
    ok = np.isfinite(c) & np.isfinite(p) & (c >= 0) & (p >= 0)
    out = np.full(np.broadcast(c, p).shape, np.nan)
    cc, pp = np.broadcast_to(c, out.shape)[ok], np.broadcast_to(p, out.shape)[ok]
    n = cc + pp
    out[ok] = np.minimum(1.0, 2.0 * bdtr(np.minimum(cc, pp).astype(np.int64), n.astype(np.int64), 0.5))
    out[ok & (np.broadcast_to(c, out.shape) + np.broadcast_to(p, out.shape) == 0)] = 1.0
    return out


def classify_changes(
    current: Any,
    previous: Any,
    *,
    min_base: int = MIN_BASE,
    alpha: float = ALPHA,
    stable_band: float = STABLE_BAND,
) -> pd.DataFrame:
    """Change, p-value and status of many pairs of published counts.

    Parameters
    ----------
    current, previous : array-like of float
        The published counts now and a year before (NaN: hidden or missing).
    min_base : int
        Fewest reports a year before for a significant change (:data:`MIN_BASE`).
    alpha : float
        Significance level (:data:`ALPHA`).
    stable_band : float
        A change that is not significant and within ``±stable_band`` is ``stabile``.

    Returns
    -------
    pandas.DataFrame
        ``change`` (NaN unless computable), ``p_value``, ``significant`` (bool), ``status``
        (one of :data:`STATUSES`), one row per pair, in order.

    Examples
    --------
    >>> classify_changes([7, 60, 31, 3], [5, 30, 30, 0])["status"].tolist()
    ['non_significativa', 'aumento', 'stabile', 'non_calcolabile']
    """
    if min_base < 1:
        raise ValueError(f"min_base must be at least 1, got {min_base}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    c = np.asarray(current, dtype=float).ravel()
    p = np.asarray(previous, dtype=float).ravel()
    if c.shape != p.shape:
        raise ValueError(f"current and previous differ in length: {c.size} and {p.size}")
    ok = np.isfinite(c) & np.isfinite(p) & (p > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(ok, c / p - 1, np.nan)
    pv = np.where(ok, p_values(c, p), np.nan)
    significant = ok & (p >= min_base) & (pv < alpha)
    status = np.full(c.shape, NOT_COMPUTABLE, dtype=object)
    status[ok] = np.where(np.abs(change[ok]) <= stable_band + 1e-12, STABLE, NOT_SIGNIFICANT)
    status[significant & (change > 0)] = RISE
    status[significant & (change < 0)] = FALL
    return pd.DataFrame({"change": change, "p_value": pv, "significant": significant, "status": status})


def year_on_year(
    current: float,
    previous: float,
    *,
    min_base: int = MIN_BASE,
    alpha: float = ALPHA,
    stable_band: float = STABLE_BAND,
) -> YearOnYear:
    """The change of one published count against the one a year before (see the module notes).

    Parameters
    ----------
    current, previous : float
        Published counts (NaN or None: hidden or missing).
    min_base, alpha, stable_band
        As in :func:`classify_changes`.

    Returns
    -------
    YearOnYear

    Examples
    --------
    >>> year_on_year(7, 5)
    YearOnYear(change=0.4, p_value=0.774..., significant=False, status='non_significativa')
    """
    nan = float("nan")
    r = classify_changes([nan if current is None else current], [nan if previous is None else previous],
                         min_base=min_base, alpha=alpha, stable_band=stable_band).iloc[0]
    change = float(r["change"])
    return YearOnYear(change=round(change, 12) if math.isfinite(change) else change,
                      p_value=float(r["p_value"]), significant=bool(r["significant"]), status=str(r["status"]))


def change_classes(change: Any, status: Sequence[str] | Any) -> np.ndarray:
    """Display class of each change: an index into :data:`CLASSES`, -1 when not computable.

    Only significant changes get a rising or falling class; a change that is not significant
    is ``stable`` or ``not_significant`` however large it looks.

    Examples
    --------
    >>> change_classes([0.4, 1.0, -0.1, 0.03, float("nan")],
    ...                ["non_significativa", "aumento", "calo", "stabile", "non_calcolabile"]).tolist()
    [3, 5, 1, 2, -1]
    """
    ch = np.asarray(change, dtype=float).ravel()
    st = np.asarray(status, dtype=object).ravel()
    out = np.full(ch.shape, -1, dtype=int)
    big = np.abs(ch) > BIG_CHANGE
    out[st == STABLE] = CLASSES.index("stable")
    out[st == NOT_SIGNIFICANT] = CLASSES.index("not_significant")
    out[(st == RISE) & ~big] = CLASSES.index("rise")
    out[(st == RISE) & big] = CLASSES.index("rise_big")
    out[(st == FALL) & ~big] = CLASSES.index("fall")
    out[(st == FALL) & big] = CLASSES.index("fall_big")
    return out


def status_label(status: str, language: str = "it", *, short: bool = False) -> str:
    """The label of a status (:data:`STATUS_LABELS`, or :data:`STATUS_SHORT`) in ``language``."""
    table = STATUS_SHORT if short else STATUS_LABELS
    return translate(table, status if status in table else NOT_COMPUTABLE, language)


def class_label(key: str, language: str = "it") -> str:
    """The legend label of a display class (:data:`CLASSES` or ``"not_computable"``)."""
    return translate(CLASS_LABELS, key, language)


__all__ = [
    "ALPHA", "BIG_CHANGE", "CLASSES", "CLASS_LABELS", "FALL", "MIN_BASE", "NOT_COMPUTABLE", "NOT_SIGNIFICANT",
    "RISE", "STABLE", "STABLE_BAND", "STATUSES", "STATUS_LABELS", "STATUS_SHORT", "YearOnYear", "change_classes",
    "class_label", "classify_changes", "p_values", "status_label", "year_on_year",
]
