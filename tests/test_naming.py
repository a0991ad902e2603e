"""Areas with names people recognise: the named places, hexagon names, landmark quarters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from fragmap import QuartersError
from fragmap.io.geo import read_boundaries, read_quarters
from fragmap.io.places import read_landmark_table, read_places
from fragmap.landmarks import LANDMARK_SOURCE, locate_landmarks, quarters_from_landmarks, tiles_exactly
from fragmap.naming import direction, display_name, name_areas
from fragmap.quarters import hex_grid

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data/reference"
LANDMARKS = REF / "quartieri_punti_riferimento_pavia_vigevano.csv"
VALLONE = Point(9.1815713, 45.1922464)  # the "Rione Vallone" school, Via Solferino 38


@pytest.fixture(scope="module")
def comuni() -> gpd.GeoDataFrame:
    return read_boundaries(REF / "comuni_pavia_vigevano_openpolis.geojson", towns=("Pavia", "Vigevano"))


@pytest.fixture(scope="module")
def places(comuni) -> gpd.GeoDataFrame:
    return read_places(landmarks=LANDMARKS, localities=REF / "istat2011_localita_coordinate_geonames_pavia_vigevano.csv",
                       geonames=REF / "luoghi_geonames_pavia_vigevano.geojson", boundaries=comuni)


# -- the named places --------------------------------------------------------------------------
def test_places_read_every_source_with_the_readme_quirks(places) -> None:
    assert list(places.columns[:5]) == ["name", "kind", "town", "source", "address"]
    assert set(places["source"]) == {"quartieri", "istat", "geonames"} and places.crs.to_epsg() == 4326
    # outside its comune polygon: left out and listed (GeoNames "Motta San Damiano", ISTAT "Prado")
    assert "Motta San Damiano (Pavia)" in places.attrs["outside"] and "Prado (Pavia)" in places.attrs["outside"]
    assert not places["name"].isin(["Motta San Damiano", "Prado"]).any()
    # the same place from three files is kept once, from the quarter table, with ISTAT's population
    fossarmato = places[places["name"].str.lower() == "fossarmato"]
    assert len(fossarmato) == 1 and fossarmato["source"].iloc[0] == "quartieri"
    assert fossarmato["population"].iloc[0] == 543
    # the towns themselves are not places inside them; the station is "Stazione"
    assert not ((places["name"] == "Pavia") | (places["name"] == "Vigevano")).any()
    assert sorted(places.loc[places["kind"] == "stazione", "town"]) == ["Pavia", "Vigevano"]
    assert "Duomo di Pavia" in set(places["name"]) and "Centro storico Pavia" not in set(places["name"])
    # landmarks without coordinates are kept with their address, to be geocoded
    crosione = places[places["name"] == "Crosione"].iloc[0]
    assert crosione.geometry is None and crosione["address"] == "Piazzale Crosione, Pavia"
    macro = places.loc[places["kind"] == "macroquartiere", "name"]
    assert sorted(macro) == ["Pavia Est", "Pavia Nord", "Pavia Nord Est", "Pavia Ovest", "Pavia Storica"]
    assert places.loc[places["name"] == "Centro storico", "kind"].eq("quartiere").all()


def test_osm_places_of_the_geodata_set_up_are_read_and_win_over_geonames(tmp_path: Path, comuni) -> None:
    osm = tmp_path / "luoghi.geojson"
    osm.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.1905, 45.1832]},
         "properties": {"name": "Bellaria", "place": "neighbourhood"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.17, 45.195]},
         "properties": {"name": "Quartiere Nuovo", "place": "suburb"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.16, 45.19]},
         "properties": {"name": "Bar Sport", "place": None}},
    ]}), encoding="utf-8")
    p = read_places(geonames=REF / "luoghi_geonames_pavia_vigevano.geojson", osm=osm, boundaries=comuni)
    nuovo = p[p["name"] == "Quartiere Nuovo"].iloc[0]
    assert nuovo["town"] == "Pavia" and nuovo["source"] == "osm" and nuovo["kind"] == "suburb"
    assert p.loc[p["name"] == "Bellaria", "source"].tolist() == ["osm"]
    assert "Bar Sport" not in set(p["name"])
    assert read_places(osm=tmp_path / "missing.geojson").empty  # not set up yet: nothing, no error


# -- hexagon names ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [500, 1500])
def test_every_hexagon_has_a_unique_recognisable_name(comuni, places, size: int) -> None:
    grid = hex_grid(comuni, size_m=size)
    named = name_areas(grid, places)
    assert named["quarter_id"].tolist() == grid["quarter_id"].tolist()  # codes kept
    assert named["name"].is_unique and (named["name"].str.strip() != "").all()
    assert not named["name"].str.contains(r"\bcella\b").any()
    # every name starts with a real place name of the table
    real = tuple(places["name"])
    assert all(n.startswith(real) for n in named["name"])
    # macro-quartieri (a committee seat, not the middle of the quarter) never name a hexagon
    assert not named["name"].str.startswith("Pavia ").any()


def test_the_hexagon_holding_the_vallone_landmark_is_named_vallone(comuni, places) -> None:
    for size in (500, 1000, 1500):
        named = name_areas(hex_grid(comuni, size_m=size), places)
        holder = named[named.geometry.covers(VALLONE)]
        assert len(holder) == 1
        assert holder["name"].iloc[0].split(" / ")[0] == "Vallone", (size, holder["name"].iloc[0])
        assert "Vallone" in holder["places"].iloc[0]
        # its neighbours say where they lie from it, not "Vallone" again
        others = named[named["name"].str.startswith("Vallone") & ~named.geometry.covers(VALLONE)]
        assert others["name"].str.match(r"^Vallone \((nord|sud|est|ovest|nord-est|nord-ovest|sud-est|sud-ovest)\)").all()


def test_directions_and_names_shared_by_cells_and_towns() -> None:
    # two towns, three cells: one holds "Centro", two lie north of it; "Centro" also in town B
    cells = gpd.GeoDataFrame(
        {"quarter_id": ["A-1", "A-2", "A-3", "B-1"], "town": ["A", "A", "A", "B"]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(0, 1000, 100, 1100), shapely.box(0, 1100, 100, 1200),
                  shapely.box(5000, 0, 5100, 100)], crs=32632)
    pts = gpd.GeoDataFrame({"name": ["Centro", "Centro", "Bar"], "kind": ["quartiere", "quartiere", "chiesa"],
                            "town": ["A", "B", "A"], "source": ["quartieri", "quartieri", "geonames"]},
                           geometry=[Point(50, 50), Point(5050, 50), Point(50, 1050)], crs=32632)
    named = name_areas(cells, pts)
    assert named["name"].tolist() == ["Centro, A", "Bar", "Centro (nord)", "Centro, B"]
    assert direction(10, -10) == "sud-est" and direction(-10, 0, "en") == "west"


def test_english_pages_translate_our_words_not_place_names() -> None:
    assert display_name("Vallone (nord-ovest) + Città Giardino", "en") == "Vallone (north-west) + Città Giardino"
    assert display_name("Vallone (nord-ovest)", "it") == "Vallone (nord-ovest)"
    assert display_name("Pavia · cella 02-04", "en") == "Pavia · cell 02-04"
    assert display_name("Contrada di Valle (Vigevano)", "en") == "Contrada di Valle (Vigevano)"


# -- quarters drawn around landmarks ------------------------------------------------------------
def _macro_points(comuni) -> gpd.GeoDataFrame:
    table = read_landmark_table(REF / "quartieri_macro_pavia_vigevano.csv")
    # the only address row of the shipped table: answered as the gazetteer does (recorded, no network)
    answers = {"Via dei Mille, Pavia": (45.17831621, 9.15120439)}

    class Match:
        def __init__(self, latlon: tuple[float, float] | None) -> None:
            self.lat, self.lon = latlon if latlon else (float("nan"), float("nan"))
            self.level = "via" if latlon else "comune"

    placed = locate_landmarks(table, lambda a, t: Match(answers.get(a)), town_names=("Pavia", "Vigevano"))
    assert placed.unplaced.empty, placed.lines()
    return placed.points


def test_landmark_quarters_tile_each_comune_and_say_approximate(comuni) -> None:
    quarters, check = quarters_from_landmarks(_macro_points(comuni), comuni)
    assert tiles_exactly(quarters, comuni)
    for town, poly in zip(comuni["name"], comuni.to_crs(32632).geometry):
        mine = quarters[quarters["town"] == town].to_crs(32632)
        assert mine.area.sum() == pytest.approx(poly.area, rel=1e-6)  # no gap, no overlap
        assert mine.union_all().symmetric_difference(poly).area < 1.0  # clipped to the comune
    assert set(quarters["source"]) == {LANDMARK_SOURCE} and not check.overlaps
    pavia = quarters[quarters["town"] == "Pavia"]
    assert sorted(pavia["name"]) == ["Pavia Est", "Pavia Nord", "Pavia Nord Est", "Pavia Ovest", "Pavia Storica"]
    assert pavia[pavia.geometry.covers(VALLONE)]["name"].tolist() == ["Pavia Nord Est"]
    station = Point(9.14498, 45.18881)  # "la stazione ... l'università e gli ospedali" are in Pavia Ovest
    assert pavia[pavia.geometry.covers(station)]["name"].tolist() == ["Pavia Ovest"]


def test_a_landmark_outside_the_comuni_is_refused_by_name(comuni) -> None:
    pts = gpd.GeoDataFrame({"row": [2, 3], "town": ["Pavia", "Pavia"], "quartiere": ["Vallone", "Altrove"],
                            "label": ["Via Solferino 38", "45.40, 9.00"]},
                           geometry=[VALLONE, Point(9.0, 45.40)], crs=4326)
    with pytest.raises(QuartersError, match=r"riga 3: Altrove \(Pavia\): 45.40, 9.00") as err:
        quarters_from_landmarks(pts, comuni)
    assert "Vallone" not in str(err.value)
    with pytest.raises(QuartersError, match="row 3: Altrove"):
        quarters_from_landmarks(pts, comuni, language="en")


def test_landmark_rows_that_cannot_be_placed_are_listed_with_their_row() -> None:
    table = pd.DataFrame({"row": [2, 3, 4, 5, 6], "town": ["Pavia", "Pavia", "Milano", "Pavia", ""],
                          "quartiere": ["Vallone", "Crosione", "Brera", "", "Centro"],
                          "landmark": ["45.1922, 9.1816", "Piazzale Crosione", "Via Brera 1", "Via Roma", "Piazza"]})

    class TownOnly:
        lat = lon = float("nan")
        level = "comune"

    placed = locate_landmarks(table, lambda a, t: TownOnly(), town_names=("Pavia", "Vigevano"))
    assert placed.points["quartiere"].tolist() == ["Vallone"]
    assert placed.lines("it") == [
        "riga 3: Crosione (Pavia): Piazzale Crosione: indirizzo non trovato su una via (solo a livello comunale)",
        "riga 4: Brera (Milano): Via Brera 1: comune non configurato",
        "riga 5: - (Pavia): Via Roma: quartiere mancante",
        "riga 6: Centro (-): Piazza: comune mancante",
    ]


def test_cli_from_landmarks_writes_approximate_quarters(tmp_path: Path, comuni) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main
    from fragmap.pipeline import Project
    from fragmap.settings import load_settings
    from test_quarters import _project_config

    table = tmp_path / "punti.csv"
    table.write_text("comune;quartiere;punto di riferimento\nPavia;Vallone;45.1922464, 9.1815713\n"
                     "Pavia;Centro;45.18479, 9.15975\nPavia;Centro;45.17981, 9.15248\n"
                     "Vigevano;Centro;45.31725, 8.85797\n", encoding="utf-8")
    out = tmp_path / "quartieri.gpkg"
    cfg = _project_config(tmp_path)
    for command in (["quarters", "from-landmarks"], ["quartieri", "da-punti-riferimento"]):
        res = CliRunner().invoke(main, [*command, str(table), "-o", str(out), "-c", str(cfg)])
        assert res.exit_code == 0, res.output
        assert "confini approssimativi" in res.output
    written = gpd.read_file(out)
    assert set(written["nota"]) == {"confini approssimativi"} and set(written["source"]) == {LANDMARK_SOURCE}
    loaded = read_quarters(out)
    assert set(loaded["source"]) == {LANDMARK_SOURCE}  # still labelled when used as [paths] quarters
    # the same table used directly by a project: the notes say "confini approssimativi"
    text = cfg.read_text(encoding="utf-8") + f'\n[quarters]\nlandmarks = "{table.as_posix()}"\n'
    cfg.write_text(text, encoding="utf-8")
    project = Project(load_settings(cfg))
    quarters = project.build_quarters()
    assert sorted(quarters["name"]) == ["Centro", "Centro", "Vallone"]
    assert quarters["population_estimated"].all() and quarters["population"].gt(0).all()
    assert any("confini approssimativi" in n for n in project._notes(quarters))
    bad = tmp_path / "fuori.csv"
    bad.write_text("comune;quartiere;punto di riferimento\nPavia;Lontano;45.40, 9.00\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["quarters", "from-landmarks", str(bad), "-o", str(out), "-c", str(cfg)])
    assert res.exit_code != 0 and "Lontano" in res.output and "Traceback" not in res.output


def test_shipped_landmark_tables_cover_pavia_and_vigevano() -> None:
    whole = read_landmark_table(REF / "quartieri_tabella_pavia_vigevano.csv")
    macro = read_landmark_table(REF / "quartieri_macro_pavia_vigevano.csv")
    assert {"Vallone", "Borgo Ticino", "Centro storico", "Fossarmato"} <= set(whole["quartiere"])
    assert set(macro.loc[macro["town"] == "Pavia", "quartiere"]) == {
        "Pavia Storica", "Pavia Est", "Pavia Nord Est", "Pavia Nord", "Pavia Ovest"}
    assert set(whole["town"]) == set(macro["town"]) == {"Pavia", "Vigevano"}
    assert all(re.match(r"^-?\d+\.\d+, -?\d+\.\d+$", lm) or lm.endswith((", Pavia", ", Vigevano"))
               for lm in [*whole["landmark"], *macro["landmark"]])
