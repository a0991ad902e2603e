"""Approximate named quarters from a short table a coordinator can write.

Neither Pavia nor Vigevano publishes quartiere boundaries, but every resident knows a
landmark of their quarter. A table "town; quartiere; landmark" (an address, or ``lat, lon``;
one or more rows per quarter) is enough: :func:`locate_landmarks` places each landmark
with the project's geocoder, :func:`quarters_from_landmarks` draws Voronoi cells around
them, merged by quarter and clipped to the comune (through
:func:`fragmap.quarters.quarters_from_points`), so each comune is tiled exactly. The
result is labelled ``source = "punti_riferimento"``, and every output says
"confini approssimativi".

Example
-------
>>> table = read_landmark_table("data/reference/quartieri_macro_pavia_vigevano.csv")   # doctest: +SKIP
>>> placed = locate_landmarks(table, geocoder)                                         # doctest: +SKIP
>>> quarters, check = quarters_from_landmarks(placed.points, comuni)                   # doctest: +SKIP

Pure functions: the table is read by :func:`fragmap.io.places.read_landmark_table`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from fragmap._errors import QuartersError
from fragmap._geo import UTM
from fragmap.i18n import translate
from fragmap.quarters import QuarterCheck, quarters_from_points

#: ``source`` of quarters built around landmarks.
LANDMARK_SOURCE = "punti_riferimento"
#: Geocoding levels precise enough to stand for a landmark.
PLACED_LEVELS = ("coordinate", "civico", "via")

_LATLON = re.compile(r"^\s*(-?\d{1,2}(?:[.]\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:[.]\d+)?)\s*$")

LANDMARK_REASONS: dict[str, dict[str, str]] = {
    "quartiere_mancante": {"it": "quartiere mancante", "en": "no quarter name"},
    "punto_mancante": {"it": "punto di riferimento mancante", "en": "no landmark"},
    "comune_mancante": {"it": "comune mancante", "en": "no town"},
    "comune_sconosciuto": {"it": "comune non configurato", "en": "town not configured"},
    "non_trovato": {"it": "indirizzo non trovato su una via (solo a livello comunale)",
                    "en": "address not found on a street (town level only)"},
}

_TEXT: dict[str, dict[str, str]] = {
    "row": {"it": "riga", "en": "row"},
    "outside": {"it": "punti di riferimento fuori dal loro comune (correggere la tabella):",
                "en": "landmarks outside their comune (fix the table):"},
    "outside_row": {"it": "riga {row}: {quartiere} ({town}): {landmark} -> {lat:.5f}, {lon:.5f}",
                    "en": "row {row}: {quartiere} ({town}): {landmark} -> {lat:.5f}, {lon:.5f}"},
}


@dataclass
class LandmarkPlacement:
    """Landmarks placed on the map (``points``) and those that could not be (``unplaced``).

    ``points``: ``row, town, quartiere, label, level``, Point geometry (EPSG:4326).
    ``unplaced``: ``row, town, quartiere, landmark, reason`` (a code of :data:`LANDMARK_REASONS`).
    """

    points: gpd.GeoDataFrame
    unplaced: pd.DataFrame

    def lines(self, language: str = "it") -> list[str]:
        """One line per unplaced landmark, with its row number, in ``language``.

        Examples
        --------
        >>> bad = pd.DataFrame([{"row": 3, "town": "Pavia", "quartiere": "Crosione",
        ...                      "landmark": "Piazzale Crosione", "reason": "non_trovato"}])
        >>> LandmarkPlacement(gpd.GeoDataFrame(geometry=[]), bad).lines("en")
        ['row 3: Crosione (Pavia): Piazzale Crosione: address not found on a street (town level only)']
        """
        lang = "en" if language == "en" else "it"
        return [f"{translate(_TEXT, 'row', lang)} {r.row}: {r.quartiere or '-'} ({r.town or '-'}): {r.landmark or '-'}: "
                f"{translate(LANDMARK_REASONS, r.reason, lang)}" for r in self.unplaced.itertuples(index=False)]


def parse_latlon(text: str) -> tuple[float, float] | None:
    """``(lat, lon)`` when ``text`` is two numbers ("45.1922, 9.1816"), else None.

    Examples
    --------
    >>> parse_latlon("45.1922464, 9.1815713"), parse_latlon("Via Solferino 38")
    ((45.1922464, 9.1815713), None)
    """
    m = _LATLON.match(str(text))
    if m is None:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def locate_landmarks(
    table: pd.DataFrame, geocoder: Any, *, town_names: Sequence[str]
) -> LandmarkPlacement:
    """Place each landmark: ``lat, lon`` as typed, an address with the project's geocoder.

    Parameters
    ----------
    table : DataFrame
        ``town``, ``quartiere``, ``landmark`` (an address or ``lat, lon``) and ``row`` (the
        spreadsheet row number, reported for the rows that could not be placed).
    geocoder : Geocoder or callable
        Something with ``lookup(address, town) -> Match`` (``fragmap.geocode.make_geocoder``)
        or such a callable. Only street-level answers (civico, via, coordinate) count.
    town_names : sequence of str
        The configured towns.

    Returns
    -------
    LandmarkPlacement

    Examples
    --------
    >>> t = pd.DataFrame({"row": [2], "town": ["Pavia"], "quartiere": ["Vallone"],
    ...                   "landmark": ["45.1922464, 9.1815713"]})
    >>> locate_landmarks(t, None, town_names=["Pavia", "Vigevano"]).points[["quartiere", "level"]].values.tolist()
    [['Vallone', 'coordinate']]
    """
    from fragmap.geocode.normalise import fold

    lookup: Callable[[str, str | None], Any] | None = None
    if geocoder is not None:
        lookup = geocoder.lookup if hasattr(geocoder, "lookup") else geocoder
    by_fold = {fold(t): t for t in town_names}
    placed: list[dict[str, object]] = []
    unplaced: list[dict[str, object]] = []
    for r in table.to_dict("records"):
        typed_town, quartiere = str(r.get("town") or "").strip(), str(r.get("quartiere") or "").strip()
        landmark = str(r.get("landmark") or "").strip()
        base = {"row": r.get("row"), "town": typed_town, "quartiere": quartiere, "landmark": landmark}
        town = by_fold.get(fold(typed_town)) if typed_town else (town_names[0] if len(town_names) == 1 else None)
        reason = ("quartiere_mancante" if not quartiere else "punto_mancante" if not landmark
                  else "comune_mancante" if town is None and not typed_town
                  else "comune_sconosciuto" if town is None else "")
        if reason:
            unplaced.append({**base, "reason": reason})
            continue
        latlon = parse_latlon(landmark)
        if latlon is not None:
            placed.append({"row": r.get("row"), "town": town, "quartiere": quartiere, "label": landmark,
                           "level": "coordinate", "lat": latlon[0], "lon": latlon[1]})
            continue
        m = lookup(landmark, town) if lookup is not None else None
        if m is None or m.level not in PLACED_LEVELS or pd.isna(m.lat):
            unplaced.append({**base, "reason": "non_trovato"})
            continue
        placed.append({"row": r.get("row"), "town": town, "quartiere": quartiere, "label": landmark,
                       "level": str(m.level), "lat": float(m.lat), "lon": float(m.lon)})
    pts = pd.DataFrame(placed, columns=["row", "town", "quartiere", "label", "level", "lat", "lon"])
    gdf = gpd.GeoDataFrame(pts.drop(columns=["lat", "lon"]), geometry=gpd.points_from_xy(pts["lon"], pts["lat"]),
                           crs=4326)
    bad = pd.DataFrame(unplaced, columns=["row", "town", "quartiere", "landmark", "reason"])
    return LandmarkPlacement(gdf.reset_index(drop=True), bad)


def quarters_from_landmarks(
    points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, language: str = "it"
) -> tuple[gpd.GeoDataFrame, QuarterCheck]:
    """Approximate quarters: Voronoi cells around the landmarks, merged by quarter, clipped.

    Each comune with landmarks is tiled exactly (no gap, no overlap); a comune whose
    landmarks all name one quarter is that quarter. ``source = "punti_riferimento"``.

    Parameters
    ----------
    points : GeoDataFrame
        ``town``, ``quartiere``, optional ``label`` and ``row``; points (``LandmarkPlacement.points``).
    boundaries : GeoDataFrame
        Comune polygons (``name``).
    language : str
        Language of the error message.

    Returns
    -------
    (GeoDataFrame, QuarterCheck)

    Raises
    ------
    QuartersError
        A landmark lies outside its comune (each one is named, with its row and point),
        or no quarter can be built.

    Examples
    --------
    >>> q, check = quarters_from_landmarks(placed.points, comuni)   # doctest: +SKIP
    """
    lang = "en" if language == "en" else "it"
    polys = dict(zip(boundaries["name"].astype(str), boundaries.to_crs(4326).geometry))
    bad = []
    for r, g in zip(points.drop(columns="geometry").to_dict("records"), points.to_crs(4326).geometry):
        poly = polys.get(str(r["town"]))
        if poly is None or not poly.covers(g):
            bad.append(translate(_TEXT, "outside_row", lang,
                row=r.get("row", "-"), quartiere=r["quartiere"], town=r["town"], landmark=r.get("label", ""),
                lat=g.y, lon=g.x))
    if bad:
        raise QuartersError(translate(_TEXT, "outside", lang) + "\n  - " + "\n  - ".join(bad))
    return quarters_from_points(points, boundaries, with_check=True, source=LANDMARK_SOURCE)


def tiles_exactly(quarters: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, tolerance_m2: float = 1.0) -> bool:
    """Whether the quarters of each comune cover it with no gap and no overlap (to ``tolerance_m2``).

    Examples
    --------
    >>> tiles_exactly(q, comuni)        # doctest: +SKIP
    """
    b = boundaries.to_crs(UTM)
    q = quarters.to_crs(UTM)
    for town, poly in zip(b["name"].astype(str), b.geometry):
        mine = q[q["town"] == town].geometry
        if mine.empty:
            continue
        union = shapely.union_all(mine.to_numpy())
        if union.symmetric_difference(poly).area > tolerance_m2 or abs(mine.area.sum() - poly.area) > tolerance_m2:
            return False
    return True
