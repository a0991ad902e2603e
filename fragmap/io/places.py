"""Read the named places of the towns into one table: quartieri, frazioni, hamlets, landmarks.

One reader, :func:`read_places`, for every source of names a resident would recognise:

- the shipped quarter landmarks (``quartieri_punti_riferimento_pavia_vigevano.csv``: 44
  quartieri, rioni, frazioni and località, each with a landmark; coordinates only for some,
  the others are kept without a point, with their landmark address, to be geocoded);
- the ISTAT 2011 localities with GeoNames coordinates and their 2011 population;
- the GeoNames named points (hamlets, squares, the station, churches, parks...);
- after the geodata set-up, OpenStreetMap places (``<geodata>/luoghi.geojson``: points with
  ``name`` and ``place`` = suburb, quarter, neighbourhood, hamlet, village, locality).

The quirks of the shipped files (data/reference/README.source.md) are handled here: points
outside their comune (GeoNames "Motta San Damiano") are left out when the comune polygons
are given, a locality filed under another comune code (GeoNames "Prado") keeps the comune
ISTAT gives it (and is left out too, as its point lies outside that comune's polygon), the town points themselves ("Pavia", "Vigevano") are not places inside the
town, and the same place named by several sources is kept once (quarter table first, then
OSM, ISTAT, GeoNames), with the largest population any source gives.

Example
-------
>>> places = read_places(landmarks="data/reference/quartieri_punti_riferimento_pavia_vigevano.csv")
>>> bool((places["name"] == "Vallone").any())
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fragmap._errors import InputFileError
from fragmap._text import fold_name as _fold

#: Columns of the places table.
PLACE_COLUMNS = ("name", "kind", "town", "source", "address", "population", "geometry")
#: Sources, from the most to the least trusted for a name (duplicates keep the first).
PLACE_SOURCES = ("quartieri", "osm", "istat", "geonames")
#: OSM ``place`` values read from the geodata set-up.
OSM_PLACES = ("suburb", "quarter", "neighbourhood", "hamlet", "village", "locality")
#: GeoNames feature codes kept, and the kind they become. Hotels, museums, theatres, shops and
#: palaces are left out: nobody names the part of town they live in after them.
GEONAMES_KINDS = {
    "PPL": "località", "RSTN": "stazione", "SQR": "piazza", "CH": "chiesa", "PRK": "parco",
    "GDN": "parco", "HSTS": "centro storico", "CSTL": "castello", "UNIV": "università", "BDG": "ponte",
}




def _number(value: object) -> float:
    try:
        x = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return float("nan")
    return x


def _frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=list(PLACE_COLUMNS))
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(frame["geometry"]), crs=4326)


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(f"{path}: cannot read the table ({exc})") from exc


def _need(table: pd.DataFrame, path: Path, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputFileError(
            f"{path}: missing column(s) {', '.join(missing)}; the columns are {', '.join(map(str, table.columns))}"
        )


def _drop_town(name: str, town: str) -> str:
    """``"Centro storico Pavia"`` -> ``"Centro storico"``; ``"Duomo di Pavia"`` stays."""
    m = re.fullmatch(rf"(.*?)\s*(?:-\s*)?{re.escape(town)}", name, flags=re.I)
    if m is None or not m.group(1) or re.search(r"\b(di|del|della|de|d')$", m.group(1), flags=re.I):
        return name
    return m.group(1)


def _point(lat: object, lon: object) -> object:
    y, x = _number(lat), _number(lon)
    return shapely.Point(x, y) if np.isfinite(x) and np.isfinite(y) else None


def read_quarter_landmarks(path: str | Path) -> gpd.GeoDataFrame:
    """The quarter landmark table (``town, quartiere, kind, landmark_address_or_place, lat, lon...``).

    Rows without coordinates are kept with an empty geometry and their landmark address in
    ``address``. The macro-quartieri of Pavia's neighbourhood committees (``note`` says
    "macro-quartiere") get ``kind = "macroquartiere"``: their landmark is a committee seat,
    not the middle of the quarter.

    Examples
    --------
    >>> t = read_quarter_landmarks("data/reference/quartieri_punti_riferimento_pavia_vigevano.csv")
    >>> sorted(t.loc[t["kind"] == "macroquartiere", "name"])[:2]
    ['Pavia Est', 'Pavia Nord']
    """
    path = Path(path)
    table = _read_csv(path)
    _need(table, path, ("town", "quartiere", "kind"))
    rows = []
    for r in table.to_dict("records"):
        name = str(r["quartiere"]).strip()
        if not name:
            continue
        kind = str(r.get("kind", "")).strip().lower() or "quartiere"
        # the note opens with "macro-quartiere" for the 5 committee areas ("part of macro-quartiere X" is not one)
        if re.match(r"\s*(one of the \d+ )?macro-?quartier", str(r.get("note", "")), flags=re.I):
            kind = "macroquartiere"
        rows.append({
            "name": name, "kind": kind, "town": str(r["town"]).strip(), "source": "quartieri",
            "address": str(r.get("landmark_address_or_place", "")).strip(), "population": float("nan"),
            "geometry": _point(r.get("lat"), r.get("lon")),
        })
    return _frame(rows)


def read_localities(path: str | Path) -> gpd.GeoDataFrame:
    """ISTAT 2011 localities with GeoNames coordinates and their 2011 population.

    The main locality of each comune (the town itself) is left out; the comune is the one
    ISTAT gives (``comune``), not GeoNames' code (which files "Prado" elsewhere).

    Examples
    --------
    >>> loc = read_localities("data/reference/istat2011_localita_coordinate_geonames_pavia_vigevano.csv")
    >>> int(loc.loc[loc["name"] == "Fossarmato", "population"].iloc[0])
    543
    """
    path = Path(path)
    table = _read_csv(path)
    _need(table, path, ("comune", "localita", "lat", "lon"))
    rows = []
    for r in table.to_dict("records"):
        town, name = str(r["comune"]).strip(), str(r["localita"]).strip()
        if not name or _fold(name) == _fold(town):
            continue
        rows.append({"name": name, "kind": "località", "town": town, "source": "istat", "address": "",
                     "population": _number(r.get("P1_pop2011")), "geometry": _point(r["lat"], r["lon"])})
    return _frame(rows)


def read_geonames_places(path: str | Path) -> gpd.GeoDataFrame:
    """GeoNames named points of the towns, with the kinds of :data:`GEONAMES_KINDS` only.

    The station is called "Stazione" (what residents say); a town name repeated at the end
    of a name ("Centro storico Pavia") is dropped.

    Examples
    --------
    >>> g = read_geonames_places("data/reference/luoghi_geonames_pavia_vigevano.geojson")
    >>> sorted(g.loc[g["kind"] == "stazione", "town"])
    ['Pavia', 'Vigevano']
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(f"{path}: cannot read the geographic file ({exc})") from exc
    _need(gdf, path, ("name", "feature_code", "comune"))
    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    rows = []
    for r, g in zip(gdf.drop(columns="geometry").to_dict("records"), gdf.geometry):
        kind = GEONAMES_KINDS.get(str(r["feature_code"]))
        town = str(r["comune"]).strip()
        if kind is None or g is None or g.is_empty:
            continue
        name = _drop_town(str(r["name"]).strip(), town)
        if kind == "stazione":
            name = "Stazione"
        rows.append({"name": name, "kind": kind, "town": town, "source": "geonames", "address": "",
                     "population": _number(r.get("population")) if kind == "località" else float("nan"),
                     "geometry": g.representative_point() if g.geom_type != "Point" else g})
    return _frame(rows)


def read_osm_places(path: str | Path, boundaries: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """OSM places (``name``, ``place``) from the geodata set-up; the town from ``town``/the polygons.

    Examples
    --------
    >>> osm = read_osm_places("data/geodati/luoghi.geojson", comuni)   # doctest: +SKIP
    """
    path = Path(path)
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(f"{path}: cannot read the geographic file ({exc})") from exc
    if "name" not in gdf.columns or "place" not in gdf.columns:
        raise InputFileError(f"{path}: OSM places need 'name' and 'place' columns")
    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    gdf = gdf[gdf["place"].isin(OSM_PLACES) & gdf["name"].notna() & gdf.geometry.notna()]
    points = [g if g.geom_type == "Point" else g.representative_point() for g in gdf.geometry]
    towns = gdf["town"].astype(str).tolist() if "town" in gdf.columns else [""] * len(gdf)
    if boundaries is not None and len(gdf):
        b = boundaries.to_crs(4326)
        for i, p in enumerate(points):
            hit = [str(n) for n, poly in zip(b["name"], b.geometry) if poly.covers(p)]
            if hit:
                towns[i] = hit[0]
    rows = [{"name": str(n).strip(), "kind": str(k), "town": t, "source": "osm", "address": "",
             "population": float("nan"), "geometry": p}
            for n, k, t, p in zip(gdf["name"], gdf["place"], towns, points)]
    return _frame(rows)


def read_places(
    *,
    landmarks: str | Path | None = None,
    localities: str | Path | None = None,
    geonames: str | Path | None = None,
    osm: str | Path | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    towns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Every named place of the towns in one table (EPSG:4326).

    Parameters
    ----------
    landmarks, localities, geonames : str or Path, optional
        The shipped quarter landmark table, ISTAT localities and GeoNames points
        (``[paths] quarter_landmarks``, ``localities``, ``places``).
    osm : str or Path, optional
        ``luoghi.geojson`` of the geodata set-up; read only when the file exists.
    boundaries : GeoDataFrame, optional
        Comune polygons (``name``): points outside their own comune are left out and listed
        in ``attrs["outside"]``; OSM places take their town from them.
    towns : sequence of str, optional
        Keep only these towns.

    Returns
    -------
    GeoDataFrame
        ``name, kind, town, source, address, population, geometry``; ``geometry`` is empty
        for quarter landmarks that only have an address (to be geocoded).

    Examples
    --------
    >>> p = read_places(landmarks="data/reference/quartieri_punti_riferimento_pavia_vigevano.csv",
    ...                 localities="data/reference/istat2011_localita_coordinate_geonames_pavia_vigevano.csv")
    >>> int((p["name"].str.lower() == "fossarmato").sum())     # one row although both files name it
    1
    """
    frames = []
    if landmarks is not None:
        frames.append(read_quarter_landmarks(landmarks))
    if osm is not None and Path(osm).exists():
        frames.append(read_osm_places(osm, boundaries))
    if localities is not None:
        frames.append(read_localities(localities))
    if geonames is not None:
        frames.append(read_geonames_places(geonames))
    frames = [f for f in frames if len(f)]
    if not frames:
        out = _frame([])
        out.attrs["outside"] = []
        return out
    places = pd.concat(frames, ignore_index=True)
    places = gpd.GeoDataFrame(places, geometry="geometry", crs=4326)
    if towns is not None:
        places = places[places["town"].isin(list(towns))]
    outside: list[str] = []
    if boundaries is not None:
        polys = dict(zip(boundaries["name"].astype(str), boundaries.to_crs(4326).geometry))
        keep = []
        for name, town, g in zip(places["name"], places["town"], places.geometry):
            ok = g is None or g.is_empty or (town in polys and polys[town].covers(g))
            keep.append(ok)
            if not ok:
                outside.append(f"{name} ({town})")
        places = places[np.array(keep, dtype=bool)]
    # one row per (town, name): the most trusted source's point, the largest known population
    places = places.assign(_key=[_fold(n) for n in places["name"]],
                           _rank=places["source"].map({s: i for i, s in enumerate(PLACE_SOURCES)}))
    pop = places.groupby(["town", "_key"])["population"].max()
    places = places.sort_values(["_rank"], kind="stable").drop_duplicates(["town", "_key"], keep="first")
    places["population"] = [pop[(t, k)] for t, k in zip(places["town"], places["_key"])]
    places = places.drop(columns=["_key", "_rank"]).sort_values(["town", "source", "name"], kind="stable")
    out = gpd.GeoDataFrame(places[list(PLACE_COLUMNS)].reset_index(drop=True), geometry="geometry", crs=4326)
    out.attrs["outside"] = sorted(set(outside))
    return out


#: Accepted headers of a landmark table (folded), by column.
_LANDMARK_HEADERS = {
    "town": ("town", "comune", "citta"),
    "quartiere": ("quartiere", "quarter", "rione", "zona"),
    "landmark": ("landmark", "punto di riferimento", "punto", "riferimento", "indirizzo", "address",
                 "landmark address or lat lon", "indirizzo o lat lon"),
}


def read_landmark_table(path: str | Path) -> pd.DataFrame:
    """A landmark table ``town; quartiere; landmark`` (CSV, XLSX or ODS) with spreadsheet row numbers.

    ``landmark`` is an address ("Via Solferino 38") or a point ("45.1922, 9.1816"); a quarter
    may have several rows. Italian headers are accepted (``comune``, ``punto di riferimento``,
    ``indirizzo``); other columns (notes, sources) are ignored.

    Returns
    -------
    DataFrame
        ``row, town, quartiere, landmark`` (text).

    Raises
    ------
    InputFileError
        Missing file or a missing column (the message lists the columns found).

    Examples
    --------
    >>> t = read_landmark_table("data/reference/quartieri_macro_pavia_vigevano.csv")
    >>> t.loc[t["quartiere"] == "Pavia Nord Est", "landmark"].iloc[0]
    '45.192246, 9.181571'
    """
    from fragmap.io.tables import read_table

    path = Path(path)
    frame = read_table(path).frame
    by_fold = {_fold(str(c)): c for c in frame.columns}
    cols = {}
    for want, names in _LANDMARK_HEADERS.items():
        hit = next((by_fold[n] for n in names if n in by_fold), None)
        if hit is None and want != "town":
            raise InputFileError(
                f"{path.name}: nessuna colonna {want!r} / no column {want!r}; "
                f"colonne presenti / columns: {', '.join(map(str, frame.columns))}"
            )
        cols[want] = hit
    out = pd.DataFrame({
        "row": frame["row"] if "row" in frame.columns else frame.index,
        "town": frame[cols["town"]] if cols["town"] is not None else "",
        "quartiere": frame[cols["quartiere"]],
        "landmark": frame[cols["landmark"]],
    })
    return out.fillna("").astype({"town": str, "quartiere": str, "landmark": str}).reset_index(drop=True)
