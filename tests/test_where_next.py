"""Where to open the next help desk: greedy ranking and exact optimum, speeds, towns, bad points, publication.

Hand-checkable instances on the straight-line fallback with ``detour_factor=1`` (reach is
then a plain radius), plus the synthetic street grid of tests/data/access.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point, Polygon, box

from fragmap import PrivacyError
from fragmap.access import (
    access_times,
    area_candidates,
    coverage_for_reports,
    walking_speeds,
    where_next,
    where_next_layer,
)
from fragmap.io.network import read_network
from fragmap.privacy import check_where_next, publish_where_next
from fragmap.siting import STATUS_OPTIMAL, STATUS_TIME_LIMIT, OptimalCover, greedy_cover, optimal_cover

GRID = Path(__file__).resolve().parent / "data" / "access" / "grid_sintetica.osm"
X0, Y0 = 513000.0, 5005000.0
#: 1 minute at 100/60 m/s with no detour: a 100 m radius
RADIUS = {"minutes": 1, "speed_ms": 100 / 60, "elderly_speed_ms": None, "detour_factor": 1.0}


def utm_points(xy: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=32632).to_crs(4326)


def classic() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two groups of 10 reports and one report between them; three candidate sites.

    Group A: 5 reports at x = -40 and 5 at x = 60; group B: 5 at x = 240 and 5 at x = 340;
    one report at x = 150. Sites: "A" at 0 (reaches all of A: 40 and 60 m), "B" at 300
    (all of B), "Mezzo" at 150 (the 5 at 60, the 5 at 240 - both 90 m - and the one at
    150: 11). By hand: greedy takes Mezzo (11), then A adds the 5 at -40 (tie with B, the
    first wins): 16. The optimum for 2 sites is {A, B}: 20 (Mezzo + A or B: 16).
    """
    xs = [-40] * 5 + [60] * 5 + [240] * 5 + [340] * 5 + [150]
    pts = utm_points([(x, 0) for x in xs])
    sites = utm_points([(0, 0), (300, 0), (150, 0)], name=["A", "B", "Mezzo"])
    return pts, sites


# -- greedy and exact ---------------------------------------------------------------------------------
def test_classic_case_greedy_takes_the_middle_and_the_optimum_covers_more() -> None:
    pts, sites = classic()
    out = where_next(pts, sites, pd.Series([60.0] * len(pts)), k=2, **RADIUS)
    greedy = out[out["solution"] == "greedy"]
    optimal = out[out["solution"] == "optimal"]
    assert greedy["site"].tolist() == ["Mezzo", "A"] and greedy["new_reports_covered"].tolist() == [11, 5]
    assert greedy["rank"].tolist() == [1, 2]
    assert sorted(optimal["site"]) == ["A", "B"] and optimal["new_reports_covered"].sum() == 20
    assert (out.attrs["greedy_covered"], out.attrs["optimal_covered"]) == (16, 20)
    assert out.attrs["optimal_status"] == STATUS_OPTIMAL and out.attrs["uncovered"] == 21
    assert optimal["cumulative_share"].iloc[-1] == pytest.approx(20 / 21)
    # one site: the greedy pick is the optimum; three sites: everything, so no optimal rows either
    one = where_next(pts, sites, pd.Series([60.0] * len(pts)), k=1, **RADIUS)
    assert one["site"].tolist() == ["Mezzo"] and one.attrs["optimal_covered"] == 11
    three = where_next(pts, sites, pd.Series([60.0] * len(pts)), k=3, **RADIUS)
    assert set(three["solution"]) == {"greedy"} and three.attrs["optimal_covered"] == three.attrs["greedy_covered"] == 21


def test_the_matrix_functions_on_the_classic_case_by_hand() -> None:
    a = np.zeros((3, 21), dtype=bool)
    a[0, :10] = True                      # A
    a[1, 10:20] = True                    # B
    a[2, 5:15] = True                     # Mezzo: the inner halves...
    a[2, 20] = True                       # ...and the report between
    reach = sp.csr_matrix(a)
    assert greedy_cover(reach, 2) == ([2, 0], [11, 5])
    best = optimal_cover(reach, 2)
    assert best.sites == (0, 1) and best.covered == 20 and best.status == STATUS_OPTIMAL


@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_a_brute_force_search_and_is_never_below_greedy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.random((7, 30)) < 0.18
    reach = sp.csr_matrix(a)
    for k in (1, 2, 3):
        brute = max(int(a[list(c)].any(axis=0).sum()) for c in itertools.combinations(range(7), k))
        best = optimal_cover(reach, k)
        assert best.covered == brute and len(best.sites) <= k
        assert int(a[list(best.sites)].any(axis=0).sum()) == best.covered
        assert sum(greedy_cover(reach, k)[1]) <= best.covered


def test_over_the_time_limit_the_greedy_set_stays_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    import fragmap.siting

    monkeypatch.setattr(fragmap.siting, "optimal_cover",
                        lambda reach, k, time_limit_s: OptimalCover((), 0, STATUS_TIME_LIMIT, time_limit_s))
    pts, sites = classic()
    with pytest.warns(UserWarning, match="non è stato dimostrato entro 3 secondi"):
        out = where_next(pts, sites, pd.Series([60.0] * len(pts)), k=2, time_limit_s=3, **RADIUS)
    assert set(out["solution"]) == {"greedy"} and out.attrs["optimal_covered"] is None
    assert out.attrs["optimal_status"] == STATUS_TIME_LIMIT and out.attrs["greedy_covered"] == 16


def test_a_real_time_limit_is_passed_to_highs() -> None:
    rng = np.random.default_rng(0)
    reach = sp.csr_matrix(rng.random((300, 3000)) < 0.02)
    best = optimal_cover(reach, 12, time_limit_s=0.05)
    assert best.seconds < 5 and best.status in (STATUS_OPTIMAL, STATUS_TIME_LIMIT)
    if best.status != STATUS_OPTIMAL:
        assert best.sites == () and best.covered == 0


# -- the same walking speeds as coverage ------------------------------------------------------------
def test_older_people_walk_at_0_8_m_s_in_where_next_as_in_coverage() -> None:
    # 900 m: within 15 minutes at 4.5 km/h (1,125 m) but not at 0.8 m/s (720 m); no detour
    pts = utm_points([(900, 0), (900, 0)], category=["anziani", "disabilita"])
    site = utm_points([(0, 0)], name=["Sede"])
    out = where_next(pts, site, pd.Series([60.0, 60.0]), minutes=15, k=1, detour_factor=1.0,
                     speed_ms=4.5 / 3.6, elderly_speed_ms=0.8)
    assert out["new_reports_covered"].tolist() == [1]  # only the younger report
    assert out["speed"].iloc[0] == "4,5 km/h; per gli anziani 0,8 m/s (2,9 km/h)"
    one_speed = where_next(pts, site, pd.Series([60.0, 60.0]), minutes=15, k=1, detour_factor=1.0,
                           speed_ms=4.5 / 3.6, elderly_speed_ms=None)
    assert one_speed["new_reports_covered"].tolist() == [2] and one_speed["speed"].iloc[0] == "4,5 km/h"
    # coverage says the same of the same two reports, with a service where the site is
    from factories import demo_defaults

    s = demo_defaults()
    s = s.replace(access=type(s.access)(walking_speed_kmh=4.5, elderly_speed_ms=0.8, detour_factor=1.0))
    cov = coverage_for_reports(pts.assign(quarter_id="Q1"), site.assign(type="sportello"), settings=s)
    within = dict(zip(cov["category"], cov["n_within_15"]))
    assert within == {"anziani": 0, "disabilita": 1}
    speeds = walking_speeds(pts["category"], speed_ms=4.5 / 3.6, elderly_speed_ms=0.8)
    t = access_times(pts, site.assign(type="sportello"), speed_ms=speeds, detour_factor=1.0)
    assert t["min_sportello"].to_numpy() == pytest.approx([900 / 0.8 / 60, 900 / 1.25 / 60])


def test_older_people_walk_slower_on_the_network_too() -> None:
    graph = read_network(GRID)
    # 400 m along the streets from the corner: 5.3 minutes at 1.25 m/s, 8.3 at 0.8 m/s
    pts = utm_points([(400, 0), (400, 0)], category=["anziani", "minori_migranti"])
    site = utm_points([(0, 0)], name=["Sede"])
    out = where_next(pts, site, pd.Series([60.0, 60.0]), minutes=6, k=1, graph=graph,
                     speed_ms=1.25, elderly_speed_ms=0.8)
    assert out["new_reports_covered"].tolist() == [1]


# -- candidates inside the towns ----------------------------------------------------------------------
def test_sites_outside_the_comuni_are_refused_by_name() -> None:
    town = gpd.GeoDataFrame({"name": ["Comune"]}, geometry=[box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)], crs=32632)
    pts = utm_points([(560 + i, 0) for i in range(8)])  # reports just outside the border
    sites = utm_points([(600, 0), (480, 0)], name=["Fuori città", "Dentro"])  # the outside one is nearer
    with pytest.warns(UserWarning, match="1 luogo candidato fuori dai comuni del progetto, non proposto: Fuori città"):
        out = where_next(pts, sites, pd.Series([60.0] * 8), k=2, within=town, **RADIUS)
    assert out["site"].tolist() == ["Dentro"] and out.attrs["outside"] == ["Fuori città"]
    assert all(town.to_crs(4326).geometry.iloc[0].contains(g) for g in out.geometry)


def test_network_nodes_outside_the_comuni_are_not_proposed() -> None:
    graph = read_network(GRID)
    town = box(X0 - 10, Y0 - 10, X0 + 310, Y0 + 710)  # the western half of the grid (EPSG:32632)
    rng = np.random.default_rng(2)
    pts = utm_points([(rng.uniform(0, 700), rng.uniform(0, 700)) for _ in range(80)])
    free = where_next(pts, "nodes", pd.Series([60.0] * 80), minutes=3, k=4, speed_ms=1.0, graph=graph,
                      node_spacing_m=1.0)
    assert (free.to_crs(32632).geometry.x > X0 + 320).any()  # without the towns, eastern nodes win
    out = where_next(pts, "nodes", pd.Series([60.0] * 80), minutes=3, k=4, speed_ms=1.0, graph=graph,
                     node_spacing_m=1.0, within=town)
    assert len(out) and all(town.buffer(0.5).contains(g) for g in out.to_crs(32632).geometry)


def test_area_points_lie_inside_their_area_even_where_the_centroid_does_not() -> None:
    u = Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
    u = Polygon([(X0 + x, Y0 + y) for x, y in u.exterior.coords])
    areas = gpd.GeoDataFrame({"name": ["U", "Vuota"], "level": ["quarter", "quarter"], "population": [40, 0],
                              "town": ["Pavia", "Pavia"]},
                             geometry=[u, box(X0 + 500, Y0, X0 + 600, Y0 + 100)], crs=32632).to_crs(4326)
    assert not areas.to_crs(32632).geometry.iloc[0].contains(areas.to_crs(32632).centroid.iloc[0])
    c = area_candidates(areas)
    assert c["name"].tolist() == ["U"] and c.crs.to_epsg() == 4326  # the empty area is no candidate
    assert areas.to_crs(32632).geometry.iloc[0].contains(c.to_crs(32632).geometry.iloc[0])


# -- bad points: a message, not a traceback -----------------------------------------------------------
def test_reports_and_sites_without_a_point_are_left_out_with_a_count() -> None:
    pts = utm_points([(0, 0), (10, 0), (20, 0)])
    pts = pd.concat([pts, gpd.GeoDataFrame(geometry=[None, Point()], crs=4326),
                     gpd.GeoDataFrame(geometry=gpd.points_from_xy([np.nan], [np.nan]), crs=4326)], ignore_index=True)
    sites = pd.concat([utm_points([(0, 0)], name=["Buono"]),
                       gpd.GeoDataFrame({"name": ["Senza punto"]}, geometry=gpd.points_from_xy([np.nan], [45.0]),
                                        crs=4326)], ignore_index=True)
    with pytest.warns(UserWarning) as caught:
        out = where_next(pts, sites, pd.Series([60.0] * 6), k=2, **RADIUS)
    said = " ".join(str(w.message) for w in caught)
    assert "3 segnalazioni senza una posizione valida" in said and "1 luogo candidato senza una posizione" in said
    assert out["site"].tolist() == ["Buono"] and out["new_reports_covered"].tolist() == [3]
    assert (out.attrs["dropped_reports"], out.attrs["dropped_candidates"]) == (3, 1)
    with pytest.warns(UserWarning, match="3 reports without a valid location"), \
            pytest.warns(UserWarning, match="1 candidate site without a valid location"):
        en = where_next(pts, sites, pd.Series([60.0] * 6), k=2, language="en", **RADIUS)
    assert "3 reports without a valid location" in en.attrs["notes"][0]
    t = access_times(pts, utm_points([(0, 0)], type=["sportello"], name=["S"]))
    assert t["min_sportello"].isna().tolist() == [False, False, False, True, True, True]


# -- publication -----------------------------------------------------------------------------------
def _classic_layer() -> gpd.GeoDataFrame:
    pts, sites = classic()
    out = where_next(pts, sites, pd.Series([60.0] * len(pts)), k=2, **RADIUS)
    return where_next_layer(out)


def test_published_layer_keeps_the_threshold_rules() -> None:
    layer = _classic_layer()  # greedy 11 + 5 = 16, optimal 20: a gain of 4
    assert layer["solution"].tolist() == ["greedy", "greedy", "optimal", "optimal"]
    five = publish_where_next(layer, 5)
    assert five.loc[five["solution"] == "greedy", "reached"].tolist() == [11.0, 5.0]
    assert five.loc[five["solution"] == "greedy", "set_reached"].tolist() == [16.0, 16.0]
    # the optimal sites are shown, their counts are not: 20 - 16 = 4 is under 5
    assert five.loc[five["solution"] == "optimal", "set_reached"].isna().all()
    assert five.loc[five["solution"] == "optimal", "reached"].isna().all()
    three = publish_where_next(layer, 3)
    assert three.loc[three["solution"] == "optimal", "set_reached"].tolist() == [20.0, 20.0]
    six = publish_where_next(layer, 6)  # the second greedy site (5) goes, so the totals go too
    assert six["name"].tolist() == ["Mezzo", "A", "B"] and six["set_reached"].isna().all()
    with pytest.raises(PrivacyError, match="difference is a count"):
        check_where_next(three.assign(set_reached=[16.0, 16.0, 18.0, 18.0]), 3)
    with pytest.raises(PrivacyError, match="under the privacy threshold"):
        check_where_next(five.assign(reached=[11.0, 4.0, np.nan, np.nan]), 5)
    with pytest.raises(PrivacyError, match="refused column"):
        check_where_next(five.assign(new_reports_covered=1), 5)


def test_map_and_atlas_show_the_optimal_set_with_both_figures() -> None:
    from factories import make_publication

    from fragmap.atlas import build_pages
    from fragmap.maps import render_map

    pub = make_publication(threshold=3)
    layer = publish_where_next(_classic_layer(), 3)
    html = render_map(pub, where_next=layer)
    assert '"solution":"optimal","value":20' in html and "non sono annidati" in html
    index = build_pages(pub, quality={}, where_next=layer)["index.html"]
    assert "Dove aprire un nuovo sportello" in index and "Gli insiemi ottimi non sono annidati" in index
    assert 'data-fm-count="20"' in index and 'data-fm-count="16"' in index and "Mezzo" in index
    hidden = build_pages(pub, quality={}, where_next=publish_where_next(_classic_layer(), 5))["index.html"]
    assert "numeri nascosti per riservatezza" in hidden and 'data-fm-count="20"' not in hidden
    with pytest.raises(PrivacyError):
        build_pages(pub, quality={}, where_next=layer.assign(set_reached=[16.0, 16.0, 17.0, 17.0]))


@pytest.mark.parametrize("module", ["fragmap.siting", "fragmap.access"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.browser
def test_the_map_page_draws_the_optimal_set_with_its_figures(browser, tmp_path: Path) -> None:
    from factories import make_publication, open_offline

    from fragmap.maps import write_map

    write_map(make_publication(threshold=3), tmp_path, where_next=publish_where_next(_classic_layer(), 3))
    page, errors, external = open_offline(browser, (tmp_path / "mappa.html").as_uri())
    page.check("#fm-where")
    legend = page.locator(".fm-legend").text_content()
    assert "insieme ottimo (raggiunge più segnalazioni della classifica)" in legend
    assert "Gli insiemi ottimi non sono annidati" in legend
    page.locator("path.leaflet-interactive").last.hover()  # the last optimal site (B)
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=2000)
    text = tip.text_content()
    assert "Insieme ottimo di 2 luoghi" in text and "B" in text
    assert "20 segnalazioni raggiunte in tutto, contro 16 dei primi 2 della classifica" in text
    assert errors == [] and external == []
    page.close()
