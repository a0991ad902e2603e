"""Names a resident recognises for generated areas (hexagon cells), and their display.

A hexagon called "Pavia · cella 03-03" tells nobody where it is. :func:`name_areas` names
each generated area after the named place it holds or, when it holds none, the nearest
one with the direction from it ("Vallone (nord)"), from a table of named places
(:func:`fragmap.io.places.read_places`): first the quartieri, rioni and frazioni of the
quarter landmark table, then OpenStreetMap places and populated localities, then
landmarks (station, squares, churches, parks). The area's code (``quarter_id``) is kept
unchanged, so names may change with better data while codes stay stable.

:func:`display_name` shows a name in the page language: place names stay as they are,
only the words fragmap adds (the direction, the old "cella") are translated.

Pure functions: nothing here reads or writes files.

Examples
--------
>>> display_name("Vallone (nord-est)", "en")
'Vallone (north-east)'
>>> display_name("Borgo Ticino", "en")
'Borgo Ticino'
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap._geo import UTM

#: Quarter-table kinds, in the order a hexagon prefers them when it holds several.
QUARTER_KINDS = ("quartiere", "rione", "frazione", "località")
#: OSM ``place`` values, most urban first.
OSM_KINDS = ("suburb", "quarter", "neighbourhood", "village", "hamlet", "locality")
#: Kinds never used for naming: a macro-quartiere's landmark is a committee seat, not its middle.
NOT_FOR_NAMING = ("macroquartiere",)
#: Names joined when one area holds two quarters.
JOIN = " / "

_DIRECTIONS = {
    "it": ("nord", "nord-est", "est", "sud-est", "sud", "sud-ovest", "ovest", "nord-ovest"),
    "en": ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"),
}
_DIRECTION_RE = re.compile(r"\((" + "|".join(sorted(_DIRECTIONS["it"], key=len, reverse=True)) + r")\)")
# The hexagon names fragmap.quarters.hex_grid generates before naming ("Pavia · cella 02-04").
_GRID_NAME = re.compile(r"(?<=· )cella (?=\d{2}-\d{2}\b)")


def place_tier(kind: str, source: str) -> int:
    """How strongly a place names an area: 0 quarters, 1 OSM places and localities, 2 landmarks.

    Examples
    --------
    >>> place_tier("rione", "quartieri"), place_tier("suburb", "osm"), place_tier("stazione", "geonames")
    (0, 1, 2)
    """
    if source == "quartieri":
        return 0
    if source == "osm" or kind == "località":
        return 1
    return 2


#: Landmark kinds, the most telling first (residents say "la stazione", "il centro").
LANDMARK_KINDS = ("stazione", "centro storico", "piazza", "parco", "castello", "università", "ponte", "chiesa")


def _kind_rank(kind: str) -> int:
    order = (*QUARTER_KINDS, *OSM_KINDS, *LANDMARK_KINDS)
    return order.index(kind) if kind in order else len(order)


def direction(dx: float, dy: float, language: str = "it") -> str:
    """The compass direction (8 sectors) of a displacement ``(dx, dy)`` in metres (east, north).

    Examples
    --------
    >>> direction(0, 100), direction(-100, -90, "en")
    ('nord', 'south-west')
    """
    angle = math.degrees(math.atan2(dx, dy)) % 360.0  # 0 = north, clockwise
    words = _DIRECTIONS.get(language, _DIRECTIONS["it"])
    return words[int((angle + 22.5) // 45) % 8]


def display_name(name: str, language: str) -> str:
    """An area name in the page language: fragmap's own words translated, place names kept.

    Examples
    --------
    >>> display_name("Pavia · cella 02-04 + Vallone (sud)", "en")
    'Pavia · cell 02-04 + Vallone (south)'
    >>> display_name("Vallone (sud)", "it")
    'Vallone (sud)'
    """
    if language != "en":
        return name
    out = _GRID_NAME.sub("cell ", name)
    it = _DIRECTIONS["it"]
    return _DIRECTION_RE.sub(lambda m: f"({_DIRECTIONS['en'][it.index(m.group(1))]})", out)


def _usable(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    p = places[places.geometry.notna() & ~places.geometry.is_empty & ~places["kind"].isin(NOT_FOR_NAMING)]
    p = p[p["name"].astype(str).str.strip() != ""].to_crs(UTM)
    return p.assign(
        tier=[place_tier(str(k), str(s)) for k, s in zip(p["kind"], p["source"])],
        rank=[_kind_rank(str(k)) for k in p["kind"]],
        x=p.geometry.x.to_numpy(), y=p.geometry.y.to_numpy(),
    )


def name_areas(areas: gpd.GeoDataFrame, places: gpd.GeoDataFrame, *, max_joined: int = 2) -> gpd.GeoDataFrame:
    """Name each area after the named place it holds, or the nearest one with a direction.

    An area holding named places takes the best of them (lower :func:`place_tier`, then the
    quarter kinds in :data:`QUARTER_KINDS` order, then the one nearest its middle); when it
    holds several quarters of the first tier, up to ``max_joined`` are joined
    ("Centro storico / Borgo Ticino"). An area holding none takes the nearest quarter or
    locality (tier 0-1; any place when a town has none) and the direction from it:
    "Vallone (nord)". Names still shared within a town get " 2", " 3" in code order, and a
    name used in two towns gets the town after a comma ("Stazione, Vigevano"), so every
    name is unique.

    Parameters
    ----------
    areas : GeoDataFrame
        ``quarter_id``, ``town``, polygons (any CRS).
    places : GeoDataFrame
        ``name, kind, town, source``, points (see :func:`fragmap.io.places.read_places`).
    max_joined : int
        Most quarter names joined in one area's name.

    Returns
    -------
    GeoDataFrame
        ``areas`` with ``name`` replaced (unique, never empty) and ``places``: every named
        place the area holds, joined with ", " (for tooltips and downloads). A town with
        no named place keeps the names the areas had.

    Examples
    --------
    >>> named = name_areas(hex_grid(comuni, size_m=1500), read_places(landmarks=table))  # doctest: +SKIP
    """
    out = areas.copy()
    a = areas.to_crs(UTM)
    pts = _usable(places)
    centre = a.geometry.representative_point()
    base = out["name"].astype(str).tolist() if "name" in out.columns else out["quarter_id"].astype(str).tolist()
    holds: list[str] = [""] * len(a)
    names = list(base)
    anchors: list[tuple[float, float] | None] = [None] * len(a)
    for town in sorted(set(a["town"].astype(str))):
        idx = np.flatnonzero(a["town"].astype(str).to_numpy() == town)
        mine = pts[pts["town"].astype(str) == town]
        if mine.empty:
            continue
        geoms = a.geometry.to_numpy()[idx]
        tree_hits = gpd.GeoSeries(geoms, crs=UTM).sindex.query(mine.geometry.to_numpy(), predicate="intersects")
        owner: dict[int, int] = {}
        for p_i, g_i in zip(*tree_hits):  # a point on a shared border belongs to one area only
            owner.setdefault(int(p_i), int(idx[g_i]))
        inside: dict[int, list[int]] = {}
        for p_i, area_i in owner.items():
            inside.setdefault(area_i, []).append(p_i)
        near_pool = mine[mine["tier"] <= 1] if (mine["tier"] <= 1).any() else mine
        for area_i in idx:
            cx, cy = centre.iloc[area_i].x, centre.iloc[area_i].y
            held = inside.get(int(area_i), [])
            if held:
                h = mine.iloc[held]
                d = np.hypot(h["x"] - cx, h["y"] - cy)
                h = h.assign(d=d.to_numpy()).sort_values(["tier", "rank", "d", "name"], kind="stable")
                holds[area_i] = ", ".join(dict.fromkeys(h["name"].astype(str)))
                top = h[h["tier"] == h["tier"].iloc[0]]
                n = max_joined if int(top["tier"].iloc[0]) == 0 else 1
                names[area_i] = JOIN.join(list(dict.fromkeys(top["name"].astype(str)))[:n])
                continue
            d = np.hypot(near_pool["x"].to_numpy() - cx, near_pool["y"].to_numpy() - cy)
            j = int(np.argmin(d))
            best = near_pool.iloc[j]
            names[area_i] = str(best["name"])
            anchors[area_i] = (float(best["x"]), float(best["y"]))
    # an area named after a place it does not hold says where it lies from that place
    for i, anchor in enumerate(anchors):
        if anchor is not None:
            names[i] = f"{names[i]} ({direction(centre.iloc[i].x - anchor[0], centre.iloc[i].y - anchor[1])})"
    out["name"] = _unique(names, out["town"].astype(str).tolist(), out["quarter_id"].astype(str).tolist())
    out["places"] = holds
    return out


def _unique(names: list[str], towns: list[str], codes: list[str]) -> list[str]:
    """Within a town: " 2", " 3"... in code order; a name used in several towns: ", Town" after it."""
    frame = pd.DataFrame({"name": names, "town": towns, "code": codes}).reset_index()
    frame = frame.sort_values(["town", "name", "code"], kind="stable")
    frame["n"] = frame.groupby(["town", "name"]).cumcount() + 1
    in_towns = frame.groupby("name")["town"].nunique()
    shared = set(in_towns[in_towns > 1].index)
    frame["final"] = [nm + (f" {k}" if k > 1 else "") + (f", {t}" if nm in shared else "")
                      for nm, k, t in zip(frame["name"], frame["n"], frame["town"])]
    return frame.sort_values("index")["final"].tolist()
