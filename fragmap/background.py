"""A light vector background for the published map and the atlas: what a resident reads a map by.

The areas alone float on grey; under them this module draws what the project has at hand:
the comune outlines, the main roads with their names, the river, the railway, the parks,
and the names of quarters, hamlets, the station and a few landmarks.

Two sources, the richer one wins layer by layer:

* **after the geodata set-up** (``fragmap geodati``), the OpenStreetMap layers stored in
  ``[paths] geodata`` (default ``data/geodati/``): ``strade_principali.geojson`` (name,
  highway), ``strade.geojson`` (name, highway; used only when the first is missing),
  ``acque.geojson`` (name, kind), ``ferrovie.geojson``, ``parchi.geojson`` (name),
  ``luoghi.geojson`` (name, place) and ``geodati.json`` (its ``attribution``);
* **offline, with what the repository ships**: the comune outlines, the place names of
  ``data/reference`` (GeoNames points and the quarters' landmark table), and the names of
  the main streets written where the shipped OpenStreetMap bus stops stand on them (no
  street line is drawn from stops: a stop is a point, not a street).

Everything is public reference data, never a report. The rendering side is here too, as
plain data: :func:`map_payload` gives the compact, simplified, 5-decimal layers the page
script draws in non-interactive panes under the areas; :func:`background_points` lists every
coordinate the page prints, for the privacy audit's ``public_points`` (the same way the
area polygons' vertices are declared); :func:`svg_layers` draws the atlas's locator maps.

Examples
--------
>>> bg = load_background(settings, project.boundaries)      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap._geo import UTM
from fragmap._text import fold_name as fold

#: Files of the geodata set-up (read only; written by the set-up command).
GEODATA_FILES = {
    "strade_principali": "strade_principali.geojson", "strade": "strade.geojson", "acque": "acque.geojson",
    "ferrovie": "ferrovie.geojson", "parchi": "parchi.geojson", "luoghi": "luoghi.geojson",
}
GEODATA_META = "geodati.json"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
GEONAMES_ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"
BUS_STOPS_ATTRIBUTION = "Fermate bus 2013: © OpenStreetMap contributors, ODbL 1.0"

#: OSM ``highway`` -> rank (1 = main). Minor streets are not drawn (page size, legibility).
ROAD_RANK = {"motorway": 1, "trunk": 1, "primary": 1, "motorway_link": 2, "trunk_link": 2, "primary_link": 2,
             "secondary": 2, "secondary_link": 3, "tertiary": 3}
#: OSM ``place`` -> (kind, rank).
PLACE_RANK = {"suburb": ("quarter", 1), "quarter": ("quarter", 1), "neighbourhood": ("quarter", 2),
              "village": ("hamlet", 2), "hamlet": ("hamlet", 2), "locality": ("hamlet", 3),
              "isolated_dwelling": ("hamlet", 3)}
#: GeoNames feature code -> (kind, rank); codes not listed (hotels, museums...) are not drawn.
GEONAMES_RANK = {"RSTN": ("station", 1), "CSTL": ("landmark", 2), "BDG": ("landmark", 2), "PRK": ("park", 2),
                 "GDN": ("park", 3), "SQR": ("landmark", 3), "PPL": ("hamlet", 3), "UNIV": ("landmark", 3)}
#: Street types of the ANNCSU table that make a street "main" when several bus stops stand on it.
MAIN_STREET_TYPES = ("CORSO", "VIALE", "STRADA", "LUNGOTICINO")
#: Simplification tolerance (metres) and coordinate decimals (5 ≈ 1 m) of the published layers.
TOLERANCE_M = {"roads": 6.0, "water": 10.0, "rail": 8.0, "parks": 10.0, "outlines": 20.0}
DECIMALS = 5
#: Features shorter / smaller than this are dropped from the page (metres / square metres).
MIN_LENGTH_M = 40.0
MIN_AREA_M2 = 5_000.0
#: Background drawn this far beyond the comune outlines (metres).
MARGIN_M = 300.0
_SMALL_WORDS = {"di", "del", "della", "dei", "degli", "delle", "dello", "e", "ed", "in", "al", "alla", "allo",
                "ai", "agli", "alle", "da", "dal", "dalla", "il", "lo", "la", "i", "gli", "le", "sul", "sulla"}


@dataclass(frozen=True)
class Background:
    """The background layers, EPSG:4326, clipped near the comuni; public data only.

    Attributes
    ----------
    outlines : GeoDataFrame
        Comune polygons (``name``).
    roads : GeoDataFrame
        Lines (``name``, ``rank``: 1 main .. 3).
    water : GeoDataFrame
        Polygons and lines (``name``, ``kind``).
    rail : GeoDataFrame
        Lines.
    parks : GeoDataFrame
        Polygons (``name``).
    places : GeoDataFrame
        Label points (``name``, ``kind``, ``rank``, ``angle`` in degrees for street names).
        Kinds: quarter, hamlet, station, landmark, park, water, street.
    attribution : tuple of str
        Licence lines to print on every page that draws the background.

    Examples
    --------
    >>> bg = empty_background()
    >>> bg.is_empty
    True
    """

    outlines: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    rail: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    attribution: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw."""
        return not any(len(g) for g in (self.outlines, self.roads, self.water, self.rail, self.parks, self.places))


def _empty(columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=gpd.GeoSeries([], crs=4326),
                            crs=4326)


def empty_background() -> Background:
    """A background with no layer (the map and atlas then draw the areas alone).

    Examples
    --------
    >>> len(empty_background().roads)
    0
    """
    return Background(_empty(("name",)), _empty(("name", "rank")), _empty(("name", "kind")), _empty(()),
                      _empty(("name",)), _empty(("name", "kind", "rank", "angle")))


# -- names ----------------------------------------------------------------------------------------
def street_title(text: str) -> str:
    """An upper-case street name as it is written on a map: ``VIALE DELLA REPUBBLICA`` -> ``Viale della Repubblica``.

    Examples
    --------
    >>> street_title("VIALE DELLA REPUBBLICA")
    'Viale della Repubblica'
    >>> street_title("PIAZZA DELL'ARSENALE")
    "Piazza dell'Arsenale"
    """
    words = []
    for k, w in enumerate(str(text).lower().split()):
        parts = w.split("'")
        parts = [p if (k > 0 and j == 0 and (p in _SMALL_WORDS or p in {"dell", "dall", "sull", "d", "l"}))
                 else p[:1].upper() + p[1:] for j, p in enumerate(parts)]
        words.append("'".join(parts))
    return " ".join(words)


# -- reading ----------------------------------------------------------------------------------------
def _read_reference_places(settings: Any) -> gpd.GeoDataFrame:
    """Named points of the project (``[paths] quarter_landmarks``, ``places``; the OSM places of
    the set-up): ``name, kind, town, source, geometry``, through :func:`fragmap.io.places.read_places`.
    """
    from fragmap.io.places import read_places

    p = settings.paths

    def existing(f: Any) -> Path | None:
        return Path(f) if f is not None and Path(f).exists() else None

    geodata = getattr(p, "geodata", None)
    osm = existing(Path(geodata) / "luoghi.geojson") if geodata is not None else None
    got = read_places(landmarks=existing(getattr(p, "quarter_landmarks", None)),
                      geonames=existing(getattr(p, "places", None)), osm=osm)
    return got[got.geometry.notna()].reset_index(drop=True)


#: Any reader's ``kind`` -> (label kind, rank): GeoNames codes, the landmark table's kinds, OSM
#: ``place`` values, and the Italian kinds of ``fragmap.io.places``. Kinds not listed (hotels,
#: museums, churches, macro-quartieri whose point is a committee seat) get no label.
KIND_RANK: dict[str, tuple[str, int]] = {
    **GEONAMES_RANK, **PLACE_RANK,
    "quartiere": ("quarter", 1), "rione": ("quarter", 2), "frazione": ("hamlet", 2), "località": ("hamlet", 3),
    "stazione": ("station", 1), "castello": ("landmark", 2), "ponte": ("landmark", 2), "parco": ("park", 2),
    "piazza": ("landmark", 3), "università": ("landmark", 3),
}


def _label_places(ref: gpd.GeoDataFrame, towns: set[str]) -> gpd.GeoDataFrame:
    """Reference points -> label points (``name, kind, rank``): the kinds worth a label, cleaned names."""
    out = []
    for name, kind, town, geom in zip(ref["name"], ref["kind"], ref["town"], ref.geometry):
        if geom is None or geom.is_empty or geom.geom_type != "Point" or name is None:
            continue
        name = re.sub(r"\s*\([^)]*\)\s*$", "", str(name)).strip()  # "Colombarone (Pavia)" -> "Colombarone"
        town = "" if town is None else str(town)
        if str(kind) not in KIND_RANK or re.search(r"\d", name):
            continue  # not a place people name their part of town after; "Scarpone 50" is an address
        if town and fold(name).startswith(fold(town) + " "):
            continue  # "Pavia Est": a macro-quartiere whose point is a seat, not its middle
        k, rank = KIND_RANK[str(kind)]
        out.append({"name": name, "kind": k, "rank": rank, "town": town, "geometry": geom})
    gdf = gpd.GeoDataFrame(out, columns=["name", "kind", "rank", "town", "geometry"], geometry="geometry", crs=4326)
    if towns:
        gdf = gdf[gdf["town"].isin(towns) | (gdf["town"] == "")]
    return gdf.drop(columns="town")


def _street_labels(settings: Any, towns: set[str], anncsu: Path | None) -> gpd.GeoDataFrame:
    """Names of the main streets at a representative bus stop standing on each (shipped OSM stops).

    A stop is named "STREET CrossStreet" (upper-case street, then the crossing). Streets with
    at least three stops, or two on a corso/viale, get a label at the stop nearest their
    stops' middle, turned along the stops' line when they lie on a straight stretch. The
    full name comes from the ANNCSU table when one street there ends with the stop's name.
    """
    sp = getattr(settings.paths, "street_points", None)
    path = Path(sp) if sp is not None and Path(sp).exists() else None
    if path is None:
        return _empty(("name", "kind", "rank", "angle"))
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        p, g = f["properties"], f["geometry"]
        town = str(p.get("comune") or "")
        if not p.get("name") or not g or (towns and town not in towns):
            continue
        m = re.match(r"^([A-Z0-9ÀÈÉÌÒÙ'. ]+?)(?: [A-Z][a-zàèéìòù'].*)?$", str(p["name"]))
        key = (m.group(1) if m else "").strip(" .")
        if len(key) >= 3 and not re.search(r"\b[A-Z]\.?$", key):  # "CREMONA P." is an abbreviation
            groups.setdefault((town, key), []).append((float(g["coordinates"][0]), float(g["coordinates"][1])))
    official: dict[tuple[str, str], list[tuple[str, str]]] = {}
    if anncsu is not None and anncsu.exists():
        with anncsu.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                dug, duf, town = str(r.get("DUG") or ""), str(r.get("DUF") or ""), str(r.get("comune") or "")
                official.setdefault((town, duf), []).append((dug, duf))
    rows = []
    for (town, key), pts in sorted(groups.items()):
        exact = official.get((town, key), [])
        ending = [v for (tw, duf), vs in official.items() if tw == town and duf.endswith(" " + key) for v in vs]
        cands = exact or ending
        if len({d for d, _ in cands}) != 1:
            continue  # unknown or ambiguous street type: no label rather than a wrong one
        dug = cands[0][0]
        if dug.startswith("PIAZZ") or dug in ("LARGO", "VICOLO"):
            continue
        main = dug in MAIN_STREET_TYPES
        if len(pts) < 3 and not (main and len(pts) >= 2):
            continue
        duf = cands[0][1]
        lead = duf[: -len(key)].split() if duf.endswith(key) else []
        if lead and all(w.lower() in _SMALL_WORDS for w in lead):
            key = duf  # "REPUBBLICA" is "DELLA REPUBBLICA"
        name = street_title(key if key.startswith(("STRADA", "LUNGOTICINO")) else f"{dug} {key}")
        xy = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=4326).to_crs(UTM)
        a = np.column_stack([xy.x, xy.y])
        mid = a.mean(axis=0)
        k = int(np.argmin(((a - mid) ** 2).sum(axis=1)))
        angle = 0.0
        if len(a) >= 2:
            c = a - mid
            w, v = np.linalg.eigh(c.T @ c)
            spread = math.sqrt(max(w[-1], 0) / len(a))
            if spread > 80 and (w[0] <= 0.04 * w[-1]):  # a straight stretch: write the name along it
                dx, dy = v[0, -1], v[1, -1]
                angle = round(-math.degrees(math.atan2(dy, dx)), 0)  # screen y points down
                angle = (angle + 90) % 180 - 90  # never upside down
        rows.append({"name": name, "kind": "street", "rank": 2 if (main or len(pts) >= 5) else 3,
                     "angle": float(angle), "geometry": gpd.GeoSeries([xy.iloc[k]], crs=UTM).to_crs(4326).iloc[0]})
    return gpd.GeoDataFrame(rows, columns=["name", "kind", "rank", "angle", "geometry"], geometry="geometry", crs=4326)


def _read_layer(folder: Path, key: str, lang: str = "it") -> gpd.GeoDataFrame | None:
    path = folder / GEODATA_FILES[key]
    if not path.exists():
        return None
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # a half-written file must not stop the month's publication
        from fragmap._errors import InputFileError

        if lang == "en":
            raise InputFileError(f"{path}: geodata file cannot be read ({exc}); "
                                 "run the geodata set-up again (fragmap geodati)") from exc
        raise InputFileError(f"{path}: file dei dati geografici illeggibile ({exc}); "
                             "ripetere la preparazione dei dati geografici (fragmap geodati)") from exc
    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)


def _col(gdf: gpd.GeoDataFrame, name: str) -> pd.Series:
    if name in gdf.columns:
        return gdf[name].where(gdf[name].notna(), None)
    return pd.Series([None] * len(gdf), index=gdf.index, dtype=object)


def _near_duplicate(places: gpd.GeoDataFrame, metres: float = 600.0) -> gpd.GeoDataFrame:
    """Keep the first of labels with the same folded name within ``metres`` (earlier sources win)."""
    if not len(places):
        return places
    utm = places.to_crs(UTM).geometry
    kept: list[int] = []
    seen: dict[str, list[Any]] = {}
    for i, (name, p) in enumerate(zip(places["name"], utm)):
        f = fold(name)
        f = re.sub(r"^(stazione|quartiere|rione|frazione) (di )?", "", f)
        if any(p.distance(q) < metres for q in seen.get(f, [])):
            continue
        seen.setdefault(f, []).append(p)
        kept.append(i)
    return places.iloc[kept].reset_index(drop=True)


def load_background(
    settings: Any, boundaries: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None = None
) -> Background:
    """Read the background the project has: the geodata set-up's layers, else what ships.

    Parameters
    ----------
    settings : Settings
        ``paths.geodata`` (the set-up's folder), ``paths.boundaries`` and ``paths.streets``
        (to find the shipped reference files and full street names).
    boundaries : GeoDataFrame
        The comune polygons (``name``), EPSG:4326: outlines, and the clip of every layer.
    places : GeoDataFrame, optional
        Named reference points ``name, kind, town, source, geometry`` (as
        ``fragmap.io.places`` reads them); default: the shipped GeoNames points and
        quarters' landmarks, read here.

    Returns
    -------
    Background
        Layers clipped to the comuni (plus a margin), ranked, with their attribution.

    Raises
    ------
    InputFileError
        If a file of the geodata set-up exists but cannot be read.

    Examples
    --------
    >>> bg = load_background(settings, project.boundaries)     # doctest: +SKIP
    """
    bnd = boundaries.to_crs(4326)
    towns = set(bnd["name"].astype(str)) if "name" in bnd.columns else set()
    bg = empty_background()
    outlines = gpd.GeoDataFrame({"name": bnd["name"].astype(str).to_numpy() if "name" in bnd else [""] * len(bnd)},
                                geometry=bnd.geometry.to_numpy(), crs=4326)
    clip = bnd.to_crs(UTM).buffer(MARGIN_M).union_all()
    clip_4326 = gpd.GeoSeries([clip], crs=UTM).to_crs(4326).iloc[0]
    attribution: list[str] = []

    folder = Path(getattr(settings.paths, "geodata", "") or "")
    lang = str(getattr(settings, "language", "it"))
    geo = {k: (_read_layer(folder, k, lang) if str(folder) not in ("", ".") and folder.is_dir() else None)
           for k in GEODATA_FILES}
    if any(g is not None for g in geo.values()):
        attribution.append(_geodata_attribution(folder))

    def clipped(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        g = g.copy()
        g["geometry"] = g.geometry.make_valid()  # OSM multipolygons are not always valid
        g = g[g.intersects(clip_4326)]
        g["geometry"] = g.geometry.intersection(clip_4326)
        return g[~g.geometry.is_empty].reset_index(drop=True)

    roads = bg.roads
    src = geo["strade_principali"] if geo["strade_principali"] is not None else geo["strade"]
    if src is not None:
        rank = _col(src, "highway").map(lambda h: ROAD_RANK.get(str(h)) if h is not None else None)
        if geo["strade_principali"] is not None:
            rank = rank.fillna(3)
        src = src.assign(name=_col(src, "name"), rank=rank)
        src = src[src["rank"].notna() & src.geom_type.isin(["LineString", "MultiLineString"])]
        roads = clipped(gpd.GeoDataFrame(src[["name", "rank", "geometry"]], geometry="geometry", crs=4326))
        roads["rank"] = roads["rank"].astype(int)
    water = bg.water
    if geo["acque"] is not None:
        w = geo["acque"]
        water = clipped(gpd.GeoDataFrame({"name": _col(w, "name"), "kind": _col(w, "kind")}, geometry=w.geometry,
                                         crs=4326))
    rail = clipped(gpd.GeoDataFrame(geometry=geo["ferrovie"].geometry, crs=4326)) if geo["ferrovie"] is not None \
        else bg.rail
    parks = bg.parks
    if geo["parchi"] is not None:
        k = geo["parchi"]
        k = k[k.geom_type.isin(["Polygon", "MultiPolygon"])]
        parks = clipped(gpd.GeoDataFrame({"name": _col(k, "name")}, geometry=k.geometry, crs=4326))

    # labels: OSM places first (after set-up), then the shipped places, then water, parks, streets
    label_parts = []
    if geo["luoghi"] is not None:
        lu = geo["luoghi"]
        kr = [PLACE_RANK.get(str(p), ("hamlet", 3)) for p in _col(lu, "place")]
        lu = gpd.GeoDataFrame({"name": _col(lu, "name"), "kind": [k for k, _ in kr], "rank": [r for _, r in kr]},
                              geometry=lu.geometry.representative_point(), crs=4326)
        label_parts.append(lu[lu["name"].notna()])
    ref = places if places is not None else _read_reference_places(settings)
    if len(ref):
        label_parts.append(_label_places(ref.to_crs(4326), towns))
        sources = set(ref["source"].astype(str)) if "source" in ref.columns else set()
        if places is None or "geonames" in sources:
            attribution.append(GEONAMES_ATTRIBUTION)
        if "osm" in sources and not any("OpenStreetMap" in a for a in attribution):
            attribution.append(OSM_ATTRIBUTION)
    label_parts.append(_water_labels(water))
    label_parts.append(_park_labels(parks))
    if not len(roads):
        streets = _street_labels(settings, towns, Path(settings.paths.streets) if settings.paths.streets else None)
        if len(streets):
            label_parts.append(streets)
            attribution.append(BUS_STOPS_ATTRIBUTION)
    else:
        label_parts.append(_road_labels(roads))
    parts = [p for p in label_parts if len(p)]
    if parts:
        lab = pd.concat(parts, ignore_index=True)
        lab["angle"] = pd.to_numeric(lab["angle"], errors="coerce").fillna(0.0) if "angle" in lab else 0.0
        lab = gpd.GeoDataFrame(lab[["name", "kind", "rank", "angle", "geometry"]], geometry="geometry", crs=4326)
        lab = lab[lab.geometry.within(clip_4326) & lab["name"].astype(str).str.strip().ne("")]
        lab["name"] = lab["name"].astype(str).str.strip()
        lab["rank"] = lab["rank"].astype(int)
        labels = _near_duplicate(lab.reset_index(drop=True))
    else:
        labels = bg.places
    return Background(outlines, roads, water, rail, parks, labels, tuple(dict.fromkeys(attribution)))


def _geodata_attribution(folder: Path) -> str:
    meta = folder / GEODATA_META
    if meta.exists():
        try:
            text = json.loads(meta.read_text(encoding="utf-8")).get("attribution")
            if isinstance(text, str) and text.strip():
                return text.strip()
        except ValueError:
            pass
    return OSM_ATTRIBUTION


def _water_labels(water: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One label per named river or canal, at a point of its longest or largest piece."""
    rows = []
    if len(water):
        utm = water.to_crs(UTM)
        for name, g in utm[utm["name"].notna()].groupby("name"):
            size = g.geometry.length + g.geometry.area
            geom = g.geometry.loc[size.idxmax()]
            rows.append({"name": str(name), "kind": "water", "rank": 1 if size.sum() > 5000 else 3,
                         "angle": 0.0, "geometry": geom.representative_point() if geom.area
                         else geom.interpolate(0.5, normalized=True)})
    g = gpd.GeoDataFrame(rows, columns=["name", "kind", "rank", "angle", "geometry"], geometry="geometry", crs=UTM)
    return g.to_crs(4326)


def _park_labels(parks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    if len(parks):
        utm = parks.to_crs(UTM)
        for name, geom in zip(utm["name"], utm.geometry):
            if name is not None and geom.area >= 30_000:
                rows.append({"name": str(name), "kind": "park", "rank": 2 if geom.area > 150_000 else 3,
                             "angle": 0.0, "geometry": geom.representative_point()})
    return gpd.GeoDataFrame(rows, columns=["name", "kind", "rank", "angle", "geometry"], geometry="geometry",
                            crs=UTM).to_crs(4326)


def _road_labels(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per named road: its name at the middle of its longest piece, along it."""
    rows = []
    utm = roads.to_crs(UTM)
    named = utm[utm["name"].notna()]
    for name, g in named.groupby("name"):
        pieces = [p for geom in g.geometry for p in getattr(geom, "geoms", [geom])]
        best = max(pieces, key=lambda p: p.length)
        if best.length < 150:
            continue
        a, b = best.interpolate(0.4, normalized=True), best.interpolate(0.6, normalized=True)
        angle = -math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        angle = round((angle + 90) % 180 - 90, 0)
        rows.append({"name": str(name), "kind": "street", "rank": int(g["rank"].min()) + 1,
                     "angle": float(angle), "geometry": best.interpolate(0.5, normalized=True)})
    return gpd.GeoDataFrame(rows, columns=["name", "kind", "rank", "angle", "geometry"], geometry="geometry",
                            crs=UTM).to_crs(4326)


# -- the map page ---------------------------------------------------------------------------------
def _round(obj: Any, nd: int = DECIMALS) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj[:2]]
        return [_round(o, nd) for o in obj]
    return obj


def _dedupe(coords: list[Any]) -> list[Any]:
    """Drop consecutive repeated positions (after rounding)."""
    out: list[Any] = []
    for c in coords:
        if not out or c != out[-1]:
            out.append(c)
    return out


def _simple(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Simplified in metres (topology kept), in EPSG:4326, empty pieces dropped."""
    if not len(gdf):
        return gpd.GeoSeries([], crs=4326)
    g = gdf.to_crs(UTM).geometry.simplify(tolerance_m, preserve_topology=True)
    return g[~g.is_empty].to_crs(4326)


def _lines_of(geoms: gpd.GeoSeries) -> list[list[list[float]]]:
    from shapely.geometry import mapping

    out = []
    utm = geoms.to_crs(UTM) if len(geoms) else geoms
    for geom, gm in zip(geoms, utm):
        for part, pm in zip(getattr(geom, "geoms", [geom]), getattr(gm, "geoms", [gm])):
            if part.geom_type != "LineString" or pm.length < MIN_LENGTH_M:
                continue
            line = _dedupe(_round(mapping(part)["coordinates"]))
            if len(line) >= 2:
                out.append(line)
    return sorted(out)


def _polys_of(geoms: gpd.GeoSeries) -> list[list[list[list[float]]]]:
    from shapely.geometry import mapping

    out = []
    utm = geoms.to_crs(UTM) if len(geoms) else geoms
    for geom, gm in zip(geoms, utm):
        for part, pm in zip(getattr(geom, "geoms", [geom]), getattr(gm, "geoms", [gm])):
            if part.geom_type != "Polygon" or pm.area < MIN_AREA_M2:
                continue
            rings = [_dedupe(r) for r in _round(mapping(part)["coordinates"])]
            rings = [r for r in rings if len(r) >= 4]
            if rings:
                out.append(rings)
    return sorted(out)


def map_payload(bg: Background, *, with_outlines: bool = False) -> dict[str, Any]:
    """The background as the page script draws it: compact, simplified, 5 decimals.

    Lines and polygons are merged per class into one GeoJSON geometry each (a feature per
    street would cost more than the coordinates); labels are ``[name, kind, rank, lon, lat,
    angle]``, most important first. Comune outlines are left out unless ``with_outlines``
    (the map draws its comuni already).

    Parameters
    ----------
    bg : Background
        What to draw.
    with_outlines : bool
        Also draw the comune outlines.

    Returns
    -------
    dict
        ``{"layers": [{"k": class, "g": geometry}, ...], "labels": [...], "attribution": [...]}``;
        classes ``outline, park, water, waterline, rail, road1, road2, road3``, in drawing order.

    Examples
    --------
    >>> map_payload(empty_background())["layers"]
    []
    """
    layers: list[dict[str, Any]] = []

    def add(k: str, kind: str, coords: list[Any]) -> None:
        if coords:
            layers.append({"k": k, "g": {"type": kind, "coordinates": coords}})

    if with_outlines and len(bg.outlines):
        add("outline", "MultiLineString",
            sorted(_dedupe(_round(list(r.coords))) for g in _simple(bg.outlines, TOLERANCE_M["outlines"])
                   for p in getattr(g, "geoms", [g]) for r in [p.exterior, *p.interiors]))
    add("park", "MultiPolygon", _polys_of(_simple(bg.parks, TOLERANCE_M["parks"])))
    if len(bg.water):
        w = _simple(bg.water, TOLERANCE_M["water"])
        add("water", "MultiPolygon", _polys_of(w))
        add("waterline", "MultiLineString", _lines_of(w))
    add("rail", "MultiLineString", _lines_of(_simple(bg.rail, TOLERANCE_M["rail"])))
    if len(bg.roads):
        for r in (3, 2, 1):
            sel = bg.roads[bg.roads["rank"] == r]
            add(f"road{r}", "MultiLineString", _lines_of(_simple(sel, TOLERANCE_M["roads"])))
    labels = []
    kind_order = {"station": 0, "water": 1, "quarter": 2, "street": 3, "hamlet": 4, "park": 5, "landmark": 6}
    pl = bg.places
    for name, kind, rank, angle, geom in sorted(
            zip(pl["name"], pl["kind"], pl["rank"], pl["angle"], pl.geometry),
            key=lambda r: (int(r[2]), kind_order.get(str(r[1]), 9), str(r[0]))):
        labels.append([str(name), str(kind), int(rank), round(float(geom.x), DECIMALS), round(float(geom.y), DECIMALS),
                       int(angle) if angle == angle else 0])
    return {"layers": layers, "labels": labels, "attribution": list(bg.attribution)}


def background_points(bg: Background | dict[str, Any] | None) -> list[tuple[float, float]]:
    """``(lat, lon)`` of every position the page prints for the background, as printed.

    These are public reference data (OSM roads, GeoNames places, bus stops), like the area
    polygons' vertices: pass them to :func:`fragmap.privacy.fingerprint` as
    ``public_points`` so a report that happens to lie on a road vertex is not mistaken for
    a leak. Only what the page prints is listed.

    Examples
    --------
    >>> background_points(empty_background())
    []
    """
    if bg is None:
        return []
    payload = bg if isinstance(bg, dict) else map_payload(bg)
    pts: list[tuple[float, float]] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], (int, float)):
            pts.append((float(c[1]), float(c[0])))
        else:
            for x in c:
                walk(x)

    for layer in payload["layers"]:
        walk(layer["g"]["coordinates"])
    pts += [(float(lab[4]), float(lab[3])) for lab in payload["labels"]]
    return pts


# -- the atlas's SVG maps -------------------------------------------------------------------------
#: SVG styles of the atlas background (print-friendly: light greys, a pale blue river).
SVG_STYLE = {
    "outline": 'fill="none" stroke="#6b6b6b" stroke-width="1" stroke-dasharray="4 2"',
    "park": 'fill="#e4efdc" stroke="none"',
    "water": 'fill="#cfe1f2" stroke="none"',
    "waterline": 'fill="none" stroke="#9cc2e5" stroke-width="1.6"',
    "rail": 'fill="none" stroke="#8a8a8a" stroke-width="0.9" stroke-dasharray="3 2"',
    "road3": 'fill="none" stroke="#c4c4c4" stroke-width="0.6"',
    "road2": 'fill="none" stroke="#b5b5b5" stroke-width="0.9"',
    "road1": 'fill="none" stroke="#a6a6a6" stroke-width="1.3"',
}
_SVG_TEXT = {"station": ("#1a1a1a", "700", "normal"), "quarter": ("#3d3d3d", "700", "normal"),
             "water": ("#2f6ea5", "400", "italic"), "street": ("#4d4d4d", "400", "italic"),
             "hamlet": ("#333333", "400", "normal"), "park": ("#3f6b2a", "400", "italic"),
             "landmark": ("#4d4d4d", "400", "normal")}


def _svg_under(pb: ProjectedBackground, to_px: Callable[[np.ndarray], np.ndarray],
               view: tuple[float, float, float, float], road_rank: int) -> str:
    """Lines and fills of one frame (roads up to ``road_rank``), simplified to 0.7 pixel, 1 decimal."""
    from shapely.geometry import box

    minx, miny, maxx, maxy = view
    frame = box(minx, miny, maxx, maxy)
    (x0, _), (x1, _) = to_px(np.array([[0.0, 0.0], [1000.0, 0.0]]))
    tol = 0.7 * 1000.0 / max(abs(x1 - x0), 1e-9)  # metres per 0.7 pixel
    out = []
    for k, geom in pb.layers:
        if k.startswith("road") and int(k[4:]) > road_rank or not geom.intersects(frame):
            continue
        g = geom.intersection(frame).simplify(tol, preserve_topology=k in ("park", "water"))
        d = []
        for part in getattr(g, "geoms", [g]):
            if part.is_empty:
                continue
            if part.geom_type == "Polygon":
                if part.area < 25 * (2 * tol) ** 2:  # under 25 square pixels: a speck on paper
                    continue
                rings, close = [part.exterior, *part.interiors], "Z"
            elif part.geom_type == "LineString":
                rings, close = [part], ""
            else:
                continue
            for ring in rings:
                xy = [f"{a:.1f},{b:.1f}" for a, b in to_px(np.asarray(ring.coords)[:, :2])]
                xy = [c for j, c in enumerate(xy) if j == 0 or c != xy[j - 1]]
                if len(xy) >= 2:
                    d.append(f"M{' '.join(xy)}{close}")
        if d:
            out.append(f'<path d="{"".join(d)}" {SVG_STYLE[k]} fill-rule="evenodd"/>')
    return "".join(out)


@dataclass(frozen=True)
class ProjectedBackground:
    """The background in EPSG:32632, for drawing several SVG maps from one projection.

    Examples
    --------
    >>> pb = project_background(empty_background())
    >>> pb.labels
    ()
    """

    layers: tuple[tuple[str, Any], ...]   # (class, shapely geometry in metres)
    labels: tuple[tuple[str, str, int, float, float], ...]  # name, kind, rank, x, y (metres)
    #: Lines and fills already drawn for a frame (every area page of a town shares one).
    drawn: dict[Any, str] = field(default_factory=dict, compare=False, hash=False, repr=False)


def project_background(bg: Background, *, tolerance_m: float = 12.0) -> ProjectedBackground:
    """Project and simplify the background once for the atlas (rank-3 roads left out).

    Examples
    --------
    >>> project_background(empty_background()).layers
    ()
    """
    layers: list[tuple[str, Any]] = []

    def add(k: str, gdf: gpd.GeoDataFrame, tol: float) -> None:
        if len(gdf):
            g = gdf.to_crs(UTM).geometry.simplify(tol, preserve_topology=True)
            g = g[~g.is_empty]
            if len(g):
                layers.append((k, g.union_all()))

    add("park", bg.parks, tolerance_m)
    if len(bg.water):
        w = bg.water
        add("water", w[w.geom_type.isin(["Polygon", "MultiPolygon"])], tolerance_m)
        add("waterline", w[w.geom_type.isin(["LineString", "MultiLineString"])], tolerance_m)
    add("rail", bg.rail, tolerance_m)
    if len(bg.roads):
        for r in (2, 1):
            add(f"road{r}", bg.roads[bg.roads["rank"] == r], tolerance_m)
    if len(bg.outlines):
        b = bg.outlines.to_crs(UTM).geometry.simplify(tolerance_m).boundary
        layers.append(("outline", b.union_all()))
    pl = bg.places.to_crs(UTM) if len(bg.places) else bg.places
    labels = tuple((str(n), str(k), int(r), float(g.x), float(g.y))
                   for n, k, r, g in zip(pl["name"], pl["kind"], pl["rank"], pl.geometry)) if len(pl) else ()
    if not any(k.startswith("road") for k, _ in layers):  # on paper a street name needs its street drawn
        labels = tuple(t for t in labels if t[1] != "street")
    labels = tuple(sorted(labels, key=lambda t: (t[2], {"station": 0, "water": 1, "quarter": 2}.get(t[1], 5), t[0])))
    return ProjectedBackground(tuple(layers), labels)


def svg_layers(
    pb: ProjectedBackground,
    to_px: Callable[[np.ndarray], np.ndarray],
    view: tuple[float, float, float, float],
    *,
    max_rank: int = 2,
    focus: Any = None,
    font_px: float = 8.5,
    max_labels: int = 14,
    road_rank: int = 2,
) -> tuple[str, str]:
    """The background of one SVG map: (under the areas, over the areas) as SVG fragments.

    Parameters
    ----------
    pb : ProjectedBackground
        From :func:`project_background`.
    to_px : callable
        Metres (n x 2 array) -> SVG pixels (n x 2 array).
    view : tuple
        ``minx, miny, maxx, maxy`` in metres: what the frame shows (the rest is clipped).
    max_rank : int
        Labels up to this rank everywhere in the frame.
    focus : shapely geometry, optional
        An area (metres) whose neighbourhood also gets its rank-3 labels.
    font_px, max_labels : float, int
        Label size, and at most this many labels (decluttered: no two overlap).
    road_rank : int
        Roads drawn up to this rank (1: the main ones only, for small maps).

    Returns
    -------
    tuple of str
        Lines and fills (``aria-hidden``), and the place names with a white halo.

    Examples
    --------
    >>> svg_layers(project_background(empty_background()), lambda a: a, (0, 0, 1, 1))
    ('', '')
    """
    minx, miny, maxx, maxy = view
    key = (tuple(round(v, 1) for v in view), road_rank,
           tuple(np.round(to_px(np.array([[minx, miny], [maxx, maxy]])), 2).ravel()))
    if key not in pb.drawn:
        pb.drawn[key] = _svg_under(pb, to_px, view, road_rank)
    under = pb.drawn[key]
    near = focus.buffer(400) if focus is not None else None
    placed: list[tuple[float, float, float, float]] = []
    texts = []
    from shapely.geometry import Point

    for name, kind, rank, x, y in pb.labels:
        if len(texts) >= max_labels:
            break
        if not (minx <= x <= maxx and miny <= y <= maxy):
            continue
        if rank > max_rank and not (near is not None and near.contains(Point(x, y))):
            continue
        (px, py), = to_px(np.array([[x, y]]))
        size = font_px + (1.0 if rank == 1 else 0.0)
        w = (0.6 if kind in ("station", "quarter") else 0.55) * size * len(name) + 3
        base = py - 4 if kind == "station" else py + 0.35 * size  # the station's name sits above its mark
        vw, vh = to_px(np.array([[maxx, miny]]))[0]
        spot = None
        # on its point, else just above, below, right or left of it
        for dx, dy in ((0, 0), (0, -(size + 2)), (0, size + 2), (w / 2 + 5, 0), (-(w / 2 + 5), 0)):
            b = (px + dx - w / 2, base + dy - 0.8 * size, px + dx + w / 2, base + dy + 0.25 * size)
            if b[0] < 0 or b[2] > vw or b[1] < 0 or b[3] > vh:
                continue
            if any(not (c[2] < b[0] or b[2] < c[0] or c[3] < b[1] or b[3] < c[1]) for c in placed):
                continue
            spot = (px + dx, base + dy, b)
            break
        if spot is None:
            continue
        placed.append(spot[2])
        colour, weight, style = _SVG_TEXT.get(kind, ("#333333", "400", "normal"))
        mark = (f'<rect x="{px - 2.5:.1f}" y="{py - 2.5:.1f}" width="5" height="5" fill="#1a1a1a"/>'
                if kind == "station" else "")
        big = f' font-size="{size:g}"' if size != font_px else ""
        texts.append(f'{mark}<text x="{spot[0]:.1f}" y="{spot[1]:.1f}" fill="{colour}" font-weight="{weight}" '
                     f'font-style="{style}"{big}>{escape(name)}</text>')
    if not under and not texts:
        return "", ""
    under_svg = f'<g class="bg" aria-hidden="true">{under}</g>' if under else ""
    over_svg = (f'<g class="bg-labels" aria-hidden="true" font-size="{font_px}" text-anchor="middle" '
                'stroke="#ffffff" stroke-width="2.6" stroke-linejoin="round" paint-order="stroke" '
                f'font-family="system-ui, sans-serif">{"".join(texts)}</g>') if texts else ""
    return under_svg, over_svg


__all__ = [
    "Background", "ProjectedBackground", "background_points", "empty_background", "fold", "load_background",
    "map_payload", "project_background", "street_title", "svg_layers",
]
