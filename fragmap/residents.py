"""Coverage of people: how many residents (aged 65+ by default) live beyond N minutes' walk of a help desk.

Walking access to services (:mod:`fragmap.access`) is measured for reports; a planner also
asks about people: "what share of residents over 65 live more than 15 minutes (at 0.8 m/s)
from a help desk?". This module answers it per area, per town and for the network.

Each area's residents (``pop_65``, or ``population``) are spread over points where people
live (:func:`population_points`):

* after the geodata set-up (``fragmap geodati``), over the residential buildings of
  OpenStreetMap (the ``edifici`` layer: a point inside each home), in proportion to
  footprint × levels (:data:`DISTRIBUTION` ``"buildings"``);
* before it, or in an area with no home mapped, evenly over a regular grid of points inside
  the area, one per ``spacing_m`` square (``"uniform"``, labelled "stima: distribuzione
  uniforme").

Each point then walks to the nearest service of the chosen types with the same machinery as
report coverage (:func:`fragmap.access.access_times`: one multi-source Dijkstra over the
street network, or straight line × detour factor without one), at one speed (0.8 m/s, the
older people's speed, by default). Pure: nothing here opens a file.

The figures are estimates built from ISTAT totals, public services and public buildings,
not from reports; :func:`fragmap.privacy.publish_resident_coverage` rounds them for
publication.

Examples
--------
>>> cov = resident_coverage(pub.areas, services, buildings=gd["edifici"], graph=g)   # doctest: +SKIP
>>> cov[cov["level"] == "town"][["name", "share_beyond", "distribution"]]           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fragmap._geo import UTM
from fragmap.i18n import format_number, translate

#: The service types a resident is measured to by default: the network's help desks (sportelli).
DEFAULT_SERVICE_TYPES: tuple[str, ...] = ("sportello",)
#: Grid spacing (m) of the uniform distribution.
GRID_SPACING_M = 100.0
#: Level and id of the whole network's row.
NETWORK = "rete"
#: How the residents were spread over each area (the ``distribution`` column).
DISTRIBUTION: dict[str, dict[str, str]] = {
    "buildings": {"it": "edifici residenziali OpenStreetMap (superficie × piani)",
                  "en": "OpenStreetMap residential buildings (footprint × levels)"},
    "uniform": {"it": "stima: distribuzione uniforme", "en": "estimate: uniform distribution"},
    "mixed": {"it": "edifici residenziali OpenStreetMap; stima: distribuzione uniforme nelle aree senza edifici",
              "en": "OpenStreetMap residential buildings; estimate: uniform distribution in areas with none"},
}
_TEXT: dict[str, dict[str, str]] = {
    "sentence": {
        "it": "{where}: {article}{share} dei {who} vive a più di {minutes} minuti a piedi ({speed} m/s) da {service} "
              "(circa {beyond} su {total}) — {distribution}.",
        "en": "{where}: {share} of {who} live more than {minutes} minutes' walk ({speed} m/s) from {service} "
              "(about {beyond} of {total}) — {distribution}."},
    "who_pop_65": {"it": "residenti con 65 anni e più", "en": "residents aged 65+"},
    "who_population": {"it": "residenti", "en": "residents"},
    "service_sportello": {"it": "uno sportello della rete", "en": "a network help desk"},
    "service_other": {"it": "un servizio ({types})", "en": "a service ({types})"},
    "estimated": {"it": "popolazione stimata", "en": "estimated population"},
    "network": {"it": "Rete", "en": "Network"},
    "no_column": {"it": "le aree non hanno la colonna «{column}»: usare \"pop_65\" (65 anni e più) o \"population\"",
                  "en": "the areas have no '{column}' column: use \"pop_65\" (aged 65+) or \"population\""},
}
#: Columns of :func:`resident_coverage` (private and published alike: nothing in them comes from reports).
COLUMNS = ("area_id", "name", "town", "level", "population", "residents", "within", "beyond", "share_beyond",
           "minutes", "speed_ms", "services", "distribution", "method", "population_estimated")


def _t(key: str, language: str, /, **values: Any) -> str:
    return translate(_TEXT, key, language, **values)


def _quarters(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    q = areas[areas["level"] == "quarter"] if "level" in areas.columns else areas
    return q.to_crs(UTM).reset_index(drop=True)


def building_weights(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Each home's weight: footprint (m²) × levels.

    A building without ``levels`` counts the median of the tagged ones (1 when none is
    tagged); a missing or non-positive footprint weighs 0.

    Examples
    --------
    >>> b = gpd.GeoDataFrame({"area_m2": [100.0, 200.0, 50.0], "levels": [2.0, float("nan"), 4.0]},
    ...                      geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 2]), crs=UTM)
    >>> building_weights(b).tolist()
    [200.0, 600.0, 200.0]
    """
    area = pd.to_numeric(buildings.get("area_m2", pd.Series(np.nan, index=buildings.index)), errors="coerce")
    levels = pd.to_numeric(buildings.get("levels", pd.Series(np.nan, index=buildings.index)), errors="coerce")
    levels = levels.where(levels > 0)
    levels = levels.fillna(float(levels.median()) if levels.notna().any() else 1.0)
    w = (area * levels).to_numpy(dtype=float)
    return np.where(np.isfinite(w) & (w > 0), w, 0.0)


def grid_points(geom: Any, spacing_m: float = GRID_SPACING_M) -> np.ndarray:
    """Points of a regular grid inside ``geom`` (EPSG:32632): cell centres of a ``spacing_m`` grid.

    The grid is anchored on multiples of ``spacing_m`` (the same points whatever the area),
    and an area too small to hold one gets its representative point.

    Examples
    --------
    >>> grid_points(shapely.box(0, 0, 200, 100), 100).tolist()
    [[50.0, 50.0], [150.0, 50.0]]
    """
    x0, y0, x1, y1 = geom.bounds
    xs = np.arange(np.floor(x0 / spacing_m) * spacing_m + spacing_m / 2, x1, spacing_m)
    ys = np.arange(np.floor(y0 / spacing_m) * spacing_m + spacing_m / 2, y1, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(geom, gx, gy) if gx.size else np.zeros(0, dtype=bool)
    if not inside.any():
        p = geom.representative_point()
        return np.array([[p.x, p.y]])
    return np.column_stack([gx[inside], gy[inside]])


def population_points(
    areas: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    column: str = "pop_65",
    spacing_m: float = GRID_SPACING_M,
) -> gpd.GeoDataFrame:
    """Each area's residents spread over the points where they live.

    Parameters
    ----------
    areas : GeoDataFrame
        Areas with ``area_id`` and ``column`` (only ``level == "quarter"`` rows when the
        column is there), e.g. ``Publication.areas``.
    buildings : GeoDataFrame, optional
        Homes (the geodata ``edifici`` layer: points, ``area_m2``, ``levels``). A home counts
        for the area its point lies in; an area's residents go to its homes in proportion to
        :func:`building_weights`. None or empty: every area is spread uniformly.
    column : str
        The residents to spread: ``"pop_65"`` (aged 65+) or ``"population"`` (all).
    spacing_m : float
        Grid spacing of the uniform distribution (areas with no home, or no buildings at all).

    Returns
    -------
    GeoDataFrame
        EPSG:32632: ``area_id``, ``residents`` (float; they add up to each area's
        ``column``), ``distribution`` (``"buildings"`` or ``"uniform"``), point geometry.
        Areas with no residents get no point.

    Examples
    --------
    >>> pts = population_points(pub.areas, buildings=gd["edifici"])       # doctest: +SKIP
    >>> pts.groupby("area_id")["residents"].sum()                         # doctest: +SKIP
    """
    q = _quarters(areas)
    total = pd.to_numeric(q[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    homes_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if buildings is not None and len(buildings):
        b = buildings.to_crs(UTM)
        b = b[b.geometry.notna() & ~b.geometry.is_empty].copy()
        b["geometry"] = b.geometry.representative_point()
        b["_w"] = building_weights(b)
        b = b[b["_w"] > 0]
        if len(b):
            joined = gpd.sjoin(b[["_w", "geometry"]], q[["geometry"]], how="inner", predicate="within")
            joined = joined[~joined.index.duplicated(keep="first")]  # a home on a shared border: one area
            xy = shapely.get_coordinates(joined.geometry.to_numpy())
            for j, idx in joined.groupby("index_right").indices.items():
                homes_of[int(j)] = (xy[idx], joined["_w"].to_numpy()[idx])
    ids, res, how, pts = [], [], [], []
    for j in range(len(q)):
        if total[j] <= 0:
            continue
        if j in homes_of:
            xy, w = homes_of[j]
            share, kind = w / w.sum(), "buildings"
        else:
            xy = grid_points(q.geometry.iloc[j], spacing_m)
            share, kind = np.full(len(xy), 1.0 / len(xy)), "uniform"
        ids += [q["area_id"].iloc[j]] * len(xy)
        res.append(total[j] * share)
        how += [kind] * len(xy)
        pts.append(xy)
    xy_all = np.concatenate(pts) if pts else np.zeros((0, 2))
    return gpd.GeoDataFrame({"area_id": ids, "residents": np.concatenate(res) if res else np.zeros(0),
                             "distribution": how}, geometry=shapely.points(xy_all), crs=UTM)


def _label(kinds: set[str], language: str) -> str:
    key = "mixed" if len(kinds) > 1 else (next(iter(kinds)) if kinds else "uniform")
    return translate(DISTRIBUTION, key, language)


def resident_coverage(
    areas: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    graph: Any = None,
    minutes: float = 15,
    speed_ms: float = 0.8,
    detour_factor: float = 1.3,
    service_types: Sequence[str] = DEFAULT_SERVICE_TYPES,
    column: str = "pop_65",
    spacing_m: float = GRID_SPACING_M,
    language: str = "it",
) -> pd.DataFrame:
    """Residents within and beyond ``minutes`` of the nearest service, per area, town and network.

    Parameters
    ----------
    areas : GeoDataFrame
        ``area_id, name, town`` and ``column`` (``level`` and ``population_estimated`` when
        there), e.g. ``Publication.areas``: merged small quarters count together.
    services : GeoDataFrame
        Public services (``type``, points).
    buildings : GeoDataFrame, optional
        The homes of the geodata set-up (``edifici``); None: uniform distribution.
    graph : networkx graph, optional
        The walking network; None: straight line × ``detour_factor``.
    minutes, speed_ms : float
        Time limit and walking speed (m/s; 0.8 is the older people's speed of ``[access]``).
    detour_factor : float
        Straight-line detour factor (fallback without a network).
    service_types : sequence of str
        The service types that count (default the help desks, ``sportello``).
    column : str
        ``"pop_65"`` (residents aged 65+) or ``"population"``.
    spacing_m : float
        Grid spacing of the uniform distribution.
    language : str
        Language of ``distribution`` and ``method``.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: one row per area (``level == "quarter"``), per town (the sums of its
        areas) and the network (``area_id == "rete"``). ``residents`` is the area's
        ``column``; ``within`` + ``beyond`` = ``residents``; ``share_beyond`` = ``beyond /
        residents`` (NaN with no residents). A resident with no service of those types at
        all is beyond. ``distribution`` says how residents were spread, ``method`` how
        walking was measured.

    Raises
    ------
    ValueError
        If ``areas`` has no ``column``.

    Examples
    --------
    >>> cov = resident_coverage(areas, services, graph=g, speed_ms=0.8, minutes=15)    # doctest: +SKIP
    """
    from fragmap.access import _method, access_times

    if column not in areas.columns:
        raise ValueError(_t("no_column", language, column=column))
    q = _quarters(areas)
    pts = population_points(areas, buildings=buildings, column=column, spacing_m=spacing_m)
    svc = services[services["type"].isin(list(service_types))] if "type" in services.columns else services.iloc[:0]
    method = _method(graph, detour_factor, language)
    near = np.zeros(len(pts), dtype=bool)
    if len(pts) and len(svc):
        times = access_times(pts, svc, graph=graph, speed_ms=speed_ms, detour_factor=detour_factor,
                             language=language)
        cols = [c for c in times.columns if c.startswith("min_")]
        if cols:
            near = (times[cols].min(axis=1) <= minutes).to_numpy()
    within = pd.Series(pts["residents"].to_numpy() * near).groupby(pts["area_id"].to_numpy()).sum()
    kinds = pts.groupby("area_id")["distribution"].agg(lambda s: set(s))
    residents = pd.to_numeric(q[column], errors="coerce").fillna(0.0).astype(float)
    estimated = q["population_estimated"].astype(bool) if "population_estimated" in q.columns else \
        pd.Series(False, index=q.index)
    rows = pd.DataFrame({
        "area_id": q["area_id"].to_numpy(), "name": q["name"].astype(str).to_numpy(),
        "town": q["town"].astype(str).to_numpy(), "level": "quarter", "residents": residents.to_numpy(),
        "within": q["area_id"].map(within).fillna(0.0).to_numpy(dtype=float),
        "_kinds": [kinds.get(a, set()) for a in q["area_id"]], "population_estimated": estimated.to_numpy(),
    })
    parts = [rows]
    for town, grp in rows.groupby("town", sort=True):
        parts.append(pd.DataFrame([{
            "area_id": town, "name": town, "town": town, "level": "town", "residents": grp["residents"].sum(),
            "within": grp["within"].sum(), "_kinds": set().union(*grp["_kinds"]),
            "population_estimated": bool(grp["population_estimated"].any())}]))
    if len(rows):
        parts.append(pd.DataFrame([{
            "area_id": NETWORK, "name": _t("network", language), "town": "", "level": "network",
            "residents": rows["residents"].sum(), "within": rows["within"].sum(), "_kinds": set().union(*rows["_kinds"]),
            "population_estimated": bool(rows["population_estimated"].any())}]))
    out = pd.concat(parts, ignore_index=True)
    out["within"] = np.minimum(out["within"], out["residents"])  # float sums: never more than all
    out["beyond"] = out["residents"] - out["within"]
    out["share_beyond"] = (out["beyond"] / out["residents"]).where(out["residents"] > 0)
    out["population"] = column
    out["minutes"] = float(minutes)
    out["speed_ms"] = float(speed_ms)
    out["services"] = ", ".join(service_types)
    out["distribution"] = [_label(k, language) for k in out["_kinds"]]
    out["method"] = method
    return out[list(COLUMNS)]


def _article(share: str) -> str:
    """The Italian article of a percentage: "l'8%", "l'11%", "l'80%", but "il 18%", "il 100%".

    Examples
    --------
    >>> [_article(s) + s for s in ("1%", "8%", "11%", "18%", "83%", "100%")]
    ["l'1%", "l'8%", "l'11%", 'il 18%', "l'83%", 'il 100%']
    """
    digits = share.rstrip("%").replace(".", "").replace(",", "").strip()
    return "l'" if digits in ("1", "11") or digits.startswith("8") else "il "


def resident_sentences(table: pd.DataFrame, language: str = "it", *, levels: Sequence[str] = ("network", "town")
                       ) -> list[str]:
    """One sentence per town and the network, e.g. "Pavia: il 23% dei residenti con 65 anni e più vive
    a più di 15 minuti a piedi (0,8 m/s) da uno sportello della rete (circa 2.340 su 10.180) — stima:
    distribuzione uniforme; popolazione stimata."

    Parameters
    ----------
    table : DataFrame
        :func:`resident_coverage`, or its published form
        (:func:`fragmap.privacy.publish_resident_coverage`); rows with no share are skipped.
    language : str
        ``"it"`` or ``"en"``.
    levels : sequence of str
        The rows to describe, in this order.

    Examples
    --------
    >>> row = {"area_id": "Pavia", "name": "Pavia", "level": "town", "population": "pop_65",
    ...        "residents": 1000.0, "beyond": 230.0, "share_beyond": 0.23, "minutes": 15.0, "speed_ms": 0.8,
    ...        "services": "sportello", "distribution": "stima: distribuzione uniforme",
    ...        "population_estimated": True}
    >>> resident_sentences(pd.DataFrame([row]))[0]
    'Pavia: il 23% dei residenti con 65 anni e più vive a più di 15 minuti a piedi (0,8 m/s) da uno sportello della rete (circa 230 su 1.000) — stima: distribuzione uniforme; popolazione stimata.'
    """
    from fragmap.i18n import format_share

    out = []
    for level in levels:
        for r in table[(table["level"] == level) & table["share_beyond"].notna()].itertuples():
            types = [t.strip() for t in str(r.services).split(",") if t.strip()]
            service = (_t("service_sportello", language) if types == ["sportello"]
                       else _t("service_other", language, types=", ".join(types)))
            dist = str(r.distribution) + (f"; {_t('estimated', language)}" if bool(r.population_estimated) else "")
            share = format_share(float(r.share_beyond), language)
            out.append(_t("sentence", language, where=r.name, share=share, article=_article(share),
                          who=_t("who_pop_65" if r.population == "pop_65" else "who_population", language),
                          minutes=format_number(float(r.minutes), language, 0),
                          speed=format_number(float(r.speed_ms), language, 1),
                          service=service, beyond=format_number(float(r.beyond), language, 0),
                          total=format_number(float(r.residents), language, 0), distribution=dist))
    return out


__all__ = ["COLUMNS", "DEFAULT_SERVICE_TYPES", "DISTRIBUTION", "building_weights", "grid_points",
           "population_points", "resident_coverage", "resident_sentences"]
