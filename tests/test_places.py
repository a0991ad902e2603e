"""Real named points in the gazetteer (bus stops, GeoNames, landmarks) and the OSM/stop ↔ ANNCSU name links."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from fragmap._text import typo as _typo
from fragmap.geocode import Geocoder, build_gazetteer, default_gazetteer
from fragmap.geocode.gazetteer import metres_between
from fragmap.geocode.places import split_stop_name
from fragmap.geocode.reconcile import link_summary
from fragmap.io.geo import read_services
from fragmap.io.named_points import ALIAS_FILE, LINK_REPORT, read_reference_places

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data/reference"
STREETS = REF / "anncsu_stradario_pavia_vigevano_20250209.csv"


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gpd.read_file(REF / "comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]


@pytest.fixture(scope="module")
def anncsu() -> pd.DataFrame:
    return pd.read_csv(STREETS, dtype=str)


@pytest.fixture(scope="module")
def shipped(towns, anncsu):  # type: ignore[no-untyped-def]
    """The default gazetteer's content: ANNCSU, services and the shipped named points."""
    services = pd.concat([read_services(p) for p in sorted(REF.glob("servizi_*.geojson"))], ignore_index=True)
    named, places, _ = read_reference_places(
        stops=REF / "fermate_bus_pavia_osm_2013.geojson", geonames=REF / "luoghi_geonames_pavia_vigevano.geojson",
        landmarks=REF / "quartieri_punti_riferimento_pavia_vigevano.csv")
    gaz = build_gazetteer(streets=anncsu, towns=towns, services=services, named_points=named, places=places)
    return gaz, Geocoder(gaz, towns=towns)


@pytest.mark.parametrize("name,expected", [
    ("LUNGOTICINO VISCONTI Rezia", ("LUNGOTICINO VISCONTI", "Rezia", None)),
    ("CAIROLI S. Maria alle Pertiche", ("CAIROLI", "S. Maria alle Pertiche", None)),
    ("BRAMBILLA civ.70", ("BRAMBILLA", "", 70)),
    ("STAZIONE 4", ("STAZIONE", "", None)),
    ("Scarpone Don Albertario", ("Scarpone", "Don Albertario", None)),
    ("E.TIBALDI Cervi", ("E.TIBALDI", "Cervi", None)),
])
def test_stop_names_split_into_street_cross_street_and_number(name: str, expected: tuple) -> None:
    assert tuple(split_stop_name(name)) == expected


def test_the_shipped_points_are_street_points_of_official_streets(shipped) -> None:
    gaz, _ = shipped
    by_source = gaz.points.groupby("source").size()
    assert by_source["fermate_osm"] > 250 and by_source["fermate_osm_incrocio"] > 150
    assert {"geonames", "punti_quartieri", "servizi"} <= set(by_source.index)
    official = set(zip(gaz.streets.loc[gaz.streets["official"], "town"], gaz.streets.loc[gaz.streets["official"], "key"]))
    stops = gaz.points[gaz.points["source"].str.startswith("fermate")]
    assert set(zip(stops["town"], stops["key"])) <= official  # never a street invented from a stop name
    # the operator's street part reconciled with the official names
    links = gaz.links.set_index(["source", "name"])["key"]
    assert links[("fermate_osm", "STRADA NUOVA")] == "CORSO STRADA NUOVA"
    assert links[("fermate_osm", "ASELLI")] == "VIA GASPARE ASELLI"
    assert links[("fermate_osm_incrocio", "Torino")] == "VIA TORINO"
    # points without a number are each kept (both directions of a stop), not averaged
    cremona = gaz.points[(gaz.points["key"] == "VIALE CREMONA") & (gaz.points["number"] == 0)]
    assert len(cremona) >= 8
    assert gaz.places is not None and "Stazione di Pavia" in set(gaz.places["name"])
    assert "Vallone" in set(gaz.places["name"])


def test_a_stop_outside_pavia_is_not_used_for_pavia(shipped, towns, anncsu) -> None:
    gaz, _ = shipped
    stops = gpd.read_file(REF / "fermate_bus_pavia_osm_2013.geojson")
    outside = stops[stops["comune"].isna()]
    assert len(outside) > 50
    pavia = towns.set_index("name").geometry["Pavia"]
    used = gaz.points[gaz.points["source"].str.startswith("fermate")]
    assert gpd.GeoSeries(gpd.points_from_xy(used["lon"], used["lat"]), crs=4326).within(pavia).all()
    out_xy = {(round(x, 6), round(y, 6)) for x, y in zip(outside.geometry.x, outside.geometry.y)}
    assert not out_xy & {(round(x, 6), round(y, 6)) for x, y in zip(used["lon"], used["lat"])}
    # a stop declared in another comune is dropped even if its point fell inside Pavia
    x, y = used["lon"].iloc[0], used["lat"].iloc[0]
    named = pd.DataFrame({"town": ["Pavia", "San Martino Siccomario", ""],
                          "street": ["VIGENTINA", "VIGENTINA", "VIGENTINA"], "typed": False, "number": 0,
                          "lon": [x, x + 0.0002, 9.05], "lat": [y, y, 45.10], "source": "fermate_osm",
                          "label": "VIGENTINA"})
    g = build_gazetteer(streets=anncsu, towns=towns, named_points=named)
    assert len(g.points) == 1 and g.points["lon"].iloc[0] == pytest.approx(x)
    assert any("non usati" in n for n in g.notes)


def test_piazzale_torino_40_lands_in_pavia_near_piazzale_torino(shipped, towns) -> None:
    _, geo = shipped
    m = geo.lookup("Piazzale Torino 40, Pavia")
    assert m.level == "via" and m.town == "Pavia" and m.key == "VIA TORINO"
    pavia = towns.set_index("name").geometry["Pavia"]
    assert gpd.points_from_xy([m.lon], [m.lat])[0].within(pavia)
    # Spazio Q's quarter: the Vallone landmark (the primary school "Rione Vallone", Via Solferino 38)
    q = pd.read_csv(REF / "quartieri_punti_riferimento_pavia_vigevano.csv")
    v = q[q["quartiere"] == "Vallone"].iloc[0]
    assert metres_between(m.lon, m.lat, v["lon"], v["lat"]) < 600
    assert m.uncertainty_m >= 500  # somewhere on Via Torino: honest


def _streets_with_stop_points(gaz, n: int, seed: int) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """A seeded random sample of official Pavia streets that have stop points: (key, DUG, DUF)."""
    stops = gaz.points[(gaz.points["source"] == "fermate_osm") & (gaz.points["town"] == "Pavia")]
    official = gaz.streets[gaz.streets["official"] & (gaz.streets["town"] == "Pavia")].set_index("key")
    keys = sorted(set(stops["key"]) & set(official.index))
    pick = np.random.default_rng(seed).choice(len(keys), size=n, replace=False)
    return [(keys[i], official.loc[keys[i], "street_type"], official.loc[keys[i], "street_name"]) for i in sorted(pick)]


ABBREVIATIONS = {"VIA": "v.", "VIALE": "V.le", "CORSO": "C.so", "PIAZZA": "P.za", "PIAZZALE": "p.le", "LARGO": "L.go",
                 "STRADA": "Str.", "VICOLO": "Vic."}


@pytest.mark.parametrize("spelling", ["official", "abbreviation", "surname", "typo"])
def test_messy_spellings_of_real_streets_with_stops_find_the_same_street(shipped, spelling: str) -> None:
    gaz, geo = shipped
    sample = _streets_with_stop_points(gaz, 10, seed=1130)
    official = gaz.streets[gaz.streets["official"] & (gaz.streets["town"] == "Pavia")]
    rng = np.random.default_rng(7)
    tried = 0
    for key, dug, duf in sample:
        name = duf.title()
        if spelling == "abbreviation":
            text = f"{ABBREVIATIONS.get(dug, dug.title())} {name} 12 PV"
        elif spelling == "surname":
            words = duf.split()
            last = words[-1]
            shared = official["street_name"].str.split().str[-1].eq(last).sum()
            if len(words) < 2 or len(last) < 4 or shared > 1:
                continue  # one word already, or the surname names two streets: genuinely ambiguous
            text = f"{dug.lower()} {last.lower()} 5/a"
        elif spelling == "typo":
            words = name.split()
            j = int(np.argmax([len(w) for w in words]))
            if len(words[j]) < 6:
                continue
            words[j] = _typo(words[j], rng)
            text = f"{dug.title()} {' '.join(words)}, 8"
        else:
            text = f"{dug} {duf} 3"
        tried += 1
        m = geo.lookup(text, "Pavia")
        assert m.key == key, (text, m)
        assert m.level in ("via", "civico") and not np.isnan(m.lat)
    assert tried >= 4


def test_the_link_report_lists_an_ambiguous_stop_name_and_the_alias_table_fixes_an_unmatched_one(
        settings, tmp_path) -> None:
    gaz = default_gazetteer(settings, rebuild=True)
    report = pd.read_csv(settings.paths.gazetteer.parent / LINK_REPORT, sep=";", encoding="utf-8-sig", dtype=str,
                         keep_default_na=False)
    lungo = report[report["nome_osm"] == "LUNGOTICINO"]
    assert lungo["status"].tolist() == ["ambiguous"]
    assert {"VIALE LUNGOTICINO SFORZA", "VIALE LUNGOTICINO VISCONTI"} <= set(lungo["candidates"].iloc[0].split(" | "))
    assert report["status"].iloc[0] == "ambiguous"  # what the coordinator must look at comes first
    assert link_summary(gaz.links)["unmatched"] > 0
    unmatched = report[(report["status"] == "unmatched") & (report["nome_osm"] == "PORTA MILANO")]
    assert len(unmatched) == 1
    before = gaz.points[gaz.points["key"] == "VIALE DELLA REPUBBLICA"]
    # the coordinator fills the alias table beside the gazetteer and rebuilds
    (settings.paths.gazetteer.parent / ALIAS_FILE).write_text(
        "town;nome_osm;nome_anncsu\nPavia;Porta Milano;Viale della Repubblica\nPavia;LUNGOTICINO;-\n",
        encoding="utf-8")
    fixed = default_gazetteer(settings, rebuild=True)
    links = fixed.links.set_index(["source", "name"])
    assert links.loc[("fermate_osm", "PORTA MILANO"), "status"] == "override"
    assert links.loc[("fermate_osm", "PORTA MILANO"), "key"] == "VIALE DELLA REPUBBLICA"
    assert links.loc[("fermate_osm", "LUNGOTICINO"), "status"] == "override"
    after = fixed.points[fixed.points["key"] == "VIALE DELLA REPUBBLICA"]
    assert len(after) == len(before) + 1
    # stored with the gazetteer: read back as it was built
    again = default_gazetteer(settings)
    assert again.links is not None and set(again.links["status"]) == set(fixed.links["status"])
    assert again.version == fixed.version


def test_an_osm_name_and_its_anncsu_name_find_the_same_street_line(towns, anncsu) -> None:
    # "Corso Fratelli Cairoli" in OSM is "CORSO FAMIGLIA CAIROLI" in ANNCSU
    line = LineString([(9.1560, 45.1865), (9.1600, 45.1880)])
    lines = gpd.GeoDataFrame({"name": ["Corso Fratelli Cairoli", "Via Aselli", "Corso Inesistente"]},
                             geometry=[line, LineString([(9.140, 45.193), (9.146, 45.193)]),
                                       LineString([(9.17, 45.19), (9.171, 45.19)])], crs=4326)
    gaz = build_gazetteer(streets=anncsu, towns=towns, osm_lines=lines)
    status = gaz.links.set_index("name")["status"]
    assert status["Corso Fratelli Cairoli"] == "matched" and status["Corso Inesistente"] == "unmatched"
    assert set(gaz.lines["key"]) >= {"CORSO FAMIGLIA CAIROLI", "VIA GASPARE ASELLI"}
    geo = Geocoder(gaz, towns=towns)
    keys = {geo.lookup(a, "Pavia").key for a in
            ["Corso Fratelli Cairoli 12", "CORSO FAMIGLIA CAIROLI 12", "C.so Cairoli 12", "c.so fratelli cairli 12"]}
    assert keys == {"CORSO FAMIGLIA CAIROLI"}
    m = geo.lookup("v. aselli 5/a PV")
    assert m.key == "VIA GASPARE ASELLI" and m.level == "via"
    assert gpd.points_from_xy([m.lon], [m.lat])[0].distance(lines.geometry.iloc[1]) < 1e-6


def test_a_street_known_by_points_far_apart_says_how_far_it_reaches(anncsu, towns) -> None:
    named = pd.DataFrame({"town": "Pavia", "street": ["VIGENTINA", "VIGENTINA", "VIGENTINA"], "typed": False,
                          "number": 0, "lon": [9.1700, 9.1720, 9.1760], "lat": [45.200, 45.205, 45.215],
                          "source": "fermate_osm", "label": "VIGENTINA"})
    gaz = build_gazetteer(streets=anncsu, towns=towns, named_points=named)
    geo = Geocoder(gaz, towns=towns)
    m = geo.lookup("via Vigentina 100", "Pavia")
    assert (round(m.lon, 4), round(m.lat, 4)) in {(x, y) for x, y in zip(named["lon"], named["lat"])}  # a real point
    farthest = max(metres_between(m.lon, m.lat, x, y) for x, y in zip(named["lon"], named["lat"]))
    assert farthest > 500 and m.uncertainty_m >= farthest


def test_the_stored_gazetteer_without_the_shipped_points_is_rebuilt(settings, anncsu, towns) -> None:
    from fragmap.io.gazetteer import write_gazetteer

    old = build_gazetteer(streets=anncsu, towns=towns)
    write_gazetteer(old, settings.paths.gazetteer)
    gaz = default_gazetteer(settings)
    assert (gaz.points["source"] == "fermate_osm").any()
    assert dataclasses.is_dataclass(gaz)


def test_gazetteer_build_says_how_many_names_were_linked_and_where_to_fix_them(demo_settings) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main
    from factories import demo_project_file

    project = demo_project_file(demo_settings)
    out = CliRunner().invoke(main, ["gazetteer", "build", "--config", str(project)])
    assert out.exit_code == 0, out.output
    assert "ambigui" in out.output and ALIAS_FILE in out.output and LINK_REPORT in out.output
    assert (demo_settings.paths.gazetteer.parent / LINK_REPORT).exists()


@pytest.mark.parametrize("module", ["fragmap.geocode.places", "fragmap.geocode.reconcile"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name,status,key", [
    ("E.TIBALDI", "matched", "VIA ETTORE TIBALDI"),       # the dotted initial chooses
    ("P. Tibaldi", "matched", "VIA PELLEGRINO TIBALDI"),
    ("TIBALDI", "ambiguous", ""),                          # the surname alone cannot
    ("STRADA NUOVA", "matched", "CORSO STRADA NUOVA"),     # a type word that is part of the name
    ("CAIROLI", "matched", "CORSO FAMIGLIA CAIROLI"),      # a road and a square tie: the stop is on the road
    ("Parcheggio", "unmatched", ""),
])
def test_stop_street_names_link_to_one_official_street_or_say_why_not(name: str, status: str, key: str) -> None:
    from fragmap.geocode.gazetteer import StreetIndex
    from fragmap.geocode.reconcile import link_name

    idx = StreetIndex(["VIA ETTORE TIBALDI", "VIA PELLEGRINO TIBALDI", "CORSO STRADA NUOVA", "VIA PORTA NUOVA",
                       "CORSO FAMIGLIA CAIROLI", "PIAZZALE COLLEGIO CAIROLI", "VIA PARCO VECCHIO"])
    link = link_name(idx, name, typed=False)
    assert (link.status, link.key) == (status, key)
