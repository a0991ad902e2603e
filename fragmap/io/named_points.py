"""Read the shipped named points (bus stops, GeoNames places, quarter landmarks) and the street alias table.

The reference files sit beside the ANNCSU street list (``data/reference/``, see
``README.source.md``); a file that is missing is simply not used. The alias table
is the coordinator's: a ``;`` CSV with ``town;nome_osm;nome_anncsu`` that links a
source's street name to the official one by hand (``-`` = not a street).

Example
-------
>>> points, places, files = read_reference_places(stops="data/reference/fermate.geojson")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from fragmap._errors import InputFileError
from fragmap.geocode.places import (
    NAMED_POINT_COLUMNS,
    PLACE_COLUMNS,
    geonames_points,
    landmark_points,
    stop_points,
)
from fragmap.geocode.reconcile import ALIAS_COLUMNS
from fragmap.i18n import translate

#: The roles of the files of named points (``[paths] street_points``, ``places``,
#: ``quarter_landmarks``) and their labels in the gazetteer's record of sources.
LABELS = {"stops": "fermate autobus OpenStreetMap 2013", "geonames": "luoghi GeoNames",
          "landmarks": "punti di riferimento dei quartieri"}
#: The coordinator's alias table and the link report, in the gazetteer's (private) folder.
ALIAS_FILE = "alias_vie.csv"
LINK_REPORT = "riconciliazione_vie.csv"

MESSAGES: dict[str, dict[str, str]] = {
    "alias_columns": {
        "it": "{path}: la tabella degli alias deve avere le colonne town;nome_osm;nome_anncsu (mancano: {missing})",
        "en": "{path}: the alias table needs the columns town;nome_osm;nome_anncsu (missing: {missing})",
    },
    "links": {
        "it": "nomi delle vie di altre fonti: {matched} collegati allo stradario ANNCSU, {override} dalla tabella "
              "degli alias, {ambiguous} ambigui, {unmatched} non trovati (elenco: {report}; si correggono in "
              "{aliases}, colonne town;nome_osm;nome_anncsu, poi: fragmap gazetteer build)",
        "en": "street names of other sources: {matched} linked to the ANNCSU names, {override} by the alias table, "
              "{ambiguous} ambiguous, {unmatched} unmatched (list: {report}; fix them in {aliases}, columns "
              "town;nome_osm;nome_anncsu, then: fragmap gazetteer build)",
    },
}


def _points_frame(path: Path) -> pd.DataFrame:
    g = gpd.read_file(path, engine="pyogrio")
    g = g[g.geometry.notna() & (g.geom_type == "Point")]
    out = pd.DataFrame(g.drop(columns="geometry"))
    out["lon"], out["lat"] = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
    return out


def read_reference_places(
    *, stops: str | Path | None = None, geonames: str | Path | None = None, landmarks: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[Path, str]]]:
    """Named points and places from the project's files (a missing or None file is skipped).

    Parameters
    ----------
    stops : str or Path, optional
        Points named "STREET CrossStreet" (bus stops; ``[paths] street_points``).
    geonames : str or Path, optional
        GeoNames points (``[paths] places``).
    landmarks : str or Path, optional
        The quarter landmark table (``[paths] quarter_landmarks``).

    Returns
    -------
    named_points : DataFrame
        :data:`fragmap.geocode.places.NAMED_POINT_COLUMNS`.
    places : DataFrame
        :data:`fragmap.geocode.places.PLACE_COLUMNS`.
    files : list of (Path, str)
        The files read with their label (for the gazetteer's record of sources).
    """
    pts: list[pd.DataFrame] = []
    pls: list[pd.DataFrame] = []
    files: list[tuple[Path, str]] = []

    def found(f: str | Path | None) -> Path | None:
        return Path(f) if f is not None and Path(f).exists() else None

    if (f := found(stops)) is not None:
        pts.append(stop_points(_points_frame(f)))
        files.append((f, LABELS["stops"]))
    if (f := found(geonames)) is not None:
        p, q = geonames_points(_points_frame(f))
        pts.append(p)
        pls.append(q)
        files.append((f, LABELS["geonames"]))
    if (f := found(landmarks)) is not None:
        p, q = landmark_points(pd.read_csv(f, dtype={"lat": float, "lon": float}))
        pts.append(p)
        pls.append(q)
        files.append((f, LABELS["landmarks"]))
    named = pd.concat(pts, ignore_index=True) if pts else pd.DataFrame(columns=list(NAMED_POINT_COLUMNS))
    places = pd.concat(pls, ignore_index=True) if pls else pd.DataFrame(columns=list(PLACE_COLUMNS))
    return named, places, files


def read_aliases(path: str | Path, *, language: str = "it") -> pd.DataFrame:
    """The coordinator's alias table (``town;nome_osm;nome_anncsu``; ``,`` also accepted)."""
    from fragmap.io.tables import read_table

    frame = read_table(path).frame
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ALIAS_COLUMNS if c not in cols]
    if missing:
        raise InputFileError(translate(MESSAGES, "alias_columns", language, path=path, missing=", ".join(missing)))
    return pd.DataFrame({c: frame[cols[c]].astype(str) for c in ALIAS_COLUMNS})


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and value != "-":
        return "'" + value
    return value


def write_link_report(links: pd.DataFrame, path: str | Path) -> Path:
    """Write the street-name links (matched / ambiguous / unmatched / override) for the coordinator.

    A ``;`` CSV (UTF-8 with BOM, for Excel), ambiguous and unmatched first; the
    ``nome_anncsu`` column is empty, ready to be filled and copied into the alias table.
    """
    from fragmap.io.tables import write_csv

    order = {"ambiguous": 0, "unmatched": 1, "override": 2, "matched": 3}
    t = links.copy()
    t["_o"] = t["status"].map(order)
    t = t.sort_values(["_o", "town", "source", "name"]).drop(columns="_o")
    t = t.rename(columns={"name": "nome_osm", "key": "via_anncsu"})
    t["nome_anncsu"] = ""
    t = t[["town", "nome_osm", "nome_anncsu", "status", "via_anncsu", "score", "method", "candidates", "source"]]
    return write_csv(t.map(_cell), path)


def link_message(links: pd.DataFrame, folder: str | Path, language: str = "it") -> str:
    """One line for the coordinator: how many source street names were linked, and where to fix the rest."""
    from fragmap.geocode.reconcile import link_summary

    folder = Path(folder)
    return translate(MESSAGES, "links", language, report=folder / LINK_REPORT, aliases=folder / ALIAS_FILE,
                     **link_summary(links))
