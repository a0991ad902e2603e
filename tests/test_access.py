"""Walking access on a small synthetic street network, and the documented fallback."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from fragmap import InputFileError, NetworkDisabledError
from fragmap.access import (
    access_times,
    coverage,
    coverage_gaps,
    isochrones,
    locate_services,
    normalise_services,
    where_next,
    where_next_layer,
)
from fragmap.io.network import download_network, read_network, street_network_for

GRID = Path(__file__).resolve().parent / "data" / "access" / "grid_sintetica.osm"
X0, Y0 = 513000.0, 5005000.0


def utm_points(xy: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=32632).to_crs(4326)


@pytest.fixture(scope="module")
def graph():
    return read_network(GRID)


def test_network_reads_offline(graph) -> None:
    assert graph.number_of_nodes() > 0 and graph.number_of_edges() > 0


def test_network_times_match_networkx_shortest_paths(graph) -> None:
    # a service at a grid corner node; reports on other nodes: times are Manhattan walks
    services = utm_points([(X0, Y0)], name=["S"], type=["sportello"])
    pts = utm_points([(X0 + 300, Y0 + 200), (X0 + 700, Y0 + 700), (X0 + 100, Y0)])
    t = access_times(pts, services, graph=graph, speed_ms=1.0)
    assert t["method"].iloc[0] == "rete stradale pedonale"
    expected = np.array([500.0, 1400.0, 100.0]) / 60
    assert t["min_sportello"].to_numpy() == pytest.approx(expected, rel=0.02)
    # cross-check against networkx on the same graph: corner to far corner
    corner = min(graph.nodes, key=lambda n: (graph.nodes[n]["x"], graph.nodes[n]["y"]))
    far = max(graph.nodes, key=lambda n: (graph.nodes[n]["x"], graph.nodes[n]["y"]))
    d = nx.shortest_path_length(graph.to_undirected(), corner, far, weight="length")
    assert d / 60 == pytest.approx(t["min_sportello"].iloc[1], rel=0.01)


def test_one_search_per_type_takes_the_nearest_service(graph) -> None:
    services = utm_points([(X0, Y0), (X0 + 700, Y0 + 700), (X0 + 700, Y0)], name=["A", "B", "F"],
                          type=["sportello", "sportello", "pharmacy"])
    pts = utm_points([(X0 + 600, Y0 + 700)])
    t = access_times(pts, services, graph=graph, speed_ms=1.0)
    assert t.loc[0, "min_sportello"] == pytest.approx(100 / 60, rel=0.02)
    assert t.loc[0, "min_pharmacy"] == pytest.approx(800 / 60, rel=0.02)


def test_fallback_is_straight_line_times_detour_and_says_so() -> None:
    services = utm_points([(X0, Y0)], name=["S"], type=["sportello"])
    pts = utm_points([(X0 + 300, Y0 + 400)])
    t = access_times(pts, services, graph=None, speed_ms=1.25, detour_factor=1.3)
    assert t.loc[0, "min_sportello"] == pytest.approx(500 * 1.3 / 1.25 / 60, rel=1e-3)
    assert "1,3" in t.loc[0, "method"]


def test_coverage_counts_per_quarter_and_category() -> None:
    pts = pd.DataFrame({"quarter_id": ["Q1"] * 4 + ["Q2"] * 2, "category": ["anziani"] * 4 + ["minori_migranti"] * 2})
    times = pd.DataFrame({"min_pharmacy": [3, 8, 12, 20, 1, 1], "min_school": [30, 30, 30, 30, 4, 16],
                          "method": "x"})
    cov = coverage(pts, times).set_index(["quarter_id", "category"])
    q1 = cov.loc[("Q1", "anziani")]
    assert (q1["n_reports"], q1["n_within_5"], q1["n_within_10"], q1["n_within_15"]) == (4, 1, 2, 3)
    assert q1["median_minutes"] == 10.0
    q2 = cov.loc[("Q2", "minori_migranti")]  # schools count for children
    assert (q2["n_within_5"], q2["n_within_15"]) == (1, 1)
    gaps = coverage_gaps(cov.reset_index())
    # one report beyond 15 minutes each: the larger share beyond (1 of 2) comes first
    assert gaps["quarter_id"].tolist()[:2] == ["Q2", "Q1"] and gaps["reports_beyond"].tolist()[:2] == [1, 1]


def test_where_next_is_greedy_maximal_coverage() -> None:
    pts = utm_points([(X0 + i * 10, Y0) for i in range(5)] + [(X0 + 5000 + i * 10, Y0) for i in range(3)])
    cands = utm_points([(X0, Y0), (X0 + 5000, Y0), (X0 + 20000, Y0)], name=["a", "b", "c"])
    times = pd.Series([60.0] * 8)
    out = where_next(pts, cands, times, minutes=15, k=3)
    assert out["name"].tolist() == ["a", "b"]
    assert out["new_reports_covered"].tolist() == [5, 3]
    assert out["cumulative_share"].iloc[-1] == 1.0


def test_isochrones_fallback_radius() -> None:
    s = utm_points([(X0, Y0)], name=["S"], type=["sportello"])
    iso = isochrones(s, minutes=(5, 15), speed_ms=1.0, detour_factor=1.5).to_crs(32632)
    r15 = np.sqrt(iso[iso["minutes"] == 15].area.iloc[0] / np.pi)
    assert r15 == pytest.approx(15 * 60 / 1.5, rel=0.01)


def test_services_from_the_reference_layouts() -> None:
    from fragmap.io.geo import read_services

    ref = Path(__file__).resolve().parent.parent / "data" / "reference"
    raw = pd.concat([read_services(p) for p in sorted(ref.glob("servizi_*.geojson"))], ignore_index=True)
    s = normalise_services(raw)
    assert len(s) == 141 and set(s["type"]) == {"pharmacy", "school", "hospital"}
    assert s["name"].ne("").all() and s["address"].ne("").all()


def test_downloading_is_off_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(NetworkDisabledError, match="download_network"):
        download_network(None, tmp_path / "net.graphml", allowed=False)
    with pytest.raises(InputFileError):
        read_network(tmp_path / "missing.osm")


# -- coverage gaps: most reports beyond 15 minutes, on private and published tables ---------------
def test_coverage_gaps_rank_most_reports_beyond_not_lowest_share() -> None:
    private = pd.DataFrame({
        "quarter_id": ["BIG", "SMALL", "OK"], "category": "anziani",
        "n_reports": [100, 4, 50], "n_within_5": [10, 0, 40], "n_within_10": [40, 0, 45],
        "n_within_15": [60, 0, 50], "median_minutes": [14.0, 25.0, 4.0], "method": "x",
    })
    gaps = coverage_gaps(private)
    # BIG: 40 reports beyond (share within 0.6); SMALL: 4 beyond (share within 0): BIG first
    assert gaps["quarter_id"].tolist() == ["BIG", "SMALL", "OK"]
    assert gaps["reports_beyond"].tolist() == [40, 4, 0] and set(gaps["ranked_by"]) == {"reports_beyond"}


def test_coverage_gaps_work_on_the_published_table() -> None:
    published = pd.DataFrame({
        "area_id": ["BIG", "SMALL", "HIDDEN"], "category": "anziani", "method": "x",
        "n_reports": [100.0, 20.0, np.nan], "share_within_5": [0.1, 0.0, np.nan],
        "share_within_10": [0.4, 0.0, np.nan], "share_within_15": [0.6, 0.5, np.nan],
        "median_minutes": [14.0, 16.0, np.nan], "suppressed": [False, False, True],
    })
    gaps = coverage_gaps(published)  # used to raise KeyError 'n_within_15'
    assert gaps["area_id"].tolist() == ["BIG", "SMALL"]  # hidden cells cannot be ranked
    assert gaps["reports_beyond"].tolist() == [40.0, 10.0]
    shares_only = coverage_gaps(published.drop(columns="n_reports"))
    assert shares_only["area_id"].tolist() == ["SMALL", "BIG"] and set(shares_only["ranked_by"]) == {"share_beyond"}


# -- services with only an address are geocoded, not dropped ----------------------------------------
NETWORK_SITES = Path(__file__).resolve().parent.parent / "data" / "synthetic" / "servizi_rete_esempio_sintetici.csv"


class FakeMatch:
    def __init__(self, lat: float, lon: float, level: str, matched: str = "") -> None:
        self.lat, self.lon, self.level, self.score, self.matched = lat, lon, level, 90.0, matched


def fake_geocoder(address: str, town: str | None) -> FakeMatch:
    known = {"Corso Genova 204": (45.2998, 8.8532, "via"), "Via Fasolo 1": (45.1956, 9.1763, "civico")}
    if address in known:
        return FakeMatch(*known[address], matched=address)
    if address.startswith("Piazzale Torino"):
        return FakeMatch(np.nan, np.nan, "comune", matched="VIA TORINO, Pavia")
    return FakeMatch(np.nan, np.nan, "non_trovato")


def test_address_only_services_are_geocoded_and_the_rest_returned_with_a_reason() -> None:
    from fragmap.io.geo import read_services

    raw = read_services(NETWORK_SITES)
    with pytest.warns(UserWarning, match="3 services have no coordinates"):
        assert len(normalise_services(raw)) == 16  # the old path: not silent any more
    calls: list[tuple[str, str | None]] = []

    def counting(address: str, town: str | None) -> FakeMatch:
        calls.append((address, town))
        return fake_geocoder(address, town)

    located, unlocated = locate_services(raw, counting)
    assert len(calls) == 3  # only address-only rows are looked up
    assert {"Spazio Auser Vigevano", "Istituto Dosso Verde"} <= set(located["name"])
    assert "centro" in set(located["type"])  # the 'centro' type is back
    lv = dict(zip(located["name"], located["match_level"]))
    assert lv["Istituto Dosso Verde"] == "civico" and lv["Sportello di esempio Pavia 1 (sintetico)"] == "coordinate"
    assert located["located"].all() and located["service_id"].is_unique
    assert unlocated[["name", "reason"]].values.tolist() == [["Spazio Q", "via_senza_geometria"]]
    assert not unlocated["located"].any()
    assert len(located) + len(unlocated) == len(raw)  # nothing vanishes


def test_locate_services_keeps_opening_times_and_uses_a_geocoder_object() -> None:
    raw = pd.DataFrame({"nome": ["A", "B", "C"], "tipo": ["sportello"] * 3,
                        "address": ["Via Fasolo 1", "", "Via Ignota 3"], "town": ["Pavia"] * 3,
                        "orari": ["lun-ven 9-12", "", "mar 15-18"], "lat": [np.nan, np.nan, np.nan],
                        "lon": [np.nan, np.nan, np.nan]})

    class Geo:
        def lookup(self, address: str, town: str | None) -> FakeMatch:
            return fake_geocoder(address, town)

    located, unlocated = locate_services(raw, Geo())
    assert located[["name", "opening_hours"]].values.tolist() == [["A", "lun-ven 9-12"]]
    assert dict(zip(unlocated["name"], unlocated["reason"])) == {"B": "senza_indirizzo", "C": "indirizzo_non_trovato"}


# -- where next: network times, node candidates, a map layer ------------------------------------------
def test_where_next_walks_the_network_when_there_is_one(graph) -> None:
    # 5 minutes at 1 m/s: 300 m on the streets, 300 / 1.3 = 231 m in a straight line
    pts = utm_points([(X0 + 235, Y0), (X0 + 240, Y0)])  # they walk to the node at 200 m, then 35-40 m
    cand = utm_points([(X0, Y0)], name=["Sede"])
    times = pd.Series([60.0, 60.0])
    net = where_next(pts, cand, times, minutes=5, k=1, speed_ms=1.0, graph=graph)
    assert net["new_reports_covered"].tolist() == [2] and net["method"].iloc[0] == "rete stradale pedonale"
    assert where_next(pts, cand, times, minutes=5, k=1, speed_ms=1.0, graph=None).empty
    # 220 m away in a straight line but 314 m by the streets: the fallback counts it, the network does not
    diag = utm_points([(X0 + 110, Y0 + 110), (X0 + 190, Y0 + 110)])
    out = where_next(diag, cand, pd.Series([60.0, 60.0]), minutes=5, k=1, speed_ms=1.0, graph=graph)
    assert out["new_reports_covered"].tolist() == [1]
    assert where_next(diag, cand, pd.Series([60.0, 60.0]), minutes=5, k=1, speed_ms=1.0)["new_reports_covered"].tolist() == [2]


def test_where_next_on_network_nodes_matches_a_brute_force_search(graph) -> None:
    rng = np.random.default_rng(3)
    xy = [(X0 + rng.uniform(0, 700), Y0 + rng.uniform(0, 700)) for _ in range(60)]
    pts = utm_points(xy)
    times = pd.Series(np.where(rng.random(60) < 0.8, 30.0, 2.0))
    best = where_next(pts, "nodes", times, minutes=3, k=3, speed_ms=1.0, graph=graph, node_spacing_m=1.0)
    assert isinstance(best, gpd.GeoDataFrame) and best.crs.to_epsg() == 4326
    best = best[best["solution"] == "greedy"]  # the ranking (an optimal set may follow it)
    assert best["rank"].tolist() == [1, 2, 3] and best["node"].notna().all()
    assert best["site"].str.startswith("nodo ").all()
    assert (best["cumulative_share"].diff().dropna() >= 0).all()
    layer = where_next_layer(best)  # what the map draws (after the privacy gate blanks small counts)
    assert list(layer.columns) == ["rank", "name", "reached", "solution", "set_reached", "geometry"]
    assert set(layer.geom_type) == {"Point"} and layer["reached"].tolist() == best["new_reports_covered"].tolist()
    # brute force with networkx: the first pick reaches the most uncovered reports
    from scipy.spatial import cKDTree

    from fragmap.access import _graph_arrays

    nodes, nxy, _ = _graph_arrays(graph)
    pu = pts.to_crs(32632)
    pxy = np.column_stack([pu.geometry.x, pu.geometry.y])
    snap, near = cKDTree(nxy).query(pxy)
    und = graph.to_undirected()
    uncovered = (times > 3).to_numpy()
    best_gain = 0
    for n in graph.nodes:
        d = nx.single_source_dijkstra_path_length(und, n, cutoff=180, weight="length")
        gain = sum(1 for i in np.nonzero(uncovered)[0] if nodes[near[i]] in d and d[nodes[near[i]]] + snap[i] <= 180)
        best_gain = max(best_gain, gain)
    assert best["new_reports_covered"].iloc[0] == best_gain


def test_where_next_leaves_out_prison_sites() -> None:
    pts = utm_points([(X0 + i * 10, Y0) for i in range(5)])
    cands = utm_points([(X0, Y0), (X0 + 3000, Y0)], name=["I.T. Volta (carceraria)", "Centro civico"],
                       address=["Presso Casa Circondariale", "Via Roma 1"])
    out = where_next(pts, cands, pd.Series([60.0] * 5), k=2)
    assert "I.T. Volta (carceraria)" not in out["site"].tolist()
    assert out.attrs["excluded"] == ["I.T. Volta (carceraria)"]


# -- isochrones from the network ------------------------------------------------------------------
def test_isochrones_follow_the_streets_when_there_is_a_network(graph) -> None:
    s = utm_points([(X0, Y0)], name=["S"], type=["sportello"])
    iso = isochrones(s, minutes=(5, 10), speed_ms=1.0, graph=graph)
    assert set(iso["method"]) == {"rete stradale pedonale"} and iso["minutes"].tolist() == [10, 5]
    five = iso[iso["minutes"] == 5].to_crs(32632).geometry.iloc[0]
    along = Point(X0 + 280, Y0)        # 280 m along a street: reached (a 231 m circle would miss it)
    across = Point(X0 + 200, Y0 + 200)  # 283 m away but 400 m of streets: not reached
    assert five.contains(along) and not five.contains(across)
    fallback = isochrones(s, minutes=(5,), speed_ms=1.0)
    assert "linea d'aria" in fallback["method"].iloc[0]
    assert not fallback.to_crs(32632).geometry.iloc[0].contains(along)


# -- the street network: local file, cached download, or none ---------------------------------------
def test_street_network_for_downloads_only_when_asked_and_caches(tmp_path: Path, settings, graph, monkeypatch) -> None:
    import dataclasses

    import osmnx as ox

    from fragmap.io.geo import read_boundaries

    calls: list[object] = []

    def fake_graph_from_polygon(polygon, **kwargs):
        calls.append((polygon, kwargs))
        return graph

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph_from_polygon)
    comuni = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    off = dataclasses.replace(settings, root=tmp_path)
    assert street_network_for(off, comuni, allow_download=True) is None  # the setting is off
    on = dataclasses.replace(off, access=dataclasses.replace(off.access, download_network=True))
    assert street_network_for(on, comuni, allow_download=False) is None and not calls  # not allowed now
    g = street_network_for(on, comuni, allow_download=True)
    assert len(calls) == 1 and calls[0][1]["network_type"] == "walk"
    assert calls[0][0].contains(comuni.geometry.iloc[0].representative_point())  # over the comuni
    cache = tmp_path / "data" / "rete_pedonale_osm.graphml"
    assert cache.exists() and g.number_of_nodes() == graph.number_of_nodes()
    again = street_network_for(on, comuni, allow_download=False)  # the cache, no download
    assert len(calls) == 1 and again.number_of_nodes() == graph.number_of_nodes()
    local = dataclasses.replace(off, paths=dataclasses.replace(off.paths, street_network=GRID))
    assert street_network_for(local, comuni, allow_download=False).number_of_nodes() == graph.number_of_nodes()
