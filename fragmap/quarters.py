"""Quarters: the areas fragmap counts in.

No open polygons of the quartieri exist for Pavia or Vigevano and ISTAT defines no
sub-municipal areas, so quarters come from the network's own file
(:func:`prepare_quarters` checks and repairs it, :class:`QuarterCheck` lists what it
found), from a street list (:func:`locate_street_table` places its rows with the
project's gazetteer, :func:`quarters_from_points` builds Voronoi cells around them,
dissolved by quarter), or, by default, from a regular hexagon grid (:func:`hex_grid`).
Anything that is not an official boundary says so (``source``).

Reports are placed by :func:`assign_reports`; those left without a quarter are
counted and listed by reason by :func:`unassigned_reports`.

Example
-------
>>> quarters, check = prepare_quarters(read_quarters("quartieri.gpkg"), comuni)   # doctest: +SKIP
>>> print(check.summary("it"))                                                  # doctest: +SKIP

All areas and distances are computed in EPSG:32632 (UTM 32N); results are
returned in EPSG:4326. Pure functions: nothing here reads or writes files.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from fragmap._errors import QuartersError
from fragmap._geo import UTM
from fragmap._text import fold_name as _fold
from fragmap.i18n import translate

QUARTER_COLUMNS = ("quarter_id", "name", "town", "population", "pop_65", "population_estimated", "source", "geometry")


def _codes(boundaries: gpd.GeoDataFrame) -> dict[str, str]:
    """Town name -> area-id prefix, from the boundaries' ``code`` column (the project's
    ``[[towns]]``: its short code or the ISTAT code), else the ISTAT code column."""
    for col in ("code", "com_istat_code"):
        if col in boundaries.columns:
            return {str(n): str(c) for n, c in zip(boundaries["name"], boundaries[col]) if isinstance(c, str) and c}
    return {}


def _code(town: str, codes: dict[str, str] | None = None) -> str:
    """The prefix of a town's area ids: its project code, else letters of its name."""
    return (codes or {}).get(town) or re.sub(r"[^A-Z]", "", town.upper())[:3] or "XX"


def _slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "q"


def hex_grid(boundaries: gpd.GeoDataFrame, *, size_m: float = 500.0, sliver_share: float = 0.1) -> gpd.GeoDataFrame:
    """A regular hexagon grid clipped to each comune, labelled by town and cell.

    Parameters
    ----------
    boundaries : GeoDataFrame
        Comune polygons with a ``name`` column.
    size_m : float
        Distance across the hexagon's flat sides, in metres (default 500 m).
    sliver_share : float
        Clipped pieces smaller than this share of a full cell are merged into the
        neighbour with the longest shared border.

    Returns
    -------
    GeoDataFrame
        ``quarter_id`` (e.g. ``VOG-H0304``: town code from the boundaries' ``code``
        column, row, column; stable for the same boundary and size), ``name``, ``town``, ``source = "griglia"``, geometry (EPSG:4326).

    Examples
    --------
    >>> grid = hex_grid(comuni, size_m=500)     # doctest: +SKIP
    >>> grid.groupby("town").size()             # doctest: +SKIP
    """
    b = boundaries.to_crs(UTM)
    r = size_m / math.sqrt(3)  # circumradius of a pointy-top hexagon of width size_m
    dx, dy = size_m, 1.5 * r
    full_area = 1.5 * math.sqrt(3) * r * r
    rows = []
    codes = _codes(boundaries)
    for town, poly in sorted(zip(b["name"], b.geometry), key=lambda t: t[0]):
        minx, miny, maxx, maxy = poly.bounds
        x0, y0 = math.floor(minx / dx) * dx, math.floor(miny / dy) * dy
        n_rows = int((maxy - y0) / dy) + 2
        n_cols = int((maxx - x0) / dx) + 2
        cells = []
        for i in range(n_rows):
            cy = y0 + i * dy
            off = dx / 2 if i % 2 else 0.0
            for j in range(n_cols):
                cx = x0 + j * dx + off
                hexagon = Polygon(
                    [(cx + r * math.cos(math.radians(30 + 60 * k)), cy + r * math.sin(math.radians(30 + 60 * k))) for k in range(6)]
                )
                cells.append((i, j, hexagon))
        geoms = shapely.intersection(np.array([c[2] for c in cells]), poly)
        for (i, j, _), g in zip(cells, geoms):
            if g.is_empty or g.area < 1.0:
                continue
            g = _polygonal(g)
            if g is None:
                continue
            rows.append({"quarter_id": f"{_code(town, codes)}-H{i:02d}{j:02d}", "town": town, "geometry": g})
    grid = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)
    grid = _merge_slivers(grid, full_area * sliver_share)
    grid["name"] = grid["town"] + " · cella " + grid["quarter_id"].str.split("-H").str[1].map(lambda s: f"{s[:2]}-{s[2:]}")
    grid["source"] = "griglia"
    return grid.to_crs(4326)[["quarter_id", "name", "town", "source", "geometry"]].sort_values("quarter_id").reset_index(drop=True)


def _polygonal(g: object) -> object | None:
    """Keep only the polygon parts of a geometry (clipping can leave lines or points)."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _merge_slivers(grid: gpd.GeoDataFrame, min_area: float) -> gpd.GeoDataFrame:
    """Merge cells under ``min_area`` into the same-town neighbour with the longest shared border."""
    grid = grid.copy()
    while True:
        small = grid[grid.area < min_area].sort_values("quarter_id")
        merged = False
        for idx, row in small.iterrows():
            if idx not in grid.index:
                continue
            others = grid[(grid["town"] == row["town"]) & (grid.index != idx)]
            shared = others.geometry.boundary.intersection(row.geometry.boundary).length
            shared = shared[shared > 0]
            if shared.empty:
                continue
            target = shared.sort_values(ascending=False, kind="stable").index[0]
            grid.at[target, "geometry"] = _polygonal(grid.at[target, "geometry"].union(row.geometry))
            grid = grid.drop(index=idx)
            merged = True
        if not merged:
            return grid


#: Where quarter polygons come from (``source``); only ``file`` may be an official boundary.
SOURCES = ("file", "stradario", "griglia", "punti_riferimento")

#: Areas under this many square metres count as nothing (rounding of clipped polygons).
_MIN_AREA_M2 = 100.0

_CHECK_TEXT: dict[str, dict[str, str]] = {
    "repaired": {"it": "geometria non valida riparata: {name}", "en": "invalid geometry repaired: {name}"},
    "overlap": {"it": "sovrapposizione {a} / {b}: {ha} ha", "en": "overlap {a} / {b}: {ha} ha"},
    "outside": {"it": "{name}: {ha} ha fuori dal comune (tagliati)",
                "en": "{name}: {ha} ha outside the comune (clipped)"},
    "dropped": {"it": "{name}: interamente fuori {where} ({ha} ha): escluso",
                "en": "{name}: wholly outside {where} ({ha} ha): left out"},
    "dropped_any": {"it": "dai comuni del progetto", "en": "the project's towns"},
    "unknown_town": {"it": "{name}: comune {town!r} non configurato, attribuito dalla geometria",
                     "en": "{name}: town {town!r} is not configured, taken from the geometry"},
    "gap": {"it": "{town}: {ha} ha del comune non coperti da quartieri",
            "en": "{town}: {ha} ha of the comune not covered by quarters"},
    "no_quarters": {"it": "nessun quartiere per {town}: le sue segnalazioni sono contate solo a livello comunale",
                    "en": "no quarters for {town}: its reports are counted only at town level"},
    "duplicate": {"it": "nome ripetuto: {name}", "en": "repeated name: {name}"},
    "shared": {"it": "{where} è assegnato a più quartieri ({quarters}): punto escluso dal calcolo",
               "en": "{where} is assigned to several quarters ({quarters}): point left out"},
    "shared_many": {"it": "{n} {n|punto assegnato|punti assegnati} a più quartieri ({quarters}), {n|escluso|esclusi} dal calcolo: {examples}",
                    "en": "{n} {n|point|points} assigned to several quarters ({quarters}), left out: {examples}"},
    "unbuilt": {"it": "{name} ({town}): nessun punto proprio, quartiere non costruito",
                "en": "{name} ({town}): no point of its own, quarter not built"},
    "ok": {"it": "nessun problema", "en": "no problem"},
}


def _t(key: str, language: str, /, **values: object) -> str:
    return translate(_CHECK_TEXT, key, language, **values)


def _ha(value: float, decimals: int, language: str) -> str:
    text = f"{value:,.{decimals}f}"
    if language == "it":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


@dataclass
class QuarterCheck:
    """Problems found in a set of quarters, with areas in hectares.

    Attributes
    ----------
    repaired : list of str
        Quarters whose invalid geometry was repaired (``make_valid``).
    overlaps : list of (str, str, float)
        Pairs of quarters that overlap, and the hectares they share.
    outside : list of (str, float)
        Quarters with a part outside their comune (clipped away), in hectares.
    dropped : list of (str, str, float)
        Quarters wholly outside their comune (or every comune): ``(name, town or "", ha)``.
        They are left out, not an error.
    unknown_towns : list of (str, str)
        Quarters whose ``town`` is not a configured town (their town was taken from the geometry).
    gaps_ha : dict of str to float
        Hectares of each comune not covered by its quarters (towns with quarters only).
    towns_without_quarters : list of str
        Configured towns with no quarter at all: their reports are counted only at town level.
    duplicates : list of str
        Names repeated within a town.
    shared_points : list of (str, str, tuple of str)
        Points a street list assigns to two or more quarters: ``(town, where, quarters)``.
    unbuilt : list of (str, str)
        ``(town, quarter)`` named in a street list but left with no point of its own.

    Examples
    --------
    >>> quarters, check = prepare_quarters(raw, comuni)     # doctest: +SKIP
    >>> print(check.summary("it"))                           # doctest: +SKIP
    """

    repaired: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)
    outside: list[tuple[str, float]] = field(default_factory=list)
    dropped: list[tuple[str, str, float]] = field(default_factory=list)
    unknown_towns: list[tuple[str, str]] = field(default_factory=list)
    gaps_ha: dict[str, float] = field(default_factory=dict)
    towns_without_quarters: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    shared_points: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    unbuilt: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing needs the coordinator's attention (a town without quarters is a choice)."""
        return not (
            self.overlaps or self.outside or self.duplicates or self.dropped or self.shared_points
            or self.unknown_towns or self.unbuilt
        ) and all(v < 1 for v in self.gaps_ha.values())

    def lines(self, language: str = "it") -> list[str]:
        """One line per problem, in ``language`` (``it`` or ``en``); areas in hectares."""
        lang = language if language in ("it", "en") else "it"

        out = [_t("repaired", lang, name=n) for n in self.repaired]
        out += [_t("overlap", lang, a=a, b=b, ha=_ha(ha, 2, lang)) for a, b, ha in self.overlaps]
        out += [_t("outside", lang, name=n, ha=_ha(ha, 2, lang)) for n, ha in self.outside]
        out += [_t("dropped", lang, name=n, where=t or _t("dropped_any", lang), ha=_ha(ha, 1, lang)) for n, t, ha in self.dropped]
        out += [_t("unknown_town", lang, name=n, town=t) for n, t in self.unknown_towns]
        out += [_t("gap", lang, town=t, ha=_ha(ha, 1, lang)) for t, ha in self.gaps_ha.items() if ha >= 1]
        out += [_t("no_quarters", lang, town=t) for t in self.towns_without_quarters]
        out += [_t("duplicate", lang, name=n) for n in self.duplicates]
        groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for t, w, qs in self.shared_points:
            groups.setdefault((t, qs), []).append(w if w.endswith(t) else f"{w} ({t})")
        for (_town, qs), where in groups.items():
            names = ", ".join(qs)
            if len(where) == 1:
                out.append(_t("shared", lang, where=where[0], quarters=names))
            else:
                more = f" (+{len(where) - 5})" if len(where) > 5 else ""
                out.append(_t("shared_many", lang, n=len(where), quarters=names, examples="; ".join(where[:5]) + more))
        out += [_t("unbuilt", lang, name=n, town=t) for t, n in self.unbuilt]
        return out

    def summary(self, language: str = "it") -> str:
        """The report as text, one problem per line ("nessun problema" when there is none)."""
        lines = self.lines(language)
        return "\n".join(lines) if lines else _t("ok", language)

    def figures(self) -> dict[str, float | int]:
        """Counts of each kind of problem and the uncovered hectares (for logs and the run manifest)."""
        return {
            "repaired": len(self.repaired), "overlaps": len(self.overlaps), "outside": len(self.outside),
            "dropped": len(self.dropped), "unknown_towns": len(self.unknown_towns),
            "gaps_ha": round(sum(self.gaps_ha.values()), 1),
            "towns_without_quarters": len(self.towns_without_quarters),
            "duplicates": len(self.duplicates), "shared_points": len(self.shared_points),
            "unbuilt": len(self.unbuilt),
        }


def prepare_quarters(
    raw: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, source: str | None = None
) -> tuple[gpd.GeoDataFrame, QuarterCheck]:
    """Check and repair quarters: valid geometry, town, overlaps, gaps, parts outside.

    Nothing here stops the run for a fixable problem: a quarter wholly outside its comune
    (or every comune) is left out and listed, a part outside is clipped and listed, and a
    configured town with no quarter at all is reported as such (its reports are counted
    only at town level), not as a gap.

    Parameters
    ----------
    raw : GeoDataFrame
        ``name``[, ``town``][, ``source``], polygons, any CRS.
    boundaries : GeoDataFrame
        Comune polygons (``name``).
    source : str, optional
        ``file`` / ``stradario`` / ``griglia`` for every quarter. Default: the file's own
        ``source`` column where it holds one of these, else ``file``.

    Returns
    -------
    (GeoDataFrame, QuarterCheck)
        Quarters (EPSG:4326) ``quarter_id`` (town code + slug of the name), ``name``, ``town``,
        ``source``, clipped to their comune; and the problems found (:class:`QuarterCheck`).

    Raises
    ------
    QuartersError
        No CRS, no ``name`` column, or no quarter inside the configured towns.

    Examples
    --------
    >>> quarters, check = prepare_quarters(read_quarters("quartieri.gpkg"), comuni)   # doctest: +SKIP
    """
    if raw.crs is None:
        raise QuartersError("quarter boundaries have no coordinate reference system")
    if "name" not in raw.columns:
        raise QuartersError("quarter boundaries need a 'name' column")
    check = QuarterCheck()
    q = raw.to_crs(UTM).reset_index(drop=True)
    q = gpd.GeoDataFrame(q.drop(columns="geometry"), geometry=q.geometry.to_numpy(), crs=UTM)
    q["name"] = q["name"].astype(str).str.strip()
    geoms = q.geometry.to_numpy().copy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    check.repaired = q.loc[invalid, "name"].astype(str).tolist()
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    q["geometry"] = [_polygonal(g) if ok else None for g, ok in zip(geoms, present)]
    q = q[q.geometry.notna()].reset_index(drop=True)

    if source is not None:
        q["source"] = source
    elif "source" in q.columns:
        src = q["source"].astype("string").str.strip().str.lower()
        q["source"] = src.where(src.isin(SOURCES), "file").fillna("file").astype(str)
    else:
        q["source"] = "file"

    b = boundaries.to_crs(UTM)
    polys = {str(n): g for n, g in zip(b["name"], b.geometry)}
    by_fold = {_fold(t): t for t in polys}
    towns: list[str | None] = [None] * len(q)
    if "town" in q.columns:
        for i, (n, typed) in enumerate(zip(q["name"], q["town"])):
            if pd.isna(typed) or not str(typed).strip():
                continue
            canon = by_fold.get(_fold(str(typed)))
            if canon is None:
                check.unknown_towns.append((str(n), str(typed)))
            towns[i] = canon
    geoms = q.geometry.to_numpy()
    # A quarter without a (known) town goes to the comune holding most of it.
    shares = {t: shapely.area(shapely.intersection(geoms, poly)) for t, poly in sorted(polys.items())}
    keep = np.ones(len(q), dtype=bool)
    clipped: list[object] = []
    for i, (n, g) in enumerate(zip(q["name"], geoms)):
        t = towns[i]
        if t is None and shares:
            best = max(shares, key=lambda k: shares[k][i])
            t = best if shares[best][i] >= _MIN_AREA_M2 else None
        inside = _polygonal(g.intersection(polys[t])) if t is not None else None
        if t is None or inside is None or inside.area < _MIN_AREA_M2:
            check.dropped.append((str(n), t or "", round(g.area / 1e4, 1)))
            keep[i] = False
            clipped.append(None)
            continue
        towns[i] = t
        out = g.area - inside.area
        if out / 1e4 >= 0.01:
            check.outside.append((str(n), round(out / 1e4, 2)))
        clipped.append(inside)
    q["town"] = towns
    q["geometry"] = clipped
    q = q[keep].reset_index(drop=True)
    if q.empty:
        raise QuartersError(
            "no quarter lies inside the configured towns (" + ", ".join(sorted(polys)) + "):\n  - "
            + "\n  - ".join(check.lines("en"))
        )
    dup = q.duplicated(["town", "name"], keep=False)
    check.duplicates = sorted(set(q.loc[dup, "name"].astype(str)))
    left, right = q.sindex.query(q.geometry, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            a = q.geometry.iloc[i].intersection(q.geometry.iloc[j]).area / 1e4
            if a >= 0.01:
                check.overlaps.append((str(q["name"].iloc[i]), str(q["name"].iloc[j]), round(a, 2)))
    for t, poly in sorted(polys.items()):
        mine = q.loc[q["town"] == t].geometry.to_numpy()
        if len(mine) == 0:
            check.towns_without_quarters.append(t)
            continue
        check.gaps_ha[t] = round(poly.difference(shapely.union_all(mine)).area / 1e4, 1)
    codes = _codes(boundaries)
    q["quarter_id"] = [f"{_code(t, codes)}-{_slug(str(n))}" for t, n in zip(q["town"], q["name"])]
    q["quarter_id"] = _dedupe(q["quarter_id"])
    q = q.to_crs(4326)
    q = q[["quarter_id", "name", "town", "source", "geometry"]].sort_values("quarter_id").reset_index(drop=True)
    return q, check


def _dedupe(ids: pd.Series) -> pd.Series:
    counts: dict[str, int] = {}
    out = []
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
        out.append(i if counts[i] == 1 else f"{i}-{counts[i]}")
    return pd.Series(out, index=ids.index)


@overload
def quarters_from_points(
    points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, with_check: Literal[False] = ..., source: str = ...
) -> gpd.GeoDataFrame: ...


@overload
def quarters_from_points(
    points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, with_check: Literal[True], source: str = ...
) -> tuple[gpd.GeoDataFrame, QuarterCheck]: ...


def quarters_from_points(
    points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, with_check: bool = False, source: str = "stradario"
) -> gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, QuarterCheck]:
    """Quarters from located addresses that a street list assigns to quarters.

    Voronoi cells around each point, dissolved by quarter name and clipped to the
    comune of the points (``source = "stradario"``: indicative, not official). A town
    whose points all belong to one quarter gets that quarter over the whole comune.

    A point that the list gives to two or more quarters (the same address, or a whole
    street named in two quarters) is NOT resolved silently: it is left out of the
    cells (its area goes to the neighbouring points) and listed in
    ``QuarterCheck.shared_points``; without ``with_check`` a warning names them.

    Parameters
    ----------
    points : GeoDataFrame
        Points with ``quartiere`` (quarter name) and ``town``; an optional ``label``
        (e.g. ``"Via Roma 12"``) names the point in the report.
    boundaries : GeoDataFrame
        Comune polygons (``name``).
    with_check : bool
        Also return the :class:`QuarterCheck` (shared points, gaps, towns without quarters).
    source : str
        ``source`` of the quarters: ``stradario`` (a street list, the default) or
        ``punti_riferimento`` (landmarks, :func:`fragmap.landmarks.quarters_from_landmarks`).

    Returns
    -------
    GeoDataFrame, or (GeoDataFrame, QuarterCheck) with ``with_check=True``

    Raises
    ------
    QuartersError
        If no quarter can be built (no located point in any configured town).

    Examples
    --------
    >>> q, check = quarters_from_points(placed.points, comuni, with_check=True)   # doctest: +SKIP
    >>> print(check.summary("it"))                                                # doctest: +SKIP
    """
    pts = points[points.geometry.notna() & ~points.geometry.is_empty & points["quartiere"].notna()]
    pts = pts.to_crs(UTM)
    b = boundaries.to_crs(UTM)
    frame = pd.DataFrame({
        "town": pts["town"].astype(str).to_numpy(),
        "quartiere": pts["quartiere"].astype(str).str.strip().to_numpy(),
        "x": np.round(pts.geometry.x.to_numpy(), 2),
        "y": np.round(pts.geometry.y.to_numpy(), 2),
        "label": (pts["label"].astype(str).to_numpy() if "label" in pts.columns
                  else [f"{p.y:.5f}, {p.x:.5f}" for p in points.loc[pts.index].to_crs(4326).geometry]),
    })
    frame = frame[frame["quartiere"] != ""]
    names = frame.groupby(["town", "x", "y"], sort=True)["quartiere"].agg(lambda s: tuple(sorted(set(s))))
    contested = names[names.map(len) > 1]
    shared: list[tuple[str, str, tuple[str, ...]]] = []
    if len(contested):
        first_label = frame.groupby(["town", "x", "y"], sort=True)["label"].first()
        for key, qs in contested.items():
            shared.append((str(key[0]), str(first_label[key]), qs))
    seeds = names[names.map(len) == 1].map(lambda t: t[0]).rename("quartiere").reset_index()
    rows: list[dict[str, Any]] = []
    for town, poly in zip(b["name"].astype(str), b.geometry):
        p = seeds[seeds["town"] == town]
        if p.empty:
            continue
        if p["quartiere"].nunique() == 1:
            rows.append({"name": p["quartiere"].iloc[0], "town": town, "geometry": poly})
            continue
        xy = shapely.points(p["x"].to_numpy(), p["y"].to_numpy())
        cells = np.asarray(shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=poly.envelope.buffer(1000))
        ))
        cell_i, pt_i = shapely.STRtree(xy).query(cells, predicate="contains")
        label = np.full(len(cells), None, dtype=object)
        label[cell_i] = p["quartiere"].to_numpy()[pt_i]
        for name in sorted(set(p["quartiere"])):
            mine = cells[label == name]
            g = _polygonal(shapely.coverage_union_all(mine).intersection(poly))
            if g is not None and g.area >= _MIN_AREA_M2:
                rows.append({"name": name, "town": town, "geometry": g})
    if not rows:
        raise QuartersError(
            "no quarter could be built: no located address of the street list lies in a configured town"
        )
    raw = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)
    quarters, check = prepare_quarters(raw, boundaries, source=source)
    check.shared_points = shared
    built = {(r["town"], r["name"]) for r in rows}
    wanted = set(zip(frame["town"], frame["quartiere"]))
    check.unbuilt = sorted((t, n) for t, n in wanted - built if t in set(b["name"].astype(str)))
    if with_check:
        return quarters, check
    if shared:
        warnings.warn(
            "points assigned to several quarters were left out: "
            + "; ".join(f"{w} ({t}): {', '.join(qs)}" for t, w, qs in shared[:10]),
            stacklevel=2,
        )
    return quarters


# -- street lists -> located points ------------------------------------------------------------
#: Why a row of a street list could not be placed.
STREET_REASONS: dict[str, dict[str, str]] = {
    "quartiere_mancante": {"it": "quartiere mancante", "en": "no quarter name"},
    "via_mancante": {"it": "via mancante", "en": "no street"},
    "comune_sconosciuto": {"it": "comune non configurato", "en": "town not configured"},
    "via_non_trovata": {"it": "via non trovata nello stradario", "en": "street not found in the street list"},
    "via_senza_geometria": {"it": "via senza punti noti offline (serve un estratto OSM o i civici ANNCSU)",
                            "en": "street with no known point offline (add an OSM extract or ANNCSU numbers)"},
    "civico_non_trovato": {"it": "indirizzo non trovato", "en": "address not found"},
}


@dataclass
class StreetPlacement:
    """Points placed from a street list, and the rows that could not be placed.

    Attributes
    ----------
    points : GeoDataFrame
        ``row, town, quartiere, label, level, geometry`` (EPSG:4326). ``level`` is the
        geocoder's match level for a row with a house number (``civico``, ``via``), or
        ``via_intera`` for each known point of a whole street.
    unplaced : DataFrame
        ``row, town, street, number, quartiere, reason`` (``reason`` in :data:`STREET_REASONS`).
    """

    points: gpd.GeoDataFrame
    unplaced: pd.DataFrame

    def lines(self, language: str = "it") -> list[str]:
        """One line per unplaced row: ``riga 12: Via Roma 5 (Pavia) -> Nord: via non trovata``."""
        lang = language if language in ("it", "en") else "it"
        word = "riga" if lang == "it" else "row"
        out = []
        for r in self.unplaced.itertuples(index=False):
            addr = " ".join(str(v) for v in (r.street, r.number) if isinstance(v, str) and v)
            town = f" ({r.town})" if isinstance(r.town, str) and r.town else ""
            out.append(f"{word} {r.row}: {addr or '-'}{town} -> {r.quartiere or '-'}: {translate(STREET_REASONS, r.reason, lang)}")
        return out


def locate_street_table(
    table: pd.DataFrame,
    gazetteer: Any,
    *,
    geocoder: Any = None,
    town_names: Sequence[str] | None = None,
    line_step_m: float = 50.0,
) -> StreetPlacement:
    """Place the rows of a street list (town, street[, number], quarter) on the map.

    A row with a house number (in ``number`` or typed in ``street``) is geocoded with the
    project's geocoder (one point, its match level kept). A row naming a whole street
    uses EVERY known point of that street in the gazetteer (all its address points, and
    points every ``line_step_m`` metres along its line when the gazetteer has one), not
    one centre, so the street's cells follow its whole length.

    Parameters
    ----------
    table : DataFrame
        ``street``, ``quartiere`` and optionally ``town`` and ``number`` (text); the index
        (or a ``row`` column) is the spreadsheet row number reported for unplaced rows.
    gazetteer : fragmap.geocode.Gazetteer
        The project's gazetteer (``fragmap.geocode.default_gazetteer(settings)``).
    geocoder : Geocoder or callable, optional
        Something with ``lookup(address, town) -> Match`` or such a callable; default a
        :class:`fragmap.geocode.Geocoder` over ``gazetteer``.
    town_names : sequence of str, optional
        The configured towns (``settings.town_names``); a row without a town is looked up
        in each. Default: the towns of the gazetteer.
    line_step_m : float
        Spacing of the points taken along a street line, in metres.

    Returns
    -------
    StreetPlacement

    Examples
    --------
    >>> t = pd.DataFrame({"town": ["Voghera"], "street": ["Via Emilia"], "quartiere": ["Centro"]})
    >>> placed = locate_street_table(t, gaz)          # doctest: +SKIP
    >>> placed.points.groupby("quartiere").size()     # doctest: +SKIP
    """
    from fragmap.geocode.gazetteer import match_street
    from fragmap.geocode.normalise import fold, normaliser

    towns = tuple(town_names) if town_names is not None else tuple(
        sorted({str(t) for t in gazetteer.streets["town"]}))
    normalise_address = normaliser({fold(t): t for t in towns}, {})
    if geocoder is None:
        from fragmap.geocode import Geocoder

        geocoder = Geocoder(gazetteer, town_names=towns)
    lookup: Callable[[str, str | None], Any] = geocoder.lookup if hasattr(geocoder, "lookup") else geocoder
    keys_by_town = {str(t): g["key"].tolist() for t, g in gazetteer.streets.groupby("town")}
    street_points: dict[tuple[str, str], np.ndarray] = {}
    for (t, k), g in gazetteer.points.groupby(["town", "key"]):
        street_points[(str(t), str(k))] = np.column_stack(
            [g["lon"].to_numpy(float), g["lat"].to_numpy(float), g["number"].to_numpy(float)])
    lines: dict[tuple[str, str], Any] = {}
    if getattr(gazetteer, "lines", None) is not None and len(gazetteer.lines):
        lu = gazetteer.lines.to_crs(UTM)
        for t, k, geom in zip(lu["town"], lu["key"], lu.geometry):
            lines[(str(t), str(k))] = geom
    by_fold = {fold(t): t for t in towns}

    def col(name: str) -> pd.Series:
        if name not in table.columns:
            return pd.Series("", index=table.index, dtype=object)
        return table[name].astype("string").fillna("").str.strip().astype(object)

    rows = table["row"].tolist() if "row" in table.columns else list(table.index)
    town_col, street_col, number_col, q_col = col("town"), col("street"), col("number"), col("quartiere")
    placed: list[dict[str, object]] = []
    unplaced: list[tuple[object, str, str, str, str, str]] = []
    cache: dict[tuple[str | None, str], tuple[str, list[tuple[float, float, str]], str]] = {}
    line_xy: dict[tuple[str, str], list[tuple[float, float]]] = {}

    def along(t: str, k: str) -> list[tuple[float, float]]:
        if (t, k) not in line_xy:
            line = lines[(t, k)]
            d = np.append(np.arange(0.0, line.length, line_step_m), line.length)
            pts_utm = shapely.line_interpolate_point(line, d)
            lonlat = gpd.GeoSeries(pts_utm, crs=UTM).to_crs(4326)
            line_xy[(t, k)] = list(zip(lonlat.x.to_numpy(), lonlat.y.to_numpy()))
        return line_xy[(t, k)]

    def resolve(t: str | None, text: str) -> tuple[str, list[tuple[float, float, str]], str]:
        """(reason or "", [(lon, lat, label)...], level) for one street text in one town."""
        p = normalise_address(text)  # with the project's towns, as the geocoder reads it
        if p.house_number is not None:
            m = lookup(text, t)
            if m.level in ("civico", "via", "coordinate") and not pd.isna(m.lat):
                return "", [(float(m.lon), float(m.lat), str(m.matched or text))], str(m.level)
            if m.level == "comune" and m.matched:
                return "via_senza_geometria", [], ""
            # a house number restricts the row to part of the street: never widen it to the whole street
            return "civico_non_trovato", [], ""
        if p.key is None:
            return "via_non_trovata", [], ""
        best: tuple[float, str, str] | None = None
        for town in ([t] if t else list(towns)):
            k, score = match_street(p.key, p.street_type, keys_by_town.get(town, []))
            if k is None:
                continue
            rank = score + (3 if (town, k) in street_points or (town, k) in lines else 0)
            if best is None or rank > best[0]:
                best = (rank, town, k)
        if best is None:
            return "via_non_trovata", [], ""
        _, town, k = best
        xy: list[tuple[float, float, str]] = []
        if (town, k) in street_points:
            xy += [(float(x), float(y), f"{k} {int(n)}, {town}" if n > 0 else f"{k}, {town}")
                   for x, y, n in street_points[(town, k)]]
        if (town, k) in lines:
            xy += [(x, y, f"{k}, {town}") for x, y in along(town, k)]
        if not xy:
            return "via_senza_geometria", [], ""
        return "", xy, "via_intera"

    for row, typed_town, street, number, quartiere in zip(rows, town_col, street_col, number_col, q_col):
        t: str | None = None
        if typed_town:
            t = by_fold.get(fold(typed_town))
        base = (row, typed_town, street, number, quartiere)
        if not quartiere:
            unplaced.append((*base, "quartiere_mancante"))
            continue
        if not street:
            unplaced.append((*base, "via_mancante"))
            continue
        if typed_town and t is None:
            unplaced.append((*base, "comune_sconosciuto"))
            continue
        text = f"{street} {number}".strip()
        key = (t, fold(text))
        if key not in cache:
            cache[key] = resolve(t, text)
        reason, xy, level = cache[key]
        if reason:
            unplaced.append((*base, reason))
            continue
        for x, y, label in xy:
            placed.append({"row": row, "town": t or _town_of(label, towns), "quartiere": quartiere,
                           "label": label, "level": level, "x": x, "y": y})
    pts = pd.DataFrame(placed, columns=["row", "town", "quartiere", "label", "level", "x", "y"])
    gdf = gpd.GeoDataFrame(pts.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(pts["x"], pts["y"]), crs=4326)
    bad = pd.DataFrame(unplaced, columns=["row", "town", "street", "number", "quartiere", "reason"])
    return StreetPlacement(gdf.reset_index(drop=True), bad)


def _town_of(label: str, towns: Sequence[str]) -> str:
    """The town named at the end of a matched address (``"VIA ROMA 1, Pavia"`` -> ``"Pavia"``)."""
    tail = label.rsplit(",", 1)[-1].strip()
    return tail if tail in towns else ""


def assign_points(lat: np.ndarray, lon: np.ndarray, quarters: gpd.GeoDataFrame) -> np.ndarray:
    """``quarter_id`` of each point (None outside); a point on a shared border goes to the lowest id.

    Vectorised and deterministic: points are sorted by longitude once; each quarter (in
    ``quarter_id`` order) tests only the points in its bounding box that no lower id has
    taken, with a prepared point-in-polygon test (borders included).

    Examples
    --------
    >>> ids = assign_points(reports["lat"].to_numpy(), reports["lon"].to_numpy(), quarters)   # doctest: +SKIP
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.full(len(lat), None, dtype=object)
    ok = np.nonzero(~(np.isnan(lat) | np.isnan(lon)))[0]
    if not len(ok) or quarters.empty:
        return out
    q = quarters.sort_values("quarter_id").reset_index(drop=True)
    order = ok[np.argsort(lon[ok], kind="stable")]
    xs = lon[order]
    taken = np.zeros(len(lat), dtype=bool)
    for qid, geom in zip(q["quarter_id"].to_numpy(), q.geometry.to_numpy()):
        if geom is None or geom.is_empty:
            continue
        minx, miny, maxx, maxy = geom.bounds
        cand = order[np.searchsorted(xs, minx, "left"):np.searchsorted(xs, maxx, "right")]
        cand = cand[(lat[cand] >= miny) & (lat[cand] <= maxy) & ~taken[cand]]
        if not len(cand):
            continue
        shapely.prepare(geom)
        hit = cand[shapely.intersects_xy(geom, lon[cand], lat[cand])]  # intersects: border points count too
        out[hit] = qid
        taken[hit] = True
    return out




def assign_reports(reports: pd.DataFrame, quarters: gpd.GeoDataFrame) -> pd.Series:
    """Quarter of each geocoded report (NA when it has none).

    Reports with a point are placed by point in polygon (:func:`assign_points`). Reports
    with only a quarter name (``match_level == "quartiere"``) are placed by name when the
    quarters have real names (a file or a street list), never on a hexagon grid: the
    folded name is matched exactly, else to the closest name (similarity >= 85), within
    the report's town when it has one. Each distinct (town, name) is resolved once.

    Parameters
    ----------
    reports : DataFrame
        Geocoded reports: ``lat``, ``lon`` (NaN when not placed), ``match_level``,
        ``quartiere`` and ``town``.
    quarters : GeoDataFrame
        ``quarter_id``, ``name``, ``town``, ``source``, polygons.

    Returns
    -------
    Series
        ``quarter_id`` per report, aligned with ``reports``.


    Examples
    --------
    >>> assigned["quarter_id"] = assign_reports(geocoded, quarters)     # doctest: +SKIP
    """
    lat = reports["lat"].to_numpy(dtype=float)
    lon = reports["lon"].to_numpy(dtype=float)
    ids = assign_points(lat, lon, quarters)
    if len(quarters) and "quartiere" in reports:
        named = quarters[quarters["source"].astype(str) != "griglia"].sort_values("quarter_id")
        need = pd.isna(ids) & reports["quartiere"].notna().to_numpy()
        if "match_level" in reports:
            need &= (reports["match_level"] == "quartiere").to_numpy()
        if len(named) and need.any():
            town = (reports["town"].astype("string").fillna("") if "town" in reports
                    else pd.Series("", index=reports.index, dtype="string"))
            keys = pd.DataFrame({"town": town.to_numpy()[need],
                                 "name": [_fold(v) for v in reports["quartiere"].to_numpy()[need]]})
            resolved = {k: _match_name(k[1], k[0], named) for k in set(zip(keys["town"], keys["name"]))}
            ids[np.nonzero(need)[0]] = [resolved[k] for k in zip(keys["town"], keys["name"])]
    return pd.Series(ids, index=reports.index, dtype="string")


def _match_name(name: str, town: str, named: gpd.GeoDataFrame) -> str | None:
    """The quarter_id named ``name`` (folded), within ``town`` when it has named quarters."""
    from rapidfuzz import fuzz, process

    pool = named[named["town"] == town] if town and (named["town"] == town).any() else named
    folded = [_fold(n) for n in pool["name"]]
    qids = pool["quarter_id"].tolist()
    for f, qid in zip(folded, qids):  # sorted by quarter_id: the lowest id wins a tie
        if f == name:
            return str(qid)
    m = process.extractOne(name, folded, scorer=fuzz.ratio, score_cutoff=85)
    return str(qids[m[2]]) if m else None


#: Why a report of the window has no quarter (codes of :func:`unassigned_reports`).
UNASSIGNED_REASONS: dict[str, dict[str, str]] = {
    "fuori_dai_quartieri": {"it": "localizzate ma fuori da ogni quartiere",
                            "en": "located but outside every quarter"},
    "solo_comune": {"it": "localizzate solo al comune", "en": "located only to the town"},
    "quartiere_sconosciuto": {"it": "solo un nome di quartiere che non è un quartiere",
                              "en": "only a quarter name that is not a quarter"},
    "non_trovato": {"it": "indirizzo non trovato", "en": "address not found"},
}


@dataclass(frozen=True)
class Unassigned:
    """Reports of the window without a quarter: counts by reason, and the PRIVATE list.

    Attributes
    ----------
    counts : DataFrame
        ``reason, label, reports``: one row per reason of :data:`UNASSIGNED_REASONS`, zeros included.
    by_town : DataFrame
        ``town, reason, reports`` (town as typed by the partner, ``""`` when absent).
    private : DataFrame
        ``partner, report_id, source_file, source_row, reason``: PRIVATE, for the
        coordinator only (``data/private/``), so the rows can be fixed at the source.
    """

    counts: pd.DataFrame
    by_town: pd.DataFrame
    private: pd.DataFrame

    @property
    def total(self) -> int:
        """Reports of the window without a quarter."""
        return int(self.counts["reports"].sum())

    def lines(self, language: str = "it") -> list[str]:
        """``12 indirizzo non trovato`` lines for the reasons with reports."""
        lang = language if language in ("it", "en") else "it"
        return [f"{int(n):,} {translate(UNASSIGNED_REASONS, r, lang)}".replace(",", "." if lang == "it" else ",")
                for r, n in zip(self.counts["reason"], self.counts["reports"]) if n]


def unassigned_reports(
    assigned: pd.DataFrame, *, months: Sequence[str], language: str = "it"
) -> Unassigned:
    """Reports of ``months`` (the 12-month window) that no quarter counts, grouped by reason.

    Reasons, in order: a point outside every quarter (``fuori_dai_quartieri``, e.g. a
    town without quarters or a gap in a quarter file), placed only to the town
    (``solo_comune``), only a quarter name that matches no quarter
    (``quartiere_sconosciuto``), nothing usable (``non_trovato``).

    Parameters
    ----------
    assigned : DataFrame
        Geocoded reports with ``quarter_id`` (NA = none), ``month``, ``lat``, ``lon``,
        ``match_level``, ``partner``, ``report_id``, ``source_file``, ``source_row``.
    months : sequence of str
        The window (``YYYY-MM``), e.g. ``fragmap.pipeline.month_range(month, 12)``.
    language : str
        Language of the ``label`` column.

    Returns
    -------
    Unassigned
        Counts (publishable as totals) and the PRIVATE row list.

    Examples
    --------
    >>> u = unassigned_reports(project.assigned("2026-10"), months=month_range("2026-10", 12))  # doctest: +SKIP
    >>> u.counts                                                                              # doctest: +SKIP
    """
    lang = language if language in ("it", "en") else "it"
    r = assigned[assigned["quarter_id"].isna() & assigned["month"].isin(list(months))]
    level = r["match_level"].astype("string").fillna("") if "match_level" in r else pd.Series("", index=r.index)
    located = r["lat"].notna() & r["lon"].notna()
    reason = np.select(
        [located.to_numpy(), (level == "comune").to_numpy(), (level == "quartiere").to_numpy()],
        ["fuori_dai_quartieri", "solo_comune", "quartiere_sconosciuto"],
        default="non_trovato",
    )
    codes = list(UNASSIGNED_REASONS)
    vc = pd.Series(reason, dtype=object).value_counts()
    counts = pd.DataFrame({
        "reason": codes,
        "label": [translate(UNASSIGNED_REASONS, c, lang) for c in codes],
        "reports": [int(vc.get(c, 0)) for c in codes],
    })
    town = r["town"].astype("string").fillna("").to_numpy() if "town" in r else np.full(len(r), "")
    by_town = (pd.DataFrame({"town": town, "reason": reason}).value_counts().rename("reports").reset_index()
               .sort_values(["town", "reason"]).reset_index(drop=True)) if len(r) else \
        pd.DataFrame(columns=["town", "reason", "reports"])

    def get(c: str) -> Any:
        return r[c].to_numpy() if c in r else np.full(len(r), pd.NA, dtype=object)

    private = pd.DataFrame({"partner": get("partner"), "report_id": get("report_id"),
                            "source_file": get("source_file"), "source_row": get("source_row"),
                            "reason": reason})
    order = {c: i for i, c in enumerate(codes)}
    private = (private.assign(_o=private["reason"].map(order))
               .sort_values(["_o", "partner", "source_file", "source_row"], kind="stable")
               .drop(columns="_o").reset_index(drop=True))
    return Unassigned(counts, by_town, private)


def add_population(
    quarters: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    weights: gpd.GeoDataFrame | None = None,
    user_population: pd.DataFrame | None = None,
    area_share: float = 0.5,
) -> gpd.GeoDataFrame:
    """Residents (``population``) and residents aged 65+ (``pop_65``) per quarter.

    From ``user_population`` when given (``key`` = name or quarter_id); otherwise an
    ESTIMATE (``population_estimated = True``): each comune's ISTAT total is spread over
    its quarters with weights that blend the quarter's share of the comune area
    (``area_share``) and its share of the public service points (schools, pharmacies,
    hospitals: a proxy for where people live), so no quarter gets zero. ``pop_65``
    applies the comune's 65+ share. The method is in docs/METHODS.md.

    Examples
    --------
    >>> q = add_population(hex_grid(comuni), read_population(istat_csv), boundaries=comuni,
    ...                    weights=services)                                  # doctest: +SKIP
    >>> q.groupby("town")["population"].sum()                                # doctest: +SKIP
    """
    q = quarters.copy()
    tot = population.groupby("comune")["tot"].sum()
    old = population[population["age"] >= 65].groupby("comune")["tot"].sum()
    share65 = (old / tot).to_dict()
    qm = q.to_crs(UTM)
    area = qm.area
    pts_count = pd.Series(0.0, index=q.index)
    if weights is not None and len(weights):
        w = weights
        if "type" in w.columns:
            w = w[w["type"].isin(["pharmacy", "school", "hospital"])]
        if len(w):
            ids = assign_points(w.geometry.y.to_numpy(), w.geometry.x.to_numpy(), q)
            vc = pd.Series(ids).value_counts()
            pts_count = q["quarter_id"].map(vc).fillna(0.0).astype(float)
    est = pd.Series(0.0, index=q.index)
    for town, grp in q.groupby("town"):
        a = area[grp.index] / area[grp.index].sum()
        p = pts_count[grp.index]
        p = p / p.sum() if p.sum() > 0 else a
        est[grp.index] = float(tot.get(town, 0)) * (area_share * a + (1 - area_share) * p)
    q["population"] = est.round(0)
    q["pop_65"] = (q["population"] * q["town"].map(share65).fillna(0)).round(0)
    q["population_estimated"] = True
    if user_population is not None and len(user_population):
        key = user_population.attrs.get("key", "name")
        by = user_population.set_index("key")
        k = q["quarter_id"] if key == "quarter_id" else q["name"]
        given = k.map(by["population"])
        has = given.notna()
        q.loc[has, "population"] = given[has]
        if "pop_65" in by:
            g65 = k.map(by["pop_65"])
            q.loc[has & g65.notna(), "pop_65"] = g65[has & g65.notna()]
        else:
            q.loc[has, "pop_65"] = (q.loc[has, "population"] * q.loc[has, "town"].map(share65)).round(0)
        q.loc[has, "population_estimated"] = False
    return q[list(QUARTER_COLUMNS)]
