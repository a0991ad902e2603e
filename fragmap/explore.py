"""Tables and figures for planners' notebooks, over a :class:`~fragmap.publication.Publication`.

Everything here reads only the suppressed publication (the figures the map and the
atlas publish), so any table or figure made with these functions is already safe to
share; :func:`save_figure` still runs the privacy audit on what it writes. The
private side (report points) is reached only through ``Project`` methods that say so.

Examples
--------
>>> from fragmap import Project, quarter_figures, plot_choropleth   # doctest: +SKIP
>>> pub = Project.load("fragmap.toml").publication("2026-10")       # doctest: +SKIP
>>> gdf = quarter_figures(pub, category="anziani")                   # doctest: +SKIP
>>> fig = plot_choropleth(pub, category="anziani")                  # doctest: +SKIP
>>> fig = plot_choropleth(pub, categories=["Anziani", "Disabilità"])  # doctest: +SKIP

A category is given by its code or its name (one resolver,
:func:`fragmap.publication.resolve_category`); ``category`` takes one, ``categories``
many. Tables a planner reads print whole counts (``Int64``) and ``sì``/``no``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fragmap._geo import UTM
from fragmap.change import (
    ALPHA,
    MIN_BASE,
    NOT_COMPUTABLE,
    change_classes,
    class_label,
    classify_changes,
    p_values,
    status_label,
)
from fragmap.change import CLASSES as CHANGE_CLASSES
from fragmap.classify import (
    PATTERNS,
    class_labels,
    index_classes,
    palette,
    shown_rates,
    zero_aware_classes,
)
from fragmap.i18n import format_month, format_number, format_period, t, translate
from fragmap.naming import display_name
from fragmap.publication import NETWORK, TOTAL, Publication, resolve_category

#: Measures :func:`plot_choropleth` can map, with their legend titles.
MEASURES: dict[str, dict[str, str]] = {
    "rate_per_1000": {"it": "segnalazioni per 1.000 residenti", "en": "reports per 1,000 residents"},
    "value": {"it": "numero di segnalazioni", "en": "number of reports"},
    "share_of_town": {"it": "quota delle segnalazioni del comune (%)", "en": "share of the town's reports (%)"},
    "change_yoy": {"it": "variazione: ultimi 12 mesi rispetto ai 12 precedenti (test esatto di Poisson, 5%)",
                   "en": "change: last 12 months against the 12 before (exact Poisson test, 5%)"},
    "fragility_index": {"it": "indice composito di fragilità (0-100)", "en": "composite fragility index (0-100)"},
    "share_within_5": {"it": "quota di segnalazioni entro 5 minuti a piedi", "en": "share of reports within a 5-minute walk"},
    "share_within_10": {"it": "quota di segnalazioni entro 10 minuti a piedi", "en": "share of reports within a 10-minute walk"},
    "share_within_15": {"it": "quota di segnalazioni entro 15 minuti a piedi", "en": "share of reports within a 15-minute walk"},
}
#: Legend titles of a rate per 1,000 residents aged 65+ (every category mapped, or some of them).
_RATE_65: dict[str, dict[str, str]] = {
    "all": {"it": "segnalazioni per 1.000 residenti di 65 anni e più", "en": "reports per 1,000 residents aged 65+"},
    "some": {"it": "segnalazioni per 1.000 residenti (di 65 anni e più per: {cats})",
             "en": "reports per 1,000 residents (aged 65+ for: {cats})"},
}
_TABLE_MEASURES = ("rate_per_1000", "value", "share_of_town", "change_yoy")
_COVERAGE_MEASURES = ("share_within_5", "share_within_10", "share_within_15")

_TEXT: dict[str, dict[str, str]] = {
    "window": {"it": "ultimi 12 mesi", "en": "last 12 months"},
    "hidden": {"it": "nascosto (meno di {threshold} o per non permettere di ricalcolarlo)",
               "en": "hidden (under {threshold}, or so that it cannot be computed back)"},
    "not_available": {"it": "dato non disponibile", "en": "no data"},
    "no_reports": {"it": "nessuna segnalazione della categoria", "en": "no report of the category"},
    "no_base": {"it": "non calcolabile (zero, nascosto o assente un anno prima)",
                "en": "not computable (zero, hidden or missing a year before)"},
    "no_index": {"it": "senza indice (troppi valori nascosti, o area senza residenti)",
                 "en": "no index (too many hidden figures, or no residents)"},
    "index_zero": {"it": "0: nessuna segnalazione", "en": "0: no reports"},
    "top_decile": {"it": "10% delle aree con l'indice più alto", "en": "top 10% of areas by index"},
    "same_scale": {"it": "stessa scala per tutte le mappe", "en": "one scale for all maps"},
    "vs_year_before": {"it": "{month} rispetto a {before}", "en": "{month} against {before}"},
    "change_note": {"it": "Colorate solo le variazioni significative (test esatto di Poisson, p < {alpha}, almeno "
                          "{base} segnalazioni un anno prima); le altre non sono un allarme.",
                    "en": "Only significant changes are coloured (exact Poisson test, p < {alpha}, at least "
                          "{base} reports a year before); the others are no alarm."},
    "cov_0": {"it": "meno del 25%", "en": "under 25%"},
    "cov_1": {"it": "25-50%", "en": "25-50%"},
    "cov_2": {"it": "50-75%", "en": "50-75%"},
    "cov_3": {"it": "75-99%", "en": "75-99%"},
    "cov_4": {"it": "tutte (100%)", "en": "all (100%)"},
    "trend_y": {"it": "segnalazioni negli ultimi 12 mesi", "en": "reports in the last 12 months"},
    "trend_x": {"it": "mese (fine dei 12 mesi)", "en": "month (end of the 12 months)"},
    "trend_title": {"it": "{area}: andamento per categoria", "en": "{area}: trend by category"},
    "trend_gap": {"it": "Un punto mancante è un valore nascosto.", "en": "A missing point is a hidden figure."},
    "network": {"it": "Rete", "en": "Network"},
    "coverage_title": {"it": "Segnalazioni entro pochi minuti a piedi da un servizio adatto alla categoria",
                       "en": "Reports within a few minutes' walk of a service suited to the category"},
    "coverage_x": {"it": "quota delle segnalazioni (%)", "en": "share of reports (%)"},
    "within": {"it": "entro {m} minuti", "en": "within {m} minutes"},
    "coverage_method": {"it": "Tempi: {method}.", "en": "Times: {method}."},
    "coverage_estimate": {"it": "Stima: media delle aree con valori pubblicati, pesata con le segnalazioni di "
                                "ciascuna; comprende il {share} delle segnalazioni (le aree nascoste sono escluse).",
                          "en": "Estimate: mean of the areas with published figures, weighted by their reports; "
                                "covers {share} of the reports (hidden areas are left out)."},
    "index_note": {"it": "Indice: media dei percentili dei tassi pubblicati per categoria.",
                   "en": "Index: mean of the percentiles of the published rates by category."},
    "yes": {"it": "sì", "en": "yes"},
    "no": {"it": "no", "en": "no"},
    "bad_month": {"it": "il mese {month!r} non è in questa pubblicazione: i suoi mesi vanno da {first} a {last} "
                        "({months})",
                  "en": "month {month!r} is not in this publication; its months are {first} to {last} ({months})"},
    "bad_window": {"it": "la finestra window={window} non è pubblicata per il livello {level!r}{extra}; "
                         "finestre pubblicate (mesi sommati): {windows}",
                   "en": "window {window} is not published for level {level!r}{extra}; published windows: {windows}"},
    "monthly_areas": {"it": " (i numeri di un solo mese per area non si pubblicano mai: quasi tutti sarebbero "
                            "sotto la soglia di riservatezza)",
                      "en": " (figures of a single month per area are never published: most would be under "
                            "the privacy threshold)"},
    "none": {"it": "nessuna", "en": "none"},
    "bad_town": {"it": "comune sconosciuto: {town!r}; comuni: {towns}", "en": "unknown town {town!r}; towns: {towns}"},
    "both_names": {"it": "indicare `{new}` oppure `{old}`, non entrambi", "en": "give `{new}` or `{old}`, not both"},
    "deprecated": {"it": "{function}: `{old}` con più categorie è deprecato, usare `{new}=`",
                   "en": "{function}: `{old}` with several categories is deprecated, use `{new}=`"},
}

_COMPARE_COLUMNS: dict[str, dict[str, str]] = {
    "area_id": {"it": "codice", "en": "area_id"},
    "name": {"it": "area", "en": "area"},
    "town": {"it": "comune", "en": "town"},
    "value": {"it": "segnalazioni {m}", "en": "reports {m}"},
    "difference": {"it": "differenza", "en": "difference"},
    "change": {"it": "variazione %", "en": "change %"},
    "status": {"it": "andamento", "en": "trend"},
    "p_value": {"it": "p (test esatto)", "en": "p (exact test)"},
    "rate": {"it": "per 1.000 residenti {m}", "en": "per 1,000 residents {m}"},
    "rate_pop_65": {"it": "per 1.000 residenti over 65 {m}", "en": "per 1,000 residents aged 65+ {m}"},
}
_INDEX_COLUMNS: dict[str, dict[str, str]] = {
    "rank": {"it": "posizione", "en": "rank"},
    "name": {"it": "area", "en": "area"},
    "town": {"it": "comune", "en": "town"},
    "index_value": {"it": "indice (0-100)", "en": "index (0-100)"},
    "parts": {"it": "categorie usate", "en": "categories used"},
    "top_decile": {"it": "nel 10% più alto", "en": "in the top 10%"},
    "rate": {"it": "{label} per 1.000", "en": "{label} per 1,000"},
    "rate_pop_65": {"it": "{label} per 1.000 over 65", "en": "{label} per 1,000 aged 65+"},
}
_COVERAGE_COLUMNS: dict[str, dict[str, str]] = {
    "category": {"it": "categoria", "en": "category"},
    "reports": {"it": "segnalazioni (12 mesi)", "en": "reports (12 months)"},
    "within": {"it": "% entro {m} min", "en": "% within {m} min"},
    "included": {"it": "% segnalazioni incluse", "en": "% of reports included"},
    "method": {"it": "metodo", "en": "method"},
    "median": {"it": "minuti (mediana)", "en": "minutes (median)"},
}

#: Hidden areas and areas with no figure: the published map's patterns (fragmap.classify.PATTERNS).
_HIDDEN, _MISSING = PATTERNS["primary"], PATTERNS["missing"]
#: Colours of the change map, one per :data:`fragmap.change.CLASSES` (ColorBrewer RdBu ends,
#: colour-blind safe): significant falls blue, significant rises red; a stable area a solid
#: sand (visibly a figure, unlike the white dotted "not computable"); a change that is not
#: significant a pale sand with horizontal lines: neither is an alarm.
CHANGE_COLOURS = ("#0571b0", "#92c5de", "#d9ccb0", "#f3eee3", "#f4a582", "#ca0020")
CHANGE_HATCHES = (None, None, None, "---", None, None)
CHANGE_EDGE = "#a89a7c"


def _require(pub: Any) -> Publication:
    if not isinstance(pub, Publication):
        raise TypeError(
            "expected a Publication (from Project.publication or fragmap.publish): "
            "notebook figures are built only from suppressed data"
        )
    return pub


def _lang(pub: Publication, language: str | None = None) -> str:
    return language or (pub.language if pub.language in ("it", "en") else "it")


def _tr(key: str, lang: str, **values: object) -> str:
    return translate(_TEXT, key, lang, **values)


def _label(pub: Publication, category: str, lang: str) -> str:
    return t("total", lang) if category == TOTAL else pub.labels.get(category, category)


def _category(pub: Publication, category: str | None) -> str | None:
    """The code of ``category`` (a code, ``"totale"`` or a display name); None stays None.

    :func:`fragmap.publication.resolve_category` is the one resolver: its message lists the
    codes and names in the publication's language.
    """
    return None if category is None else resolve_category(pub, category)


def _one_or_many(
    function: str, category: str | Sequence[str] | None, categories: Sequence[str] | None, lang: str
) -> list[str] | None:
    """``categories`` (many) or ``category`` (one); a list given as ``category`` still works, with a warning."""
    import warnings

    if category is not None and categories is not None:
        raise TypeError(_tr("both_names", lang, new="categories", old="category"))
    if categories is not None:
        return [categories] if isinstance(categories, str) else list(categories)
    if category is None:
        return None
    if isinstance(category, str):
        return [category]
    warnings.warn(_tr("deprecated", lang, function=function, old="category", new="categories"),
                  DeprecationWarning, stacklevel=3)
    return list(category)


def _yes_no(values: Any, lang: str) -> list[str]:
    """``sì``/``no`` (``yes``/``no``) for a table a planner reads, instead of True/False."""
    return [_tr("yes" if bool(v) else "no", lang) for v in values]


def _counts(values: Any) -> pd.arrays.IntegerArray:
    """Whole-number counts (``Int64``: 12, not 12.0; missing where hidden)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return pd.array(np.where(np.isfinite(v), np.round(v), np.nan), dtype="Int64")


def _check(
    pub: Publication,
    *,
    month: str | None = None,
    window: int | None = None,
    category: str | None = None,
    level: str = "quarter",
) -> None:
    """Refuse a month, window or category the publication does not have, naming those it has."""
    lang = _lang(pub)
    if month is not None and month not in pub.months:
        raise ValueError(_tr("bad_month", lang, month=month, first=pub.months[0], last=pub.months[-1],
                             months=", ".join(pub.months)))
    if category is not None:
        _category(pub, category)
    if window is not None:
        wins = sorted(int(w) for w in pub.table.loc[pub.table["level"] == level, "window"].unique())
        if window not in wins:
            extra = _tr("monthly_areas", lang) if level == "quarter" and window == 1 else ""
            raise ValueError(_tr("bad_window", lang, window=window, level=level, extra=extra,
                                 windows=", ".join(str(w) for w in wins) or _tr("none", lang)))


# -- tables ---------------------------------------------------------------------------------------
def quarter_figures(
    pub: Publication,
    *,
    month: str | None = None,
    window: int = 12,
    category: str = TOTAL,
    town: str | None = None,
) -> gpd.GeoDataFrame:
    """Quarter polygons with their published figures for one month, window and category.

    Parameters
    ----------
    pub : Publication
        Suppressed figures (``Project.publication()``).
    month : str, optional
        ``YYYY-MM``, one of ``pub.months``; default the reference month (the last).
    window : int
        Months summed, ending at ``month``: 12 (the rolling year). Quarter figures of a
        single month are not published (most would be under the threshold).
    category : str
        A category code (``pub.labels`` lists them), its name (``"Fragilità economica"``)
        or ``"totale"``.
    town : str, optional
        Only the quarters of this town.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per quarter (EPSG:4326): ``area_id, name, town, level, population,
        population_estimated, value, suppressed, reason, rate_per_1000, change_yoy,
        share_of_town, value_prev, change_status, geometry``. ``value`` is a whole-number count
        (``Int64``); hidden values are missing (NA/NaN) with ``suppressed`` True;
        ``value_prev`` is the published count a year before and ``change_status`` the
        :mod:`fragmap.change` status of the change.

    Raises
    ------
    ValueError
        If the month, window or category is not in the publication (the message lists
        those that are).

    Examples
    --------
    >>> gdf = quarter_figures(pub, category="anziani")   # doctest: +SKIP
    >>> gdf.sort_values("rate_per_1000", ascending=False).head()   # doctest: +SKIP
    """
    pub = _require(pub)
    month = month or pub.month
    category = _category(pub, category)
    _check(pub, month=month, window=window)
    cells = pub.cells(month=month, window=window, level="quarter", category=category)
    cols = ["area_id", "value", "suppressed", "reason", "rate_per_1000", "change_yoy", "share_of_town", "value_prev",
            "change_status"]
    areas = pub.areas[pub.areas["level"] == "quarter"]
    if town is not None:
        towns = sorted(areas["town"].unique())
        if town not in towns:
            raise ValueError(_tr("bad_town", _lang(pub), town=town, towns=", ".join(towns)))
        areas = areas[areas["town"] == town]
    out = areas.merge(cells[cols], on="area_id", how="left")
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    out["value"] = _counts(out["value"])
    return out.sort_values("area_id").reset_index(drop=True)


#: Values of ``compare_months(against=...)`` that mean "the same month a year before".
YEAR_BEFORE = ("anno_precedente", "year_before")


def compare_months(
    pub: Publication,
    before: str | None = None,
    after: str | None = None,
    *,
    against: str | None = None,
    window: int = 12,
    category: str = TOTAL,
    language: str | None = None,
) -> pd.DataFrame:
    """Published figures of two months side by side, with the difference where both are shown.

    Two forms: ``compare_months(pub, before, after)`` compares two months of the publication;
    ``compare_months(pub, month, against="anno_precedente")`` (or just ``compare_months(pub,
    month)``, or ``compare_months(pub)`` for the reference month) compares a month with the same
    month a year before, from the counts a year before that the publication carries
    (``value_prev``), so the earlier month need not be one of ``pub.months``.

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    before, after : str, optional
        Two months of ``pub.months`` (``YYYY-MM``); with one month (or ``against``), that
        month against 12 months earlier; with none, the reference month against 12 months earlier.
    against : str, optional
        ``"anno_precedente"`` (or ``"year_before"``): compare with 12 months earlier.
    window : int
        Months summed, ending at each month (12: the rolling year).
    category : str
        A category code or ``"totale"``.
    language : str, optional
        ``"it"`` or ``"en"`` column labels; default the publication's language.

    Returns
    -------
    pandas.DataFrame
        One row per quarter. Italian columns: ``codice, area, comune, segnalazioni <before>,
        segnalazioni <after>, differenza, variazione %, per 1.000 residenti <before>,
        per 1.000 residenti <after>`` (months written as ``apr 2026``); English ones
        (``language="en"``): ``area_id, area, town, reports <before>, ...``. The difference
        and the change are missing where either side is hidden. Counts, differences and
        the change (rounded to a whole percentage) are whole numbers (``Int64``). When the two
        months are 12 apart two more columns follow ``variazione %``: ``andamento`` (aumento,
        calo, stabile, variazione non significativa, non calcolabile: :mod:`fragmap.change`)
        and ``p (test esatto)``, the p-value of the exact test.

    Raises
    ------
    ValueError
        If a month, the window or the category is not in the publication, or ``against`` is
        unknown or given with two months.

    Examples
    --------
    >>> cmp = compare_months(pub, "2026-04", "2026-10", category="anziani")   # doctest: +SKIP
    >>> cmp.sort_values("differenza", ascending=False).head()                 # doctest: +SKIP
    >>> yoy = compare_months(pub, "2026-10", against="anno_precedente")       # doctest: +SKIP
    """
    pub = _require(pub)
    lang = _lang(pub, language)
    category = _category(pub, category)
    if against is not None and against not in YEAR_BEFORE:
        raise ValueError(f"against={against!r} is not known: use against='anno_precedente' (12 months earlier), "
                         "or give two months")
    if against is not None or after is None:
        if before is not None and after is not None:
            raise ValueError("against='anno_precedente' compares ONE month with 12 months earlier: give one month")
        month = before or pub.month
        _check(pub, month=month)
        b = quarter_figures(pub, month=month, window=window, category=category)
        earlier = str(pd.Period(month, freq="M") - 12)
        prev = b["value_prev"].astype(float).to_numpy()
        rates_before = _rates(pub, b, prev, category)
        return _comparison(pub, b, (earlier, prev, rates_before),
                           (month, b["value"].astype(float).to_numpy(), b["rate_per_1000"].astype(float).to_numpy()),
                           category=category, lang=lang, status=b["change_status"].fillna(NOT_COMPUTABLE).to_numpy())
    for m in (before, after):
        _check(pub, month=m)
    a = quarter_figures(pub, month=before, window=window, category=category)
    b = quarter_figures(pub, month=after, window=window, category=category).set_index("area_id").loc[a["area_id"]]
    va, vb = b["value"].astype(float).to_numpy(), a["value"].astype(float).to_numpy()
    year_apart = (pd.Period(after, freq="M") - pd.Period(before, freq="M")).n == 12
    status = classify_changes(va, vb)["status"].to_numpy() if year_apart else None
    return _comparison(pub, a, (before, vb, a["rate_per_1000"].astype(float).to_numpy()),
                       (after, va, b["rate_per_1000"].astype(float).to_numpy()), category=category, lang=lang,
                       status=status)


def _rates(pub: Publication, areas: pd.DataFrame, values: np.ndarray, category: str) -> np.ndarray:
    """Counts per 1,000 of the residents the category's rates are per (as publish computes them)."""
    col = "population" if category == TOTAL else pub.denominator(category)
    pop = areas[col].to_numpy(dtype=float) if col in areas else np.full(len(areas), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pop > 0, values / pop * 1000, np.nan)


def _comparison(pub: Publication, areas: pd.DataFrame, first: tuple[str, np.ndarray, np.ndarray],
                second: tuple[str, np.ndarray, np.ndarray], *, category: str, lang: str,
                status: np.ndarray | None) -> pd.DataFrame:
    """The table of :func:`compare_months`: ``first`` and ``second`` are (month, counts, rates)."""
    (m1, v1, r1), (m2, v2, r2) = first, second
    mb, ma = format_month(m1, lang, short=True), format_month(m2, lang, short=True)

    def col(key: str, **values: object) -> str:
        return translate(_COMPARE_COLUMNS, key, lang, **values)

    out = pd.DataFrame({col("area_id"): areas["area_id"].to_numpy(),
                        col("name"): [display_name(str(n), lang) for n in areas["name"]],
                        col("town"): areas["town"].to_numpy()})
    out[col("value", m=mb)] = _counts(v1)
    out[col("value", m=ma)] = _counts(v2)
    out[col("difference")] = _counts(v2 - v1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[col("change")] = _counts(np.where(v1 > 0, (v2 / v1 - 1) * 100, np.nan))
    if status is not None:  # windows a year apart: the exact test says whether it is more than chance
        out[col("status")] = [status_label(str(s), lang) for s in status]
        pv = p_values(v2, v1)
        out[col("p_value")] = np.where(status != NOT_COMPUTABLE, pv, np.nan).round(3)
    rate = "rate" if category == TOTAL or pub.denominator(category) == "population" else f"rate_{pub.denominator(category)}"
    out[col(rate, m=mb)] = shown_rates(r1)  # as the map and the atlas show them
    out[col(rate, m=ma)] = shown_rates(r2)
    return out.reset_index(drop=True)


def trend(
    pub: Publication, area_id: str = NETWORK, *, window: int = 12, category: str | None = None
) -> pd.DataFrame:
    """Published figures of one area month by month: one row per month, one column per category.

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    area_id : str
        A quarter id, a town name, or ``"rete"`` (the whole network).
    window : int
        Months summed, ending at each month (12: each point is a rolling year).
    category : str, optional
        Only this category, by code or name (default all, with ``"totale"``).

    Returns
    -------
    pandas.DataFrame
        Index: the publication's months; columns: category codes (``pub.labels`` gives
        their names); whole-number counts (``Int64``), missing where the figure is hidden.

    Examples
    --------
    >>> trend(pub, "Pavia").rename(columns=pub.labels).tail(3)   # doctest: +SKIP
    """
    pub = _require(pub)
    levels = pub.areas.set_index("area_id")["level"].to_dict()
    levels[NETWORK] = "network"
    if area_id not in levels:
        towns = sorted(pub.areas.loc[pub.areas["level"] == "town", "area_id"])
        raise ValueError(
            f"area sconosciuta: {area_id!r}; indicare il codice di un'area (quarter_figures(pub).area_id), "
            f"un comune ({', '.join(towns)}) o {NETWORK!r}" if _lang(pub) == "it" else
            f"unknown area {area_id!r}: use a quarter id (quarter_figures(pub).area_id), "
            f"a town ({', '.join(towns)}) or {NETWORK!r}")
    category = _category(pub, category)
    _check(pub, window=window, level=levels[area_id])
    cells = pub.cells(window=window, category=category)
    cells = cells[cells["area_id"] == area_id]
    wide = cells.pivot_table(index="month", columns="category", values="value", aggfunc="first", dropna=False)
    order = [c for c in sorted(cells["category"].unique(), key=lambda c: (c != TOTAL, c))]
    wide = wide.reindex(index=list(pub.months), columns=order).astype(float).rename_axis(columns=None)
    return wide.apply(_counts)


def fragility_index_table(
    pub: Publication, *, town: str | None = None, language: str | None = None
) -> pd.DataFrame:
    """The composite fragility index of each area, with the published rates it is made of.

    The index (:func:`fragmap.privacy.fragility_index`, computed by the privacy gate on
    published figures only) is the mean of an area's percentile ranks among the areas
    for each category's 12-month rate per 1,000 residents; 100 = highest everywhere.

    Parameters
    ----------
    pub : Publication
        Suppressed figures (the index is for the reference month ``pub.month``).
    town : str, optional
        Only the areas of this town (ranks stay those of the whole network).
    language : str, optional
        ``"it"`` or ``"en"`` column labels; default the publication's language.

    Returns
    -------
    pandas.DataFrame
        Sorted by rank. Italian columns: ``posizione, codice, area, comune, indice (0-100),
        categorie usate, nel 10% più alto`` (``sì``/``no``), then ``<categoria> per 1.000``
        for each category (NaN where hidden). Areas without an index come last.

    Examples
    --------
    >>> fragility_index_table(pub).head(10)   # doctest: +SKIP
    """
    pub = _require(pub)
    lang = _lang(pub, language)
    idx = pub.extras.get("fragility_index")
    if idx is None:
        raise ValueError("this publication has no composite index (no quarter figures for its last month)")
    areas = pub.areas[pub.areas["level"] == "quarter"][["area_id", "name", "town"]]
    out = areas.merge(idx, on="area_id", how="left")
    if town is not None:
        out = out[out["town"] == town]
    last = pub.cells(month=pub.month, window=12, level="quarter", category=None)
    cats = [c for c in pub.labels if c in set(last["category"])]
    wide = last.pivot_table(index="area_id", columns="category", values="rate_per_1000", aggfunc="first",
                            dropna=False).reindex(columns=cats)

    def col(key: str, **values: object) -> str:
        return translate(_INDEX_COLUMNS, key, lang, **values)

    res = pd.DataFrame({
        col("rank"): pd.array(out["rank"], dtype="Int64"),
        translate(_COMPARE_COLUMNS, "area_id", lang): out["area_id"].to_numpy(),
        col("name"): [display_name(str(n), lang) for n in out["name"]],
        col("town"): out["town"].to_numpy(),
        col("index_value"): out["index_value"].to_numpy(dtype=float),
        col("parts"): pd.array(out["parts"], dtype="Int64") if "parts" in out else pd.NA,
        col("top_decile"): _yes_no(out["top_decile"].fillna(False), lang),
    })
    for c in cats:
        key = "rate" if pub.denominator(c) == "population" else f"rate_{pub.denominator(c)}"
        res[col(key, label=_label(pub, c, lang))] = shown_rates(wide.reindex(out["area_id"])[c])
    return res.sort_values([col("index_value"), translate(_COMPARE_COLUMNS, "area_id", lang)],
                           ascending=[False, True], na_position="last").reset_index(drop=True)


def _coverage(pub: Publication) -> pd.DataFrame:
    cov = getattr(pub, "coverage", None)
    if cov is None or len(cov) == 0:
        raise ValueError("this publication has no walking-access figures: use Project.with_access(month)")
    return cov


def coverage_summary(
    pub: Publication, *, minutes: Sequence[int] = (5, 10, 15), language: str | None = None
) -> pd.DataFrame:
    """Share of each category's reports within 5, 10 and 15 minutes' walk of a suited service.

    Computed from published figures only. When the publication carries the network's
    own shares (``area_id == "rete"`` in ``pub.coverage``) they are used as they are;
    otherwise each area's published share is weighted by the area's published 12-month
    count of the category, and areas whose share or count is hidden take no part: the
    ``% segnalazioni incluse`` column then says how many reports the figure covers (the
    smallest over the times), and hidden areas are often those with few reports within
    or beyond a time, so read it as an estimate.

    Parameters
    ----------
    pub : Publication
        A publication with walking access attached (``Project.with_access(month)``).
    minutes : sequence of int
        Walking times, among those published (5, 10, 15).
    language : str, optional
        ``"it"`` or ``"en"`` labels; default the publication's language.

    Returns
    -------
    pandas.DataFrame
        One row per category (its name, not its code): ``categoria, segnalazioni (12 mesi),
        % entro 5 min, % entro 10 min, % entro 15 min, % segnalazioni incluse, metodo``;
        the counts and the percentages (0-100, rounded) are whole numbers (``Int64``).

    Raises
    ------
    ValueError
        If the publication has no access figures, or a time is not published.

    Examples
    --------
    >>> pubc = project.with_access()          # doctest: +SKIP
    >>> coverage_summary(pubc)                # doctest: +SKIP
    """
    pub = _require(pub)
    lang = _lang(pub, language)
    cov = _coverage(pub)
    for m in minutes:
        if f"share_within_{m}" not in cov.columns:
            have = [c.rsplit("_", 1)[1] for c in cov.columns if c.startswith("share_within_")]
            raise ValueError(f"no published share within {m} minutes; published: {', '.join(have)}")
    counts = pub.cells(month=pub.month, window=12, level="quarter", category=None)[
        ["area_id", "category", "value"]]
    merged = cov.merge(counts, on=["area_id", "category"], how="left")

    def col(key: str, **values: object) -> str:
        return translate(_COVERAGE_COLUMNS, key, lang, **values)

    network = cov[cov["area_id"] == NETWORK]
    rows = []
    for cat in [c for c in pub.labels if c in set(merged["category"])]:
        net = network[network["category"] == cat]
        if len(net):  # the privacy gate published the network's own shares: exact, use them
            cell = pub.cells(month=pub.month, window=12, level="network", category=cat)
            row = {col("category"): _label(pub, cat, lang),
                   col("reports"): float(cell["value"].iloc[0]) if len(cell) else np.nan}
            for m in minutes:
                v = net[f"share_within_{m}"].iloc[0]
                row[col("within", m=m)] = round(float(v) * 100, 0) if pd.notna(v) else np.nan
            row[col("included")] = 100.0
            row[col("method")] = str(net["method"].iloc[0])
            rows.append(row)
            continue
        g = merged[(merged["category"] == cat) & (merged["area_id"] != NETWORK)]
        n = g["value"].fillna(0.0)
        total = float(n.sum())
        row: dict[str, Any] = {col("category"): _label(pub, cat, lang), col("reports"): total}
        included = []
        for m in minutes:
            s = g[f"share_within_{m}"]
            ok = s.notna() & (n > 0)
            w = float(n[ok].sum())
            row[col("within", m=m)] = round(float((s[ok] * n[ok]).sum() / w * 100), 0) if w else np.nan
            included.append(w / total * 100 if total else np.nan)
        row[col("included")] = round(min(included), 0) if included else np.nan
        row[col("method")] = str(g["method"].iloc[0]) if len(g) else ""
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in [col("reports"), *(col("within", m=m) for m in minutes), col("included")]:
        if c in out:
            out[c] = _counts(out[c])
    return out


def coverage_by_area(
    pub: Publication,
    *,
    minutes: int = 15,
    category: str | None = None,
    language: str | None = None,
) -> pd.DataFrame:
    """Published walking access per area and category, the lowest share first: where the gaps are.

    Parameters
    ----------
    pub : Publication
        With walking access attached (``Project.with_access(month)``).
    minutes : int
        The walking time to sort by (5, 10 or 15).
    category : str, optional
        Only this category (its code or its name).
    language : str, optional
        ``"it"`` or ``"en"`` labels; default the publication's language.

    Returns
    -------
    pandas.DataFrame
        Italian columns: ``codice, area, comune, categoria, % entro <minutes> min,
        minuti (mediana)``; the percentage is a whole number; hidden figures are left out
        (they may not be shown).

    Examples
    --------
    >>> coverage_by_area(project.with_access(), category="fragilita_economica").head()   # doctest: +SKIP
    """
    pub = _require(pub)
    lang = _lang(pub, language)
    cov = _coverage(pub)
    col = f"share_within_{minutes}"
    if col not in cov.columns:
        raise ValueError(f"no published share within {minutes} minutes")
    if category is not None:
        category = _category(pub, category)
        cov = cov[cov["category"] == category]
    cov = cov[cov[col].notna()].merge(pub.areas[["area_id", "name", "town"]], on="area_id")
    cov = cov.sort_values([col, "median_minutes", "area_id"], ascending=[True, False, True])
    return pd.DataFrame({
        translate(_COMPARE_COLUMNS, "area_id", lang): cov["area_id"].to_numpy(),
        translate(_COMPARE_COLUMNS, "name", lang): [display_name(str(n), lang) for n in cov["name"]],
        translate(_COMPARE_COLUMNS, "town", lang): cov["town"].to_numpy(),
        translate(_COVERAGE_COLUMNS, "category", lang): [_label(pub, c, lang) for c in cov["category"]],
        translate(_COVERAGE_COLUMNS, "within", lang, m=minutes): _counts(cov[col].to_numpy(dtype=float) * 100),
        translate(_COVERAGE_COLUMNS, "median", lang): cov["median_minutes"].to_numpy(dtype=float),
    })


# -- figures --------------------------------------------------------------------------------------
def _footnote(pub: Publication, lang: str, extra: str = "") -> str:
    """Method notes, then the sources' credits (``pub.attributions``: the lines the published
    map and atlas print, one list for every output)."""
    parts = []
    if pub.synthetic:
        parts.append(t("synthetic_banner", lang))
    if pub.quarter_source == "griglia":
        parts.append(t("hex_grid_note", lang))
    elif pub.quarter_source == "stradario":
        parts.append(t("streets_note", lang))
    elif pub.quarter_source == "punti_riferimento":
        parts.append(t("landmarks_note", lang))
    if extra:
        parts.append(extra)
    credits = [a for a in pub.attributions if a and a not in parts]
    if credits:
        parts.append(f"{t('sources', lang)}: " + "; ".join(c.rstrip(".") for c in credits) + ".")
    return " ".join(parts)


def _estimated_note(areas: pd.DataFrame, lang: str) -> str:
    """"Popolazione stimata" when the rates of some drawn areas rest on an estimated population."""
    est = areas.drop_duplicates("area_id")["population_estimated"].fillna(False).astype(bool)
    if not est.any():
        return ""
    note = t("population_estimated", lang)
    if not est.all():
        note += (f": {int(est.sum())} aree su {len(est)}" if lang == "it"
                 else f": {int(est.sum())} areas of {len(est)}")
    return note + "."


#: ``gid`` of the artists added to every map (tests and readers find them by it).
LABEL_GID, SCALE_GID, NORTH_GID = "fragmap-area-label", "fragmap-scale-bar", "fragmap-north-arrow"


def _short_name(name: str, lang: str, width: int = 22) -> str:
    """An area's name fit for a map label: the first of merged names, cut at ``width``."""
    text = display_name(str(name), lang).split(" + ")[0]
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _area_labels(ax: Any, g: gpd.GeoDataFrame, labels: int | Sequence[str], *, low_first: bool, lang: str) -> None:
    """Write area names at a point inside each area (never outside a curved one), without overlaps.

    ``labels`` is how many (the most notable first: highest value, or lowest when
    ``low_first``) or which areas (ids or names). A name whose box would overlap one
    already written is skipped: a simple placement, good enough for a few names.
    """
    import matplotlib.patheffects as pe

    if isinstance(labels, int):
        if labels <= 0:
            return
        v = g["v"].to_numpy(dtype=float)
        ok = np.isfinite(v) & ~g["hidden"].to_numpy(dtype=bool)
        order = np.argsort(v if low_first else -v, kind="stable")
        chosen = [i for i in order if ok[i]]
        limit = labels
    else:
        wanted = {str(x) for x in labels}
        chosen = [i for i in range(len(g)) if str(g["area_id"].iloc[i]) in wanted or str(g["name"].iloc[i]) in wanted]
        limit = len(chosen)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    placed: list[tuple[float, float, float]] = []
    for i in chosen:
        if len(placed) >= limit:
            break
        text = _short_name(g["name"].iloc[i], lang)
        pt = g.geometry.iloc[i].representative_point()
        half = len(text) * 0.0085 * w  # half the width of the text, roughly, at fontsize 7.5
        if any(abs(pt.x - px) < half + ph and abs(pt.y - py) < 0.055 * h for px, py, ph in placed):
            continue
        ax.text(pt.x, pt.y, text, fontsize=7.5, ha="center", va="center", color="#1a1a1a", gid=LABEL_GID,
                path_effects=[pe.withStroke(linewidth=2.5, foreground="white")], clip_on=True)
        placed.append((pt.x, pt.y, half))


def _nice_length(span: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) of about a quarter of ``span`` metres."""
    target = span / 4
    base = 10 ** math.floor(math.log10(max(target, 1.0)))
    return max(m * base for m in (1, 2, 5) if m * base <= target) if target >= 1 else 1.0


def _scale_bar(ax: Any, lang: str) -> None:
    """A scale bar in the lower left corner (the axes are in metres, UTM, equal aspect)."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    length = _nice_length(ax.get_xlim()[1] - ax.get_xlim()[0])
    label = f"{format_number(length / 1000, lang, 0 if length % 1000 == 0 else 1)} km" if length >= 1000 \
        else f"{int(length)} m"
    bar = AnchoredSizeBar(ax.transData, length, label, "lower left", pad=0.3, borderpad=0.4, sep=3,
                          frameon=False, size_vertical=length / 25, color="#333333",
                          fontproperties={"size": 8})
    bar.set_gid(SCALE_GID)
    ax.add_artist(bar)


def _north_arrow(ax: Any, lang: str) -> None:
    """A north arrow in the upper right corner (UTM grid north: within a degree of true north here)."""
    ax.annotate("N", xy=(0.96, 0.98), xytext=(0.96, 0.86), xycoords="axes fraction", textcoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold", color="#333333", gid=NORTH_GID,
                arrowprops={"arrowstyle": "-|>", "color": "#333333", "linewidth": 1.4, "shrinkA": 6, "shrinkB": 0})


def _mark(fig: Any, pub: Publication | None = None) -> Any:
    """Tag a figure as drawn from ``pub`` (what :func:`save_figure` accepts and re-checks)."""
    fig._fragmap_publication = pub if pub is not None else True
    return fig


def _layer(
    pub: Publication, column: str, *, month: str, window: int, category: str, town: str | None, lang: str
) -> tuple[gpd.GeoDataFrame, str]:
    """Areas with ``v`` (the value to map), ``hidden`` (bool) and, for NaN, the label of ``v`` missing."""
    areas = pub.areas[pub.areas["level"] == "quarter"]
    if town is not None:
        areas = areas[areas["town"] == town]
    if column in _TABLE_MEASURES:
        gdf = quarter_figures(pub, month=month, window=window, category=category, town=town)
        gdf["v"] = gdf[column].astype(float)
        if column == "change_yoy":  # the display class (fragmap.change), -1 -> NaN: not computable
            cls = change_classes(gdf["change_yoy"], gdf["change_status"].fillna(NOT_COMPUTABLE)).astype(float)
            gdf["v"] = np.where(cls >= 0, cls, np.nan)
        gdf["hidden"] = gdf["suppressed"]
        missing = _tr("no_base", lang) if column == "change_yoy" else _tr("not_available", lang)
    elif column == "fragility_index":
        if month != pub.month:
            raise ValueError(f"the composite index is published for the reference month {pub.month} only")
        idx = pub.extras.get("fragility_index")
        if idx is None:
            raise ValueError("this publication has no composite index")
        gdf = areas.merge(idx, on="area_id", how="left")
        gdf["v"] = gdf["index_value"].astype(float)
        gdf["hidden"] = False
        missing = _tr("no_index", lang)
    elif column in _COVERAGE_MEASURES:
        if category == TOTAL:
            cats = ", ".join(c for c in pub.labels if c in set(_coverage(pub)["category"]))
            raise ValueError(f"walking access is per category; choose one of: {cats}")
        if month != pub.month:
            raise ValueError(f"walking access is published for the reference month {pub.month} only")
        cov = _coverage(pub)
        cov = cov[cov["category"] == category][["area_id", column, "suppressed"]]
        gdf = areas.merge(cov, on="area_id", how="left")
        gdf["v"] = gdf[column].astype(float)
        gdf["hidden"] = gdf["suppressed"].notna() & gdf["v"].isna()
        missing = _tr("no_reports", lang)
    else:
        raise ValueError(f"unknown column {column!r}; choose one of: {', '.join(MEASURES)}")
    return gpd.GeoDataFrame(gdf, geometry="geometry", crs=areas.crs).to_crs(UTM), missing


def _draw(ax: Any, geoms: Any, **style: Any) -> Any:
    """Add polygons to ``ax`` as ONE collection (geopandas' plot redraws the figure on every call)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    patches = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for poly in getattr(geom, "geoms", [geom]):
            rings = [np.asarray(poly.exterior.coords)[:, :2]] + [np.asarray(r.coords)[:, :2] for r in poly.interiors]
            patches.append(PathPatch(MplPath.make_compound_path(*[MplPath(r, closed=True) for r in rings])))
    coll = PatchCollection(patches, match_original=False, **style)
    ax.add_collection(coll, autolim=True)
    return coll


class _Scale:
    """Classes of one map (or of several sharing a legend): colour of each value and legend labels."""

    def __init__(self, column: str, values: np.ndarray, *, scheme: str, k: int, lang: str) -> None:
        self.column = column
        v = values[np.isfinite(values)]
        self.hatches: list[str | None] = []
        if column == "change_yoy":  # values are display classes of fragmap.change (significance first)
            self.colours = list(CHANGE_COLOURS)
            self.hatches = list(CHANGE_HATCHES)
            self.labels = [class_label(x, lang) for x in CHANGE_CLASSES]
            self.kind = "codes"
        elif column == "fragility_index":  # the atlas's fixed classes, zero class first
            self.factor = 1.0
            self.classes = index_classes()
            self.colours = list(self.classes.colours)
            self.labels = [_tr("index_zero", lang), *class_labels(self.classes, lang)[1:]]
            self.kind = "classes"
        elif column in _COVERAGE_MEASURES:
            self.edges = np.array([0.25, 0.5, 0.75, 0.9999])
            self.colours = palette(5)[::-1]  # low coverage dark: the gaps draw the eye
            self.labels = [_tr(f"cov_{i}", lang) for i in range(5)]
            self.kind = "edges"
        else:  # the map's and the atlas's classes: true zeros apart (fragmap.classify)
            scale = 100.0 if column == "share_of_town" else 1.0
            decimals = 1 if column == "rate_per_1000" else 0
            self.factor = scale
            self.classes = zero_aware_classes((v * scale).tolist(), scheme=scheme, k=k, decimals=decimals)
            self.labels = class_labels(self.classes, lang)
            self.colours = list(self.classes.colours)
            self.kind = "classes"

    def index(self, values: np.ndarray) -> np.ndarray:
        out = np.full(len(values), -1, dtype=int)
        ok = np.isfinite(values)
        if self.kind == "codes":
            out[ok] = values[ok].astype(int)
            return out
        if self.kind == "edges":
            side = "left" if self.column in _COVERAGE_MEASURES else "right"
            out[ok] = np.searchsorted(self.edges, values[ok], side=side)
            if self.column in _COVERAGE_MEASURES:  # exactly 1.0 (all within) is its own class
                out[ok] = np.where(values[ok] >= 0.9999, 4, np.minimum(out[ok], 3))
            return out
        out[ok] = [self.classes.index(x * self.factor) for x in values[ok]]
        return out


def _grid(n: int, towns: list[str], cats: list[str]) -> tuple[int, int]:
    if len(cats) > 1 and len(towns) > 1:
        return len(cats), len(towns)
    if len(cats) > 1:
        ncols = min(3, n)
        return math.ceil(n / ncols), ncols
    return 1, n


def plot_choropleth(
    pub: Publication,
    *,
    month: str | None = None,
    window: int = 12,
    category: str | Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    column: str = "rate_per_1000",
    scheme: str = "quantiles",
    k: int = 5,
    title: str | None = None,
    town: str | None = None,
    labels: int | Sequence[str] | None = None,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """A static map (matplotlib) of one published figure, one panel per town, one legend.

    The towns are far apart, so each gets its own panel; all panels share one
    classification and one legend. Areas with a true zero have a class of their own;
    the positive values are classified with ``scheme`` (ties give fewer classes, never
    empty ones). Hidden areas are grey and hatched, with their own legend entry.
    ``categories`` draws small multiples (a grid) on ONE scale.

    Every map carries what a council asks of a printed map: the period in the title
    (``nov 2025 - ott 2026``), the names of the most notable areas, a scale bar, a north
    arrow, and a footnote with the method notes, "popolazione stimata" where the rates
    rest on an estimated population, and the sources' credits (``pub.attributions``, as on
    the published map and atlas; CC BY asks for them).

    Parameters
    ----------
    pub : Publication
        Suppressed figures (with ``.coverage`` for the ``share_within_*`` columns).
    month : str, optional
        ``YYYY-MM`` of ``pub.months``; default the reference month.
    window : int
        Months summed (12: the rolling year; the only window published for areas).
    category : str, optional
        One category: its code, its name (``"Fragilità economica"``) or ``"totale"``
        (the default). A list still works but is deprecated: use ``categories``.
    categories : list of str, optional
        Several categories (codes or names): one panel per category, one scale.
    column : str
        What to map: ``"rate_per_1000"`` (default), ``"value"``, ``"share_of_town"``,
        ``"change_yoy"`` (change against a year before: where fragility grows),
        ``"fragility_index"`` (the composite index; category ignored) or
        ``"share_within_5/10/15"`` (walking access; needs ``Project.with_access``).
    scheme, k : str, int
        mapclassify scheme (``quantiles``, ``natural_breaks``, ``fisher_jenks``,
        ``equal_interval``) and the most classes, the zero class included.
    title : str, optional
        The figure title (default: the category, month and window).
    town : str, optional
        Only this town (one panel).
    labels : int or list of str, optional
        Area names written on the map: how many per panel (the highest values first; the
        lowest for walking access, where the gaps matter; a name is skipped when it would
        overlap one already written), or a list of area ids or names to write. Default 5
        for one category, none for small multiples; 0 for none.
    ax : matplotlib Axes, optional
        Draw into this Axes (one town and one category only).
    figsize : (float, float), optional
        Figure size in inches (default from the number of panels).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the month, window, category or column is not published (the message lists
        those that are), or ``ax`` is given for more than one panel.

    Examples
    --------
    >>> fig = plot_choropleth(pub, category="disabilita")                  # doctest: +SKIP
    >>> fig = plot_choropleth(pub, column="change_yoy")                     # doctest: +SKIP
    >>> fig = plot_choropleth(pub, categories=["anziani", "Disabilità"], town="Pavia")   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    pub = _require(pub)
    lang = _lang(pub)
    month = month or pub.month
    cats = _one_or_many("plot_choropleth", category, categories, lang) or [TOTAL]
    if not cats:
        raise ValueError("nessuna categoria indicata" if lang == "it" else "no category given")
    if column == "fragility_index":
        cats = [TOTAL]
    cats = [str(_category(pub, c)) for c in cats]
    _check(pub, month=month, window=window)
    all_towns = sorted(pub.areas.loc[pub.areas["level"] == "quarter", "town"].unique())
    if town is not None and town not in all_towns:
        raise ValueError(_tr("bad_town", lang, town=town, towns=", ".join(all_towns)))
    towns = [town] if town is not None else all_towns
    layers, missing = {}, ""
    for c in cats:
        for tw in towns:
            layers[(c, tw)], missing = _layer(pub, column, month=month, window=window, category=c, town=tw, lang=lang)
    values = np.concatenate([g["v"].to_numpy(dtype=float) for g in layers.values()])
    scale = _Scale(column, values, scheme=scheme, k=k, lang=lang)

    panels = list(layers)
    limits: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
    if ax is not None:
        if len(panels) > 1:
            raise ValueError("ax= draws one panel: give one category and town= (or ax=None for a grid)")
        fig, axes, spare, legend_row = ax.figure, [ax], None, False
    else:
        nrows, ncols = _grid(len(panels), towns, cats)
        # One scale in metres for every panel: each town's width, the tallest town's height.
        bounds = {tw: layers[(cats[0], tw)].total_bounds for tw in towns}
        span_y = max(b[3] - b[1] for b in bounds.values()) * 1.04
        width = {tw: (b[2] - b[0]) * 1.04 for tw, b in bounds.items()}
        col_towns = towns if len(towns) > 1 else towns * ncols
        ratios = [width[tw] / span_y for tw in col_towns]
        h = 4.2 if nrows == 1 else 3.2
        n_entries = len(scale.colours) + 3
        legend_row = nrows * ncols == len(panels)
        legend_h = (math.ceil(n_entries / 3) + 1) * 0.24 + 0.15
        if figsize is None:
            w = min(max(sum(ratios) * h + 0.5, 7.0), 13.0)
            figsize = (w, nrows * h + 0.9 + (legend_h if legend_row else 0.0))
        fig = plt.figure(figsize=figsize, layout="constrained")
        gs = fig.add_gridspec(nrows + int(legend_row), ncols, width_ratios=ratios,
                              height_ratios=[h] * nrows + ([legend_h] if legend_row else []))
        axes = [fig.add_subplot(gs[i // ncols, i % ncols]) for i in range(len(panels))]
        if legend_row:
            spare = fig.add_subplot(gs[nrows, :])
        else:
            spare = fig.add_subplot(gs[len(panels) // ncols, len(panels) % ncols])
        spare.set_axis_off()
        for tw, b in bounds.items():
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            limits[tw] = ((cx - width[tw] / 2, cx + width[tw] / 2), (cy - span_y / 2, cy + span_y / 2))

    drew = {"hidden": False, "missing": False, "top": False}
    for a, (c, tw) in zip(axes, panels):
        g = layers[(c, tw)]
        cls = scale.index(g["v"].to_numpy(dtype=float))
        hidden = g["hidden"].to_numpy(dtype=bool) & (cls < 0)
        missing_mask = (cls < 0) & ~hidden
        if hidden.any():
            _draw(a, g.geometry[hidden], facecolor=_HIDDEN.ground, edgecolor=_HIDDEN.ink, hatch=_HIDDEN.hatch,
                  linewidth=0)
            drew["hidden"] = True
        if missing_mask.any():
            _draw(a, g.geometry[missing_mask], facecolor=_MISSING.ground, edgecolor=_MISSING.ink, hatch=_MISSING.hatch,
                  linewidth=0)
            drew["missing"] = True
        for i, colour in enumerate(scale.colours):
            sel = cls == i
            hatch = scale.hatches[i] if i < len(scale.hatches) else None
            if sel.any() and hatch:
                _draw(a, g.geometry[sel], facecolor=colour, edgecolor=CHANGE_EDGE, hatch=hatch, linewidth=0)
            elif sel.any():
                _draw(a, g.geometry[sel], facecolor=colour, edgecolor="none", linewidth=0)
        _draw(a, g.geometry, facecolor="none", edgecolor="white", linewidth=0.5)
        _draw(a, [shapely.union_all(g.geometry.buffer(1.0).to_numpy()).buffer(-1.0)], facecolor="none",
              edgecolor="#4d4d4d", linewidth=0.8)
        if column == "fragility_index" and "top_decile" in g and g["top_decile"].fillna(False).any():
            top = g["top_decile"].fillna(False).astype(bool).to_numpy()
            _draw(a, g.geometry[top], facecolor="none", edgecolor="black", linewidth=1.6)
            drew["top"] = True
        if tw not in limits:
            a.autoscale_view()
        a.set_aspect("equal")
        if tw in limits:
            a.set_xlim(*limits[tw][0])
            a.set_ylim(*limits[tw][1])
        a.set_axis_off()
        n_labels = labels if labels is not None else (5 if len(cats) == 1 else 0)
        _area_labels(a, g, n_labels, low_first=column in _COVERAGE_MEASURES, lang=lang)
        if a is axes[0]:
            _scale_bar(a, lang)
            _north_arrow(a, lang)
        if len(panels) > 1:
            name = tw if len(cats) == 1 else (_label(pub, c, lang) if len(towns) == 1 else f"{_label(pub, c, lang)} · {tw}")
            a.set_title(name, fontsize=11)

    # Legend: the classes, then hidden and missing areas.
    hatches = scale.hatches or [None] * len(scale.colours)
    handles = [Patch(facecolor=col, edgecolor=CHANGE_EDGE if h else "#999999", hatch=h, linewidth=0.5, label=lab)
               for col, h, lab in zip(scale.colours, hatches, scale.labels)]
    if drew["hidden"]:
        handles.append(Patch(facecolor=_HIDDEN.ground, edgecolor=_HIDDEN.ink, hatch=_HIDDEN.hatch,
                             label=_tr("hidden", lang, threshold=pub.threshold)))
    if drew["missing"]:
        handles.append(Patch(facecolor=_MISSING.ground, edgecolor=_MISSING.ink, hatch=_MISSING.hatch, linewidth=0.5,
                             label=missing))
    if drew["top"]:
        handles.append(Line2D([], [], color="black", linewidth=1.6, label=_tr("top_decile", lang)))
    unit = translate(MEASURES, column, lang)
    old_cats = [c for c in cats if c != TOTAL and pub.denominator(c) == "pop_65"]
    if column == "rate_per_1000" and old_cats:
        unit = translate(_RATE_65, "all" if len(old_cats) == len(cats) else "some", lang,
                         cats=", ".join(_label(pub, c, lang) for c in old_cats))
    if column in ("rate_per_1000", "value", "share_of_town") or column in _COVERAGE_MEASURES:
        unit += ", " + _tr("window", lang)
    if len(cats) > 1:
        unit += f" ({_tr('same_scale', lang)})"
    period = format_period(month, window, lang)
    if title is None:
        what = translate(MEASURES, column, lang).capitalize() if column == "fragility_index" else (
            _label(pub, cats[0], lang) if len(cats) == 1 else translate(MEASURES, column, lang).capitalize())
        if column == "change_yoy":
            before = format_period(str(pd.Period(month, freq="M") - 12), window, lang)
            title = f"{what} · {_tr('vs_year_before', lang, month=period, before=before)}"
        else:
            title = f"{what} · {period}"
        if len(towns) == 1 and (len(cats) > 1 or len(panels) == 1):
            title += f" · {towns[0]}"
    extra = _tr("index_note", lang) if column == "fragility_index" else ""
    if column == "change_yoy":
        extra = _tr("change_note", lang, alpha=format_number(ALPHA, lang, 2), base=MIN_BASE)
    if column in _COVERAGE_MEASURES:
        extra = str(_coverage(pub)["method"].iloc[0]).capitalize() + "."
    if column in ("rate_per_1000", "fragility_index"):  # the figures that divide by residents
        shown = pd.concat([g[["area_id", "population_estimated"]] for g in layers.values()])
        extra = " ".join(x for x in (extra, _estimated_note(shown, lang)) if x)
    note = _footnote(pub, lang, extra)
    if ax is not None:
        ax.legend(handles=handles, title=unit, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  title_fontsize=9, frameon=False)
        ax.set_title(title, fontsize=11)
        ax.text(0.0, -0.02, _wrap(note, 110), transform=ax.transAxes, fontsize=7, va="top")
    else:
        if legend_row:
            spare.legend(handles=handles, title=unit, loc="center", ncols=min(len(handles), 3), fontsize=9,
                         title_fontsize=9.5, frameon=False)
        else:
            spare.legend(handles=handles, title=_wrap(unit, 40), loc="center", fontsize=9, title_fontsize=9.5,
                         frameon=False, alignment="left")
        fig.suptitle(title, fontsize=13)
        _note(fig, note)
    return _mark(fig, pub)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) if text else text


def _note(fig: Any, text: str, size: float = 7.5) -> None:
    """A footnote under everything: constrained layout keeps the axes and legends above it."""
    if not text:
        return
    width_in, height_in = fig.get_size_inches()
    wrapped = _wrap(text, int(width_in * 72 / (size * 0.52)))
    lines = wrapped.count("\n") + 1
    bottom = (lines * size * 1.3 / 72 + 0.1) / height_in
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, bottom, 1, 1 - bottom))
    fig.text(0.01, 0.02 / height_in, wrapped, fontsize=size, va="bottom", ha="left", color="#444444")


def plot_trend(
    pub: Publication,
    area_id: str = NETWORK,
    *,
    categories: Sequence[str] | None = None,
    category: str | None = None,
    ax: Any = None,
) -> Any:
    """Line chart of an area's rolling 12-month counts by category, with Italian labels.

    The title names the area and the months shown (``nov 2025 - ott 2026``).

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    area_id : str
        A quarter id, a town name, or ``"rete"`` (default: the whole network).
    categories : sequence of str, optional
        Categories to draw, by code or name (default all but the total).
    category : str, optional
        One category only (code or name); give ``categories`` or ``category``.
    ax : matplotlib Axes, optional
        Draw into this Axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_trend(pub, "Vigevano")   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    pub = _require(pub)
    lang = _lang(pub)
    tr = trend(pub, area_id)
    chosen = _one_or_many("plot_trend", category, categories, lang)
    if chosen is not None:
        cats = [str(_category(pub, c)) for c in chosen]
    else:
        cats = [c for c in pub.labels if c in tr.columns] or [c for c in tr.columns if c != TOTAL]
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    else:
        fig = ax.figure
    x = np.arange(len(tr))
    for c in cats:
        ax.plot(x, tr[c].astype(float).to_numpy(), marker="o", markersize=4, label=_label(pub, c, lang))
    ax.set_xticks(x, [format_month(m, lang, short=True) for m in tr.index], rotation=45, ha="right")
    ax.set_xlabel(_tr("trend_x", lang))
    ax.set_ylabel(_tr("trend_y", lang))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e0e0e0")
    ax.spines[["top", "right"]].set_visible(False)
    names = {a: display_name(str(n), lang) for a, n in zip(pub.areas["area_id"], pub.areas["name"])}
    area = (pub.whole or _tr("network", lang)) if area_id == NETWORK else names.get(area_id, area_id)
    ax.set_title(f"{_tr('trend_title', lang, area=area)} · {format_period(pub.month, len(pub.months), lang)}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    _note(fig, _footnote(pub, lang, _tr("trend_gap", lang)))
    return _mark(fig, pub)


def plot_coverage(pub: Publication, *, minutes: Sequence[int] = (5, 10, 15), ax: Any = None) -> Any:
    """Bar chart: share of each category's reports within 5, 10 and 15 minutes' walk.

    The figures are those of :func:`coverage_summary` (published figures only).

    Parameters
    ----------
    pub : Publication
        With walking access attached (``Project.with_access(month)``).
    minutes : sequence of int
        Walking times to show.
    ax : matplotlib Axes, optional
        Draw into this Axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_coverage(project.with_access())   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    pub = _require(pub)
    lang = _lang(pub)
    table = coverage_summary(pub, minutes=minutes, language=lang)
    cols = [translate(_COVERAGE_COLUMNS, "within", lang, m=m) for m in minutes]
    names = table[translate(_COVERAGE_COLUMNS, "category", lang)].tolist()
    if ax is None:
        fig, ax = plt.subplots(figsize=(9.5, 0.75 * len(names) + 2.2), layout="constrained")
    else:
        fig = ax.figure
    y = np.arange(len(names))[::-1]
    h = 0.8 / len(minutes)
    base = ["#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
    colours = base[-len(minutes):] if len(minutes) <= len(base) else palette(len(minutes), "ylgnbu")
    for i, (m, c) in enumerate(zip(minutes, cols)):
        vals = table[c].astype(float).to_numpy()
        pos = y + (len(minutes) - 1 - 2 * i) * h / 2
        bars = ax.barh(pos, np.nan_to_num(vals), height=h, color=colours[i], edgecolor="white",
                       label=_tr("within", lang, m=m))
        for b, v in zip(bars, vals):
            txt = t("not_available", lang) if np.isnan(v) else f"{format_number(v, lang)}%"
            ax.text(b.get_width() + 1, b.get_y() + b.get_height() / 2, txt, va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 25))
    ax.set_xlabel(_tr("coverage_x", lang))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    ax.set_title(f"{_tr('coverage_title', lang)} · {format_period(pub.month, 12, lang)}", fontsize=11)
    inc = table[translate(_COVERAGE_COLUMNS, "included", lang)].astype(float).to_numpy()
    method = table[translate(_COVERAGE_COLUMNS, "method", lang)].iloc[0]
    note = _tr("coverage_method", lang, method=method)
    if np.nanmin(inc) < 100:
        lo, hi = format_number(float(np.nanmin(inc)), lang), format_number(float(np.nanmax(inc)), lang)
        share = f"{lo}%" if lo == hi else f"{lo}-{hi}%"
        note += " " + _tr("coverage_estimate", lang, share=share)
    _note(fig, _footnote(pub, lang, note))
    return _mark(fig, pub)


# -- the published map in a notebook --------------------------------------------------------------
def show_map(pub: Publication, *, height: int = 560, **kwargs: Any) -> Any:
    """The published interactive map, self-contained, shown inside a notebook (no network).

    It is the page :func:`fragmap.maps.render_map` writes for the website (Leaflet is
    inlined), shown in an ``<iframe srcdoc>``, so it draws offline; folium's
    :func:`explore_map` instead loads Leaflet from a CDN.

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    height : int
        Height of the frame in pixels.
    **kwargs
        Passed to :func:`fragmap.maps.render_map` (``services=``, ``scheme=``, ``k=``...).

    Returns
    -------
    IPython.display.HTML

    Examples
    --------
    >>> show_map(pub, services=project.locate_services())   # doctest: +SKIP
    """
    from html import escape

    from IPython.display import HTML

    from fragmap.maps import render_map

    page = render_map(_require(pub), **kwargs)
    return HTML(
        f'<div class="fragmap-map"><iframe srcdoc="{escape(page, quote=True)}" title="mappa" '
        f'style="width:100%;height:{int(height)}px;border:1px solid #ccc"></iframe></div>'
    )


def explore_map(publication: Publication, *, category: str = TOTAL, month: str | None = None) -> Any:
    """A folium map of one published layer for notebooks (:meth:`geopandas.GeoDataFrame.explore`).

    The rates of :func:`quarter_figures`, as the published map shows them
    (:func:`fragmap.classify.shown_rate`); hidden areas are grey. Leaflet is loaded from a
    CDN when the map is shown: offline, use :func:`show_map`.

    Parameters
    ----------
    publication : Publication
        What to show (only published figures).
    category : str
        A category code or name, or ``"totale"``.
    month : str, optional
        ``YYYY-MM``; default the publication's reference month.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> explore_map(pub, category="anziani")    # doctest: +SKIP
    """
    gdf = quarter_figures(publication, month=month, category=category)
    caption = translate(MEASURES, "rate_per_1000", _lang(publication))
    shown = gdf[["area_id", "name", "geometry"]].copy()
    shown[caption] = shown_rates(gdf["rate_per_1000"])
    return shown.explore(column=caption, cmap="YlGnBu", tiles=None, tooltip=["name", caption],
                         missing_kwds={"color": "#bdbdbd"}, style_kwds={"weight": 0.5},
                         legend_kwds={"caption": caption})


def save_figure(fig: Any, folder: str | Path, name: str, *, project: Any) -> list[Path]:
    """Save a figure for publication (SVG + PNG) through the privacy gate.

    Only figures drawn by fragmap's plot functions (from a :class:`Publication`) are
    accepted. The SVG (text) is audited with :func:`fragmap.privacy.audit_folder`
    against the project's private fingerprint; on any finding both files are removed
    and :class:`~fragmap.PrivacyError` is raised. The PNG is the same drawing.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        From :func:`plot_choropleth`, :func:`plot_trend` or :func:`plot_coverage`.
    folder : str or Path
        Where to write (created if needed); audited as a whole.
    name : str
        File name without extension.
    project : Project
        The project (its settings and private fingerprint feed the audit).

    Returns
    -------
    list of Path
        The SVG and the PNG.

    Raises
    ------
    TypeError
        If the figure was not drawn by a fragmap plot function.
    PrivacyError
        If the publication it was drawn from no longer passes its checks (its table was
        changed), or the audit finds anything that could point at a person.

    Examples
    --------
    >>> fig = plot_choropleth(pub)                              # doctest: +SKIP
    >>> save_figure(fig, "figure", "totale", project=project)   # doctest: +SKIP
    """
    from fragmap import privacy

    if not getattr(fig, "_fragmap_publication", False):
        raise TypeError("save_figure publishes only figures drawn by fragmap's plot functions "
                        "(plot_choropleth, plot_trend, plot_coverage), which read a Publication")
    drawn_from = fig._fragmap_publication
    if isinstance(drawn_from, Publication):
        drawn_from.verify()  # a table changed in place after drawing is refused, not saved
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    svg, png = out / f"{name}.svg", out / f"{name}.png"
    fig.savefig(svg, metadata={"Date": None})
    fig.savefig(png, dpi=150)
    # Every report in the store: the latest month's view holds them all (and is already computed).
    result = privacy.audit_folder(out, project.fingerprint(project.latest_month()), project.settings)
    if not result.ok:
        svg.unlink(missing_ok=True)
        png.unlink(missing_ok=True)
        result.raise_for_findings("the figure was not saved: the privacy audit found")
    return [svg, png]


__all__ = [
    "MEASURES", "compare_months", "coverage_by_area", "coverage_summary", "explore_map", "fragility_index_table",
    "plot_choropleth",
    "plot_coverage", "plot_trend", "quarter_figures", "save_figure", "show_map", "trend",
]
