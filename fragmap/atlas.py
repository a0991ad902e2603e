"""The monthly atlas: static HTML pages (jinja2) built from a Publication.

``index.html`` (key figures per town, a map of the composite index, ranking,
changes since last month, coverage gaps, data quality, method), one page per area
in ``quartieri/`` and one per category in ``categorie/``, plus ``atlas.css`` (with
print rules: A4, one area per page). Static SVG charts, no JavaScript, no tiles.

Deterministic: the same publication and quality figures give byte-identical files.
Every count printed is wrapped ``<span class="fm-count" data-fm-count="...">`` so the
privacy audit can check it; everything from data is escaped (jinja2 autoescape, and
:mod:`fragmap.charts` escapes SVG text).

Example
-------
>>> files = render_atlas(pub, "maps/atlas", quality=quality, services=services)   # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from html import escape
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from fragmap.charts import bars_svg, map_svg, trend_svg
from fragmap.classify import NO_DATA_COLOUR, class_breaks, classify_values, palette
from fragmap.i18n import format_count, format_month, format_number, format_share
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, Publication

UTM = 32632

#: Every label of the atlas, in both languages (one table: no mixed languages on a page).
LABELS: dict[str, dict[str, str]] = {
    "atlas": {"it": "Atlante della fragilità", "en": "Fragility atlas"},
    "atlas_title": {"it": "Atlante mensile della Rete Fragilità Pavia-Vigevano", "en": "Monthly atlas of the Fragility Network Pavia-Vigevano"},
    "lead": {"it": "Segnalazioni delle associazioni della rete negli ultimi 12 mesi, per area, categoria e comune.",
             "en": "Reports of the network's associations in the last 12 months, by area, category and town."},
    "nav": {"it": "Navigazione", "en": "Navigation"},
    "interactive_map": {"it": "Mappa interattiva", "en": "Interactive map"},
    "synthetic_banner": {"it": "Dati dimostrativi sintetici: nessuna segnalazione reale.", "en": "Synthetic demo data: no real report."},
    "areas_note": {"it": "Aree non ufficiali (griglia esagonale regolare).", "en": "Areas are not official (regular hexagon grid)."},
    "areas_note_streets": {"it": "Aree non ufficiali, ricostruite da uno stradario.", "en": "Areas are not official, rebuilt from a street list."},
    "privacy_note": {"it": "Valori inferiori a {threshold} nascosti («< {threshold}»), insieme a quelli che permetterebbero di ricalcolarli. Nessuna posizione di una segnalazione è pubblicata.",
                     "en": "Counts under {threshold} are hidden ('< {threshold}'), together with those that would let a reader compute them back. No report location is published."},
    "sources": {"it": "Fonti", "en": "Sources"},
    "key_figures": {"it": "Dati principali", "en": "Key figures"},
    "reports_12m": {"it": "segnalazioni (12 mesi)", "en": "reports (12 months)"},
    "per1000": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "yoy": {"it": "rispetto a un anno prima", "en": "vs a year before"},
    "index": {"it": "Indice", "en": "Index"},
    "index_map": {"it": "Indice composito di fragilità per area", "en": "Composite fragility index by area"},
    "rate_map": {"it": "Segnalazioni per 1.000 residenti (12 mesi)", "en": "Reports per 1,000 residents (12 months)"},
    "hidden": {"it": "nascosto (meno di {threshold})", "en": "hidden (under {threshold})"},
    "ranking": {"it": "Classifica delle aree", "en": "Ranking of areas"},
    "ranking_caption": {"it": "Aree ordinate per indice composito (1 = più fragile)", "en": "Areas ordered by composite index (1 = most fragile)"},
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
    "no_coverage": {"it": "Accessibilità ai servizi non calcolata.", "en": "Access to services not computed."},
    "categories": {"it": "Pagine per categoria", "en": "Pages by category"},
    "quality": {"it": "Qualità dei dati", "en": "Data quality"},
    "method": {"it": "Fonti e metodo", "en": "Sources and method"},
    "method_text": {"it": "Conteggi sui 12 mesi che terminano nel mese indicato; tassi per 1.000 residenti; indice composito = media dei ranghi percentili dei tassi per categoria (i valori nascosti contano come i più bassi).",
                    "en": "Counts over the 12 months ending in the month shown; rates per 1,000 residents; composite index = mean of the percentile ranks of the category rates (hidden values rank lowest)."},
    "locator": {"it": "Posizione dell'area nel comune", "en": "Where the area lies in its town"},
    "population": {"it": "Residenti", "en": "Residents"},
    "estimated": {"it": "stima", "en": "estimate"},
    "by_category_caption": {"it": "Segnalazioni per categoria, ultimi 12 mesi", "en": "Reports by category, last 12 months"},
    "town_average": {"it": "media del comune", "en": "town average"},
    "rates_vs_town": {"it": "Tassi rispetto al comune", "en": "Rates compared with the town"},
    "trend": {"it": "Andamento (totale mobile a 12 mesi)", "en": "Trend (rolling 12-month total)"},
    "trend_note": {"it": "Un cerchio grigio indica un mese con valore nascosto.", "en": "A grey circle marks a month with a hidden value."},
    "partners": {"it": "Per associazione", "en": "By association"},
    "partners_note": {"it": "Per proteggere le persone, i dati per associazione sono pubblicati solo per comune.", "en": "To protect people, figures by association are published only by town."},
    "partners_caption": {"it": "Segnalazioni per associazione nel comune, ultimi 12 mesi", "en": "Reports by association in the town, last 12 months"},
    "partner": {"it": "Associazione", "en": "Association"},
    "access": {"it": "Accessibilità a piedi", "en": "Walking access"},
    "access_caption": {"it": "Quota di segnalazioni entro N minuti a piedi dal servizio più vicino", "en": "Share of reports within N minutes' walk of the nearest service"},
    "nearest_services": {"it": "Servizi più vicini", "en": "Nearest services"},
    "no_services": {"it": "Nessun servizio noto.", "en": "No known service."},
    "neighbours": {"it": "Aree confinanti", "en": "Neighbouring areas"},
    "back": {"it": "Torna all'indice", "en": "Back to the index"},
    "category_lead": {"it": "Tassi per 1.000 residenti negli ultimi 12 mesi, mese per mese.", "en": "Rates per 1,000 residents over the last 12 months, month by month."},
    "category_caption": {"it": "Tutte le aree, ultimi 12 mesi", "en": "All areas, last 12 months"},
    "q_read": {"it": "Righe lette: {n}", "en": "Rows read: {n}"},
    "q_accepted": {"it": "Segnalazioni accettate: {n}", "en": "Reports accepted: {n}"},
    "q_rejected": {"it": "Righe scartate (da correggere): {n}", "en": "Rows rejected (to fix): {n}"},
    "q_levels": {"it": "Geocodifica: {levels}", "en": "Geocoding: {levels}"},
    "q_unassigned": {"it": "Segnalazioni senza area (non localizzate con precisione): {n}", "en": "Reports without an area (not located precisely): {n}"},
    "total": {"it": "Totale", "en": "Total"},
    "rete": {"it": "Rete (Pavia e Vigevano)", "en": "Network (Pavia and Vigevano)"},
    "metres": {"it": "{n} m in linea d'aria", "en": "{n} m as the crow flies"},
}
LEVEL_NAMES = {
    "it": {"coordinate": "coordinate fornite", "civico": "numero civico", "via": "via", "quartiere": "quartiere",
           "comune": "solo comune", "non_trovato": "non trovato"},
    "en": {"coordinate": "given coordinates", "civico": "house number", "via": "street", "quartiere": "quarter",
           "comune": "town only", "non_trovato": "not found"},
}
SERVICE_TYPES = {
    "it": {"pharmacy": "farmacia", "school": "scuola", "hospital": "ospedale", "sportello": "sportello",
           "laboratorio": "laboratorio", "centro": "centro della rete"},
    "en": {"pharmacy": "pharmacy", "school": "school", "hospital": "hospital", "sportello": "help desk",
           "laboratorio": "workshop", "centro": "network centre"},
}


def _file(area_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", area_id) + ".html"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


class _Atlas:
    """Precomputed tables of one publication (built once, read by every page)."""

    def __init__(self, pub: Publication, services: gpd.GeoDataFrame | None) -> None:
        self.pub = pub
        self.lang = pub.language
        self.L = {k: v.get(self.lang, v["it"]) for k, v in LABELS.items()}
        self.L["privacy_note"] = self.L["privacy_note"].format(threshold=pub.threshold)
        self.L["hidden"] = self.L["hidden"].format(threshold=pub.threshold)
        if pub.quarter_source == "stradario":
            self.L["areas_note"] = self.L["areas_note_streets"]
        t = pub.table
        self.t12 = t[(t["window"] == 12) & (t["partner"] == ALL_PARTNERS) & (t["action"] == ALL_ACTIONS)]
        self.last = self.t12[self.t12["month"] == pub.month].set_index(["area_id", "category"])
        self.areas = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id").reset_index(drop=True)
        self.utm = self.areas.to_crs(UTM)
        self.utm_simple = self.utm.geometry.simplify(25, preserve_topology=True).to_numpy()
        self.cats = [c for c in sorted(self.t12["category"].unique()) if c != TOTAL]
        self.series = {
            (a, c): g.set_index("month").reindex(list(pub.months))
            for (a, c), g in self.t12.groupby(["area_id", "category"])
        }
        self.services = services.to_crs(UTM) if services is not None and len(services) else None
        rep = self.utm.geometry.representative_point()
        self.rep = rep
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

    def count(self, value: Any, suppressed: bool) -> str:
        if suppressed:
            return f'<span class="fm-count" data-fm-count="suppressed">&lt; {self.pub.threshold}</span>'
        if _nan(value):
            return format_count(None, False, self.pub.threshold, self.lang)
        return f'<span class="fm-count" data-fm-count="{int(value)}">{format_number(value, self.lang)}</span>'

    def cell(self, area_id: str, category: str) -> dict[str, Any]:
        if (area_id, category) in self.last.index:
            r = self.last.loc[(area_id, category)]
            return {"value": r["value"], "suppressed": bool(r["suppressed"]), "rate": r["rate_per_1000"], "yoy": r["change_yoy"]}
        return {"value": float("nan"), "suppressed": False, "rate": float("nan"), "yoy": float("nan")}

    def yoy(self, x: Any) -> str:
        if _nan(x):
            return format_number(None, self.lang)
        s = format_share(x, self.lang)
        return ("+" + s) if x > 0 else s

    def rate(self, x: Any) -> str:
        return format_number(None if _nan(x) else x, self.lang, 1)


def _classes(values: list[float], k: int = 5) -> tuple[list[float], list[str]]:
    breaks = class_breaks(values, scheme="quantiles", k=k)
    return breaks, palette(max(len(breaks), 1))


def _legend(breaks: list[float], colours: list[str], lang: str, decimals: int = 1) -> list[dict[str, str]]:
    out, lo = [], None
    for b, c in zip(breaks, colours):
        label = f"≤ {format_number(b, lang, decimals)}" if lo is None else f"{format_number(lo, lang, decimals)} – {format_number(b, lang, decimals)}"
        out.append({"colour": c, "label": label})
        lo = b
    return out


def _fills(values: list[Any], suppressed: list[bool], breaks: list[float], colours: list[str]) -> list[str]:
    idx = classify_values([np.nan if _nan(v) else v for v in values], breaks) if breaks else np.full(len(values), -1)
    out = []
    for v, s, i in zip(values, suppressed, idx):
        out.append("hatch" if s else (NO_DATA_COLOUR if i < 0 else colours[int(i)]))
    return out


def render_atlas(
    publication: Publication,
    out_dir: str | Path,
    *,
    quality: Mapping[str, Any],
    services: gpd.GeoDataFrame | None = None,
    map_href: str | None = "../mappa.html",
) -> list[Path]:
    """Write the atlas for the publication's reference month into ``out_dir``.

    Parameters
    ----------
    publication : Publication
        Suppressed figures (nothing else is accepted).
    out_dir : str or Path
        Folder to write (created); pages go in it, ``quartieri/`` and ``categorie/``.
    quality : mapping
        ``read, accepted, rejected, geocoded_by_level, unassigned`` (network-wide figures).
    services : GeoDataFrame, optional
        Public services (``name, type, address, geometry``) for the "nearest services" lists.
    map_href : str, optional
        Link to the interactive map, relative to ``out_dir``.

    Returns
    -------
    list of Path
        Every file written, sorted.

    Raises
    ------
    TypeError
        If ``publication`` is not a :class:`Publication`.
    """
    if not isinstance(publication, Publication):
        raise TypeError("render_atlas accepts only a Publication (suppressed, aggregated figures)")
    pub = publication
    A = _Atlas(pub, services)
    out = Path(out_dir)
    (out / "quartieri").mkdir(parents=True, exist_ok=True)
    (out / "categorie").mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("fragmap", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      keep_trailing_newline=True)
    lang = pub.language
    month_label = format_month(pub.month, lang)
    common = {
        "lang": lang, "L": A.L, "month_label": month_label, "synthetic": pub.synthetic,
        "official": pub.quarter_source == "file", "attributions": list(pub.attributions),
        "map_href": map_href,
    }
    written: list[Path] = []

    def write(path: Path, template: str, root: str, **ctx: Any) -> None:
        html = env.get_template(template).render(**common, root=root, **ctx)
        path.write_text(html, encoding="utf-8")
        written.append(path)

    css = resources.files("fragmap").joinpath("templates", "atlas", "atlas.css").read_text(encoding="utf-8")
    (out / "atlas.css").write_text(css, encoding="utf-8")
    written.append(out / "atlas.css")

    # -- quarter pages ------------------------------------------------------------------
    town_cells = {}
    for town in sorted(A.areas["town"].unique()):
        for c in [*A.cats, TOTAL]:
            town_cells[(town, c)] = A.cell(town, c)
    covered = {}
    coverage_method = ""
    if pub.coverage is not None and len(pub.coverage):
        cov = pub.coverage
        covered = {(a, c): r for a, c, r in zip(cov["area_id"], cov["category"], cov.to_dict("records"))}
        coverage_method = str(cov["method"].iloc[0]) if "method" in cov else ""
    town_geoms = {t: A.utm_simple[(A.areas["town"] == t).to_numpy()] for t in A.areas["town"].unique()}
    town_index = {t: list(np.nonzero((A.areas["town"] == t).to_numpy())[0]) for t in A.areas["town"].unique()}
    month_short = [format_month(m, lang, short=True) for m in pub.months]
    for i, row in A.areas.iterrows():
        aid, town = row["area_id"], row["town"]
        members = town_index[town]
        locator = map_svg(list(town_geoms[town]), ["#e0e0e0"] * len(members), width=260, height=220,
                          highlight=members.index(i), label=f"{A.L['locator']}: {row['name']}")
        rows, bars = [], []
        for c in [TOTAL, *A.cats]:
            cl, tc = A.cell(aid, c), town_cells[(town, c)]
            rows.append({"label": A.label(c), "count": A.count(cl["value"], cl["suppressed"]), "rate": A.rate(cl["rate"]),
                         "town_rate": A.rate(tc["rate"]), "yoy": A.yoy(cl["yoy"])})
            bars.append((A.label(c), None if cl["suppressed"] else (None if _nan(cl["rate"]) else float(cl["rate"])),
                         None if _nan(tc["rate"]) else float(tc["rate"])))
        trends = []
        for c in [TOTAL, *A.cats]:
            s = A.series.get((aid, c))
            if s is None:
                continue
            trends.append(trend_svg([None if _nan(v) else float(v) for v in s["value"]],
                                    [bool(x) if not _nan(x) else False for x in s["suppressed"]],
                                    month_short, title=A.label(c), formatter=lambda v: format_number(v, lang)))
        partners = []
        pt = pub.table[(pub.table["level"] == "town") & (pub.table["area_id"] == town) & (pub.table["month"] == pub.month)
                       & (pub.table["window"] == 12) & (pub.table["partner"] != ALL_PARTNERS)]
        for p, v, s in sorted(zip(pt["partner"], pt["value"], pt["suppressed"])):
            partners.append({"name": pub.labels.get(p, p), "count": A.count(v, bool(s))})
        access = []
        for c in A.cats:
            r = covered.get((aid, c))
            if r is None:
                continue
            access.append({"label": A.label(c), "s5": format_share(r.get("share_within_5"), lang),
                           "s10": format_share(r.get("share_within_10"), lang), "s15": format_share(r.get("share_within_15"), lang),
                           "median": format_number(r.get("median_minutes"), lang, 0) + " min" if not _nan(r.get("median_minutes")) else format_number(None, lang)})
        near = []
        if A.services is not None:
            d = A.services.distance(A.rep.iloc[i])
            for j in d.sort_values(kind="stable").index[:5]:
                s = A.services.loc[j]
                near.append({"name": str(s["name"]), "type": SERVICE_TYPES[lang].get(str(s["type"]), str(s["type"])),
                             "address": "" if _nan(s.get("address")) else str(s.get("address")),
                             "distance": A.L["metres"].format(n=format_number(round(float(d[j]), -1), lang))})
        neighbours = [{"file": _file(A.areas["area_id"].iloc[j]), "name": A.areas["name"].iloc[j]}
                      for j in sorted(A.neighbours.get(i, []), key=lambda j: A.areas["area_id"].iloc[j])]
        write(out / "quartieri" / _file(aid), "atlas/quarter.html.j2", "../",
              area={"name": row["name"], "town": town, "population": format_number(row["population"], lang),
                    "estimated": bool(row["population_estimated"])},
              locator=locator, rows=rows,
              bars=bars_svg(bars, title=A.L["per1000"], reference_label=A.L["town_average"],
                            formatter=lambda v: format_number(v, lang, 1)),
              trends=trends, partners=partners, access=access, coverage_method=coverage_method,
              services=near, neighbours=neighbours)

    # -- category pages -------------------------------------------------------------------
    ids = A.areas["area_id"].tolist()
    for c in [TOTAL, *A.cats]:
        rates_all = [float(v) for m in pub.months for a in ids
                     for v in [A.series[(a, c)].loc[m, "rate_per_1000"]] if (a, c) in A.series and not _nan(v)]
        breaks, colours = _classes(rates_all)
        maps = []
        for m, ms in zip(pub.months, month_short):
            vals, sups = [], []
            for a in ids:
                s = A.series.get((a, c))
                v = s.loc[m, "rate_per_1000"] if s is not None else float("nan")
                sp = bool(s.loc[m, "suppressed"]) if s is not None and not _nan(s.loc[m, "suppressed"]) else False
                vals.append(v)
                sups.append(sp)
            maps.append({"svg": map_svg(list(A.utm_simple), _fills(vals, sups, breaks, colours), width=200, height=170,
                                        label=f"{A.label(c)} {ms}"), "label": ms})
        rows = []
        for a, name, town in zip(ids, A.areas["name"], A.areas["town"]):
            cl = A.cell(a, c)
            rows.append({"file": _file(a), "name": name, "town": town, "count": A.count(cl["value"], cl["suppressed"]),
                         "rate": A.rate(cl["rate"]), "yoy": A.yoy(cl["yoy"])})
        write(out / "categorie" / f"{c}.html", "atlas/category.html.j2", "../", label=A.label(c), maps=maps,
              legend=_legend(breaks, colours, lang), rows=rows)

    # -- index ---------------------------------------------------------------------------------
    keys = []
    for aid, name in [*[(t, t) for t in sorted(A.areas["town"].unique())], (NETWORK, A.L["rete"])]:
        cl = A.cell(aid, TOTAL)
        keys.append({"name": name, "count": A.count(cl["value"], cl["suppressed"]), "rate": A.rate(cl["rate"]), "yoy": A.yoy(cl["yoy"])})
    fi = pub.extras.get("fragility_index")
    names = A.areas["name"].tolist()
    if fi is not None and len(fi):
        fi = fi.set_index("area_id").reindex(ids)
        vals = fi["index_value"].tolist()
        sups = [False] * len(ids)
        titles = [f"{n}: {format_number(v, lang, 1)}" for n, v in zip(names, vals)]
        index_title = A.L["index_map"]
    else:
        vals = [A.cell(a, TOTAL)["rate"] for a in ids]
        sups = [A.cell(a, TOTAL)["suppressed"] for a in ids]
        titles = [f"{n}: {format_number(v, lang, 1)}" for n, v in zip(names, vals)]
        index_title = A.L["rate_map"]
    breaks, colours = _classes([v for v, sp in zip(vals, sups) if not _nan(v) and not sp])
    fills = _fills(vals, sups, breaks, colours)
    # one map per town: the two towns are 25 km apart, one frame would be mostly empty
    index_map = "".join(
        f'<figure class="keep">{map_svg([A.utm_simple[i] for i in members], [fills[i] for i in members], width=420, height=340, titles=[titles[i] for i in members], label=f"{index_title}: {town}")}'
        f"<figcaption>{escape(town)}</figcaption></figure>"
        for town, members in sorted(town_index.items())
    )
    ranking = []
    order = fi.sort_values(["rank"]).index.tolist() if fi is not None and len(fi) else ids
    for r, a in enumerate(order, start=1):
        i = ids.index(a)
        cl = A.cell(a, TOTAL)
        ranking.append({"rank": r, "file": _file(a), "name": A.areas["name"].iloc[i], "town": A.areas["town"].iloc[i],
                        "count": A.count(cl["value"], cl["suppressed"]), "rate": A.rate(cl["rate"]),
                        "index": format_number(fi.loc[a, "index_value"], lang, 1) if fi is not None and len(fi) else ""})
    changes = []
    if len(pub.months) >= 2:
        prev = pub.months[-2]
        for a, name in zip(ids, A.areas["name"]):
            s = A.series.get((a, TOTAL))
            if s is None:
                continue
            b, c_ = s.loc[prev], s.loc[pub.month]
            if bool(b["suppressed"]) or bool(c_["suppressed"]) or _nan(b["value"]) or _nan(c_["value"]):
                continue
            d = float(c_["value"]) - float(b["value"])
            if d != 0:
                changes.append((abs(d), a, name, b["value"], c_["value"], d))
        changes = [{"file": _file(a), "name": n, "before": A.count(bv, False), "after": A.count(av, False),
                    "diff": ("+" if d > 0 else "") + format_number(d, lang)}
                   for _, a, n, bv, av, d in sorted(changes, key=lambda x: (-x[0], x[1]))[:10]]
    gaps = []
    if covered:
        names = dict(zip(ids, A.areas["name"]))
        cand = [(r.get("share_within_15"), a, c, r) for (a, c), r in covered.items() if a in names and not _nan(r.get("share_within_15"))]
        for sh, a, c, r in sorted(cand, key=lambda x: (x[0], x[1], x[2]))[:10]:
            gaps.append({"file": _file(a), "name": names[a], "category": A.label(c), "share": format_share(sh, lang),
                         "median": format_number(r.get("median_minutes"), lang, 0) + " min" if not _nan(r.get("median_minutes")) else ""})
    q = []
    lv = LEVEL_NAMES[lang]
    if quality.get("read") is not None:
        q.append(A.L["q_read"].format(n=format_number(quality["read"], lang)))
    if quality.get("accepted") is not None:
        q.append(A.L["q_accepted"].format(n=format_number(quality["accepted"], lang)))
    if quality.get("rejected") is not None:
        q.append(A.L["q_rejected"].format(n=format_number(quality["rejected"], lang)))
    levels = quality.get("geocoded_by_level") or {}
    if levels:
        q.append(A.L["q_levels"].format(levels=", ".join(f"{lv.get(k, k)} {format_number(v, lang)}" for k, v in sorted(levels.items()))))
    if quality.get("unassigned") is not None:
        q.append(A.L["q_unassigned"].format(n=format_number(quality["unassigned"], lang)))
    write(out / "index.html", "atlas/index.html.j2", "", key_figures=keys, index_title=index_title, index_map=index_map,
          index_legend=_legend(breaks, colours, lang), ranking=ranking, changes=changes,
          prev_label=format_month(pub.months[-2], lang) if len(pub.months) >= 2 else "",
          gaps=gaps, coverage_method=coverage_method,
          category_links=[{"code": c, "label": A.label(c)} for c in [TOTAL, *A.cats]],
          quality=q, notes=list(pub.notes))
    return sorted(written)
