"""Issue 15, as a citizen meets the pages: a view per town remembered in the URL, service
markers told apart by shape, text equivalents of the atlas charts, and screenshots at 375
and 1280 px of the map, an embed host page, the atlas index and an area page.

The map views run on the demo project (synthetic reports on the real boundaries of Pavia
and Vigevano, 25 km apart), in headless Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fragmap.classify import PATTERNS
import test_map_page
from factories import make_publication, open_offline

from fragmap.maps import embed_snippet, map_towns, render_map, town_slug, write_map

demo = test_map_page.demo  # the module fixture: the demo project ingested once


def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.S).group(1))


# -- item 3: a view per town, remembered in the URL --------------------------------------------------
def test_the_town_selector_lists_the_projects_towns_and_the_embed_page_a_snippet_each(demo, tmp_path: Path) -> None:
    pub = demo["pub"]
    towns = map_towns(pub)
    assert len(towns) == 2                            # the demo's two comuni, from its areas
    html = render_map(pub)
    d = _data(html)
    assert [t["name"] for t in d["towns"]] == towns
    assert [t["slug"] for t in d["towns"]] == [town_slug(t) for t in towns]
    quarters = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id")
    assert [towns[k] for k in d["areas"]["town"]] == quarters["town"].tolist()
    radios = re.findall(r'<input type="radio" name="fm-town" value="([^"]*)"[^>]*>\s*([^<]+)</label>', html)
    assert radios == [("", "Entrambi"), *[(town_slug(t), t) for t in towns]]
    assert "<legend>Comune</legend>" in html
    write_map(pub, tmp_path)
    embed = (tmp_path / "embed.html").read_text(encoding="utf-8")
    for t in towns:
        assert f"mappa.html#comune={town_slug(t)}" in embed      # as text to copy
        assert f"<h2>Solo {t}</h2>" in embed
    assert embed.count('<pre tabindex="0" role="region"') == 1 + len(towns)
    assert town_slug("Sant'Angelo Lomellina") == "sant-angelo-lomellina"


def test_one_town_publication_has_no_selector_and_one_snippet(tmp_path: Path) -> None:
    pub = make_publication()
    html = render_map(pub)
    assert 'name="fm-town"' not in html and _data(html)["towns"] == [{"name": "Pavia", "slug": "pavia"}]
    write_map(pub, tmp_path)
    embed = (tmp_path / "embed.html").read_text(encoding="utf-8")
    assert "#comune=" not in embed and embed.count("<pre") == 1


_VIEW = """() => {
    const D = JSON.parse(document.getElementById('fm-data').textContent);
    const b = map_fm.getBounds(), box = document.getElementById('fm-map').getBoundingClientRect();
    const out = {};
    D.towns.forEach((t, k) => {
        const layers = geo_json_areas.getLayers().filter(l => D.areas.town[l.feature.properties.i] === k);
        const inside = layers.filter(l => b.contains(l.getCenter())).length;
        const r = layers.map(l => l.getElement().getBoundingClientRect());
        const left = Math.max(Math.min(...r.map(x => x.left)), box.left), right = Math.min(Math.max(...r.map(x => x.right)), box.right);
        const top = Math.max(Math.min(...r.map(x => x.top)), box.top), bottom = Math.min(Math.max(...r.map(x => x.bottom)), box.bottom);
        const share = right > left && bottom > top ? (right - left) * (bottom - top) / (box.width * box.height) : 0;
        out[t.slug] = {n: layers.length, inside: inside, share: share};
    });
    const rows = [...document.querySelectorAll('#fm-table tbody tr')].filter(r => !r.hidden)
        .map(r => D.towns[D.areas.town[Number(r.dataset.fmArea)]].slug);
    return {towns: out, rows: rows, hash: location.hash, zoom: map_fm.getZoom(),
            checked: document.querySelector('input[name=fm-town]:checked').value};
}"""


@pytest.mark.browser
def test_the_url_opens_one_town_the_selector_switches_and_the_url_follows(demo, browser, tmp_path: Path) -> None:
    write_map(demo["pub"], tmp_path, **demo["kw"])
    url = (tmp_path / "mappa.html").as_uri()
    page, errors, external = open_offline(browser, url, width=1280, height=800)
    both = page.evaluate(_VIEW)
    assert both["hash"] == "" and both["checked"] == ""
    assert all(v["inside"] == v["n"] for v in both["towns"].values())      # both towns in view
    assert sorted(set(both["rows"])) == ["pavia", "vigevano"]
    page.close()

    page, errors, external = open_offline(browser, url + "#comune=vigevano", width=1280, height=800)
    v = page.evaluate(_VIEW)
    assert v["checked"] == "vigevano" and v["hash"] == "#comune=vigevano"
    assert v["towns"]["vigevano"]["inside"] == v["towns"]["vigevano"]["n"]  # all of Vigevano ...
    assert v["towns"]["pavia"]["inside"] == 0                              # ... and none of Pavia
    assert v["zoom"] > both["zoom"] + 0.9                                  # fitted to the town, not both
    # the town fills the frame: its extent is several times what it had in the view of both
    assert v["towns"]["vigevano"]["share"] > 0.4 and v["towns"]["vigevano"]["share"] > 3 * both["towns"]["vigevano"]["share"]
    assert set(v["rows"]) == {"vigevano"} and len(v["rows"]) == v["towns"]["vigevano"]["n"]  # the table follows
    assert "Vigevano" in page.locator("#fm-caption").text_content()
    home = v["zoom"]

    page.locator("input[name=fm-town][value=vigevano]").focus()           # by keyboard: the radio group
    page.keyboard.press("ArrowLeft")
    p = page.evaluate(_VIEW)
    assert p["checked"] == "pavia" and p["hash"] == "#comune=pavia"       # remembered in the URL
    assert p["towns"]["pavia"]["inside"] == p["towns"]["pavia"]["n"] and p["towns"]["vigevano"]["inside"] == 0
    assert set(p["rows"]) == {"pavia"}
    assert "Pavia" in page.locator("#fm-live").text_content()              # announced
    page.evaluate("map_fm.setZoom(map_fm.getZoom() + 2, {animate: false})")
    page.get_by_role("button", name="Ripristina vista").click()            # "reset view" is the town's view
    assert page.evaluate(_VIEW)["towns"]["pavia"]["inside"] == p["towns"]["pavia"]["n"]
    assert abs(page.evaluate("map_fm.getZoom()") - p["zoom"]) < 1e-9
    page.check("input[name=fm-town][value='']")
    a = page.evaluate(_VIEW)
    assert a["hash"] == "" and all(x["inside"] == x["n"] for x in a["towns"].values())
    page.evaluate("location.hash = '#comune=vigevano'")                   # a link on the website
    page.wait_for_timeout(200)
    assert page.evaluate(_VIEW)["checked"] == "vigevano" and abs(page.evaluate("map_fm.getZoom()") - home) < 1e-9
    assert errors == [] and external == []
    page.close()

    page, errors, _ = open_offline(browser, url + "#comune=milano", width=1280, height=800)  # unknown: both
    u = page.evaluate(_VIEW)
    assert u["checked"] == "" and all(x["inside"] == x["n"] for x in u["towns"].values())
    assert errors == []
    page.close()


@pytest.mark.browser
def test_an_embedded_town_snippet_opens_that_town(demo, browser, tmp_path: Path) -> None:
    pub = demo["pub"]
    write_map(pub, tmp_path, **demo["kw"])
    host = tmp_path / "host.html"
    snippet = embed_snippet("mappa.html#comune=vigevano", name="Vigevano")
    host.write_text(f'<!DOCTYPE html><html lang="it"><head><title>Sito</title></head><body style="margin:0">'
                    f'<main style="max-width:800px">{snippet}</main></body></html>', encoding="utf-8")
    page, errors, external = open_offline(browser, host.as_uri(), width=1280, height=800)
    page.locator("iframe").scroll_into_view_if_needed()
    frame = page.frame_locator("iframe")
    frame.locator(".fm-legend-toggle").wait_for(timeout=3000)
    inner = page.frames[1]
    assert inner.evaluate("document.querySelector('input[name=fm-town]:checked').value") == "vigevano"
    assert inner.evaluate(_VIEW)["towns"]["pavia"]["inside"] == 0
    assert errors == [] and external == []
    page.close()


# -- item 7: service markers differ by shape, not only by colour; the proposed sites stand out -----
_SIG = """p => { const b = p.getBBox(), out = [];  // the shape's fill on a 12 x 12 grid over its box
    for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++)
        out.push(p.isPointInFill(new DOMPoint(b.x + b.width * (j + .5) / 12, b.y + b.height * (i + .5) / 12)) ? 1 : 0);
    return out; }"""


def _apart(a: list, b: list) -> float:
    """The share of the grid where two shapes (each scaled to its box) differ."""
    return sum(x != y for x, y in zip(a, b)) / len(a)


def _luminance(hex_colour: str) -> float:
    c = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.browser
def test_each_service_type_has_its_own_shape_on_the_map_and_in_the_legend(browser, tmp_path: Path) -> None:
    from shapely.geometry import Point
    from test_map_page import _isochrones, _services, _where_next

    svc = _services()
    write_map(make_publication(), tmp_path, services=svc, isochrones=_isochrones(svc),
              where_next=_where_next([Point(9.142, 45.182)]))
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    for box in ("#fm-services", "#fm-iso", "#fm-where"):
        page.check(box)
    d = page.evaluate("JSON.parse(document.getElementById('fm-data').textContent)")
    markers = page.evaluate(f"""() => [...document.querySelectorAll('path.fm-service')].map(p => {{
        const s = [...p.classList].find(c => c.startsWith('fm-shape-')).slice(9);
        return [s, ({_SIG})(p), p.getAttribute('fill')]; }})""")
    assert len(markers) == len(svc)
    by_type: dict[str, list] = {}
    for shape, sig, fill in markers:
        t = next(k for k, v in d["serviceShapes"].items() if v == shape and d["serviceColours"][k] == fill)
        assert t not in by_type or _apart(by_type[t], sig) < 0.03              # one shape per type ...
        by_type[t] = sig
    assert set(by_type) == set(svc["type"])
    kinds = list(by_type)
    for i, a in enumerate(kinds):                                          # ... and no two types alike
        for b in kinds[i + 1:]:
            assert _apart(by_type[a], by_type[b]) > 0.1, (a, b)
    legend = page.evaluate(f"""() => Object.fromEntries([...document.querySelectorAll('.fm-service-row')]
        .map(r => [r.textContent.trim(), ({_SIG})(r.querySelector('svg path'))]))""")
    for t in by_type:                                                      # the legend draws the same shape
        shown = legend[d["serviceTypes"][t]]
        assert min(by_type, key=lambda k: _apart(shown, by_type[k])) == t and _apart(shown, by_type[t]) < 0.1
    # points over lines: the services and the proposed sites are drawn after the walking-distance lines
    order = page.evaluate("""() => [...document.querySelectorAll('#fm-map .leaflet-overlay-pane path')].map(p =>
        p.hasAttribute('data-fm-area') ? 'a' : p.classList.contains('fm-service') ? 's' : p.classList.contains('fm-casing') ? 'c'
        : p.classList.contains('leaflet-interactive') ? 'w' : 'o').join('')""")
    assert order.count("s") == len(svc) and order.count("w") == 1
    assert order.rfind("o") < order.find("s") and order.rfind("s") < order.find("w")  # lines, services, sites
    # the proposed site's ring: its white halo separates it from every class colour (was 1.01:1)
    ring = page.evaluate("""() => { const p = [...document.querySelectorAll('#fm-map .leaflet-overlay-pane path.leaflet-interactive')].pop();
        const c = [...document.querySelectorAll('#fm-map path.fm-casing')].pop();
        return [p.getAttribute('stroke'), c.getAttribute('stroke'), Number(c.getAttribute('stroke-width')),
                Number(p.getAttribute('stroke-width'))]; }""")
    stroke, halo, halo_w, ring_w = ring
    assert halo_w >= ring_w + 4
    fills = {c for layer in d["classes"].values() for m in layer.values() for c in m["colours"]} | {p.ground for p in PATTERNS.values()}
    for fill in fills:
        assert max(_contrast(stroke, fill), _contrast(halo, fill)) >= 3, fill
    assert _contrast(stroke, halo) >= 3
    assert errors == [] and external == []
    page.close()


# -- item 10: the atlas's trend charts and monthly maps have their values as text ---------------------
def _details(html: str) -> list[str]:
    return re.findall(r'<details class="chart-data">(.*?)</details>', html, re.S)


def _rows(block: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    head = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", block)
    rows = [(re.search(r'<th scope="row">(.*?)</th>', r).group(1), re.findall(r"<td>(.*?)</td>", r))
            for r in re.findall(r"<tr>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", block, re.S).group(1))]
    return head, rows


def test_trend_charts_have_a_table_of_their_values_with_hidden_months_as_the_chart_says() -> None:
    import test_atlas_pages as T

    from fragmap.atlas import build_pages
    from fragmap.i18n import format_month

    pub = T._pub()
    months = tuple(pub.months)
    pub = T._hide(pub, T._mask(pub, "PV-01", "anziani", months[2:4]), "primary")    # "< 5"
    pub = T._hide(pub, T._mask(pub, "PV-01", "disabilita", months[5:6]), "secondary")  # "n.d."
    pages = build_pages(pub, quality=T.QUALITY)
    html = pages["quartieri/PV-01.html"]
    (block,) = _details(html)
    assert "<summary>Dati dei grafici</summary>" in block and "<caption>" in block
    head, rows = _rows(block)
    charts = re.findall(r'<svg[^>]*class="trend"[^>]*aria-label="([^"]+)"', html)
    assert head[1:] == charts                                              # a column per chart
    assert [r[0] for r in rows] == [format_month(m, "it") for m in months]
    col = {name: k for k, name in enumerate(head[1:])}
    t = pub.table
    for m, (_, cells) in zip(months, rows):
        for cat, label in (("totale", "Totale"), ("anziani", "Anziani"), ("disabilita", "Disabilità")):
            r = t[(t["area_id"] == "PV-01") & (t["category"] == cat) & (t["window"] == 12) & (t["month"] == m)
                  & (t["partner"] == "tutti")].iloc[0]
            cell = cells[col[label]]
            if r["suppressed"]:
                assert 'data-fm-count="suppressed"' in cell and not re.search(r">\d", cell)   # never the count
                assert (">&lt; 5<" in cell) == (r["reason"] == "primary") and ("n.d." in cell) == (r["reason"] != "primary")
            else:
                assert f'data-fm-count="{int(r["value"])}"' in cell
    # the chart's own end label (top right) and the table's last row say the same
    end = re.search(r'aria-label="Anziani".*?text-anchor="end">([^<]*)<', html, re.S).group(1)
    assert end in rows[-1][1][col["Anziani"]]


def test_each_town_s_monthly_maps_have_a_table_of_the_rates_each_map_shows() -> None:
    import test_atlas_pages as T

    from fragmap.atlas import build_pages

    pub = T._pub()
    months = tuple(pub.months)
    pub = T._hide(pub, T._mask(pub, "PV-02", "anziani", months[:3]), "primary")
    html = build_pages(pub, quality=T.QUALITY)["categorie/anziani.html"]
    blocks = _details(html)
    towns = re.findall(r'<figcaption class="head">([^<]+)</figcaption>', html)
    assert len(blocks) == len(towns) >= 1                                  # one per town's set of maps
    head, rows = _rows(blocks[0])
    panels = re.findall(r'<svg[^>]*class="map"[^>]*aria-label="Anziani, ' + towns[0] + r', ([^"]+)"', html)
    assert head[1:] == panels and len(panels) == len(months)              # a column per monthly map
    for name, cells in rows:
        for k, label in enumerate(panels):
            svg = re.search(r'<svg[^>]*aria-label="Anziani, ' + towns[0] + ", " + re.escape(label) + r'".*?</svg>',
                            html, re.S).group(0)
            title = re.search(r"<title>" + re.escape(name) + r": ([^<]*)</title>", svg).group(1)
            assert cells[k] == title                                       # what the map says on hover
    hidden = dict(rows)[str(pub.areas.set_index("area_id").at["PV-02", "name"])]
    assert hidden[:3] == ["nascosto"] * 3 and all(re.fullmatch(r"\d+,\d", c) for c in hidden[3:])


# -- done-when: screenshots at 375 and 1280 px that look right, and axe on the new states -------------
SIZES = ((375, 667), (1280, 800))


@pytest.fixture(scope="module")
def published(demo, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo's map, embed page and atlas written once, and a plain host page embedding the map
    with the snippet the embed page gives (whole network, then Vigevano alone)."""
    import test_atlas_pages as T

    from fragmap.atlas import render_atlas

    out = tmp_path_factory.mktemp("published")
    write_map(demo["pub"], out, **demo["kw"])
    render_atlas(demo["pub"], out / "atlas", quality=T.QUALITY, services=demo["project"].locate_services())
    lorem = ("<p>La rete riunisce sei associazioni di volontariato di Pavia e Vigevano. Questa pagina del sito "
             "mostra dove arrivano le segnalazioni, mese per mese.</p>")
    host = out / "sito.html"
    host.write_text(
        '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Rete Fragilità: la mappa</title>'
        '</head><body style="font-family:sans-serif;margin:0 auto;max-width:60rem;padding:0 1rem">'
        f"<header><h1>Rete Fragilità</h1></header><main>{lorem * 2}<h2>La mappa</h2>"
        f'{embed_snippet(name="Rete Fragilità")}{lorem}<h2>Vigevano</h2>'
        f'{embed_snippet("mappa.html#comune=vigevano", name="Rete Fragilità · Vigevano")}{lorem}</main></body></html>',
        encoding="utf-8")
    return {"out": out, "host": host, "pub": demo["pub"]}


def _fullest(out: Path) -> Path:
    """The area page with the most published counts above zero (the one a reader learns most from)."""
    return max(sorted((out / "atlas" / "quartieri").glob("*.html")),
               key=lambda p: len(re.findall(r'data-fm-count="[1-9]\d*"', p.read_text(encoding="utf-8"))))


def _ink(png: Path) -> tuple[float, int]:
    """Share of the image that is not the page's white or the map's plain background, and how
    many colours it has: a blank or half-drawn page scores low on both."""
    from PIL import Image

    im = Image.open(png).convert("RGB")
    small = im.resize((im.width // 4 or 1, im.height // 4 or 1))
    px = list(small.get_flattened_data() if hasattr(small, 'get_flattened_data') else small.getdata())
    plain = {(255, 255, 255), (244, 244, 242)}
    return sum(p not in plain for p in px) / len(px), len(set(px))


_TOWN_BOX = """slug => { const D = JSON.parse(document.getElementById('fm-data').textContent);
    const k = D.towns.findIndex(t => t.slug === slug), m = document.getElementById('fm-map').getBoundingClientRect();
    const r = geo_json_areas.getLayers().filter(l => k < 0 || D.areas.town[l.feature.properties.i] === k)
        .map(l => l.getElement().getBoundingClientRect());
    const box = {left: Math.min(...r.map(x => x.left)), right: Math.max(...r.map(x => x.right)),
                 top: Math.min(...r.map(x => x.top)), bottom: Math.max(...r.map(x => x.bottom))};
    return {inside: box.left >= m.left - 1 && box.right <= m.right + 1 && box.top >= m.top - 1 && box.bottom <= m.bottom + 1,
            share: (box.right - box.left) * (box.bottom - box.top) / (m.width * m.height),
            fill: Math.max((box.right - box.left) / m.width, (box.bottom - box.top) / m.height),
            map: [m.top, m.height], vh: innerHeight}; }"""


@pytest.mark.browser
@pytest.mark.slow
def test_screenshots_at_375_and_1280_of_map_host_page_atlas_index_and_area_page(
        published, browser, artifacts_dir: Path) -> None:
    out = published["out"]
    shots = artifacts_dir / "issue15"
    shots.mkdir(exist_ok=True)
    quarter = _fullest(out)
    for width, height in SIZES:
        # the map, both towns and one town
        for frag in ("", "#comune=vigevano"):
            page, errors, external = open_offline(browser, (out / "mappa.html").as_uri() + frag, width=width, height=height)
            png = shots / f"map{frag.replace('#comune=', '-')}-{width}.png"
            page.screenshot(path=str(png))
            box = page.evaluate(_TOWN_BOX, frag.split("=")[-1] if frag else "")
            assert box["inside"], (frag, width)                            # the view fits the town (or both)
            assert box["map"][1] >= 0.6 * height                           # the map takes most of the screen
            if frag:
                assert box["fill"] > 0.6                                    # ... and the town fills it
            ink, colours = _ink(png)
            assert ink > 0.2 and colours > 12, (png.name, ink, colours)     # not blank
            assert errors == [] and external == []
            page.close()
        # the website's page with the embedded map (the snippet from embed.html)
        page, errors, external = open_offline(browser, published["host"].as_uri(), width=width, height=height)
        frames = page.locator("iframe")
        assert frames.count() == 2
        frames.first.scroll_into_view_if_needed()
        page.wait_for_timeout(400)
        page.screenshot(path=str(shots / f"host-{width}.png"))
        fb = frames.first.bounding_box()
        assert fb["width"] <= width and fb["height"] <= height             # the frame fits the screen
        inner = page.frames[1]
        inner.locator(".fm-legend-toggle").wait_for(timeout=3000)
        m = inner.evaluate(_TOWN_BOX, "")
        assert m["inside"] and m["map"][1] >= 0.6 * fb["height"]           # the map takes most of the frame
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        frames.first.screenshot(path=str(shots / f"host-frame-{width}.png"))
        ink, colours = _ink(shots / f"host-frame-{width}.png")
        assert ink > 0.2 and colours > 12
        frames.last.scroll_into_view_if_needed()
        page.wait_for_timeout(400)
        frames.last.screenshot(path=str(shots / f"host-frame-vigevano-{width}.png"))
        v = page.frames[2].evaluate(_TOWN_BOX, "vigevano")
        assert v["inside"] and v["fill"] > 0.6
        assert errors == [] and external == []
        page.close()
        # the atlas: index and an area page
        for rel, name in ((out / "atlas" / "index.html", "atlas-index"), (quarter, "atlas-area")):
            page, errors, external = open_offline(browser, rel.as_uri(), width=width, height=height)
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            svgs = page.evaluate("""() => [...document.querySelectorAll('main svg')].map(s => {
                const r = s.getBoundingClientRect(); return [r.width, r.height, r.right]; })""")
            assert svgs and all(w > 50 and h > 30 and right <= width + 1 for w, h, right in svgs), svgs
            page.screenshot(path=str(shots / f"{name}-{width}-top.png"))
            ink, colours = _ink(shots / f"{name}-{width}-top.png")
            assert ink > 0.05 and colours > 12, (name, width, ink, colours)
            data = page.locator("details.chart-data")
            if data.count():                                                # the charts' values, opened
                data.first.locator("summary").click()
                data.first.screenshot(path=str(shots / f"{name}-{width}-data.png"))
                assert data.first.locator("tbody tr").count() == 12
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert errors == [] and external == []
            page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_axe_finds_nothing_on_the_town_view_the_town_snippets_and_the_open_chart_tables(published, browser) -> None:
    from test_map_page import _axe_source

    axe = _axe_source()
    if axe is None:
        pytest.skip("axe-core not installed (npm install --no-save axe-core, or set FRAGMAP_AXE_JS)")
    out = published["out"]
    quarter = _fullest(out).relative_to(out).as_posix()
    pages = ["mappa.html#comune=vigevano", "embed.html", quarter, "atlas/categorie/totale.html", "atlas/index.html",
             "sito.html"]
    run = ("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
           "'best-practice']}}).then(r => r.violations.map(v => [v.id, v.nodes.map(n => n.target.join(' '))]))")
    found = {}
    for width, height in SIZES:
        for rel in pages:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.add_init_script(axe)
            path, _, frag = rel.partition("#")
            page.goto((out / path).as_uri() + (f"#{frag}" if frag else ""))
            page.wait_for_timeout(300)
            if rel.startswith("mappa"):
                if width < 600:
                    page.locator("#fm-options > summary").click()
                for box in ("#fm-services", "#fm-iso", "#fm-where"):
                    page.check(box)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # the chart tables
            v = page.evaluate(run)
            if v:
                found[f"{rel}@{width}"] = v
            page.close()
    assert found == {}
