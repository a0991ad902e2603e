"""Read the gazetteer's optional sources (OSM .osm / .graphml, ANNCSU house numbers) and store the gazetteer.

The gazetteer file is a GeoPackage with a ``points`` layer (address points), an
optional ``lines`` layer (street geometry) and a ``sources`` layer (what it was
built from: file names, sizes, SHA-256 and dates); official street names are
re-read from the ANNCSU list each time. It is written to a temporary file in the
same folder and moved into place (``os.replace``), so a failed build never leaves
a broken or missing gazetteer behind.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from fragmap._errors import InputFileError
from fragmap.geocode.gazetteer import GAZETTEER_FORMAT, Gazetteer, official_streets, rekey, split_key
from fragmap.i18n import translate
from fragmap.io.geodata import describe_source  # noqa: F401  (the gazetteer records its sources with it)

#: Street-data formats ``fragmap gazetteer build --osm`` accepts.
OSM_SUFFIXES = (".osm", ".xml", ".graphml", ".pbf", ".json")

MESSAGES: dict[str, dict[str, str]] = {
    "not_found": {"it": "{path}: file non trovato", "en": "{path}: file not found"},
    "format": {
        "it": "{path}: formato non riconosciuto; usa un file OpenStreetMap .osm (XML), .osm.pbf o .graphml",
        "en": "{path}: unknown format; give an OpenStreetMap .osm (XML), .osm.pbf or .graphml file",
    },
    "graphml": {"it": "{path}: grafo .graphml illeggibile ({error})", "en": "{path}: unreadable .graphml graph ({error})"},
    "anncsu_columns": {
        "it": "{path}: servono una colonna ODONIMO (o DUG e DUF), CIVICO e le coordinate (COORD_X/COORD_Y o lon/lat)",
        "en": "{path}: needs an ODONIMO (or DUG and DUF) column, CIVICO and coordinates (COORD_X/COORD_Y or lon/lat)",
    },
}


def _t(key: str, language: str, /, **values: Any) -> str:
    return translate(MESSAGES, key, language, **values)


def read_street_source(path: str | Path, *, language: str = "it") -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Address points and street lines from an OSM file: .osm XML, or an osmnx .graphml graph.

    A .graphml graph has no addresses: only its named edges are read, as street lines.
    A .osm.pbf file is read with pyosmium; a ``geodati.json`` gives the layers of the stored
    geodata set beside it (``civici`` and ``strade``, see ``fragmap geodati``).

    Returns
    -------
    points : DataFrame
        ``street, number, lon, lat``.
    lines : GeoDataFrame
        ``name`` and line geometry, EPSG:4326.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(_t("not_found", language, path=path))
    suffix = path.suffix.lower()
    if suffix == ".pbf":
        return read_pbf_addresses(path, language=language)
    if suffix == ".json" and path.name == "geodati.json":
        return read_geodata_addresses(path, language=language)
    if suffix == ".graphml":
        return _empty_points(), read_graphml_streets(path, language=language)
    if suffix in (".osm", ".xml"):
        return read_osm_addresses(path)
    raise InputFileError(_t("format", language, path=path))


def read_pbf_addresses(path: str | Path, *, language: str = "it") -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Address points and named street lines from an .osm.pbf file (pyosmium, see :mod:`fragmap.io.osm`)."""
    from fragmap.io.osm import read_osm

    features = read_osm([path], language=language).features
    return _osm_features_to_sources(features)


def _osm_features_to_sources(features: gpd.GeoDataFrame) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    def tag(key: str) -> pd.Series:
        return features["tags"].map(lambda t: t.get(key) if isinstance(t, dict) else None)

    pts = _empty_points()
    if not len(features):
        return pts, gpd.GeoDataFrame({"name": []}, geometry=[], crs=4326)
    street, number = tag("addr:street"), tag("addr:housenumber")
    a = features[street.notna() & number.notna()]
    if len(a):
        c = a.geometry.representative_point()
        pts = pd.DataFrame({"street": street[a.index].astype(str).to_numpy(),
                            "number": number[a.index].astype(str).to_numpy(), "lon": c.x.to_numpy(), "lat": c.y.to_numpy()})
    name = tag("name")
    ways = features[tag("highway").notna() & name.notna() & features.geom_type.isin(["LineString", "MultiLineString"])]
    lines = gpd.GeoDataFrame({"name": name[ways.index].astype(str).to_numpy()}, geometry=ways.geometry.to_numpy(), crs=4326)
    return pts, lines


def read_geodata_addresses(path: str | Path, *, language: str = "it") -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Address points and street lines of a stored geodata set (its ``geodati.json``; see :mod:`fragmap.io.geodata`)."""
    from fragmap.io.geodata import read_geodata

    gd = read_geodata(Path(path).parent, language=language)
    civ = gd["civici"]
    pts = _empty_points()
    if len(civ):
        pts = pd.DataFrame({"street": civ["street"].astype(str).to_numpy(), "number": civ["number"].astype(str).to_numpy(),
                            "lon": civ.geometry.x.to_numpy(), "lat": civ.geometry.y.to_numpy()})
    st = gd["strade"]
    lines = gpd.GeoDataFrame({"name": st["name"].astype(str).to_numpy()}, geometry=st.geometry.to_numpy(), crs=4326)
    return pts, lines


def _empty_points() -> pd.DataFrame:
    return pd.DataFrame({"street": pd.Series(dtype=str), "number": pd.Series(dtype=str),
                         "lon": pd.Series(dtype=float), "lat": pd.Series(dtype=float)})


def read_graphml_streets(path: str | Path, *, language: str = "it") -> gpd.GeoDataFrame:
    """Named street lines (``name``, geometry in EPSG:4326) from an osmnx .graphml graph.

    Uses ``osmnx.load_graphml``; an edge whose ``name`` is a list (osmnx merges ways when
    it simplifies a graph) gives one line per name. Edges without geometry get the
    straight line between their nodes.
    """
    import osmnx as ox

    path = Path(path)
    try:
        graph = ox.load_graphml(path)
        edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True)
    except Exception as exc:  # osmnx/networkx raise many kinds on a bad file
        raise InputFileError(_t("graphml", language, path=path, error=exc)) from exc
    if "name" not in edges.columns or not len(edges):
        return gpd.GeoDataFrame({"name": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    e = edges[["name", "geometry"]].reset_index(drop=True)
    e = e[e["name"].notna()].explode("name", ignore_index=True)
    e = e[e["name"].astype(str).str.strip().ne("")]
    if e.crs is None:
        e = e.set_crs(graph.graph.get("crs", 4326))
    return gpd.GeoDataFrame({"name": e["name"].astype(str).to_numpy()}, geometry=e.geometry.to_numpy(),
                            crs=e.crs).to_crs(4326)


def read_osm_addresses(path: str | Path) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Address points (``street, number, lon, lat``) and named streets (lines) from an .osm XML file.

    Uses osmnx's offline readers (``features_from_xml``); no network.
    """
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputFileError(_t("not_found", "it", path=path))
    if path.suffix.lower() not in (".osm", ".xml"):
        return read_street_source(path)
    try:
        addr = ox.features_from_xml(path, tags={"addr:housenumber": True})
    except Exception:  # osmnx raises InsufficientResponseError when nothing matches
        addr = gpd.GeoDataFrame(columns=["addr:street", "addr:housenumber", "geometry"], geometry="geometry", crs=4326)
    pts = _empty_points()
    if len(addr) and "addr:street" in addr.columns:
        addr = addr[addr["addr:street"].notna()]
        c = addr.geometry.representative_point()
        pts = pd.DataFrame({"street": addr["addr:street"].astype(str).to_numpy(),
                            "number": addr["addr:housenumber"].astype(str).to_numpy(),
                            "lon": c.x.to_numpy(), "lat": c.y.to_numpy()})
    try:
        ways = ox.features_from_xml(path, tags={"highway": True})
        ways = ways[ways.geom_type.isin(["LineString", "MultiLineString"]) & ways["name"].notna()]
        lines = gpd.GeoDataFrame({"name": ways["name"].astype(str).to_numpy()}, geometry=ways.geometry.to_numpy(), crs=4326)
    except Exception:
        lines = gpd.GeoDataFrame({"name": []}, geometry=[], crs=4326)
    return pts, lines


def read_anncsu_numbers(path: str | Path, *, language: str = "it") -> pd.DataFrame:
    """An ANNCSU house-number CSV with coordinates, read liberally, as ``street, number, lon, lat``.

    Accepts columns like ODONIMO (or DUG + DUF), CIVICO[, ESPONENTE], and COORD_X/COORD_Y,
    LONGITUDINE/LATITUDINE or lon/lat (decimal comma allowed).
    """
    from fragmap.io.tables import read_table
    from fragmap.reports import parse_coordinate

    f = read_table(path).frame
    cols = {c.upper(): c for c in f.columns}
    if "ODONIMO" in cols:
        street = f[cols["ODONIMO"]]
    elif "DUG" in cols and "DUF" in cols:
        street = f[cols["DUG"]] + " " + f[cols["DUF"]]
    else:
        raise InputFileError(_t("anncsu_columns", language, path=path))
    num_col = next((cols[c] for c in ("CIVICO", "NUMERO", "NUMERO_CIVICO") if c in cols), None)
    xc = next((cols[c] for c in ("COORD_X", "LONGITUDINE", "LON", "X") if c in cols), None)
    yc = next((cols[c] for c in ("COORD_Y", "LATITUDINE", "LAT", "Y") if c in cols), None)
    if num_col is None or xc is None or yc is None:
        raise InputFileError(_t("anncsu_columns", language, path=path))
    out = pd.DataFrame({"street": street, "number": f[num_col], "lon": parse_coordinate(f[xc]),
                        "lat": parse_coordinate(f[yc])})
    return out.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def write_gazetteer(gaz: Gazetteer, path: str | Path) -> Path:
    """Write the gazetteer to a GeoPackage (points, lines, sources), atomically.

    Everything is written to a temporary file in the same folder, which then replaces
    ``path`` in one step: a crash mid-write leaves the previous gazetteer intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix or '.gpkg'}")
    try:
        pts = gpd.GeoDataFrame(gaz.points, geometry=gpd.points_from_xy(gaz.points["lon"], gaz.points["lat"]), crs=4326)
        pts.to_file(tmp, layer="points", driver="GPKG", engine="pyogrio")
        if gaz.lines is not None and len(gaz.lines):
            gaz.lines.to_file(tmp, layer="lines", driver="GPKG", engine="pyogrio")
        if gaz.places is not None and len(gaz.places):
            gpd.GeoDataFrame(gaz.places, geometry=gpd.points_from_xy(gaz.places["lon"], gaz.places["lat"]),
                             crs=4326).to_file(tmp, layer="places", driver="GPKG", engine="pyogrio")
        if gaz.links is not None and len(gaz.links):
            lk = gaz.links.copy()
            for c in lk.columns:
                lk[c] = lk[c].astype(float) if c == "score" else lk[c].astype(str)
            gpd.GeoDataFrame(lk, geometry=[None] * len(lk), crs=4326).to_file(
                tmp, layer="links", driver="GPKG", engine="pyogrio")
        rows: list[dict[str, Any]] = [{"kind": "format", "text": GAZETTEER_FORMAT}]
        rows += [{"kind": "source", "text": s} for s in gaz.sources]
        rows += [{"kind": "note", "text": s} for s in gaz.notes]
        for f in gaz.source_files:
            kind = "built" if f.get("label") == "built" else "file"
            rows.append({"kind": kind, "text": f.get("label", ""), "file": f.get("file", ""),
                         "bytes": f.get("bytes"), "sha256": f.get("sha256", ""), "modified": f.get("modified", "")})
        meta = pd.DataFrame(rows, columns=["kind", "text", "file", "bytes", "sha256", "modified"])
        meta["bytes"] = pd.to_numeric(meta["bytes"], errors="coerce").astype("Int64")
        for c in ("text", "file", "sha256", "modified"):
            meta[c] = meta[c].fillna("").astype(str)
        gpd.GeoDataFrame(meta, geometry=[None] * len(meta), crs=4326).to_file(
            tmp, layer="sources", driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal"), tmp.with_name(tmp.name + "-wal"),
                         tmp.with_name(tmp.name + "-shm")):
            if leftover.exists():
                leftover.unlink()
    return path


def read_gazetteer(path: str | Path, streets_csv: str | Path) -> Gazetteer:
    """Read a gazetteer written by :func:`write_gazetteer` (street names from the ANNCSU list)."""
    import pyogrio

    path = Path(path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    pts = gpd.read_file(path, layer="points", engine="pyogrio")
    points = pd.DataFrame(pts.drop(columns="geometry"))
    points["number"] = points["number"].astype(int)
    if "spread_m" not in points:
        points["spread_m"] = 0.0
    lines = gpd.read_file(path, layer="lines", engine="pyogrio") if "lines" in layers else None
    meta = gpd.read_file(path, layer="sources", engine="pyogrio") if "sources" in layers else None
    streets = official_streets(pd.read_csv(streets_csv, dtype=str))
    keys = pd.concat([points[["town", "key"]], lines[["town", "key"]] if lines is not None else None])
    extra = keys[~keys.set_index(["town", "key"]).index.isin(streets.set_index(["town", "key"]).index)]
    if len(extra):
        add = extra.drop_duplicates().reset_index(drop=True)
        parts = [split_key(k) for k in add["key"]]
        add["street_type"] = [p[0] for p in parts]
        add["name_key"] = [p[1] for p in parts]
        add["street_name"] = add["name_key"]
        add["official"] = False
        streets = pd.concat([streets, add[streets.columns]], ignore_index=True)
    sources: list[str] = []
    notes: list[str] = []
    files: list[dict[str, Any]] = []
    fmt = "1"
    if meta is not None:
        for row in meta.drop(columns="geometry").to_dict("records"):
            if row["kind"] == "format":
                fmt = str(row["text"])
            elif row["kind"] == "source":
                sources.append(row["text"])
            elif row["kind"] == "note":
                notes.append(row["text"])
            else:
                files.append({"label": row["text"] if row["kind"] == "file" else "built",
                              "file": row.get("file") or "", "bytes": row.get("bytes"),
                              "sha256": row.get("sha256") or "", "modified": row.get("modified") or ""})
    places = None
    if "places" in layers:
        places = pd.DataFrame(gpd.read_file(path, layer="places", engine="pyogrio").drop(columns="geometry"))
    links = None
    if "links" in layers:
        links = pd.DataFrame(gpd.read_file(path, layer="links", engine="pyogrio").drop(columns="geometry"))
        links["typed"] = links["typed"].astype(str).eq("True")
        for c in ("key", "candidates", "method"):
            links[c] = links[c].fillna("").astype(str)
    gaz = Gazetteer(streets, points.sort_values(["town", "key", "number"]).reset_index(drop=True), lines, notes,
                    sources, files, fmt, links=links, places=places)
    # a file written with older matching rules: same data, keys brought up to date
    return rekey(gaz) if fmt != GAZETTEER_FORMAT else gaz
