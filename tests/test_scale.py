"""One scale for every renderer (#16.2) and honest "unknown" and "zero" on the maps (#15.8).

Classes, palettes, the rate per 1,000 and the fills of hidden or missing figures come from
:mod:`fragmap.classify`; the atlas, the published map and the notebook figures must show
exactly what it decides.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from factories import make_publication
from shapely.geometry import box

from fragmap import classify
from fragmap.classify import (
    PATTERNS,
    blend,
    class_labels,
    contrast_ratio,
    index_classes,
    palette,
    rate_per_1000,
    shown_rate,
)
from fragmap.i18n import format_number
from fragmap.publication import TOTAL

ROOT = Path(__file__).resolve().parents[1]
MONTHS = [str(pd.Period("2026-10", freq="M") - i) for i in range(23, -1, -1)]
QUALITY = {"read": 10, "accepted": 10, "rejected": 0, "geocoded_by_level": {"civico": 10}, "unassigned": 0}


# -- fixtures: a network published by privacy.publish --------------------------------------------
def _quarters() -> gpd.GeoDataFrame:
    """Six quarters of Pavia: Q0-Q4 side by side with 1,000 residents; Q5, apart, with none."""
    geoms = [box(9.10 + 0.01 * i, 45.18, 9.11 + 0.01 * i, 45.19) for i in range(5)]
    geoms.append(box(9.30, 45.30, 9.31, 45.31))  # no neighbour: it cannot be merged away
    return gpd.GeoDataFrame(
        {"quarter_id": [f"Q{i}" for i in range(6)], "name": [f"Quartiere {i}" for i in range(6)], "town": "Pavia",
         "population": [1000.0] * 5 + [0.0], "pop_65": [250.0] * 5 + [0.0], "population_estimated": True,
         "source": "griglia"},
        geometry=geoms, crs=4326)


def _cube(settings, busy: dict[str, int]) -> pd.DataFrame:
    """``busy[q]`` reports a month in every category of quarter q; the other quarters have none."""
    rows = []
    for q in _quarters()["quarter_id"]:
        for m in MONTHS:
            for c in settings.categories:
                for p in c.partners:
                    for k, a in enumerate(settings.actions):
                        rows.append((q, "Pavia", m, c.code, p, a, busy.get(q, 0) if k == 0 else 0))
    return pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action", "count"])


@pytest.fixture
def network(settings):
    from fragmap.privacy import publish

    cube = _cube(settings, {"Q0": 3, "Q1": 2})  # Q2-Q4: residents, no reports; Q5: no residents
    return publish(cube, _quarters(), settings, months=MONTHS[-12:], synthetic=True, quarter_source="griglia")


# -- the composite index: zero at the bottom, no residents no index --------------------------------
def test_populated_areas_without_reports_have_index_0_and_no_residents_no_index(network) -> None:
    fi = network.extras["fragility_index"].set_index("area_id")
    for q in ("Q2", "Q3", "Q4"):  # residents, no report: the bottom, not the middle of the ties
        assert fi.loc[q, "index_value"] == 0.0
        assert index_classes().index(fi.loc[q, "index_value"]) == 0
    assert fi.loc["Q0", "index_value"] > fi.loc["Q1", "index_value"] > 0
    assert pd.isna(fi.loc["Q5", "index_value"]) and pd.isna(fi.loc["Q5", "rank"])  # nothing to divide by
    assert fi.loc["Q2", "rank"] > fi.loc["Q1", "rank"]


def test_a_zero_ranks_0_not_the_mean_rank_of_the_ties() -> None:
    """The demo's case: most areas have no report; before, they all got the middle (40.8)."""
    from fragmap.privacy import fragility_index

    areas = [f"A{i}" for i in range(10)]
    rows = [{"area_id": a, "category": c, "suppressed": False,
             "rate_per_1000": float(i) if i >= 6 else 0.0} for c in ("x", "y") for i, a in enumerate(areas)]
    fi = fragility_index(pd.DataFrame(rows), categories=["x", "y"]).set_index("area_id")
    assert (fi.loc[areas[:6], "index_value"] == 0.0).all()
    # the areas with reports are ranked among themselves: 25, 50, 75, 100 (not 70-100, all "high")
    assert fi.loc[["A6", "A7", "A8", "A9"], "index_value"].tolist() == [25.0, 50.0, 75.0, 100.0]


def _atlas(tmp: Path, pub, rel: str) -> str:
    from fragmap.atlas import render_atlas

    render_atlas(pub, tmp, quality=QUALITY)
    return (tmp / rel).read_text(encoding="utf-8")


def _index_legend(html: str) -> str:
    return re.search(r'<figure class="index-map[^"]*">.*?<ul class="legend">(.*?)</ul>', html, re.S).group(1)


def _index_map_fills(html: str) -> dict[str, str]:
    """Area name -> fill on the atlas's index maps."""
    out = {}
    for m in re.findall(r'<svg[^>]*class="map"[^>]*aria-label="Indice composito[^"]*"[^>]*>(.*?)</svg>', html, re.S):
        for fill, title in re.findall(r'<path d="[^"]*" fill="([^"]+)"[^>]*><title>([^<]*)</title>', m):
            out[title.split(":")[0]] = fill
    return out


def test_atlas_index_zero_class_and_not_computable(network, tmp_path: Path) -> None:
    html = _atlas(tmp_path, network, "index.html")
    fills = _index_map_fills(html)
    colours = index_classes().colours
    assert fills["Quartiere 2"] == colours[0]                       # no report: the lowest class
    assert fills["Quartiere 0"] == colours[5] and fills["Quartiere 1"] == colours[3]  # 100 and 50
    assert re.fullmatch(r"url\(#[^)]*-missing\)", fills["Quartiere 5"])  # no residents: "no data" pattern
    legend = _index_legend(html)
    assert "0: nessuna segnalazione nelle categorie pubblicate" in legend
    assert "non calcolabile: area senza residenti" in legend
    assert "40,1 – 60,0" in legend
    assert "vale 0 per quella categoria" in html and "«non calcolabile»" in html  # and the note says why
    row5 = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Quartiere 5(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "non calcolabile" in row5 and 'class="no-index"' in row5
    row2 = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Quartiere 2(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "<td>0,0</td>" in row2


# -- one set of index classes reaches the atlas and the notebook map ------------------------------
def test_one_index_scale_reaches_atlas_and_notebook_map(network, tmp_path: Path, monkeypatch) -> None:
    """Change the breaks in classify, and both renderers change with them: nothing else decides."""
    import matplotlib

    matplotlib.use("Agg")
    from fragmap.explore import plot_choropleth

    monkeypatch.setattr(classify, "INDEX_BREAKS", (35.0, 100.0))
    expected = class_labels(index_classes(), "it")
    assert expected == ["0", "0,1 – 35,0", "35,1 – 100,0"]
    html = _atlas(tmp_path, network, "index.html")
    legend = _index_legend(html)
    atlas_labels = re.findall(r"</span>([^<]*)</li>", legend)
    assert atlas_labels[1:3] == expected[1:]
    assert len(atlas_labels) == 3 + 1  # the three classes and "not computable"
    fig = plot_choropleth(network, column="fragility_index")
    leg = next(a.get_legend() for a in fig.axes if a.get_legend()) if not fig.legends else fig.legends[0]
    fig_labels = [t.get_text() for t in leg.get_texts()]
    assert fig_labels[1:3] == expected[1:]
    swatches = [matplotlib.colors.to_hex(h.get_facecolor()) for h in leg.legend_handles[:3]]
    assert swatches == list(index_classes().colours)
    atlas_swatches = re.findall(r'background:(#[0-9a-f]{6})"', legend)
    assert atlas_swatches == swatches


# -- palettes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(classify.PALETTES))
def test_palette_honours_its_name_beyond_five(name: str) -> None:
    base = classify.PALETTES[name]
    for k in (6, 7, 9):
        p = palette(k, name)
        assert len(p) == k == len(set(p))
        assert p[0] == base[0] and p[-1] == base[-1]
        others = [palette(k, o) for o in classify.PALETTES if o != name]
        assert all(p != o for o in others)
    assert palette(5, name) == list(base)
    with pytest.raises(ValueError, match="unknown palette"):
        palette(6, "rainbow")


# -- the rate per 1,000: computed once, shown the same everywhere ----------------------------------
def test_rate_per_1000_is_one_function() -> None:
    assert rate_per_1000(3, 1200) == 2.5
    assert np.isnan(rate_per_1000(3, 0)) and np.isnan(rate_per_1000(3, float("nan")))
    s = rate_per_1000(pd.Series([1.0, 2.0, np.nan]), pd.Series([400.0, 0.0, 10.0]))
    assert s.iloc[0] == 2.5 and s.iloc[1:].isna().all()
    assert shown_rate(0.04) == 0.1 and shown_rate(0.0) == 0.0 and shown_rate(2.25) == 2.3 and shown_rate(None) is None


def test_publish_uses_the_one_rate(network) -> None:
    t = network.cells(month=network.month, level="quarter", category=TOTAL).set_index("area_id")
    pop = dict(zip(network.areas["area_id"], network.areas["population"]))
    for a in ("Q0", "Q1", "Q2"):
        assert t.loc[a, "rate_per_1000"] == rate_per_1000(t.loc[a, "value"], pop[a])
    assert np.isnan(t.loc["Q5", "rate_per_1000"])


def _map_html(pub) -> str:
    from fragmap.maps import render_map

    return render_map(pub)


def _map_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.S).group(1))


def test_rate_identical_in_map_data_map_table_and_atlas(tmp_path: Path) -> None:
    pub = make_publication(seed=4)
    html = _map_html(pub)
    data = _map_data(html)
    names = data["areas"]["name"]
    page = _atlas(tmp_path, pub, f"categorie/{TOTAL}.html")
    atlas_rates = dict(re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th><td class="txt">[^<]*</td>'
                                  r"<td>.*?</td><td>([^<]*)</td>", page))
    table_rates = dict(re.findall(r'<tr tabindex="0" data-fm-area="\d+"><th scope="row">([^<]*)</th>.*?<td>([^<]*)</td></tr>',
                                  html, re.S))
    cells = data["cells"][pub.month][TOTAL]
    checked = 0
    for i, name in enumerate(names):
        r = cells["rate"][i]
        expected = "n.d." if r is None else format_number(r, "it", 1)
        assert atlas_rates[name] == expected, name
        assert table_rates[name] == expected, name
        checked += r is not None
    assert checked >= 3
    # and the map's rate is the published one as shown, never recomputed
    want = pub.cells(month=pub.month, window=12, level="quarter", category=TOTAL).set_index("area_id")["rate_per_1000"]
    ids = sorted(pub.areas.loc[pub.areas["level"] == "quarter", "area_id"])
    assert cells["rate"] == [shown_rate(want.get(a)) for a in ids]
    js = (ROOT / "fragmap" / "static" / "map" / "fragmap-map.js").read_text(encoding="utf-8")
    assert "10000" not in js and "/ p *" not in js  # the page does not compute a rate


# -- the three "unknown" fills: visible, and different from each other and from the classes -------
def _ink_and_ground(svg_pattern: str) -> tuple[str, str]:
    ground = re.search(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg_pattern).group(1)
    ink = re.search(r'(?:stroke|<circle[^>]*fill)="(#[0-9a-f]{6})"', svg_pattern).group(1)
    return ink, ground


def _map_backgrounds() -> tuple[str, list[float]]:
    css = (ROOT / "fragmap" / "static" / "map" / "fragmap-map.css").read_text(encoding="utf-8")
    js = (ROOT / "fragmap" / "static" / "map" / "fragmap-map.js").read_text(encoding="utf-8")
    bg = re.search(r"\.folium-map \{[^}]*background:(#[0-9a-f]{6})", css).group(1)
    opacities = [float(x) for x in re.findall(r"BG_FILL_OPACITY = ([0-9.]+)", js)]
    opacities += [float(x) for x in re.findall(r"fillOpacity: D\.background \? BG_FILL_OPACITY : ([0-9.]+)", js)]
    assert len(opacities) == 2
    return bg, opacities


def test_unknown_patterns_have_3_to_1_contrast_on_the_map_and_atlas(tmp_path: Path) -> None:
    pub = make_publication(seed=3)
    data = _map_data(_map_html(pub))
    bg, opacities = _map_backgrounds()
    seen = {}
    for key in ("primary", "protective", "missing"):
        ink, ground = _ink_and_ground(data["patterns"][key]["svg"])
        seen[key] = data["patterns"][key]["svg"]
        for alpha in opacities:  # drawn at the map's fill opacity, over its background
            over_bg = contrast_ratio(blend(ink, bg, alpha), bg)
            within = contrast_ratio(blend(ink, bg, alpha), blend(ground, bg, alpha))
            assert over_bg >= 3.0 and within >= 3.0, (key, alpha, over_bg, within)
        assert data["patterns"][key]["css"].count(ink) >= 1  # the legend swatch draws the same ink
    # the atlas prints the same patterns (at 0.72 over white when it has a background, else opaque)
    html = _atlas(tmp_path, pub, f"categorie/{TOTAL}.html")
    for pat in re.findall(r"<pattern .*?</pattern>", html, re.S):
        ink, ground = _ink_and_ground(pat)
        for alpha in (1.0, 0.72):
            assert contrast_ratio(blend(ink, "#ffffff", alpha), "#ffffff") >= 3.0
    # distinct: three different drawings (stripes, cross-hatch, dots), none a flat colour
    shapes = {k: re.sub(r'id="[^"]*"|#[0-9a-f]{6}', "", v) for k, v in seen.items()}
    assert len(set(shapes.values())) == 3
    assert "<line" in shapes["primary"] and "<path" in shapes["protective"] and "<circle" in shapes["missing"]
    flat = {c for cl in data["classes"].values() for m in cl.values() for c in m["colours"]}
    for key, p in PATTERNS.items():
        assert p.ground != p.ink and contrast_ratio(p.ink, p.ground) >= 3.0
        assert p.ink not in flat, key
    # the figures, for the record: the old fills were far below 3:1
    assert contrast_ratio(blend("#9e9e9e", bg, opacities[0]), bg) < 3.0
