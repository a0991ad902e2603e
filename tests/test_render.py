"""The published map and the atlas: only publications, escaped, deterministic, small, and they draw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factories import make_publication, open_offline
from fragmap.atlas import render_atlas
from fragmap.maps import render_map, safe_json, write_map

EVIL = "<script>alert(1)</script>"
QUALITY = {"read": 100, "accepted": 90, "rejected": 10, "geocoded_by_level": {"via": 50, "civico": 40}, "unassigned": 3}


def test_renderers_refuse_anything_but_a_publication(tmp_path: Path) -> None:
    pub = make_publication()
    with pytest.raises(TypeError, match="Publication"):
        render_map(pub.table)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Publication"):
        render_atlas(pub.areas, tmp_path, quality=QUALITY)  # type: ignore[arg-type]


def test_map_escapes_data_and_is_self_contained() -> None:
    html = render_map(make_publication(names=[EVIL, "A & B"]))
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the data table shows it as text
    assert "\\u003cscript\\u003e" in html                   # and the embedded JSON cannot close its tag
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', html)  # no CDN
    assert "Dati dimostrativi sintetici" in html
    assert "Confini comunali: ISTAT via openpolis" in html


def test_safe_json_cannot_break_out_of_a_script_tag() -> None:
    s = safe_json({"name": "</script><!--\u2028"})
    assert "</script" not in s and "<!--" not in s and "\u2028" not in s


def test_map_is_deterministic_and_small() -> None:
    pub = make_publication()
    a, b = render_map(pub), render_map(pub)
    assert a == b
    assert len(a.encode()) < 400_000


def test_map_shows_no_suppressed_value() -> None:
    pub = make_publication(seed=7)
    html = render_map(pub)
    counts = [int(x) for x in re.findall(r'data-fm-count="(\d+)"', html)]
    assert counts and all(c == 0 or c >= pub.threshold for c in counts)
    data = re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.S).group(1)
    import json

    cells = json.loads(data)["cells"]
    for month in cells.values():
        for layer in month.values():
            for v, s in zip(layer["value"], layer["suppressed"]):
                assert (v is None) == bool(s) or v is None
                assert v is None or v == 0 or v >= pub.threshold


def test_embed_snippet_is_written(tmp_path: Path) -> None:
    files = write_map(make_publication(), tmp_path)
    assert [f.name for f in files] == ["mappa.html", "embed.html"]
    embed = files[1].read_text(encoding="utf-8")
    assert '<iframe src="mappa.html"' in embed and "aspect-ratio:4/3" in embed and "padding-top" not in embed


def test_atlas_pages_escape_and_count_spans(tmp_path: Path) -> None:
    pub = make_publication(names=[EVIL])
    files = render_atlas(pub, tmp_path, quality=QUALITY)
    names = {f.relative_to(tmp_path).as_posix() for f in files}
    assert {"index.html", "atlas.css", "quartieri/PV-01.html", "categorie/totale.html", "categorie/anziani.html"} <= names
    for f in files:
        if f.suffix != ".html":
            continue
        text = f.read_text(encoding="utf-8")
        assert EVIL not in text, f
        assert "Dati dimostrativi sintetici" in text and "CC BY 4.0" in text
        for c in re.findall(r'data-fm-count="(\d+)"', text):
            assert int(c) == 0 or int(c) >= pub.threshold


def test_atlas_is_byte_identical_between_runs(tmp_path: Path) -> None:
    pub = make_publication()
    a = render_atlas(pub, tmp_path / "a", quality=QUALITY)
    b = render_atlas(pub, tmp_path / "b", quality=QUALITY)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_atlas_languages_do_not_mix(tmp_path: Path) -> None:
    render_atlas(make_publication(language="it"), tmp_path / "it", quality=QUALITY)
    render_atlas(make_publication(language="en"), tmp_path / "en", quality=QUALITY)
    it_text = (tmp_path / "it" / "quartieri" / "PV-01.html").read_text(encoding="utf-8")
    en_text = (tmp_path / "en" / "quartieri" / "PV-01.html").read_text(encoding="utf-8")
    for word in ("Residenti", "media del comune", "Servizi più vicini", "Torna all", "segnalazioni"):
        assert word in it_text and word not in en_text
    for word in ("Residents", "town average", "Nearest services", "Back to the index"):
        assert word in en_text and word not in it_text
    assert '<html lang="en">' in en_text
    assert "1.000" in it_text  # Italian number format ("per 1.000 residenti")


def test_atlas_print_css_keeps_a_quarter_per_page(tmp_path: Path) -> None:
    render_atlas(make_publication(), tmp_path, quality=QUALITY)
    css = (tmp_path / "atlas.css").read_text(encoding="utf-8")
    assert "@page { size: A4" in css and "break-before: page" in css and "break-inside: avoid" in css


# -- in a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_map_draws_switches_and_explains_offline(browser, tmp_path: Path, artifacts_dir: Path) -> None:
    import dataclasses

    import numpy as np

    pub = make_publication(names=[EVIL], seed=3)
    t = pub.table.copy()
    hide = (t["area_id"] == "PV-02") & (t["window"] == 12) & (t["category"] == "anziani")
    t.loc[hide, ["suppressed", "reason"]] = [True, "primary"]
    t.loc[hide, ["value", "rate_per_1000", "change_yoy", "share_of_town"]] = np.nan
    pub = dataclasses.replace(pub, table=t)
    write_map(pub, tmp_path)
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    polys = page.locator("path.leaflet-interactive")
    assert polys.count() == 9
    fills_total = [polys.nth(i).get_attribute("fill") for i in range(9)]
    page.check("input[name=fm-cat][value=anziani]")
    fills_cat = [polys.nth(i).get_attribute("fill") for i in range(9)]
    assert fills_cat != fills_total
    assert "url(#fm-hatch)" in fills_cat  # suppressed areas hatched
    page.select_option("#fm-month", pub.months[0])
    assert page.locator("#fm-map").get_attribute("data-state").startswith(pub.months[0])
    first = polys.nth(0)
    first.hover()
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=2000)
    assert EVIL in tip.text_content()  # shown as text, not run
    assert "gennaio 2026" in tip.text_content()
    assert page.evaluate("typeof window.alertCalled") == "undefined"
    page.focus("#fm-month")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "fm-cat"  # keyboard reaches the layers
    page.screenshot(path=str(artifacts_dir / "map.png"))
    assert errors == [] and external == []
    page.close()


@pytest.mark.browser
def test_atlas_pages_open_without_errors(browser, tmp_path: Path, artifacts_dir: Path) -> None:
    render_atlas(make_publication(), tmp_path, quality=QUALITY)
    for rel, shot in (("index.html", "atlas-index.png"), ("quartieri/PV-05.html", "atlas-quarter.png"),
                      ("categorie/anziani.html", "atlas-category.png")):
        page, errors, external = open_offline(browser, (tmp_path / rel).as_uri())
        assert page.locator("svg path").count() > 0
        page.screenshot(path=str(artifacts_dir / shot), full_page=True)
        assert errors == [] and external == [], rel
        page.close()
