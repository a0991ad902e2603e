"""Named points of the reference data as gazetteer input: bus stops, GeoNames places, quarter landmarks.

Three shipped sources give real points with names (see ``data/reference/README.source.md``):

* the 2013 OpenStreetMap bus stops of Pavia, named "STREET CrossStreet" in the
  operator's style ("LUNGOTICINO VISCONTI Rezia": on Lungoticino Visconti at Via
  Rezia; "BRAMBILLA civ.70": at No. 70; "STAZIONE 3": stop 3 of the station square);
* GeoNames places: squares become points of their street; hamlets, churches, the
  station... are named places;
* the landmarks of the quartieri table (a school, a bus stop, a GeoNames point) with
  the address they stand for.

This module only turns records into two tables, pure: *named points* (a street as
the source writes it, a number when known, a point) for
:func:`fragmap.geocode.build.build_gazetteer` to link to the official names, and
*places* (a name, a kind, a point). Reading the files is in :mod:`fragmap.io.named_points`.

Examples
--------
>>> split_stop_name("LUNGOTICINO VISCONTI Rezia")
StopName(street='LUNGOTICINO VISCONTI', cross='Rezia', number=None)
>>> split_stop_name("CREMONA P. Tibaldi")
StopName(street='CREMONA', cross='P. Tibaldi', number=None)
>>> split_stop_name("BRAMBILLA civ.70")
StopName(street='BRAMBILLA', cross='', number=70)
>>> split_stop_name("STAZIONE 3")
StopName(street='STAZIONE', cross='', number=None)
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from fragmap.geocode.normalise import normalise_address

#: Columns of the named-point table :func:`fragmap.geocode.build.build_gazetteer` takes.
NAMED_POINT_COLUMNS = ("town", "street", "typed", "number", "lon", "lat", "source", "label")
#: Columns of the places table (named points that are not streets).
PLACE_COLUMNS = ("town", "name", "kind", "lon", "lat", "source")
#: Source labels of the named points (also the ``source`` column of gazetteer points).
SOURCE_STOPS = "fermate_osm"
SOURCE_STOPS_CROSS = "fermate_osm_incrocio"
SOURCE_GEONAMES = "geonames"
SOURCE_LANDMARKS = "punti_quartieri"
#: GeoNames feature codes that are streets or squares (a point of the street).
GEONAMES_STREETS = frozenset({"SQR"})

_CIVIC = re.compile(r"^civ\.?\s*(\d{1,4})$", re.IGNORECASE)
_INITIAL = re.compile(r"^[A-Z]{1,2}\.$")


class StopName(NamedTuple):
    """A bus-stop name split into the street it stands on, the cross street, a house number."""

    street: str
    cross: str
    number: int | None


def split_stop_name(name: str) -> StopName:
    """Split an operator-style stop name: the UPPER CASE words are the street, the rest the crossing.

    Initials before the cross street go with it ("CREMONA P. Tibaldi"); a stop number
    after the street is dropped ("STAZIONE 3"); "civ.70" is a house number; a name in
    mixed case throughout ("Scarpone Don Albertario") has its first word as the street.
    """
    words = str(name).split()
    i = 0
    while i < len(words) and not any(c.islower() for c in words[i]):
        i += 1
    street, rest = words[:i], words[i:]
    while street and rest and _INITIAL.match(street[-1]):
        rest.insert(0, street.pop())
    while len(street) > 1 and street[-1].isdigit():
        street.pop()
    if not street:
        street, rest = rest[:1], rest[1:]
    cross = " ".join(rest)
    m = _CIVIC.match(cross)
    number = int(m.group(1)) if m else None
    return StopName(" ".join(street), "" if m else cross, number)


def stop_points(stops: pd.DataFrame) -> pd.DataFrame:
    """Named points of bus stops (``name, comune, lon, lat``): the stop's street and, separately, its crossing.

    The declared ``comune`` is kept as ``town`` (stops outside the project's towns have
    another or none and are dropped when the gazetteer is built).
    """
    rows = []
    for name, town, lon, lat in zip(stops["name"], stops["comune"], stops["lon"], stops["lat"]):
        if not isinstance(name, str) or not name.strip():
            continue
        s = split_stop_name(name)
        t = town if isinstance(town, str) else ""
        rows.append((t, s.street, False, s.number or 0, float(lon), float(lat), SOURCE_STOPS, name))
        if s.cross:
            rows.append((t, s.cross, False, 0, float(lon), float(lat), SOURCE_STOPS_CROSS, name))
    return pd.DataFrame(rows, columns=list(NAMED_POINT_COLUMNS))


def geonames_points(places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GeoNames records (``name, feature_code, comune, lon, lat``) as (named points, places).

    Squares are points of their street ("Piazza della Vittoria"); everything else is a
    named place (hamlets, churches, the station...), also the squares.
    """
    pts, pls = [], []
    for name, code, town, lon, lat in zip(places["name"], places["feature_code"], places["comune"],
                                          places["lon"], places["lat"]):
        if not isinstance(name, str) or not name.strip():
            continue
        t = town if isinstance(town, str) else ""
        if code in GEONAMES_STREETS and normalise_address(name).street_type is not None:
            pts.append((t, name, True, 0, float(lon), float(lat), SOURCE_GEONAMES, name))
        pls.append((t, name, str(code), float(lon), float(lat), SOURCE_GEONAMES))
    return (pd.DataFrame(pts, columns=list(NAMED_POINT_COLUMNS)),
            pd.DataFrame(pls, columns=list(PLACE_COLUMNS)))


def landmark_points(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quartieri landmark table as (named points, places).

    Only rows with coordinates count. The landmark's address becomes a point of its
    street when it names one street with a type ("Via Solferino 38, Pavia (school)";
    not "Piazzale San Giuseppe / Viale Ludovico il Moro 1", which names two); the
    quartiere is a place at the landmark.
    """
    pts, pls = [], []
    for town, quartiere, kind, where, lat, lon in zip(
            table["town"], table["quartiere"], table["kind"], table["landmark_address_or_place"],
            pd.to_numeric(table["lat"], errors="coerce"), pd.to_numeric(table["lon"], errors="coerce")):
        if pd.isna(lat) or pd.isna(lon):
            continue
        pls.append((str(town), str(quartiere), str(kind), float(lon), float(lat), SOURCE_LANDMARKS))
        if not isinstance(where, str) or "/" in where:
            continue
        first = re.sub(r"\(.*?\)", "", where.split(",")[0]).strip()
        p = normalise_address(first)
        if p.street_type is None or not p.name_key:
            continue
        street = f"{p.street_type} {p.street_name}"
        pts.append((str(town), street, True, p.house_number or 0, float(lon), float(lat), SOURCE_LANDMARKS, where))
    return (pd.DataFrame(pts, columns=list(NAMED_POINT_COLUMNS)),
            pd.DataFrame(pls, columns=list(PLACE_COLUMNS)))
