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
    # typed addresses on real streets, few coordinates: most streets have no point offline
    assert 0.75 < shares[["street", "anncsu", "frazione"]].sum() < 0.9 and 0.05 < shares["coords"] < 0.12
    assert shares["anncsu"] > shares["street"]
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


def test_reports_follow_where_people_live_not_where_services_are() -> None:
    """Reports per 1.5 km hexagon follow the residents of the population surface (ISTAT
    localities and the town centres), not the services: a generator that drew homes at
    service addresses, or uniformly over the comune, fails these bounds."""
    import geopandas as gpd
    import numpy as np

    from fragmap.demo import population_surface
    from fragmap.quarters import assign_points, hex_grid

    df = generate_reports()
    surface = population_surface()
    comuni = gpd.read_file(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson")
    grid = hex_grid(comuni[comuni["name"].isin(["Pavia", "Vigevano"])], size_m=1500)
    homes = gpd.GeoSeries(gpd.points_from_xy(df["home_x"], df["home_y"]), crs=32632).to_crs(4326)
    got = pd.Series(assign_points(homes.y.to_numpy(), homes.x.to_numpy(), grid)).value_counts()
    want = pd.Series(surface["residents"].to_numpy(),
                     index=assign_points(surface["lat"].to_numpy(), surface["lon"].to_numpy(), grid))
    want = want.groupby(level=0).sum()
    ids = grid["quarter_id"]
    share_got = got.reindex(ids, fill_value=0) / len(df)
    share_want = want.reindex(ids, fill_value=0) / want.sum()
    assert np.corrcoef(share_got, share_want)[0, 1] > 0.95
    assert (share_got - share_want).abs().sum() / 2 < 0.1  # total variation distance
    # the residents of the ISTAT localities (frazioni) get their share, not more, not less
    loc = pd.read_csv(ROOT / "data/reference/istat2011_localita_coordinate_geonames_pavia_vigevano.csv")
    expected = loc[loc["localita"] != loc["comune"]]["P1_pop2011"].sum() / surface["residents"].sum()
    near = surface.set_index(["x", "y"])["locality"] != ""
    drawn_in_localities = (df["kind"] == "frazione").sum() / max(
        df["kind"].isin(["street", "anncsu", "frazione"]).sum(), 1)
    assert 0.4 * expected < drawn_in_localities < 2.5 * expected
    assert near.any()
    # service addresses are not where reports are drawn: most homes are far from every service
    services = gpd.read_file(ROOT / "data/reference/servizi_scuole_pavia_vigevano_regione_lombardia_20260215.geojson")
    s_xy = services.to_crs(32632)
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.column_stack([s_xy.geometry.x, s_xy.geometry.y])).query(df[["home_x", "home_y"]].to_numpy())
    assert np.median(d) > 150


def test_street_addresses_are_typed_on_real_anncsu_streets() -> None:
    from rapidfuzz import fuzz, process

    from fragmap.geocode.normalise import fold

    df = generate_reports(n_reports=400)
    streets = pd.read_csv(ROOT / "data/reference/anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str)
    names = sorted({fold(n) for n in streets["DUF"]})
    typed = df[df["kind"].isin(["street", "anncsu"])]["address"].map(fold)
    scores = [process.extractOne(a, names, scorer=fuzz.partial_ratio)[1] for a in typed]
    # the official name is inside what was typed (abbreviated type, case, the odd typo aside)
    assert sum(sc >= 90 for sc in scores) / len(scores) > 0.9
