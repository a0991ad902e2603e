"""The one-time geodata set: OpenStreetMap layers of the configured comuni (pure part).

OpenStreetMap elements, already read into a table (:func:`fragmap.io.osm.read_osm`:
one row per node, way or multipolygon with its ``tags`` and geometry), become the
layers of the geodata folder: named streets, address points, named places, and light
background layers (water, railways, parks, main roads), residential buildings (a point,
footprint and levels each: where residents live), clipped to the comuni and,
for the background, simplified (about 5 m in UTM 32N) so published maps stay small.
The Overpass queries that fetch the same elements online are built here too, so
download and local import share one path. Nothing here opens a file or a socket:
:mod:`fragmap.io.geodata` downloads, reads and writes.

The file contract of the folder (default ``data/geodati/``, ``[paths] geodata``) is
:data:`FILES`; every GeoJSON is EPSG:4326.

Examples
--------
>>> FILES["strade"]
'strade.geojson'
>>> is_walkable({"highway": "footway"}), is_walkable({"highway": "motorway"})
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from fragmap._geo import UTM

__all__ = [
    "ATTRIBUTION", "BACKGROUND_TOLERANCE_M", "COLUMNS", "clip_streets", "FILES", "GeoData", "METADATA_FILE", "NETWORK_FILE",
    "PLACE_KINDS", "RESIDENTIAL_BUILDINGS", "STREET_NAME_TAGS", "empty_layer", "extract_layers", "is_walkable", "overpass_queries",
]

#: Attribution printed wherever the geodata are used (ODbL 1.0 requires it).
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
#: The walking network of the comuni (osmnx GraphML).
NETWORK_FILE = "rete_pedonale.graphml"
#: The record of the set: date, source, comuni, files with size and SHA-256, attribution.
METADATA_FILE = "geodati.json"
#: Layer name -> file name in the geodata folder (the file contract other modules read).
FILES: dict[str, str] = {
    "strade": "strade.geojson",
    "civici": "civici.geojson",
    "luoghi": "luoghi.geojson",
    "acque": "acque.geojson",
    "ferrovie": "ferrovie.geojson",
    "parchi": "parchi.geojson",
    "strade_principali": "strade_principali.geojson",
    "edifici": "edifici.geojson",
}
#: Columns of each layer (besides ``geometry``); ``strade`` also carries the tags of
#: :data:`STREET_NAME_TAGS` that occur in the data.
COLUMNS: dict[str, tuple[str, ...]] = {
    "strade": ("name", "highway"),
    "civici": ("street", "number"),
    "luoghi": ("name", "place"),
    "acque": ("name", "kind"),
    "ferrovie": (),
    "parchi": ("name",),
    "strade_principali": ("name", "highway"),
    "edifici": ("kind", "area_m2", "levels"),
}
#: Other names of a street kept as columns of ``strade`` (to reconcile with ANNCSU names).
STREET_NAME_TAGS = ("official_name", "alt_name", "old_name", "short_name", "loc_name", "reg_name")
#: ``place`` values kept in ``luoghi``.
PLACE_KINDS = ("suburb", "quarter", "neighbourhood", "hamlet", "village", "locality", "isolated_dwelling")
#: ``highway`` values of ``strade_principali``.
MAIN_ROADS = ("trunk", "primary", "secondary", "tertiary")
#: ``building`` values of homes, kept in ``edifici`` (the weights of where residents live).
RESIDENTIAL_BUILDINGS = ("residential", "house", "apartments", "detached", "semidetached_house", "terrace",
                         "bungalow", "farm", "dormitory")
#: ``building=yes`` (most Italian buildings carry only that) is kept too, from this footprint up
#: (smaller ones are mostly garages and sheds), and unless another tag says it is not a home.
GENERIC_BUILDING_MIN_M2 = 40.0
_NOT_HOMES = ("amenity", "shop", "office", "industrial", "craft", "man_made", "public_transport", "religion",
              "tourism", "healthcare")
#: Douglas-Peucker tolerance of the background layers, metres in EPSG:32632.
BACKGROUND_TOLERANCE_M = 5.0

# osmnx's "walk" network filter, applied to tags (osmnx builds its Overpass query from it).
_NOT_WALKABLE = {"abandoned", "bus_guideway", "construction", "cycleway", "motor", "motorway", "motorway_link",
                 "no", "planned", "platform", "proposed", "raceway", "razed", "trunk", "trunk_link"}


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags belongs to the walking network (osmnx's ``walk`` filter).

    Examples
    --------
    >>> is_walkable({"highway": "residential", "foot": "no"})
    False
    """
    hw = tags.get("highway")
    if not hw or hw in _NOT_WALKABLE or tags.get("area") == "yes":
        return False
    if tags.get("foot") == "no" or tags.get("access") == "private" or tags.get("service") == "private":
        return False
    return True


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """An empty layer with the columns of the contract (what a missing file reads as).

    Examples
    --------
    >>> list(empty_layer("civici").columns)
    ['street', 'number', 'geometry']
    """
    cols = {c: pd.Series(dtype=object) for c in COLUMNS[name]}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


@dataclass
class GeoData:
    """The layers of a geodata folder (empty GeoDataFrames for missing files).

    Attributes
    ----------
    layers : dict of str to GeoDataFrame
        One per key of :data:`FILES`, EPSG:4326.
    network_path : Path or None
        The walking network (GraphML) when present.
    meta : dict
        The content of ``geodati.json`` ({} when missing).

    Examples
    --------
    >>> g = GeoData({k: empty_layer(k) for k in FILES})
    >>> g.empty, len(g["strade"])
    (True, 0)
    """

    layers: dict[str, gpd.GeoDataFrame]
    network_path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        return self.layers[name]

    def __getattr__(self, name: str) -> gpd.GeoDataFrame:
        layers = self.__dict__.get("layers", {})
        if name in layers:
            return layers[name]
        raise AttributeError(name)

    @property
    def empty(self) -> bool:
        """True when there is no layer with features and no network."""
        return self.network_path is None and all(len(g) == 0 for g in self.layers.values())

    @property
    def attribution(self) -> str:
        """The attribution line to print beside anything drawn from these layers."""
        return str(self.meta.get("attribution", ATTRIBUTION))


# -- OSM elements -> layers ---------------------------------------------------------------------

def _tag(tags: Any, key: str) -> Any:
    return tags.get(key) if isinstance(tags, Mapping) else None


def _column(features: gpd.GeoDataFrame, key: str) -> pd.Series:
    return features["tags"].map(lambda t: _tag(t, key))


def _clip(gdf: gpd.GeoDataFrame, area: Any) -> gpd.GeoDataFrame:
    """Features inside ``area`` (a shapely geometry, EPSG:4326), cut at its edge."""
    if not len(gdf):
        return gdf
    gdf = gdf[gdf.intersects(area)]
    if not len(gdf):
        return gdf
    inside = gdf.within(area)
    cut = gdf[~inside].copy()
    cut["geometry"] = cut.geometry.intersection(area)
    out = pd.concat([gdf[inside], cut[~cut.geometry.is_empty]])
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons as their outline, then one row per LineString (points dropped)."""
    if not len(gdf):
        return gdf
    g = gdf.copy()
    poly = g.geom_type.isin(["Polygon", "MultiPolygon"])
    g.loc[poly, "geometry"] = g.loc[poly, "geometry"].boundary
    g = g.explode(index_parts=False, ignore_index=True)
    g = g[g.geom_type == "LineString"]
    return gpd.GeoDataFrame(g, geometry="geometry", crs=4326).reset_index(drop=True)


def _polygons(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])].copy()
    if not len(g):
        return g
    g["geometry"] = g.geometry.map(lambda x: x if x.geom_type != "GeometryCollection" else
                                   _only(x, ("Polygon", "MultiPolygon")))
    return g[~g.geometry.is_empty & g.geometry.notna()]


def _only(geom: Any, kinds: tuple[str, ...]) -> Any:
    import shapely

    parts = [p for p in getattr(geom, "geoms", [geom]) if p.geom_type in kinds]
    return shapely.union_all(parts) if parts else shapely.GeometryCollection()


def _merge_lines(gdf: gpd.GeoDataFrame, by: list[str]) -> gpd.GeoDataFrame:
    """Join touching lines of the same group into longer ones (fewer, smaller features)."""
    import shapely

    if not len(gdf):
        return gdf
    rows = []
    keys = gdf[by].fillna("") if by else pd.DataFrame(index=gdf.index)
    groups = keys.groupby(by, sort=True, dropna=False).groups if by else {(): gdf.index}
    for key, idx in groups.items():
        merged = shapely.line_merge(shapely.union_all(gdf.loc[idx, "geometry"].to_numpy()))
        for part in getattr(merged, "geoms", [merged]):
            if part.geom_type == "LineString" and not part.is_empty:
                values = key if isinstance(key, tuple) else (key,)
                rows.append({**{c: (v or None) for c, v in zip(by, values)}, "geometry": part})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else gdf.iloc[:0][[*by, "geometry"]]
    return out


def _simplify(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    if not len(gdf) or tolerance_m <= 0:
        return gdf
    g = gdf.to_crs(UTM)
    g["geometry"] = g.geometry.simplify(tolerance_m, preserve_topology=True)
    g = g[~g.geometry.is_empty]
    return g.to_crs(4326)


def _layer(name: str, gdf: gpd.GeoDataFrame, extra: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    cols = [*COLUMNS[name], *extra]
    if not len(gdf):
        out = empty_layer(name)
        for c in extra:
            out[c] = pd.Series(dtype=object)
        return out[[*cols, "geometry"]]
    out = gpd.GeoDataFrame(gdf[[*cols, "geometry"]].reset_index(drop=True), geometry="geometry", crs=4326)
    return out


def _sorted(gdf: gpd.GeoDataFrame, by: list[str]) -> gpd.GeoDataFrame:
    """A stable order (by columns, then position) so the same data give the same files."""
    if not len(gdf):
        return gdf
    g = gdf.copy()
    c = g.geometry.representative_point()
    g["_x"], g["_y"] = c.x.round(7), c.y.round(7)
    g = g.sort_values([*by, "_x", "_y"], na_position="last", kind="mergesort")
    return g.drop(columns=["_x", "_y"]).reset_index(drop=True)


def extract_layers(features: gpd.GeoDataFrame, comuni: gpd.GeoDataFrame, *,
                   tolerance_m: float = BACKGROUND_TOLERANCE_M) -> dict[str, gpd.GeoDataFrame]:
    """The layers of :data:`FILES` from OpenStreetMap elements, clipped to the comuni.

    Parameters
    ----------
    features : GeoDataFrame
        One row per OSM element: ``osm_type`` (node/way/relation), ``osm_id``, ``tags``
        (a dict) and its geometry in EPSG:4326 (Point, LineString, Polygon or MultiPolygon),
        as read by :func:`fragmap.io.osm.read_osm`.
    comuni : GeoDataFrame
        The comune polygons to clip to.
    tolerance_m : float
        Simplification of the background layers (acque, ferrovie, parchi,
        strade_principali), metres; ``strade``, ``civici`` and ``luoghi`` keep full precision.

    Returns
    -------
    dict of str to GeoDataFrame
        ``strade`` (LineStrings: name, highway and the :data:`STREET_NAME_TAGS` present),
        ``civici`` (Points: street, number; buildings as a point inside them), ``luoghi``
        (Points: name, place), ``acque`` (name, kind: the ``water`` value or ``water`` for
        areas, ``river``/``canal`` for lines), ``ferrovie`` (lines of ``railway=rail``,
        sidings and yards left out), ``parchi`` (polygons: name),
        ``strade_principali`` (lines: name, highway), ``edifici`` (Points inside homes: kind,
        the ``building`` value; area_m2, the footprint; levels, ``building:levels`` or NaN),
        all EPSG:4326.

    Examples
    --------
    >>> layers = extract_layers(osm.features, comuni)        # doctest: +SKIP
    >>> layers["strade"][["name", "highway"]].head()          # doctest: +SKIP
    """
    import shapely

    area = shapely.union_all(comuni.to_crs(4326).geometry.to_numpy())
    f = features.to_crs(4326) if features.crs is not None else features.set_crs(4326)
    f = f[f.geometry.notna() & ~f.geometry.is_empty] if len(f) else f
    if not len(f):
        return {name: empty_layer(name) for name in FILES}
    f = f.drop_duplicates(subset=["osm_type", "osm_id"]).reset_index(drop=True)
    tags = {k: _column(f, k) for k in ("name", "highway", "addr:street", "addr:housenumber", "place", "natural",
                                       "water", "waterway", "railway", "service", "leisure", "landuse")}
    out: dict[str, gpd.GeoDataFrame] = {}

    # streets: every named highway
    sel = tags["highway"].notna() & tags["name"].notna() & (f["osm_type"] != "node")
    s = f[sel].copy()
    s["name"], s["highway"] = tags["name"][sel], tags["highway"][sel]
    extra = tuple(k for k in STREET_NAME_TAGS if _column(s, k).notna().any()) if len(s) else ()
    for k in extra:
        s[k] = _column(s, k)
    s = _lines(_clip(_lines(s), area))
    out["strade"] = _sorted(_layer("strade", s, extra), ["name", "highway"])

    # address points: nodes, and buildings/areas as a point inside them
    sel = tags["addr:street"].notna() & tags["addr:housenumber"].notna()
    a = f[sel].copy()
    a["street"], a["number"] = tags["addr:street"][sel].astype(str).str.strip(), \
        tags["addr:housenumber"][sel].astype(str).str.strip()
    if len(a):
        a["geometry"] = a.geometry.representative_point()
        a = a[a.within(area)]
        a = a.drop_duplicates(subset=["street", "number", "geometry"])
    out["civici"] = _sorted(_layer("civici", a), ["street", "number"])

    # named places
    sel = tags["place"].isin(PLACE_KINDS) & tags["name"].notna()
    p = f[sel].copy()
    p["name"], p["place"] = tags["name"][sel], tags["place"][sel]
    if len(p):
        p["geometry"] = p.geometry.representative_point()
        p = p[p.within(area)]
    out["luoghi"] = _sorted(_layer("luoghi", p), ["place", "name"])

    # water: areas and the rivers/canals as lines
    sel_area = tags["natural"].eq("water")
    w_area = f[sel_area].copy()
    w_area["name"] = tags["name"][sel_area]
    w_area["kind"] = tags["water"][sel_area].fillna("water")
    w_area = _polygons(w_area)
    sel_line = tags["waterway"].isin(["river", "canal"]) & (f["osm_type"] == "way")
    w_line = f[sel_line].copy()
    w_line["name"], w_line["kind"] = tags["name"][sel_line], tags["waterway"][sel_line]
    w_line = _merge_lines(_lines(w_line), ["name", "kind"]) if len(w_line) else _layer("acque", w_line)
    if len(w_area):
        w_area = gpd.GeoDataFrame(w_area[["name", "kind", "geometry"]], geometry="geometry", crs=4326)
    water = pd.concat([g for g in (w_area, w_line) if len(g)]) if len(w_area) or len(w_line) else w_line
    water = _simplify(_clip(gpd.GeoDataFrame(water, geometry="geometry", crs=4326), area), tolerance_m)
    out["acque"] = _sorted(_layer("acque", water), ["kind", "name"])

    # railways: the running lines only (no sidings, yards, spurs)
    sel = tags["railway"].eq("rail") & tags["service"].isna() & (f["osm_type"] == "way")
    r = _merge_lines(_lines(f[sel]), []) if sel.any() else f[sel]
    r = _simplify(_clip(gpd.GeoDataFrame(r, geometry="geometry", crs=4326), area), tolerance_m)
    out["ferrovie"] = _sorted(_layer("ferrovie", r), [])

    # parks
    sel = tags["leisure"].eq("park") | tags["landuse"].isin(["recreation_ground", "grass"])
    k = f[sel].copy()
    k["name"] = tags["name"][sel]
    k = _polygons(k)
    if len(k):
        # grass verges are many and tiny: keep grass only from one hectare up
        big = k.to_crs(UTM).area >= 10_000
        k = k[_column(k, "landuse").ne("grass") | big]
    k = _simplify(_clip(gpd.GeoDataFrame(k, geometry="geometry", crs=4326), area), tolerance_m)
    out["parchi"] = _sorted(_layer("parchi", k), ["name"])

    # main roads, merged by name and class
    sel = tags["highway"].isin(MAIN_ROADS) & (f["osm_type"] == "way")
    m = f[sel].copy()
    m["name"], m["highway"] = tags["name"][sel], tags["highway"][sel]
    m = _merge_lines(_lines(m), ["name", "highway"]) if len(m) else m
    m = _simplify(_clip(gpd.GeoDataFrame(m, geometry="geometry", crs=4326), area), tolerance_m)
    out["strade_principali"] = _sorted(_layer("strade_principali", _lines(m) if len(m) else m), ["highway", "name"])
    out["edifici"] = _homes(f, area)
    return out


def _levels(value: Any) -> float:
    """``building:levels`` as a number (``"3"``, ``"2;3"`` -> the largest, ``"3.5"``); NaN when not one."""
    import re

    nums = [float(x) for x in re.findall(r"\d+(?:[.,]\d+)?", str(value or "").replace(",", "."))]
    return max(nums) if nums and max(nums) > 0 else float("nan")


def _homes(f: gpd.GeoDataFrame, area: Any) -> gpd.GeoDataFrame:
    """Buildings where people live: a point inside each, its footprint (m²) and levels when tagged.

    ``building`` in :data:`RESIDENTIAL_BUILDINGS`, or ``building=yes`` of at least
    :data:`GENERIC_BUILDING_MIN_M2` with no tag of a shop, office, school... (``_NOT_HOMES``).
    Only footprints count (a building mapped as a node has no area).
    """
    kind = _column(f, "building")
    generic = kind.eq("yes") & ~f["tags"].map(lambda t: isinstance(t, Mapping) and any(k in t for k in _NOT_HOMES))
    b = _polygons(f[kind.isin(RESIDENTIAL_BUILDINGS) | generic].copy())
    if not len(b):
        return _layer("edifici", b)
    b["kind"] = _column(b, "building")
    b["area_m2"] = b.to_crs(UTM).area.round(1).to_numpy()
    b["levels"] = _column(b, "building:levels").map(_levels)
    b = b[(b["kind"] != "yes") | (b["area_m2"] >= GENERIC_BUILDING_MIN_M2)]
    b["geometry"] = b.geometry.representative_point()
    b = b[b.within(area)]
    return _sorted(_layer("edifici", b), ["kind"])


def clip_streets(streets: gpd.GeoDataFrame, comuni: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street lines (``name``, ``highway``; e.g. the named edges of a graph) as the ``strade`` layer.

    Parameters
    ----------
    streets : GeoDataFrame
        Lines with ``name`` and ``highway`` columns, EPSG:4326.
    comuni : GeoDataFrame
        The comune polygons to clip to.

    Examples
    --------
    >>> strade = clip_streets(graph_streets(graph), comuni)     # doctest: +SKIP
    """
    import shapely

    area = shapely.union_all(comuni.to_crs(4326).geometry.to_numpy())
    s = _lines(_clip(_lines(gpd.GeoDataFrame(streets, geometry="geometry", crs=4326)), area))
    return _sorted(_layer("strade", s), ["name", "highway"])


# -- Overpass queries -----------------------------------------------------------------------------

#: What each download request asks for (layer name -> Overpass statements, ``{poly}`` = area filter).
#: Ways bring their nodes (``>``); areas and relations bring their members (``>>``).
_QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "strade": (('way["highway"]{poly}',), ">"),
    "civici": (('nwr["addr:housenumber"]["addr:street"]{poly}',), ">>"),
    "luoghi": (('nwr["place"~"^(' + "|".join(PLACE_KINDS) + ')$"]["name"]{poly}',), ">>"),
    "acque": (('nwr["natural"="water"]{poly}', 'way["waterway"~"^(river|canal)$"]{poly}'), ">>"),
    "ferrovie": (('way["railway"="rail"]{poly}',), ">"),
    "parchi": (('nwr["leisure"="park"]{poly}', 'nwr["landuse"~"^(recreation_ground|grass)$"]{poly}'), ">>"),
    "edifici": (tuple(kind + '["building"~"^(yes|' + "|".join(RESIDENTIAL_BUILDINGS) + ')$"]{poly}'
                      for kind in ("way", "relation")), ">>"),
}


def _poly_filter(geom: Any) -> str:
    ring = geom.exterior.coords
    return '(poly:"' + " ".join(f"{lat:.5f} {lon:.5f}" for lon, lat in ring[:-1]) + '")'


def overpass_queries(comuni: gpd.GeoDataFrame, *, timeout_s: int = 180, buffer_m: float = 100.0,
                     tolerance_m: float = 50.0) -> dict[str, str]:
    """The Overpass QL requests of a download, one per request (asked one at a time).

    Each comune polygon is buffered by ``buffer_m`` (streets on the border stay whole)
    and simplified (``tolerance_m``) into an Overpass ``poly`` filter; the answer is OSM
    XML with the nodes of every way, read by the same reader as a local file.

    Parameters
    ----------
    comuni : GeoDataFrame
        The comune polygons (any CRS).
    timeout_s : int
        The server-side timeout written in each query.

    Returns
    -------
    dict of str to str
        Request name (``strade`` also feeds the walking network and the main roads) -> query.

    Examples
    --------
    >>> q = overpass_queries(comuni)                 # doctest: +SKIP
    """
    g = comuni.to_crs(UTM).buffer(buffer_m).simplify(tolerance_m).to_crs(4326)
    polys = []
    for geom in g:
        for part in getattr(geom, "geoms", [geom]):
            polys.append(_poly_filter(part))
    queries = {}
    for name, (statements, recurse) in _QUERIES.items():
        body = "".join(f"  {s.format(poly=p)};\n" for s in statements for p in polys)
        queries[name] = f"[out:xml][timeout:{int(timeout_s)}];\n(\n{body});\n(._;{recurse};);\nout body;\n"
    return queries
