"""Quarters: the areas fragmap counts in.

No open polygons of the quartieri exist for Pavia or Vigevano and ISTAT defines no
sub-municipal areas, so quarters come from the network's own file
(:func:`prepare_quarters` checks and repairs it), from a street list
(:func:`quarters_from_points`: Voronoi cells around located addresses, dissolved
by quarter), or, by default, from a regular hexagon grid (:func:`hex_grid`).
Anything that is not an official boundary says so (``source``).

All areas and distances are computed in EPSG:32632 (UTM 32N); results are
returned in EPSG:4326. Pure functions: nothing here reads or writes files.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from fragmap._errors import QuartersError

UTM = 32632
QUARTER_COLUMNS = ("quarter_id", "name", "town", "population", "pop_65", "population_estimated", "source", "geometry")
TOWN_CODES = {"Pavia": "PV", "Vigevano": "VG"}


def _code(town: str) -> str:
    return TOWN_CODES.get(town, re.sub(r"[^A-Z]", "", town.upper())[:2] or "XX")


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
        ``quarter_id`` (e.g. ``PV-H0304``: town code, row, column; stable for the same
        boundary and size), ``name``, ``town``, ``source = "griglia"``, geometry (EPSG:4326).

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
            rows.append({"quarter_id": f"{_code(town)}-H{i:02d}{j:02d}", "town": town, "geometry": g})
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


@dataclass
class QuarterCheck:
    """Problems found in a quarter file, with areas in hectares."""

    repaired: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)
    outside: list[tuple[str, float]] = field(default_factory=list)
    gaps_ha: dict[str, float] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.overlaps or self.outside or self.duplicates) and all(v < 1 for v in self.gaps_ha.values())

    def summary(self, language: str = "it") -> str:
        it = language == "it"
        lines = []
        for n in self.repaired:
            lines.append(("geometria non valida riparata: " if it else "invalid geometry repaired: ") + n)
        for a, b, ha in self.overlaps:
            lines.append((f"sovrapposizione {a} / {b}: {ha:.2f} ha" if it else f"overlap {a} / {b}: {ha:.2f} ha"))
        for n, ha in self.outside:
            lines.append((f"{n}: {ha:.2f} ha fuori dal comune" if it else f"{n}: {ha:.2f} ha outside the comune"))
        for t, ha in self.gaps_ha.items():
            if ha >= 1:
                lines.append((f"{t}: {ha:.1f} ha del comune non coperti da quartieri" if it
                              else f"{t}: {ha:.1f} ha of the comune not covered by quarters"))
        for n in self.duplicates:
            lines.append(("nome ripetuto: " if it else "repeated name: ") + n)
        return "\n".join(lines) if lines else ("nessun problema" if it else "no problem")


def prepare_quarters(
    raw: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, source: str = "file"
) -> tuple[gpd.GeoDataFrame, QuarterCheck]:
    """Check and repair a quarter file: valid geometry, town, overlaps, gaps, parts outside.

    Parameters
    ----------
    raw : GeoDataFrame
        ``name``[, ``town``], polygons, any CRS.
    boundaries : GeoDataFrame
        Comune polygons (``name``).

    Returns
    -------
    (GeoDataFrame, QuarterCheck)
        Quarters (EPSG:4326) with ``quarter_id`` (town code + slug of the name), clipped to
        their comune, and the list of problems found.
    """
    if raw.crs is None:
        raise QuartersError("quarter boundaries have no coordinate reference system")
    check = QuarterCheck()
    q = raw.to_crs(UTM).copy()
    invalid = ~q.is_valid
    for n in q.loc[invalid, "name"]:
        check.repaired.append(str(n))
    q.loc[invalid, "geometry"] = shapely.make_valid(q.loc[invalid, "geometry"].to_numpy())
    q["geometry"] = [_polygonal(g) for g in q.geometry]
    q = q[q.geometry.notna()]
    b = boundaries.to_crs(UTM)
    if "town" not in q.columns:
        # the comune holding most of each quarter
        inter = gpd.overlay(q[["name", "geometry"]].reset_index(), b[["name", "geometry"]].rename(columns={"name": "town"}),
                            how="intersection", keep_geom_type=True)
        inter["a"] = inter.area
        best = inter.sort_values("a", ascending=False).drop_duplicates("index").set_index("index")["town"]
        q["town"] = best.reindex(q.index)
    if q["town"].isna().any():
        names = ", ".join(q.loc[q["town"].isna(), "name"].astype(str))
        raise QuartersError(f"quarters outside every configured town: {names}")
    dup = q["name"].duplicated(keep=False) & q.duplicated(["town", "name"], keep=False)
    check.duplicates = sorted(set(q.loc[dup, "name"].astype(str)))
    polys = dict(zip(b["name"], b.geometry))
    clipped = []
    for n, t, g in zip(q["name"], q["town"], q.geometry):
        out = g.difference(polys[t]).area / 1e4
        if out >= 0.01:
            check.outside.append((str(n), round(out, 2)))
        clipped.append(_polygonal(g.intersection(polys[t])))
    q["geometry"] = clipped
    sidx = q.sindex
    left, right = sidx.query(q.geometry, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            a = q.geometry.iloc[i].intersection(q.geometry.iloc[j]).area / 1e4
            if a >= 0.01:
                check.overlaps.append((str(q["name"].iloc[i]), str(q["name"].iloc[j]), round(a, 2)))
    for t, poly in polys.items():
        covered = shapely.union_all(q.loc[q["town"] == t].geometry.to_numpy())
        check.gaps_ha[t] = round(poly.difference(covered).area / 1e4, 1) if not covered.is_empty else round(poly.area / 1e4, 1)
    q["quarter_id"] = [f"{_code(t)}-{_slug(str(n))}" for t, n in zip(q["town"], q["name"])]
    q["quarter_id"] = _dedupe(q["quarter_id"])
    q["source"] = source
    q = q.to_crs(4326)
    return q[["quarter_id", "name", "town", "source", "geometry"]].sort_values("quarter_id").reset_index(drop=True), check


def _dedupe(ids: pd.Series) -> pd.Series:
    counts: dict[str, int] = {}
    out = []
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
        out.append(i if counts[i] == 1 else f"{i}-{counts[i]}")
    return pd.Series(out, index=ids.index)


def quarters_from_points(points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Quarters from located addresses that a street list assigns to quarters.

    Voronoi cells around each point, dissolved by quarter name and clipped to the
    comune of the points (``source = "stradario"``: indicative, not official).

    Parameters
    ----------
    points : GeoDataFrame
        Points with ``quartiere`` (quarter name) and ``town``.
    boundaries : GeoDataFrame
        Comune polygons (``name``).
    """
    pts = points.to_crs(UTM)
    b = boundaries.to_crs(UTM)
    rows = []
    for town, poly in zip(b["name"], b.geometry):
        p = pts[pts["town"] == town]
        p = p[~p.geometry.duplicated()]
        if len(p) < 2:
            continue
        cells = shapely.voronoi_polygons(shapely.MultiPoint(p.geometry.to_list()), extend_to=poly.envelope.buffer(1000))
        cells = gpd.GeoDataFrame(geometry=list(cells.geoms), crs=UTM)
        joined = gpd.sjoin(cells, p[["quartiere", "geometry"]], predicate="contains", how="inner")
        diss = joined.dissolve(by="quartiere", as_index=False)
        for name, g in zip(diss["quartiere"], diss.geometry):
            rows.append({"name": str(name), "town": town, "geometry": _polygonal(g.intersection(poly))})
    if not rows:
        raise QuartersError("no quarter could be built: at least two located addresses per town are needed")
    raw = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)
    quarters, _ = prepare_quarters(raw, boundaries, source="stradario")
    return quarters


def assign_points(lat: np.ndarray, lon: np.ndarray, quarters: gpd.GeoDataFrame) -> np.ndarray:
    """``quarter_id`` of each point (None outside); a point on a shared border goes to the lowest id."""
    out = np.full(len(lat), None, dtype=object)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    if not ok.any() or quarters.empty:
        return out
    q = quarters.sort_values("quarter_id").reset_index(drop=True)
    pts = shapely.points(lon[ok], lat[ok])
    tree = shapely.STRtree(q.geometry.to_numpy())
    pi, qi = tree.query(pts, predicate="intersects")  # intersects: border points count too
    if len(pi):
        first = pd.DataFrame({"p": pi, "q": qi}).groupby("p")["q"].min()  # lowest id wins
        ids = q["quarter_id"].to_numpy()
        idx = np.nonzero(ok)[0]
        out[idx[first.index.to_numpy()]] = ids[first.to_numpy()]
    return out


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def assign_reports(reports: pd.DataFrame, quarters: gpd.GeoDataFrame) -> pd.Series:
    """Quarter of each geocoded report (NA when it has none).

    Reports with a point are placed by point in polygon. Reports with only a quarter
    name (``match_level == "quartiere"``) are placed by name when the quarters have real
    names (a file or a street list), never on a hexagon grid.
    """
    lat = reports["lat"].to_numpy(dtype=float)
    lon = reports["lon"].to_numpy(dtype=float)
    ids = assign_points(lat, lon, quarters)
    named = len(quarters) and str(quarters["source"].iloc[0]) != "griglia"
    if named and "quartiere" in reports:
        from rapidfuzz import fuzz, process

        names = {_fold(n): qid for n, qid in zip(quarters["name"], quarters["quarter_id"])}
        keys = list(names)
        need = (ids == None) & reports["quartiere"].notna().to_numpy()  # noqa: E711
        if "match_level" in reports:
            need &= (reports["match_level"] == "quartiere").to_numpy()
        for i in np.nonzero(need)[0]:
            k = _fold(reports["quartiere"].iloc[i])
            hit = names.get(k)
            if hit is None and keys:
                m = process.extractOne(k, keys, scorer=fuzz.ratio, score_cutoff=85)
                hit = names[m[0]] if m else None
            ids[i] = hit
    return pd.Series(ids, index=reports.index, dtype="string")


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
