"""Residents-based coverage (fragmap.residents), checked against hand calculations.

The fixture, in metres (EPSG:32632, nothing to reproject): a straight street of 7 nodes,
300 m apart, at x = 150, 450, ..., 1950 (y = 150); one help desk (sportello) on the first
node and a pharmacy on the fifth. Town T has area A (x 0-600, 90 residents aged 65+) and
area B (x 600-1500, 120); town U has area C (x 1800-2100, 50), with no home mapped.

Homes (footprint m², levels; weight = footprint × levels, a missing level counts the
median of the tagged ones, here median(2, 1, 4) = 2):

====  ===========  =========  ======  ============  =============================
home  point        footprint  levels  weight        walk to the help desk
====  ===========  =========  ======  ============  =============================
b1    (450, 150)   100        2       200  (A)      300 m
b2    (150, 180)   100        --      200  (A)      30 m (the walk to the street)
b3    (750, 150)   200        1       200  (B)      600 m
b4    (1050, 180)  100        4       400  (B)      900 + 30 = 930 m
b5    (1350, 150)  300        --      600  (B)      1,200 m
b6    (5000, 150)  100        --      in no area
====  ===========  =========  ======  ============  =============================

15 minutes at 0.8 m/s is 720 m; at 1.2 m/s 1,080 m.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from fragmap import residents
from fragmap.residents import population_points, resident_coverage, resident_sentences

UTM = 32632
Y = 150.0


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="EPSG:32632")
    xs = [150.0 + 300 * i for i in range(7)]
    for i, x in enumerate(xs):
        g.add_node(i, x=x, y=Y)
    for i in range(len(xs) - 1):
        g.add_edge(i, i + 1, length=300.0)
        g.add_edge(i + 1, i, length=300.0)
    return g


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": ["A", "B", "C"], "name": ["Alfa", "Beta", "Gamma"], "town": ["T", "T", "U"],
         "level": "quarter", "population": [400.0, 600.0, 300.0], "pop_65": [90.0, 120.0, 50.0],
         "population_estimated": [True, True, False]},
        geometry=[shapely.box(0, 0, 600, 300), shapely.box(600, 0, 1500, 300), shapely.box(1800, 0, 2100, 300)],
        crs=UTM)


@pytest.fixture
def services() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Sportello", "Farmacia"], "type": ["sportello", "pharmacy"]},
                            geometry=[shapely.Point(150, Y), shapely.Point(1350, Y)], crs=UTM)


@pytest.fixture
def homes() -> gpd.GeoDataFrame:
    pts = [(450, 150), (150, 180), (750, 150), (1050, 180), (1350, 150), (5000, 150)]
    return gpd.GeoDataFrame({"kind": "house", "area_m2": [100.0, 100.0, 200.0, 100.0, 300.0, 100.0],
                             "levels": [2.0, np.nan, 1.0, 4.0, np.nan, np.nan]},
                            geometry=[shapely.Point(x, y) for x, y in pts], crs=UTM)


def _row(cov: pd.DataFrame, area_id: str) -> pd.Series:
    return cov.set_index("area_id").loc[area_id]


def test_homes_carry_their_area_s_residents_by_footprint_times_levels(areas, homes) -> None:
    pts = population_points(areas, buildings=homes)
    b = pts[pts["area_id"] == "B"].sort_values("residents")
    # B: weights 200, 400, 600 of 1,200 -> 120 residents as 20, 40, 60
    assert b["residents"].tolist() == pytest.approx([20.0, 40.0, 60.0])
    a = pts[pts["area_id"] == "A"]
    assert a["residents"].tolist() == pytest.approx([45.0, 45.0])  # 200 and 200 (b2: the median 2 levels)
    assert set(pts.loc[pts["area_id"] != "C", "distribution"]) == {"buildings"}
    # C has no home: its 50 residents are spread over its grid, and b6 (in no area) is left out
    assert set(pts.loc[pts["area_id"] == "C", "distribution"]) == {"uniform"}
    assert pts.groupby("area_id")["residents"].sum().to_dict() == pytest.approx({"A": 90, "B": 120, "C": 50})


def test_coverage_by_hand_at_older_people_s_speed(areas, homes, services, graph) -> None:
    cov = resident_coverage(areas, services, buildings=homes, graph=graph, minutes=15, speed_ms=0.8)
    # 720 m: A all within (300 m, 30 m); B only b3 (600 m) within: 20 of 120; C (1,800 m) none
    a, b, c = _row(cov, "A"), _row(cov, "B"), _row(cov, "C")
    assert (a["within"], a["beyond"], a["share_beyond"]) == pytest.approx((90, 0, 0))
    assert (b["within"], b["beyond"], b["share_beyond"]) == pytest.approx((20, 100, 100 / 120))
    assert (c["within"], c["beyond"], c["share_beyond"]) == pytest.approx((0, 50, 1))
    t, u, net = _row(cov, "T"), _row(cov, "U"), _row(cov, "rete")
    assert (t["residents"], t["within"], t["beyond"], t["share_beyond"]) == pytest.approx((210, 110, 100, 100 / 210))
    assert (u["residents"], u["beyond"]) == pytest.approx((50, 50))
    assert (net["residents"], net["beyond"], net["share_beyond"]) == pytest.approx((260, 150, 150 / 260))
    assert list(cov["level"]) == ["quarter"] * 3 + ["town"] * 2 + ["network"]
    assert (cov["minutes"] == 15).all() and (cov["speed_ms"] == 0.8).all() and (cov["population"] == "pop_65").all()
    assert t["distribution"] == residents.DISTRIBUTION["buildings"]["it"]
    assert u["distribution"] == residents.DISTRIBUTION["uniform"]["it"]
    assert net["distribution"] == residents.DISTRIBUTION["mixed"]["it"]
    assert net["method"] == "rete stradale pedonale"


def test_speed_is_honoured(areas, homes, services, graph) -> None:
    slow = resident_coverage(areas, services, buildings=homes, graph=graph, speed_ms=0.8)
    fast = resident_coverage(areas, services, buildings=homes, graph=graph, speed_ms=1.2)
    # 1,080 m: b4 (930 m) is now within too: 20 + 40 of B's 120
    assert _row(slow, "B")["within"] == pytest.approx(20)
    assert _row(fast, "B")["within"] == pytest.approx(60)
    assert _row(fast, "T")["share_beyond"] == pytest.approx(60 / 210)
    assert (fast["speed_ms"] == 1.2).all()


def test_service_types_are_a_parameter(areas, homes, services, graph) -> None:
    both = resident_coverage(areas, services, buildings=homes, graph=graph, service_types=("sportello", "pharmacy"))
    # the pharmacy on b5's node: b4 is 300 + 30 m from it, b5 0 m: all of B within
    assert _row(both, "B")["within"] == pytest.approx(120)
    assert _row(both, "A")["within"] == pytest.approx(90)
    assert (both["services"] == "sportello, pharmacy").all()
    none = resident_coverage(areas, services, buildings=homes, graph=graph, service_types=("centro",))
    assert _row(none, "rete")["share_beyond"] == 1.0  # no service of that type: everyone is beyond


def test_without_buildings_the_uniform_estimate_is_labelled_and_computed_by_hand(areas, homes, services, graph) -> None:
    cov = resident_coverage(areas, services, buildings=None, graph=graph, spacing_m=300, speed_ms=0.8)
    assert set(cov["distribution"]) == {"stima: distribuzione uniforme"}
    # a 300 m grid: A's points on the nodes at 150 and 450 (0 and 300 m): all within;
    # B's on 750, 1050, 1350 (600, 900, 1,200 m): one of three within, 40 of 120
    assert _row(cov, "A")["within"] == pytest.approx(90)
    assert _row(cov, "B")["within"] == pytest.approx(40)
    fast = resident_coverage(areas, services, buildings=None, graph=graph, spacing_m=300, speed_ms=1.2)
    assert _row(fast, "B")["within"] == pytest.approx(80)
    empty = resident_coverage(areas, services, buildings=homes.iloc[:0], graph=graph, spacing_m=300)
    assert set(empty["distribution"]) == {"stima: distribuzione uniforme"}
    en = resident_coverage(areas, services, graph=graph, language="en")
    assert set(en["distribution"]) == {"estimate: uniform distribution"}
    with pytest.raises(ValueError, match="pop_80"):
        resident_coverage(areas, services, column="pop_80")


def test_town_and_network_rows_add_up_their_areas(areas, homes, services, graph) -> None:
    for kw in ({"buildings": homes}, {"buildings": None}, {"graph": None}):
        cov = resident_coverage(areas, services, **{"graph": graph, **kw})
        q = cov[cov["level"] == "quarter"]
        for town, grp in q.groupby("town"):
            row = _row(cov, town)
            for col in ("residents", "within", "beyond"):
                assert row[col] == pytest.approx(grp[col].sum())
        net = _row(cov, "rete")
        assert net["beyond"] == pytest.approx(q["beyond"].sum())
        assert ((cov["within"] + cov["beyond"]) - cov["residents"]).abs().max() < 1e-9
        assert (q["residents"].to_numpy() == areas["pop_65"].to_numpy()).all()


def test_straight_line_fallback_says_so(areas, homes, services) -> None:
    cov = resident_coverage(areas, services, buildings=homes, graph=None, detour_factor=1.3)
    assert cov["method"].str.contains("linea d'aria").all()
    # b4: 900.5 m straight × 1.3 = 1,171 m > 720: beyond; b3: 600 × 1.3 = 780 > 720: beyond too
    assert _row(cov, "B")["within"] == pytest.approx(0)


def test_sentences_name_share_speed_and_method(areas, homes, services, graph) -> None:
    cov = resident_coverage(areas, services, buildings=homes, graph=graph)
    text = resident_sentences(cov)
    assert text[0].startswith("Rete: il 58% dei residenti con 65 anni e più vive a più di 15 minuti a piedi "
                              "(0,8 m/s) da uno sportello della rete (circa 150 su 260)")
    assert text[1].startswith("T: il 48% ") and "popolazione stimata" in text[1]
    assert text[2].startswith("U: il 100% ") and text[2].endswith("stima: distribuzione uniforme.")
    en = resident_sentences(resident_coverage(areas, services, graph=graph, language="en"), "en")
    assert "residents aged 65+ live more than 15 minutes' walk (0.8 m/s) from a network help desk" in en[0]


def test_published_figures_are_rounded_and_small_areas_hidden(areas, homes, services, graph) -> None:
    from types import SimpleNamespace

    from fragmap._errors import PrivacyError
    from fragmap.privacy import publish_resident_coverage

    cov = resident_coverage(areas, services, buildings=homes, graph=graph)
    pub = SimpleNamespace(areas=areas.assign(area_id=["A", "B", "C"]))
    settings = SimpleNamespace(privacy=SimpleNamespace(min_quarter_population=350))
    out = publish_resident_coverage(cov, pub, settings).set_index("area_id")
    # C has 300 residents in all (< 350): nothing shown; B: 120 -> 120, 20 -> 20, 100 -> 100, 83%
    assert bool(out.loc["C", "suppressed"]) and np.isnan(out.loc["C", "share_beyond"])
    assert (out.loc["B", "residents"], out.loc["B", "beyond"], out.loc["B", "share_beyond"]) == (120, 100, 0.83)
    assert (out.loc["A", "residents"], out.loc["A", "within"]) == (90, 90)
    assert out.loc["rete", "beyond"] == 150 and out.loc["T", "share_beyond"] == 0.48
    # half up to the nearest 10 (45 -> 50, not to even)
    half = cov.assign(residents=cov["residents"].where(cov["area_id"] != "A", 45.0))
    assert publish_resident_coverage(half, pub, settings).set_index("area_id").loc["A", "residents"] == 50
    with pytest.raises(PrivacyError, match="n_reports"):
        publish_resident_coverage(cov.assign(n_reports=3), pub, settings)
    # an area the publication does not show is dropped
    other = SimpleNamespace(areas=areas[areas["area_id"] != "B"])
    assert "B" not in set(publish_resident_coverage(cov, other, settings)["area_id"])


def test_exports_carry_the_residents_sheet_and_pass_the_audit(tmp_path) -> None:
    import dataclasses
    from pathlib import Path

    import pyogrio
    from factories import demo_defaults
    from test_privacy import quarters_grid, random_cube

    from fragmap.privacy import audit_folder, fingerprint, publish, publish_resident_coverage

    settings = demo_defaults(Path(__file__).resolve().parent.parent)
    q = quarters_grid(4)
    cube = random_cube(settings, q, lam=0.08)
    pub = publish(cube, q, settings, months=sorted(cube["month"].unique())[-12:], synthetic=True,
                  quarter_source="griglia")
    desk = gpd.GeoDataFrame({"name": ["Sportello"], "type": ["sportello"]},
                            geometry=[shapely.Point(9.105, 45.185)], crs=4326)
    cov = publish_resident_coverage(resident_coverage(pub.areas, desk, graph=None), pub, settings)
    pub = dataclasses.replace(pub, extras={**pub.extras, "resident_coverage": cov})
    pub.to_excel(str(tmp_path / "f.xlsx"))
    pub.to_gpkg(str(tmp_path / "f.gpkg"))
    pub.to_csv(str(tmp_path / "f.csv"))
    sheet = pd.read_excel(tmp_path / "f.xlsx", sheet_name="residenti")
    assert list(sheet.columns[4:8]) == ["residenti 65+", "entro 15 min", "oltre 15 min", "quota oltre %"]
    net = sheet[sheet["livello"] == "rete"].iloc[0]
    # 4 areas of 250 residents aged 65+; the desk in the first: only it has residents within 15 minutes
    assert net["residenti 65+"] == 1000 and net["oltre 15 min"] + net["entro 15 min"] == 1000
    assert 0 < net["quota oltre %"] < 100 and set(sheet["distribuzione dei residenti"]) == {
        "stima: distribuzione uniforme"}
    assert "residenti" in {name for name, _ in pyogrio.list_layers(tmp_path / "f.gpkg")}
    assert "residenti 65+" in (tmp_path / "f_residenti.csv").read_text(encoding="utf-8-sig")
    clean = fingerprint(pd.DataFrame({"lat": [45.3001], "lon": [9.4001], "address": ["via Nascosta 12"],
                                      "report_id": ["PRIV-0001"]}))
    res = audit_folder(tmp_path, clean, settings)
    assert res.ok, [str(f) for f in res.findings]


def test_the_project_spreads_residents_over_the_homes_of_the_geodata_set_up(tmp_path) -> None:
    """After the set-up (its ``edifici`` layer) an area's residents live in its homes; elsewhere the estimate."""
    from factories import demo_project_settings

    from fragmap.geodata import FILES
    from fragmap.io.geodata import geodata_folder
    from fragmap.pipeline import Project

    s = demo_project_settings(tmp_path)
    p = Project(s)
    p.ingest()
    areas = p.publication().areas
    big = areas[(areas["level"] == "quarter") & (areas["town"] == "Pavia")].sort_values("pop_65").iloc[-1]
    # one home, far out in the south-east corner of the biggest area: its 65+ residents all live there
    home = shapely.Point(big.geometry.bounds[2] - 1e-4, big.geometry.bounds[1] + 1e-4)
    home = home if big.geometry.contains(home) else big.geometry.representative_point()
    folder = geodata_folder(s)
    folder.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"kind": ["apartments"], "area_m2": [400.0], "levels": [5.0]}, geometry=[home],
                     crs=4326).to_file(folder / FILES["edifici"], driver="GeoJSON")
    cov = p.coverage_of_residents().set_index("area_id")
    row = cov.loc[big["area_id"]]
    assert row["distribution"] == residents.DISTRIBUTION["buildings"]["it"]
    assert row["within"] in (0, row["residents"])  # one home: all within or all beyond
    assert cov.loc["Pavia", "distribution"] == residents.DISTRIBUTION["mixed"]["it"]
    assert cov.loc["Vigevano", "distribution"] == "stima: distribuzione uniforme"
    assert (cov["speed_ms"] == s.access.elderly_speed_ms).all() and (cov["minutes"] == 15).all()
    fast = p.coverage_of_residents(speed_ms=1.2, population="population").set_index("area_id")
    assert fast.loc["rete", "residents"] > cov.loc["rete", "residents"]  # all residents, not only 65+
    assert fast.loc["rete", "share_beyond"] < cov.loc["rete", "share_beyond"]


def test_docstring_examples_run() -> None:
    import doctest

    result = doctest.testmod(residents, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 4
