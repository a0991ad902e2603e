"""Rates are per 1,000 of the residents a category is about: 65+ for older people (#19.2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from fragmap.publication import NETWORK, TOTAL

MONTHS = [str(pd.Period("2026-10", freq="M") - i) for i in range(23, -1, -1)]


def two_quarters(pop_65: tuple[float, float] = (100.0, 400.0)) -> gpd.GeoDataFrame:
    """Two quarters of Pavia with 1,000 residents each but 100 and 400 aged 65+."""
    return gpd.GeoDataFrame(
        {"quarter_id": ["Q0", "Q1"], "name": ["Q0", "Q1"], "town": "Pavia", "population": [1000.0, 1000.0],
         "pop_65": list(pop_65), "population_estimated": True, "source": "griglia"},
        geometry=[box(9.10 + 0.01 * i, 45.18, 9.11 + 0.01 * i, 45.19) for i in range(2)], crs=4326)


def even_cube(settings, quarters, per_month: int = 1) -> pd.DataFrame:
    """Every quarter, month, category and partner: ``per_month`` reports with the first action."""
    rows = [(q, "Pavia", m, c.code, p, settings.actions[0], per_month)
            for q in quarters["quarter_id"] for m in MONTHS for c in settings.categories for p in c.partners]
    cube = pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action", "count"])
    others = [(q, "Pavia", m, c.code, p, a, 0) for q in quarters["quarter_id"] for m in MONTHS
              for c in settings.categories for p in c.partners for a in settings.actions[1:]]
    return pd.concat([cube, pd.DataFrame(others, columns=cube.columns)], ignore_index=True)


@pytest.fixture
def pub(settings):
    from fragmap.privacy import publish

    q = two_quarters()
    cube = even_cube(settings, q)
    return publish(cube, q, settings, months=MONTHS[-12:], synthetic=True, quarter_source="griglia")


def rate(pub, level: str, area: str, category: str) -> tuple[float, float]:
    t = pub.cells(month=pub.month, level=level, category=category)
    r = t[t["area_id"] == area].iloc[0]
    return float(r["value"]), float(r["rate_per_1000"])


def test_older_people_are_per_1000_residents_aged_65_plus(pub) -> None:
    # by hand: 12 reports a year per quarter and category; Q0 has 100 residents aged 65+
    assert rate(pub, "quarter", "Q0", "anziani") == (12, 12 / 100 * 1000)
    assert rate(pub, "quarter", "Q1", "anziani") == (12, 12 / 400 * 1000)
    assert rate(pub, "town", "Pavia", "anziani") == (24, 24 / 500 * 1000)
    assert rate(pub, "network", NETWORK, "anziani") == (24, 24 / 500 * 1000)
    # the other categories and the total are per all residents
    assert rate(pub, "quarter", "Q0", "disabilita")[1] == pytest.approx(24 / 1000 * 1000)  # two partners
    v, r = rate(pub, "quarter", "Q0", TOTAL)
    assert r == pytest.approx(v / 1000 * 1000)
    assert pub.denominator("anziani") == "pop_65" and pub.denominator("minori_migranti") == "population"


def test_composite_index_uses_the_65_plus_rate(pub) -> None:
    """Same counts everywhere: only the older people's rate differs (Q0 has fewer residents aged
    65+), so Q0 ranks first; with the all-residents rate the two would tie."""
    idx = pub.extras["fragility_index"].set_index("area_id")
    assert idx.loc["Q0", "index_value"] > idx.loc["Q1", "index_value"]
    assert idx.loc["Q0", "rank"] == 1


def test_map_rates_use_the_65_plus_residents(pub) -> None:
    from fragmap.maps import render_map

    html = render_map(pub)
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["denominator"] == {"anziani": "pop_65"}
    assert data["areas"]["pop_65"] == [100.0, 400.0]
    # classes of the older people's rate layer are built from 120 and 30 per 1,000 (not 12 and 12)
    assert max(data["classes"]["anziani"]["rate"]["upper"]) >= 120
    assert "per 1.000 residenti di 65 anni e più" in html


def test_atlas_says_the_rate_is_per_65_plus(pub, tmp_path: Path) -> None:
    from fragmap.atlas import render_atlas

    quality = {"read": 100, "accepted": 90, "rejected": 10, "geocoded_by_level": {"via": 50, "civico": 40},
               "unassigned": 3}
    render_atlas(pub, tmp_path / "atlas", quality=quality)
    page = (tmp_path / "atlas" / "categorie" / "anziani.html").read_text(encoding="utf-8")
    assert "per 1.000 residenti di 65 anni e più" in page
    other = (tmp_path / "atlas" / "categorie" / "disabilita.html").read_text(encoding="utf-8")
    assert "65 anni" not in other


def test_denominator_setting(tmp_path: Path) -> None:
    from fragmap import SettingsError
    from fragmap.settings import load_settings

    def write(text: str) -> Path:
        p = tmp_path / "fragmap.toml"
        p.write_text(text, encoding="utf-8")
        return p

    from factories import demo_network_toml

    cats = (demo_network_toml(categories=False) +
            '[[categories]]\ncode = "anziani"\nlabel_it = "Anziani"\npartners = ["auser_vigevano"]\ndenominator = "pop_65"\n'
            '[[categories]]\ncode = "minori"\nlabel_it = "Minori"\npartners = ["articolo3"]\ndenominator = "{d}"\n')
    s = load_settings(write(cats.format(d="pop_65")))
    assert s.denominators() == {"anziani": "pop_65", "minori": "pop_65"}
    with pytest.raises(SettingsError, match="denominator"):
        load_settings(write(cats.format(d="pop_18")))
