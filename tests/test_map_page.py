"""The published map page (issue 8): folium-built, self-contained, deterministic, small, and it works.

Unit checks run on the small factory publication; size, layout and screenshots on the demo
project (synthetic reports on the real boundaries of Pavia and Vigevano), in headless Chromium.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from factories import demo_project_file, demo_project_settings, make_publication, open_offline
from fragmap import PrivacyError
from fragmap.classify import zero_aware_classes
from fragmap.maps import layer_points, render_map, write_map
from fragmap.publication import TOTAL

ROOT = Path(__file__).resolve().parent.parent
EVIL = "<script>alert(1)</script>"
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


# -- fixtures ----------------------------------------------------------------------------------------
def _with_secondary(pub, category: str = "anziani"):
    """The factory publication with PV-06 hidden as small ('primary') and PV-05 hidden to
    protect it ('secondary'), in the 12-month window of ``category``."""
    t = pub.table.copy()
    for area, reason in (("PV-06", "primary"), ("PV-05", "secondary")):
        hide = (t["area_id"] == area) & (t["window"] == 12) & (t["category"] == category)
        t.loc[hide, ["suppressed", "reason"]] = [True, reason]
        t.loc[hide, ["value", "rate_per_1000", "change_yoy", "share_of_town"]] = np.nan
    return dataclasses.replace(pub, table=t)


def _services() -> gpd.GeoDataFrame:
    pts = [(9.135, 45.175, "Farmacia <Centrale>", "pharmacy"), (9.145, 45.185, "Scuola Carducci", "school"),
           (9.155, 45.195, "Policlinico", "hospital"), (9.152, 45.172, "Sportello Auser", "sportello")]
    return gpd.GeoDataFrame({"name": [p[2] for p in pts], "type": [p[3] for p in pts]},
                            geometry=[Point(p[0], p[1]) for p in pts], crs=4326)


def _isochrones(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from fragmap.access import isochrones

    return isochrones(services[services["type"] == "sportello"], minutes=(5, 10, 15))


def _where_next(points: list[Point]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"rank": list(range(1, len(points) + 1)),
                             "name": [EVIL, "Piazza Vittoria", None][: len(points)],
                             "reached": [12.0, np.nan, 7.0][: len(points)]}, geometry=points, crs=4326)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo project ingested once (module scope), its publication and public layers."""
    from fragmap.access import isochrones
    from fragmap.pipeline import Project

    tmp = tmp_path_factory.mktemp("demo_map")
    s = demo_project_settings(tmp)
    p = Project(s)
    p.ingest()
    pub = p.publication("2026-10")
    svc = p.locate_services()
    iso = isochrones(svc[svc["type"] == "sportello"])
    schools = svc[svc["type"] == "school"].to_crs(4326)
    wn = _where_next(list(schools.geometry.iloc[:3]))
    kw = {"services": svc, "isochrones": iso, "where_next": wn, "scheme": s.classification.scheme,
          "k": s.classification.k}
    return {"settings": s, "project": p, "pub": pub, "kw": kw, "tmp": tmp}




def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.S).group(1))


def _table(html: str) -> tuple[list[str], list[list[str]]]:
    table = re.search(r'<table class="fm-table".*?</table>', html, re.S).group(0)
    head = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", table, re.S).group(1))
    rows = [re.findall(r"<t[hd][^>]*>.*?</t[hd]>", r) for r in
            re.findall(r"<tr tabindex=\"0\"[^>]*>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1))]
    return head, rows


# -- Task A: folium builds the page, self-contained and deterministic --------------------------------
def test_page_is_a_folium_tree_with_the_areas_once_and_no_cdn() -> None:
    svc = _services()
    html = render_map(make_publication(), services=svc, isochrones=_isochrones(svc),
                      where_next=_where_next([Point(9.14, 45.18)]))
    assert 'var map_fm = L.map("fm-map"' in html                  # folium.Map (our template)
    assert "var geo_json_areas = L.geoJson(null" in html           # folium.GeoJson, once
    assert html.count('"properties":{"i":0}') == 1
    assert "FM.start({map: map_fm, areas: geo_json_areas" in html
    assert "Leaflet 1.9.3" in html[:200_000] or "leafletjs" in html  # vendored Leaflet inlined
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(?!data:)", html)  # nothing loaded from anywhere
    assert '<link rel="icon" href="data:' in html             # and no favicon.ico asked for
    for cdn in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cdnjs", "fontawesome", "bootstrap.bundle"):
        assert cdn not in html
    assert "user-scalable=no" not in html                          # pinch zoom stays (WCAG 1.4.4)
    assert not re.search(r"[0-9a-f]{32}", html)                   # no random folium ids


def test_same_publication_gives_byte_identical_html() -> None:
    pub = make_publication(seed=5)
    svc = _services()
    kw = {"services": svc, "isochrones": _isochrones(svc), "where_next": _where_next([Point(9.14, 45.18)]),
          "tiles": TILES}
    assert render_map(pub, **kw) == render_map(pub, **kw)
    nb = {"scheme": "natural_breaks", "k": 4}  # k-means with random starts: seeded, so stable
    assert render_map(pub, **nb) == render_map(pub, **nb)


def test_demo_with_all_layers_and_12_months_is_under_400_kb(demo) -> None:
    html = render_map(demo["pub"], **demo["kw"])
    size = len(html.encode())
    print(f"demo map, both towns, all layers, 12 months: {size / 1024:.0f} KB")
    assert len(demo["pub"].months) == 12
    assert size < 400_000
    assert html == render_map(demo["pub"], **demo["kw"])


# -- defect 1: the data table's columns -------------------------------------------------------------
def test_table_rows_have_the_header_columns_and_the_total_column_holds_totals() -> None:
    pub = make_publication(seed=3)
    html = render_map(pub)
    head, rows = _table(html)
    assert head[0] == "Area" and head[1] == "Totale" and len(head) == 8
    assert rows and all(len(r) == len(head) for r in rows)
    t = pub.table
    last = t[(t["month"] == pub.month) & (t["window"] == 12) & (t["category"] == TOTAL) & (t["level"] == "quarter")]
    totals = dict(zip(last["area_id"], last["value"]))
    for area_id, row in zip(sorted(totals), rows):
        m = re.search(r'data-fm-count="(\d+)"', row[1])
        if np.isnan(totals[area_id]):
            assert 'data-fm-count="suppressed"' in row[1]
        else:
            assert m and int(m.group(1)) == int(totals[area_id])


# -- defect 2: secondary suppression is "n.d.", not "< 5" -------------------------------------------
def test_secondary_suppression_is_not_printed_as_under_threshold() -> None:
    pub = _with_secondary(make_publication(seed=3))
    html = render_map(pub)
    head, rows = _table(html)
    cell = rows[4][head.index("Anziani")]  # PV-05
    assert 'data-fm-count="suppressed"' in cell and "&lt;" not in cell and "n.d." in cell
    assert "nascosto per non permettere di ricalcolare un dato piccolo" in cell
    primary = [c for r in rows for c in r if "&lt; 5" in c]
    assert primary and all('data-fm-count="suppressed"' in c for c in primary)
    layer = _data(html)["cells"][pub.month]["anziani"]
    assert layer["suppressed"][4] == 2 and layer["value"][4] is None
    assert layer["suppressed"][5] == 1 and layer["value"][5] is None
    assert set(layer["suppressed"]) <= {0, 1, 2}


# -- defect 3: classification -----------------------------------------------------------------------
def test_zeros_get_their_own_class_and_positive_values_fill_the_rest_quietly() -> None:
    values = [0.0] * 60 + [5, 6, 7, 8, 9, 11, 14, 18, 25, 40, 61]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scheme in ("quantiles", "natural_breaks", "fisher_jenks", "equal_interval"):
            c = zero_aware_classes(values, scheme=scheme, k=5)
            assert c.zero and len(c) == 5 and len(c.colours) == 5, scheme
            assert c.lower[0] == 5 and c.upper[-1] == 61
            assert all(lo <= up for lo, up in zip(c.lower, c.upper))
            assert all(c.upper[i] + 1 == c.lower[i + 1] for i in range(len(c.upper) - 1))
        few = zero_aware_classes([0, 0, 5, 5, 6], k=5)  # fewer distinct values: fewer classes
        assert few.zero and few.upper == (5.0, 6.0)
        rates = zero_aware_classes([0, 0.04, 1.25, 3.35, 12.2], k=3, decimals=1)
        assert rates.lower[0] == 0.1 and rates.upper[-1] == 12.2


def test_map_legend_reads_zero_then_ranges_and_uses_k(demo) -> None:
    html = render_map(demo["pub"], k=5)
    classes = _data(html)["classes"]
    for layer in classes.values():
        for measure in ("count", "rate"):
            c = layer[measure]
            assert len(c["colours"]) == len(c["labels"]) <= 5
            if c["zero"]:
                assert c["labels"][0] == "0"
            assert not any(lab.startswith("≤") for lab in c["labels"])
    assert len(classes[TOTAL]["rate"]["labels"]) == 5  # many zeros no longer collapse k=5 to 3
    assert re.fullmatch(r"\d+,\d – \d+,\d", classes[TOTAL]["rate"]["labels"][1])


def test_cli_map_follows_the_classification_settings_and_its_help(demo) -> None:
    from fragmap.cli import main

    s = demo["settings"]
    cfg = demo_project_file(s, **{'scheme = "quantiles"\nk = 5': 'scheme = "natural_breaks"\nk = 3'})
    res = CliRunner().invoke(main, ["map", "--month", "2026-10", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    out = s.paths.output.parent / "anteprima-mappa"
    html = (out / "mappa.html").read_text(encoding="utf-8")
    assert all(len(c[m]["colours"]) <= 3 for c in _data(html)["classes"].values() for m in ("count", "rate"))
    assert (out / "embed.html").exists()
    help_text = CliRunner().invoke(main, ["map", "--help"]).output
    assert "anteprima-mappa" in help_text and "--tiles" in help_text


# -- defects 6, 8 (text), 10 (checks) without a browser ---------------------------------------------
def test_synthetic_and_not_official_notes_appear_once(demo) -> None:
    html = render_map(demo["pub"], **demo["kw"])
    assert html.count("Dati dimostrativi sintetici") == 1
    assert html.count("griglia esagonale regolare, non quartieri ufficiali") == 1
    assert html.count("nessuna segnalazione reale") == 1


def test_embed_page_speaks_the_publication_language(tmp_path: Path) -> None:
    pub = dataclasses.replace(make_publication(language="en"), title="Fragility Network Oltrepò")
    write_map(pub, tmp_path)
    embed = (tmp_path / "embed.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in embed and "Preview" in embed and "Anteprima" not in embed
    assert '<pre tabindex="0" role="region" aria-label="Code to copy"' in embed  # scrollable: keyboard reaches it
    assert '<link rel="icon" href="data:' in embed
    assert 'title="Map: Fragility Network Oltrepò"' in embed  # the project's name, not one in the code
    page = (tmp_path / "mappa.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Embed in a website" in page and 'href="embed.html"' in page


def test_optional_layers_refuse_anything_that_could_carry_report_data() -> None:
    pub = make_publication()
    ok = _where_next([Point(9.14, 45.18)])
    with pytest.raises(PrivacyError, match="refused column"):
        render_map(pub, where_next=ok.assign(new_reports_covered=[3]))
    with pytest.raises(PrivacyError, match="under the privacy threshold"):
        render_map(pub, where_next=ok.assign(reached=[3.0]))
    with pytest.raises(PrivacyError, match="polygons"):
        render_map(pub, isochrones=gpd.GeoDataFrame({"minutes": [5]}, geometry=[Point(9.14, 45.18)], crs=4326))
    with pytest.raises(ValueError, match="points"):
        render_map(pub, where_next=ok.assign(geometry=[Point(9.14, 45.18).buffer(0.01)]))
    html = render_map(pub, where_next=ok)
    assert EVIL not in html and '"value":12' in html  # escaped; the count is where the audit looks


def test_layer_points_are_the_vertices_the_optional_layers_print() -> None:
    svc = _services()
    iso, wn = _isochrones(svc), _where_next([Point(9.14, 45.18)])
    html = render_map(make_publication(), isochrones=iso, where_next=wn)
    pts = layer_points(isochrones=iso, where_next=wn)
    assert len(pts) > 10 and (45.18, 9.14) in pts
    # every vertex the page prints is listed (the points come from the layers, not the page)
    import shapely
    from shapely.geometry import shape

    from fragmap.maps import _isochrones_fc, _where_next_fc

    printed = [(float(y), float(x)) for fc in (_isochrones_fc(iso), _where_next_fc(wn)) for f in fc["features"]
               for x, y in shapely.get_coordinates(shape(f["geometry"]))]
    assert printed and all(f"[{lon},{lat}]" in html for lat, lon in printed)
    assert set(printed) <= set(pts)


# -- in a real browser --------------------------------------------------------------------------------
@pytest.mark.browser
def test_demo_map_desktop_legend_clear_of_areas_and_screenshot(demo, browser, tmp_path: Path,
                                                               artifacts_dir: Path) -> None:
    write_map(demo["pub"], tmp_path, **demo["kw"])
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    polys = page.locator("path.leaflet-interactive")
    n = int((demo["pub"].areas["level"] == "quarter").sum())
    assert polys.count() == n
    overlap = page.evaluate("""() => {
        const L = document.querySelector('.fm-legend').getBoundingClientRect();
        return [...document.querySelectorAll('path.leaflet-interactive')].filter(p => {
            const r = p.getBoundingClientRect();
            return !(r.right < L.left || r.left > L.right || r.bottom < L.top || r.top > L.bottom); }).length; }""")
    assert overlap == 0
    names = page.evaluate("JSON.parse(document.getElementById('fm-data').textContent).areas.name")
    for i in (0, 1, 2):  # Pavia's first areas, once under the legend's Sources line
        page.locator(f"path[data-fm-area='{i}']").hover()
        page.locator(".leaflet-tooltip", has_text=names[i]).wait_for(timeout=2000)
    assert sorted(page.locator(".fm-town").all_text_contents()) == ["Pavia", "Vigevano"]
    assert page.locator("#fm-map .leaflet-overlay-pane path:not(.leaflet-interactive)").count() >= 2  # outlines
    page.screenshot(path=str(artifacts_dir / "map-desktop.png"))
    text = page.evaluate("document.body.innerText")
    assert text.count("Dati dimostrativi sintetici") == 1
    assert errors == [] and external == []
    page.close()


@pytest.mark.browser
def test_demo_map_on_a_phone_draws_hovers_and_reaches_the_legend(demo, browser, tmp_path: Path,
                                                                  artifacts_dir: Path) -> None:
    write_map(demo["pub"], tmp_path, **demo["kw"])
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri(), width=375, height=667)
    box = page.locator("#fm-map").bounding_box()
    assert box["y"] < 667 * 0.4 and box["y"] + box["height"] <= 667 + 1  # header compact, map fills the screen
    visible = page.evaluate("""() => { const m = document.getElementById('fm-map').getBoundingClientRect();
        return [...document.querySelectorAll('path.leaflet-interactive')].filter(p => { const r = p.getBoundingClientRect();
        return r.width > 0 && r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom; }).length; }""")
    assert visible == page.locator("path.leaflet-interactive").count()
    button = page.locator(".fm-legend-toggle")
    assert button.get_attribute("aria-expanded") == "false"  # collapsed on a small screen
    page.locator("path.leaflet-interactive").nth(1).hover()
    page.locator(".leaflet-tooltip").first.wait_for(timeout=2000)
    page.screenshot(path=str(artifacts_dir / "map-375.png"))
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert page.locator("#fm-legend-body").is_visible()
    lb = page.locator(".fm-legend").bounding_box()
    assert lb["y"] >= box["y"] and lb["y"] + lb["height"] <= box["y"] + box["height"] + 1  # legend inside the map
    page.screenshot(path=str(artifacts_dir / "map-375-legend.png"))
    assert errors == [] and external == []
    page.close()


@pytest.mark.browser
def test_secondary_cell_tooltip_and_hatch(browser, tmp_path: Path) -> None:
    pub = _with_secondary(make_publication(seed=3))
    write_map(pub, tmp_path)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    page.check("input[name=fm-cat][value=anziani]")
    poly = page.locator("path.leaflet-interactive").nth(4)
    assert poly.get_attribute("fill") == "url(#fm-hatch2)"
    poly.hover()
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=2000)
    text = tip.text_content()
    assert "n.d." in text and "ricalcolare un dato piccolo" in text and "< 5" not in text
    legend = page.locator(".fm-legend").text_content()
    assert "meno di 5 segnalazioni" in legend and "nascosto per non permettere di ricalcolare" in legend
    assert errors == []
    page.close()


@pytest.mark.browser
def test_keyboard_reaches_controls_table_rows_and_highlights_the_area(browser, tmp_path: Path) -> None:
    write_map(make_publication(names=[EVIL, "Borgo Ticino"]), tmp_path)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "fm-skip"  # skip link to the table
    page.focus("#fm-month")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "fm-cat"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "fm-measure"
    row = page.locator("tr[data-fm-area='1']")
    row.focus()
    area = page.locator("path[data-fm-area='1']")
    assert area.get_attribute("stroke") == "#000000" and area.get_attribute("stroke-width") == "3"
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=2000)
    assert "Borgo Ticino" in tip.text_content()
    page.keyboard.press("Shift+Tab")  # back to row 0: row 1's area is restored
    assert area.get_attribute("stroke") != "#000000"
    page.locator(".leaflet-tooltip", has_text=EVIL).wait_for(timeout=2000)  # shown as text, not markup
    assert page.locator(".fm-legend-toggle").evaluate("b => b.tabIndex") == 0
    assert errors == []
    page.close()


@pytest.mark.browser
def test_services_isochrones_where_next_toggle_with_legend_entries(browser, tmp_path: Path) -> None:
    svc = _services()
    write_map(make_publication(), tmp_path, services=svc, isochrones=_isochrones(svc),
              where_next=_where_next([Point(9.142, 45.182), Point(9.158, 45.188)]))
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    paths = page.locator("#fm-map .leaflet-overlay-pane path:not(.fm-casing)")
    casings = page.locator("#fm-map .leaflet-overlay-pane path.fm-casing")
    before = paths.count()
    legend = page.locator(".fm-legend")
    assert "Farmacia" not in legend.text_content()  # optional layers start off
    page.check("#fm-services")
    assert paths.count() == before + 4
    for label in ("Farmacia", "Scuola", "Ospedale / struttura di ricovero", "Sportello della rete"):
        assert label in legend.text_content()
    page.check("#fm-iso")
    assert "entro 5 minuti a piedi" in legend.text_content() and "entro 15 minuti a piedi" in legend.text_content()
    page.check("#fm-where")
    assert "Dove aprire un nuovo sportello" in legend.text_content()
    assert paths.count() == before + 4 + 3 + 2
    assert casings.count() == 3 + 2                 # a white casing under each line and ring (issue 15)
    order = page.evaluate("""() => [...document.querySelectorAll('#fm-map .leaflet-overlay-pane path')]
        .map(p => p.classList.contains('fm-casing') ? 'c' : 'p').join('')""")
    assert order.rfind("c") < len(order) - 2        # the casings are drawn under the lines and rings
    page.uncheck("#fm-iso")
    assert paths.count() == before + 4 + 2 and casings.count() == 2
    page.locator("path.leaflet-interactive").last.hover()  # the second where-next site
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=2000)
    assert "Proposta n. 2" in tip.text_content()
    assert errors == [] and external == []
    page.close()


@pytest.mark.browser
def test_tiles_offline_degrade_to_the_plain_background(browser, tmp_path: Path) -> None:
    write_map(make_publication(), tmp_path, tiles=TILES)
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    assert page.locator("path.leaflet-interactive").count() == 9
    assert external and all(u.startswith("https://tile.openstreetmap.org/") for u in external)
    assert all(e.startswith("Failed to load resource") for e in errors), errors
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").text_content()
    page.locator("path.leaflet-interactive").nth(0).hover()
    page.locator(".leaflet-tooltip").first.wait_for(timeout=2000)
    page.close()


@pytest.mark.browser
def test_embed_snippet_sizes_and_the_page_works_in_an_iframe(browser, tmp_path: Path) -> None:
    from fragmap.maps import embed_snippet

    write_map(make_publication(), tmp_path)
    host = tmp_path / "host.html"
    host.write_text(f'<!DOCTYPE html><html><body style="margin:0"><div style="width:768px">{embed_snippet()}'
                    "</div></body></html>", encoding="utf-8")
    page, errors, external = open_offline(browser, host.as_uri(), width=1000, height=1200)
    frame_el = page.locator("iframe")
    frame_el.scroll_into_view_if_needed()
    box = frame_el.bounding_box()
    assert abs(box["width"] - 768) < 1 and abs(box["height"] - 576) < 1
    frame = page.frame_locator("iframe")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=3000)
    assert frame.locator("path.leaflet-interactive").count() == 9
    assert not frame.locator(".fm-embed-link").is_visible()  # no "embed me" link inside the embed
    assert errors == [] and external == []
    page.close()
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    assert page.locator(".fm-embed-link").is_visible()
    assert page.locator(".fm-embed-link").get_attribute("href") == "embed.html"
    page.close()


# -- issue 15: the map as a citizen meets it (embedded, by keyboard, without JS, in print) ---------
def _zoom(page) -> float:  # type: ignore[no-untyped-def]
    return page.evaluate("map_fm.getZoom()")


@pytest.mark.browser
def test_wheel_scrolls_the_page_not_the_map_until_chosen_and_the_view_is_bounded(browser, tmp_path: Path) -> None:
    write_map(make_publication(), tmp_path)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri(), width=1000, height=700)
    home = _zoom(page)
    box = page.locator("#fm-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(5):
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(60)
    page.wait_for_timeout(300)
    assert _zoom(page) == home                      # the map did not zoom away ...
    assert page.evaluate("window.scrollY") > 0       # ... the page scrolled instead
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(8):                               # chosen: the wheel zooms, but not past the bound
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(80)
    page.wait_for_timeout(400)
    low = _zoom(page)
    assert home - 3 < low < home
    assert page.evaluate("map_fm.getMinZoom()") >= home - 3
    page.evaluate("map_fm.setView([0, 0], 3, {animate: false})")  # far away: pulled back near the towns
    assert page.evaluate("map_fm.getBounds().pad(1).contains(geo_json_areas.getBounds().getCenter())")
    reset = page.get_by_role("button", name="Ripristina vista")
    reset.focus()
    page.keyboard.press("Enter")
    assert _zoom(page) == home
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Ingrandisci"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "Riduci"
    assert errors == []
    page.close()


@pytest.mark.browser
def test_area_shapes_are_not_tab_stops_and_the_legend_button_names_no_triangle(browser, tmp_path: Path) -> None:
    svc = _services()
    write_map(make_publication(), tmp_path, services=svc, isochrones=_isochrones(svc),
              where_next=_where_next([Point(9.142, 45.182)]))
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    for box in ("#fm-services", "#fm-iso", "#fm-where"):
        page.check(box)
    page.focus("#fm-month")
    stops = []
    for _ in range(60):  # walk the tab order to the table
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => { const a = document.activeElement;
            const lab = a.labels && a.labels.length ? a.labels[0].textContent : '';
            return a.tagName.toLowerCase() + '|' + (a.getAttribute('aria-label') || a.title || lab.trim()
                   || a.textContent.trim().slice(0, 30)); }"""))
        if stops[-1].startswith("tr|"):
            break
    assert stops[-1].startswith("tr|"), stops
    assert not [s for s in stops if s.startswith(("path|", "svg|", "g|"))], stops
    assert all(s.split("|", 1)[1] for s in stops), stops  # every stop has a name
    name = page.evaluate("""() => { const b = document.querySelector('.fm-legend-toggle');
        return getComputedStyle(b, '::after').content; }""")
    assert "/" in name or name in ("none", "normal")   # alt text "" given: the triangle is not read
    assert errors == []
    page.close()


@pytest.mark.browser
def test_without_javascript_the_page_says_so_and_shows_the_table_not_dead_controls(browser, tmp_path: Path) -> None:
    write_map(make_publication(), tmp_path)
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 800})
    page = ctx.new_page()
    page.goto((tmp_path / "mappa.html").as_uri())
    note = page.locator(".fm-noscript")
    assert note.is_visible() and "JavaScript" in note.text_content()
    assert not page.locator("#fm-map").is_visible()
    assert not page.locator("#fm-month").is_visible()
    table = page.locator("#fm-table")
    assert table.is_visible() and table.bounding_box()["y"] < 800  # the table on the first screen
    ctx.close()
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    assert not page.locator(".fm-noscript").is_visible() and page.locator("#fm-map").is_visible()
    page.close()


@pytest.mark.browser
def test_table_and_summary_follow_month_layer_and_measure_and_changes_are_announced(browser, tmp_path: Path) -> None:
    pub = make_publication(seed=3)
    write_map(pub, tmp_path)
    html = (tmp_path / "mappa.html").read_text(encoding="utf-8")
    d = _data(html)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    live = page.locator("#fm-live")
    assert live.get_attribute("aria-live") == "polite" and live.text_content() == ""
    first, ref = d["months"][0], d["months"][-1]
    page.focus("#fm-month")
    page.select_option("#fm-month", first)           # the keyboard's choice of an earlier month
    col = 1 + d["categories"].index(TOTAL)

    def cells(month: str, measure: str) -> list[str]:
        out = []
        for i in range(len(d["areas"]["name"])):
            c = d["cells"][month][TOTAL]
            v, h = c["value"][i], c["suppressed"][i]
            if h == 1:
                out.append("< 5")
            elif h or v is None:
                out.append("n.d.")
            elif measure == "count":
                out.append(f"{v:,}".replace(",", "."))
            else:
                r = 0.0 if v == 0 else max(np.floor(v / d["areas"]["population"][i] * 10000 + 0.5) / 10, 0.1)
                out.append(f"{r:.1f}".replace(".", ","))
        return out

    def shown() -> list[str]:
        return page.evaluate(f"""() => [...document.querySelectorAll('#fm-table tbody tr')]
            .map(r => r.children[{col}].textContent.trim())""")

    assert shown() == cells(first, "rate") != cells(ref, "rate")  # rates, of the chosen month
    assert d["text"]["summaries"][first] == page.locator("#fm-summary").text_content()
    assert d["monthLabels"][first] in page.locator("#fm-caption").text_content()
    assert d["monthLabels"][first] in live.text_content()
    page.check("input[name=fm-measure][value=count]")
    assert shown() == cells(first, "count")
    assert "numero di segnalazioni" in live.text_content()
    page.check("input[name=fm-cat][value=anziani]")
    assert "Anziani" in live.text_content()
    assert page.locator("#fm-table th.fm-col-active").text_content() == "Anziani"
    assert errors == []
    page.close()


@pytest.mark.browser
def test_a_focused_row_brings_its_area_into_view(browser, tmp_path: Path) -> None:
    write_map(make_publication(), tmp_path)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    page.evaluate("map_fm.setView(geo_json_areas.getLayers()[0].getBounds().getSouthWest(), map_fm.getZoom() + 3,"
                  " {animate: false})")
    inside = "i => map_fm.getBounds().contains(geo_json_areas.getLayers()[i].getCenter())"
    far = [i for i in range(9) if not page.evaluate(f"({inside})({i})")]
    assert far
    page.locator(f"tr[data-fm-area='{far[-1]}']").focus()
    assert page.evaluate(f"({inside})({far[-1]})")
    assert errors == []
    page.close()


@pytest.mark.browser
def test_map_prints_on_a4_with_map_legend_and_table_and_no_controls(browser, tmp_path: Path,
                                                                    artifacts_dir: Path) -> None:
    write_map(make_publication(), tmp_path)
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    page.emulate_media(media="print")
    page.wait_for_timeout(200)
    for hidden in (".fm-controls", ".leaflet-control-zoom", ".fm-reset", ".fm-legend-toggle", ".fm-skip"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("#fm-legend-body").is_visible() and page.locator("#fm-table").is_visible()
    m, lg = page.locator("#fm-map").bounding_box(), page.locator(".fm-legend").bounding_box()
    assert lg["y"] >= m["y"] and lg["y"] + lg["height"] <= m["y"] + m["height"] + 1  # legend inside the map box
    overlap = page.evaluate("""() => { const L = document.querySelector('.fm-legend').getBoundingClientRect();
        return [...document.querySelectorAll('path.leaflet-interactive')].filter(p => { const r = p.getBoundingClientRect();
        return !(r.right < L.left || r.left > L.right || r.bottom < L.top || r.top > L.bottom); }).length; }""")
    assert overlap == 0                                   # ... and over no area
    pdf = page.pdf(prefer_css_page_size=True)
    (artifacts_dir / "map-print.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4
    assert len(boxes) <= 2                                # not 6 Letter pages
    assert errors == []
    page.close()


@pytest.mark.browser
def test_on_a_phone_frame_the_options_fold_and_the_map_takes_most_of_it(demo, browser, tmp_path: Path,
                                                                         artifacts_dir: Path) -> None:
    write_map(demo["pub"], tmp_path, **demo["kw"])
    page, errors, _ = open_offline(browser, (tmp_path / "mappa.html").as_uri(), width=375, height=420)
    box = page.locator("#fm-map").bounding_box()
    assert box["height"] >= 0.6 * 420 and box["y"] + box["height"] <= 420 + 1
    assert not page.locator("#fm-month").is_visible()
    summary = page.locator("#fm-options > summary")
    assert summary.bounding_box()["height"] >= 24                       # a touch target
    assert "Totale" in summary.text_content()                           # says what is shown
    page.screenshot(path=str(artifacts_dir / "map-375x420-frame.png"))
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#fm-month").is_visible()
    page.check("input[name=fm-measure][value=count]")
    assert "numero di segnalazioni" in summary.text_content()
    labels = page.evaluate("""() => [...document.querySelectorAll('.fm-controls label')]
        .map(l => l.getBoundingClientRect().height)""")
    assert labels and min(labels) >= 24                                # WCAG 2.5.8 target size
    summary.click()                                                    # folds again
    page.wait_for_timeout(100)
    assert page.locator("#fm-map").bounding_box()["height"] >= 0.6 * 420
    assert errors == []
    page.close()


def _axe_source() -> str | None:
    """axe-core's axe.min.js: $FRAGMAP_AXE_JS, or node_modules/axe-core in the repository
    (``npm install --no-save axe-core``); None when neither is there."""
    import os

    for p in (os.environ.get("FRAGMAP_AXE_JS"), ROOT / "node_modules" / "axe-core" / "axe.min.js"):
        if p and Path(p).is_file():
            return Path(p).read_text(encoding="utf-8")
    return None


@pytest.mark.browser
def test_axe_finds_no_violations_on_the_map_embed_and_atlas_pages(browser, tmp_path: Path) -> None:
    axe = _axe_source()
    if axe is None:
        pytest.skip("axe-core not installed (npm install --no-save axe-core, or set FRAGMAP_AXE_JS)")
    import test_atlas_pages as atlas_tests
    from fragmap.atlas import render_atlas

    svc = _services()
    write_map(make_publication(), tmp_path, services=svc, isochrones=_isochrones(svc),
              where_next=_where_next([Point(9.142, 45.182)]))
    render_atlas(atlas_tests._pub(), tmp_path / "atlas", quality=atlas_tests.QUALITY)
    pages = ["mappa.html", "embed.html", "atlas/index.html", "atlas/quartieri/PV-01.html", "atlas/categorie/anziani.html"]
    run = ("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
           "'best-practice']}}).then(r => r.violations.map(v => [v.id, v.nodes.map(n => n.target.join(' '))]))")
    found = {}
    for width, height in ((375, 667), (1280, 800)):
        for rel in pages:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.add_init_script(axe)
            page.goto((tmp_path / rel).as_uri())
            page.wait_for_timeout(300)
            if rel == "mappa.html":  # with the overlays on and a different month: the states a reader meets
                if width < 600:
                    page.locator("#fm-options > summary").click()
                for box in ("#fm-services", "#fm-iso", "#fm-where"):
                    page.check(box)
                page.select_option("#fm-month", index=0)
            v = page.evaluate(run)
            if v:
                found[f"{rel}@{width}"] = v
            page.close()
    assert found == {}
