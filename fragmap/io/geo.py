"""Read geographic inputs: comune boundaries, quarter files, population tables, services.

Vector files are read with pyogrio (GeoPackage, GeoJSON, Shapefile...). Everything
returned is in EPSG:4326; pure modules reproject to EPSG:32632 for areas and
distances.
"""

from __future__ import annotations

import re
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


def read_boundaries(path: str | Path, *, towns: tuple[str, ...] | None = None,
                    codes: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """Comune polygons with a ``name`` column, EPSG:4326, filtered to ``towns`` when given.

    ``codes`` (town name -> short code, :attr:`fragmap.settings.Settings.town_codes`) adds a
    ``code`` column, the prefix of the town's area ids.

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
    if codes is not None:
        gdf = gdf.assign(code=gdf["name"].map(codes))
    keep = [c for c in ("name", "com_istat_code", "code", "geometry") if c in gdf.columns]
    return gdf[keep].sort_values("name").reset_index(drop=True)


def read_quarters(path: str | Path, *, name_column: str = "name", town_column: str | None = None) -> gpd.GeoDataFrame:
    """A quarter boundary file (any CRS) as ``name[, town][, source], geometry`` in EPSG:4326.

    A ``town`` column is kept when ``town_column`` names one, or when the file has a column
    called ``town``; a ``source`` column (``file`` / ``stradario`` / ``griglia``, as written by
    ``fragmap quarters from-streets``) is kept so a rebuilt file stays labelled "not official".

    Raises
    ------
    QuartersError
        No CRS, no name column, or no polygon.

    Examples
    --------
    >>> raw = read_quarters("quartieri.gpkg", name_column="nome")     # doctest: +SKIP
    >>> quarters, check = prepare_quarters(raw, comuni)              # doctest: +SKIP
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
    if town_column is None and "town" in gdf.columns and name_column != "town":
        town_column = "town"
    if town_column and town_column in gdf.columns:
        cols[town_column] = "town"
    if "source" in gdf.columns and "source" not in cols:
        cols["source"] = "source"
    out = gdf.rename(columns=cols)[[*cols.values(), "geometry"]].to_crs(4326)
    out["name"] = out["name"].astype(str).str.strip()
    if "source" in out.columns:
        out["source"] = out["source"].astype("string").str.strip().str.lower()
    return out.reset_index(drop=True)


def write_quarters(quarters: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write quarters as a GeoPackage (layer ``quartieri``), keeping ``source``.

    Only ``quarter_id, name, town, source[, nota]`` and the polygons are written (EPSG:4326), so
    the file can be given back as ``[paths] quarters`` and stays labelled by its source.

    Examples
    --------
    >>> write_quarters(quarters, "quartieri.gpkg")     # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputFileError(f"{path}: write quarters to a GeoPackage (.gpkg)")
    keep = [c for c in ("quarter_id", "name", "town", "source", "nota") if c in quarters.columns]
    out = gpd.GeoDataFrame(quarters[keep].copy(), geometry=quarters.geometry.to_numpy(), crs=quarters.crs).to_crs(4326)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()  # a GeoPackage is a database: replace it, do not append a second layer
    out.to_file(path, layer="quartieri", driver="GPKG", engine="pyogrio")
    return path


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


_IT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_EN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def number_format(values: pd.Series) -> str:
    """The number format of a column of typed numbers: ``"it"`` (1.234,5) or ``"en"`` (1,234.5).

    Decided for the whole column, from the values that say it unambiguously:
    a comma decimal (``2500,5``, ``1.234,5``) means Italian; a point that cannot be a
    thousands separator (``1234.0``, ``2500.5``, ``12.5``) or comma thousands before a
    point (``1,234.5``) means English. ``1.234`` alone is ambiguous and read the Italian
    way (one thousand two hundred thirty-four), the default of the network's spreadsheets.

    Raises
    ------
    ValueError
        If the column mixes both formats.

    Examples
    --------
    >>> number_format(pd.Series(["1.234", "987"]))
    'it'
    >>> number_format(pd.Series(["1234.0", "2500.5"]))
    'en'
    """
    it = en = False
    for v in _clean_numbers(values).dropna().unique():
        if "," in v and "." in v:
            if v.rfind(",") > v.rfind("."):
                it = True
            else:
                en = True
        elif "," in v:
            if not _EN_THOUSANDS.match(v):
                it = True  # 2500,5 or 1,5: a decimal comma (1,234 alone stays ambiguous)
        elif "." in v:
            if not _IT_THOUSANDS.match(v):
                en = True  # 1234.0, 2500.5, 12.5: a decimal point
    if it and en:
        raise ValueError("the column mixes Italian (1.234,5) and English (1,234.5) number formats")
    return "en" if en else "it"


def _clean_numbers(values: pd.Series) -> pd.Series:
    v = values.astype("string").str.strip()
    v = v.str.replace(r"[\s\u00a0\u202f']", "", regex=True)  # spaces and Swiss apostrophes as thousands
    return v.where(v.ne(""), pd.NA)


def parse_numbers(values: pd.Series, *, fmt: str | None = None) -> pd.Series:
    """Typed numbers to float, in the column's own format (:func:`number_format`); NaN if not a number.

    Examples
    --------
    >>> parse_numbers(pd.Series(["1.234", "1.234,5", "12"])).tolist()
    [1234.0, 1234.5, 12.0]
    >>> parse_numbers(pd.Series(["1234.0", "2500.5"])).tolist()
    [1234.0, 2500.5]
    """
    fmt = fmt or number_format(values)
    v = _clean_numbers(values)
    if fmt == "it":
        v = v.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        v = v.str.replace(",", "", regex=False)
    return pd.to_numeric(v, errors="coerce").astype(float)


def read_quarter_population(path: str | Path) -> pd.DataFrame:
    """A user table of residents per quarter: ``name`` (or ``quarter_id``), ``population``[, ``pop_65``].

    Numbers may be typed the Italian way (``1.234``, ``1.234,5``) or the English way
    (``1234.0``, ``2,500.5``); the format is decided per column (:func:`number_format`).

    Raises
    ------
    InputFileError
        No name or population column, or a column mixing the two number formats.

    Examples
    --------
    >>> pop = read_quarter_population("popolazione_quartieri.csv")   # doctest: +SKIP
    """
    from fragmap.io.tables import read_table

    frame = read_table(path).frame
    cols = {c.lower().strip(): c for c in frame.columns}
    key = next((cols[k] for k in ("quarter_id", "name", "quartiere", "nome") if k in cols), None)
    pop = next((cols[k] for k in ("population", "popolazione", "residenti") if k in cols), None)
    if key is None or pop is None:
        raise InputFileError(f"{path}: needs a quarter name column and a population column")

    def numbers(col: str) -> pd.Series:
        try:
            return parse_numbers(frame[col])
        except ValueError as exc:
            raise InputFileError(f"{path}, column {col!r}: {exc}; use one format in the column") from exc

    out = pd.DataFrame({"key": frame[key].astype(str).str.strip(), "population": numbers(pop)})
    p65 = next((cols[k] for k in ("pop_65", "over65", "residenti_65") if k in cols), None)
    if p65 is not None:
        out["pop_65"] = numbers(p65)
    out = out.reset_index(drop=True)
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
