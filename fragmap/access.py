"""Walking access to services: times, coverage per quarter, where a new help desk helps most.

With a street network (a graph from :mod:`fragmap.io.network`), walking times are
shortest paths over the streets: points and services are snapped to their nearest
node (a KD-tree on node coordinates) and ONE multi-source Dijkstra per service type
(scipy.sparse.csgraph, ``min_only``) gives every node its time to the nearest service
of that type; the snapping distances are walked at the same speed. Without a network
the documented fallback is the straight-line distance times a detour factor (1.3 by
default); every output says which method was used (``method``).

:func:`where_next` (greedy maximal coverage) and :func:`isochrones` use the network the
same way when one is given, and the fallback otherwise.

All computation in EPSG:32632 (metres). Pure: the graph and the geocoder are passed in.

Example
-------
>>> services, unlocated = locate_services(raw, geocoder)              # doctest: +SKIP
>>> t = access_times(points, services, graph=graph)                    # doctest: +SKIP
>>> best = where_next(points, "nodes", t.filter(like="min_").min(axis=1), graph=graph)  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fragmap._geo import UTM

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
#: Candidate sites that make no sense for a help desk (a school inside a prison...).
EXCLUDE_CANDIDATES = r"carcer|circondarial|penitenzi|detenut"
#: Columns that may hold a service's opening times, in order of preference.
OPENING_COLUMNS = ("opening_hours", "orari", "orario", "apertura", "orari_apertura", "aperture", "hours")
#: Match levels that give a service a usable point.
LOCATED_LEVELS = ("coordinate", "civico", "via")
#: How far (m) a report's true place may be from its point, by geocoding match level: a
#: house number is an address point; a report known only to its street is somewhere along it
#: (about 250 m either way for a street of the two towns). Unknown levels count as a street.
POSITION_UNCERTAINTY_M: dict[str, float] = {"coordinate": 0.0, "civico": 25.0, "via": 250.0}
#: Above this share of reports placed only to their street, access figures carry a warning.
UNRELIABLE_SHARE = 0.25
#: Why a service could not be placed (codes of :func:`locate_services`).
SERVICE_REASONS: dict[str, dict[str, str]] = {
    "senza_indirizzo": {"it": "né coordinate né indirizzo", "en": "neither coordinates nor an address"},
    "via_senza_geometria": {"it": "via nota ma senza punti offline", "en": "street known but with no point offline"},
    "indirizzo_non_trovato": {"it": "indirizzo non trovato", "en": "address not found"},
    "nessun_geocoder": {"it": "solo indirizzo e nessun geocodificatore", "en": "address only and no geocoder"},
}


#: The category whose reports walk at ``[access] elderly_speed_ms`` (coverage and where-next alike).
ELDERLY_CATEGORY = "anziani"
SPEED_TEXT = {"it": "{speed} km/h; per gli anziani {elderly} m/s ({elderly_kmh} km/h)",
              "en": "{speed} km/h; {elderly} m/s ({elderly_kmh} km/h) for older people"}
#: Notes of :func:`where_next` (sentences for coordinators; the counts are of rows left out).
WHERE_NEXT_MESSAGES: dict[str, dict[str, str]] = {
    "reports_without_point": {
        "it": "{n} {n|segnalazione|segnalazioni} senza una posizione valida (vuota o non numerica) {n|lasciata|lasciate} fuori dal calcolo",
        "en": "{n} {n|report|reports} without a valid location (empty or not a number) left out of the calculation"},
    "candidates_without_point": {
        "it": "{n} {n|luogo candidato|luoghi candidati} senza una posizione valida (vuota o non numerica) {n|lasciato|lasciati} fuori",
        "en": "{n} candidate {n|site|sites} without a valid location (empty or not a number) left out"},
    "candidates_outside": {
        "it": "{n} {n|luogo candidato|luoghi candidati} fuori dai comuni del progetto, non {n|proposto|proposti}: {names}",
        "en": "{n} candidate {n|site|sites} outside the project's comuni, not proposed: {names}"},
    "exact_not_solved": {
        "it": "l'insieme ottimo non è stato dimostrato entro {seconds} secondi: resta la scelta passo per passo",
        "en": "the optimal set was not proven within {seconds} seconds: the step-by-step choice stays"},
    "not_nested": {
        "it": "Gli insiemi ottimi non sono annidati: i 3 luoghi migliori insieme possono non contenere i 2 migliori, "
              "per questo la classifica resta quella passo per passo.",
        "en": "Optimal sets are not nested: the best 3 sites together need not contain the best 2, "
              "so the ranking stays the step-by-step one."},
}


def walking_speeds(
    categories: Sequence[Any] | np.ndarray | pd.Series | None, *, speed_ms: float, elderly_speed_ms: float | None
) -> np.ndarray:
    """Each report's walking speed (m/s): the one rule for coverage and where-next.

    Reports of :data:`ELDERLY_CATEGORY` walk at ``elderly_speed_ms`` (``[access]
    elderly_speed_ms``, 0.8 m/s), the others at ``speed_ms`` (``walking_speed_kmh`` / 3.6).

    Parameters
    ----------
    categories : sequence or None
        The reports' categories; None: every report walks at ``speed_ms`` (one value).
    speed_ms : float
        Ordinary walking speed, m/s.
    elderly_speed_ms : float or None
        Older people's speed, m/s; None: one speed for all.

    Returns
    -------
    numpy.ndarray
        One speed per report (a single value when ``categories`` is None).

    Examples
    --------
    >>> walking_speeds(["anziani", "disabilita"], speed_ms=1.25, elderly_speed_ms=0.8).tolist()
    [0.8, 1.25]
    """
    if categories is None:
        return np.array([float(speed_ms)])
    cats = np.asarray(categories, dtype=object)
    out = np.full(len(cats), float(speed_ms))
    if elderly_speed_ms is not None:
        out[cats == ELDERLY_CATEGORY] = float(elderly_speed_ms)
    return out


def speed_text(speed_ms: float, elderly_speed_ms: float | None, language: str = "it") -> str:
    """The walking speeds in words, for every output that used them.

    Parameters
    ----------
    speed_ms, elderly_speed_ms : float
        As :func:`walking_speeds` (``elderly_speed_ms`` None: one speed).
    language : str
        ``"it"`` or ``"en"``.

    Returns
    -------
    str

    Examples
    --------
    >>> speed_text(4.5 / 3.6, 0.8, "en")
    '4.5 km/h; 0.8 m/s (2.9 km/h) for older people'
    """
    from fragmap.i18n import format_number

    kmh = format_number(round(speed_ms * 3.6, 1), language, 1)
    if elderly_speed_ms is None or elderly_speed_ms == speed_ms:
        return f"{kmh} km/h"
    return SPEED_TEXT.get(language, SPEED_TEXT["it"]).format(
        speed=kmh, elderly=format_number(elderly_speed_ms, language, 1),
        elderly_kmh=format_number(round(elderly_speed_ms * 3.6, 1), language, 1))


def _method(graph: Any, detour_factor: float, language: str) -> str:
    if graph is not None:
        return METHOD_NETWORK.get(language, METHOD_NETWORK["it"])
    f = str(detour_factor).replace(".", "," if language == "it" else ".")
    return METHOD_FALLBACK.get(language, METHOD_FALLBACK["it"]).format(f=f)


def _service_table(raw: pd.DataFrame) -> pd.DataFrame:
    """Every row of ``raw`` in the uniform layout (``lat``/``lon`` NaN when absent)."""
    def first(*cols: str) -> pd.Series:
        out = pd.Series("", index=raw.index, dtype=object)
        for c in cols:
            if c in raw.columns:
                v = raw[c].fillna("").astype(str).str.strip()
                out = out.where(out != "", v)
        return out

    from fragmap.geocode.gazetteer import service_address

    lower = {str(c).lower().strip(): c for c in raw.columns}
    opening = [lower[c] for c in OPENING_COLUMNS if c in lower]
    df = pd.DataFrame({
        "name": first("name", "nome", "DESCRIZIONE_FARMACIA", "DENOM_SEDE", "DESCRIZIONE STRUTTURA DI RICOVERO"),
        "type": first("type", "tipo", "service_type"),
        "address": service_address(raw),
        "town": first("town", "comune", "COMUNE", "COMUNE_SEDE", "LOCALITA").str.title(),
        "opening_hours": first(*opening) if opening else pd.Series("", index=raw.index, dtype=object),
        "lat": pd.to_numeric(raw["lat"], errors="coerce") if "lat" in raw.columns else np.nan,
        "lon": pd.to_numeric(raw["lon"], errors="coerce") if "lon" in raw.columns else np.nan,
        "source_file": first("source_file"),
    }, index=raw.index)
    df["opening_hours"] = df["opening_hours"].replace("", pd.NA)
    return df


def _to_services(df: pd.DataFrame) -> gpd.GeoDataFrame:
    df = df.reset_index(drop=True)
    df["service_id"] = [f"S{i:04d}" for i in range(len(df))]
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    cols = ["service_id", "name", "type", "address", "town", "opening_hours", "source_file",
            "match_level", "located", "geometry"]
    return g[cols]


def normalise_services(raw: pd.DataFrame) -> gpd.GeoDataFrame:
    """Uniform public services with coordinates: ``service_id, name, type, address, town,
    opening_hours, source_file, match_level, located, geometry`` (EPSG:4326).

    Accepts the reference GeoJSON layouts (pharmacies ``DESCRIZIONE_FARMACIA``, schools
    ``DENOM_SEDE``, hospitals ``DESCRIZIONE STRUTTURA DI RICOVERO`` with ``service_type``)
    and simple tables with ``name, type, address, town, lat, lon``[, opening times in a
    column such as ``orari`` or ``opening_hours``]. Rows with only an address are NOT
    placed here (a warning counts them): use :func:`locate_services` with the project's
    geocoder, which places them and returns the ones it cannot place.

    Examples
    --------
    >>> services = normalise_services(read_services("farmacie.geojson"))   # doctest: +SKIP
    """
    df = _service_table(raw)
    has = df["lat"].notna() & df["lon"].notna()
    if (~has).any():
        warnings.warn(
            f"{int((~has).sum())} services have no coordinates and are left out here: "
            "use fragmap.access.locate_services(raw, geocoder) to geocode their addresses",
            stacklevel=2,
        )
    df = df[has].assign(match_level="coordinate", located=True)
    return _to_services(df)


def locate_services(
    raw: pd.DataFrame, geocoder: Any
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Uniform services, geocoding the rows that have an address but no coordinates.

    Pure apart from ``geocoder``: each distinct (address, town) is looked up once. Rows
    with coordinates keep them (``match_level = "coordinate"``); an address placed at
    ``civico`` or ``via`` level is kept with that level; anything else is returned in
    the second table with a reason, so the caller can warn (a service never vanishes
    silently). Opening times are kept when a column holds them (``opening_hours``).

    Parameters
    ----------
    raw : DataFrame
        Rows of :func:`fragmap.io.geo.read_services` (one or several files concatenated).
    geocoder : Geocoder or callable or None
        ``fragmap.geocode.Geocoder`` (its ``lookup(address, town)`` is used) or any
        callable ``(address, town) -> Match`` (``lat, lon, level, score``). None: no
        address is geocoded (those rows are returned as unlocated).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Located services (as :func:`normalise_services` plus ``match_score``; ``located``
        True), and the unlocated ones: ``name, type, address, town, source_file,
        match_level, reason`` (``reason`` in :data:`SERVICE_REASONS`; ``located`` False).

    Examples
    --------
    >>> from fragmap.geocode import Geocoder, default_gazetteer
    >>> g = Geocoder(default_gazetteer(settings), towns=comuni)       # doctest: +SKIP
    >>> services, unlocated = locate_services(raw, g)                # doctest: +SKIP
    >>> unlocated[["name", "address", "reason"]]                     # doctest: +SKIP
    """
    df = _service_table(raw)
    lookup: Callable[[str, str | None], Any] | None
    lookup = geocoder.lookup if hasattr(geocoder, "lookup") else geocoder
    has = (df["lat"].notna() & df["lon"].notna()).to_numpy()
    level = np.where(has, "coordinate", "non_trovato").astype(object)
    score = np.where(has, 100.0, 0.0)
    reason = np.full(len(df), "", dtype=object)
    lat, lon = df["lat"].to_numpy(float).copy(), df["lon"].to_numpy(float).copy()
    answers: dict[tuple[str, str], Any] = {}
    for i in np.nonzero(~has)[0]:
        address, town = str(df["address"].iloc[i]), str(df["town"].iloc[i])
        if not address:
            reason[i] = "senza_indirizzo"
            continue
        if lookup is None:
            reason[i] = "nessun_geocoder"
            continue
        key = (address, town)
        if key not in answers:
            answers[key] = lookup(address, town or None)
        m = answers[key]
        level[i], score[i] = str(m.level), float(m.score)
        if m.level in LOCATED_LEVELS and not (pd.isna(m.lat) or pd.isna(m.lon)):
            lat[i], lon[i] = float(m.lat), float(m.lon)
        else:
            known_street = m.level == "comune" and bool(getattr(m, "matched", ""))
            reason[i] = "via_senza_geometria" if known_street else "indirizzo_non_trovato"
    df["lat"], df["lon"], df["match_level"], df["match_score"] = lat, lon, level, score
    ok = reason == ""
    located = _to_services(df[ok].assign(located=True))
    located.insert(located.columns.get_loc("located"), "match_score", df.loc[ok, "match_score"].to_numpy())
    unlocated = df.loc[~ok, ["name", "type", "address", "town", "source_file", "match_level"]].assign(
        reason=reason[~ok], located=False).reset_index(drop=True)
    return located, unlocated


_ARRAYS: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], tuple[np.ndarray, np.ndarray, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _graph_arrays(graph: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """Node ids, node coordinates (EPSG:32632) and a sparse matrix of edge lengths (m).

    Kept per graph object (until it changes size), so coverage, where-next and the
    isochrones of one run convert the graph once.
    """
    size = (graph.number_of_nodes(), graph.number_of_edges())
    try:
        hit = _ARRAYS.get(graph)
    except TypeError:  # not weak-referenceable
        hit = None
    if hit is not None and hit[0] == size:
        return hit[1]
    import scipy.sparse as sp
    from pyproj import Transformer

    nodes = list(graph.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    x = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
    y = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
    crs = graph.graph.get("crs", "EPSG:4326")
    if str(crs).upper() != f"EPSG:{UTM}":
        tr = Transformer.from_crs(crs, UTM, always_xy=True)
        x, y = tr.transform(x, y)
    u_, v_, w_ = [], [], []
    for u, v, data in graph.edges(data=True):
        iu, iv = idx[u], idx[v]
        length = float(data.get("length", np.hypot(x[iu] - x[iv], y[iu] - y[iv])))
        u_ += [iu, iv]  # walking: both directions
        v_ += [iv, iu]
        w_ += [length, length]
    e = pd.DataFrame({"u": u_, "v": v_, "w": w_})
    # the shortest of parallel edges (a sparse matrix would add duplicates up)
    e = e[e["u"] != e["v"]].groupby(["u", "v"], as_index=False)["w"].min()
    # a zero-length edge would vanish from a sparse matrix: keep it as a tiny one
    w = np.maximum(e["w"].to_numpy(), 1e-6)
    m = sp.csr_matrix((w, (e["u"].to_numpy(), e["v"].to_numpy())), shape=(len(nodes), len(nodes)))
    out = (np.array(nodes), np.column_stack([x, y]), m)
    try:
        _ARRAYS[graph] = (size, out)
    except TypeError:
        pass
    return out


def access_times(
    points: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    graph: Any = None,
    speed_ms: float | np.ndarray = 4.5 / 3.6,
    detour_factor: float = 1.3,
    language: str = "it",
) -> pd.DataFrame:
    """Minutes from each point to the nearest service of each type.

    Parameters
    ----------
    points, services : GeoDataFrame
        Points (any CRS) and services (``type``, points). A point or service without a
        usable location (missing, empty, NaN) gets NaN minutes / is left out.
    graph : networkx graph, optional
        The walking network; None: straight line × ``detour_factor``.
    speed_ms : float or array
        Walking speed in m/s, one value or one per point (:func:`walking_speeds`).
    detour_factor : float
        Straight-line detour factor (fallback).
    language : str
        Language of ``method``.

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

    all_xy, ok = _finite_points(points.to_crs(UTM))
    pxy = all_xy[ok]
    speed = np.broadcast_to(np.asarray(speed_ms, dtype=float), (len(points),))[ok]
    sxy_all, s_ok = _finite_points(services.to_crs(UTM))
    s = services[s_ok]
    stype = s["type"].to_numpy()
    sxy_ok = sxy_all[s_ok]
    out = pd.DataFrame(index=points.index)
    types = sorted(s["type"].dropna().unique())

    def put(t: str, metres: np.ndarray) -> None:
        col = np.full(len(points), np.nan)
        col[ok] = metres / speed / 60
        out[f"min_{t}"] = col

    if graph is None:
        for t in types:
            d, _ = cKDTree(sxy_ok[stype == t]).query(pxy) if len(pxy) else (np.zeros(0), None)
            put(t, d * detour_factor)
        out["method"] = _method(None, detour_factor, language)
        return out
    from scipy.sparse.csgraph import dijkstra

    _, nxy, m = _graph_arrays(graph)
    tree = cKDTree(nxy)
    p_snap, p_node = tree.query(pxy) if len(pxy) else (np.zeros(0), np.zeros(0, dtype=np.int64))
    for t in types:
        s_snap, s_node = tree.query(sxy_ok[stype == t])
        # One Dijkstra from all services of the type at once (min_only). Each node learns its
        # nearest source node; the walk from that node to its service (the snapping distance,
        # the smallest when several services share a node) is added afterwards.
        order = np.argsort(s_snap, kind="stable")
        uniq, first = np.unique(s_node[order], return_index=True)
        off = np.zeros(len(nxy))
        off[uniq] = s_snap[order][first]
        d, _, src = dijkstra(m, directed=False, indices=uniq, min_only=True, return_predecessors=True)
        dist = d + np.where(src >= 0, off[np.maximum(src, 0)], np.inf)
        put(t, dist[p_node] + p_snap)
    out["method"] = METHOD_NETWORK[language]
    return out


def expected_distance(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Mean walking distance when the true place lies anywhere within ``r`` either way of the point.

    With the place spread evenly over ``[-r, r]`` along the way to the service, the mean of
    ``|d + u|`` is ``d`` when ``d >= r`` and ``(d² + r²) / 2r`` otherwise: never under
    ``r / 2``, so a report known only to its street is not 0 minutes from a service that
    stands on it.

    Examples
    --------
    >>> expected_distance(np.array([0.0, 100.0, 400.0]), np.array([250.0, 250.0, 250.0])).tolist()
    [125.0, 145.0, 400.0]
    """
    d = np.asarray(d, dtype=float)
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (d**2 + r**2) / (2 * r)
    return np.where((r > 0) & (d < r), spread, d)


def with_uncertainty(times: pd.DataFrame, points: pd.DataFrame, *, speed_ms: float | np.ndarray) -> pd.DataFrame:
    """``times`` (of :func:`access_times`) with each point's position uncertainty carried in.

    Each ``min_*`` becomes the expected minutes over the place's spread
    (:func:`expected_distance`, radius :data:`POSITION_UNCERTAINTY_M` by ``match_level``);
    a ``uncertainty_m`` column is added. Points without ``match_level`` are taken as exact.
    ``speed_ms`` is one speed, or one per row of ``times`` (as :func:`walking_speeds` gives).
    """
    out = times.copy()
    speed_ms = np.asarray(speed_ms, dtype=float)
    if "match_level" in points:
        lv = points.loc[times.index, "match_level"].astype("string").fillna("")
        r = lv.map(lambda x: POSITION_UNCERTAINTY_M.get(str(x), POSITION_UNCERTAINTY_M["via"])).to_numpy(dtype=float)
    else:
        r = np.zeros(len(times))
    for c in [c for c in out.columns if c.startswith("min_")]:
        metres = out[c].to_numpy(dtype=float) * speed_ms * 60
        out[c] = expected_distance(metres, r) / speed_ms / 60
    out["uncertainty_m"] = r
    return out


def placement_warning(points: pd.DataFrame, language: str = "it") -> str:
    """A warning when too many reports are placed only to their street for access to be reliable.

    Examples
    --------
    >>> placement_warning(pd.DataFrame({"match_level": ["via", "via", "civico"]}), "en")[:40]
    'Walking times are estimates: 67% of the '
    """
    if "match_level" not in points or len(points) == 0:
        return ""
    share = float((points["match_level"].astype("string").fillna("") == "via").mean())
    if share <= UNRELIABLE_SHARE:
        return ""
    pct = f"{share * 100:.0f}%"
    r = f"{POSITION_UNCERTAINTY_M['via']:.0f}"
    if language == "en":
        return (f"Walking times are estimates: {pct} of the reports are placed only to their street "
                f"(± about {r} m), so access figures are uncertain; they count the mean walk over that spread.")
    return (f"I tempi a piedi sono stime: il {pct} delle segnalazioni è collocato solo alla via (± circa {r} m), "
            f"quindi i dati di accessibilità sono incerti; contano il percorso medio su quello scarto.")


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
    """The quarters and categories with most reports beyond ``minutes`` of a relevant service.

    Works on the PRIVATE table of :func:`coverage` (``n_reports``, ``n_within_<minutes>``)
    and on the PUBLISHED one of :func:`fragmap.privacy.publish_coverage` (shares, no
    within counts): there, hidden cells (share NaN) are left out, the reports beyond are
    ``n_reports × (1 - share)`` when ``n_reports`` is published, and otherwise the share
    beyond decides (``ranked_by`` says which).

    Parameters
    ----------
    coverage_table : DataFrame
        Private or published coverage (see above).
    minutes : int
        The time limit (5, 10 or 15).
    top : int
        How many rows to return.


    Returns
    -------
    DataFrame
        The input rows plus ``reports_beyond`` (float, NaN when unknown), ``share_beyond``
        and ``ranked_by``; most reports beyond first, then largest share beyond, then id.

    Examples
    --------
    >>> fragmap.coverage_gaps(project.with_access().coverage)    # doctest: +SKIP
    """
    c = coverage_table.copy()
    key = "quarter_id" if "quarter_id" in c.columns else "area_id"
    within, share = f"n_within_{minutes}", f"share_within_{minutes}"
    n = c["n_reports"].astype(float) if "n_reports" in c.columns else pd.Series(np.nan, index=c.index)
    if within in c.columns:
        beyond = n - c[within].astype(float)
        c["reports_beyond"] = beyond
        c["share_beyond"] = (beyond / n).where(n > 0)
    elif share in c.columns:
        c = c[c[share].notna()].copy()
        n = n.loc[c.index]
        c["share_beyond"] = 1.0 - c[share].astype(float)
        c["reports_beyond"] = (n * c["share_beyond"]).round()
    else:
        raise KeyError(f"coverage table needs {within!r} (private) or {share!r} (published)")
    c["ranked_by"] = "reports_beyond" if c["reports_beyond"].notna().any() else "share_beyond"
    c["_rb"] = c["reports_beyond"].fillna(-1.0)
    c["_sb"] = c["share_beyond"].fillna(-1.0)
    sort = ["_rb", "_sb", key] + (["category"] if "category" in c.columns else [])
    c = c.sort_values(sort, ascending=[False, False, True] + [True] * (len(sort) - 3), kind="stable")
    return c.drop(columns=["_rb", "_sb"]).head(top).reset_index(drop=True)


def coverage_for_reports(points: gpd.GeoDataFrame, services: gpd.GeoDataFrame, *, graph: Any = None,
                         settings: Any) -> pd.DataFrame:
    """Coverage per quarter x category for geocoded, assigned reports (the pipeline's entry point).

    Each report walks at its speed from :func:`walking_speeds` (``elderly_speed_ms`` for
    the ``anziani`` category, ``walking_speed_kmh`` for the others), as in where-next. Each
    point's position uncertainty (by ``match_level``) is carried in
    (:func:`with_uncertainty`): a report known only to its street is never 0 minutes away.

    Parameters
    ----------
    points : GeoDataFrame
        PRIVATE report points with ``quarter_id`` and ``category`` (and ``match_level``).
    services : GeoDataFrame
        Public services.
    graph : networkx graph, optional
        The walking network.
    settings : Settings
        ``access`` (speeds, detour factor, thresholds) and ``language``.

    Returns
    -------
    DataFrame
        As :func:`coverage` (PRIVATE counts).

    Examples
    --------
    >>> cov = coverage_for_reports(points, services, graph=None, settings=settings)   # doctest: +SKIP
    """
    a = settings.access
    speeds = walking_speeds(points["category"], speed_ms=a.walking_speed_kmh / 3.6, elderly_speed_ms=a.elderly_speed_ms)
    times = access_times(points, services, graph=graph, speed_ms=speeds, detour_factor=a.detour_factor,
                         language=settings.language)
    times = with_uncertainty(times, points, speed_ms=speeds)
    return coverage(points, times, thresholds=a.thresholds_min)



def candidate_sites(
    sites: gpd.GeoDataFrame, *, exclude: str | None = EXCLUDE_CANDIDATES
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """User candidate sites for a new help desk, without those that make no sense for one.

    A row whose ``name`` or ``address`` matches ``exclude`` (case-insensitive; default
    prison premises: "carcer", "casa circondariale"...) is left out and its name
    returned, so a list of public schools passed as candidates never proposes a prison
    school. Candidates should come from an explicit user file or from the street
    network (``where_next(..., candidates="nodes")``), not from the schools by default.

    Examples
    --------
    >>> sites, left_out = candidate_sites(read_services("siti_candidati.csv"))   # doctest: +SKIP
    """
    if not exclude or sites.empty:
        return sites, []
    text = pd.Series("", index=sites.index, dtype=object)
    for c in ("name", "address", "DENOM_SEDE", "INDIRIZZO_SEDE", "TIPO_SEDE"):
        if c in sites.columns:
            text = text + " " + sites[c].fillna("").astype(str)
    bad = text.str.contains(exclude, flags=re.IGNORECASE, regex=True).to_numpy()
    if "name" in sites.columns:
        names = sites["name"].astype(str)
    else:
        names = pd.Series(sites.index.astype(str), index=sites.index)
    return sites[~bad], names[bad].tolist()


def _node_candidates(graph: Any, spacing_m: float, language: str) -> gpd.GeoDataFrame:
    """Street-network nodes thinned to one per ``spacing_m`` square (the node nearest its centre)."""
    nodes, nxy, _ = _graph_arrays(graph)
    cell = np.floor(nxy / spacing_m).astype(np.int64)
    centre = (cell + 0.5) * spacing_m
    d = np.hypot(*(nxy - centre).T)
    frame = pd.DataFrame({"cx": cell[:, 0], "cy": cell[:, 1], "d": d, "i": np.arange(len(nodes))})
    pick = frame.sort_values(["cx", "cy", "d", "i"]).drop_duplicates(["cx", "cy"])["i"].sort_values().to_numpy()
    word = "nodo" if language == "it" else "node"
    return gpd.GeoDataFrame(
        {"site": [f"{word} {nodes[i]}" for i in pick], "node": [str(nodes[i]) for i in pick]},
        geometry=shapely.points(nxy[pick]), crs=UTM,
    )


def _reach_matrix(
    cxy: np.ndarray, c_node_snap: tuple[np.ndarray, np.ndarray] | None, pxy: np.ndarray,
    reach_m: float | np.ndarray, *, graph: Any, detour_factor: float,
) -> Any:
    """Sparse boolean matrix candidates × points: the point is within its ``reach_m`` walking metres.

    ``reach_m`` is one distance, or one per point (a report walks at its own speed: see
    :func:`walking_speeds`).
    """
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    n_c, n_p = len(cxy), len(pxy)
    if n_c == 0 or n_p == 0:
        return sp.csr_matrix((n_c, n_p), dtype=bool)
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), (n_p,))
    r_max = float(reach.max())
    if graph is None:
        near = cKDTree(pxy).query_ball_point(cxy, r=r_max / detour_factor)
        rows = np.repeat(np.arange(n_c), [len(x) for x in near])
        parts = [np.asarray(x, dtype=np.int64) for x in near]
        cols = np.concatenate(parts) if rows.size else np.array([], dtype=np.int64)
        d = np.hypot(*(cxy[rows] - pxy[cols]).T) if rows.size else np.array([])
        keep = d <= reach[cols] / detour_factor
        return sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (rows[keep], cols[keep])), shape=(n_c, n_p))
    from scipy.sparse.csgraph import dijkstra

    _, nxy, m = _graph_arrays(graph)
    tree = cKDTree(nxy)
    p_snap, p_node = tree.query(pxy)
    c_snap, c_node = c_node_snap if c_node_snap is not None else tree.query(cxy)
    # points grouped by their node
    order = np.argsort(p_node, kind="stable")
    t_nodes, t_start, t_count = np.unique(p_node[order], return_index=True, return_counts=True)
    uniq, inv = np.unique(c_node, return_inverse=True)
    chunk = max(1, int(2e7 // max(m.shape[0], 1)))
    pair_c: list[np.ndarray] = []
    pair_p: list[np.ndarray] = []
    for s in range(0, len(uniq), chunk):
        src = uniq[s:s + chunk]
        d = dijkstra(m, directed=True, indices=src, limit=r_max)[:, t_nodes]
        ui, tj = np.nonzero(d <= r_max)
        if not ui.size:
            continue
        dist = d[ui, tj]
        counts = t_count[tj]
        rep_u = np.repeat(ui + s, counts)
        rep_d = np.repeat(dist, counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        pts = order[np.repeat(t_start[tj], counts) + offs]
        keep = rep_d + p_snap[pts] <= reach[pts]
        pair_c.append(rep_u[keep])
        pair_p.append(pts[keep])
    if not pair_c:
        return sp.csr_matrix((n_c, n_p), dtype=bool)
    pu, pp = np.concatenate(pair_c), np.concatenate(pair_p)
    node_m = sp.csr_matrix((np.ones(len(pu), dtype=bool), (pu, pp)), shape=(len(uniq), n_p))
    a = node_m[inv]  # each candidate takes the reach of its node...
    if np.any(c_snap > 0):  # ...less the walk from the site to that node
        a = a.tocoo()
        dist_ok = np.ones(a.nnz, dtype=bool)
        # exact check for off-node candidates: recompute with the snapping walk added
        node_d: dict[int, np.ndarray] = {}
        for j in np.unique(a.row[c_snap[a.row] > 0]):
            u = uniq[inv[j]]
            if u not in node_d:
                node_d[u] = dijkstra(m, directed=True, indices=[u], limit=r_max)[0]
            sel = a.row == j
            cols_j = a.col[sel]
            dist_ok[sel] = node_d[u][p_node[cols_j]] + p_snap[cols_j] + c_snap[j] <= reach[cols_j]
        a = sp.csr_matrix((np.ones(int(dist_ok.sum()), dtype=bool), (a.row[dist_ok], a.col[dist_ok])), shape=(n_c, n_p))
    return a.tocsr()


_WHERE_NEXT_COLUMNS = ("rank", "solution", "site", "node", "new_reports_covered", "cumulative_share", "method",
                       "speed")
#: Values of the ``solution`` column of :func:`where_next`.
SOLUTION_GREEDY = "greedy"
SOLUTION_OPTIMAL = "optimal"
#: Seconds the exact solve may take before where-next keeps the greedy set (and says so).
EXACT_TIME_LIMIT_S = 20.0


def _finite_points(g: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(xy, ok)``: coordinates (EPSG:32632) and which rows have a usable point.

    A missing, empty or non-point geometry, or a NaN/infinite coordinate, is not usable.
    """
    geom = g.geometry
    arr = geom.to_numpy()
    ok = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    ok &= (geom.geom_type == "Point").to_numpy()
    xy = np.full((len(g), 2), np.nan)
    if ok.any():
        xy[ok] = shapely.get_coordinates(geom[ok].to_numpy())[:, :2]
    ok &= np.isfinite(xy).all(axis=1)
    return xy, ok


def _t(key: str, language: str, /, **values: object) -> str:
    from fragmap.i18n import translate

    return translate(WHERE_NEXT_MESSAGES, key, language, **values)


def _inside_towns(c: gpd.GeoDataFrame, within: Any) -> np.ndarray:
    """Which candidates (EPSG:32632) lie inside the project's comuni (0.5 m of reprojection noise allowed)."""
    if isinstance(within, (gpd.GeoDataFrame, gpd.GeoSeries)):
        area = shapely.union_all(within.to_crs(UTM).geometry.to_numpy())
    else:  # a shapely geometry, in EPSG:32632
        area = within
    return np.asarray(shapely.dwithin(area, c.geometry.to_numpy(), 0.5), dtype=bool)


def _where_next_candidates(
    candidates: gpd.GeoDataFrame | str, *, graph: Any, node_spacing_m: float, exclude: str | None,
    within: Any, language: str, notes: list[str],
) -> tuple[gpd.GeoDataFrame, np.ndarray, tuple[np.ndarray, np.ndarray] | None, dict[str, Any]]:
    """The usable candidate sites (EPSG:32632), their coordinates, node snapping, and what was left out."""
    info: dict[str, Any] = {"excluded": [], "outside": [], "dropped_candidates": 0}
    node_snap = None
    if isinstance(candidates, str):
        if candidates != "nodes":
            raise ValueError("candidates must be a GeoDataFrame of sites or 'nodes'")
        if graph is None:
            raise ValueError("candidates='nodes' needs a street network (graph)")
        c = _node_candidates(graph, node_spacing_m, language)
        if within is not None:  # the network reaches beyond the towns: those nodes are no candidates
            c = c[_inside_towns(c, within)].reset_index(drop=True)
        nodes, _, _ = _graph_arrays(graph)
        pos = {str(n): i for i, n in enumerate(nodes)}
        node_snap = (np.zeros(len(c)), np.array([pos[n] for n in c["node"]], dtype=np.int64))
        cxy = np.column_stack([c.geometry.x.to_numpy(), c.geometry.y.to_numpy()]) if len(c) else np.zeros((0, 2))
        return c, cxy, node_snap, info
    c, info["excluded"] = candidate_sites(candidates, exclude=exclude)
    c = c.to_crs(UTM).reset_index(drop=True)
    c = c.drop(columns=[x for x in _WHERE_NEXT_COLUMNS if x in c.columns])
    c.insert(0, "site", c["name"].astype(str) if "name" in c.columns else [f"{i + 1}" for i in range(len(c))])
    c.insert(1, "node", pd.Series(pd.NA, index=c.index, dtype="string"))
    cxy, ok = _finite_points(c)
    if (~ok).any():
        info["dropped_candidates"] = int((~ok).sum())
        notes.append(_t("candidates_without_point", language, n=int((~ok).sum())))
        c, cxy = c[ok].reset_index(drop=True), cxy[ok]
    if within is not None and len(c):
        inside = _inside_towns(c, within)
        if (~inside).any():
            info["outside"] = c.loc[~inside, "site"].astype(str).tolist()
            notes.append(_t("candidates_outside", language, n=int((~inside).sum()),
                              names=", ".join(info["outside"])))
            c, cxy = c[inside].reset_index(drop=True), cxy[inside]
    return c, cxy, node_snap, info


def _ordered_within(a: Any, rows: Sequence[int]) -> tuple[list[int], list[int]]:
    """Rows of a set in greedy order (only for reading: the set itself is what is optimal)."""
    from fragmap.siting import greedy_cover

    sub = a[list(rows)]
    order, gains = greedy_cover(sub, len(rows))
    rest = [j for j in range(len(rows)) if j not in order]  # a site adding nothing: last, with 0
    return [rows[j] for j in order + rest], gains + [0] * len(rest)


def where_next(
    points: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame | str,
    times: pd.Series | np.ndarray,
    *,
    minutes: float = 15,
    k: int = 5,
    speed_ms: float = 4.5 / 3.6,
    elderly_speed_ms: float | None = 0.8,
    detour_factor: float = 1.3,
    graph: Any = None,
    node_spacing_m: float = 250.0,
    exclude: str | None = EXCLUDE_CANDIDATES,
    within: Any = None,
    exact: bool = True,
    time_limit_s: float = EXACT_TIME_LIMIT_S,
    language: str = "it",
) -> gpd.GeoDataFrame:
    """Where a new help desk brings most uncovered reports within ``minutes``: greedy ranking and optimum.

    A report is uncovered when its current time to the nearest help desk (``times``) is
    over ``minutes`` (or unknown). Each report walks at its own speed, decided by
    :func:`walking_speeds` as in coverage: ``elderly_speed_ms`` for the
    :data:`ELDERLY_CATEGORY` (when ``points`` has a ``category`` column), ``speed_ms`` for
    the others; ``times`` must come from :func:`access_times` with the same speeds.

    **Greedy ranking** (:func:`fragmap.siting.greedy_cover`): each round picks the
    candidate reaching most still-uncovered reports (ties: the first), until ``k`` sites or
    no gain. **Optimum** (``exact``, :func:`fragmap.siting.optimal_cover`): the best set of
    as many sites, solved exactly (HiGHS) on the same reach matrix within ``time_limit_s``;
    when it reaches more reports its sites are added as ``solution == "optimal"`` rows.
    Optimal sets are not nested (the best 3 sites need not contain the best 2), so the
    ranking stays the greedy one. Over the limit, the greedy set stays and a note says so.

    With a ``graph`` the reach is walked on the street network: ONE bounded search (scipy
    ``dijkstra`` with ``limit`` = the walking distance in ``minutes``) from all candidate
    nodes at once, in chunks; without one, the straight-line fallback (distance ×
    ``detour_factor``).

    Parameters
    ----------
    points : GeoDataFrame
        PRIVATE report points (any CRS)[, ``category``]. Rows without a usable point
        (missing, empty, NaN) are left out, and a note counts them.
    candidates : GeoDataFrame or "nodes"
        User candidate sites (an explicit file: ``name``[, ``address``], points), or
        ``"nodes"``: the street-network nodes thinned to one per ``node_spacing_m``
        square (needs ``graph``). Sites matching ``exclude`` are left out
        (:func:`candidate_sites`), so are sites without a usable point (counted in a note).
        Never pass the public schools by default; for areas, pass
        :func:`area_candidates` (a point inside each area, not its centroid).
    times : Series or array
        Each point's current minutes to the nearest help desk (one per row of ``points``).
    minutes, k :
        Time limit and number of sites.
    speed_ms, elderly_speed_ms :
        Walking speeds in m/s (:func:`walking_speeds`); ``elderly_speed_ms=None``: one speed.
    detour_factor : float
        Straight-line detour factor (fallback without a network).
    graph : networkx graph, optional
        The walking network (:func:`fragmap.io.network.street_network_for`).
    node_spacing_m : float
        Thinning of node candidates, in metres.
    exclude : str or None
        Regular expression of site names/addresses to leave out.
    within : GeoDataFrame, GeoSeries or shapely geometry, optional
        The project's comuni (a geometry: in EPSG:32632). User sites outside them are
        refused (a note names them); network nodes outside are not candidates.
    exact : bool
        Also compute the exact optimum for the chosen number of sites.
    time_limit_s : float
        Time limit of the exact solve, in seconds.
    language : str
        Language of ``method``, ``speed``, node labels and notes.

    Returns
    -------
    GeoDataFrame
        EPSG:4326: first the greedy ranking (``solution == "greedy"``), then, when the
        optimum reaches more reports, the optimal set (``"optimal"``, listed in greedy
        order within the set only for reading). Columns: ``rank``, ``solution``, ``site``
        (name or ``nodo <id>``), ``node`` (node id, or NA for user sites),
        ``new_reports_covered`` (uncovered reports newly within ``minutes``, after the
        rows above of the same solution), ``cumulative_share`` (of the uncovered reports),
        ``method``, ``speed`` (the speeds used, in words), the candidate's own columns, and
        the site's point. Counts are PRIVATE: :func:`fragmap.privacy.publish_where_next`
        makes the published layer. ``attrs``: ``excluded``, ``outside`` (refused site
        names), ``dropped_reports``, ``dropped_candidates``, ``uncovered``,
        ``greedy_covered``, ``optimal_covered`` (None when not computed),
        ``optimal_status``, ``optimal_seconds``, ``notes`` (sentences in ``language``).

    Examples
    --------
    >>> best = where_next(pts, "nodes", current, graph=g, k=5, within=comuni)        # doctest: +SKIP
    >>> best[["rank", "solution", "site", "new_reports_covered"]]                   # doctest: +SKIP
    >>> best.attrs["greedy_covered"], best.attrs["optimal_covered"]                  # doctest: +SKIP
    """
    from fragmap.siting import STATUS_OPTIMAL, greedy_cover, optimal_cover

    t = np.asarray(times, dtype=float)
    if len(t) != len(points):
        raise ValueError("times must have one value per point")
    notes: list[str] = []
    pxy, ok = _finite_points(points.to_crs(UTM))
    cats = points["category"].to_numpy() if "category" in points.columns else None
    speeds = np.broadcast_to(walking_speeds(cats, speed_ms=speed_ms, elderly_speed_ms=elderly_speed_ms),
                             (len(points),))
    if (~ok).any():
        notes.append(_t("reports_without_point", language, n=int((~ok).sum())))
    pxy, t, speeds = pxy[ok], t[ok], speeds[ok]
    uncovered = ~(t <= minutes)  # NaN (no help desk) counts as uncovered
    reach = minutes * 60 * speeds
    c, cxy, node_snap, info = _where_next_candidates(
        candidates, graph=graph, node_spacing_m=node_spacing_m, exclude=exclude, within=within,
        language=language, notes=notes)
    u_idx = np.nonzero(uncovered)[0]
    # Only candidates with an uncovered report within straight-line reach can gain anything.
    if len(u_idx) and len(c):
        from scipy.spatial import cKDTree

        d, _ = cKDTree(pxy[u_idx]).query(cxy, distance_upper_bound=float(reach[u_idx].max()))
        useful = np.isfinite(d)
    else:
        useful = np.zeros(len(c), dtype=bool)
    cu = np.nonzero(useful)[0]
    snap = (node_snap[0][cu], node_snap[1][cu]) if node_snap is not None else None
    a = _reach_matrix(cxy[cu], snap, pxy[u_idx], reach[u_idx], graph=graph, detour_factor=detour_factor)
    chosen, gains = greedy_cover(a, k)
    greedy_total = int(sum(gains))
    optimal_rows: list[int] = []
    optimal_gains: list[int] = []
    optimal_total: int | None = None
    status, seconds = "", 0.0
    if exact and len(chosen) == 1:  # one site: the greedy pick is the best single site
        optimal_total, status = greedy_total, STATUS_OPTIMAL
    elif exact and chosen:
        best = optimal_cover(a, len(chosen), time_limit_s=time_limit_s)
        status, seconds = best.status, best.seconds
        if best.status == STATUS_OPTIMAL:
            optimal_total = max(best.covered, greedy_total)
            if best.covered > greedy_total:
                optimal_rows, optimal_gains = _ordered_within(a, best.sites)
        else:
            from fragmap.i18n import format_number

            notes.append(_t("exact_not_solved", language, seconds=format_number(time_limit_s, language)))
    parts = []
    for solution, rows, g in ((SOLUTION_GREEDY, chosen, gains), (SOLUTION_OPTIMAL, optimal_rows, optimal_gains)):
        if not rows and solution == SOLUTION_OPTIMAL:
            continue
        part = c.iloc[cu[rows]].copy() if rows else c.iloc[[]].copy()
        part.insert(0, "rank", range(1, len(rows) + 1))
        part.insert(1, "solution", solution)
        part.insert(4, "new_reports_covered", g)
        part.insert(5, "cumulative_share", np.cumsum(g) / max(len(u_idx), 1))
        parts.append(part)
    out = gpd.GeoDataFrame(pd.concat(parts), geometry=c.geometry.name, crs=UTM)
    out.insert(6, "method", _method(graph, detour_factor, language))
    out.insert(7, "speed", speed_text(speed_ms, elderly_speed_ms if cats is not None else None, language))
    out = out.to_crs(4326).reset_index(drop=True)
    out.attrs.update({
        "excluded": info["excluded"], "outside": info["outside"], "dropped_reports": int((~ok).sum()),
        "dropped_candidates": info["dropped_candidates"], "uncovered": int(len(u_idx)),
        "greedy_covered": greedy_total, "optimal_covered": optimal_total, "optimal_status": status,
        "optimal_seconds": seconds, "notes": notes,
    })
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return out


def area_candidates(areas: gpd.GeoDataFrame, *, inhabited: bool = True) -> gpd.GeoDataFrame:
    """One candidate site per area: a point inside it (a representative point, never a centroid).

    A centroid can fall outside its area (a bent or hollow area, or one along the town
    border); a representative point is always inside, so a proposed "zone" is always in
    the area it names.

    Parameters
    ----------
    areas : GeoDataFrame
        Public polygons, e.g. ``Publication.areas`` (``name``[, ``town``, ``level``,
        ``population``]). Only ``level == "quarter"`` rows are used when the column is there.
    inhabited : bool
        Leave out the areas with ``population`` 0 (when the column is there).

    Returns
    -------
    GeoDataFrame
        ``name``[, ``town``] and the point, EPSG:4326.

    Examples
    --------
    >>> candidates = area_candidates(pub.areas)        # doctest: +SKIP
    """
    q = areas
    if "level" in q.columns:
        q = q[q["level"] == "quarter"]
    if inhabited and "population" in q.columns:
        q = q[q["population"].fillna(0) > 0]
    cols = [c for c in ("name", "town") if c in q.columns]
    pts = q.to_crs(UTM).geometry.representative_point()
    return gpd.GeoDataFrame(q[cols].reset_index(drop=True), geometry=pts.to_numpy(), crs=UTM).to_crs(4326)


def where_next_layer(best: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The where-next result as the map layer's columns (still PRIVATE counts).

    ``rank, name, reached, solution, set_reached, geometry``: ``name`` is the site (a user
    site's name, or ``nodo <id>``), ``reached`` the new reports within the time limit,
    ``solution`` greedy or optimal, ``set_reached`` the reports the whole set of that
    solution reaches. Nothing else of the candidates or of the reports is carried.
    Publish it only through :func:`fragmap.privacy.publish_where_next`, which applies the
    threshold (:func:`fragmap.maps.render_map` refuses a small count).

    Parameters
    ----------
    best : GeoDataFrame
        The result of :func:`where_next`.

    Returns
    -------
    GeoDataFrame

    Examples
    --------
    >>> layer = where_next_layer(where_next(pts, "nodes", current, graph=g))   # doctest: +SKIP
    """
    solution = best["solution"].astype(str) if "solution" in best.columns else pd.Series(
        SOLUTION_GREEDY, index=best.index)
    reached = best["new_reports_covered"].astype(float)
    totals = reached.groupby(solution).transform("sum")
    out = gpd.GeoDataFrame(
        {"rank": best["rank"].astype(int).to_numpy(), "name": best["site"].astype(str).to_numpy(),
         "reached": reached.to_numpy(), "solution": solution.to_numpy(), "set_reached": totals.to_numpy()},
        geometry=best.geometry.to_numpy(), crs=best.crs,
    )
    out["_o"] = (out["solution"] == SOLUTION_OPTIMAL).astype(int)
    return out.to_crs(4326).sort_values(["_o", "rank"]).drop(columns="_o").reset_index(drop=True)


def _fill_holes(geom: Any, max_area: float) -> Any:
    """Drop interior rings smaller than ``max_area`` (blocks enclosed by reached streets)."""
    def fix(poly: Any) -> Any:
        keep = [r for r in poly.interiors if shapely.Polygon(r).area >= max_area]
        return shapely.Polygon(poly.exterior, keep)

    if geom.geom_type == "Polygon":
        return fix(geom)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([fix(g) for g in geom.geoms])
    return geom


def isochrones(
    services: gpd.GeoDataFrame,
    *,
    minutes: Sequence[int] = (5, 10, 15),
    speed_ms: float = 4.5 / 3.6,
    detour_factor: float = 1.3,
    graph: Any = None,
    buffer_m: float = 40.0,
    hole_m2: float = 20_000.0,
    language: str = "it",
) -> gpd.GeoDataFrame:
    """Areas within 5/10/15 minutes' walk of each service, for the map.

    With a ``graph``: one bounded Dijkstra from the services' nodes gives each node its
    walking distance; the streets reached within ``t`` minutes (whole edges, and the
    reached part of edges walked from one end) are buffered by ``buffer_m`` metres and
    merged, and enclosed blocks under ``hole_m2`` are filled. Without a graph (the
    documented fallback): circles of radius speed × t / ``detour_factor``. The
    ``method`` column says which.

    Returns
    -------
    GeoDataFrame
        EPSG:4326: ``name``[, ``service_id``, ``type``], ``minutes``, ``method``, geometry;
        largest times first (so smaller areas draw on top).

    Examples
    --------
    >>> iso = isochrones(services[services["type"] == "sportello"], graph=g)   # doctest: +SKIP
    >>> iso.groupby("minutes").size()                                         # doctest: +SKIP
    """
    s = services.to_crs(UTM).reset_index(drop=True)
    method = _method(graph, detour_factor, language)
    extra = [c for c in ("service_id", "type") if c in s.columns]
    names = s["name"].astype(str).tolist() if "name" in s.columns else [str(i) for i in range(len(s))]
    rows: list[dict[str, Any]] = []
    if graph is None or s.empty:
        for m in sorted(minutes, reverse=True):
            r = m * 60 * speed_ms / detour_factor
            for i, g in enumerate(s.geometry):
                rows.append({"name": names[i], **{c: s[c].iloc[i] for c in extra}, "minutes": m,
                             "method": method, "geometry": g.buffer(r, 24)})
    else:
        from scipy.spatial import cKDTree
        from scipy.sparse.csgraph import dijkstra

        _, nxy, mat = _graph_arrays(graph)
        sxy = np.column_stack([s.geometry.x.to_numpy(), s.geometry.y.to_numpy()])
        s_snap, s_node = cKDTree(nxy).query(sxy)
        uniq, inv = np.unique(s_node, return_inverse=True)
        coo = mat.tocoo()
        half = coo.row < coo.col  # each street once
        eu, ev, ew = coo.row[half], coo.col[half], coo.data[half]
        rmax = max(minutes) * 60 * speed_ms
        d_all = dijkstra(mat, directed=True, indices=uniq, limit=rmax)
        for m in sorted(minutes, reverse=True):
            for i in range(len(s)):
                budget = m * 60 * speed_ms - s_snap[i]
                pt = s.geometry.iloc[i]
                if budget <= 0:
                    geom = pt.buffer(buffer_m, 8)
                else:
                    d = d_all[inv[i]]
                    du, dv = d[eu], d[ev]
                    fu = np.clip((budget - du) / ew, 0.0, 1.0)  # share of the edge walked from u
                    fv = np.clip((budget - dv) / ew, 0.0, 1.0)
                    full = (fu + fv) >= 1.0
                    a, b = nxy[eu], nxy[ev]
                    segs = [np.stack([a[full], b[full]], axis=1)]
                    pu = ~full & (fu > 0)
                    segs.append(np.stack([a[pu], a[pu] + (b[pu] - a[pu]) * fu[pu, None]], axis=1))
                    pv = ~full & (fv > 0)
                    segs.append(np.stack([b[pv], b[pv] + (a[pv] - b[pv]) * fv[pv, None]], axis=1))
                    segs.append(np.array([[[pt.x, pt.y], nxy[s_node[i]]]]))  # the walk to the street
                    lines = shapely.linestrings(np.concatenate(segs))
                    geom = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=2))  # faster than one big buffer
                    geom = _fill_holes(geom, hole_m2)
                rows.append({"name": names[i], **{c: s[c].iloc[i] for c in extra}, "minutes": m,
                             "method": method, "geometry": geom})
    cols = ["name", *extra, "minutes", "method", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=UTM).to_crs(4326)
