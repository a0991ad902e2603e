"""The published interactive map: a self-contained Leaflet page built from a Publication.

The page is rendered with a jinja2 template (``templates/map.html.j2``) and a small
vanilla-JS layer over Leaflet 1.9.3, which is vendored in ``static/leaflet`` and
inlined, so the map draws with no CDN and no network. We do not use folium's page
here: its output loads Leaflet, jQuery and Bootstrap from CDNs, carries random
element ids (not byte-reproducible) and disables pinch zoom; the choropleth, month
selector and layer switch need custom JavaScript anyway. folium remains the tool
for planners' exploratory maps in notebooks (:func:`fragmap.explore.explore_map`).

Only a :class:`~fragmap.publication.Publication` is accepted, so no report point can
reach the page; data strings are escaped (HTML by jinja2 autoescape, JSON embedded
with ``<``, ``>``, ``&`` and U+2028/9 escaped, and the JS writes names with
``textContent`` only).

Example
-------
>>> files = write_map(pub, "maps", services=services)      # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from fragmap.classify import NO_DATA_COLOUR, PALETTES, class_breaks, palette
from fragmap.i18n import format_month, format_number, t, translate
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, TOTAL, Publication

UTM = 32632
MAP_FILE = "mappa.html"
EMBED_FILE = "embed.html"

_MESSAGES: dict[str, dict[str, str]] = {
    "title": {"it": "Rete Fragilità Pavia-Vigevano: segnalazioni per area", "en": "Fragility Network Pavia-Vigevano: reports by area"},
    "month": {"it": "Mese", "en": "Month"},
    "layer": {"it": "Livello", "en": "Layer"},
    "measure": {"it": "Misura", "en": "Measure"},
    "rate": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "count": {"it": "numero di segnalazioni", "en": "number of reports"},
    "services": {"it": "Servizi", "en": "Services"},
    "isochrones": {"it": "Distanza a piedi dagli sportelli", "en": "Walking distance from help desks"},
    "controls": {"it": "Scelte della mappa", "en": "Map options"},
    "map_label": {"it": "Mappa delle segnalazioni per area", "en": "Map of reports by area"},
    "areas_note": {"it": "Aree: griglia esagonale regolare, non quartieri ufficiali.",
                   "en": "Areas: a regular hexagon grid, not official quarters."},
    "areas_note_streets": {"it": "Aree ricostruite da uno stradario: confini indicativi, non ufficiali.",
                           "en": "Areas rebuilt from a street list: indicative, not official boundaries."},
    "privacy_note": {"it": "Per proteggere le persone, i valori sotto {threshold} sono nascosti («< {threshold}», tratteggio grigio), insieme a quelli che permetterebbero di ricalcolarli. Nessuna posizione di una segnalazione è pubblicata.",
                     "en": "To protect people, counts under {threshold} are hidden ('< {threshold}', grey hatching), together with those that would let a reader compute them back. No report location is published."},
    "table_title": {"it": "Tabella dei dati della mappa", "en": "Data table of the map"},
    "table_caption": {"it": "Segnalazioni negli ultimi 12 mesi fino a {month}, per area e categoria", "en": "Reports in the 12 months to {month}, by area and category"},
    "area": {"it": "Area", "en": "Area"},
    "rate_total": {"it": "Totale per 1.000 residenti", "en": "Total per 1,000 residents"},
    "sources": {"it": "Fonti", "en": "Sources"},
    "sources_short": {"it": "Fonti: ISTAT, ANNCSU, Regione Lombardia, rete", "en": "Sources: ISTAT, ANNCSU, Regione Lombardia, network"},
    "made_with": {"it": "Mappa generata con fragmap.", "en": "Map made with fragmap."},
    "window": {"it": "ultimi 12 mesi", "en": "last 12 months"},
    "reports": {"it": "segnalazioni", "en": "reports"},
    "na": {"it": "dato non disponibile", "en": "no data"},
    "yoy": {"it": "rispetto a un anno prima", "en": "vs a year before"},
    "estimated": {"it": "popolazione stimata", "en": "estimated population"},
    "suppressed": {"it": "meno di {threshold} (nascosto)", "en": "under {threshold} (hidden)"},
    "summary": {"it": "Mappa di {n} aree a {towns}: segnalazioni delle associazioni negli ultimi 12 mesi fino a {month}. Totale della rete: {total} segnalazioni.",
                "en": "Map of {n} areas in {towns}: the associations' reports in the 12 months to {month}. Network total: {total} reports."},
    "embed_title": {"it": "Come inserire la mappa nel sito", "en": "How to embed the map in the website"},
    "embed_help": {"it": "Copiare il codice qui sotto nella pagina del sito (blocco HTML). Il file {file} va caricato nella stessa cartella del sito, insieme a questa pagina; la mappa si adatta alla larghezza della pagina.",
                   "en": "Copy the code below into the website page (an HTML block). Upload {file} to the same folder of the website; the map adapts to the page width."},
}

SERVICE_TYPES = {
    "it": {"pharmacy": "farmacia", "school": "scuola", "hospital": "ospedale", "sportello": "sportello",
           "laboratorio": "laboratorio", "centro": "centro della rete"},
    "en": {"pharmacy": "pharmacy", "school": "school", "hospital": "hospital", "sportello": "help desk",
           "laboratorio": "workshop", "centro": "network centre"},
}
SERVICE_COLOURS = {"pharmacy": "#1b9e77", "school": "#7570b3", "hospital": "#d95f02", "sportello": "#e7298a",
                   "laboratorio": "#e6ab02", "centro": "#e7298a"}


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("fragmap", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _static(name: str) -> str:
    return resources.files("fragmap").joinpath("static", "leaflet", name).read_text(encoding="utf-8")


def safe_json(data: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028/9 escaped."""
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _round_coords(geom: Any, nd: int = 5) -> Any:
    import shapely

    return shapely.set_precision(geom, 10 ** -nd)


def _geometry(areas: gpd.GeoDataFrame, tolerance_m: float) -> dict[str, Any]:
    """Simplified (topology-preserving, in metres) and rounded polygons as GeoJSON."""
    g = areas.to_crs(UTM).geometry.simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    feats = []
    for i, geom in enumerate(g):
        gj = json.loads(gpd.GeoSeries([_round_coords(geom)], crs=4326).to_json())["features"][0]["geometry"]
        feats.append({"type": "Feature", "properties": {"i": i}, "geometry": gj})
    return {"type": "FeatureCollection", "features": feats}


def _label(pub: Publication, code: str, labels: dict[str, str] | None) -> str:
    if code == TOTAL:
        return t("total", pub.language)
    if labels and code in labels:
        return labels[code]
    if code in pub.labels:
        return pub.labels[code]
    return code.replace("_", " ").capitalize()


def _count_span(value: float, suppressed: bool, threshold: int, lang: str) -> str:
    if suppressed:
        return f'<span class="fm-count" data-fm-count="suppressed">&lt; {threshold}</span>'
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("not_available", lang)
    return f'<span class="fm-count" data-fm-count="{int(value)}">{format_number(value, lang)}</span>'


def render_map(
    publication: Publication,
    *,
    services: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    tiles: bool = False,
    scheme: str = "quantiles",
    k: int = 5,
    category_labels: dict[str, str] | None = None,
    tolerance_m: float = 15.0,
) -> str:
    """Render the published map as one self-contained HTML page.

    Parameters
    ----------
    publication : Publication
        Suppressed figures and public polygons (nothing else is accepted).
    services : GeoDataFrame, optional
        Public service points (``name``, ``type``, geometry) for the toggleable layer.
    isochrones : GeoDataFrame, optional
        Walking-time polygons around help desks (``minutes``, geometry).
    tiles : bool
        Add the online OpenStreetMap base map (off: the page needs no network).
    scheme, k : str, int
        mapclassify scheme and number of classes; breaks are fixed per layer across the
        12 months so colours compare over time.
    category_labels : dict, optional
        Category code -> label in the publication language.
    tolerance_m : float
        Simplification tolerance in metres.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    TypeError
        If ``publication`` is not a :class:`Publication`.
    """
    if not isinstance(publication, Publication):
        raise TypeError("render_map accepts only a Publication (suppressed, aggregated figures)")
    pub = publication
    lang = pub.language
    areas = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id").reset_index(drop=True)
    ids = areas["area_id"].tolist()
    pos = {a: i for i, a in enumerate(ids)}
    qt = pub.table[(pub.table["level"] == "quarter") & (pub.table["window"] == 12)
                   & (pub.table["partner"] == ALL_PARTNERS) & (pub.table["action"] == ALL_ACTIONS)]
    cats = [c for c in sorted(qt["category"].unique()) if c != TOTAL]
    layer_codes = [TOTAL, *cats]
    pop = areas["population"].to_numpy(dtype=float)
    cells: dict[str, dict[str, dict[str, list[Any]]]] = {}
    breaks: dict[str, dict[str, list[float]]] = {}
    by_cat = {c: g for c, g in qt.groupby("category")}
    for c in layer_codes:
        g = by_cat.get(c, qt.iloc[:0])
        counts_all, rates_all = [], []
        for m in pub.months:
            gm = g[g["month"] == m]
            value: list[Any] = [None] * len(ids)
            sup = [0] * len(ids)
            yoy: list[Any] = [None] * len(ids)
            for a, v, s, y in zip(gm["area_id"], gm["value"], gm["suppressed"], gm["change_yoy"]):
                i = pos.get(a)
                if i is None:
                    continue
                if s:
                    sup[i] = 1
                elif not math.isnan(v):
                    value[i] = int(v)
                    counts_all.append(v)
                    if pop[i] > 0:
                        rates_all.append(v / pop[i] * 1000)
                    if not math.isnan(y):
                        yoy[i] = int(round(y * 100))
            cells.setdefault(m, {})[c] = {"value": value, "suppressed": sup, "yoy": yoy}
        breaks[c] = {
            "count": [round(b, 2) for b in class_breaks(counts_all, scheme=scheme, k=k)] or [0.0],
            "rate": [round(b, 2) for b in class_breaks(rates_all, scheme=scheme, k=k)] or [0.0],
        }
    labels = {c: _label(pub, c, category_labels) for c in layer_codes}
    svc: list[list[Any]] = []
    if services is not None and len(services):
        s = services.to_crs(4326)
        for geom, name, typ in sorted(zip(s.geometry, s["name"].astype(str), s["type"].astype(str)),
                                      key=lambda r: (r[2], r[1], r[0].x)):
            svc.append([round(geom.x, 5), round(geom.y, 5), name, typ])
    iso = None
    if isochrones is not None and len(isochrones):
        iso = json.loads(isochrones.to_crs(4326).assign(geometry=lambda d: d.geometry.simplify(0.0002))
                         [["minutes", "geometry"]].to_json())
    month_labels = {m: format_month(m, lang) for m in pub.months}
    m_last = pub.month
    text = {
        "window": translate(_MESSAGES, "window", lang), "reports": translate(_MESSAGES, "reports", lang),
        "per1000": translate(_MESSAGES, "rate", lang), "na": translate(_MESSAGES, "na", lang),
        "yoy": translate(_MESSAGES, "yoy", lang), "estimated": translate(_MESSAGES, "estimated", lang),
        "suppressed": translate(_MESSAGES, "suppressed", lang, threshold=pub.threshold),
        "sourcesShort": translate(_MESSAGES, "sources_short", lang),
    }
    data = {
        "months": list(pub.months), "monthLabels": month_labels, "categories": layer_codes, "labels": labels,
        "cells": cells, "breaks": breaks,
        "palette": {str(n): palette(n) for n in range(1, k + 1)},
        "noData": NO_DATA_COLOUR, "threshold": pub.threshold, "locale": "it-IT" if lang == "it" else "en-GB",
        "areas": {"name": areas["name"].astype(str).tolist(), "population": [round(float(x), 0) for x in pop],
                  "estimated": [bool(x) for x in areas["population_estimated"]]},
        "geometry": _geometry(areas, tolerance_m),
        "services": svc, "serviceTypes": SERVICE_TYPES[lang], "serviceColours": SERVICE_COLOURS,
        "isochrones": iso, "tiles": bool(tiles), "text": text,
    }
    table_rows = []
    last = qt[qt["month"] == m_last].set_index(["area_id", "category"])
    for a, name in zip(ids, areas["name"].astype(str)):
        row_cells = []
        for c in cats:
            if (a, c) in last.index:
                r = last.loc[(a, c)]
                row_cells.append(_count_span(r["value"], bool(r["suppressed"]), pub.threshold, lang))
            else:
                row_cells.append(t("not_available", lang))
        rate = last.loc[(a, TOTAL), "rate_per_1000"] if (a, TOTAL) in last.index else float("nan")
        table_rows.append({"name": name, "cells": row_cells, "rate": format_number(rate, lang, 1)})
    net = pub.cells(month=m_last, window=12, level="network")
    total = net["value"].iloc[0] if len(net) and not net["suppressed"].iloc[0] else float("nan")
    towns = sorted(areas["town"].unique())
    notes = [n for n in pub.notes]
    official = pub.quarter_source == "file"
    tmpl = _env().get_template("map.html.j2")
    ttext = {k_: translate(_MESSAGES, k_, lang) for k_ in (
        "title", "month", "layer", "measure", "rate", "count", "services", "isochrones", "controls", "map_label",
        "table_title", "area", "rate_total", "sources", "made_with")}
    ttext["synthetic_banner"] = t("synthetic_banner", lang)
    ttext["areas_note"] = translate(_MESSAGES, "areas_note_streets" if pub.quarter_source == "stradario" else "areas_note", lang)
    ttext["privacy_note"] = translate(_MESSAGES, "privacy_note", lang, threshold=pub.threshold)
    ttext["table_caption"] = translate(_MESSAGES, "table_caption", lang, month=month_labels[m_last])
    summary = translate(_MESSAGES, "summary", lang, n=len(ids), towns=" e ".join(towns) if lang == "it" else " and ".join(towns),
                        month=month_labels[m_last], total=format_number(total, lang))
    return tmpl.render(
        lang=lang, t=ttext, month_label=month_labels[m_last], synthetic=pub.synthetic, official=official,
        months=[{"value": m, "label": month_labels[m]} for m in pub.months],
        categories=[{"code": c, "label": labels[c]} for c in layer_codes],
        has_isochrones=iso is not None, summary=summary, notes=notes, table=table_rows,
        attributions=list(pub.attributions), tiles=tiles,
        data_json=safe_json(data), leaflet_css=_static("leaflet.css"), leaflet_js=_static("leaflet.js"),
    )


def embed_snippet(map_file: str = MAP_FILE, *, title: str = "Mappa Rete Fragilità Pavia-Vigevano") -> str:
    """A responsive iframe to paste into the website."""
    return (
        '<div style="position:relative;width:100%;padding-top:75%;min-height:420px">\n'
        f'  <iframe src="{map_file}" title="{title}" loading="lazy"\n'
        '    style="position:absolute;inset:0;width:100%;height:100%;border:0"></iframe>\n'
        "</div>\n"
    )


def write_map(publication: Publication, out_dir: str | Path, **kwargs: Any) -> list[Path]:
    """Write ``mappa.html`` (the map) and ``embed.html`` (the snippet, with instructions).

    Returns the paths written, the map first.
    """
    from html import escape

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = render_map(publication, **kwargs)
    p_map = out / MAP_FILE
    p_map.write_text(page, encoding="utf-8")
    lang = publication.language
    snippet = embed_snippet()
    embed = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>'
        f'{escape(translate(_MESSAGES, "embed_title", lang))}</title></head><body style="font-family:system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem">\n'
        f"<h1>{escape(translate(_MESSAGES, 'embed_title', lang))}</h1>\n"
        f"<p>{escape(translate(_MESSAGES, 'embed_help', lang, file=MAP_FILE))}</p>\n"
        f"<pre style=\"background:#f4f4f4;padding:.75rem;overflow:auto\"><code>{escape(snippet)}</code></pre>\n"
        f"<h2>Anteprima</h2>\n{snippet}</body></html>\n"
    )
    p_embed = out / EMBED_FILE
    p_embed.write_text(embed, encoding="utf-8")
    return [p_map, p_embed]


def explore_map(publication: Publication, *, category: str = TOTAL, month: str | None = None) -> Any:
    """A folium map of one published layer for notebooks (loads Leaflet from a CDN when shown)."""
    import folium

    from fragmap.explore import quarter_figures

    gdf = quarter_figures(publication, month=month, category=category)
    gdf["shown"] = gdf["rate_per_1000"].round(1)
    m = folium.Map(tiles=None, zoom_control=True)
    folium.Choropleth(gdf, data=gdf, columns=["area_id", "shown"], key_on="feature.properties.area_id",
                      fill_color="YlGnBu", nan_fill_color="#bdbdbd", legend_name="per 1.000 residenti").add_to(m)
    folium.GeoJson(gdf[["name", "shown", "geometry"]], style_function=lambda f: {"weight": 0, "fillOpacity": 0},
                   tooltip=folium.GeoJsonTooltip(["name", "shown"])).add_to(m)
    m.fit_bounds([[gdf.total_bounds[1], gdf.total_bounds[0]], [gdf.total_bounds[3], gdf.total_bounds[2]]])
    return m
