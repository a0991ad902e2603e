"""The synthetic demo dataset: reproducible, realistic enough, and free of personal data."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fragmap.demo import generate_reports, write_demo_data

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "synthetic"

CF = re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.I)
PHONE = re.compile(r"\b(?:\+39\s?)?3\d{2}[\s.]?\d{6,7}\b|\b0\d{1,3}[\s./-]?\d{5,8}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    write_demo_data(out)
    return out


def test_shipped_files_are_what_the_generator_makes(regenerated: Path) -> None:
    for f in sorted(regenerated.iterdir()):
        shipped = SHIPPED / f.name
        assert shipped.exists(), f"{f.name} is not shipped in data/synthetic"
        if f.suffix == ".csv":
            assert shipped.read_bytes() == f.read_bytes(), f"{f.name} differs: regenerate it"
        else:  # xlsx zips carry write times: compare the cells
            pd.testing.assert_frame_equal(pd.read_excel(shipped), pd.read_excel(f))


def test_every_file_says_synthetic(regenerated: Path) -> None:
    for f in regenerated.iterdir():
        assert "sintetic" in f.name


def test_volume_months_and_mix() -> None:
    df = generate_reports()
    assert len(df) == 5000
    months = pd.to_datetime(df["date"]).dt.to_period("M").astype(str)
    valid = months[months <= "2026-10"]
    assert valid.nunique() == 24 and valid.min() == "2024-11"
    shares = df["kind"].value_counts(normalize=True)
    assert 0.5 < shares["street"] < 0.65 and 0.2 < shares["coords"] < 0.3
    assert set(df["partner"]) == {
        "auser_vigevano", "genitori_dosso_verde", "anffas", "le_torri", "articolo3", "la_barriera",
    }


def test_coordinates_lie_inside_the_towns() -> None:
    import geopandas as gpd

    df = generate_reports()
    pts = df[df["lat"] != ""]
    comuni = gpd.read_file(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson")
    g = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts.lon.astype(float), pts.lat.astype(float)), crs=4326)
    inside = gpd.sjoin(g, comuni[["name", "geometry"]], predicate="within")
    assert len(inside) == len(g)
    declared = inside[inside["town"] != ""]
    assert len(declared) > 0.8 * len(inside)
    assert (declared["name"] == declared["town"]).all()


def test_no_personal_data_in_any_file() -> None:
    for f in SHIPPED.iterdir():
        text = (
            pd.read_excel(f, dtype=str).to_csv()
            if f.suffix == ".xlsx"
            else f.read_bytes().decode("cp1252" if "la_barriera" not in f.name else "utf-8-sig", errors="replace")
        )
        if f.name.startswith("servizi"):
            continue  # public addresses and source pages only
        assert not CF.search(text), f.name
        assert not EMAIL.search(text), f.name
        assert not PHONE.search(text), f.name


def test_italian_excel_habits() -> None:
    raw = (SHIPPED / "segnalazioni_sintetiche_le_torri.csv").read_bytes()
    text = raw.decode("cp1252")
    header = text.splitlines()[0]
    assert header.split(";")[0] == "ID segnalazione" and "Fascia età" in header
    assert re.search(r";45,\d+;[89],\d+;", text), "coordinates use a decimal comma"
    assert re.search(r";\d{2}/\d{2}/\d{4};", text), "dates are dd/mm/yyyy"
    assert (SHIPPED / "segnalazioni_sintetiche_la_barriera.csv").read_bytes().startswith(b"\xef\xbb\xbf")
