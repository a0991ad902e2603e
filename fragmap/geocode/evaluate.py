"""Measure the geocoder on labelled addresses: real addresses with known points, typed messily.

:func:`messy_variant` turns a clean address into what a volunteer might type
(abbreviations, typos, missing accents, case, comma or not, town or CAP before or
after, floor and interior details, first name dropped); :func:`labelled_variants`
does it with a fixed seed for a table of real addresses with coordinates (the
services: pharmacies, schools, hospitals); :func:`evaluate` geocodes them and
reports how many land within 50 m of the true point, per level, and how many are
placed wrongly (more than 250 m away).

The service addresses are also IN the gazetteer (in-sample): the figures measure
normalisation and matching, not how many of a town's addresses are covered.

Everything here is pure (no file, no network).

Example
-------
>>> rng = np.random.default_rng(1)
>>> messy_variant("CORSO STRADA NUOVA", "45", "Pavia", rng)
('Corso Strada Nuova n°45', 'Pavia')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fragmap._text import typo
from fragmap.geocode.gazetteer import metres
from fragmap.geocode.normalise import CAPS, SAINTS, STOPWORDS, fold, normalise_address

#: How volunteers abbreviate the street types (the first is the full word).
TYPE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "VIA": ("Via", "via", "V.", "v.", "VIA"),
    "VIALE": ("Viale", "V.le", "v.le", "VIALE", "V.LE"),
    "CORSO": ("Corso", "C.so", "c.so", "CORSO", "C.SO"),
    "PIAZZA": ("Piazza", "P.zza", "p.za", "P.ZZA", "piazza"),
    "PIAZZALE": ("Piazzale", "P.le", "p.le", "P.LE"),
    "LARGO": ("Largo", "L.go", "l.go"),
    "VICOLO": ("Vicolo", "Vic.", "vicolo"),
    "STRADA": ("Strada", "Str.", "str."),
}
#: Common Italian first names, dropped as volunteers do ("Via Mazzini" for "Via Giuseppe Mazzini").
FIRST_NAMES = frozenset(
    "GIUSEPPE GIOVANNI CARLO LUIGI ANTONIO FRANCESCO PIETRO ALESSANDRO GIACOMO ANGELO LUCA PAOLO "
    "MARIO ENRICO FILIPPO CAMILLO CESARE DOMENICO VINCENZO GUGLIELMO LORENZO LUDOVICO".split()
)
DETAILS = (" int. 3", " scala B", " - 2° piano", " p. 1", ", interno 7", " sc. A")


def _case(text: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.3:
        return text.lower()
    if r < 0.6:
        return text.title()
    return text.upper()


def messy_variant(street: str, number: str | None, town: str, rng: np.random.Generator, *,
                  caps: dict[str, str] = CAPS, surname_only: float = 0.0) -> tuple[str, str | None]:
    """``(address as typed, town column)`` for a clean street + number in ``town``.

    The town goes in the report's town column (60%), before the street ("Pavia, via..."),
    after it (", Pavia" / " - PAVIA (PV)") or as CAP + town; so every variant says
    its town one way or another. With ``surname_only`` > 0, that share of names of two
    words or more keep only their last word ("via Aselli" for "VIA GASPARE ASELLI").
    """
    p = normalise_address(street)
    st = p.street_type or ""
    name = fold(street)[len(p.type_alias or ""):].strip(" ,") if p.type_alias else fold(street)
    words = name.split()
    if (surname_only and len(words) >= 2 and len(words[-1]) >= 4
            and not any(w in STOPWORDS or w in SAINTS or w.isdigit() for w in words)
            and rng.random() < surname_only):
        words = words[-1:]  # "Gaspare Aselli" -> "Aselli"; never "S. Pietro in Verzolo" -> "Verzolo"
    if len(words) >= 2 and words[0] in FIRST_NAMES and rng.random() < 0.25:
        words = words[1:]
    words = [("S." if rng.random() < 0.6 else "S") if w in ("SAN", "SANTA", "SANTO") else w for w in words]
    name = " ".join(words)
    if "'" in name and rng.random() < 0.5:
        name = name.replace("'", "")
    name = _case(name, rng)
    if rng.random() < 0.15:
        ws = name.split()
        j = int(np.argmax([len(w) for w in ws]))
        ws[j] = typo(ws[j], rng)
        name = " ".join(ws)
    spellings = TYPE_SPELLINGS.get(st, (st.title(),)) if st else ("",)
    text = f"{spellings[int(rng.integers(len(spellings)))]} {name}".strip()
    if number:
        sep = (" ", ", ", ",", " n. ", " n°", " N. ")[int(rng.choice(6, p=[0.4, 0.3, 0.1, 0.1, 0.05, 0.05]))]
        text += f"{sep}{number}"
    if rng.random() < 0.15:
        text += DETAILS[int(rng.integers(len(DETAILS)))]
    column: str | None = town
    r = rng.random()
    cap = next((c for c, t in caps.items() if t == town), "")
    if r < 0.1:
        text, column = f"{town}, {text}", None
    elif r < 0.2:
        text, column = f"{text}, {town}", None
    elif r < 0.3:
        text, column = f"{cap} {town.upper()}, {text}" if rng.random() < 0.5 else f"{text} - {cap} {town} (PV)", None
    elif r < 0.4:
        text += f" - {town.upper()} (PV)"
    return text, column


def labelled_variants(records: pd.DataFrame, *, per_address: int = 3, seed: int = 20260215) -> pd.DataFrame:
    """Messy variants of real addresses with known points (fixed seed).

    Parameters
    ----------
    records : DataFrame
        ``street, number, town, lon, lat`` (``number`` may be empty).
    per_address : int
        Variants per record.
    seed : int
        The same seed gives the same table.

    Returns
    -------
    DataFrame
        ``address, town, true_lon, true_lat, source_address``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for street, number, town, lon, lat in zip(records["street"], records["number"], records["town"],
                                              records["lon"], records["lat"]):
        for _ in range(per_address):
            text, column = messy_variant(str(street), str(number) if number else None, str(town), rng)
            rows.append((text, column, float(lon), float(lat), f"{street} {number or ''}".strip()))
    return pd.DataFrame(rows, columns=["address", "town", "true_lon", "true_lat", "source_address"])


@dataclass(frozen=True)
class Evaluation:
    """Outcome of :func:`evaluate` (shares are of all labelled addresses)."""

    n: int
    within_50m: float
    wrong_over_250m: float
    not_placed: float
    by_level: dict[str, float]
    civico_over_250m: int
    table: pd.DataFrame


def evaluate(geocoder: Any, labelled: pd.DataFrame) -> Evaluation:
    """Geocode the labelled addresses one by one and compare with the true points."""
    res = [geocoder.lookup(a, t if isinstance(t, str) and t else None)
           for a, t in zip(labelled["address"], labelled["town"])]
    out = labelled.copy()
    out["lat"] = [m.lat for m in res]
    out["lon"] = [m.lon for m in res]
    out["level"] = [m.level for m in res]
    out["matched"] = [m.matched for m in res]
    out["uncertainty_m"] = [m.uncertainty_m for m in res]
    d = metres(out["true_lon"], out["true_lat"], out["lon"], out["lat"])
    out["error_m"] = d
    placed = ~np.isnan(out["lat"].to_numpy(float))
    n = max(len(out), 1)
    return Evaluation(
        n=len(out),
        within_50m=float((placed & (d <= 50)).sum() / n),
        wrong_over_250m=float((placed & (d > 250)).sum() / n),
        not_placed=float((~placed).sum() / n),
        by_level={k: float(v) / n for k, v in out["level"].value_counts().items()},
        civico_over_250m=int((placed & (d > 250) & (out["level"] == "civico").to_numpy()).sum()),
        table=out,
    )


def service_records(services: pd.DataFrame, towns: Any) -> pd.DataFrame:
    """``street, number, town, lon, lat`` of service records, the town from their coordinates."""
    import geopandas as gpd

    from fragmap.geocode.gazetteer import service_address

    addr = service_address(services)
    ok = services["lat"].notna() & services["lon"].notna() & addr.ne("")
    s = services[ok]
    pts = gpd.GeoDataFrame({"address": addr[ok].to_numpy()}, geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs=4326)
    joined = gpd.sjoin(pts, towns[["name", "geometry"]], predicate="within", how="inner")
    rows = []
    for address, geom, town in zip(joined["address"], joined.geometry, joined["name"]):
        p = normalise_address(address)
        if p.street_name is None:
            continue
        street = f"{p.street_type + ' ' if p.street_type else ''}{p.street_name}"
        rows.append((street, p.number or "", town, geom.x, geom.y))
    return pd.DataFrame(rows, columns=["street", "number", "town", "lon", "lat"])
