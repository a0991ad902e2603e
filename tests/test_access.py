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
from fragmap.access import access_times, coverage, coverage_gaps, isochrones, normalise_services, where_next
from fragmap.io.network import download_network, read_network

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
    assert gaps.loc[0, "quarter_id"] == "Q1"


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
