"""Read OpenStreetMap files: ``.osm`` XML and ``.osm.pbf`` with pyosmium, ``.graphml`` with osmnx.

:func:`read_osm` turns one or more OSM files (a local extract, or the answers of an
Overpass download saved as .osm) into one table of elements with tags and geometry
(nodes as points, ways as lines or polygons, multipolygon relations as multipolygons)
plus the walkable ways with their node ids, from which :func:`walking_graph` builds the
walking network with osmnx. Only elements near ``bbox`` are kept, so a regional
extract (Geofabrik, BBBike) can be given as it is.

Examples
--------
>>> osm = read_osm(["pavia.osm.pbf"], bbox=(9.08, 45.14, 9.25, 45.24))   # doctest: +SKIP
>>> g = walking_graph(osm, comuni_polygon)                               # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pandas as pd

from fragmap._errors import InputFileError
from fragmap.geodata import is_walkable
from fragmap.i18n import translate

#: File types read by :func:`read_osm` (``.graphml`` is a network: :func:`read_graphml`).
OSM_SUFFIXES = (".osm", ".xml", ".pbf", ".graphml")

#: Tag keys that make an element worth reading (everything else is skipped early).
KEYS = ("highway", "addr:housenumber", "place", "natural", "waterway", "railway", "leisure", "landuse", "building")

# Closed ways with these keys are areas (polygons) unless area=no; highways only with area=yes.
_AREA_KEYS = ("building", "natural", "landuse", "leisure", "place", "amenity", "water", "addr:housenumber")

MESSAGES: dict[str, dict[str, str]] = {
    "not_found": {"it": "{path}: file non trovato", "en": "{path}: file not found"},
    "format": {
        "it": "{path}: formato non riconosciuto; usa un file OpenStreetMap .osm (XML), .osm.pbf o .graphml",
        "en": "{path}: unknown format; give an OpenStreetMap .osm (XML), .osm.pbf or .graphml file",
    },
    "unreadable": {
        "it": "{path}: file OpenStreetMap illeggibile ({error}). È un .osm o .osm.pbf completo?",
        "en": "{path}: unreadable OpenStreetMap file ({error}). Is it a complete .osm or .osm.pbf?",
    },
    "graphml": {"it": "{path}: grafo .graphml illeggibile ({error})", "en": "{path}: unreadable .graphml graph ({error})"},
}


def _t(key: str, language: str, /, **values: Any) -> str:
    return translate(MESSAGES, key, language, **values)


@dataclass
class OsmData:
    """OpenStreetMap elements read from files.

    Attributes
    ----------
    features : GeoDataFrame
        ``osm_type`` (node/way/relation), ``osm_id``, ``tags`` (dict), geometry (EPSG:4326).
    walk_ways : list of tuple
        ``(way_id, tags, [(node_id, lon, lat), ...])`` of the walkable ways, for the network.
    files : list of Path
        The files read.
    """

    features: gpd.GeoDataFrame
    walk_ways: list[tuple[int, dict[str, str], list[tuple[int, float, float]]]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _near(bbox: tuple[float, float, float, float] | None, xs: Iterable[float], ys: Iterable[float]) -> bool:
    if bbox is None:
        return True
    xs, ys = list(xs), list(ys)
    if not xs:
        return False
    w, s, e, n = bbox
    return not (max(xs) < w or min(xs) > e or max(ys) < s or min(ys) > n)


def _is_area(tags: dict[str, str]) -> bool:
    if tags.get("area") == "no":
        return False
    if tags.get("area") == "yes":
        return True
    if any(k in tags for k in ("highway", "railway", "waterway", "barrier")):
        return False
    return any(k in tags for k in _AREA_KEYS)


def _read_file(path: Path, bbox: tuple[float, float, float, float] | None
               ) -> tuple[list[dict[str, Any]], dict[int, tuple[int, dict[str, str], list[tuple[int, float, float]]]]]:
    """The elements of one file near ``bbox`` (rows of :attr:`OsmData.features`) and its walkable ways."""
    import osmium
    import shapely
    from shapely import wkb

    rows: list[dict[str, Any]] = []
    walk: dict[int, tuple[int, dict[str, str], list[tuple[int, float, float]]]] = {}
    factory = osmium.geom.WKBFactory()
    fp = (osmium.FileProcessor(str(path)).with_locations().with_areas(osmium.filter.KeyFilter(*KEYS))
          .with_filter(osmium.filter.KeyFilter(*KEYS)))
    for obj in fp:
        tags = {t.k: t.v for t in obj.tags}
        if obj.is_node():
            loc = obj.location
            if loc.valid() and _near(bbox, [loc.lon], [loc.lat]):
                rows.append({"osm_type": "node", "osm_id": obj.id, "tags": tags,
                             "geometry": shapely.Point(loc.lon, loc.lat)})
        elif obj.is_way():
            nodes = [(n.ref, n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if len(nodes) < 2 or not _near(bbox, [n[1] for n in nodes], [n[2] for n in nodes]):
                continue
            coords = [(x, y) for _, x, y in nodes]
            closed = len(nodes) >= 4 and nodes[0][0] == nodes[-1][0]
            geom = shapely.Polygon(coords) if closed and _is_area(tags) else shapely.LineString(coords)
            rows.append({"osm_type": "way", "osm_id": obj.id, "tags": tags, "geometry": geom})
            if is_walkable(tags):
                walk[obj.id] = (obj.id, tags, nodes)
        elif obj.is_area() and not obj.from_way():
            try:
                geom = wkb.loads(factory.create_multipolygon(obj), hex=True)
            except Exception:  # a broken multipolygon in OSM: leave it out
                continue
            b = geom.bounds
            if _near(bbox, [b[0], b[2]], [b[1], b[3]]):
                rows.append({"osm_type": "relation", "osm_id": obj.orig_id(), "tags": tags, "geometry": geom})
    return rows, walk


def read_osm(paths: Sequence[str | Path], *, bbox: tuple[float, float, float, float] | None = None,
             language: str = "it") -> OsmData:
    """Elements with the tags fragmap uses, from .osm / .osm.pbf files (pyosmium).

    Parameters
    ----------
    paths : sequence of path
        OSM XML (``.osm``, ``.xml``) or PBF (``.osm.pbf``) files; an element in several
        files is kept once.
    bbox : (west, south, east, north), optional
        Keep only elements touching this box (EPSG:4326).
    language : str
        Language of error messages.

    Returns
    -------
    OsmData

    Raises
    ------
    InputFileError
        A file is missing, of another type or unreadable.

    Examples
    --------
    >>> osm = read_osm(["estratto.osm.pbf"])          # doctest: +SKIP
    >>> osm.features["osm_type"].value_counts()       # doctest: +SKIP
    """
    rows: list[dict[str, Any]] = []
    walk: dict[int, tuple[int, dict[str, str], list[tuple[int, float, float]]]] = {}
    seen: set[tuple[str, int]] = set()
    for path in map(Path, paths):
        if not path.exists():
            raise InputFileError(_t("not_found", language, path=path))
        if path.suffix.lower() not in (".osm", ".xml", ".pbf"):
            raise InputFileError(_t("format", language, path=path))
        try:
            found, ways = _read_file(path, bbox)
        except RuntimeError as exc:  # libosmium reports a bad file as RuntimeError
            if "out of order" not in str(exc) or path.suffix.lower() == ".pbf":
                raise InputFileError(_t("unreadable", language, path=path, error=exc)) from exc
            # OSM XML saved by some tools (and old Overpass answers) lists elements out of
            # order, which libosmium refuses: read a sorted copy
            with tempfile.TemporaryDirectory(prefix="fragmap-osm-") as tmp:
                copy = Path(tmp) / "ordinato.osm"
                shutil.copyfile(path, copy)
                try:
                    found, ways = _read_file(sort_osm_xml(copy), bbox)
                except (RuntimeError, ValueError) as again:
                    raise InputFileError(_t("unreadable", language, path=path, error=again)) from again
        for row in found:
            key = (row["osm_type"], row["osm_id"])
            if key not in seen:
                seen.add(key)
                rows.append(row)
        for wid, way in ways.items():
            walk.setdefault(wid, way)
    frame = pd.DataFrame(rows, columns=["osm_type", "osm_id", "tags", "geometry"])
    features = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
    return OsmData(features, sorted(walk.values()), [Path(p) for p in paths])


def sort_osm_xml(path: str | Path) -> Path:
    """Rewrite an OSM XML file in place with nodes, then ways, then relations, each by id.

    libosmium reads node locations as it goes and refuses unsorted XML. Overpass prints
    in that order already (``out`` sorts ascending by type and id); this makes a
    downloaded file safe whatever the server does (three streaming passes; one type's
    elements are held in memory at a time).

    Examples
    --------
    >>> sort_osm_xml("scarico/strade.osm")     # doctest: +SKIP
    """
    import os
    import xml.etree.ElementTree as ET

    path = Path(path)
    tmp = path.with_name(f".{path.name}.sorted")
    with tmp.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="fragmap (sorted)">\n')
        for kind in ("node", "way", "relation"):
            depth = 0
            found: list[tuple[int, bytes]] = []
            for event, elem in ET.iterparse(path, events=("start", "end")):
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth == 1:  # a child of <osm>
                    if elem.tag == kind:
                        elem.tail = "\n"
                        found.append((int(elem.get("id", 0)), ET.tostring(elem, encoding="utf-8",
                                                                          xml_declaration=False)))
                    elem.clear()
            found.sort(key=lambda item: item[0])
            out.writelines(b for _, b in found)
        out.write(b"</osm>\n")
    os.replace(tmp, path)
    return path


def write_walk_xml(ways: Sequence[tuple[int, dict[str, str], list[tuple[int, float, float]]]], path: str | Path) -> Path:
    """An OSM XML file with only these ways and their nodes (what ``osmnx.graph_from_xml`` reads).

    Examples
    --------
    >>> write_walk_xml(osm.walk_ways, "rete.osm")     # doctest: +SKIP
    """
    path = Path(path)
    nodes: dict[int, tuple[float, float]] = {}
    for _, _, nds in ways:
        for ref, x, y in nds:
            nodes[ref] = (x, y)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="fragmap">\n')
        for ref in sorted(nodes):
            x, y = nodes[ref]
            fh.write(f'  <node id="{ref}" version="1" lat="{y:.7f}" lon="{x:.7f}"/>\n')
        for wid, tags, nds in ways:
            fh.write(f'  <way id="{wid}" version="1">\n')
            fh.writelines(f'    <nd ref="{ref}"/>\n' for ref, _, _ in nds)
            fh.writelines(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in sorted(tags.items()))
            fh.write("  </way>\n")
        fh.write("</osm>\n")
    return path


def walking_graph(osm: OsmData, polygon: Any) -> Any | None:
    """The walking network of ``osm`` inside ``polygon`` (osmnx MultiDiGraph), or None if empty.

    The walkable ways are written to a temporary OSM XML file and read with
    ``osmnx.graph_from_xml`` (as :func:`fragmap.io.network.read_network` does: not
    simplified, both directions, largest connected part), then cut to ``polygon``.

    Examples
    --------
    >>> g = walking_graph(osm, comuni.union_all().buffer(0.003))    # doctest: +SKIP
    """
    if not osm.walk_ways:
        return None
    import osmnx as ox

    with tempfile.TemporaryDirectory(prefix="fragmap-rete-") as tmp:
        xml = write_walk_xml(osm.walk_ways, Path(tmp) / "rete.osm")
        graph = ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=True)
    graph = clip_graph(graph, polygon)
    return None if graph is None else lean_graph(graph)


def lean_graph(graph: Any) -> Any:
    """Keep only what walking access reads: node ``x, y`` (7 decimals) and edge ``length`` (cm).

    A town's network then stores in about half the space and loads several times faster
    (osmnx parses every attribute of every edge on load); street names are in ``strade``.
    """
    for _, data in graph.nodes(data=True):
        for key in [k for k in data if k not in ("x", "y")]:
            del data[key]
        data["x"], data["y"] = round(float(data["x"]), 7), round(float(data["y"]), 7)
    for _, _, data in graph.edges(data=True):
        length = round(float(data.get("length", 0.0)), 2)
        data.clear()
        data["length"] = length
    return graph


def clip_graph(graph: Any, polygon: Any) -> Any | None:
    """The largest connected part of ``graph`` inside ``polygon`` (EPSG:4326), or None."""
    import osmnx as ox

    try:
        graph = ox.truncate.truncate_graph_polygon(graph, polygon, truncate_by_edge=True)
        graph = ox.truncate.largest_component(graph, strongly=False)
    except ValueError:  # osmnx: nothing left inside the polygon
        return None
    return graph if graph.number_of_nodes() else None


def read_graphml(path: str | Path, *, language: str = "it") -> Any:
    """An osmnx GraphML graph, with a clear error for a bad file."""
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputFileError(_t("not_found", language, path=path))
    try:
        return ox.load_graphml(path)
    except Exception as exc:  # networkx/osmnx raise many kinds on a bad file
        raise InputFileError(_t("graphml", language, path=path, error=exc)) from exc


def graph_streets(graph: Any) -> gpd.GeoDataFrame:
    """Named edges of a graph as street lines (``name``, ``highway``), EPSG:4326.

    A list-valued name or highway (osmnx merges ways when it simplifies) gives one
    line per name and the first highway class.
    """
    import osmnx as ox

    empty = gpd.GeoDataFrame({"name": pd.Series(dtype=object), "highway": pd.Series(dtype=object)},
                             geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    if graph is None or not graph.number_of_edges():
        return empty
    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True)
    if "name" not in edges.columns:
        return empty
    e = edges.reset_index(drop=True)
    hw = e["highway"] if "highway" in e.columns else pd.Series([None] * len(e))
    e = gpd.GeoDataFrame({"name": e["name"], "highway": hw.map(lambda h: h[0] if isinstance(h, list) else h)},
                         geometry=e.geometry.to_numpy(), crs=e.crs or 4326)
    e = e[e["name"].notna()].explode("name", ignore_index=True)
    e = e[e["name"].astype(str).str.strip().ne("")]
    # both directions of a street are two edges with the same line: keep one
    e = e.to_crs(4326)
    e["_k"] = e.geometry.map(lambda g: tuple(sorted([g.coords[0], g.coords[-1]])))
    e = e.drop_duplicates(subset=["name", "_k"]).drop(columns="_k")
    return gpd.GeoDataFrame(e.reset_index(drop=True), geometry="geometry", crs=4326)
