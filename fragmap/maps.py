"""The published interactive map: a folium page built from a Publication, self-contained.

The page is a folium element tree inside a branca ``Figure``: a ``folium.Map`` (no tiles
unless asked), one GeoJSON layer carrying the area polygons once, GeoJSON layers for the
comune outlines, the public services, and the optional isochrones and where-next sites
(Leaflet's ``L.geoJson`` in fragmap's own ``MacroElement`` template), all off by default
except the areas and outlines. The per-month and per-layer styling, tooltips, legend,
controls and keyboard path are the small script ``static/map/fragmap-map.js`` (``FM``)
that the layers call; the header with the controls and the notes, data table and footer
below the map are autoescaped jinja2 macros (``templates/map.html.j2``) placed in the
figure's slots.

Self-contained: folium's default CDN links (Leaflet, jQuery, Bootstrap, Font Awesome,
awesome-markers) are not used; the vendored Leaflet 1.9.3 (``static/leaflet``) and the
page's own CSS/JS are inlined, and rendering fails if any element asks for an external
script or stylesheet. Base-map tiles are an online option (``tiles=``) that degrades to
the plain background offline. Deterministic: the elements named in the script have fixed
names (branca's public ``get_name``), so the same publication gives byte-identical HTML.
Only folium's and branca's public extension points are used (templates, ``Element``,
``MacroElement``, ``Figure``'s ``header``/``html``/``script``): no private attribute.

Only a :class:`~fragmap.publication.Publication` is accepted, so no report point can
reach the page; optional layers are checked (polygons for isochrones; where-next points
carry only ``rank``, ``name``, ``reached`` and geometry, with ``reached`` at or above the
threshold). Data strings are escaped: HTML by jinja2 autoescape, JSON embedded with
``<``, ``>``, ``&`` (and U+2028/9) escaped, and the script writes names with
``textContent`` only. folium also stays the tool for planners' exploratory maps in
notebooks (:func:`explore_map`).

Example
-------
>>> files = write_map(pub, "maps", services=services, scheme="quantiles", k=5)   # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from fragmap._errors import PrivacyError
from fragmap._geo import UTM
from fragmap.change import STATUSES, status_label
from fragmap.classify import PATTERNS, class_labels, shown_rate, zero_aware_classes
from fragmap.i18n import format_month, format_number, t, translate
from fragmap.privacy import check_where_next
from fragmap.naming import display_name
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, TOTAL, Publication

MAP_FILE = "mappa.html"
EMBED_FILE = "embed.html"

_MESSAGES: dict[str, dict[str, str]] = {
    "title": {"it": "{name}: segnalazioni per area", "en": "{name}: reports by area"},
    "network_generic": {"it": "Rete", "en": "Network"},
    "month": {"it": "Mese", "en": "Month"},
    "layer": {"it": "Livello", "en": "Layer"},
    "measure": {"it": "Misura", "en": "Measure"},
    "overlays": {"it": "Mostra", "en": "Show"},
    "rate": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "rate_pop_65": {"it": "per 1.000 residenti di 65 anni e più", "en": "per 1,000 residents aged 65+"},
    "count": {"it": "numero di segnalazioni", "en": "number of reports"},
    "services": {"it": "Servizi", "en": "Services"},
    "isochrones": {"it": "Distanza a piedi dagli sportelli", "en": "Walking distance from help desks"},
    "where_next": {"it": "Dove aprire un nuovo sportello", "en": "Where to open a new help desk"},
    "controls": {"it": "Scelte della mappa", "en": "Map options"},
    "map_label": {"it": "Mappa delle segnalazioni per area", "en": "Map of reports by area"},
    "skip_to_table": {"it": "Vai alla tabella dei dati", "en": "Skip to the data table"},
    "keyboard_note": {"it": "Con la tastiera: la tabella qui sotto riporta gli stessi dati; scorrendone le righe con Tab, l'area corrispondente si evidenzia sulla mappa con i suoi valori.",
                      "en": "With the keyboard: the table below holds the same figures; moving through its rows with Tab highlights each area on the map with its figures."},
    "privacy_note": {"it": "Per proteggere le persone, i numeri sotto {threshold} sono nascosti («< {threshold}», tratteggio fitto), e così quelli che permetterebbero di ricalcolarli («n.d.», tratteggio rado). Nessuna posizione di una segnalazione è pubblicata.",
                     "en": "To protect people, counts under {threshold} are hidden ('< {threshold}', dense hatching), and so are those that would let a reader compute them back ('n/a', light hatching). No report location is published."},
    "table_title": {"it": "Tabella dei dati della mappa", "en": "Data table of the map"},
    "table_caption": {"it": "Segnalazioni negli ultimi 12 mesi fino a {month}, per area e categoria", "en": "Reports in the 12 months to {month}, by area and category"},
    "table_legend": {"it": "«< {threshold}»: meno di {threshold} segnalazioni, nascosto per proteggere le persone. «n.d.»: nascosto per non permettere di ricalcolare un dato piccolo, oppure non pubblicato.",
                     "en": "'< {threshold}': fewer than {threshold} reports, hidden to protect people. 'n/a': hidden so that a small count cannot be computed back, or not published."},
    "area": {"it": "Area", "en": "Area"},
    "table_caption_rate": {"it": "Segnalazioni per 1.000 residenti negli ultimi 12 mesi fino a {month}, per area e categoria",
                           "en": "Reports per 1,000 residents in the 12 months to {month}, by area and category"},
    "table_announce": {"it": "Tabella aggiornata: {layer}, {month}, {measure}.", "en": "Table updated: {layer}, {month}, {measure}."},
    "rate_total": {"it": "Totale per 1.000 residenti", "en": "Total per 1,000 residents"},
    "sources": {"it": "Fonti", "en": "Sources"},
    "base_map": {"it": "Sfondo cartografico", "en": "Base map"},
    "sources_short": {"it": "Fonti: ISTAT, ANNCSU, Regione Lombardia, associazioni della rete (in fondo alla pagina)",
                      "en": "Sources: ISTAT, ANNCSU, Regione Lombardia, the network's associations (at the foot of the page)"},
    "made_with": {"it": "Mappa generata con fragmap.", "en": "Map made with fragmap."},
    "embed_link": {"it": "Inserisci nel sito", "en": "Embed in a website"},
    "window": {"it": "ultimi 12 mesi", "en": "last 12 months"},
    "reports": {"it": "segnalazioni", "en": "reports"},
    "na": {"it": "dato non disponibile", "en": "no data"},
    "hidden_other": {"it": "nascosto per non permettere di ricalcolare un dato piccolo", "en": "hidden so that a small count cannot be computed back"},
    "legend": {"it": "Legenda", "en": "Legend"},
    "noscript": {"it": "La mappa interattiva richiede JavaScript, che in questo browser è disattivato: la tabella qui sotto riporta gli stessi dati.",
                 "en": "The interactive map needs JavaScript, which is turned off in this browser: the table below holds the same figures."},
    "zoom_in": {"it": "Ingrandisci", "en": "Zoom in"},
    "zoom_out": {"it": "Riduci", "en": "Zoom out"},
    "reset_view": {"it": "Ripristina vista", "en": "Reset view"},
    "legend_primary": {"it": "meno di {threshold} segnalazioni (nascosto)", "en": "fewer than {threshold} reports (hidden)"},
    "legend_other": {"it": "n.d.: nascosto per non permettere di ricalcolare un dato piccolo", "en": "n/a: hidden so that a small count cannot be computed back"},
    "yoy": {"it": "rispetto a un anno prima", "en": "vs a year before"},
    "year_before": {"it": "un anno prima", "en": "a year before"},
    "estimated": {"it": "popolazione stimata", "en": "estimated population"},
    "iso_band": {"it": "entro {minutes} minuti a piedi", "en": "within {minutes} minutes' walk"},
    "where_rank": {"it": "Proposta n. {rank}", "en": "Proposal no. {rank}"},
    "where_reached": {"it": "segnalazioni in più raggiunte", "en": "additional reports reached"},
    "where_legend": {"it": "luogo proposto (n. 1 = il più utile)", "en": "proposed site (no. 1 = most useful)"},
    "where_optimal": {"it": "Insieme ottimo di {k} luoghi", "en": "Optimal set of {k} sites"},
    "where_optimal_legend": {"it": "insieme ottimo (raggiunge più segnalazioni della classifica)",
                             "en": "optimal set (reaches more reports than the ranking)"},
    "where_totals": {"it": "{optimal} segnalazioni raggiunte in tutto, contro {greedy} dei primi {k} della classifica",
                     "en": "{optimal} reports reached in all, against {greedy} for the top {k} of the ranking"},
    "where_hidden": {"it": "raggiunge più segnalazioni della classifica (numeri nascosti per riservatezza)",
                     "en": "reaches more reports than the ranking (figures hidden for privacy)"},
    "where_nested": {"it": "Gli insiemi ottimi non sono annidati: i 3 luoghi migliori insieme possono non contenere i 2 migliori, per questo la classifica resta quella passo per passo.",
                     "en": "Optimal sets are not nested: the best 3 sites together need not contain the best 2, so the ranking stays the step-by-step one."},
    "summary": {"it": "Mappa di {n} {n|area|aree} a {towns}: segnalazioni delle associazioni negli ultimi 12 mesi fino a {month}. Totale della rete: {total} segnalazioni.",
                "en": "Map of {n} {n|area|areas} in {towns}: the associations' reports in the 12 months to {month}. Network total: {total} reports."},
    "embed_title": {"it": "Come inserire la mappa nel sito", "en": "How to embed the map in the website"},
    "embed_help": {"it": "Copiare il codice qui sotto nella pagina del sito (blocco HTML). Il file {file} va caricato nella stessa cartella del sito, insieme a questa pagina; la mappa si adatta alla larghezza della pagina.",
                   "en": "Copy the code below into the website page (an HTML block). Upload {file} to the same folder of the website; the map adapts to the page width."},
    "embed_code": {"it": "Codice da copiare", "en": "Code to copy"},
    "embed_preview": {"it": "Anteprima", "en": "Preview"},
    "iframe_title": {"it": "Mappa: {name}", "en": "Map: {name}"},
    "town_choice": {"it": "Comune", "en": "Town"},
    "town_both": {"it": "Entrambi", "en": "Both"},
    "town_all": {"it": "Tutti", "en": "All"},
    "embed_towns": {"it": "Per mostrare un solo comune, copiare invece il codice di quel comune, qui sotto: la mappa si apre sul comune scelto (il suo indirizzo termina con #comune=...) e chi la guarda può sempre sceglierne un altro.",
                    "en": "To show one town only, copy that town's code below instead: the map opens on that town (its address ends with #comune=...) and readers can still choose another."},
    "embed_whole": {"it": "Tutta la rete", "en": "The whole network"},
    "embed_one": {"it": "Solo {town}", "en": "{town} only"},
}

#: The URL parameter of the town view: ``mappa.html#comune=vigevano`` (or ``?comune=vigevano``).
TOWN_PARAM = "comune"

#: Service type code -> label, per language (legend and tooltips).
SERVICE_TYPES = {
    "it": {"pharmacy": "Farmacia", "school": "Scuola", "hospital": "Ospedale / struttura di ricovero",
           "sportello": "Sportello della rete", "laboratorio": "Laboratorio della rete", "centro": "Centro della rete"},
    "en": {"pharmacy": "Pharmacy", "school": "School", "hospital": "Hospital / care facility",
           "sportello": "Network help desk", "laboratorio": "Network workshop", "centro": "Network centre"},
}
#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).
SERVICE_COLOURS = {"pharmacy": "#009e73", "school": "#0072b2", "hospital": "#d55e00", "sportello": "#cc79a7",
                   "laboratorio": "#e69f00", "centro": "#56b4e9"}
SERVICE_RADIUS = {"sportello": 6.5, "laboratorio": 6.5, "centro": 6.5}
#: A shape per service type as well as a colour (four colours merge for protanopes and
#: deuteranopes); drawn by fragmap-map.js, on the map and in the legend. Others: circles.
SERVICE_SHAPES = {"pharmacy": "plus", "school": "square", "hospital": "diamond", "sportello": "circle",
                  "laboratorio": "triangle", "centro": "star"}
_ISO_STYLES = (  # longest walk first: solid, then dashed, then dotted
    {"weight": 2.5, "dashArray": None, "line": "solid"},
    {"weight": 2, "dashArray": "7 4", "line": "dashed"},
    {"weight": 2, "dashArray": "2 4", "line": "dotted"},
)
_RANDOM_ID = re.compile(r"\b[a-z][a-z_]*_[0-9a-f]{32}\b")  # folium names: camelified name + random id
_EXTERNAL = re.compile(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?!data:)([^\"]*)")  # loaded from elsewhere


# -- small helpers --------------------------------------------------------------------------------
# an inline icon: browsers ask for /favicon.ico otherwise (a 404 on the network's website)
FAVICON = ('<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 '
           'viewBox=%270 0 16 16%27%3E%3Crect width=%2716%27 height=%2716%27 rx=%273%27 fill=%27%2324527a%27/%3E'
           '%3C/svg%3E">')
# without JavaScript: no dead controls over a blank box; the header, then the data table
NOSCRIPT_STYLE = ("<noscript><style>.folium-map, .fm-controls, .fm-skip, .fm-keyboard-note { display:none !important; }"
                  " .fm-screen { height:auto; min-height:0; }</style></noscript>")


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("fragmap", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def _static(*parts: str) -> str:
    return resources.files("fragmap").joinpath("static", *parts).read_text(encoding="utf-8")


def _lean(code: str) -> str:
    """Our own CSS/JS without indentation and whole-line comments (the files stay readable)."""
    out = []
    in_comment = False
    for line in code.splitlines():
        s = line.strip()
        if in_comment:
            in_comment = "*/" not in s
            continue
        if s.startswith("/*"):
            in_comment = "*/" not in s
            continue
        if s and not s.startswith("//"):
            out.append(s)
    return "\n".join(out)


def safe_json(data: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028/9 escaped."""
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _round_coords(obj: Any, nd: int = 5) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(o, nd) for o in obj]
    return obj


def _geojson_geometry(geom: Any, nd: int = 5) -> dict[str, Any]:
    from shapely.geometry import mapping

    m = mapping(geom)
    return {"type": m["type"], "coordinates": _round_coords(m["coordinates"], nd)}


def _simplified(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Topology-preserving simplification in metres, back in EPSG:4326."""
    return gdf.to_crs(UTM).geometry.simplify(tolerance_m, preserve_topology=True).to_crs(4326)


def _label(pub: Publication, code: str, labels: dict[str, str] | None) -> str:
    if code == TOTAL:
        return t("total", pub.language)
    if labels and code in labels:
        return labels[code]
    if code in pub.labels:
        return pub.labels[code]
    return code.replace("_", " ").capitalize()


def _hidden_code(suppressed: bool, reason: str) -> int:
    """0 shown, 1 hidden because small ("< N"), 2 hidden to protect another cell ("n.d.")."""
    if not suppressed:
        return 0
    return 1 if reason == "primary" else 2


def _count_cell(value: float, hidden: int, threshold: int, lang: str) -> dict[str, Any]:
    """A table cell: ``count`` goes to ``data-fm-count`` (what the privacy audit reads)."""
    if hidden == 1:
        return {"count": "suppressed", "text": f"< {threshold}", "title": None}
    if hidden == 2:
        return {"count": "suppressed", "text": t("not_available", lang),
                "title": translate(_MESSAGES, "hidden_other", lang)}
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {"count": None, "text": t("not_available", lang), "title": translate(_MESSAGES, "na", lang)}
    return {"count": str(int(value)), "text": format_number(value, lang), "title": None}


# -- checks of the optional layers ------------------------------------------------------------------
def _check_services(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = [c for c in ("name", "type") if c not in services.columns]
    if missing:
        raise ValueError(f"services lack column(s) {', '.join(missing)} (expected name, type, geometry)")
    kinds = set(services.geometry.geom_type.dropna().unique())
    if kinds - {"Point"}:
        raise ValueError(f"services must be points, found {sorted(kinds)}")
    return services


def _check_isochrones(isochrones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "minutes" not in isochrones.columns:
        raise ValueError("isochrones need a 'minutes' column (walking minutes of each polygon)")
    kinds = set(isochrones.geometry.geom_type.dropna().unique())
    if kinds - {"Polygon", "MultiPolygon"}:
        raise PrivacyError(
            f"isochrones must be polygons, found {sorted(kinds)}: no point reaches the published map"
        )
    return isochrones


# -- the folium/branca element tree ---------------------------------------------------------------
class _Raw(Element):
    """Already-safe markup placed as is (never compiled as a template: data cannot inject one)."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.markup = str(markup)

    def render(self, **kwargs: Any) -> str:
        return self.markup


class _Page(Figure):
    """The whole HTML page: branca's Figure with a language, and slots above and below the map."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n<head>\n'
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n<body>\n"
        '<div class="fm-screen">\n'
        "{{ this.top.render(**kwargs) }}\n"
        "{{ this.html.render(**kwargs) }}\n"
        "</div>\n"
        "{{ this.bottom.render(**kwargs) }}\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n"
        "</body>\n</html>\n"
    )

    def __init__(self, lang: str, top: str, bottom: str) -> None:
        super().__init__()
        self._name = "Page"
        self.lang = lang
        self.header = Element()  # branca's holds an http-equiv meta: fragmap's <meta charset> comes first
        self.top = _Raw(top)
        self.bottom = _Raw(bottom)

    def render(self, **kwargs: Any) -> str:
        html = str(super().render(**kwargs))
        found = _EXTERNAL.search(html)
        if found:  # a folium element asked for a CDN library: the page would not be self-contained
            raise RuntimeError(f"the map page would load external resources: {found.group(1)}")
        return html


class _Named:
    """A fixed JavaScript name (branca's public ``get_name``) instead of a random id: same page, same bytes."""

    js_name = ""

    def get_name(self) -> str:
        return self.js_name


class _FragmapMap(_Named, folium.Map):
    """folium.Map without CDN links, and without folium's page-wide styles and pinch-zoom lock."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []
    _template = Template(
        """
        {% macro html(this, kwargs) %}<div class="folium-map" id="fm-map" role="region" aria-label="{{ this.aria_label|e }}" aria-describedby="fm-summary"></div>{% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.map("fm-map", {
            center: {{ this.location|tojson }},
            crs: L.CRS.{{ this.crs }},
            ...{{ this.options|tojavascript }}
        });
        {% endmacro %}
        """
    )
    aria_label = ""
    js_name = "map_fm"


class _Tiles(_Named, folium.TileLayer):
    js_name = "tile_layer_tiles"


def _tojson(data: Any) -> str:
    """Compact sorted JSON, HTML-safe as jinja's ``tojson`` (ASCII; ``<``, ``>``, ``&``, ``'`` escaped)."""
    s = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


class _Layer(_Named, MacroElement):
    """A GeoJSON layer in fragmap's own template: Leaflet's ``L.geoJson`` with the data embedded once.

    The JavaScript folium.GeoJson wrote for these options: features added (``style`` then
    ``onEachFeature`` per feature), then styled by their ``properties.style``, then shown.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "var {{ this.get_name() }} = L.geoJson(null, {{ this.options|tojavascript }});\n"
        "{{ this.get_name() }}.addData({{ this.data }});\n"
        "{{ this.get_name() }}.setStyle(function(feature) {return feature.properties.style;});\n"
        "{% if this.show %}{{ this.get_name() }}.addTo({{ this.map.get_name() }});\n{% endif %}"
        "{% endmacro %}"
    )

    def __init__(self, key: str, data: dict[str, Any], map_: Any, *, show: bool = True,
                 marker: dict[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self.js_name = f"geo_json_{key}"
        self.data = _tojson(data)
        self.map = map_
        self.show = show
        if marker is not None:  # points as circle markers (Leaflet's defaults for the options not given)
            options["pointToLayer"] = JsCode(
                f"function(feature, latlng) {{return new L.CircleMarker(latlng, {_tojson(marker)});}}")
        self.options = options


class _Start(MacroElement):
    """Wires the layers to the page script once they exist (``FM.start``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "FM.start({map: {{ this.map.get_name() }}, areas: {{ this.layers.areas.get_name() }},\n"
        "  towns: {{ this.layers.towns.get_name() if this.layers.towns else 'null' }},\n"
        "  services: {{ this.layers.services.get_name() if this.layers.services else 'null' }},\n"
        "  iso: {{ this.layers.iso.get_name() if this.layers.iso else 'null' }},\n"
        "  whereNext: {{ this.layers.where.get_name() if this.layers.where else 'null' }}});\n"
        "{% endmacro %}"
    )

    def __init__(self, map_: Any, layers: dict[str, Any]) -> None:
        super().__init__()
        self._name = "Start"
        self.map = map_
        self.layers = layers


# -- the figures and the layers, as plain data --------------------------------------------------------
#: Ids of the "unknown" patterns (fragmap.classify.PATTERNS) in the page's SVG, as the script fills them.
_PATTERN_IDS = {"primary": "fm-hatch", "protective": "fm-hatch2", "missing": "fm-nodata"}


def _quarter_cells(pub: Publication) -> pd.DataFrame:
    t = pub.table
    keep = (t["level"] == "quarter") & (t["window"] == 12)
    return t[keep & (t["partner"] == ALL_PARTNERS) & (t["action"] == ALL_ACTIONS)]


def _cells_and_classes(pub: Publication, ids: list[str], layer_codes: list[str], *,
                       scheme: str, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per month and layer: counts (``value``, None when not shown), published rates as shown
    (``rate``, :func:`fragmap.classify.shown_rate`: the page never computes one), hidden codes,
    sparse trends; per layer and measure: classes fixed across the 12 months so colours compare
    over time."""
    qt = _quarter_cells(pub)
    pos = {a: i for i, a in enumerate(ids)}
    cells: dict[str, dict[str, Any]] = {}
    classes: dict[str, dict[str, Any]] = {}
    by_cat = {c: g for c, g in qt.groupby("category")}
    for c in layer_codes:
        g = by_cat.get(c, qt.iloc[:0])
        counts_all: list[float] = []
        rates_all: list[float] = []
        for m in pub.months:
            gm = g[g["month"] == m]
            value: list[Any] = [None] * len(ids)
            rate: list[Any] = [None] * len(ids)
            hidden = [0] * len(ids)
            yoy: dict[str, int] = {}  # sparse: most areas have no year-on-year figure
            status: dict[str, str] = {}  # fragmap.change status where there is a change
            prev: dict[str, int] = {}  # the count a year before (a count: the audit reads "n_prev")
            rows = zip(gm["area_id"], gm["value"], gm["suppressed"], gm["reason"], gm["change_yoy"],
                       gm["rate_per_1000"], gm["value_prev"], gm["change_status"])
            for a, v, s, r, y, pr, vp, st in rows:
                i = pos.get(a)
                if i is None:
                    continue
                if s:
                    hidden[i] = _hidden_code(True, str(r))
                elif not math.isnan(v):
                    value[i] = int(v)
                    counts_all.append(float(v))
                    rt = shown_rate(pr)
                    if rt is not None:
                        rate[i] = rt
                        rates_all.append(rt)
                    if not math.isnan(y):
                        yoy[str(i)] = int(round(y * 100))
                        status[str(i)] = str(st)
                    if not math.isnan(vp):
                        prev[str(i)] = int(vp)
            cells.setdefault(m, {})[c] = {"value": value, "rate": rate, "suppressed": hidden, "yoy": yoy,
                                          "yoyStatus": status, "n_prev": prev}
        classes[c] = {}
        for measure, vals, dec in (("count", counts_all, 0), ("rate", rates_all, 1)):
            cl = zero_aware_classes(vals, scheme=scheme, k=k, decimals=dec)
            classes[c][measure] = {"zero": cl.zero, "upper": list(cl.upper), "colours": list(cl.colours),
                                   "labels": class_labels(cl, pub.language)}
    return cells, classes


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _areas_fc(areas: gpd.GeoDataFrame, tolerance_m: float) -> dict[str, Any]:
    return _collection([{"type": "Feature", "properties": {"i": i}, "geometry": _geojson_geometry(geom)}
                        for i, geom in enumerate(_simplified(areas, tolerance_m))])


def _towns_fc(towns: gpd.GeoDataFrame, tolerance_m: float) -> dict[str, Any]:
    feats = []
    for name, geom in zip(towns["name"].astype(str), _simplified(towns, max(tolerance_m, 25.0))):
        minx, _, maxx, maxy = geom.bounds
        feats.append({"type": "Feature", "geometry": _geojson_geometry(geom), "properties": {
            "name": name, "label": [round((minx + maxx) / 2, 5), round(maxy, 5)],
            "style": {"color": "#333333", "weight": 1.6, "opacity": 0.9, "fill": False}}})
    return _collection(feats)


def _services_fc(services: gpd.GeoDataFrame) -> tuple[dict[str, Any], list[str]]:
    s = services.to_crs(4326)
    rows = sorted(zip(s["type"].astype(str), s["name"].astype(str), s.geometry.x, s.geometry.y))
    order = list(SERVICE_TYPES["it"])
    types = sorted({r[0] for r in rows}, key=lambda x: (order.index(x) if x in order else len(order), x))
    return _collection([{"type": "Feature", "properties": {"name": n, "t": typ},
                         "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]}}
                        for typ, n, x, y in rows]), types


def _isochrones_fc(isochrones: gpd.GeoDataFrame) -> dict[str, Any]:
    """One outline per walking time (all help desks dissolved), the longest first; nothing else."""
    g = isochrones.to_crs(UTM)
    feats = []
    for j, minutes in enumerate(sorted(g["minutes"].dropna().unique(), reverse=True)):
        geom = g.loc[g["minutes"] == minutes].geometry.union_all().simplify(20.0)
        geom = gpd.GeoSeries([geom], crs=UTM).to_crs(4326).iloc[0]
        st = _ISO_STYLES[min(len(_ISO_STYLES) - 1, j)]
        feats.append({"type": "Feature", "geometry": _geojson_geometry(geom), "properties": {
            "minutes": float(minutes), "line": st["line"],
            "style": {"color": "#24527a", "weight": st["weight"], "dashArray": st["dashArray"], "fill": False,
                      "opacity": 0.95}}})
    return _collection(feats)


def _where_next_fc(where_next: gpd.GeoDataFrame) -> dict[str, Any]:
    """Candidate sites, greedy ranking first, then the optimal set; counts under ``value``.

    A greedy site's ``value`` is its new reports; an optimal site's ``value`` is the
    reports its whole set reaches (the page sums the greedy values to compare). The
    privacy audit reads every ``value``.
    """
    w = where_next.to_crs(4326)
    sol = w["solution"].astype(str) if "solution" in w.columns else pd.Series("greedy", index=w.index)
    w = w.assign(_o=(sol == "optimal").astype(int).to_numpy(), _s=sol.to_numpy()).sort_values(["_o", "rank"])
    feats = []
    for _, row in w.iterrows():
        optimal = row["_s"] == "optimal"
        reached = row.get("set_reached" if optimal else "reached", np.nan)
        name = row.get("name", "")
        feats.append({"type": "Feature", "properties": {
            "rank": int(row["rank"]), "name": "" if name is None or pd.isna(name) else str(name),
            "solution": str(row["_s"]),
            "value": None if reached is None or pd.isna(reached) else int(reached)},
            "geometry": {"type": "Point",
                         "coordinates": [round(row.geometry.x, 5), round(row.geometry.y, 5)]}})
    return _collection(feats)


def layer_points(
    *, isochrones: gpd.GeoDataFrame | None = None, where_next: gpd.GeoDataFrame | None = None,
    background: Any = None,
) -> list[tuple[float, float]]:
    """The public points of the optional layers: :func:`fragmap.privacy.layer_points` (one door),
    and the background's printed positions (:func:`fragmap.background.background_points`)."""
    from fragmap.background import background_points
    from fragmap.privacy import layer_points as public_points

    return public_points(isochrones=isochrones, where_next=where_next) + background_points(background)


def _table_rows(pub: Publication, ids: list[str], names: list[str], layer_codes: list[str]) -> list[dict[str, Any]]:
    """The data table: the reference month's 12-month counts, total first, then the total rate."""
    lang = pub.language
    qt = _quarter_cells(pub)
    last = qt[qt["month"] == pub.month].set_index(["area_id", "category"])
    rows = []
    for i, (a, name) in enumerate(zip(ids, names)):
        cells = []
        for c in layer_codes:
            if (a, c) in last.index:
                r = last.loc[(a, c)]
                cells.append(_count_cell(r["value"], _hidden_code(bool(r["suppressed"]), str(r["reason"])),
                                         pub.threshold, lang))
            else:
                cells.append(_count_cell(float("nan"), 0, pub.threshold, lang))
        rt = None  # a hidden total has no rate either
        if (a, TOTAL) in last.index and not bool(last.loc[(a, TOTAL), "suppressed"]):
            rt = shown_rate(last.loc[(a, TOTAL), "rate_per_1000"])
        rows.append({"index": i, "name": name, "cells": cells,
                     "rate": format_number(rt, lang, 1) if rt is not None else t("not_available", lang)})
    return rows


def _banners_notes_sources(pub: Publication) -> tuple[list[str], list[str], list[str]]:
    """What the page says once: banners (synthetic, not official), then the other notes and sources."""
    lang = pub.language
    banners: list[str] = []
    if pub.synthetic:
        banners.append(t("synthetic_banner", lang))
    if pub.quarter_source == "griglia":
        banners.append(t("hex_grid_note", lang))
    elif pub.quarter_source == "stradario":
        banners.append(t("streets_note", lang))
    elif pub.quarter_source == "punti_riferimento":
        banners.append(t("landmarks_note", lang))
    said = {b.strip().rstrip(".").lower() for b in banners}
    notes = [n for n in dict.fromkeys(pub.notes) if n.strip().rstrip(".").lower() not in said]
    sources = [a for a in dict.fromkeys(pub.attributions) if a.strip().rstrip(".").lower() not in said]
    return banners, notes, sources


def _script_text(pub: Publication) -> dict[str, Any]:
    msg = lambda key, **kw: translate(_MESSAGES, key, pub.language, **kw)  # noqa: E731
    return {
        "window": msg("window"), "reports": msg("reports"), "per1000": msg("rate"), "na": msg("na"),
        "per1000_pop_65": msg("rate_pop_65"),
        "nd": t("not_available", pub.language), "hiddenOther": msg("hidden_other"), "yoy": msg("yoy"),
        "yearBefore": msg("year_before"), "yoyStatus": {k: status_label(k, pub.language) for k in STATUSES},
        "estimated": msg("estimated"), "legend": msg("legend"),
        "zoomIn": msg("zoom_in"), "zoomOut": msg("zoom_out"), "resetView": msg("reset_view"),
        "legendPrimary": msg("legend_primary", threshold=pub.threshold), "legendOther": msg("legend_other"),
        "services": msg("services"), "isochrones": msg("isochrones"), "whereNext": msg("where_next"),
        "whereRank": msg("where_rank", rank="{rank}"), "whereReached": msg("where_reached"),
        "whereLegend": msg("where_legend"), "sourcesShort": msg("sources_short"),
        "whereOptimal": msg("where_optimal", k="{k}"), "whereOptimalLegend": msg("where_optimal_legend"),
        "whereTotals": msg("where_totals", optimal="{optimal}", greedy="{greedy}", k="{k}"),
        "whereHidden": msg("where_hidden"), "whereNested": msg("where_nested"),
    }


# -- rendering -------------------------------------------------------------------------------------
def render_map(
    publication: Publication,
    *,
    services: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    where_next: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    category_labels: dict[str, str] | None = None,
    tolerance_m: float = 15.0,
    background: Any = None,
) -> str:
    """Render the published map as one self-contained HTML page (folium, vendored Leaflet).

    Parameters
    ----------
    publication : Publication
        Suppressed figures and public polygons (nothing else is accepted).
    services : GeoDataFrame, optional
        Public service points (``name``, ``type``, geometry) for a toggleable layer.
    isochrones : GeoDataFrame, optional
        Walking-time polygons around the help desks (``minutes``, geometry; other columns
        are not published), dissolved per ``minutes`` into a toggleable layer, off by default.
    where_next : GeoDataFrame, optional
        Candidate sites for a new help desk: columns ``rank``, optional ``name`` and
        ``reached`` (reports newly within reach, already checked: NaN or at least the
        threshold), point geometry; any other column is refused. Toggleable, off by default.
    tiles : str, optional
        Online base map: an xyzservices name (``"OpenStreetMap"``, ``"CartoDB Positron"``) or a
        ``{z}/{x}/{y}`` URL. Default None: no base map, the page needs no network. Offline
        the page falls back to the plain background.
    tiles_attribution : str, optional
        Attribution for a custom tile URL (providers bring their own).
    scheme, k : str, int
        mapclassify scheme and number of colour classes (true zeros take one class of
        their own); classes are fixed per layer and measure across the 12 months.
    category_labels : dict, optional
        Category code -> label in the publication language.
    tolerance_m : float
        Simplification tolerance of the area polygons, in metres.
    background : Background, optional
        Public reference layers (:func:`fragmap.background.load_background`): roads, river,
        railway, parks and place names drawn in non-interactive panes under the areas, with
        their attribution. Default None: the areas on the plain background.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    TypeError
        If ``publication`` is not a :class:`Publication`.
    PrivacyError
        If an optional layer could carry report data (see ``isochrones``, ``where_next``).

    Examples
    --------
    >>> html = render_map(pub, services=project.services)    # doctest: +SKIP
    """
    if not isinstance(publication, Publication):
        raise TypeError("render_map accepts only a Publication (suppressed, aggregated figures)")
    pub = publication
    lang = pub.language
    msg = lambda key, **kw: translate(_MESSAGES, key, lang, **kw)  # noqa: E731
    has = lambda g: g is not None and len(g) > 0  # noqa: E731

    # figures
    areas = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id").reset_index(drop=True)
    towns = pub.areas[pub.areas["level"] == "town"].sort_values("area_id").reset_index(drop=True)
    ids = areas["area_id"].tolist()
    names = [display_name(str(n), lang) for n in areas["name"]]
    pop = areas["population"].to_numpy(dtype=float)
    layer_codes = [TOTAL, *[c for c in sorted(_quarter_cells(pub)["category"].unique()) if c != TOTAL]]
    denominators = {c: pub.denominator(c) for c in layer_codes if pub.denominator(c) != "population"}
    cells, classes = _cells_and_classes(pub, ids, layer_codes, scheme=scheme, k=k)
    labels = {c: _label(pub, c, category_labels) for c in layer_codes}
    town_names = map_towns(pub)
    month_labels = {m: format_month(m, lang) for m in pub.months}

    # layers (checked: nothing here can carry a report)
    area_fc = _areas_fc(areas, tolerance_m)
    town_fc = _towns_fc(towns, tolerance_m) if len(towns) else None
    svc_fc, svc_types = _services_fc(_check_services(services)) if has(services) else (None, [])
    iso_fc = _isochrones_fc(_check_isochrones(isochrones)) if has(isochrones) else None
    where_fc = _where_next_fc(check_where_next(where_next, pub.threshold)) if has(where_next) else None
    tile_layer, tiles_text = _tile_layer(tiles, tiles_attribution) if tiles else (None, None)
    bg_payload = _background_payload(background)

    # data for the page script (counts under the "value" key, where the privacy audit reads them)
    data = {
        "months": list(pub.months), "monthLabels": month_labels, "categories": layer_codes, "labels": labels,
        "cells": cells, "classes": classes, "threshold": pub.threshold,
        # the fills of figures not shown (fragmap.classify.PATTERNS): the SVG patterns and legend swatches
        "patterns": {k: {"svg": p.svg(_PATTERN_IDS[k]), "css": p.css()} for k, p in PATTERNS.items()},
        "locale": "it-IT" if lang == "it" else "en-GB",
        "areas": {"name": names, "population": [round(float(x), 0) for x in pop],
                  **{col: [round(float(x), 0) for x in areas[col]] for col in sorted(set(denominators.values()))},
                  "estimated": [bool(x) for x in areas["population_estimated"]],
                  "town": [town_names.index(str(x)) if str(x) in town_names else -1 for x in areas["town"]]},
        "denominator": denominators,
        # the town selector's views (fragmap-map.js reads #comune=<slug> on load)
        "towns": [{"name": tw, "slug": town_slug(tw)} for tw in town_names],
        "townParam": TOWN_PARAM,
        "serviceTypes": {c: SERVICE_TYPES[lang].get(c, c) for c in svc_types},
        "serviceColours": {c: SERVICE_COLOURS.get(c, "#ffffff") for c in svc_types},
        "serviceRadius": {c: SERVICE_RADIUS.get(c, 5) for c in svc_types}, "serviceOrder": svc_types,
        "serviceShapes": {c: SERVICE_SHAPES.get(c, "circle") for c in svc_types},
        "isoBands": [] if iso_fc is None else [
            {"label": msg("iso_band", minutes=format_number(f["properties"]["minutes"], lang)),
             "line": f["properties"]["line"], "weight": f["properties"]["style"]["weight"]}
            for f in reversed(iso_fc["features"])],
        "text": _script_text(pub),
        "background": bg_payload,
    }

    # HTML around the map (autoescaped jinja2 macros)
    town_list = (" e " if lang == "it" else " and ").join(sorted(areas["town"].unique()))

    def summary_of(month: str) -> str:  # the network's published 12-month total ("n.d." when hidden)
        net = pub.cells(month=month, window=12, level="network")
        total = net["value"].iloc[0] if len(net) and not net["suppressed"].iloc[0] else float("nan")
        return msg("summary", n=len(ids), towns=town_list, month=month_labels[month], total=format_number(total, lang))

    data["text"]["summaries"] = {m: summary_of(m) for m in pub.months}  # the summary follows the month
    data["text"]["captions"] = {"count": msg("table_caption", month="{month}"),
                                "rate": msg("table_caption_rate", month="{month}")}
    data["text"]["announce"] = msg("table_announce", layer="{layer}", month="{month}", measure="{measure}")
    data["text"]["countName"] = msg("count")
    banners, notes, sources = _banners_notes_sources(pub)
    if bg_payload is not None:  # OSM / GeoNames licences, printed on every page that draws them
        sources = [*sources, *[a for a in bg_payload["attribution"] if a not in sources]]
    overlays = [{"id": i, "label": msg(key)} for i, key, fc in (
        ("fm-services", "services", svc_fc), ("fm-iso", "isochrones", iso_fc),
        ("fm-where", "where_next", where_fc)) if fc is not None]
    name = pub_title(pub)
    ttext = {key: msg(key) for key in (
        "month", "layer", "measure", "overlays", "rate", "count", "controls", "skip_to_table",
        "keyboard_note", "table_title", "area", "rate_total", "sources", "base_map", "made_with",
        "embed_link", "noscript", "town_choice")}
    ttext["title"] = msg("title", name=name)
    ttext["privacy_note"] = msg("privacy_note", threshold=pub.threshold)
    ttext["table_caption"] = msg("table_caption", month=month_labels[pub.month])
    ttext["table_legend"] = msg("table_legend", threshold=pub.threshold)
    summary = data["text"]["summaries"][pub.month]
    markup = _env().get_template("map.html.j2").make_module({
        "t": ttext, "synthetic": pub.synthetic, "banners": banners,
        "months": [{"value": m, "label": month_labels[m]} for m in pub.months],
        "categories": [{"code": c, "label": labels[c]} for c in layer_codes], "overlays": overlays,
        "towns": [{"slug": town_slug(tw), "label": tw} for tw in town_names] if len(town_names) > 1 else [],
        "town_all": msg("town_both" if len(town_names) == 2 else "town_all"),
        "summary": summary, "notes": notes, "table": _table_rows(pub, ids, names, layer_codes),
        "attributions": sources, "tiles_attribution": tiles_text, "embed_file": EMBED_FILE,
        "data_json": Markup(safe_json(data)),
    })

    # the folium tree: a Figure (page) holding the Map, the layers as GeoJson, FM.start last
    page = _Page(lang, markup.top(), markup.bottom())
    for key, html in (
        ("meta_charset", '<meta charset="utf-8">'),
        ("viewport", '<meta name="viewport" content="width=device-width, initial-scale=1">'),
        ("title", f"<title>{escape(msg('title', name=name))} · {escape(month_labels[pub.month])}</title>"),
        ("favicon", FAVICON),
        ("leaflet_css", f"<style>{_static('leaflet', 'leaflet.css')}</style>"),
        ("fragmap_css", f"<style>{_lean(_static('map', 'fragmap-map.css'))}</style>"),
        ("noscript", NOSCRIPT_STYLE),
        ("leaflet", f"<script>{_static('leaflet', 'leaflet.js')}</script>"),
        ("fragmap_js", f"<script>{_lean(_static('map', 'fragmap-map.js'))}</script>"),
    ):
        page.header.add_child(_Raw(html), name=key)
    (south, west), (north, east) = _bounds(areas)
    # the centre only places the view: 3 decimals (~100 m), never a point's precision (a town's
    # centre is where its reports crowd, and the audit refuses any 4-decimal report coordinate)
    fmap = _FragmapMap(location=[round((south + north) / 2, 3), round((west + east) / 2, 3)], zoom_start=12, tiles=None,
                       zoom_control=False, zoomSnap=0.25)  # FM.start adds it, in the page's language
    fmap.aria_label = msg("map_label")
    page.add_child(fmap)
    if tile_layer is not None:
        tile_layer.add_to(fmap)
    layers: dict[str, Any] = {
        "areas": _Layer("areas", area_fc, fmap, onEachFeature=JsCode("FM.bindArea"), style=JsCode("FM.areaStyle")),
        "towns": None if town_fc is None else _Layer(
            "towns", town_fc, fmap, onEachFeature=JsCode("FM.bindTown"), interactive=False),
        "iso": None if iso_fc is None else _Layer("iso", iso_fc, fmap, show=False, interactive=False),
        "services": None if svc_fc is None else _Layer(
            "services", svc_fc, fmap, show=False, onEachFeature=JsCode("FM.bindService"),
            marker={"radius": 5, "weight": 1.5, "color": "#222222", "fillColor": "#222222", "fillOpacity": 1.0}),
        "where": None if where_fc is None else _Layer(
            "where", where_fc, fmap, show=False, onEachFeature=JsCode("FM.bindWhereNext"),
            marker={"radius": 8, "weight": 3, "color": "#6a1b6a", "fillColor": "#ffffff", "fillOpacity": 1.0}),
    }
    for layer in layers.values():
        if layer is not None:
            layer.add_to(fmap)
    _Start(fmap, layers).add_to(fmap)
    html = page.render()
    if _RANDOM_ID.search(html):  # a folium element kept a random id: output would not be reproducible
        raise RuntimeError("the map page holds a random element id; give it a fixed name (fragmap.maps._Named)")
    return html


def _background_payload(background: Any) -> dict[str, Any] | None:
    """The background layers for the page script, or None (see :mod:`fragmap.background`)."""
    if background is None or background.is_empty:
        return None
    from fragmap.background import map_payload

    return map_payload(background)


def _bounds(areas: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the areas (EPSG:4326)."""
    minx, miny, maxx, maxy = areas.to_crs(4326).total_bounds
    return [[round(float(miny), 5), round(float(minx), 5)], [round(float(maxy), 5), round(float(maxx), 5)]]


def _tile_layer(tiles: str, attribution: str | None) -> tuple[Any, str]:
    """A folium TileLayer for a provider name or URL, and its attribution as plain text."""
    import xyzservices

    try:
        provider = xyzservices.providers.query_name(tiles)
    except ValueError:
        provider = None
    if provider is not None:
        text = attribution or str(provider.get("attribution", provider.name))
        layer = _Tiles(tiles, attr=escape(text) if attribution else None, name="tiles")
        return layer, text
    host = urlparse(tiles).netloc or tiles
    text = attribution or ("© OpenStreetMap contributors" if "openstreetmap" in tiles else host)
    return _Tiles(tiles, attr=escape(text), name="tiles", max_zoom=19), text


def town_slug(name: str) -> str:
    """The town's code in the page's URL (``#comune=<code>``): its name folded to ASCII, with dashes.

    Examples
    --------
    >>> town_slug("Cassolnovo")
    'cassolnovo'
    >>> town_slug("Sant'Angelo Lomellina")
    'sant-angelo-lomellina'
    """
    from fragmap._text import fold_name

    return fold_name(name).replace(" ", "-")


def map_towns(pub: Publication) -> list[str]:
    """The towns of the published map's areas, sorted (the order of the town selector)."""
    areas = pub.areas[pub.areas["level"] == "quarter"]
    return sorted({str(x) for x in areas["town"].dropna()})


def pub_title(pub: Publication) -> str:
    """The name the pages of ``pub`` carry: its title (the network, or a town of it), else "Rete"."""
    return pub.title or translate(_MESSAGES, "network_generic", pub.language)


def embed_snippet(map_file: str = MAP_FILE, *, title: str | None = None, language: str = "it",
                  name: str = "") -> str:
    """A responsive iframe to paste into the website.

    ``title`` is the iframe's accessible title; default "Mappa: <name>" (``name``: the
    network's or the town's, as on the map).

    The wrapper keeps a 4:3 shape (``aspect-ratio``); ``min-height`` and ``max-height`` only
    clamp it, they do not add to it (768 px wide gives 768 x 576).
    """
    title = title or translate(_MESSAGES, "iframe_title", language,
                               name=name or translate(_MESSAGES, "network_generic", language))
    return (
        '<div style="width:100%;aspect-ratio:4/3;min-height:min(560px,85vh);max-height:90vh">\n'
        f'  <iframe src="{escape(map_file)}" title="{escape(title)}" loading="lazy"\n'
        '    style="display:block;width:100%;height:100%;border:0"></iframe>\n'
        "</div>\n"
    )


def write_map(publication: Publication, out_dir: str | Path, **kwargs: Any) -> list[Path]:
    """Write ``mappa.html`` (the map) and ``embed.html`` (the snippet, with instructions).

    Parameters
    ----------
    publication : Publication
        What to publish.
    out_dir : str or Path
        Folder to write into (created if missing).
    **kwargs
        Passed to :func:`render_map` (``services``, ``isochrones``, ``where_next``, ``tiles``,
        ``tiles_attribution``, ``scheme``, ``k``, ...).

    Returns
    -------
    list of Path
        The paths written, the map first.

    Examples
    --------
    >>> write_map(pub, "maps", services=project.services)    # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = render_map(publication, **kwargs)
    p_map = out / MAP_FILE
    p_map.write_text(page, encoding="utf-8")
    lang = publication.language
    msg = lambda key, **kw: escape(translate(_MESSAGES, key, lang, **kw))  # noqa: E731
    snippet = embed_snippet(language=lang, name=pub_title(publication))
    embed = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{FAVICON}<title>'
        f'{msg("embed_title")}</title></head>\n<body style="font-family:system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem">\n'
        f"<main>\n<h1>{msg('embed_title')}</h1>\n"
        f"<p>{msg('embed_help', file=MAP_FILE)}</p>\n"
        f"{_code_block(snippet, msg('embed_code'))}"
        f"{_town_snippets(publication)}"
        f"<h2>{msg('embed_preview')}</h2>\n{snippet}</main></body></html>\n"
    )
    p_embed = out / EMBED_FILE
    p_embed.write_text(embed, encoding="utf-8")
    return [p_map, p_embed]


def _code_block(snippet: str, label: str) -> str:
    """The snippet to copy, in a keyboard-reachable scrollable box (``label``: already escaped)."""
    return (f'<pre tabindex="0" role="region" aria-label="{label}" style="background:#f4f4f4;padding:.75rem;'
            f'overflow:auto"><code>{escape(snippet)}</code></pre>\n')


def _town_snippets(pub: Publication) -> str:
    """On the embed page, one snippet per town (``mappa.html#comune=<code>``), when there are several."""
    towns = map_towns(pub)
    if len(towns) < 2:
        return ""
    lang = pub.language
    msg = lambda key, **kw: escape(translate(_MESSAGES, key, lang, **kw))  # noqa: E731
    out = [f"<p>{msg('embed_towns')}</p>\n"]
    for tw in towns:
        snippet = embed_snippet(f"{MAP_FILE}#{TOWN_PARAM}={town_slug(tw)}", language=lang,
                                name=f"{pub_title(pub)} · {tw}")
        out.append(f"<h2>{msg('embed_one', town=tw)}</h2>\n")
        out.append(_code_block(snippet, msg("embed_code") + " · " + escape(tw)))
    return "".join(out)

