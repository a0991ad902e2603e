"""The offline gazetteer: official street names plus every known address point and street line.

Built (pure) from what is available:

* the official ANNCSU street list (names, no geometry) — which streets exist;
* the real address points of the reference services (pharmacies, schools, hospitals),
  each placed in the town its coordinates fall in (the point wins over a declared town);
* named points of streets without a house number (the shipped 2013 OSM bus stops,
  GeoNames squares, quarter landmarks: :mod:`fragmap.geocode.places`), each kept as a
  point of its street (never averaged);
* optionally OpenStreetMap (``addr:street`` + ``addr:housenumber`` points, named
  highways as lines, from .osm or .graphml) and an ANNCSU house-number file with
  coordinates.

Street names from every source are matched to the official names so all sources share
one key; the names of other sources (OSM, bus stops) are linked once and the links kept
(:mod:`fragmap.geocode.reconcile`). :class:`StreetIndex` is the street matcher the
geocoder uses too.

Example
-------
>>> from fragmap.geocode.build import build_gazetteer                            # doctest: +SKIP
>>> gaz = build_gazetteer(streets=anncsu, services=services, towns=polygons)   # doctest: +SKIP
>>> gaz.points.groupby("source").size()                                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from fragmap.geocode.normalise import (
    AMBIGUOUS_ALIASES,
    STREET_TYPES,
    distinctive_tokens,
    fold,
    name_key,
    normalise_address,
    normaliser,
)

#: Version of the street keys stored in a gazetteer file; older files are re-keyed on reading.
GAZETTEER_FORMAT = "2"
#: Minimum similarity (0-100) to accept a street-name match (``[geocoding] min_score`` overrides it).
STREET_CUTOFF = 85.0
#: Candidates below this similarity are not even suggested for review.
SUGGEST_FLOOR = 70.0
#: Two streets whose scores differ by less than this are a tie: the address is ambiguous.
AMBIGUITY_MARGIN = 2.0
#: A typed name that is a subset of the official one ("Garibaldi" -> "Giuseppe Garibaldi").
SUBSET_SCORE = 92.0
#: Same distinctive words, different articles ("Viale Libertà" -> "Viale della Libertà").
SAME_WORDS_SCORE = 97.0
#: A name one keyboard slip away from an official one (five letters or more).
ONE_SLIP_SCORE = 90.0
#: Lowest plain ratio of a one-slip pair worth checking (one edit in five letters: 80).
ONE_SLIP_FLOOR = 80.0
#: Ceiling when the typed name has distinctive words the official one lacks
#: ("S. Giovanni Bosco" is not "San Giovanni"): never as good as a full match.
EXTRA_WORDS_CAP = 80.0

#: Street types that are kinds of road / kinds of square: a mix-up within a group costs less.
_ROADS = frozenset({"VIA", "VIALE", "VICOLO", "VIA PRIVATA", "TRAVERSA", "STRADA", "STRADA PRIVATA",
                    "STRADA VECCHIA", "CORSO", "CONTRADA", "LUNGOTICINO"})
_SQUARES = frozenset({"PIAZZA", "PIAZZALE", "PIAZZETTA", "LARGO"})
#: Points lost for a street type that differs from the typed one.
TYPE_PENALTY_ALIAS = 3.0     # "V." typed, "VIALE" found: the abbreviation allows it
TYPE_PENALTY_NONE = 2.0      # no type typed, not a "VIA"
TYPE_PENALTY_RELATED = 6.0   # "via" typed, "viale" / "corso" found
TYPE_PENALTY_OTHER = 12.0    # "via" typed, "ponte" / "piazza" found

_TYPES_BY_LENGTH = sorted(STREET_TYPES, key=len, reverse=True)


def split_key(key: str) -> tuple[str, str]:
    """``"VIA PRIVATA X"`` -> ``("VIA PRIVATA", "X")``: a key's street type and name key."""
    for t in _TYPES_BY_LENGTH:
        if key.startswith(t + " "):
            return t, key[len(t) + 1:]
    head, _, rest = key.partition(" ")
    return head, rest


def type_penalty(typed: str | None, alias: str | None, candidate: str) -> float:
    """Points lost when the candidate's street type differs from the typed one."""
    if typed is None:
        return 0.0 if candidate == "VIA" else TYPE_PENALTY_NONE
    if typed == candidate:
        return 0.0
    if alias is not None and candidate in AMBIGUOUS_ALIASES.get(alias, ()):
        return TYPE_PENALTY_ALIAS
    if (typed in _ROADS and candidate in _ROADS) or (typed in _SQUARES and candidate in _SQUARES):
        return TYPE_PENALTY_RELATED
    return TYPE_PENALTY_OTHER


def name_score(typed: str, candidate: str, *, typed_tokens: frozenset[str] | None = None,
               candidate_tokens: frozenset[str] | None = None, subsets: bool = True) -> float:
    """Similarity (0-100) of two street name keys.

    A plain edit-distance ratio, raised when the typed words are all in the official
    name ("GARIBALDI" in "GIUSEPPE GARIBALDI": 92) or are the same words without the
    articles (97); capped at 80 when the typed name has distinctive words the official
    one lacks ("S GIOVANNI BOSCO" is not "S GIOVANNI"). ``subsets=False`` (no street
    type typed) keeps only the plain ratio.
    """
    if typed == candidate:
        return 100.0
    r = fuzz.ratio(typed, candidate)
    if len(typed) >= 5 and r >= 60:
        # one keyboard slip (a letter swapped, dropped, doubled or replaced) in a name of
        # five letters or more: "CORSO TROINO" is "CORSO TORINO"
        if OSA.distance(typed, candidate, score_cutoff=1) <= 1:
            r = max(r, ONE_SLIP_SCORE)
    if not subsets:
        return r
    ta = distinctive_tokens(typed) if typed_tokens is None else typed_tokens
    tb = distinctive_tokens(candidate) if candidate_tokens is None else candidate_tokens
    initials = [w for w in ta if len(w) == 1 and not w.isdigit()]
    if initials:
        # "C. BATTISTI" for "CESARE BATTISTI": an initial stands for a word with that letter
        ta = ta - frozenset(initials)
        rest = [w for w in tb - ta]
        for c in initials:
            hit = next((w for w in rest if w.startswith(c)), None)
            if hit is None:
                return min(r, EXTRA_WORDS_CAP)
            rest.remove(hit)
    if not ta or not tb:
        return r
    if ta == tb:
        return max(r, SAME_WORDS_SCORE)
    if ta < tb:
        return max(r, SUBSET_SCORE) if max(len(w) for w in ta) >= 4 else r
    if tb < ta:
        return min(r, EXTRA_WORDS_CAP)
    if len(ta) < len(tb):
        # every typed word close to a different official word: "MAZINI" ~ "GIUSEPPE MAZZINI"
        worst = 100.0
        for w in ta:
            best = max((_word_similarity(w, v) for v in tb), default=0.0)
            worst = min(worst, best)
        if worst >= 80 and max(len(w) for w in ta) >= 4:
            return max(r, SUBSET_SCORE - (100.0 - worst) / 2)
    return r


def _word_similarity(a: str, b: str) -> float:
    r = fuzz.ratio(a, b)
    if len(a) >= 5 and r < ONE_SLIP_SCORE and OSA.distance(a, b, score_cutoff=1) <= 1:
        return ONE_SLIP_SCORE
    return r


class StreetCandidate(NamedTuple):
    """One official street proposed for a typed one."""

    score: float
    key: str
    penalty: float


class StreetIndex:
    """The streets of one town, indexed for matching typed names.

    Exact (type, name) and name-only dictionaries first; then a word index (typed
    words all in an official name); then rapidfuzz over the names for typos.

    Parameters
    ----------
    keys : sequence of str
        Official street keys (``"VIA ROMA"``, ``"VIA PRIVATA EREDI CASTELLI"``).
    """

    def __init__(self, keys: list[str] | tuple[str, ...]) -> None:
        self.keys = list(dict.fromkeys(keys))
        parts = [split_key(k) for k in self.keys]
        self.types = [p[0] for p in parts]
        self.names = [p[1] for p in parts]
        self.tokens = [distinctive_tokens(n) for n in self.names]
        self.last = [n.rsplit(" ", 1)[-1] for n in self.names]
        self.exact: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.by_token: dict[str, list[int]] = {}
        self.by_words: dict[frozenset[str], list[int]] = {}
        self.by_length: dict[int, list[int]] = {}
        self.exact_keys = frozenset(self.keys)
        for i, (t, n) in enumerate(parts):
            self.by_length.setdefault(len(n), []).append(i)
            self.exact.setdefault((t, n), i)
            self.by_name.setdefault(n, []).append(i)
            self.by_words.setdefault(self.tokens[i], []).append(i)
            for w in self.tokens[i]:
                if len(w) >= 3:
                    self.by_token.setdefault(w, []).append(i)

    def __len__(self) -> int:
        return len(self.keys)

    def _similar_names(self, name: str, cutoff: float, limit: int = 6) -> list[int]:
        """Indices of names whose plain ratio with ``name`` reaches ``cutoff`` (rapidfuzz).

        Only names of a length that can reach the cutoff are compared: a ratio of c needs
        the shorter name to be at least c / (200 - c) of the longer one.
        """
        la = len(name)
        if la == 0:
            return []
        c = cutoff / 100.0
        lo, hi = math.ceil(la * c / (2 - c)), math.floor(la * (2 - c) / c)
        pool = [i for n in range(lo, hi + 1) for i in self.by_length.get(n, ())]
        if not pool:
            return []
        hits = process.extract(name, [self.names[i] for i in pool], scorer=fuzz.ratio,
                               score_cutoff=cutoff, limit=limit)
        return [pool[j] for _, _, j in hits]

    def candidates(self, street_type: str | None, alias: str | None, name: str, *,
                   floor: float = SUGGEST_FLOOR, fuzzy: bool = True) -> list[StreetCandidate]:
        """Official streets for a typed (type, name key), best first, scores >= ``floor``.

        The score is :func:`name_score` minus :func:`type_penalty`; ties are broken by the
        smaller type penalty, then by key (never by file order alone). Dictionaries
        answer exact names; the word index and rapidfuzz run only when they do not, and
        a high ``floor`` (above :data:`SUBSET_SCORE`) skips the word index, which cannot
        reach it.
        """
        found: dict[int, tuple[float, float]] = {}

        def add(i: int, s: float, pen: float) -> None:
            old = found.get(i)
            if old is None or s - pen > old[0] - old[1]:
                found[i] = (s, pen)

        for i in self.by_name.get(name, ()):
            add(i, 100.0, type_penalty(street_type, alias, self.types[i]))
        if street_type is not None and alias == street_type:
            # "Strada Nuova 45": the type word may be part of the name (CORSO STRADA NUOVA)
            for i in self.by_name.get(f"{street_type} {name}", ()):
                add(i, 100.0, type_penalty(None, None, self.types[i]))
        subsets = street_type is not None
        ta = distinctive_tokens(name)
        if subsets and ta:
            for i in self.by_words.get(ta, ()):
                if i not in found:
                    add(i, SAME_WORDS_SCORE, type_penalty(street_type, alias, self.types[i]))
        if fuzzy and (not found or max(s - p for s, p in found.values()) < SAME_WORDS_SCORE):
            pool: set[int] = set()
            if subsets and floor <= SUBSET_SCORE:
                for w in ta:
                    pool.update(self.by_token.get(w, ()))
            cutoff = floor if floor > ONE_SLIP_SCORE else min(floor, ONE_SLIP_FLOOR)
            pool.update(self._similar_names(name, cutoff))
            if subsets and len(ta) == 1 and floor <= SUBSET_SCORE:
                (w,) = ta
                if len(w) >= 4:
                    for _, _, i in process.extract(w, self.last, scorer=fuzz.ratio,
                                                   score_cutoff=80, limit=6):
                        pool.add(i)
            for i in pool:
                s = name_score(name, self.names[i], typed_tokens=ta, candidate_tokens=self.tokens[i],
                               subsets=subsets)
                if s >= floor:
                    add(i, s, type_penalty(street_type, alias, self.types[i]))
        out = [StreetCandidate(round(s - p, 1), self.keys[i], p) for i, (s, p) in found.items() if s - p >= floor]
        out.sort(key=lambda c: (-c.score, c.penalty, c.key))
        return out


@lru_cache(maxsize=64)
def _index_for(candidates: tuple[str, ...]) -> StreetIndex:
    return StreetIndex(candidates)


def match_street(
    key: str, street_type: str | None, candidates: list[str], *, cutoff: float = STREET_CUTOFF,
    alias: str | None = None,
) -> tuple[str | None, float]:
    """Best official key for a typed street key, and its score (0-100).

    None when the best is below ``cutoff`` or when two streets tie (ambiguous).
    Kept for callers that hold plain key lists; the geocoder uses :class:`StreetIndex`.
    """
    if not candidates:
        return None, 0.0
    index = _index_for(tuple(candidates))
    _, name = split_key(key)
    cands = index.candidates(street_type, alias if alias is not None else street_type, name)
    if not cands:
        return None, 0.0
    best = cands[0]
    if best.score < cutoff:
        return None, best.score
    if len(cands) > 1 and cands[1].score > best.score - AMBIGUITY_MARGIN and best.score < 100:
        return None, best.score
    return best.key, best.score


@dataclass
class Gazetteer:
    """Streets, address points and street lines of the project's towns.

    Attributes
    ----------
    streets : DataFrame
        ``town, street_type, street_name, key, name_key, official`` (official = in ANNCSU).
    points : DataFrame
        ``town, key, number (int), lon, lat, source, n, spread_m`` (n = records
        averaged, spread_m = how far apart they were). Number 0 = a point of the
        street without a house number: one row per distinct point.
    lines : GeoDataFrame or None
        ``town, key, geometry`` (EPSG:4326) where a source gave street geometry.
    notes : list of str
        What was fixed while building (e.g. a service declared in the wrong town).
    sources : list of str
        Human-readable names of the sources.
    source_files : list of dict
        ``label, file, bytes, sha256, modified`` of every file the gazetteer was built
        from (filled by :func:`fragmap.geocode.default_gazetteer`), plus ``built``.
    links : DataFrame or None
        How each source's street names were linked to the official ones
        (:data:`fragmap.geocode.reconcile.LINK_COLUMNS`: matched / ambiguous /
        unmatched / override). Names written with a street type that differ from the
        official one ("CORSO FRATELLI CAIROLI") are also spellings the geocoder knows.
    places : DataFrame or None
        Named points that are not streets (``town, name, kind, lon, lat, source``:
        hamlets, the station, churches, quarter landmarks).
    """

    streets: pd.DataFrame
    points: pd.DataFrame
    lines: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    source_files: list[dict[str, Any]] = field(default_factory=list)
    format_version: str = GAZETTEER_FORMAT
    links: pd.DataFrame | None = None
    places: pd.DataFrame | None = None

    def aliases(self) -> pd.DataFrame:
        """``town, alias, key``: other sources' spellings (with a street type) of official streets."""
        if self.links is None or not len(self.links):
            return pd.DataFrame(columns=["town", "alias", "key"])
        return typed_alias_keys(self.links)

    @property
    def version(self) -> str:
        """A short hash of the content: the geocoding cache is invalid when it changes.

        Computed once per content (the tables are not expected to change in place; a
        different table object gives a fresh hash).
        """
        ident = (id(self.streets), id(self.points), id(self.lines), id(self.links), len(self.streets), len(self.points))
        cached = self.__dict__.get("_version")
        if cached is not None and cached[0] == ident:
            return cached[1]
        value = self._hash()
        self.__dict__["_version"] = (ident, value)
        return value

    def _hash(self) -> str:
        h = hashlib.sha1()
        h.update(pd.util.hash_pandas_object(self.streets[["town", "key"]], index=False).values.tobytes())
        h.update(pd.util.hash_pandas_object(self.points[["town", "key", "number", "lon", "lat"]], index=False).values.tobytes())
        if self.lines is not None and len(self.lines):
            h.update(b"".join(self.lines.geometry.to_wkb()))
        if self.links is not None and len(self.links):
            h.update(pd.util.hash_pandas_object(self.links[["town", "name", "key"]].astype(str), index=False)
                     .values.tobytes())
        return h.hexdigest()[:16]


def typed_alias_keys(links: pd.DataFrame) -> pd.DataFrame:
    """``town, alias, key`` for linked names written WITH a street type and words the official name lacks.

    The geocoder indexes these as extra spellings of the official street, so an address
    typed with the OpenStreetMap name ("Corso Fratelli Cairoli 12") finds the ANNCSU street.
    """
    rows = []
    ok = links[links["status"].isin(["matched", "override"]) & links["key"].ne("") & links["typed"].astype(bool)]
    for town, name, key in zip(ok["town"], ok["name"], ok["key"]):
        p = normalise_address(str(name))
        if p.street_type is None or not p.name_key:
            continue
        alias = f"{p.street_type} {name_key(p.street_name or '')}"
        # a spelling whose words are all in the official name ("VIA ASELLI", "LUNGOTICINO
        # VISCONTI") is found by the matcher anyway; as an alias it would only compete with
        # other streets sharing the surname ("via Visconti" is VIA GIUSEPPE SCARAMUZZA VISCONTI)
        if alias != key and not distinctive_tokens(split_key(alias)[1]) <= distinctive_tokens(split_key(key)[1]):
            rows.append((town, alias, key))
    return pd.DataFrame(rows, columns=["town", "alias", "key"]).drop_duplicates().reset_index(drop=True)


def official_streets(anncsu: pd.DataFrame) -> pd.DataFrame:
    """ANNCSU odonyms (``DUG`` type, ``DUF`` name, ``comune``) as ``town, street_type, street_name, key, name_key``."""
    df = pd.DataFrame(
        {
            "town": anncsu["comune"].astype(str),
            "street_type": anncsu["DUG"].astype(str).map(fold),
            "street_name": anncsu["DUF"].astype(str).map(fold),
        }
    )
    df = df[df["street_type"] != "DUG"]  # a repeated header line
    df["name_key"] = df["street_name"].map(name_key)
    df["key"] = df["street_type"] + " " + df["name_key"]
    df["official"] = True
    return df.drop_duplicates(["town", "key"]).sort_values(["town", "key"]).reset_index(drop=True)[
        ["town", "street_type", "street_name", "key", "name_key", "official"]
    ]


def service_points(services: pd.DataFrame, towns: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Address points from service records: ``town, street_type, type_alias, name_key, street_name, number, lon, lat``.

    The town is taken from the coordinates (point in comune polygon); a record declared
    in another town is kept in the right one and noted.
    """
    addr = service_address(services)
    ok = services["lat"].notna() & services["lon"].notna() & addr.ne("")
    s = services[ok]
    pts = gpd.GeoDataFrame(
        {"address": addr[ok].to_numpy()},
        geometry=gpd.points_from_xy(s["lon"], s["lat"]),
        crs=4326,
    )
    joined = gpd.sjoin(pts, towns[["name", "geometry"]], predicate="within", how="inner")
    declared = _declared_town(s).reindex(s.index).to_numpy()
    parse = normaliser({fold(n): str(n) for n in towns["name"]}, {})  # the towns' names are not streets
    notes = []
    rows = []
    for i, (address, geom, town) in enumerate(zip(joined["address"], joined.geometry, joined["name"])):
        d = declared[joined.index[i]]
        if d and fold(d) != fold(town):
            notes.append(f"'{address}' declared in {d.title()} but its coordinates lie in {town}: kept in {town}")
        p = parse(address)
        if p.street_name is None or p.name_key is None:
            continue
        # number 0 = a known point of the street without a civic number
        rows.append((town, p.street_type, p.type_alias, p.name_key, p.street_name, p.house_number or 0, geom.x, geom.y))
    df = pd.DataFrame(rows, columns=["town", "street_type", "type_alias", "name_key", "street_name", "number", "lon", "lat"])
    return df, notes


def service_address(services: pd.DataFrame) -> pd.Series:
    """The address of each record, whichever source layout it comes from (row by row)."""

    def col(name: str) -> pd.Series:
        if name in services.columns:
            return services[name].fillna("").astype(str).str.strip()
        return pd.Series("", index=services.index)

    school = (col("INDIRIZZO_SEDE") + " " + col("CIVICO_SEDE")).str.strip()
    out = school.where(school != "", col("INDIRIZZO"))
    return out.where(out != "", col("address")).str.strip()


def _declared_town(services: pd.DataFrame) -> pd.Series:
    out = pd.Series("", index=services.index)
    for c in ("COMUNE_SEDE", "COMUNE", "LOCALITA", "town"):
        if c in services.columns:
            v = services[c].fillna("").astype(str)
            out = out.where(out != "", v)
    return out


def _parse_streets(streets: pd.Series) -> pd.DataFrame:
    """``street_type, type_alias, name_key, street_name`` for street strings, each unique one parsed once."""
    uniq = pd.unique(streets.astype(str))
    parsed = {s: normalise_address(s) for s in uniq}
    rows = [parsed[s] for s in streets.astype(str)]
    return pd.DataFrame({
        "street_type": [p.street_type for p in rows],
        "type_alias": [p.type_alias for p in rows],
        "name_key": [p.name_key for p in rows],
        "street_name": [p.street_name for p in rows],
    }, index=streets.index)


def metres(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Distance in metres between WGS84 points (equirectangular; exact enough within a town)."""
    lat0 = np.radians((np.asarray(lat1, dtype=float) + np.asarray(lat2, dtype=float)) / 2)
    dx = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float)) * np.cos(lat0) * 6_371_000.0
    dy = np.radians(np.asarray(lat2, dtype=float) - np.asarray(lat1, dtype=float)) * 6_371_000.0
    return np.hypot(dx, dy)


def rekey(gaz: Gazetteer) -> Gazetteer:
    """Bring the point and line keys of a gazetteer built with older matching rules up to date.

    Each stored key's name is re-normalised (numbers as digits...) and matched to the
    official streets again, as :func:`build_gazetteer` would; points that now share a
    key and number are averaged.
    """
    official = gaz.streets[gaz.streets["official"].astype(bool)]
    index_by_town = {str(t): StreetIndex(g["key"].tolist()) for t, g in official.groupby("town")}
    mapping: dict[tuple[str, str], str] = {}
    pairs = set(zip(gaz.points["town"], gaz.points["key"]))
    if gaz.lines is not None:
        pairs |= set(zip(gaz.lines["town"], gaz.lines["key"]))
    for town, key in pairs:
        st, old_name = split_key(str(key))
        nk = name_key(old_name)
        idx = index_by_town.get(str(town))
        new = f"{st} {nk}"
        if idx is not None and new not in idx.exact_keys:
            cands = idx.candidates(st, st, nk)
            if cands and cands[0].score >= STREET_CUTOFF and not (
                    len(cands) > 1 and cands[1].score > cands[0].score - AMBIGUITY_MARGIN):
                new = cands[0].key
        mapping[(town, key)] = new
    pts = gaz.points.copy()
    pts["key"] = [mapping[(t, k)] for t, k in zip(pts["town"], pts["key"])]
    if "spread_m" not in pts:
        pts["spread_m"] = 0.0
    pts = (pts.groupby(["town", "key", "number"], as_index=False, sort=True)
           .agg(lon=("lon", "mean"), lat=("lat", "mean"), source=("source", "first"), n=("n", "sum"),
                spread_m=("spread_m", "max")))
    lines = gaz.lines
    if lines is not None and len(lines):
        lines = lines.assign(key=[mapping[(t, k)] for t, k in zip(lines["town"], lines["key"])])
        lines = lines.dissolve(by=["town", "key"], as_index=False)[["town", "key", "geometry"]]
    known = set(zip(official["town"], official["key"]))
    extra = sorted({(t, k) for t, k in zip(pts["town"], pts["key"])} - known)
    streets = official
    if extra:
        rows = [(t, split_key(k)[0], split_key(k)[1], k, split_key(k)[1], False) for t, k in extra]
        streets = pd.concat([official, pd.DataFrame(rows, columns=official.columns)], ignore_index=True)
    return Gazetteer(streets.reset_index(drop=True), pts, lines, gaz.notes, gaz.sources, gaz.source_files,
                     GAZETTEER_FORMAT, links=gaz.links, places=gaz.places)


class Placement(NamedTuple):
    """Where a house number lands on a street known by numbered points.

    ``kind``: ``exact`` (a known point), ``interpolated`` (between two known numbers),
    ``nearest`` (outside the known range, or the street has one point: the nearest
    known point stands for the street). ``low``/``high`` are the known numbers used.
    """

    x: float
    y: float
    kind: str
    low: int | None
    high: int | None
    uncertainty_m: float


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`metres` for two scalar points (no numpy: the geocoder's hot path)."""
    lat0 = math.radians((lat1 + lat2) / 2)
    dx = math.radians(lon2 - lon1) * math.cos(lat0) * 6_371_000.0
    dy = math.radians(lat2 - lat1) * 6_371_000.0
    return math.hypot(dx, dy)


class StreetPoints:
    """The numbered points of one street, sorted for fast placement of house numbers.

    Parameters
    ----------
    numbers, xs, ys : array-like
        House numbers (0 = a point of the street without a number) and lon/lat.
    """

    __slots__ = ("numbers", "xs", "ys", "_sides", "_all", "_at", "_middle", "_reach")

    def __init__(self, numbers: Any, xs: Any, ys: Any) -> None:
        self.numbers = list(map(int, numbers.tolist() if hasattr(numbers, "tolist") else numbers))
        self.xs = list(map(float, xs.tolist() if hasattr(xs, "tolist") else xs))
        self.ys = list(map(float, ys.tolist() if hasattr(ys, "tolist") else ys))
        self._at: dict[int, int] = {}
        for i, k in enumerate(self.numbers):
            self._at.setdefault(k, i)
        self._middle: tuple[float, float] | None = None
        self._reach: float | None = None
        numbered = sorted((n, x, y) for n, x, y in zip(self.numbers, self.xs, self.ys) if n > 0)
        self._all = ([n for n, _, _ in numbered], numbered)
        self._sides = {
            parity: ([n for n, _, _ in side], side)
            for parity in (0, 1)
            for side in [[r for r in numbered if r[0] % 2 == parity]]
        }

    def middle(self) -> tuple[float, float]:
        """A known point of the street: the one nearest the average of them (not the average)."""
        if self._middle is None:
            mx, my = sum(self.xs) / len(self.xs), sum(self.ys) / len(self.ys)
            i = min(range(len(self.xs)), key=lambda j: metres_between(self.xs[j], self.ys[j], mx, my))
            self._middle = (self.xs[i], self.ys[i])
        return self._middle

    def reach(self) -> float:
        """Metres from :meth:`middle` to the farthest known point: the street is at least this long each way."""
        if self._reach is None:  # kept, like the middle: asked for every address placed on the street alone
            x, y = self.middle()
            self._reach = max((metres_between(x, y, a, b) for a, b in zip(self.xs, self.ys)), default=0.0)
        return self._reach

    def place(self, n: int) -> Placement:
        """See :func:`place_number`."""
        import bisect

        i = self._at.get(n)
        if i is not None:
            return Placement(self.xs[i], self.ys[i], "exact", n, n, 0.0)
        keys_all, rows_all = self._all
        if not keys_all:
            x, y = sum(self.xs) / len(self.xs), sum(self.ys) / len(self.ys)
            return Placement(x, y, "nearest", None, None, math.nan)
        for keys, rows in (self._sides[n % 2], self._all):
            j = bisect.bisect_left(keys, n)
            if 0 < j < len(keys):
                (n0, x0, y0), (n1, x1, y1) = rows[j - 1], rows[j]
                f = (n - n0) / (n1 - n0)
                x, y = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
                unc = max(metres_between(x, y, x0, y0), metres_between(x, y, x1, y1))
                return Placement(x, y, "interpolated", n0, n1, unc)
        j = bisect.bisect_left(keys_all, n)
        cands = [rows_all[i] for i in (j - 1, j) if 0 <= i < len(rows_all)]
        k, x, y = min(cands, key=lambda r: (abs(r[0] - n), r[0]))
        return Placement(x, y, "nearest", k, k, math.nan)


def place_number(numbers: np.ndarray, xs: np.ndarray, ys: np.ndarray, n: int) -> Placement:
    """Place house number ``n`` on a street known by numbered points.

    Exact number -> that point. Between two known numbers -> linear interpolation
    between the nearest lower and higher numbers, preferring the same side of the
    street (same parity) when both sides are known; its uncertainty is the distance to
    the farther of the two (the true door lies between them). Outside the known range
    -> the nearest known number, uncertainty unknown here (``nan``: the caller decides).
    """
    return StreetPoints(numbers, xs, ys).place(int(n))
