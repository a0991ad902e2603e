"""The one-time geodata set-up: OSM files of every usual format, the download (replayed), the stored files.

The OSM data are built in code (``osm_fixture.py``: real Pavia street names on an
invented grid inside the comune); Overpass answers are hand-built from the same
elements and replayed through the injectable transport. Nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import geopandas as gpd
import osm_fixture
import pytest
import shapely
from click.testing import CliRunner

from fragmap._errors import DownloadError, InputFileError, NetworkDisabledError
from fragmap.geodata import COLUMNS, FILES, METADATA_FILE, NETWORK_FILE, extract_layers, overpass_queries
from fragmap.io import geodata as io_geodata
from fragmap.io.geo import read_boundaries
from fragmap.geodata_setup import download_geodata, import_geodata
from fragmap.io.geodata import DownloadPolicy, read_geodata
from fragmap.io.osm import read_osm

ROOT = Path(__file__).resolve().parent.parent
COMUNI = ROOT / "data" / "reference" / "comuni_pavia_vigevano_openpolis.geojson"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def comuni() -> gpd.GeoDataFrame:
    return read_boundaries(COMUNI, towns=("Pavia", "Vigevano"))


class Replay:
    """A transport that answers fragmap's Overpass queries from the fixture, and records every call."""

    def __init__(self, fail: dict[int, object] | None = None) -> None:
        self.calls: list[str] = []
        self.fail = fail or {}  # call number (1-based) -> exception to raise or (status, body)

    def __call__(self, url: str, query: str, *, timeout: float) -> tuple[int, bytes]:
        self.calls.append(query)
        what = self.fail.get(len(self.calls))
        if isinstance(what, BaseException):
            raise what
        if what is not None:
            return what  # type: ignore[return-value]
        return 200, osm_fixture.overpass_answer(query)


def no_sleep(_s: float) -> None:
    return None


@pytest.fixture
def geo_settings(settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, paths=dataclasses.replace(settings.paths, geodata=tmp_path / "geodati"))


# -- reading OSM files ------------------------------------------------------------------------------
def test_osm_xml_and_pbf_read_the_same_elements(tmp_path: Path) -> None:
    xml = read_osm([osm_fixture.write_osm(tmp_path / "estratto.osm")])
    pbf = read_osm([osm_fixture.write_pbf(tmp_path / "estratto.osm.pbf")])
    for osm in (xml, pbf):
        kinds = osm.features["osm_type"].value_counts().to_dict()
        # the untagged member ways of the park relation are read as part of it, not alone
        assert kinds == {"way": 21, "node": 7, "relation": 1}
        assert sorted(w[0] for w in osm.walk_ways) == [*range(2000, 2004), *range(2100, 2104), 2200]
    a = xml.features.set_index(["osm_type", "osm_id"]).sort_index()
    b = pbf.features.set_index(["osm_type", "osm_id"]).sort_index()
    assert a.index.equals(b.index)
    assert a.geometry.geom_equals_exact(b.geometry, 1e-7).all()
    park = a.loc[("relation", 7400)]
    assert park.geometry.geom_type == "MultiPolygon" and park["tags"]["name"] == "Giardino Relazione"


def test_unsorted_xml_is_read_through_a_sorted_copy(tmp_path: Path) -> None:
    """OSM XML listing elements out of order (ways before nodes, ids descending) is still read."""
    import re

    from fragmap.io.osm import sort_osm_xml

    text = osm_fixture.subset(lambda t: True)
    body = [m.group(0) for m in re.finditer(r"  <(node|way|relation)\b(?:[^>]*/>|.*?</\1>)\n", text, flags=re.S)]
    assert len(body) == len(re.findall(r"\n  <(?:node|way|relation)\b", text))  # every element, whole
    shuffled = tmp_path / "disordinato.osm"
    shuffled.write_text('<?xml version="1.0"?>\n<osm version="0.6">\n' + "".join(reversed(body)) + "</osm>\n",
                        encoding="utf-8")
    before = shuffled.read_bytes()
    # libosmium refuses unsorted XML (old Overpass answers and some editors write it): a sorted copy is read
    whole = {"way": 21, "node": 7, "relation": 1}
    assert read_osm([shuffled]).features["osm_type"].value_counts().to_dict() == whole
    assert shuffled.read_bytes() == before  # the user's file is left as it was
    sort_osm_xml(shuffled)  # what a download does to each answer before keeping it
    assert shuffled.read_bytes() != before
    assert read_osm([shuffled]).features["osm_type"].value_counts().to_dict() == whole


def test_bbox_keeps_only_what_is_near(tmp_path: Path) -> None:
    osm = read_osm([osm_fixture.write_pbf(tmp_path / "x.osm.pbf")], bbox=(9.14, 45.18, 9.16, 45.20))
    assert 3300 not in set(osm.features.loc[osm.features["osm_type"] == "node", "osm_id"])
    assert 3000 in set(osm.features["osm_id"])


def test_bad_files_are_clean_errors(tmp_path: Path) -> None:
    broken = tmp_path / "rotto.osm.pbf"
    broken.write_bytes(b"not a pbf at all")
    with pytest.raises(InputFileError, match="rotto.osm.pbf"):
        read_osm([broken])
    with pytest.raises(InputFileError, match="non trovato"):
        read_osm([tmp_path / "manca.osm"])
    other = tmp_path / "x.shp"
    other.write_bytes(b"")
    with pytest.raises(InputFileError, match="formato"):
        read_osm([other])


# -- layers -------------------------------------------------------------------------------------------
def test_layers_follow_the_contract(tmp_path: Path, comuni) -> None:
    layers = extract_layers(read_osm([osm_fixture.write_osm(tmp_path / "a.osm")]).features, comuni)
    assert set(layers) == set(FILES)
    for name, gdf in layers.items():
        assert gdf.crs.to_epsg() == 4326, name
        assert list(gdf.columns[: len(COLUMNS[name])]) == list(COLUMNS[name]), name
    strade = layers["strade"]
    assert set(strade.geom_type) == {"LineString"}
    assert set(strade["name"]) == {*osm_fixture.EW, *osm_fixture.NS, "Tangenziale Sintetica"}
    nuova = strade[strade["name"] == "Corso Strada Nuova"].iloc[0]
    assert (nuova["highway"], nuova["alt_name"], nuova["official_name"]) == ("primary", "Strada Nuova", "Corso Strada Nuova")
    civici = layers["civici"]
    assert set(zip(civici["street"], civici["number"])) == {("Via Solferino", "12"), ("Via Solferino", "14"),
                                                            ("Via Solferino", "16"), ("Via Cardano", "3")}
    building = civici[civici["street"] == "Via Cardano"].geometry.iloc[0]
    assert shapely.box(*osm_fixture._pos(2.2, 1.2), *osm_fixture._pos(2.6, 1.6)).contains(building)  # inside it
    assert set(zip(layers["luoghi"]["name"], layers["luoghi"]["place"])) == {("Vallone", "quarter"),
                                                                             ("Borgo Sintetico", "neighbourhood")}
    assert set(zip(layers["acque"]["name"], layers["acque"]["kind"])) == {("Laghetto", "lake"), ("Ticino", "river")}
    assert len(layers["ferrovie"]) == 1  # the siding is left out
    assert layers["ferrovie"].geometry.iloc[0].length > 2 * osm_fixture.DLON  # the running line
    assert set(layers["parchi"]["name"]) == {"Parco Sintetico", "Giardino Relazione"}
    assert list(layers["strade_principali"]["name"]) == ["Corso Strada Nuova"]


def test_homes_are_residential_buildings_with_footprint_and_levels(tmp_path: Path, comuni) -> None:
    """The house, the flats and the generic building with an address; no shed, factory or school."""
    layers = extract_layers(read_osm([osm_fixture.write_pbf(tmp_path / "a.osm.pbf")]).features, comuni)
    homes = layers["edifici"]
    assert set(homes.geom_type) == {"Point"}
    by_kind = {r.kind: r for r in homes.itertuples()}
    assert set(by_kind) == {"house", "apartments", "yes"}
    # a 0.2 x 0.2 block of the grid is about 20 m x 20 m; the flats 30 m x 30 m
    w = 0.2 * osm_fixture.DLON * 111_320 * 0.7046  # metres east-west at 45.19 N (cos ~ 0.7046)
    h = 0.2 * osm_fixture.DLAT * 111_132
    assert by_kind["house"].area_m2 == pytest.approx(w * h, rel=0.02)
    assert by_kind["apartments"].area_m2 == pytest.approx(w * h * 2.25, rel=0.02)
    assert (by_kind["house"].levels, by_kind["apartments"].levels) == (2.0, 5.0)
    assert math.isnan(by_kind["yes"].levels)
    flats = shapely.box(*osm_fixture._pos(1.2, 2.2), *osm_fixture._pos(1.5, 2.5))
    assert flats.contains(homes[homes["kind"] == "apartments"].geometry.iloc[0])


def test_layers_are_clipped_to_the_comuni(tmp_path: Path, comuni) -> None:
    pavia = comuni[comuni["name"] == "Pavia"]
    area = shapely.union_all(pavia.geometry.to_numpy())
    layers = extract_layers(read_osm([osm_fixture.write_osm(tmp_path / "a.osm")]).features, pavia)
    for name, gdf in layers.items():
        assert gdf.within(area.buffer(1e-9)).all(), name
    assert "99" not in set(layers["civici"]["number"])  # the Milan address
    # a comune that holds none of it gets empty layers with the contract's columns
    vige = extract_layers(read_osm([osm_fixture.write_osm(tmp_path / "a.osm")]).features,
                          comuni[comuni["name"] == "Vigevano"])
    assert all(len(g) == 0 for g in vige.values())
    assert list(vige["civici"].columns) == ["street", "number", "geometry"]


def test_background_is_simplified(comuni) -> None:
    """A wiggly main road loses its 1 m zigzags (5 m tolerance in UTM) but keeps its course."""
    import pandas as pd

    x0, y0 = osm_fixture._pos(0, 0)
    pts = [(x0 + i * 0.0001, y0 + (0.000005 if i % 2 else 0)) for i in range(40)]
    f = gpd.GeoDataFrame(pd.DataFrame({"osm_type": ["way"], "osm_id": [1],
                                       "tags": [{"highway": "secondary", "name": "Via Storta"}]}),
                         geometry=[shapely.LineString(pts)], crs=4326)
    layers = extract_layers(f, comuni)
    main, street = layers["strade_principali"].geometry.iloc[0], layers["strade"].geometry.iloc[0]
    assert len(main.coords) == 2 and len(street.coords) == 40
    assert main.hausdorff_distance(street) < 0.0001


def test_queries_cover_every_layer_and_both_comuni(comuni) -> None:
    q = overpass_queries(comuni)
    assert list(q) == ["strade", "civici", "luoghi", "acque", "ferrovie", "parchi", "edifici"]
    for text in q.values():
        assert text.startswith("[out:xml][timeout:180];") and text.count("poly:") >= 2
        assert text.rstrip().endswith("out body;")


# -- download: consent, politeness, resume ------------------------------------------------------------
def test_nothing_is_fetched_without_consent(geo_settings) -> None:
    replay = Replay()
    with pytest.raises(NetworkDisabledError, match="consenso"):
        download_geodata(geo_settings, consent=False, transport=replay, sleep=no_sleep)
    assert replay.calls == []
    assert not geo_settings.paths.geodata.exists()


def test_cli_refuses_without_consent_and_fetches_nothing(geo_settings, monkeypatch) -> None:
    from fragmap.cli import main

    replay = Replay()
    monkeypatch.setattr(io_geodata, "http_transport", replay)
    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: geo_settings)
    result = CliRunner().invoke(main, ["geodati", "scarica"], input="n\n")
    assert result.exit_code != 0
    assert "Overpass" in result.output and "ODbL" in result.output  # says what, from where
    assert "MB" in result.output  # and roughly how much
    assert "nulla è stato scaricato" in result.output
    assert replay.calls == [] and not geo_settings.paths.geodata.exists()
    result = CliRunner().invoke(main, ["geodati", "scarica"], input="")  # no answer at all
    assert result.exit_code != 0 and replay.calls == []


def test_retries_with_exponential_backoff(geo_settings) -> None:
    replay = Replay(fail={1: (429, b"rate limited"), 2: (504, b"gateway timeout"),
                          3: (200, b'<?xml version="1.0"?><osm><remark> runtime error: timed out</remark></osm>')})
    waits: list[float] = []
    lines: list[str] = []
    download_geodata(geo_settings, consent=True, transport=replay, sleep=waits.append, progress=lines.append,
                     policy=DownloadPolicy(attempts=4, backoff_s=10, pause_s=1), rebuild_gazetteer=False)
    assert waits[:3] == [10, 20, 40]  # three retries of the first request, doubling
    assert waits[3:] == [1] * 6  # then a pause between the other requests, one at a time
    assert len(replay.calls) == 3 + 7
    assert any("nuovo tentativo tra 10 s" in m for m in lines)


def test_a_refused_request_is_not_repeated(geo_settings) -> None:
    replay = Replay(fail={1: (400, b"<html>Error: line 3: parse error</html>")})
    waits: list[float] = []
    with pytest.raises(DownloadError, match="non ha dato i dati: il server ha risposto 400") as err:
        download_geodata(geo_settings, consent=True, transport=replay, sleep=waits.append, rebuild_gazetteer=False)
    assert len(replay.calls) == 1 and waits == []
    assert "Internet" not in str(err.value)  # it was reached: not an offline message


def test_offline_is_a_clear_message_and_the_download_resumes(geo_settings) -> None:
    policy = DownloadPolicy(attempts=2, backoff_s=1)
    offline = Replay(fail={3: ConnectionError("Name or service not known"), 4: ConnectionError("still offline")})
    with pytest.raises(DownloadError) as err:
        download_geodata(geo_settings, consent=True, transport=offline, sleep=no_sleep, policy=policy,
                         rebuild_gazetteer=False)
    msg = str(err.value)
    assert "Sei collegato a Internet?" in msg and "fragmap geodati importa" in msg and "strade, civici" in msg
    pending = geo_settings.paths.geodata / "scarico"
    assert sorted(p.name for p in pending.iterdir()) == ["civici.osm", "strade.osm"]  # saved as they arrived
    assert not (geo_settings.paths.geodata / METADATA_FILE).exists()
    status = io_geodata.geodata_status(geo_settings)
    assert status["pending_download"] == ["civici", "strade"] and not status["present"]
    again = Replay()
    lines: list[str] = []
    download_geodata(geo_settings, consent=True, transport=again, sleep=no_sleep, progress=lines.append,
                     rebuild_gazetteer=False)
    assert len(again.calls) == 5  # only luoghi, acque, ferrovie, parchi, edifici
    assert sum("già scaricato" in m for m in lines) == 2
    assert not pending.exists()  # cleaned up once complete
    assert (geo_settings.paths.geodata / METADATA_FILE).exists()


def test_offline_from_the_cli_is_one_italian_line(geo_settings, monkeypatch) -> None:
    from fragmap.cli import main

    def offline(url: str, query: str, *, timeout: float) -> tuple[int, bytes]:
        raise ConnectionError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(io_geodata, "http_transport", offline)
    monkeypatch.setattr(io_geodata.time, "sleep", no_sleep)
    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: geo_settings)
    result = CliRunner().invoke(main, ["geodati", "scarica", "--si", "--quiet"])
    assert result.exit_code == 1
    assert "Error: impossibile raggiungere il server OpenStreetMap" in result.output
    assert "Traceback" not in result.output


# -- end to end -----------------------------------------------------------------------------------------
def test_download_to_gazetteer_network_and_run_inputs_offline(geo_settings) -> None:
    """Download (replayed) -> stored files -> gazetteer -> walking network -> Project.street_network(), all offline."""
    from fragmap.geocode import make_geocoder
    from fragmap.pipeline import Project, _input_files, attributions

    before = attributions(geo_settings)
    assert Project(geo_settings).street_network() is None  # nothing yet: straight-line fallback
    result = download_geodata(geo_settings, consent=True, transport=Replay(), sleep=no_sleep)
    folder = geo_settings.paths.geodata
    # the file contract
    assert {p.name for p in folder.iterdir()} == {*FILES.values(), NETWORK_FILE, METADATA_FILE}
    meta = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["attribution"] == "© OpenStreetMap contributors, ODbL 1.0"
    assert meta["comuni"] == [{"name": "Pavia", "istat": "018110"}, {"name": "Vigevano", "istat": "018177"}]
    assert meta["source"]["kind"] == "overpass" and set(meta["source"]["queries"]) == set(overpass_queries(
        read_boundaries(COMUNI)))
    assert meta["date"][:4].isdigit()
    for name, rec in meta["files"].items():
        data = (folder / name).read_bytes()
        assert rec["bytes"] == len(data) and rec["sha256"] == hashlib.sha256(data).hexdigest(), name
    gd = read_geodata(folder)
    assert len(gd.civici) == 4 and "Vallone" in set(gd.luoghi["name"]) and gd.network_path == folder / NETWORK_FILE
    assert result.counts["civici"] == 4 and result.network == (17, 52)
    for name in FILES:
        raw = json.loads((folder / FILES[name]).read_text(encoding="utf-8"))
        assert raw["type"] == "FeatureCollection"
    # the gazetteer was rebuilt with the OSM addresses: an address on the invented grid lands on its point
    geocoder = make_geocoder(geo_settings)
    m = geocoder.lookup("Via Solferino 14", "Pavia")
    expected = gd.civici[(gd.civici["street"] == "Via Solferino") & (gd.civici["number"] == "14")].geometry.iloc[0]
    assert m.level == "civico"
    assert abs(m.lon - expected.x) < 1e-6 and abs(m.lat - expected.y) < 1e-6
    # fragmap run: the stored walking network, the files as inputs, the ODbL attribution
    graph = Project(geo_settings).street_network()
    assert graph is not None and graph.number_of_nodes() == 17
    inputs = {p.name for p in _input_files(geo_settings)}
    assert {NETWORK_FILE, METADATA_FILE, "strade.geojson", "civici.geojson"} <= inputs
    after = attributions(geo_settings)
    assert "© OpenStreetMap contributors (ODbL)" in after and "© OpenStreetMap contributors (ODbL)" not in before


def test_import_pbf_from_the_cli_and_status(geo_settings, tmp_path: Path, monkeypatch) -> None:
    from fragmap.cli import main

    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: geo_settings)
    pbf = osm_fixture.write_pbf(tmp_path / "pavia.osm.pbf")
    result = CliRunner().invoke(main, ["geodati", "importa", str(pbf)])
    assert result.exit_code == 0, result.output
    assert "civici 4" in result.output and "rete pedonale 17 nodi" in result.output
    meta = json.loads((geo_settings.paths.geodata / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["source"] == {"kind": "file", "files": [{
        "file": "pavia.osm.pbf", "bytes": pbf.stat().st_size,
        "sha256": hashlib.sha256(pbf.read_bytes()).hexdigest(), "modified": meta["source"]["files"][0]["modified"]}]}
    result = CliRunner().invoke(main, ["geodati", "stato"])
    assert result.exit_code == 0
    assert "pavia.osm.pbf" in result.output and "Pavia (018110)" in result.output
    assert "civici.geojson" in result.output and "4 elementi" in result.output
    assert "17 nodi" in result.output and "ODbL" in result.output
    # the gazetteer reads the .pbf directly too
    from fragmap.io.gazetteer import read_street_source

    pts, lines = read_street_source(pbf)
    assert len(pts) == 5 and "Via Bossolaro" in set(lines["name"])  # (not clipped: the gazetteer clips by town)


def test_status_without_geodata(geo_settings, monkeypatch) -> None:
    from fragmap.cli import main

    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: geo_settings)
    result = CliRunner().invoke(main, ["geodati", "stato"])
    assert result.exit_code == 0 and "nessun geodato" in result.output and "geodati scarica" in result.output
    en = dataclasses.replace(geo_settings, language="en")
    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: en)
    result = CliRunner().invoke(main, ["geodati", "stato"])
    assert "no geodata in" in result.output
    with pytest.raises(NetworkDisabledError, match="explicit consent"):
        download_geodata(en, consent=False)
    gd = read_geodata(geo_settings.paths.geodata)
    assert gd.empty and all(list(gd[k].columns) == [*COLUMNS[k], "geometry"] for k in FILES)


def test_cli_errors_are_one_clean_line(geo_settings, tmp_path: Path, monkeypatch) -> None:
    from fragmap.cli import main

    monkeypatch.setattr("fragmap.cli.geodata.get_settings", lambda config: geo_settings)
    table = tmp_path / "indirizzi.csv"
    table.write_text("a;b\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["geodati", "importa", str(table)])
    assert result.exit_code == 1 and "indirizzi.csv: formato non riconosciuto" in result.output
    geo_settings.paths.geodata.mkdir(parents=True)
    (geo_settings.paths.geodata / METADATA_FILE).write_text("{rotto", encoding="utf-8")
    result = CliRunner().invoke(main, ["geodati", "stato"])
    assert result.exit_code == 1 and "geodati.json: file illeggibile" in result.output
    assert "Traceback" not in result.output


def test_import_graphml_gives_network_and_streets(geo_settings) -> None:
    graphml = TEST_DATA / "geocode" / "pavia_centro_mini.graphml"
    result = import_geodata(geo_settings, [graphml], rebuild_gazetteer=False)
    gd = read_geodata(geo_settings.paths.geodata)
    assert gd.network_path is not None and result.network is not None
    assert len(gd.strade) and gd.strade["name"].notna().all() and len(gd.civici) == 0
    assert set(gd.strade.geom_type) == {"LineString"}


@pytest.mark.parametrize("module", ["fragmap.geodata", "fragmap.io.geodata", "fragmap.io.osm"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {module} fail"
