"""Read geographic inputs: comune boundaries, quarter files, population tables, services.

Vector files are read with pyogrio (GeoPackage, GeoJSON, Shapefile...). Everything
returned is in EPSG:4326; pure modules reproject to EPSG:32632 for areas and
distances.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from fragmap._errors import InputFileError, QuartersError


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(f"{path}: cannot read the geographic file ({exc})") from exc
    return gdf


def read_boundaries(path: str | Path, *, towns: tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
    """Comune polygons with a ``name`` column, EPSG:4326, filtered to ``towns`` when given.

    Raises
    ------
    InputFileError
        If a configured town is not in the file.
    """
    gdf = _read_vector(Path(path))
    if "name" not in gdf.columns:
        raise InputFileError(f"{path}: boundaries need a 'name' column with the comune name")
    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    if towns is not None:
        missing = sorted(set(towns) - set(gdf["name"]))
        if missing:
            raise InputFileError(f"{path}: no boundary for {', '.join(missing)}")
        gdf = gdf[gdf["name"].isin(towns)]
    keep = [c for c in ("name", "com_istat_code", "geometry") if c in gdf.columns]
    return gdf[keep].sort_values("name").reset_index(drop=True)


def read_quarters(path: str | Path, *, name_column: str = "name", town_column: str | None = None) -> gpd.GeoDataFrame:
    """A quarter boundary file (any CRS) as ``name[, town], geometry`` in EPSG:4326.

    Raises
    ------
    QuartersError
        No CRS, no name column, or no polygon.
    """
    gdf = _read_vector(Path(path))
    if gdf.crs is None:
        raise QuartersError(
            f"{path}: the file has no coordinate reference system; save it with one "
            "(e.g. EPSG:4326 or EPSG:32632)"
        )
    if name_column not in gdf.columns:
        raise QuartersError(
            f"{path}: no column {name_column!r} with the quarter names; columns are "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')} "
            "(set [quarters] name_column in fragmap.toml)"
        )
    gdf = gdf[gdf.geometry.notna() & gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise QuartersError(f"{path}: no polygon in the file")
    cols = {name_column: "name"}
    if town_column and town_column in gdf.columns:
        cols[town_column] = "town"
    out = gdf.rename(columns=cols)[[*cols.values(), "geometry"]].to_crs(4326)
    out["name"] = out["name"].astype(str).str.strip()
    return out.reset_index(drop=True)


def read_population(path: str | Path) -> pd.DataFrame:
    """ISTAT residents by comune and single year of age: ``istat, comune, age, F, M, tot``."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    df = pd.read_csv(path, dtype={"istat": str})
    needed = {"comune", "age", "tot"}
    if not needed <= set(df.columns):
        raise InputFileError(f"{path}: population needs columns {', '.join(sorted(needed))}")
    return df


def read_quarter_population(path: str | Path) -> pd.DataFrame:
    """A user table of residents per quarter: ``name`` (or ``quarter_id``), ``population``[, ``pop_65``]."""
    from fragmap.io.tables import read_table
    from fragmap.reports import parse_coordinate

    frame = read_table(path).frame
    cols = {c.lower().strip(): c for c in frame.columns}
    key = next((cols[k] for k in ("quarter_id", "name", "quartiere", "nome") if k in cols), None)
    pop = next((cols[k] for k in ("population", "popolazione", "residenti") if k in cols), None)
    if key is None or pop is None:
        raise InputFileError(f"{path}: needs a quarter name column and a population column")
    out = pd.DataFrame({"key": frame[key].astype(str).str.strip(),
                        "population": parse_coordinate(frame[pop].str.replace(".", "", regex=False))})
    p65 = next((cols[k] for k in ("pop_65", "over65", "residenti_65") if k in cols), None)
    if p65 is not None:
        out["pop_65"] = parse_coordinate(frame[p65].str.replace(".", "", regex=False))
    out.attrs["key"] = "quarter_id" if key.lower() == "quarter_id" else "name"
    return out


def read_services(path: str | Path) -> pd.DataFrame:
    """A services file (GeoJSON/GPKG, or CSV/XLSX with lat/lon or an address) as a table.

    Columns are left as in the file plus ``lat``/``lon`` (NaN if absent) and
    ``source_file``; :func:`fragmap.access.normalise_services` makes them uniform.
    """
    path = Path(path)
    if path.suffix.lower() in (".geojson", ".json", ".gpkg", ".shp"):
        gdf = _read_vector(path).to_crs(4326)
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        pts = gdf.geometry.representative_point()
        df["lon"], df["lat"] = pts.x, pts.y
    else:
        from fragmap.io.tables import read_table
        from fragmap.reports import parse_coordinate

        df = read_table(path).frame.reset_index(drop=True)
        for c in ("lat", "lon"):
            df[c] = parse_coordinate(df[c]) if c in df.columns else float("nan")
    df["source_file"] = path.name
    return df
