"""A report known only to its street is not 0 minutes from a service (#19.4)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from fragmap.access import coverage_for_reports, placement_warning

X0, Y0 = 513000.0, 5005000.0


def utm_points(xy, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=32632).to_crs(4326)


def test_no_access_time_of_zero_for_a_street_level_point(settings) -> None:
    """Three reports ON a help desk's point: given as coordinates, by house number, by street only.
    By hand (straight-line fallback, elderly speed 0.8 m/s, a 250 m street spread): the coordinate
    is 0 min away, the street-level one (0² + 250²) / 500 = 125 m = 2.6 min; far away ones keep
    their distance."""
    services = utm_points([(X0, Y0)], name=["S"], type=["sportello"])
    pts = utm_points([(X0, Y0)] * 3 + [(X0 + 1000, Y0)], quarter_id=["Q1", "Q2", "Q3", "Q4"],
                     category="anziani", match_level=["coordinate", "civico", "via", "via"])
    cov = coverage_for_reports(pts, services, graph=None, settings=settings).set_index("quarter_id")
    speed = settings.access.elderly_speed_ms
    assert cov.loc["Q1", "median_minutes"] == 0
    assert cov.loc["Q2", "median_minutes"] == pytest.approx(round(12.5 / speed / 60, 1))
    assert cov.loc["Q3", "median_minutes"] == pytest.approx(round(125 / speed / 60, 1))
    assert cov.loc["Q3", "median_minutes"] > 0
    far = 1000 * settings.access.detour_factor
    assert cov.loc["Q4", "median_minutes"] == pytest.approx(round(far / speed / 60, 1))


def test_a_warning_when_placement_makes_access_unreliable() -> None:
    import pandas as pd

    ok = pd.DataFrame({"match_level": ["coordinate"] * 8 + ["via"] * 2})
    poor = pd.DataFrame({"match_level": ["coordinate"] * 2 + ["via"] * 8})
    assert placement_warning(ok) == ""
    assert "80%" in placement_warning(poor) and "via" in placement_warning(poor)
    assert "street" in placement_warning(poor, "en")


def test_the_demo_publication_warns_about_access(tmp_path: Path) -> None:
    from factories import demo_project_settings

    from fragmap.pipeline import Project

    p = Project(demo_project_settings(tmp_path))
    p.ingest()
    pts = p.window_points("2026-10")
    pub = p.with_access("2026-10")
    expected = placement_warning(pts, "it")
    said = [n for n in pub.notes if n.startswith("I tempi a piedi sono stime")]
    assert said == ([expected] if expected else [])
    assert (pts["match_level"] == "via").any()
