"""Walking access to services: times, coverage per quarter, where a new help desk helps most.

With a street network (a graph from :mod:`fragmap.io.network`), walking times are
shortest paths over the streets: points and services are snapped to their nearest
node (a KD-tree on node coordinates) and ONE multi-source Dijkstra per service type
(scipy.sparse.csgraph, ``min_only``) gives every node its time to the nearest service
of that type; the snapping distances are walked at the same speed. Without a network
the documented fallback is the straight-line distance times a detour factor (1.3 by
default); every output says which method was used (``method``).

All computation in EPSG:32632 (metres). Pure: the graph is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

UTM = 32632

#: Which service types count as "relevant" for a category (walking time to the nearest of them).
RELEVANT_SERVICES: dict[str, tuple[str, ...]] = {
    "anziani": ("pharmacy", "sportello", "centro"),
    "disabilita": ("sportello", "laboratorio", "centro", "hospital"),
    "fragilita_economica": ("sportello",),
    "minori_migranti": ("school", "sportello", "laboratorio"),
    "contesto_culturale": ("laboratorio", "sportello"),
}
METHOD_NETWORK = {"it": "rete stradale pedonale", "en": "walking street network"}
METHOD_FALLBACK = {"it": "distanza in linea d'aria × {f} (nessuna rete stradale disponibile)",
                   "en": "straight-line distance × {f} (no street network available)"}


def normalise_services(raw: pd.DataFrame) -> gpd.GeoDataFrame:
    """Uniform public services: ``service_id, name, type, address, town, geometry`` (EPSG:4326).

    Accepts the reference GeoJSON layouts (pharmacies ``DESCRIZIONE_FARMACIA``, schools
    ``DENOM_SEDE``, hospitals ``DESCRIZIONE STRUTTURA DI RICOVERO`` with ``service_type``)
    and simple tables with ``name, type, address, town, lat, lon``. Rows without
    coordinates are left out (geocode their address first).
    """
    def first(*cols: str) -> pd.Series:
        out = pd.Series("", index=raw.index, dtype=object)
        for c in cols:
            if c in raw.columns:
                v = raw[c].fillna("").astype(str)
                out = out.where(out != "", v)
        return out

    from fragmap.geocode.gazetteer import service_address

    df = pd.DataFrame({
        "name": first("name", "DESCRIZIONE_FARMACIA", "DENOM_SEDE", "DESCRIZIONE STRUTTURA DI RICOVERO"),
        "type": first("type", "service_type"),
        "address": service_address(raw),
        "town": first("town", "COMUNE", "COMUNE_SEDE", "LOCALITA"),
        "lat": pd.to_numeric(raw.get("lat"), errors="coerce"),
        "lon": pd.to_numeric(raw.get("lon"), errors="coerce"),
        "source_file": first("source_file"),
    })
    df = df[df["lat"].notna() & df["lon"].notna()].reset_index(drop=True)
    df["town"] = df["town"].str.title()
    df["service_id"] = [f"S{i:04d}" for i in range(len(df))]
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    return g[["service_id", "name", "type", "address", "town", "source_file", "geometry"]]


def _graph_arrays(graph: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """Node ids, node coordinates (EPSG:32632) and a sparse matrix of edge lengths (m)."""
    import scipy.sparse as sp
    from pyproj import Transformer

    nodes = list(graph.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    x = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
    y = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
    crs = graph.graph.get("crs", "EPSG:4326")
    if str(crs).upper() not in ("EPSG:32632",):
        tr = Transformer.from_crs(crs, UTM, always_xy=True)
        x, y = tr.transform(x, y)
    best: dict[tuple[int, int], float] = {}
    for u, v, data in graph.edges(data=True):
        length = float(data.get("length", np.hypot(x[idx[u]] - x[idx[v]], y[idx[u]] - y[idx[v]])))
        for a, b in ((idx[u], idx[v]), (idx[v], idx[u])):  # walking: both directions
            # the shortest of parallel edges (a sparse matrix would add duplicates up)
            if length < best.get((a, b), np.inf):
                best[(a, b)] = length
    keys = np.array(list(best.keys()), dtype=int).reshape(-1, 2)
    m = sp.csr_matrix((np.array(list(best.values())), (keys[:, 0], keys[:, 1])), shape=(len(nodes), len(nodes)))
    return np.array(nodes), np.column_stack([x, y]), m


def access_times(
    points: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    graph: Any = None,
    speed_ms: float = 4.5 / 3.6,
    detour_factor: float = 1.3,
    language: str = "it",
) -> pd.DataFrame:
    """Minutes from each point to the nearest service of each type.

    Returns
    -------
    DataFrame
        Index as ``points``; one column ``min_<type>`` per service type, and ``method``.

    Examples
    --------
    >>> t = access_times(points, services, graph=None)    # doctest: +SKIP
    >>> t["min_pharmacy"].median()                         # doctest: +SKIP
    """
    from scipy.spatial import cKDTree

    p = points.to_crs(UTM)
    s = services.to_crs(UTM)
    pxy = np.column_stack([p.geometry.x, p.geometry.y])
    out = pd.DataFrame(index=points.index)
    types = sorted(s["type"].dropna().unique())
    if graph is None:
        for t in types:
            sxy = np.column_stack([s.loc[s["type"] == t].geometry.x, s.loc[s["type"] == t].geometry.y])
            d, _ = cKDTree(sxy).query(pxy)
            out[f"min_{t}"] = d * detour_factor / speed_ms / 60
        out["method"] = METHOD_FALLBACK[language].format(f=str(detour_factor).replace(".", "," if language == "it" else "."))
        return out
    from scipy.sparse.csgraph import dijkstra

    _, nxy, m = _graph_arrays(graph)
    tree = cKDTree(nxy)
    p_snap, p_node = tree.query(pxy)
    for t in types:
        st = s.loc[s["type"] == t]
        sxy = np.column_stack([st.geometry.x, st.geometry.y])
        s_snap, s_node = tree.query(sxy)
        # One Dijkstra from all services of the type at once (min_only). Each node learns its
        # nearest source node; the walk from that node to its service (the snapping distance,
        # the smallest when several services share a node) is added afterwards.
        order = np.argsort(s_snap, kind="stable")
        uniq, first = np.unique(s_node[order], return_index=True)
        off = np.zeros(len(nxy))
        off[uniq] = s_snap[order][first]
        d, _, src = dijkstra(m, directed=False, indices=uniq, min_only=True, return_predecessors=True)
        dist = d + np.where(src >= 0, off[np.maximum(src, 0)], np.inf)
        out[f"min_{t}"] = (dist[p_node] + p_snap) / speed_ms / 60
    out["method"] = METHOD_NETWORK[language]
    return out


def coverage(
    points: pd.DataFrame,
    times: pd.DataFrame,
    *,
    thresholds: Sequence[int] = (5, 10, 15),
    relevant: dict[str, tuple[str, ...]] = RELEVANT_SERVICES,
) -> pd.DataFrame:
    """Per quarter x category: reports and how many are within 5/10/15 minutes of a relevant service.

    ``points`` has ``quarter_id`` and ``category``; ``times`` comes from :func:`access_times`.
    PRIVATE counts: :func:`fragmap.privacy.publish_coverage` suppresses them for publication.
    """
    df = points[["quarter_id", "category"]].copy()
    cols = [c for c in times.columns if c.startswith("min_")]
    mins = np.full(len(df), np.inf)
    for cat, grp in df.groupby("category"):
        use = [f"min_{t}" for t in relevant.get(str(cat), ()) if f"min_{t}" in cols] or cols
        mins[df.index.get_indexer(grp.index)] = times.loc[grp.index, use].min(axis=1).to_numpy()
    df["minutes"] = mins
    g = df.groupby(["quarter_id", "category"])
    out = g.size().rename("n_reports").to_frame()
    for k in thresholds:
        out[f"n_within_{k}"] = g["minutes"].apply(lambda s, k=k: int((s <= k).sum()))
    out["median_minutes"] = g["minutes"].median().round(1)
    out["method"] = times["method"].iloc[0] if len(times) else ""
    return out.reset_index()


def coverage_gaps(coverage_table: pd.DataFrame, *, minutes: int = 15, top: int = 10) -> pd.DataFrame:
    """Quarters and categories with most reports beyond ``minutes`` (PRIVATE counts)."""
    c = coverage_table.copy()
    c["beyond"] = c["n_reports"] - c[f"n_within_{minutes}"]
    return c.sort_values(["beyond", "quarter_id"], ascending=[False, True]).head(top).reset_index(drop=True)


def coverage_for_reports(points: gpd.GeoDataFrame, services: gpd.GeoDataFrame, *, graph: Any = None,
                         settings: Any) -> pd.DataFrame:
    """Coverage per quarter x category for geocoded, assigned reports (the pipeline's entry point).

    The elderly walking speed (``elderly_speed_ms``) is used for the ``anziani`` category,
    the ordinary one (``walking_speed_kmh``) for the others.
    """
    a = settings.access
    normal = access_times(points, services, graph=graph, speed_ms=a.walking_speed_kmh / 3.6,
                          detour_factor=a.detour_factor, language=settings.language)
    slow = access_times(points[points["category"] == "anziani"], services, graph=graph,
                        speed_ms=a.elderly_speed_ms, detour_factor=a.detour_factor, language=settings.language)
    normal.loc[slow.index, slow.columns] = slow
    return coverage(points, normal, thresholds=a.thresholds_min)


def where_next(
    points: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: pd.Series,
    *,
    minutes: float = 15,
    k: int = 5,
    speed_ms: float = 4.5 / 3.6,
    detour_factor: float = 1.3,
) -> gpd.GeoDataFrame:
    """Greedy maximal coverage: the ``k`` candidate sites that bring most uncovered reports within ``minutes``.

    ``times`` is each report's current minutes to the nearest relevant service. Distances
    from candidates use the straight-line fallback (detour factor). The counts returned
    are report counts: PRIVATE until suppressed (show "< N" under the threshold).
    """
    from scipy.spatial import cKDTree

    p = points.to_crs(UTM)
    c = candidates.to_crs(UTM).reset_index(drop=True)
    uncovered = (times.to_numpy() > minutes)
    reach = minutes * 60 * speed_ms / detour_factor
    tree = cKDTree(np.column_stack([p.geometry.x, p.geometry.y]))
    near = tree.query_ball_point(np.column_stack([c.geometry.x, c.geometry.y]), r=reach)
    chosen, gains = [], []
    covered = ~uncovered
    total = max(int(uncovered.sum()), 1)
    for _ in range(min(k, len(c))):
        best, best_gain = None, 0
        for j, idx in enumerate(near):
            if j in chosen:
                continue
            gain = int((~covered[idx]).sum()) if idx else 0
            if gain > best_gain:
                best, best_gain = j, gain
        if best is None:
            break
        chosen.append(best)
        gains.append(best_gain)
        covered[near[best]] = True
    out = c.loc[chosen].copy()
    out["rank"] = range(1, len(chosen) + 1)
    out["new_reports_covered"] = gains
    out["cumulative_share"] = np.cumsum(gains) / total
    return out.to_crs(4326).reset_index(drop=True)


def isochrones(services: gpd.GeoDataFrame, *, minutes: Sequence[int] = (5, 10, 15), speed_ms: float = 4.5 / 3.6,
               detour_factor: float = 1.3) -> gpd.GeoDataFrame:
    """Walking-time areas around each service (fallback: circles of radius speed × t / detour)."""
    s = services.to_crs(UTM)
    rows = []
    for m in sorted(minutes, reverse=True):
        r = m * 60 * speed_ms / detour_factor
        for name, g in zip(s["name"], s.geometry):
            rows.append({"name": name, "minutes": m, "geometry": g.buffer(r, 24)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM).to_crs(4326)
