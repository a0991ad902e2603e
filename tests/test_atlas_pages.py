"""The monthly atlas as a coordinator reads it: figures that agree, honest markers, one language,
a quarter per printed A4 sheet, phones without sideways scrolling, every page of the demo opening
cleanly in a real browser (issue 9 and its audit)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factories import CATEGORIES, make_publication, offline_route
from fragmap.atlas import (
    PdfError,
    access_cells,
    build_pages,
    check_pdf,
    display_name,
    print_document,
    render_atlas,
    write_pdf,
)
from fragmap.charts import HIGHLIGHT_FILL, bars_svg, trend_svg
from fragmap.publication import ALL_PARTNERS, TOTAL, Publication

QUALITY = {"read": 110, "accepted": 100, "rejected": 10,
           "geocoded_by_level": {"via": 50, "civico": 30, "coordinate": 10, "comune": 6, "non_trovato": 4},
           "unassigned": 3}
LAST = "2026-12"


# -- helpers ---------------------------------------------------------------------------------------
NAMES = {"it": {"anziani": "Anziani", "disabilita": "Disabilità", "fragilita_economica": "Fragilità economica",
                "minori_migranti": "Minori e migranti", "contesto_culturale": "Contesto culturale"},
         "en": {"anziani": "Older people", "disabilita": "Disability", "fragilita_economica": "Economic hardship",
                "minori_migranti": "Children and migrants", "contesto_culturale": "Cultural context"}}


def _pub(**kw: object) -> Publication:
    """The factory's publication with display names for the categories, as the pipeline gives."""
    pub = make_publication(**kw)  # type: ignore[arg-type]
    return dataclasses.replace(pub, labels=dict(NAMES[pub.language]))


def _mask(pub: Publication, area: str, category: str, months: tuple[str, ...] = (LAST,)) -> pd.Series:
    t = pub.table
    return ((t["area_id"] == area) & (t["category"] == category) & (t["window"] == 12)
            & (t["month"].isin(months)) & (t["partner"] == ALL_PARTNERS))


def _hide(pub: Publication, mask: pd.Series, reason: str) -> Publication:
    t = pub.table.copy()
    t.loc[mask, "suppressed"] = True
    t.loc[mask, "reason"] = reason
    t.loc[mask, ["value", "rate_per_1000", "change_yoy", "share_of_town"]] = np.nan
    return dataclasses.replace(pub, table=t)


def _show(pub: Publication, mask: pd.Series, value: float) -> Publication:
    t = pub.table.copy()
    pop = dict(zip(pub.areas["area_id"], pub.areas["population"]))
    t.loc[mask, "suppressed"] = False
    t.loc[mask, "reason"] = ""
    t.loc[mask, "value"] = value
    t.loc[mask, "rate_per_1000"] = value / t.loc[mask, "area_id"].map(pop) * 1000
    return dataclasses.replace(pub, table=t)


def _svg(html: str, label: str) -> str:
    m = re.search(r'<svg[^>]*aria-label="' + re.escape(label) + r'"[^>]*>(.*?)</svg>', html, re.S)
    assert m, label
    return m.group(1)


def _row(html: str, label: str) -> str:
    m = re.search(r'<tr[^>]*><th scope="row">' + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert m, label
    return m.group(1)


def _page(tmp: Path, pub: Publication, rel: str, quality: dict | None = None) -> str:
    render_atlas(pub, tmp, quality=quality or QUALITY)
    return (tmp / rel).read_text(encoding="utf-8")


class _Text(HTMLParser):
    """Visible text of a page plus the texts a reader meets in tooltips and screen readers."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("title", "aria-label", "alt") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


def _words(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(r"(?<![\w.])" + re.escape(w) + r"(?!\w)", text, re.I)]


# -- 1. the trend's end label is the table's figure --------------------------------------------------
def test_trend_end_label_is_the_reference_months_published_figure(tmp_path: Path) -> None:
    pub = _pub()
    pub = _show(pub, _mask(pub, "PV-01", TOTAL, ("2026-11",)), 30)
    pub = _hide(pub, _mask(pub, "PV-01", TOTAL), "primary")
    pub = _show(pub, _mask(pub, "PV-01", "anziani", ("2026-11",)), 40)
    pub = _hide(pub, _mask(pub, "PV-01", "anziani"), "secondary")
    html = _page(tmp_path, pub, "quartieri/PV-01.html")
    for label, shown in (("Totale", "&lt; 5"), ("Anziani", "n.d.")):
        end = re.search(r'fill="#24527a" text-anchor="end">([^<]*)</text>', _svg(html, label))
        assert end and end.group(1) == shown, (label, end and end.group(1))
        assert f">{shown}</span>" in _row(html, label)


def test_trend_without_an_end_label_never_shows_an_earlier_month() -> None:
    svg = trend_svg([12.0, 30.0, None], [False, False, True], ["a", "b", "c"], title="T")
    assert ">30<" not in svg


# -- 2. a cell hidden to protect another is "n.d.", not "< 5" ------------------------------------------
def test_protective_suppression_prints_nd_with_a_note(tmp_path: Path) -> None:
    pub = _pub()
    pub = _show(pub, _mask(pub, "PV-02", "anziani"), 40)
    pub = _hide(pub, _mask(pub, "PV-02", "anziani"), "secondary")
    render_atlas(pub, tmp_path, quality=QUALITY)
    for rel in ("quartieri/PV-02.html", "categorie/anziani.html"):
        html = (tmp_path / rel).read_text(encoding="utf-8")
        row = _row(html, "Anziani") if rel.startswith("quartieri") else re.search(
            r'PV-02\.html">Quartiere 2</a></th>(.*?)</tr>', html, re.S).group(1)
        assert 'data-fm-count="suppressed"' in row and ">n.d.</span>" in row, rel
        assert "&lt; 5" not in row, rel
        assert "per non permettere di ricalcolare un dato piccolo" in html
    primary = _hide(_pub(), _mask(_pub(), "PV-02", "anziani"), "primary")
    assert ">&lt; 5</span>" in _row(_page(tmp_path / "p", primary, "quartieri/PV-02.html"), "Anziani")


# -- 3. index: geocoding rate, ranking with explained index, hidden areas last and hatched -------------
def test_index_shows_the_geocoding_rate_and_levels_in_order(tmp_path: Path) -> None:
    html = _page(tmp_path, _pub(), "index.html")
    text = _visible(html)
    assert "90,0%" in text and "90 su 100" in text  # coordinate + civico + via of 100
    pos = [text.index(w) for w in ("coordinate fornite", "numero civico", "via (senza civico)",
                                   "solo comune", "non trovato")]
    assert pos == sorted(pos)


def test_index_says_when_ingest_figures_are_unknown(tmp_path: Path) -> None:
    html = _page(tmp_path, _pub(), "index.html", {**QUALITY, "read": None, "rejected": None})
    text = _visible(html)
    assert re.search(r"Righe lette:\s+—", text) and re.search(r"Righe scartate[^:]*:\s+—", text)
    assert "fragmap run" in text


def _with_index(pub: Publication, values: dict[str, float]) -> Publication:
    fi = pd.DataFrame({"area_id": list(values), "index_value": list(values.values())})
    fi["rank"] = fi["index_value"].rank(ascending=False, method="min").astype(int)
    fi["top_decile"] = False
    return dataclasses.replace(pub, extras={"fragility_index": fi})


def test_ranking_explains_the_index_puts_hidden_areas_last_and_sorts_ties(tmp_path: Path) -> None:
    pub = _pub()
    for c in (*CATEGORIES, TOTAL):
        pub = _hide(pub, _mask(pub, "PV-09", c), "primary")
    pub = _show(pub, _mask(pub, "PV-02", TOTAL), 10)   # rate 10 / 1250 residents
    pub = _show(pub, _mask(pub, "PV-03", TOTAL), 30)   # rate 30 / 1500 residents: higher
    pub = _with_index(pub, {"PV-01": 90, "PV-02": 50, "PV-03": 50, "PV-04": 30, "PV-05": 10,
                            "PV-06": 70, "PV-07": 45, "PV-08": 15, "PV-09": 5})
    html = _page(tmp_path, pub, "index.html")
    body = re.search(r"<tbody>(.*?)</tbody>", html.split("Classifica delle aree")[1], re.S).group(1)
    rows = re.findall(r"<tr[^>]*><td>([^<]*)</td><th scope=\"row\"><a href=\"quartieri/(PV-\d\d)\.html\".*?<td>([^<]*)</td></tr>", body, re.S)
    order = [a for _, a, _ in rows]
    assert order[-1] == "PV-09" and rows[-1][0] == "—" and rows[-1][2] == "n.d."
    assert order.index("PV-03") < order.index("PV-02")          # a tie: higher total rate first
    ranks = {a: r for r, a, _ in rows}
    assert ranks["PV-02"] == ranks["PV-03"]                      # and the same rank number
    assert "va da 0 a 100" in _visible(html)                     # what the index is
    maps = re.findall(r'<svg[^>]*class="map"[^>]*aria-label="Indice composito[^"]*"[^>]*>.*?</svg>', html, re.S)
    assert maps and any("url(#" in m for m in maps)               # hidden area hatched
    fills = {f for m in maps for f in re.findall(r'fill="(#[0-9a-f]{6})" stroke="#fff"', m)}
    assert len(fills) >= 4                                        # real classes, not two


# -- 4. quarter pages ----------------------------------------------------------------------------------
def _with_partners_and_coverage(pub: Publication) -> Publication:
    t = pub.table
    town = t[(t["area_id"] == "Pavia") & (t["category"] == TOTAL) & (t["month"] == LAST) & (t["window"] == 12)]
    rows = []
    for code, value in (("auser", 40.0), ("anffas", 25.0)):
        r = town.iloc[0].copy()
        r["partner"], r["value"], r["rate_per_1000"] = code, value, value / 10
        r["value_prev"], r["change_yoy"], r["change_status"] = value - 2, value / (value - 2) - 1, "stabile"
        rows.append(r)
    table = pd.concat([t, pd.DataFrame(rows)], ignore_index=True)
    cov = pd.DataFrame([
        {"area_id": "PV-01", "category": "anziani", "share_within_5": 0.2, "share_within_10": 0.72,
         "share_within_15": np.nan, "median_minutes": 7.0, "suppressed": False},
        {"area_id": "PV-01", "category": "disabilita", "share_within_5": np.nan, "share_within_10": np.nan,
         "share_within_15": np.nan, "median_minutes": np.nan, "suppressed": True},
        {"area_id": "PV-01", "category": "minori_migranti", "share_within_5": 0.0, "share_within_10": 0.5,
         "share_within_15": 0.9, "median_minutes": 9.0, "suppressed": False},
    ])
    cov["method"] = "distanza in linea d'aria × 1,3"
    pub = dataclasses.replace(pub, table=table, coverage=cov,
                              labels={**pub.labels, "auser": "Auser Pavia", "anffas": "Anffas"})
    return _show(pub, _mask(pub, "PV-01", "fragilita_economica"), 0)


def test_quarter_page_partners_access_trends_and_locator(tmp_path: Path) -> None:
    pub = _with_partners_and_coverage(_pub())
    pub = _hide(pub, _mask(pub, "PV-01", "contesto_culturale", pub.months), "primary")
    html = _page(tmp_path, pub, "quartieri/PV-01.html")
    # partners: the town's figures, said to be the town's, with rates
    auser = _row(html, "Auser Pavia")
    assert 'data-fm-count="40"' in auser and "4,0" in auser
    assert "(dato del comune)" in html
    # access: 10 and 15 minutes both or neither; hidden is not "no service" is not "no report"
    anziani = re.findall(r'<tr data-access="[a-z_]+"><th scope="row">Anziani</th>(.*?)</tr>', html, re.S)[0]
    assert "72%" not in anziani and "nascosto" in anziani
    assert "nascosto (meno di 5 segnalazioni)" in html                      # disabilita
    assert "nessuna segnalazione di questa categoria" in html               # fragilita_economica
    minori = re.findall(r'<tr data-access="shown"><th scope="row">Minori e migranti</th>(.*?)</tr>', html, re.S)[0]
    assert "50%" in minori and "90%" in minori
    # a trend with every month hidden says so instead of drawing an empty chart
    cc = _svg(html, "Contesto culturale")
    assert "dati nascosti (sotto la soglia)" in cc and "<polyline" not in cc
    # the locator fills the area it points at
    loc = re.search(r'<figure class="locator">(.*?)</figure>', html, re.S).group(1)
    assert f'fill="{HIGHLIGHT_FILL}" stroke="#000"' in loc


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"share_within_5": 0.39, "share_within_10": 0.72, "share_within_15": np.nan, "median_minutes": 7.0},
         (None, None, None)),
        ({"share_within_5": 0.0, "share_within_10": np.nan, "share_within_15": 1.0, "median_minutes": 9.0},
         (0.0, None, None)),
        ({"share_within_5": 0.1, "share_within_10": 0.5, "share_within_15": 0.9, "median_minutes": 9.0},
         (0.1, 0.5, 0.9)),
    ],
)
def test_access_shares_never_show_10_minutes_without_15(record: dict, expected: tuple) -> None:
    st = access_cells({**record, "suppressed": False})
    assert st["state"] == "shown" and (st["s5"], st["s10"], st["s15"]) == expected


def test_access_states_are_distinct() -> None:
    assert access_cells(None, zero_reports=True)["state"] == "none"
    assert access_cells({"suppressed": True})["state"] == "hidden"
    no_service = {"share_within_5": 0.0, "share_within_10": 0.0, "share_within_15": 0.0,
                  "median_minutes": float("inf"), "suppressed": False}
    assert access_cells(no_service)["state"] == "no_service"


# -- 6. one language per page ------------------------------------------------------------------------
def test_english_pages_translate_grid_names_and_missing_values(tmp_path: Path) -> None:
    assert display_name("Pavia · cella 02-04 + Pavia · cella 02-05", "en") == "Pavia · cell 02-04 + Pavia · cell 02-05"
    assert display_name("Pavia · cella 02-04", "it") == "Pavia · cella 02-04"
    pub = _pub(language="en", names=["Pavia · cella 01-01"])
    pub = _hide(pub, _mask(pub, "PV-01", "anziani"), "secondary")
    html = _page(tmp_path, pub, "quartieri/PV-01.html")
    assert "Pavia · cell 01-01" in html and "cella" not in html
    assert _words(_visible(html), ("n.d.", "nascosto", "segnalazioni", "residenti")) == []
    assert "n/a" in _svg(html, "per 1,000 residents")
    assert "n.d." not in bars_svg([("a", None, None)], title="t")  # no Italian default in the charts


# -- 7. print ------------------------------------------------------------------------------------------
def test_print_css_prints_colours_and_keeps_the_footer_with_its_quarter(tmp_path: Path) -> None:
    render_atlas(_pub(), tmp_path, quality=QUALITY)
    css = (tmp_path / "atlas.css").read_text(encoding="utf-8")
    assert "print-color-adjust:exact" in css.replace(" ", "") and "-webkit-print-color-adjust" in css
    flat = css.replace(" ", "")
    assert not re.search(r"article\.quarter\{[^}]*break-after:page", flat)   # pushed the footer to a 4th sheet
    assert re.search(r"h2[^{]*\{[^}]*break-after:avoid", flat)              # no orphaned headings
    assert re.search(r"figure[^{]*\{[^}]*break-inside:avoid", flat)         # legends stay with their map
    assert re.search(r"svg\{max-width:100%;height:auto;?\}", flat)           # phones


def test_print_document_puts_each_page_on_its_own_sheet(tmp_path: Path) -> None:
    pages = build_pages(_pub(), quality=QUALITY)
    doc = print_document(pages)
    n_html = sum(1 for k in pages if k.endswith(".html"))
    assert doc.count('<section class="sheet"') == n_html
    assert 'href="#p-quartieri-PV-01"' in doc and "<style>" in doc and "atlas.css" not in doc


def test_pdf_without_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import fragmap.atlas as atlas_mod

    monkeypatch.setattr(atlas_mod, "CHROMIUM_PATHS", ())
    with pytest.raises(PdfError, match="apt-get install chromium"):
        check_pdf()
    render_atlas(_pub(), tmp_path, quality=QUALITY)
    with pytest.raises(PdfError, match="HTML atlas is complete"):
        write_pdf(tmp_path)


# -- 10. the `atlas` command --------------------------------------------------------------------------
def test_atlas_command_documents_pdf_and_refuses_a_non_atlas_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main

    result = CliRunner().invoke(main, ["atlas", "--help"])
    assert result.exit_code == 0 and "--pdf" in result.output
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["atlas", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "non è una cartella pubblicata da fragmap" in result.output
    assert "notes.txt" in result.output and (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


# == the demo atlas (Italian and English), built once for the tests below ================================
@pytest.fixture(scope="module")
def demo_atlas(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo project ingested once; its publication in both languages; the atlas written in both."""
    from fragmap.pipeline import Project, _quality

    from factories import demo_project_settings

    tmp = tmp_path_factory.mktemp("atlas-demo")
    s = demo_project_settings(tmp)
    project = Project(s)
    ingest = project.ingest()
    pub = project.with_access("2026-10")
    quality = _quality(ingest, project.assigned("2026-10"), "2026-10")
    en_project = Project(dataclasses.replace(s, language="en"))
    pub_en = en_project.with_access("2026-10")
    out = {"it": tmp / "it", "en": tmp / "en"}
    files = {"it": render_atlas(pub, out["it"], quality=quality, services=project.locate_services()),
             "en": render_atlas(pub_en, out["en"], quality=quality, services=en_project.locate_services())}
    return {"project": project, "pub": pub, "pub_en": pub_en, "quality": quality, "out": out, "files": files,
            "tmp": tmp}


ITALIAN = ("nascosto", "nascosti", "segnalazioni", "residenti", "cella", "n.d.", "comune", "mesi",
           "categoria", "rispetto", "dati", "stima", "nessuna", "quota", "entro", "Torna", "Fonti")
ENGLISH = ("hidden", "reports", "residents", "cell", "n/a", "town", "months", "within", "share",
           "estimate", "Sources", "Back", "median")


@pytest.mark.slow
def test_demo_atlas_pages_speak_one_language(demo_atlas: dict) -> None:
    for lang, foreign in (("en", ITALIAN), ("it", ENGLISH)):
        bad = {}
        for f in demo_atlas["files"][lang]:
            if f.suffix != ".html":
                continue
            text = _visible(f.read_text(encoding="utf-8"))
            found = _words(text, foreign)
            if found:
                bad[f.name] = found
        assert bad == {}, (lang, dict(list(bad.items())[:5]))


@pytest.mark.slow
def test_demo_atlas_is_byte_identical_between_runs(demo_atlas: dict, tmp_path: Path) -> None:
    d = demo_atlas
    again = render_atlas(d["pub"], tmp_path / "again", quality=d["quality"], services=d["project"].locate_services())
    first = d["files"]["it"]
    assert [p.relative_to(d["out"]["it"]) for p in first] == [p.relative_to(tmp_path / "again") for p in again]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, again))


@pytest.mark.slow
def test_demo_category_pages_draw_one_panel_per_town_and_explain_yoy(demo_atlas: dict) -> None:
    html = (demo_atlas["out"]["it"] / "categorie" / "anziani.html").read_text(encoding="utf-8")
    towns = re.findall(r'<figure class="town-maps keep">(.*?)</div>\s*</figure>', html, re.S)
    assert len(towns) == 2
    for block in towns:
        svgs = re.findall(r'<svg[^>]*width="(\d+)" height="(\d+)"', block)
        assert len(svgs) == 12 and all(int(w) >= 200 and int(h) >= 170 for w, h in svgs)
        assert 'class="legend"' in block                                   # the legend with its maps
    assert "un anno prima non c'erano ancora 12 mesi completi" in _visible(html)     # why "n.d." a year before


@pytest.mark.slow
def test_demo_index_ranks_and_reports_quality(demo_atlas: dict) -> None:
    html = (demo_atlas["out"]["it"] / "index.html").read_text(encoding="utf-8")
    text = _visible(html)
    q = demo_atlas["quality"]
    lv = q["geocoded_by_level"]
    placed = (lv.get("coordinate", 0) + lv.get("civico", 0) + lv.get("via", 0)) / sum(lv.values())
    assert f"{placed * 100:.1f}".replace(".", ",") + "%" in text
    rejected = 5000 - len(demo_atlas["project"].reports())  # rows read = stored + rejected
    assert re.search(r"Righe lette:\s+5\.000", text)
    assert re.search(rf"Righe scartate \(da correggere e rinviare\):\s+{rejected}\b", text) and 100 < rejected < 250
    body = re.search(r"<tbody>(.*?)</tbody>", html.split("Classifica delle aree")[1], re.S).group(1)
    marks = re.findall(r"<tr( class=\"no-index\")?>", body)
    hidden = [bool(m) for m in marks]
    assert hidden == sorted(hidden)                                        # "n.d." only at the bottom


@pytest.mark.slow
def test_ingest_figures_come_from_the_store(demo_atlas: dict) -> None:
    from fragmap.pipeline import last_ingest_figures

    stored = len(demo_atlas["project"].reports())
    assert last_ingest_figures(demo_atlas["project"]) == {"read": 5000, "rejected": 5000 - stored}
    assert 0 < 5000 - stored < 5000


# -- 7-9. the whole demo atlas in a real browser --------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_every_demo_page_opens_cleanly_and_fits_a_phone(browser, demo_atlas: dict, artifacts_dir: Path) -> None:
    root = demo_atlas["out"]["it"]
    pages = [p for p in demo_atlas["files"]["it"] if p.suffix == ".html"]
    assert len(pages) > 90
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    errors: list[str] = []
    external: list[str] = []
    ctx.route("**/*", offline_route(external))
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    wide = {}
    for p in pages:
        page.goto(p.as_uri(), wait_until="load")
        w = page.evaluate("document.documentElement.scrollWidth")
        if w > 375:
            wide[p.relative_to(root).as_posix()] = w
    assert errors == [] and external == []
    assert wide == {}, wide
    page.goto((root / "index.html").as_uri())
    page.screenshot(path=str(artifacts_dir / "atlas-demo-index-phone.png"), full_page=True)
    page.close()
    ctx.close()
    desk = browser.new_page(viewport={"width": 1100, "height": 900})
    desk.goto((root / "index.html").as_uri())
    desk.screenshot(path=str(artifacts_dir / "atlas-demo-index.png"), full_page=True)
    quarter = max(sorted((root / "quartieri").glob("*.html")), key=lambda p: p.stat().st_size)  # the fullest
    desk.goto(quarter.as_uri())
    desk.screenshot(path=str(artifacts_dir / "atlas-demo-quarter.png"), full_page=True)
    desk.close()


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.mark.browser
@pytest.mark.slow
def test_a_printed_quarter_fits_one_a4_sheet(browser, demo_atlas: dict, artifacts_dir: Path) -> None:
    root = demo_atlas["out"]["it"]
    quarters = sorted((root / "quartieri").glob("*.html"), key=lambda p: (-p.stat().st_size, p.name))
    page = browser.new_page()
    for q in quarters[:6]:                       # the fullest pages
        page.goto(q.as_uri())
        data = page.pdf(prefer_css_page_size=True)   # as Ctrl+P prints it (no "background graphics")
        assert _pdf_pages(data) == 1, q.name
    (artifacts_dir / "atlas-demo-quarter.pdf").write_bytes(data)
    page.close()


@pytest.mark.browser
def test_legend_swatches_print_without_background_graphics(browser, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    render_atlas(_pub(), tmp_path, quality=QUALITY)
    (tmp_path / "legend.html").write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="atlas.css"></head><body>'
        '<ul class="legend"><li><span class="sw" style="background:#440154;width:4cm;height:4cm"></span></li></ul>'
        "</body></html>", encoding="utf-8")
    page = browser.new_page()
    page.goto((tmp_path / "legend.html").as_uri())
    (tmp_path / "legend.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
    page.close()
    subprocess.run(["pdftoppm", "-png", "-r", "20", "-singlefile", str(tmp_path / "legend.pdf"),
                    str(tmp_path / "legend")], check=True)
    from PIL import Image

    px = np.asarray(Image.open(tmp_path / "legend.png").convert("RGB")).reshape(-1, 3).astype(int)
    purple = (np.abs(px - np.array([0x44, 0x01, 0x54])).sum(axis=1) < 40).sum()
    assert purple > 50


@pytest.mark.browser
@pytest.mark.slow
def test_the_whole_atlas_prints_to_one_pdf(demo_atlas: dict, artifacts_dir: Path) -> None:
    import sys

    from fragmap.atlas import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium not installed (make test installs it)")
    src = demo_atlas["out"]["it"]
    work = demo_atlas["tmp"] / "pdf"
    shutil.copytree(src, work)
    # in a process of its own, as `fragmap atlas --pdf` runs it (Playwright's sync API owns its loop)
    subprocess.run([sys.executable, "-c", "import sys; from fragmap.atlas import write_pdf; write_pdf(sys.argv[1])",
                    str(work)], check=True, timeout=300)
    data = (work / "atlas.pdf").read_bytes()
    n_quarters = len(list((work / "quartieri").glob("*.html")))
    assert data.startswith(b"%PDF")
    assert n_quarters + 1 < _pdf_pages(data) <= n_quarters + 30     # a sheet per quarter, a few for the rest
    shutil.copy(work / "atlas.pdf", artifacts_dir / "atlas-demo.pdf")


def test_no_service_address_is_followed_by_a_number(tmp_path) -> None:
    """A distance printed right after a service address ("VIA X (100 m)") reads as the address
    "via x 100": if a report was typed there, the privacy audit (rightly) refuses the page."""
    import re

    from factories import make_publication
    from shapely.geometry import Point

    import geopandas as gpd
    from fragmap.atlas import render_atlas

    pub = make_publication()
    c = pub.areas[pub.areas["level"] == "quarter"].to_crs(32632).geometry.centroid.to_crs(4326).iloc[0]
    svc = gpd.GeoDataFrame({"service_id": ["S1"], "name": ["Farmacia Esempio"], "type": ["pharmacy"],
                            "address": ["VIA GRAVELLONA"], "town": ["Pavia"]},
                           geometry=[Point(c.x + 0.0005, c.y)], crs=4326)
    render_atlas(pub, tmp_path, quality={}, services=svc)
    text = " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "quartieri").glob("*.html"))
    assert "VIA GRAVELLONA" in text
    assert not re.search(r"VIA GRAVELLONA\W{0,3}\d", text)


def test_every_table_has_a_caption_scroll_boxes_take_the_keyboard_and_no_favicon_404(tmp_path: Path) -> None:
    render_atlas(_pub(), tmp_path, quality=QUALITY)
    pages = sorted(tmp_path.rglob("*.html"))
    kinds = {p.parent.name for p in pages}
    assert {"categorie", "quartieri"} <= kinds
    for p in pages:
        html = p.read_text(encoding="utf-8")
        if "<table" not in html:
            continue
        assert html.count("<table") == html.count("<caption"), p.name   # every table is named
        boxes = re.findall(r'<div class="scroll"[^>]*>', html)
        assert boxes and all('tabindex="0"' in b and 'role="region"' in b and re.search(r'aria-label="[^"]+"', b)
                             for b in boxes), p.name
        assert '<link rel="icon" href="data:' in html, p.name


@pytest.mark.browser
def test_chart_labels_print_at_8_pt_or_more(browser, tmp_path: Path) -> None:
    render_atlas(_pub(), tmp_path, quality=QUALITY)
    page = browser.new_page(viewport={"width": 710, "height": 1000})  # A4 less the print margins
    page.emulate_media(media="print")
    sizes = """() => [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length).map(t => {
        const m = t.getScreenCTM(), fs = parseFloat(getComputedStyle(t).fontSize);
        return [fs * Math.hypot(m.a, m.b) * 0.75, t.textContent]; })"""  # CSS px to pt
    seen = 0
    for rel in ("index.html", "quartieri/PV-01.html", "categorie/anziani.html"):
        page.goto((tmp_path / rel).as_uri())
        got = page.evaluate(sizes)
        seen += len(got)
        small = [(round(pt, 1), text) for pt, text in got if pt < 7.95]
        assert not small, (rel, small[:5])
    assert seen > 20  # the bar chart, its "media del comune" and the trends' axes were measured
    page.close()
