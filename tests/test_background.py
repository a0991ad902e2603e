"""The map background (issue 13, item 6): place and street names from what ships, OSM layers
after the geodata set-up, drawn under the areas of the map and of the atlas's maps, public
to the audit as printed, small and precision-limited."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from factories import make_publication, open_offline
from fragmap.atlas import build_pages
from fragmap.background import (
    Background, background_points, empty_background, load_background, map_payload, street_title,
)
from fragmap.io.geo import read_boundaries
from fragmap.maps import layer_points, render_map, write_map
from fragmap.privacy import audit_text, fingerprint
from factories import demo_defaults

ROOT = Path(__file__).resolve().parent.parent
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def settings():
    return demo_defaults(ROOT)


@pytest.fixture(scope="module")
def boundaries(settings):
    return read_boundaries(settings.paths.boundaries, towns=("Pavia", "Vigevano"))


@pytest.fixture(scope="module")
def shipped(settings, boundaries) -> Background:
    return load_background(settings, boundaries)


def _geodata(folder: Path, *, road_name: str = "Corso Strada Nuova") -> Path:
    """A hand-built geodata folder in the set-up's file contract (tiny, Pavia)."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(rows: list[dict], file: str) -> None:
        gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_file(folder / file, driver="GeoJSON")

    dense = LineString([(9.1560 + 0.00001 * i, 45.1800 + 0.0001 * i) for i in range(150)])  # straight, 1.5 m steps
    write([{"name": road_name, "highway": "primary", "geometry": dense},
           {"name": "Via Minore", "highway": "tertiary", "geometry": LineString([(9.17, 45.19), (9.18, 45.19)])},
           {"name": "Viale Lontano", "highway": "primary",  # 40 km away: clipped off
            "geometry": LineString([(9.70, 45.50), (9.71, 45.50)])}], "strade_principali.geojson")
    write([{"name": "Ticino", "kind": "river", "geometry": box(9.12, 45.170, 9.19, 45.176)}], "acque.geojson")
    write([{"geometry": LineString([(9.14, 45.18), (9.16, 45.20)])}], "ferrovie.geojson")
    write([{"name": "Parco della Vernavola", "geometry": box(9.165, 45.205, 9.172, 45.212)}], "parchi.geojson")
    write([{"name": "Vallone", "place": "suburb", "geometry": Point(9.1816, 45.1922)},
           {"name": EVIL, "place": "neighbourhood", "geometry": Point(9.16, 45.19)}], "luoghi.geojson")
    (folder / "geodati.json").write_text(json.dumps({"attribution": "© OpenStreetMap contributors, ODbL 1.0"}),
                                         encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def full(settings, boundaries, tmp_path_factory) -> Background:
    folder = _geodata(tmp_path_factory.mktemp("geodati") / "geodati")
    s = dataclasses.replace(settings, paths=dataclasses.replace(settings.paths, geodata=folder))
    return load_background(s, boundaries)


def _decimals(x: float) -> int:
    s = repr(float(x))
    return len(s.split(".")[1]) if "." in s and "e" not in s else 0


# -- what ships ----------------------------------------------------------------------------------------
def test_offline_background_names_the_quarters_station_and_main_streets(shipped: Background) -> None:
    p = shipped.places
    kinds = dict(zip(p["name"], p["kind"]))
    assert kinds["Vallone"] == "quarter" and kinds["Stazione"] == "station"
    assert {"Corso Cavour", "Strada Nuova", "Viale Matteotti", "Viale della Repubblica"} <= set(p["name"])
    assert int(p.loc[p["name"] == "Vallone", "rank"].iloc[0]) == 1
    assert not any(n.startswith("Pavia ") for n in p["name"])  # macro-quartieri points are seats, not middles
    assert not any(re.search(r"\d", n) for n in p["name"])       # "Scarpone 50" is an address
    # every label lies within reach of the comuni, and street names come only as points (no fake lines)
    assert len(shipped.roads) == 0 and set(p.geom_type) == {"Point"}
    assert any("GeoNames" in a for a in shipped.attribution)
    assert any("OpenStreetMap" in a for a in shipped.attribution)  # the bus stops are OSM data


def test_street_titles_read_like_street_signs() -> None:
    assert street_title("CORSO STRADA NUOVA") == "Corso Strada Nuova"
    assert street_title("VIA DEI MILLE") == "Via dei Mille"
    assert street_title("VIALE LUDOVICO IL MORO") == "Viale Ludovico il Moro"


def test_places_reader_can_be_swapped(settings, boundaries) -> None:
    """``fragmap.io.places`` speaks Italian kinds, marks macro-quartieri, and leaves rows without a point."""
    from shapely.geometry import GeometryCollection

    places = gpd.GeoDataFrame(
        {"name": ["Quartiere Prova", "Stazione di Prova", "Pavia Ovest", "Senza punto", "Hotel Prova"],
         "kind": ["quartiere", "stazione", "macroquartiere", "quartiere", "albergo"],
         "town": ["Pavia"] * 5, "source": ["quartieri", "geonames", "quartieri", "quartieri", "geonames"]},
        geometry=[Point(9.16, 45.19), Point(9.151, 45.188), Point(9.13, 45.20), GeometryCollection(),
                  Point(9.15, 45.185)], crs=4326)
    bg = load_background(settings, boundaries, places=places)
    kinds = dict(zip(bg.places["name"], bg.places["kind"]))
    assert kinds["Quartiere Prova"] == "quarter" and kinds["Stazione di Prova"] == "station"
    assert not {"Pavia Ovest", "Senza punto", "Hotel Prova", "Vallone"} & set(kinds)
    assert any("GeoNames" in a for a in bg.attribution)  # a GeoNames row drawn: its licence printed


# -- after the geodata set-up -----------------------------------------------------------------------------
def test_geodata_layers_are_read_ranked_clipped_and_attributed(full: Background) -> None:
    assert set(full.roads["name"]) == {"Corso Strada Nuova", "Via Minore"}  # the far road is clipped off
    assert dict(zip(full.roads["name"], full.roads["rank"])) == {"Corso Strada Nuova": 1, "Via Minore": 3}
    assert len(full.water) == 1 and len(full.rail) == 1 and len(full.parks) == 1
    names = set(full.places["name"])
    assert {"Ticino", "Vallone", "Stazione", "Corso Strada Nuova"} <= names
    assert list(full.places["name"]).count("Vallone") == 1  # OSM and the shipped table agree: one label
    assert "Corso Cavour" not in names  # with real roads, no names from bus stops
    assert full.attribution[0] == "© OpenStreetMap contributors, ODbL 1.0"


def test_payload_is_simplified_and_precision_limited(full: Background) -> None:
    payload = map_payload(full)
    classes = [layer["k"] for layer in payload["layers"]]
    assert classes == ["park", "water", "rail", "road3", "road1"]  # fills under lines, main roads on top
    road1 = next(layer for layer in payload["layers"] if layer["k"] == "road1")["g"]["coordinates"]
    assert len(road1) == 1 and len(road1[0]) == 2  # 150 collinear vertices -> its two ends
    pts = background_points(payload)
    assert pts and all(_decimals(a) <= 5 and _decimals(b) <= 5 for a, b in pts)
    assert payload == map_payload(full)  # deterministic
    assert payload["labels"][0][1] in ("station", "quarter", "water") and payload["labels"][0][2] == 1


# -- the map page ---------------------------------------------------------------------------------------
def test_map_page_carries_the_background_and_its_attribution(shipped: Background) -> None:
    pub = make_publication()
    plain = render_map(pub)
    html = render_map(pub, background=shipped)
    data = json.loads(re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.S).group(1))
    names = [lab[0] for lab in data["background"]["labels"]]
    assert "Vallone" in names and "Stazione" in names and "Corso Cavour" in names
    footer = html[html.index('class="fm-footer"'):]
    assert "GeoNames" in footer and "OpenStreetMap" in footer
    table = html[html.index("<table"):html.index("</table>")]
    assert "Vallone" not in table and "Stazione" not in table  # the data table holds the areas only
    assert data["background"] is not None and json.loads(re.search(
        r'<script type="application/json" id="fm-data">(.*?)</script>', plain, re.S).group(1))["background"] is None
    assert html == render_map(pub, background=shipped)  # byte-identical


def test_background_names_are_escaped_in_the_page(full: Background) -> None:
    html = render_map(make_publication(), background=full)
    assert EVIL not in html and "\\u003cimg src=x" in html


def test_empty_background_changes_nothing() -> None:
    pub = make_publication()
    assert render_map(pub, background=empty_background()) == render_map(pub)


# -- privacy audit ------------------------------------------------------------------------------------------
def test_background_vertices_are_public_as_printed_and_nothing_else_is(full: Background) -> None:
    html = render_map(make_publication(), background=full)
    # a vertex printed with 4+ decimals (the audit reads coordinates at 4; "9.165" is not one)
    lat, lon = next((a, b) for a, b in background_points(full) if min(_decimals(a), _decimals(b)) >= 4)
    on_road = pd.DataFrame({"lat": [lat + 0.00002], "lon": [lon - 0.00002]})  # a report beside a road vertex
    elsewhere = pd.DataFrame({"lat": [45.18321], "lon": [9.14789]})
    # undeclared, the audit sees the road vertex as that report's location (the check bites) ...
    assert audit_text("mappa.html", html, fingerprint(on_road), threshold=5)
    # ... declared public the way the area vertices are, it passes
    public = layer_points(background=full)
    assert (lat, lon) in public
    assert not audit_text("mappa.html", html, fingerprint(on_road, public_points=public), threshold=5)
    # and declaring the background exempts nothing else: a report printed anywhere is still found
    leak = html.replace("</body>", "<p>45.18321, 9.14789</p></body>")
    assert audit_text("mappa.html", leak, fingerprint(elsewhere, public_points=public), threshold=5)


# -- atlas ---------------------------------------------------------------------------------------------------
def test_atlas_locator_and_index_maps_draw_the_background(full: Background) -> None:
    pub = make_publication()
    pages = build_pages(pub, quality={}, background=full)
    plain = build_pages(pub, quality={})
    quarter = next(v for k, v in pages.items() if k.startswith("quartieri/"))
    locator = re.search(r'<svg[^>]*class="map".*?</svg>', quarter, re.S).group(0)
    assert '<g class="bg" aria-hidden="true">' in locator and 'stroke="#a6a6a6"' in locator  # a main road
    assert locator.index('<g class="bg"') < locator.index("<path d=", locator.index("</g>"))  # under the areas
    assert 'fill-opacity="0.72"' in locator
    assert "OpenStreetMap" in quarter  # attribution on every page that draws OSM data
    index = pages["index.html"]
    assert '<g class="bg"' in index and "Stazione" in index
    assert '<g class="bg"' not in plain["index.html"] and "OpenStreetMap" not in plain["index.html"]
    assert EVIL not in "".join(pages.values())
    assert pages == build_pages(pub, quality={}, background=full)  # deterministic


# -- in a real browser ----------------------------------------------------------------------------------
@pytest.mark.browser
def test_background_panes_sit_under_the_areas_and_stay_out_of_reach(browser, tmp_path: Path, full: Background,
                                                                   artifacts_dir: Path) -> None:
    pub = make_publication()
    write_map(pub, tmp_path, background=full)
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    n = int((pub.areas["level"] == "quarter").sum())
    assert page.locator("path.leaflet-interactive").count() == n  # the areas still draw, only they take the pointer
    z = page.evaluate("""() => { const z = c => Number(getComputedStyle(document.querySelector(c)).zIndex);
        return [z('.leaflet-fm-bg-pane'), z('.leaflet-overlay-pane'), z('.leaflet-fm-bglabels-pane')]; }""")
    assert z[0] < z[1] < z[2]
    assert page.locator(".leaflet-fm-bg-pane path").count() >= 4  # park, water, rail, roads
    for pane in (".leaflet-fm-bg-pane", ".leaflet-fm-bglabels-pane"):
        assert page.locator(pane).get_attribute("aria-hidden") == "true"
        assert page.evaluate(f"getComputedStyle(document.querySelector('{pane}')).pointerEvents") == "none"
        assert page.locator(f"{pane} [tabindex], {pane} a, {pane} button").count() == 0
    # the keyboard path never lands in the background
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.closest('.leaflet-fm-bg-pane, .leaflet-fm-bglabels-pane')"
                               " ? 'bg' : 'other'"))
    assert seen == {"other"}
    page.evaluate("map_fm.setView([45.19, 9.165], 14, {animate: false})")
    page.wait_for_timeout(200)
    shown = page.evaluate("""() => [...document.querySelectorAll('.fm-bgl')]
        .filter(e => e.style.display !== 'none').map(e => e.textContent)""")
    assert "Vallone" in shown and "Stazione" in shown
    # an area under a label still answers the pointer
    page.locator("path[data-fm-area='4']").hover()
    page.locator(".leaflet-tooltip").first.wait_for(timeout=2000)
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").text_content()
    page.screenshot(path=str(artifacts_dir / "map-background.png"))
    assert errors == [] and external == []
    page.close()


@pytest.mark.browser
def test_labels_declutter_by_zoom(browser, tmp_path: Path, shipped: Background) -> None:
    write_map(make_publication(), tmp_path, background=shipped)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())

    def shown(zoom: float) -> list[str]:
        page.evaluate(f"map_fm.setView([45.187, 9.16], {zoom}, {{animate: false}})")
        page.wait_for_timeout(150)
        return page.evaluate("""() => [...document.querySelectorAll('.fm-bgl')]
            .filter(e => e.style.display !== 'none').map(e => e.firstChild.getBoundingClientRect())
            .map(r => [r.left, r.top, r.right, r.bottom])""")

    low, high = shown(11), shown(15)
    assert 0 < len(low) < len(high)  # more names as one zooms in
    for boxes in (low, high):  # and never two on top of each other
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]
    assert errors == []
    page.close()


def test_docstring_examples_run() -> None:
    import doctest

    import fragmap.background

    result = doctest.testmod(fragmap.background, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5 and result.failed == 0


def test_a_broken_geodata_file_is_named_in_a_clear_message(settings, boundaries, tmp_path: Path) -> None:
    from fragmap import InputFileError

    folder = _geodata(tmp_path / "geodati")
    (folder / "acque.geojson").write_text("{non è json", encoding="utf-8")
    s = dataclasses.replace(settings, paths=dataclasses.replace(settings.paths, geodata=folder))
    with pytest.raises(InputFileError, match=r"acque\.geojson: file dei dati geografici illeggibile"):
        load_background(s, boundaries)
