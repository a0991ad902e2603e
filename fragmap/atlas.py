"""The monthly atlas: static HTML pages (jinja2) built from a Publication.

``index.html`` (key figures per town, a map of the composite index, ranking,
changes since last month, coverage gaps, data quality, what is estimated, sources
and method), one page per area in ``quartieri/`` and one per category in
``categorie/``, plus ``atlas.css`` (with print rules: A4, one area per sheet,
legends kept with their maps, colours printed). Static SVG charts, no JavaScript,
no tiles; pages fit a 375 px phone (tables scroll in their own box, SVGs scale).

Every word comes from :data:`LABELS` (plus the shared :data:`fragmap.i18n.COMMON`)
in the publication's language: a page never mixes languages. Numbers and months
are formatted with Babel.

Figures: ``< N`` marks a count hidden because it is under the threshold (reason
``primary``); a count hidden only to protect another one (``secondary``, ``area``,
``history``) may be large, so it shows ``n.d.``; both keep
``data-fm-count="suppressed"`` for the privacy audit. Every count printed is
wrapped ``<span class="fm-count" data-fm-count="...">``; everything from data is
escaped (jinja2 autoescape, and :mod:`fragmap.charts` escapes SVG text).

Deterministic: the same publication and quality figures give byte-identical files.
Rendering is pure until :func:`render_atlas` writes the files; :func:`write_pdf`
(optional) prints the written atlas to one PDF with the Chromium already installed.

Example
-------
>>> files = render_atlas(pub, "maps/atlas", quality=quality, services=services)   # doctest: +SKIP
>>> write_pdf("maps/atlas")                                                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from fragmap._errors import FragmapError
from fragmap._geo import UTM
from fragmap.change import ALPHA, MIN_BASE, NOT_COMPUTABLE, status_label
from fragmap.charts import CONTEXT_FILL, HIGHLIGHT_FILL, PATTERN_FILLS, bars_svg, map_svg, trend_svg
from fragmap.classify import (
    PATTERNS,
    Classes,
    class_labels,
    index_classes,
    shown_rate,
    zero_aware_classes,
)
from fragmap.i18n import format_month, format_number, format_share, t
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, Publication

#: Every label of the atlas, in both languages (one table: no mixed languages on a page).
LABELS: dict[str, dict[str, str]] = {
    "atlas": {"it": "Atlante della fragilità", "en": "Fragility atlas"},
    "atlas_title": {"it": "Atlante mensile – {name}", "en": "Monthly atlas – {name}"},
    "lead": {"it": "Segnalazioni delle associazioni della rete negli ultimi 12 mesi, per area, categoria e comune.",
             "en": "Reports of the network's associations in the last 12 months, by area, category and town."},
    "nav": {"it": "Navigazione", "en": "Navigation"},
    "interactive_map": {"it": "Mappa interattiva", "en": "Interactive map"},
    "synthetic_banner": {"it": "Dati dimostrativi sintetici: nessuna segnalazione reale.", "en": "Synthetic demo data: no real report."},
    "areas_note": {"it": "Aree non ufficiali (griglia esagonale regolare).", "en": "Areas are not official (regular hexagon grid)."},
    "areas_note_streets": {"it": "Aree non ufficiali, ricostruite da uno stradario.", "en": "Areas are not official, rebuilt from a street list."},
    "areas_note_landmarks": {"it": "Aree non ufficiali: confini approssimativi, tracciati attorno a punti di riferimento.",
                             "en": "Areas are not official: approximate boundaries drawn around landmarks."},
    "privacy_note": {"it": "«< {threshold}»: meno di {threshold} segnalazioni, valore nascosto. Nessuna posizione di una segnalazione è pubblicata.",
                     "en": "'< {threshold}': fewer than {threshold} reports, value hidden. No report location is published."},
    "nd_note": {"it": "«{nd}»: dato nascosto per non permettere di ricalcolare un dato piccolo, oppure non disponibile.",
                "en": "'{nd}': hidden so that a small count cannot be computed back, or not available."},
    "nd_title": {"it": "nascosto per non permettere di ricalcolare un dato piccolo", "en": "hidden so that a small count cannot be computed back"},
    "sources": {"it": "Fonti", "en": "Sources"},
    "key_figures": {"it": "Dati principali", "en": "Key figures"},
    "reports_12m": {"it": "segnalazioni (12 mesi)", "en": "reports (12 months)"},
    "per1000": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "per1000_pop_65": {"it": "per 1.000 residenti di 65 anni e più", "en": "per 1,000 residents aged 65+"},
    "per1000_pop_65_short": {"it": "per 1.000 over 65", "en": "per 1,000 aged 65+"},
    "yoy": {"it": "rispetto a un anno prima", "en": "vs a year before"},
    "year_before": {"it": "un anno prima", "en": "a year before"},
    "index": {"it": "Indice", "en": "Index"},
    "index_map": {"it": "Indice composito di fragilità per area", "en": "Composite fragility index by area"},
    "rate_map": {"it": "Segnalazioni per 1.000 residenti (12 mesi)", "en": "Reports per 1,000 residents (12 months)"},
    "hidden": {"it": "nascosto (meno di {threshold} o per proteggere un dato piccolo)", "en": "hidden (under {threshold}, or to protect a small count)"},
    "hidden_index": {"it": "indice non calcolabile (dati nascosti)", "en": "no index (figures hidden)"},
    "no_residents_index": {"it": "non calcolabile: area senza residenti", "en": "not computable: no residents"},
    "not_computable": {"it": "non calcolabile", "en": "not computable"},
    "index_zero": {"it": "0: nessuna segnalazione nelle categorie pubblicate", "en": "0: no reports in the published categories"},
    "legend_primary": {"it": "meno di {threshold} segnalazioni (nascosto)", "en": "fewer than {threshold} reports (hidden)"},
    "legend_protective": {"it": "n.d.: nascosto per non permettere di ricalcolare un dato piccolo",
                          "en": "n/a: hidden so that a small count cannot be computed back"},
    "legend_missing": {"it": "dato non disponibile", "en": "no data"},
    "ranking": {"it": "Classifica delle aree", "en": "Ranking of areas"},
    "ranking_caption": {"it": "Aree ordinate per indice composito (1 = più fragile)", "en": "Areas ordered by composite index (1 = most fragile)"},
    "ranking_caption_rate": {"it": "Aree ordinate per segnalazioni per 1.000 residenti (1 = tasso più alto)", "en": "Areas ordered by reports per 1,000 residents (1 = highest rate)"},
    "index_explain": {"it": "L'indice composito va da 0 a 100: per ogni categoria le aree sono messe in ordine di segnalazioni per 1.000 residenti (rango percentile, 100 = tasso più alto) e l'indice è la media delle categorie. Confronta le aree tra loro, non è una misura assoluta.",
                      "en": "The composite index runs from 0 to 100: for each category the areas are ordered by reports per 1,000 residents (percentile rank, 100 = highest rate) and the index is the mean over the categories. It compares areas with each other; it is not an absolute measure."},
    # How hidden cells enter privacy.fragility_index: keep in step with that function.
    "index_hidden_rule": {"it": "Una categoria nascosta non è un tasso basso ma un dato sconosciuto: non entra nel calcolo, e l'indice è la media delle categorie pubblicate dell'area. Un'area con meno della metà delle categorie pubblicate non ha indice.",
                          "en": "A hidden category is not a low rate but an unknown one: it is left out, and the index is the mean over the area's published categories. An area with fewer than half of its categories published has no index."},
    "index_zero_rule": {"it": "Un'area senza segnalazioni in una categoria vale 0 per quella categoria (in fondo alla scala, non a metà); le aree con segnalazioni sono ordinate tra loro. Un'area senza residenti non ha tassi né indice: «non calcolabile».",
                        "en": "An area with no report in a category scores 0 for it (the bottom of the scale, not the middle); the areas with reports are ranked among themselves. An area without residents has no rates and no index: 'not computable'."},
    "ranking_ties": {"it": "A parità di indice le aree hanno lo stesso numero e sono ordinate per tasso totale, poi per nome. In fondo, con «{nd}», le aree in cui il totale o tutte le categorie sono nascosti: per loro l'indice non si può calcolare.",
                     "en": "Areas with the same index share a number and are ordered by total rate, then by name. At the bottom, marked '{nd}', the areas whose total or every category is hidden: their index cannot be computed."},
    "area": {"it": "Area", "en": "Area"},
    "town": {"it": "Comune", "en": "Town"},
    "changes": {"it": "Cosa è cambiato dal mese scorso", "en": "What changed since last month"},
    "changes_caption": {"it": "Aree con la variazione maggiore del totale a 12 mesi", "en": "Areas with the largest change of the 12-month total"},
    "difference": {"it": "Differenza", "en": "Difference"},
    "no_changes": {"it": "Nessuna variazione pubblicabile.", "en": "No publishable change."},
    "coverage_gaps": {"it": "Dove i servizi non arrivano", "en": "Where services do not reach"},
    "gaps_caption": {"it": "Aree con la quota più bassa di segnalazioni entro 15 minuti a piedi dal servizio più vicino", "en": "Areas with the lowest share of reports within a 15-minute walk of the nearest service"},
    "category": {"it": "Categoria", "en": "Category"},
    "within5": {"it": "entro 5 min", "en": "within 5 min"},
    "within10": {"it": "entro 10 min", "en": "within 10 min"},
    "within15": {"it": "entro 15 min", "en": "within 15 min"},
    "median": {"it": "tempo mediano", "en": "median time"},
    "minutes": {"it": "{n} min", "en": "{n} min"},
    "no_coverage": {"it": "Accessibilità ai servizi non calcolata.", "en": "Access to services not computed."},
    "where_next": {"it": "Dove aprire un nuovo sportello", "en": "Where to open a new help desk"},
    "where_caption": {"it": "Luoghi proposti, uno alla volta: ognuno porta entro 15 minuti a piedi il maggior numero di segnalazioni oggi più lontane da uno sportello o centro della rete",
                      "en": "Proposed sites, one at a time: each brings within a 15-minute walk the most reports now further from a help desk or centre of the network"},
    "where_rank": {"it": "N.", "en": "No."},
    "where_site": {"it": "Luogo", "en": "Site"},
    "where_reached": {"it": "Segnalazioni in più entro 15 minuti", "en": "Additional reports within 15 minutes"},
    "where_total": {"it": "In tutto, i primi {k} luoghi della classifica raggiungono {greedy} segnalazioni.",
                    "en": "In all, the top {k} sites of the ranking reach {greedy} reports."},
    "where_optimal": {"it": "Insieme ottimo di {k} luoghi ({names}): raggiunge {optimal} segnalazioni, contro {greedy} dei primi {k} della classifica.",
                      "en": "Optimal set of {k} sites ({names}): it reaches {optimal} reports, against {greedy} for the top {k} of the ranking."},
    "where_optimal_hidden": {"it": "Insieme ottimo di {k} luoghi ({names}): raggiunge più segnalazioni dei primi {k} della classifica (numeri nascosti per riservatezza).",
                             "en": "Optimal set of {k} sites ({names}): it reaches more reports than the top {k} of the ranking (figures hidden for privacy)."},
    "where_nested": {"it": "Gli insiemi ottimi non sono annidati: i 3 luoghi migliori insieme possono non contenere i 2 migliori, per questo la classifica resta quella passo per passo.",
                     "en": "Optimal sets are not nested: the best 3 sites together need not contain the best 2, so the ranking stays the step-by-step one."},
    "access_hidden": {"it": "nascosto", "en": "hidden"},
    "access_row_hidden": {"it": "nascosto (meno di {threshold} segnalazioni)", "en": "hidden (fewer than {threshold} reports)"},
    "access_none": {"it": "nessuna segnalazione di questa categoria", "en": "no report in this category"},
    "access_no_service": {"it": "nessun servizio di questo tipo", "en": "no service of this kind"},
    "access_note": {"it": "«nascosto»: quota non pubblicata perché riguarda meno di {threshold} segnalazioni o permetterebbe di calcolarne una; le quote entro 10 e 15 minuti sono mostrate entrambe o nessuna delle due.",
                    "en": "'hidden': share not published because it concerns fewer than {threshold} reports or would let a reader compute one; the 10- and 15-minute shares are shown both or neither."},
    "access_method": {"it": "Metodo", "en": "Method"},
    "categories": {"it": "Pagine per categoria", "en": "Pages by category"},
    "quality": {"it": "Qualità dei dati", "en": "Data quality"},
    "estimated_title": {"it": "Cosa è stimato o illustrativo", "en": "What is estimated or illustrative"},
    "walking_estimated": {"it": "Tempi a piedi: {method}.", "en": "Walking times: {method}."},
    "index_relative": {"it": "L'indice composito è relativo: confronta le aree di questo atlante tra loro.", "en": "The composite index is relative: it compares the areas of this atlas with each other."},
    "method": {"it": "Fonti e metodo", "en": "Sources and method"},
    "method_text": {"it": "Conteggi sui 12 mesi che terminano nel mese indicato; tassi per 1.000 residenti; indice composito = media dei ranghi percentili dei tassi per categoria.",
                    "en": "Counts over the 12 months ending in the month shown; rates per 1,000 residents; composite index = mean of the percentile ranks of the category rates."},
    "locator": {"it": "Posizione dell'area nel comune", "en": "Where the area lies in its town"},
    "population": {"it": "Residenti", "en": "Residents"},
    "estimated": {"it": "stima", "en": "estimate"},
    "by_category_caption": {"it": "Segnalazioni per categoria, ultimi 12 mesi", "en": "Reports by category, last 12 months"},
    "town_average": {"it": "media del comune", "en": "town average"},
    "rates_vs_town": {"it": "Tassi rispetto al comune", "en": "Rates compared with the town"},
    "trend": {"it": "Andamento (totale mobile a 12 mesi)", "en": "Trend (rolling 12-month total)"},
    "trend_note": {"it": "Un cerchio grigio indica un mese con valore nascosto; in alto a destra il valore di {month}, come nella tabella.",
                   "en": "A grey circle marks a month with a hidden value; top right, the figure for {month}, as in the table."},
    "trend_hidden_primary": {"it": "dati nascosti (sotto la soglia)", "en": "data hidden (under the threshold)"},
    "trend_hidden": {"it": "dati nascosti", "en": "data hidden"},
    "chart_data": {"it": "Dati del grafico", "en": "Chart data"},
    "charts_data": {"it": "Dati dei grafici", "en": "Chart data"},
    "month": {"it": "Mese", "en": "Month"},
    "trend_table": {"it": "Andamento: segnalazioni negli ultimi 12 mesi a ogni mese, per categoria",
                    "en": "Trend: reports in the 12 months to each month, by category"},
    "maps_table": {"it": "{town}: valori delle mappe mensili ({unit}), per area e mese",
                   "en": "{town}: values of the monthly maps ({unit}), by area and month"},
    "partners": {"it": "Per associazione", "en": "By association"},
    "partners_note": {"it": "Per proteggere le persone, i dati per associazione non sono pubblicati per area: qui sotto i dati dell'intero comune di {town}.",
                      "en": "To protect people, figures by association are not published by area: below, the figures of the whole town of {town}."},
    "partners_caption": {"it": "Segnalazioni per associazione, comune di {town}, ultimi 12 mesi (dato del comune)", "en": "Reports by association, town of {town}, last 12 months (town figure)"},
    "town_figure": {"it": "(dato del comune)", "en": "(town figure)"},
    "partner": {"it": "Associazione", "en": "Association"},
    "access": {"it": "Accessibilità a piedi", "en": "Walking access"},
    "access_caption": {"it": "Quota di segnalazioni entro N minuti a piedi dal servizio più vicino", "en": "Share of reports within N minutes' walk of the nearest service"},
    "nearest_services": {"it": "Servizi più vicini", "en": "Nearest services"},
    "no_services": {"it": "Nessun servizio noto.", "en": "No known service."},
    "neighbours": {"it": "Aree confinanti", "en": "Neighbouring areas"},
    "no_neighbours": {"it": "Nessuna area confinante nello stesso comune.", "en": "No neighbouring area in the same town."},
    "back": {"it": "Torna all'indice", "en": "Back to the index"},
    "category_lead": {"it": "Tassi per 1.000 residenti (totale mobile a 12 mesi), mese per mese: una mappa per comune e per mese.",
                      "en": "Rates per 1,000 residents (rolling 12-month total), month by month: one map per town and month."},
    "category_caption": {"it": "Tutte le aree, ultimi 12 mesi", "en": "All areas, last 12 months"},
    "yoy_note": {"it": "«rispetto a un anno prima»: «aumento» o «calo» solo se la differenza è più di quanto il caso spieghi (test esatto di Poisson, p < {alpha}, almeno {base} segnalazioni un anno prima); «stabile» (entro ±10%) e «non significativa» non sono un allarme. «non calcolabile»: il dato attuale o quello di un anno prima è nascosto o zero, oppure un anno prima non c'erano ancora 12 mesi completi di segnalazioni.",
                 "en": "'vs a year before': 'rise' or 'fall' only when the difference is more than chance explains (exact Poisson test, p < {alpha}, at least {base} reports a year before); 'stable' (within ±10%) and 'not significant' are no alarm. 'not computable': the current figure or the one of a year before is hidden or zero, or a year before there were not yet 12 full months of reports."},
    "q_read": {"it": "Righe lette", "en": "Rows read"},
    "q_accepted": {"it": "Segnalazioni accettate", "en": "Reports accepted"},
    "q_rejected": {"it": "Righe scartate (da correggere e rinviare)", "en": "Rows rejected (to fix and resend)"},
    "q_missing": {"it": "dato non disponibile: nessun registro di importazione (eseguire «fragmap run»)", "en": "not available: no ingest record (run 'fragmap run')"},
    "q_placed": {"it": "Segnalazioni localizzate all'indirizzo o alle coordinate: {share} ({n} su {total})",
                 "en": "Reports placed at their address or coordinates: {share} ({n} of {total})"},
    "q_levels_caption": {"it": "Geocodifica: come sono state localizzate le segnalazioni", "en": "Geocoding: how the reports were placed"},
    "q_level": {"it": "Livello", "en": "Level"},
    "q_count": {"it": "Segnalazioni", "en": "Reports"},
    "q_share": {"it": "Quota", "en": "Share"},
    "q_unassigned": {"it": "Segnalazioni senza area (non localizzate con precisione)", "en": "Reports without an area (not located precisely)"},
    "total": {"it": "Totale", "en": "Total"},
    "rete": {"it": "Rete", "en": "Network"},
    "metres": {"it": "{n} m in linea d'aria", "en": "{n} m as the crow flies"},
    "level_coordinate": {"it": "coordinate fornite", "en": "given coordinates"},
    "level_civico": {"it": "numero civico", "en": "house number"},
    "level_via": {"it": "via (senza civico)", "en": "street (no house number)"},
    "level_quartiere": {"it": "solo quartiere", "en": "quarter only"},
    "level_comune": {"it": "solo comune", "en": "town only"},
    "level_non_trovato": {"it": "non trovato", "en": "not found"},
    "service_pharmacy": {"it": "farmacia", "en": "pharmacy"},
    "service_school": {"it": "scuola", "en": "school"},
    "service_hospital": {"it": "ospedale", "en": "hospital"},
    "service_sportello": {"it": "sportello", "en": "help desk"},
    "service_laboratorio": {"it": "laboratorio", "en": "workshop"},
    "service_centro": {"it": "centro della rete", "en": "network centre"},
}
#: Geocoding levels from the most to the least precise; the first three place a report.
LEVEL_ORDER = ("coordinate", "civico", "via", "quartiere", "comune", "non_trovato")
PLACED_LEVELS = ("coordinate", "civico", "via")
#: Hidden for one of these reasons, a count may be large: it prints "n.d.", not "< N".
PROTECTIVE_REASONS = ("secondary", "area", "history")


def _file(area_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", area_id) + ".html"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def display_name(name: str, language: str) -> str:
    """An area name in the page's language (fragmap's own words translated, place names kept).

    Examples
    --------
    >>> display_name("Pavia · cella 02-04 + Pavia · cella 02-05", "en")
    'Pavia · cell 02-04 + Pavia · cell 02-05'
    >>> display_name("Borgo Ticino + Vallone (nord)", "en")
    'Borgo Ticino + Vallone (north)'
    """
    from fragmap.naming import display_name as _display

    return _display(name, language)


def labels_for(language: str, threshold: int, *, name: str = "", whole: str = "") -> dict[str, str]:
    """The atlas labels in ``language`` (Italian when missing), with the threshold filled in.

    ``name`` is the title's network (or network and town, :mod:`fragmap.levels`) and
    ``whole`` the label of the whole network's row; both come from the project file.
    """
    nd = t("not_available", language)
    out = {k: v.get(language) or v["it"] for k, v in LABELS.items()}
    out["rete"] = whole or out["rete"]
    out["atlas_title"] = out["atlas_title"].format(name=name or out["rete"])
    out["nd"] = nd
    out["lt"] = t("suppressed", language, threshold=threshold)
    for k in ("privacy_note", "hidden", "access_row_hidden", "access_note", "legend_primary"):
        out[k] = out[k].format(threshold=threshold)
    for k in ("nd_note", "ranking_ties"):
        out[k] = out[k].format(nd=nd)
    out["yoy_note"] = out["yoy_note"].format(alpha=format_number(ALPHA, language, 2), base=MIN_BASE)
    return out


def access_cells(record: Mapping[str, Any] | None, *, zero_reports: bool = False) -> dict[str, Any]:
    """What the access table may print for one area and category (pure, no formatting).

    The 10- and 15-minute shares are shown both or neither (one hidden next to the
    other shown invites a reader to bound one from the other), and a shorter share
    is shown only when every longer one is (or when it is a true 0).

    Parameters
    ----------
    record : mapping or None
        A row of ``Publication.coverage`` (``share_within_5/10/15``, ``median_minutes``,
        ``suppressed``), or None when the area has no row for the category.
    zero_reports : bool
        True when the area has no report in the category (explains a missing row).

    Returns
    -------
    dict
        ``state``: ``"shown"``, ``"hidden"`` (too few reports), ``"none"`` (no report),
        ``"no_service"`` (no service reachable) or ``"missing"``; and for ``"shown"``
        the shares ``s5, s10, s15`` (float, or None when hidden) and ``median``.
    """
    if record is None:
        return {"state": "none" if zero_reports else "missing"}
    if bool(record.get("suppressed")):
        return {"state": "hidden"}
    median = record.get("median_minutes")
    if _nan(median) or (isinstance(median, float) and math.isinf(median)):
        median = None
    shares: dict[int, float | None] = {}
    for k in (5, 10, 15):
        v = record.get(f"share_within_{k}")
        shares[k] = None if _nan(v) else float(v)
    if median is None and all(v is None or v == 0 for v in shares.values()):
        return {"state": "no_service"}
    if shares[10] is None or shares[15] is None:
        shares[10] = shares[15] = None
    if shares[5] not in (None, 0.0) and shares[10] is None:
        shares[5] = None
    return {"state": "shown", "s5": shares[5], "s10": shares[10], "s15": shares[15], "median": median}


class _Atlas:
    """Precomputed tables of one publication (built once, read by every page)."""

    def __init__(self, pub: Publication, services: gpd.GeoDataFrame | None) -> None:
        self.pub = pub
        self.lang = pub.language
        self.L = labels_for(self.lang, pub.threshold, name=pub.title, whole=pub.whole)
        if pub.quarter_source == "stradario":
            self.L["areas_note"] = self.L["areas_note_streets"]
        elif pub.quarter_source == "punti_riferimento":
            self.L["areas_note"] = self.L["areas_note_landmarks"]
        t_ = pub.table
        self.t12 = t_[(t_["window"] == 12) & (t_["partner"] == ALL_PARTNERS) & (t_["action"] == ALL_ACTIONS)]
        self.last = self.t12[self.t12["month"] == pub.month].set_index(["area_id", "category"])
        self._cells: dict[tuple[str, str], dict[str, Any]] = {}
        self.areas = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id").reset_index(drop=True)
        self.names = [display_name(str(n), self.lang) for n in self.areas["name"]]
        self.utm = self.areas.to_crs(UTM)
        self.utm_simple = self.utm.geometry.simplify(25, preserve_topology=True).to_numpy()
        self.cats = [c for c in sorted(self.t12["category"].unique()) if c != TOTAL]
        self.series = {
            (a, c): g.set_index("month").reindex(list(pub.months))
            for (a, c), g in self.t12.groupby(["area_id", "category"])
        }
        self.services = services.to_crs(UTM) if services is not None and len(services) else None
        self.rep = self.utm.geometry.representative_point()
        sidx = self.utm.sindex
        left, right = sidx.query(self.utm.geometry.buffer(1.0), predicate="intersects")
        self.neighbours: dict[int, list[int]] = {}
        for i, j in zip(left, right):
            if i != j and self.areas["town"].iloc[i] == self.areas["town"].iloc[j]:
                self.neighbours.setdefault(int(i), []).append(int(j))

    def label(self, code: str) -> str:
        if code == TOTAL:
            return self.L["total"]
        return self.pub.labels.get(code, code)

    def count_text(self, value: Any, suppressed: bool, reason: str = "primary") -> str:
        """A count as plain text, exactly as the tables print it (``< N``, ``n.d.`` or the number)."""
        if suppressed:
            return self.L["lt"] if reason not in PROTECTIVE_REASONS else self.L["nd"]
        if _nan(value):
            return self.L["nd"]
        return format_number(value, self.lang)

    def count(self, value: Any, suppressed: bool, reason: str = "primary") -> str:
        """A count as HTML, wrapped for the privacy audit."""
        text = escape(self.count_text(value, suppressed, reason))
        if suppressed:
            kind = "protective" if reason in PROTECTIVE_REASONS else "primary"
            title = f' title="{escape(self.L["nd_title"])}"' if kind == "protective" else ""
            return f'<span class="fm-count" data-fm-count="suppressed" data-fm-hidden="{kind}"{title}>{text}</span>'
        if _nan(value):
            return text
        return f'<span class="fm-count" data-fm-count="{int(value)}">{text}</span>'

    def cell(self, area_id: str, category: str) -> dict[str, Any]:
        key = (area_id, category)
        if key not in self._cells:  # pages ask for the same cells many times: look each up once
            self._cells[key] = self._cell(area_id, category)
        return dict(self._cells[key])

    def _cell(self, area_id: str, category: str) -> dict[str, Any]:
        if (area_id, category) in self.last.index:
            r = self.last.loc[(area_id, category)]
            return {"value": r["value"], "suppressed": bool(r["suppressed"]), "reason": str(r["reason"]),
                    "rate": r["rate_per_1000"], "yoy": r["change_yoy"], "prev": r["value_prev"],
                    "status": str(r["change_status"])}
        return {"value": float("nan"), "suppressed": False, "reason": "", "rate": float("nan"), "yoy": float("nan"),
                "prev": float("nan"), "status": NOT_COMPUTABLE}

    def cell_count(self, area_id: str, category: str) -> str:
        cl = self.cell(area_id, category)
        return self.count(cl["value"], cl["suppressed"], cl["reason"])

    def yoy(self, x: Any, status: str = NOT_COMPUTABLE) -> str:
        """The change and its status (fragmap.change) as HTML: "+40% · non significativa"."""
        label = escape(status_label(status, self.lang, short=True))
        if _nan(x) or status == NOT_COMPUTABLE:
            text = label
        else:
            s = format_share(x, self.lang)
            text = f"{escape(('+' + s) if x > 0 else s)} · {label}"
        return f'<span class="fm-change" data-fm-change="{escape(status)}">{text}</span>'

    def prev(self, x: Any) -> str:
        """The count a year before (already suppressed in its month): the number, or n.d."""
        return self.count(x, False)

    def rate(self, x: Any) -> str:
        return format_number(shown_rate(x), self.lang, 1)  # as the map shows it

    def share(self, x: float | None) -> str:
        return self.L["access_hidden"] if x is None else format_share(x, self.lang)

    def minutes(self, x: float | None) -> str:
        return self.L["access_hidden"] if x is None else self.L["minutes"].format(n=format_number(x, self.lang, 0))


def _legend(classes: Classes, lang: str, zero_label: str | None = None) -> list[dict[str, str]]:
    """Legend rows of ``classes`` (fragmap.classify), the zero class first."""
    labels = class_labels(classes, lang)
    if zero_label and classes.zero:
        labels[0] = zero_label
    return [{"colour": c, "label": lab} for c, lab in zip(classes.colours, labels)]


def _pattern_rows(L: Mapping[str, str], used: Iterable[str], labels: Mapping[str, str] | None = None,
                  ) -> list[dict[str, str]]:
    """Legend rows of the "unknown" fills a map uses (``hatch``, ``hatch2``, ``missing``), in that order."""
    text = {"hatch": L["legend_primary"], "hatch2": L["legend_protective"], "missing": L["legend_missing"],
            **(labels or {})}
    seen = set(used)
    return [{"colour": PATTERNS[p].css(), "label": text[f]} for f, p in PATTERN_FILLS.items() if f in seen]


def _fills(values: Sequence[Any], hidden: Sequence[str], classes: Classes) -> list[str]:
    """A fill per area: ``hidden`` (``"hatch"``/``"hatch2"``) wins, then the class colour, else ``"missing"``."""
    out = []
    for v, h in zip(values, hidden):
        i = -1 if _nan(v) else classes.index(float(v))
        out.append(h if h else ("missing" if i < 0 else classes.colours[i]))
    return out


def _hidden_fill(suppressed: Any, reason: Any) -> str:
    """The pattern of a hidden figure: ``hatch`` under the threshold, ``hatch2`` hidden to protect another."""
    if _nan(suppressed) or not bool(suppressed):
        return ""
    return "hatch2" if str(reason) in PROTECTIVE_REASONS else "hatch"



def _quality_block(A: _Atlas, quality: Mapping[str, Any]) -> dict[str, Any]:
    """Data-quality figures of the index: ingest counts, geocoding rate, levels in order."""
    lang = A.lang
    L = A.L

    def figure(key: str) -> dict[str, str]:
        v = quality.get(key)
        return {"label": L[f"q_{key}"], "value": "—" if v is None else format_number(v, lang),
                "note": L["q_missing"] if v is None else ""}

    rows = [figure("read"), figure("accepted"), figure("rejected")]
    levels = {str(k): int(v) for k, v in (quality.get("geocoded_by_level") or {}).items()}
    total = sum(levels.values())
    order = [k for k in LEVEL_ORDER if k in levels] + sorted(k for k in levels if k not in LEVEL_ORDER)
    level_rows = [{"label": L.get(f"level_{k}", k), "count": format_number(levels[k], lang),
                   "share": format_share(levels[k] / total, lang, 1) if total else L["nd"]} for k in order]
    placed = sum(levels.get(k, 0) for k in PLACED_LEVELS)
    placed_line = (L["q_placed"].format(share=format_share(placed / total, lang, 1), n=format_number(placed, lang),
                                        total=format_number(total, lang)) if total else "")
    unassigned = quality.get("unassigned")
    if unassigned is not None:
        rows.append({"label": L["q_unassigned"], "value": format_number(unassigned, lang), "note": ""})
    from fragmap.placement import placement_lines

    figures = quality.get("placed_by_partner") or []
    partners = placement_lines(figures, lang, names=A.pub.labels, min_reports=A.pub.threshold, with_counts=False)
    low = any(bool(r["low"]) and int(r["reports"]) >= A.pub.threshold for r in figures)
    fix = partners.pop() if partners and low else ""
    return {"rows": rows, "levels": level_rows, "placed": placed_line, "partners": partners, "fix": fix}


def _where_next_block(A: _Atlas, layer: gpd.GeoDataFrame | None) -> dict[str, Any] | None:
    """The where-next section: the greedy ranking, and the optimal set when it reaches more."""
    from fragmap.privacy import check_where_next

    if layer is None or not len(layer):
        return None
    w = check_where_next(layer, A.pub.threshold)
    sol = w["solution"].astype(str) if "solution" in w.columns else np.array(["greedy"] * len(w), dtype=object)
    greedy = w[np.asarray(sol) == "greedy"].sort_values("rank")
    optimal = w[np.asarray(sol) == "optimal"].sort_values("rank")
    rows = [{"rank": str(int(r["rank"])), "name": str(r["name"]), "reached": A.count(r.get("reached"), False)}
            for _, r in greedy.iterrows()]
    set_total = greedy["set_reached"].iloc[0] if "set_reached" in greedy.columns and len(greedy) else np.nan
    L = A.L
    total = Markup(L["where_total"].format(k=len(greedy), greedy=A.count(set_total, False))) if not _nan(set_total) else ""
    opt = ""
    if len(optimal):
        names = escape(", ".join(optimal["name"].astype(str)))
        o_total = optimal["set_reached"].iloc[0] if "set_reached" in optimal.columns else np.nan
        if not _nan(o_total) and not _nan(set_total):
            opt = Markup(L["where_optimal"].format(k=len(optimal), names=names, optimal=A.count(o_total, False),
                                                   greedy=A.count(set_total, False)))
        else:
            opt = Markup(L["where_optimal_hidden"].format(k=len(optimal), names=names))
    return {"rows": rows, "total": total, "optimal": opt, "nested": L["where_nested"] if opt else ""}


def render_atlas(
    publication: Publication,
    out_dir: str | Path,
    *,
    quality: Mapping[str, Any],
    services: gpd.GeoDataFrame | None = None,
    map_href: str | None = "../mappa.html",
    where_next: gpd.GeoDataFrame | None = None,
    background: Any = None,
) -> list[Path]:
    """Write the atlas for the publication's reference month into ``out_dir``.

    Parameters
    ----------
    publication : Publication
        Suppressed figures (nothing else is accepted).
    out_dir : str or Path
        Folder to write (created); pages go in it, ``quartieri/`` and ``categorie/``.
        Publish it atomically by writing into a staging folder (the pipeline and
        ``fragmap atlas`` do).
    quality : mapping
        ``read, accepted, rejected, geocoded_by_level, unassigned`` (network-wide
        figures); ``None`` for a figure that is not known prints "—" with a note.
    services : GeoDataFrame, optional
        Public services (``name, type, address, geometry``) for the "nearest services" lists.
    map_href : str, optional
        Link to the interactive map, relative to ``out_dir``.
    where_next : GeoDataFrame, optional
        The PUBLISHED where-next layer (:func:`fragmap.privacy.publish_where_next`;
        checked again here): the greedy ranking and, when it reaches more, the optimal set.
    background : Background, optional
        Public reference layers (:func:`fragmap.background.load_background`) drawn under
        the areas of the locator and index maps, with place names; their attribution is
        added to the pages' sources.

    Returns
    -------
    list of Path
        Every file written, sorted.

    Raises
    ------
    TypeError
        If ``publication`` is not a :class:`Publication`.

    Examples
    --------
    >>> render_atlas(pub, "maps/atlas", quality={}, services=project.services)   # doctest: +SKIP
    """
    if not isinstance(publication, Publication):
        raise TypeError("render_atlas accepts only a Publication (suppressed, aggregated figures)")
    pages = build_pages(publication, quality=quality, services=services, map_href=map_href,
                        where_next=where_next, background=background)
    out = Path(out_dir)
    written: list[Path] = []
    for rel, text in pages.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return sorted(written)


def build_pages(
    publication: Publication,
    *,
    quality: Mapping[str, Any],
    services: gpd.GeoDataFrame | None = None,
    map_href: str | None = "../mappa.html",
    where_next: gpd.GeoDataFrame | None = None,
    background: Any = None,
) -> dict[str, str]:
    """Every file of the atlas as text, keyed by relative path (pure: nothing is written).

    Parameters and figures as :func:`render_atlas`. The order of the keys is the
    reading order (index, areas, categories), used for the PDF.
    """
    if not isinstance(publication, Publication):
        raise TypeError("build_pages accepts only a Publication (suppressed, aggregated figures)")
    pub = publication
    A = _Atlas(pub, services)
    L = A.L
    env = Environment(loader=PackageLoader("fragmap", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      keep_trailing_newline=True)
    lang = pub.language
    month_label = format_month(pub.month, lang)
    common = {
        "lang": lang, "L": L, "month_label": month_label, "synthetic": pub.synthetic,
        "official": pub.quarter_source == "file", "attributions": list(pub.attributions),
        "map_href": map_href,
    }
    bg_layers = _background_layers(background)
    if bg_layers is not None:  # OSM / GeoNames licences on every page that draws them
        common["attributions"] += [a for a in background.attribution if a not in common["attributions"]]

    def render(template: str, root: str, **ctx: Any) -> str:
        return env.get_template(template).render(**common, root=root, **ctx)

    css = resources.files("fragmap").joinpath("templates", "atlas", "atlas.css").read_text(encoding="utf-8")
    ids = A.areas["area_id"].tolist()
    town_cells = {(town, c): A.cell(town, c) for town in sorted(A.areas["town"].unique()) for c in [*A.cats, TOTAL]}
    covered: dict[tuple[str, str], dict[str, Any]] = {}
    coverage_method = ""
    if pub.coverage is not None and len(pub.coverage):
        cov = pub.coverage
        covered = {(a, c): r for a, c, r in zip(cov["area_id"], cov["category"], cov.to_dict("records"))}
        coverage_method = str(cov["method"].iloc[0]) if "method" in cov else ""
    town_index = {tw: [int(i) for i in np.nonzero((A.areas["town"] == tw).to_numpy())[0]]
                  for tw in sorted(A.areas["town"].unique())}
    month_short = [format_month(m, lang, short=True) for m in pub.months]

    # the towns' figures by partner (filtered once, not once per page)
    town_partners = pub.table[(pub.table["level"] == "town") & (pub.table["month"] == pub.month)
                              & (pub.table["window"] == 12) & (pub.table["partner"] != ALL_PARTNERS)
                              & (pub.table["category"] == TOTAL) & (pub.table["action"] == ALL_ACTIONS)]

    # -- quarter pages ------------------------------------------------------------------
    quarter_pages: dict[str, str] = {}
    for i, row in A.areas.iterrows():
        i = int(i)  # type: ignore[call-overload]
        aid, town, name = str(row["area_id"]), str(row["town"]), A.names[i]
        members = town_index[town]
        locator = map_svg([A.utm_simple[j] for j in members],
                          [HIGHLIGHT_FILL if j == i else CONTEXT_FILL for j in members],
                          width=260, height=220, highlight=members.index(i),
                          titles=[A.names[j] for j in members], label=f"{L['locator']}: {name}",
                          background=_background_svg(bg_layers, focus=A.utm_simple[i], max_rank=1, max_labels=10,
                                                      road_rank=1))
        rows, bars = [], []
        for c in [TOTAL, *A.cats]:
            cl, tc = A.cell(aid, c), town_cells[(town, c)]
            # a rate per 1,000 residents aged 65+ says so where it is shown
            lab = A.label(c) + (f" ({L['per1000_pop_65_short']})" if pub.denominator(c) == "pop_65" else "")
            rows.append({"label": lab, "count": A.count(cl["value"], cl["suppressed"], cl["reason"]),
                         "rate": A.rate(cl["rate"]), "town_rate": A.rate(tc["rate"]), "prev": A.prev(cl["prev"]),
                         "yoy": A.yoy(cl["yoy"], cl["status"])})
            bars.append((lab, None if cl["suppressed"] or _nan(cl["rate"]) else float(cl["rate"]),
                         None if _nan(tc["rate"]) else float(tc["rate"])))
        trends = []
        for c in [TOTAL, *A.cats]:
            s = A.series.get((aid, c))
            if s is None:
                continue
            sup = [bool(x) if not _nan(x) else False for x in s["suppressed"]]
            reasons = [str(r) for r, h in zip(s["reason"], sup) if h]
            cl = A.cell(aid, c)
            trends.append(trend_svg(
                [None if _nan(v) else float(v) for v in s["value"]], sup, month_short, title=A.label(c),
                end_label=A.count_text(cl["value"], cl["suppressed"], cl["reason"]),
                empty_message=L["trend_hidden_primary"] if "primary" in reasons else L["trend_hidden"]))
        trend_table = _trend_table(A, aid, pub.months, lang)
        partners = []
        pt = town_partners[town_partners["area_id"] == town]
        for p, v, s, r, rate, yoy, prev, st in sorted(
                zip(pt["partner"], pt["value"], pt["suppressed"], pt["reason"], pt["rate_per_1000"], pt["change_yoy"],
                    pt["value_prev"], pt["change_status"]),
                key=lambda x: (pub.labels.get(x[0], x[0]), x[0])):
            partners.append({"name": pub.labels.get(p, p), "count": A.count(v, bool(s), str(r)),
                             "rate": A.rate(rate), "prev": A.prev(prev), "yoy": A.yoy(yoy, str(st))})
        access = []
        for c in A.cats:
            cl = A.cell(aid, c)
            zero = not cl["suppressed"] and not _nan(cl["value"]) and float(cl["value"]) == 0
            st = access_cells(covered.get((aid, c)), zero_reports=zero)
            entry: dict[str, Any] = {"label": A.label(c), "state": st["state"]}
            if st["state"] == "shown":
                entry.update(s5=A.share(st["s5"]), s10=A.share(st["s10"]), s15=A.share(st["s15"]),
                             median=A.minutes(st["median"]))
            else:
                entry["message"] = {"hidden": L["access_row_hidden"], "none": L["access_none"],
                                    "no_service": L["access_no_service"], "missing": L["nd"]}[st["state"]]
            access.append(entry)
        near = []
        if A.services is not None:
            d = A.services.distance(A.rep.iloc[i])
            for j in d.sort_values(kind="stable").index[:5]:
                sv = A.services.loc[j]
                kind = str(sv["type"])
                near.append({"name": str(sv["name"]), "type": L.get(f"service_{kind}", kind),
                             "address": "" if _nan(sv.get("address")) else str(sv.get("address")),
                             "distance": L["metres"].format(n=format_number(round(float(d[j]), -1), lang))})
        neighbours = [{"file": _file(str(A.areas["area_id"].iloc[j])), "name": A.names[j]}
                      for j in sorted(A.neighbours.get(i, []), key=lambda j: str(A.areas["area_id"].iloc[j]))]
        quarter_pages[f"quartieri/{_file(aid)}"] = render("atlas/quarter.html.j2", "../",
               area={"name": name, "town": town, "population": format_number(row["population"], lang),
                     "estimated": bool(row["population_estimated"])},
               locator=locator, rows=rows,
               bars=bars_svg(bars, title=L["per1000"], reference_label=L["town_average"], missing_label=L["nd"],
                             formatter=lambda v: format_number(v, lang, 1)),
               trends=trends, trend_note=L["trend_note"].format(month=month_label), trend_table=trend_table,
               partners=partners, partners_note=L["partners_note"].format(town=town),
               partners_caption=L["partners_caption"].format(town=town),
               access=access, coverage_method=coverage_method, services=near, neighbours=neighbours)

    # -- category pages -------------------------------------------------------------------
    category_pages: dict[str, str] = {}
    for c in [TOTAL, *A.cats]:
        rates_all = [float(v) for m in pub.months for a in ids
                     for v in [A.series[(a, c)].at[m, "rate_per_1000"]] if (a, c) in A.series and not _nan(v)]
        classes = zero_aware_classes(rates_all, k=5, decimals=1)
        towns, used = [], set()
        for town, members in town_index.items():
            panels = []
            for k, (m, ms) in enumerate(zip(pub.months, month_short)):
                vals, hid, titles = [], [], []
                for j in members:
                    s = A.series.get((ids[j], c))
                    v = s.at[m, "rate_per_1000"] if s is not None else float("nan")  # .at: scalar lookups, fast
                    h = _hidden_fill(s.at[m, "suppressed"], s.at[m, "reason"]) if s is not None else ""
                    vals.append(v)
                    hid.append(h)
                    titles.append(f"{A.names[j]}: {L['access_hidden'] if h else A.rate(v)}")
                fills = _fills(vals, hid, classes)
                used.update(fills)
                panels.append({"svg": map_svg([A.utm_simple[j] for j in members], fills,
                                              width=220, height=180, titles=titles, pattern_id=f"h{k}-{town}",
                                              label=f"{A.label(c)}, {town}, {ms}"),
                               "label": ms})
            towns.append({"name": town, "panels": panels, "table": _maps_table(
                A, c, town, members, pub.months, lang,
                unit=L[f"per1000_{pub.denominator(c)}"] if pub.denominator(c) != "population" else L["per1000"])})
        rows = []
        for j, (a, town) in enumerate(zip(ids, A.areas["town"])):
            cl = A.cell(a, c)
            rows.append({"file": _file(a), "name": A.names[j], "town": town,
                         "count": A.count(cl["value"], cl["suppressed"], cl["reason"]),
                         "rate": A.rate(cl["rate"]), "prev": A.prev(cl["prev"]), "yoy": A.yoy(cl["yoy"], cl["status"])})
        category_pages[f"categorie/{c}.html"] = render("atlas/category.html.j2", "../", label=A.label(c),
                                                       towns=towns,
                                                       legend=_legend(classes, lang) + _pattern_rows(L, used),
                                                       rows=rows, unit=L[f"per1000_{pub.denominator(c)}"]
                                                       if pub.denominator(c) != "population" else "")

    # -- index ---------------------------------------------------------------------------------
    keys = []
    # a town published alone (fragmap.levels) is its own whole: its figures once, not twice
    wholes = [] if L["rete"] in town_index else [(NETWORK, L["rete"])]
    for aid, kname in [*[(tw, tw) for tw in town_index], *wholes]:
        cl = A.cell(aid, TOTAL)
        keys.append({"name": kname, "count": A.count(cl["value"], cl["suppressed"], cl["reason"]),
                     "rate": A.rate(cl["rate"]), "prev": A.prev(cl["prev"]), "yoy": A.yoy(cl["yoy"], cl["status"])})
    fi = pub.extras.get("fragility_index")
    has_index = fi is not None and len(fi) > 0
    total_rate = {a: A.cell(a, TOTAL)["rate"] for a in ids}
    if has_index:
        fi_ = fi.drop_duplicates("area_id").set_index("area_id").reindex(ids)
        # No index where nothing behind it is published: every category hidden, or the
        # total itself hidden (an index of an area with "< 5" reports would rank noise).
        no_index = {a: A.cell(a, TOTAL)["suppressed"] or _nan(A.cell(a, TOTAL)["value"])
                    or (bool(A.cats) and all(A.cell(a, c)["suppressed"] for c in A.cats)) for a in ids}
        score = {a: (None if no_index[a] or _nan(fi_.loc[a, "index_value"]) else float(fi_.loc[a, "index_value"]))
                 for a in ids}
        classes = index_classes()  # the one index scale of atlas, map and notebooks
        legend = _legend(classes, lang, zero_label=L["index_zero"])
        fmt_score = lambda v: format_number(v, lang, 1)  # noqa: E731
        index_title, caption = L["index_map"], L["ranking_caption"]
        hidden_label = L["hidden_index"]
    else:
        score = {a: (None if A.cell(a, TOTAL)["suppressed"] or _nan(total_rate[a]) else float(total_rate[a]))
                 for a in ids}
        classes = zero_aware_classes([v for v in score.values() if v is not None], k=5, decimals=1)
        legend = _legend(classes, lang)
        fmt_score = A.rate
        index_title, caption = L["rate_map"], L["ranking_caption_rate"]
        hidden_label = L["hidden"]
    # no residents: nothing to divide by, so no rate and no index ("not computable", not hidden)
    pop = dict(zip(A.areas["area_id"], A.areas["population"]))
    no_residents = {a: not (float(pop.get(a, float("nan"))) > 0) for a in ids}
    hidden = [score[a] is None and not no_residents[a] for a in ids]
    fills = _fills([score[a] if score[a] is not None else float("nan") for a in ids],
                   ["hatch" if h else "" for h in hidden], classes)
    missing = L["no_residents_index"] if has_index else L["legend_missing"]
    legend += _pattern_rows(L, fills, {"hatch": hidden_label, "missing": missing})
    titles = [f"{n}: {(L['not_computable'] if no_residents[a] else L['nd']) if score[a] is None else fmt_score(score[a])}"
              for a, n in zip(ids, A.names)]
    # one map per town: the two towns are 25 km apart, one frame would be mostly empty
    index_maps = [
        {"town": town, "svg": map_svg([A.utm_simple[j] for j in members], [fills[j] for j in members], width=420,
                                      height=340, titles=[titles[j] for j in members], pattern_id=f"hi-{town}",
                                      label=f"{index_title}: {town}", background=_background_svg(bg_layers))}
        for town, members in town_index.items()
    ]
    ranked = [a for a in ids if score[a] is not None]
    ranked.sort(key=lambda a: (-score[a], -(total_rate[a] if not _nan(total_rate[a]) else -1.0),  # type: ignore[operator]
                               A.names[ids.index(a)], a))
    ranking = []
    for a in ranked:
        j = ids.index(a)
        rank = 1 + sum(1 for b in ranked if score[b] > score[a])  # type: ignore[operator]
        ranking.append({"rank": str(rank), "file": _file(a), "name": A.names[j], "town": A.areas["town"].iloc[j],
                        "count": A.cell_count(a, TOTAL), "rate": A.rate(total_rate[a]),
                        "index": fmt_score(score[a]), "hidden": False})
    for a in sorted((a for a in ids if score[a] is None), key=lambda a: (A.names[ids.index(a)], a)):
        j = ids.index(a)
        ranking.append({"rank": "—", "file": _file(a), "name": A.names[j], "town": A.areas["town"].iloc[j],
                        "count": A.cell_count(a, TOTAL), "rate": A.rate(total_rate[a]),
                        "index": L["not_computable"] if no_residents[a] else L["nd"],
                        "hidden": True})
    changes: list[dict[str, str]] = []
    if len(pub.months) >= 2:
        prev = pub.months[-2]
        found = []
        for j, a in enumerate(ids):
            s = A.series.get((a, TOTAL))
            if s is None:
                continue
            b, c_ = s.loc[prev], s.loc[pub.month]
            if bool(b["suppressed"]) or bool(c_["suppressed"]) or _nan(b["value"]) or _nan(c_["value"]):
                continue
            d = float(c_["value"]) - float(b["value"])
            if d != 0:
                found.append((abs(d), a, A.names[j], b["value"], c_["value"], d))
        changes = [{"file": _file(a), "name": n, "before": A.count(bv, False), "after": A.count(av, False),
                    "diff": ("+" if d > 0 else "") + format_number(d, lang)}
                   for _, a, n, bv, av, d in sorted(found, key=lambda x: (-x[0], x[1]))[:10]]
    gaps = []
    if covered:
        pos = {a: j for j, a in enumerate(ids)}
        cand = []
        for (a, c), r in covered.items():
            if a not in pos:
                continue
            st = access_cells(r)
            if st["state"] == "shown" and st["s15"] is not None:
                cand.append((st["s15"], a, c, st))
        for sh, a, c, st in sorted(cand, key=lambda x: (x[0], x[1], x[2]))[:10]:
            gaps.append({"file": _file(a), "name": A.names[pos[a]], "category": A.label(c), "share": A.share(sh),
                         "median": A.minutes(st["median"]) if st["median"] is not None else L["nd"]})
    estimated = list(pub.notes)
    if coverage_method:
        estimated.append(L["walking_estimated"].format(method=coverage_method))
    if has_index:
        estimated.append(L["index_relative"])
    index = render("atlas/index.html.j2", "", key_figures=keys, index_title=index_title, index_maps=index_maps,
           index_legend=legend, has_index=has_index, ranking=ranking,
           ranking_caption=caption, changes=changes,
           prev_label=format_month(pub.months[-2], lang) if len(pub.months) >= 2 else "",
           gaps=gaps, coverage_method=coverage_method, where=_where_next_block(A, where_next),
           residents=_resident_sentences(pub),
           category_links=[{"code": c, "label": A.label(c)} for c in [TOTAL, *A.cats]],
           quality=_quality_block(A, quality), estimated=estimated)
    return {"index.html": index, **quarter_pages, **category_pages, "atlas.css": css}


def _resident_sentences(pub: Publication) -> list[str]:
    """Residents-based coverage of the network and each town, in words (public, rounded estimates)."""
    from fragmap.residents import resident_sentences

    table = pub.extras.get("resident_coverage")
    return [] if table is None else list(dict.fromkeys(resident_sentences(table, pub.language)))


# -- optional PDF -------------------------------------------------------------------------------
class PdfError(FragmapError, RuntimeError):
    """The PDF cannot be printed (no Chromium, or Playwright for Python missing)."""


CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
_MAIN = re.compile(r"<main>(.*?)</main>", re.S)
_HEADER = re.compile(r'<header class="top">(.*?)</header>', re.S)
_FOOTER = re.compile(r"<footer>(.*?)</footer>", re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_LANG = re.compile(r'<html lang="([a-z]+)">')
_LINK = re.compile(r'href="(?:\.\./)?(quartieri|categorie)/([^"/]+)\.html"')
_INDEX_LINK = re.compile(r'href="(?:\.\./)?index\.html"')


# -- text equivalents of the charts (issue 15): the values each chart draws, as a table --------------
def _trend_table(A: _Atlas, area_id: str, months: Sequence[str], lang: str) -> dict[str, Any] | None:
    """The quarter page's trend charts as one table: a row per month, a column per chart.

    A hidden month reads "< N" or "n.d." exactly as the tables and the charts' end labels
    print it (the counts go through :meth:`_Atlas.count`, where the privacy audit reads them).
    """
    cats = [c for c in [TOTAL, *A.cats] if (area_id, c) in A.series]
    if not cats:
        return None
    rows = []
    for m in months:
        cells = []
        for c in cats:
            s = A.series[(area_id, c)]
            h = bool(s.at[m, "suppressed"]) if not _nan(s.at[m, "suppressed"]) else False
            cells.append(A.count(s.at[m, "value"], h, str(s.at[m, "reason"]) if h else ""))
        rows.append({"label": format_month(m, lang), "cells": cells})
    return {"caption": A.L["trend_table"], "columns": [A.L["month"], *[A.label(c) for c in cats]], "rows": rows}


def _maps_table(A: _Atlas, category: str, town: str, members: Sequence[int], months: Sequence[str], lang: str,
                *, unit: str) -> dict[str, Any]:
    """A town's monthly category maps (areas ``members``, rows of ``A.areas``) as one table: a row
    per area, a column per month (its rate, or "nascosto" where the map hatches the area, as the
    map's own hover text says)."""
    rows = []
    for j in members:
        s = A.series.get((str(A.areas["area_id"].iloc[j]), category))
        cells = []
        for m in months:
            if s is None:
                cells.append(A.L["nd"])
                continue
            h = bool(s.at[m, "suppressed"]) if not _nan(s.at[m, "suppressed"]) else False
            cells.append(A.L["access_hidden"] if h else A.rate(s.at[m, "rate_per_1000"]))
        rows.append({"label": A.names[j], "cells": [escape(x) for x in cells]})
    return {"caption": A.L["maps_table"].format(town=town, unit=unit),
            "columns": [A.L["area"], *[format_month(m, lang, short=True) for m in months]], "rows": rows}


def _background_layers(background: Any) -> Any:
    """The background projected once for every SVG map of the atlas, or None."""
    if background is None or background.is_empty:
        return None
    from fragmap.background import project_background

    return project_background(background)


def _background_svg(layers: Any, *, focus: Any = None, max_rank: int = 2, max_labels: int = 14,
                    road_rank: int = 2) -> Any:
    """``map_svg``'s ``background`` callable for one map (None without a background)."""
    if layers is None:
        return None
    from fragmap.background import svg_layers

    return lambda to_px, view: svg_layers(layers, to_px, view, focus=focus, max_rank=max_rank,
                                          max_labels=max_labels, road_rank=road_rank)


def _sheet_id(rel: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9_-]+", "-", rel.removesuffix(".html"))


def reading_order(names: Sequence[str]) -> list[str]:
    """Atlas pages in reading order: index, areas (by id), categories (total first)."""
    quarters = sorted(n for n in names if n.startswith("quartieri/") and n.endswith(".html"))
    cats = sorted((n for n in names if n.startswith("categorie/") and n.endswith(".html")),
                  key=lambda n: (n != f"categorie/{TOTAL}.html", n))
    return [n for n in ("index.html",) if n in names] + quarters + cats


def print_document(pages: Mapping[str, str]) -> str:
    """One HTML document of the whole atlas for printing (pure): each page starts a new sheet.

    Parameters
    ----------
    pages : mapping
        ``relative path -> text`` of the atlas files (as :func:`build_pages` returns or
        as read back from the folder), including ``atlas.css``.

    Returns
    -------
    str
        The document, with the stylesheet inlined and links between pages turned into
        links inside the document.
    """
    order = reading_order(list(pages))
    if not order:
        raise PdfError("no atlas page to print")
    first = pages[order[0]]
    m_lang = _LANG.search(first)
    lang = m_lang.group(1) if m_lang else "it"
    title = _TITLE.search(first)
    header = _HEADER.search(first)
    footer = _FOOTER.search(first)
    sheets = []
    for rel in order:
        m = _MAIN.search(pages[rel])
        if m is None:
            continue
        body = _LINK.sub(lambda x: f'href="#{_sheet_id(x.group(1) + "/" + x.group(2))}"', m.group(1))
        body = _INDEX_LINK.sub(f'href="#{_sheet_id("index.html")}"', body)
        sheets.append(f'<section class="sheet" id="{_sheet_id(rel)}">{body}</section>')
    header_html = header.group(1) if header else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title.group(1) if title else ''}</title>\n<style>\n{pages.get('atlas.css', '')}</style>\n</head>\n"
        f'<body class="book">\n<header class="top">{header_html}</header>\n<main>\n'
        + "\n".join(sheets)
        + f"\n</main>\n<footer>{footer.group(1) if footer else ''}</footer>\n</body>\n</html>\n"
    )


def find_chromium(executable: str | Path | None = None) -> str | None:
    """The Chromium to print with: ``executable`` if it exists, else Debian's, else None."""
    import os

    for p in ([str(executable)] if executable else []) + list(CHROMIUM_PATHS):
        if p and os.path.exists(p):
            return p
    return None


def check_pdf(executable: str | Path | None = None) -> str:
    """The Chromium the PDF will be printed with; raise :class:`PdfError` saying what is missing.

    Raises
    ------
    PdfError
        If no Chromium is installed or Playwright for Python is missing.
    """
    exe = find_chromium(executable)
    if exe is None:
        raise PdfError(
            "the PDF needs Chromium, which is not installed (Debian: apt-get install chromium); "
            "the HTML atlas is complete without it"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise PdfError(
            "the PDF needs Playwright for Python (pip install playwright; do not run "
            "'playwright install': the system Chromium is used); the HTML atlas is complete without it"
        ) from exc
    return exe


def write_pdf(atlas_dir: str | Path, pdf_path: str | Path | None = None, *,
              executable: str | Path | None = None) -> Path:
    """Print a written atlas folder to one A4 PDF with headless Chromium (optional feature).

    Uses the Chromium already installed (Debian's ``/usr/bin/chromium``) through
    Playwright for Python; nothing is downloaded and no page may reach the network.
    The PDF is not byte-identical between runs (Chromium stamps a creation date).

    Parameters
    ----------
    atlas_dir : str or Path
        A folder written by :func:`render_atlas`.
    pdf_path : str or Path, optional
        Where to write (default ``<atlas_dir>/atlas.pdf``).
    executable : str or Path, optional
        The Chromium binary (default: the first of :data:`CHROMIUM_PATHS` that exists).

    Returns
    -------
    Path
        The PDF written.

    Raises
    ------
    PdfError
        If Chromium or Playwright is missing; the HTML atlas is unaffected.
    """
    import tempfile

    folder = Path(atlas_dir)
    out = Path(pdf_path) if pdf_path is not None else folder / "atlas.pdf"
    exe = check_pdf(executable)
    from playwright.sync_api import sync_playwright

    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix in (".html", ".css")]
    pages = {n: (folder / n).read_text(encoding="utf-8") for n in sorted(names)}
    doc = print_document(pages)
    first = pages.get("index.html", "")
    m_title = _TITLE.search(first)
    title = re.sub(r"<[^>]+>", "", m_title.group(1)) if m_title else ""
    banner = re.search(r'<p class="banner"[^>]*><strong>(.*?)</strong>', first)
    note = f" · {banner.group(1)}" if banner else ""
    footer = (f'<div style="font-size:7pt;width:100%;padding:0 12mm;color:#4d4d4d;font-family:sans-serif;">'
              f'{title}{note}<span style="float:right"><span class="pageNumber"></span>/'
              f'<span class="totalPages"></span></span></div>')
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fragmap-pdf-") as tmp:
        src = Path(tmp) / "atlante.html"
        src.write_text(doc, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            try:
                page = browser.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                           else r.abort())
                page.goto(src.as_uri())
                page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True,
                         display_header_footer=True, header_template="<span></span>", footer_template=footer)
            finally:
                browser.close()
    return out
