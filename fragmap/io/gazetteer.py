"""Read the gazetteer's optional sources (OSM, ANNCSU house numbers) and store the gazetteer.

The gazetteer file is a GeoPackage with a ``points`` layer (address points), an
optional ``lines`` layer (street geometry) and a ``sources`` layer (what it was
built from); official street names are re-read from the ANNCSU list each time.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from fragmap._errors import InputFileError
from fragmap.geocode.gazetteer import Gazetteer, official_streets


def read_osm_addresses(path: str | Path) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Address points (``street, number, lon, lat``) and named streets (lines) from an .osm XML file.

    Uses osmnx's offline readers (``features_from_xml``); no network.
    """
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    if path.suffix.lower() not in (".osm", ".xml"):
        raise InputFileError(f"{path}: give an OpenStreetMap XML file (.osm); convert .pbf with osmium first")
    try:
        addr = ox.features_from_xml(path, tags={"addr:housenumber": True})
    except Exception:  # osmnx raises InsufficientResponseError when nothing matches
        addr = gpd.GeoDataFrame(columns=["addr:street", "addr:housenumber", "geometry"], geometry="geometry", crs=4326)
    pts = pd.DataFrame(columns=["street", "number", "lon", "lat"])
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


def read_anncsu_numbers(path: str | Path) -> pd.DataFrame:
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
        raise InputFileError(f"{path}: needs an ODONIMO (or DUG and DUF) column")
    num_col = next((cols[c] for c in ("CIVICO", "NUMERO", "NUMERO_CIVICO") if c in cols), None)
    xc = next((cols[c] for c in ("COORD_X", "LONGITUDINE", "LON", "X") if c in cols), None)
    yc = next((cols[c] for c in ("COORD_Y", "LATITUDINE", "LAT", "Y") if c in cols), None)
    if num_col is None or xc is None or yc is None:
        raise InputFileError(f"{path}: needs CIVICO and coordinate columns (COORD_X/COORD_Y or lon/lat)")
    out = pd.DataFrame({"street": street, "number": f[num_col], "lon": parse_coordinate(f[xc]),
                        "lat": parse_coordinate(f[yc])})
    return out.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def write_gazetteer(gaz: Gazetteer, path: str | Path) -> Path:
    """Write the gazetteer to a GeoPackage (points, lines, sources)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    pts = gpd.GeoDataFrame(gaz.points, geometry=gpd.points_from_xy(gaz.points["lon"], gaz.points["lat"]), crs=4326)
    pts.to_file(path, layer="points", driver="GPKG", engine="pyogrio")
    if gaz.lines is not None and len(gaz.lines):
        gaz.lines.to_file(path, layer="lines", driver="GPKG", engine="pyogrio")
    meta = gpd.GeoDataFrame({"kind": ["source"] * len(gaz.sources) + ["note"] * len(gaz.notes),
                             "text": gaz.sources + gaz.notes}, geometry=[None] * (len(gaz.sources) + len(gaz.notes)), crs=4326)
    meta.to_file(path, layer="sources", driver="GPKG", engine="pyogrio")
    return path


def read_gazetteer(path: str | Path, streets_csv: str | Path) -> Gazetteer:
    """Read a gazetteer written by :func:`write_gazetteer` (street names from the ANNCSU list)."""
    import pyogrio

    path = Path(path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    pts = gpd.read_file(path, layer="points", engine="pyogrio")
    points = pd.DataFrame(pts.drop(columns="geometry"))
    points["number"] = points["number"].astype(int)
    lines = gpd.read_file(path, layer="lines", engine="pyogrio") if "lines" in layers else None
    meta = gpd.read_file(path, layer="sources", engine="pyogrio") if "sources" in layers else None
    streets = official_streets(pd.read_csv(streets_csv, dtype=str))
    extra = points[~points.set_index(["town", "key"]).index.isin(streets.set_index(["town", "key"]).index)]
    if len(extra):
        add = extra[["town", "key"]].drop_duplicates().assign(
            street_type=lambda d: d["key"].str.split(" ").str[0],
            street_name=lambda d: d["key"].str.split(" ", n=1).str[1].fillna(""),
            official=False,
        )
        streets = pd.concat([streets, add], ignore_index=True)
    sources = meta.loc[meta["kind"] == "source", "text"].tolist() if meta is not None else []
    notes = meta.loc[meta["kind"] == "note", "text"].tolist() if meta is not None else []
    return Gazetteer(streets, points.sort_values(["town", "key", "number"]).reset_index(drop=True), lines, notes, sources)
