"""Geocode reports against the gazetteer: exact, then fuzzy street names within the right town.

Result levels (``match_level``) and what the point means:

``coordinate``  the partner gave lat/lon inside a configured town: kept (score 100)
``civico``      the exact house number is a known address point (``uncertainty_m``:
                the point's own size, at least :data:`CIVICO_UNCERTAINTY_M`)
``via``         a point ON THE STREET, of uncertain position along it. Either the
                number was interpolated between two known numbers of the same street
                (``uncertainty_m`` = distance to the farther of the two), or the number
                is near a known one (``uncertainty_m`` estimated from
                :data:`METRES_PER_NUMBER`), or the position along the street is not
                known at all (a known point or the middle of the street line stands for
                the street: ``uncertainty_m`` = :data:`VIA_UNCERTAINTY_M`, or half the
                street line's length, or the distance to the street's farthest known point when
                that is more). ``matched_address`` carries the house number only
                when the point was interpolated for it.
``quartiere``   no usable address, but a quarter name (assigned by name later; no point)
``comune``      only the town is known: the street exists officially but has no
                geometry offline, or the street typed resembles one of the town's
                streets too weakly (below ``min_score``) or equally well as another
                (ambiguous). No point: a fake point at the town centre would be counted
                in a quarter. These go to the review file.
``non_trovato`` nothing usable (unknown street, another town, blank, or a street that
                exists in both towns when the report says neither)

Each unique (address, town) pair is looked up once; a persistent cache keeps the
answers between monthly runs (:class:`GeocodeCache`), with the backends that were
tried, so an address missed offline is tried online once the online backend is on.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from fragmap._errors import GeocodingError
from fragmap._geo import UTM
from fragmap.geocode.gazetteer import (
    AMBIGUITY_MARGIN,
    SAME_WORDS_SCORE,
    STREET_CUTOFF,
    SUGGEST_FLOOR,
    Gazetteer,
    StreetCandidate,
    StreetIndex,
    StreetPoints,
    metres_between,
)
from fragmap.geocode.normalise import (
    AMBIGUOUS_ALIASES,
    CAPS,
    ParsedAddress,
    fold,
    name_key,
    normaliser,
    town_of,
)
from fragmap.i18n import translate
from fragmap.io.geocode_cache import AnswerCache

LEVELS = ("coordinate", "civico", "via", "quartiere", "comune", "non_trovato")

#: Uncertainty (m) of a known address point: a building's coordinates, not its door.
CIVICO_UNCERTAINTY_M = 10.0
#: Rough street frontage per unit of house number (odd and even sides alternate), used
#: only for a number within :data:`NEAR_NUMBERS` of a known one. An estimate, not a measure.
METRES_PER_NUMBER = 8.0
#: How far (in house numbers) from a known point a number is still estimated from it.
NEAR_NUMBERS = 10
#: Conventional uncertainty (m) of a 'via' point whose position along the street is unknown
#: (a street known by one point, or a number far from every known one). ANNCSU gives no
#: street geometry or length, so this is a documented convention, not a measurement:
#: treat such points as "somewhere on this street".
VIA_UNCERTAINTY_M = 500.0
#: Records of one house number farther apart than this (m) contradict each other: no point.
CONFLICT_M = 100.0
#: Points taken off when the town was guessed from the street name (no town given).
TOWN_GUESS_PENALTY = 5.0
#: Between towns, the best must lead the next by this much, else the address is ambiguous.
TOWN_MARGIN = 5.0
#: Bump when the matching rules change: cached answers of older rules are not reused.
ALGORITHM_VERSION = "2"

MESSAGES: dict[str, dict[str, str]] = {
    "other_town": {"it": "altro comune: {town}", "en": "another town: {town}"},
    "town_only": {"it": "solo il comune", "en": "town only"},
    "no_street": {"it": "via mancante", "en": "no street"},
    "no_geometry": {"it": "via senza geometria", "en": "street without geometry"},
    "uncertain": {"it": "via incerta: forse {street} (punteggio {score:.0f}, minimo {minimum:.0f})",
                  "en": "uncertain street: perhaps {street} (score {score:.0f}, minimum {minimum:.0f})"},
    "ambiguous_streets": {"it": "ambiguo tra {streets}", "en": "ambiguous between {streets}"},
    "ambiguous_towns": {"it": "ambiguo: la via esiste a {towns}; indicare il comune",
                        "en": "ambiguous: the street exists in {towns}; give the town"},
    "exists_elsewhere": {"it": "la via esiste a {towns}", "en": "the street exists in {towns}"},
    "town_conflict": {"it": "comune dell'indirizzo ({address_town}) diverso da quello della segnalazione ({town})",
                      "en": "the address's town ({address_town}) differs from the report's ({town})"},
    "town_guessed": {"it": "comune dedotto dalla via", "en": "town deduced from the street"},
    "interpolated": {"it": "interpolato tra i n. {low} e {high}", "en": "interpolated between Nos {low} and {high}"},
    "near_number": {"it": "n. {number} non noto: punto del n. {ref} (circa {metres:.0f} m)",
                    "en": "No. {number} unknown: point of No. {ref} (about {metres:.0f} m)"},
    "far_number": {"it": "n. {number} non noto: punto del n. {ref}, posizione lungo la via incerta",
                   "en": "No. {number} unknown: point of No. {ref}, position along the street unknown"},
    "street_only": {"it": "posizione lungo la via incerta", "en": "position along the street unknown"},
    "conflict": {"it": "fonti discordanti per il n. {number} (punti a {metres:.0f} m tra loro)",
                 "en": "sources disagree on No. {number} (points {metres:.0f} m apart)"},
    "outside": {"it": "coordinate fuori dai comuni: scartate", "en": "coordinates outside the towns: dropped"},
    "online_unreachable": {
        "it": "Geocodifica online non raggiungibile ({error}): {left} {left|indirizzo resta|indirizzi restano} solo offline "
              "(salvati nella cache; saranno ritentati online alla prossima esecuzione).",
        "en": "Online geocoder unreachable ({error}): {left} {left|address|addresses} left offline-only "
              "(saved in the cache; they will be retried online on the next run).",
    },
}


class OnlineUnavailableWarning(UserWarning):
    """The online backend failed mid-run; the run went on offline only."""


class Match(NamedTuple):
    """One geocoding answer (a named tuple: cheap to build by the hundred thousand).

    ``reason`` is a short code for answers without a point (``other_town``,
    ``ambiguous``, ``uncertain``, ``no_geometry``...); ``backends`` lists what was
    tried (``offline``, ``offline,online``).
    """

    lat: float
    lon: float
    level: str
    score: float
    matched: str
    note: str = ""
    uncertainty_m: float = math.nan
    town: str = ""
    key: str = ""
    reason: str = ""
    backends: str = "offline"

    @property
    def is_miss(self) -> bool:
        """No point (and not for a reason another backend cannot fix)."""
        return math.isnan(self.lat) and self.reason not in ("other_town", "ambiguous", "no_street")


NOT_FOUND = Match(math.nan, math.nan, "non_trovato", 0.0, "", "")


class GeocodeCache(AnswerCache):
    """A persistent cache of answers, keyed on the rules, the gazetteer version and the typed address.

    Stored in SQLite (one small file, :class:`fragmap.io.geocode_cache.AnswerCache`); a
    gazetteer rebuild or a change of the rules changes the key, so stale answers are never
    reused. Each answer records the backends tried, so an offline miss is retried once the
    online backend is on.
    """

    def get_many(self, keys: list[str]) -> dict[str, Match]:
        """Cached answers for the keys that have one."""
        return {k: Match._make(row) for k, row in self.rows(keys).items()}


class _Resolved:
    """Outcome of matching a typed street in one town."""

    __slots__ = ("town", "candidates", "best", "tie")

    def __init__(self, town: str, candidates: list[StreetCandidate]) -> None:
        self.town = town
        self.candidates = candidates
        self.best = candidates[0] if candidates else None
        self.tie = [c for c in candidates[1:] if self.best is not None and c.score > self.best.score - AMBIGUITY_MARGIN]


class Geocoder:
    """Offline geocoder over a :class:`Gazetteer`, with an optional cache and online backend.

    Parameters
    ----------
    gazetteer : Gazetteer
    towns : GeoDataFrame, optional
        Comune polygons (``name``) to check coordinates given by partners.
    cache : GeocodeCache, optional
    online : object, optional
        Something with ``lookup(address, town) -> Match | None`` (see
        :class:`fragmap.geocode.online.OnlineBackend`), asked only for addresses the
        gazetteer cannot place, after the cache. Off unless the settings turn it on.
    town_names : tuple of str, optional
        The project's towns (canonical names); default the ``name`` of ``towns``, else the
        towns of the gazetteer.
    caps : dict, optional
        Postal code -> town (the project's ``[[towns]] cap``; default none).
    min_score : float
        Street matches below it never place a point (``[geocoding] min_score``).
    language : str
        ``"it"`` (default) or ``"en"``, for notes and messages.

    Examples
    --------
    >>> g = Geocoder(gazetteer, towns=polygons)                 # doctest: +SKIP
    >>> g.lookup("v.le Matteotti 12", "Voghera")                # doctest: +SKIP
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        towns: Any = None,
        cache: GeocodeCache | None = None,
        online: Any = None,
        town_names: tuple[str, ...] | None = None,
        caps: dict[str, str] | None = None,
        min_score: float = STREET_CUTOFF,
        language: str = "it",
    ) -> None:
        self.gazetteer = gazetteer
        self.towns = towns
        self.cache = cache
        self.online = online
        if town_names is None:  # the towns of the polygons given, else of the gazetteer
            named = towns["name"] if towns is not None and "name" in getattr(towns, "columns", ()) \
                else gazetteer.streets["town"]
            town_names = tuple(sorted({str(t) for t in named}))
        self.town_names = tuple(town_names)
        self.min_score = float(min_score)
        self.language = language
        self.messages: list[str] = []
        self._town_map = {fold(t): t for t in self.town_names}
        self._caps = dict(CAPS) if caps is None else dict(caps)
        self._parse = normaliser(self._town_map, self._caps)
        streets = gazetteer.streets
        # other sources' spellings of official streets ("CORSO FRATELLI CAIROLI"), linked once at build
        self._alias: dict[tuple[str, str], str] = {}
        aliases = gazetteer.aliases()
        for t, a, k in zip(aliases["town"], aliases["alias"], aliases["key"]):
            self._alias[(str(t), str(a))] = str(k)
        extra: dict[str, list[str]] = {}
        for t, a in self._alias:
            extra.setdefault(t, []).append(a)
        self._index = {str(t): StreetIndex(g["key"].tolist() + extra.get(str(t), []))
                       for t, g in streets.groupby("town", sort=True)}
        self._names = {
            (t, k): f"{st} {n}".strip()
            for t, k, st, n in zip(streets["town"], streets["key"], streets["street_type"], streets["street_name"])
        }
        pts = gazetteer.points
        spread = pts["spread_m"].to_numpy(float) if "spread_m" in pts else np.zeros(len(pts))
        self._exact: dict[tuple[str, str, int], tuple[float, float, float]] = {}
        for t, k, num, x, y, s in zip(pts["town"], pts["key"], pts["number"].to_numpy(int),
                                      pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), spread):
            self._exact.setdefault((t, k, int(num)), (float(x), float(y), float(s)))
        self._points: dict[tuple[str, str], tuple[list[int], list[float], list[float]]] = {}
        self._street_points: dict[tuple[str, str], StreetPoints] = {}
        self._town_memo: dict[str, str | None] = {}
        if len(pts):
            # contradictory records (see CONFLICT_M) never stand for their street
            usable = pts[spread <= CONFLICT_M]
            order = np.lexsort((usable["key"].to_numpy(), usable["town"].to_numpy()))
            p = usable.iloc[order]
            tk = list(zip(p["town"], p["key"]))
            # plain lists: StreetPoints works in pure Python (numpy scalars are slow one by one)
            nums = p["number"].to_numpy(int).tolist()
            xs, ys = p["lon"].to_numpy(float).tolist(), p["lat"].to_numpy(float).tolist()
            start = 0
            for i in range(1, len(tk) + 1):
                if i == len(tk) or tk[i] != tk[start]:
                    self._points[tk[start]] = (nums[start:i], xs[start:i], ys[start:i])
                    start = i
        self._lines: dict[tuple[str, str], tuple[Any, float]] = {}
        if gazetteer.lines is not None and len(gazetteer.lines):
            lengths = gazetteer.lines.to_crs(UTM).length.to_numpy()
            for t, k, geom, length in zip(gazetteer.lines["town"], gazetteer.lines["key"], gazetteer.lines.geometry, lengths):
                self._lines[(t, k)] = (geom, float(length))
        self._memo: dict[tuple[str, str | None, str | None, str], _Resolved] = {}

    def _t(self, key: str, /, **values: Any) -> str:
        return translate(MESSAGES, key, self.language, **values)

    # -- one address -----------------------------------------------------------------------
    def parse(self, address: str) -> ParsedAddress:
        """Normalise an address with the project's towns and postal codes."""
        return self._parse(address)

    def lookup(self, address: str | None, town: str | None = None) -> Match:
        """Geocode one address (``town`` is the report's town column, if any)."""
        if address is None or not str(address).strip():
            return NOT_FOUND
        p = self.parse(str(address))
        given = None
        if town:
            if town not in self._town_memo:
                self._town_memo[town] = town_of(town, self._town_map)
            given = self._town_memo[town]
        if p.other_town and fold(p.other_town) not in self._town_map and p.town is None:
            return Match(math.nan, math.nan, "non_trovato", 0.0, "", self._t("other_town", town=p.other_town.title()),
                         reason="other_town")
        if given is not None and given not in self.town_names and p.town is None:
            return Match(math.nan, math.nan, "non_trovato", 0.0, "", self._t("other_town", town=given.title()),
                         reason="other_town")
        if p.name_key is None:
            t = p.town or given
            if t in self.town_names:
                return Match(math.nan, math.nan, "comune", 0.0, "", self._t("town_only"), town=t, reason="no_street")
            return NOT_FOUND._replace(note=self._t("no_street"), reason="no_street")
        m = self._lookup_parsed(p, given)
        if not m.key and p.town is None and not given:
            # "VIA ROMA PAVIA": a town typed after the street without a comma or number
            words = p.street_name.split() if p.street_name else []
            if len(words) >= 2 and words[-1] in self._town_map:
                alt_name = " ".join(words[:-1])
                alt = p._replace(street_name=alt_name, name_key=name_key(alt_name) or None, town=self._town_map[words[-1]])
                if alt.name_key:
                    m2 = self._lookup_parsed(alt, None)
                    if not math.isnan(m2.lat) or m2.level == "comune":
                        return m2
        return m

    def street_candidates(self, address: str | None, town: str | None = None, *, k: int = 5,
                          floor: float = 50.0) -> list[tuple[str, str, float]]:
        """The closest official streets for a typed address, best first (for a person to choose).

        Only streets the gazetteer can place (with points or a line) are proposed.

        Parameters
        ----------
        address : str
            The typed address.
        town : str, optional
            The report's town column; without it (and without a town in the address) every
            configured town is searched.
        k : int
            At most this many candidates.
        floor : float
            Lowest name score (0-100) proposed.

        Returns
        -------
        list of (town, street, score)
            ``street`` is the official name as printed (e.g. ``VIA ROMA``).
        """
        if address is None or not str(address).strip():
            return []
        p = self.parse(str(address))
        if p.name_key is None:
            return []
        given = town_of(town, self._town_map) if town else None
        towns = [p.town or given] if (p.town or given) in self.town_names else list(self.town_names)
        out: list[tuple[str, str, float]] = []
        for t in towns:
            for c in self._resolve(t, p, floor).candidates:
                if (t, c.key) not in self._points and (t, c.key) not in self._lines:
                    continue  # a street the gazetteer cannot place would not help
                out.append((t, self._street_label(t, c.key), round(float(c.score - c.penalty), 1)))
        out.sort(key=lambda c: (-c[2], c[0], c[1]))
        return out[:k]

    def _resolve(self, town: str, p: ParsedAddress, floor: float = SUGGEST_FLOOR, *, fuzzy: bool = True) -> _Resolved:
        """Candidates for the typed street in one town (memoised per run: many reports share a street)."""
        alias = p.type_alias
        # only ambiguous abbreviations and the full word change the outcome
        alias_class = alias if alias in AMBIGUOUS_ALIASES or alias == p.street_type else None
        memo_key = (town, p.street_type, alias_class, p.name_key or "", floor, fuzzy)
        r = self._memo.get(memo_key)
        if r is None:
            index = self._index.get(town)
            cands = (index.candidates(p.street_type, alias_class, p.name_key or "", floor=floor, fuzzy=fuzzy)
                     if index is not None else [])
            if self._alias and cands:
                cands = self._unalias(town, cands)
            r = self._memo[memo_key] = _Resolved(town, cands)
        return r

    def _unalias(self, town: str, cands: list[StreetCandidate]) -> list[StreetCandidate]:
        """Candidates with other sources' spellings replaced by their official street, each street once."""
        out: list[StreetCandidate] = []
        seen: set[str] = set()
        for c in cands:
            k = self._alias.get((town, c.key), c.key)
            if k not in seen:
                seen.add(k)
                out.append(c if k == c.key else c._replace(key=k))
        return out

    def _street(self, tk: tuple[str, str]) -> StreetPoints | None:
        sp = self._street_points.get(tk)
        if sp is None:
            arrays = self._points.get(tk)
            if arrays is None:
                return None
            sp = self._street_points[tk] = StreetPoints(*arrays)
        return sp

    def _accepted(self, r: _Resolved) -> bool:
        return r.best is not None and r.best.score >= self.min_score

    def _street_label(self, town: str, key: str) -> str:
        return self._names.get((town, key), key)

    def _lookup_parsed(self, p: ParsedAddress, given: str | None) -> Match:
        notes: list[str] = []
        if p.town and given and p.town != given:
            notes.append(self._t("town_conflict", address_town=p.town, town=given))
        hinted = [t for t in dict.fromkeys([p.town, given]) if t in self.town_names]
        if hinted:
            for t in hinted:
                r = self._resolve(t, p)
                if self._accepted(r):
                    if r.tie:
                        streets = " / ".join(self._street_label(t, c.key) for c in [r.best, *r.tie][:3])
                        return Match(math.nan, math.nan, "comune", r.best.score, "",
                                     "; ".join([*notes, self._t("ambiguous_streets", streets=streets)]),
                                     town=t, reason="ambiguous_street")
                    return self._place(t, r.best.key, p, r.best.score, notes)
            t = hinted[0]
            r = self._resolve(t, p)
            elsewhere = [o for o in self.town_names if o not in hinted
                         and self._accepted(self._resolve(o, p, SAME_WORDS_SCORE))]
            if elsewhere:
                notes.append(self._t("exists_elsewhere", towns=", ".join(elsewhere)))
            if r.best is not None and r.best.score >= SUGGEST_FLOOR:
                notes.append(self._t("uncertain", street=self._street_label(t, r.best.key), score=r.best.score,
                                     minimum=self.min_score))
                return Match(math.nan, math.nan, "comune", r.best.score, "", "; ".join(notes), town=t, reason="uncertain")
            return Match(math.nan, math.nan, "non_trovato", 0.0, "", "; ".join(notes), town=t, reason="not_found")
        # No town: the street must point at one town clearly. Exact names first; where one
        # town has the name, the others only matter if they come within TOWN_MARGIN of it.
        quick = [self._resolve(t, p, SAME_WORDS_SCORE, fuzzy=False) for t in self.town_names]
        top = max((r.best.score for r in quick if r.best is not None), default=0.0)
        if top >= SAME_WORDS_SCORE:
            floor = max(top - TOWN_MARGIN, self.min_score)
            results = [self._resolve(t, p, floor) for t in self.town_names]
        else:
            results = [self._resolve(t, p) for t in self.town_names]
        good = sorted((r for r in results if self._accepted(r)), key=lambda r: -r.best.score)
        if not good:
            return NOT_FOUND
        if len(good) > 1 and good[1].best.score > good[0].best.score - TOWN_MARGIN:
            towns = " e ".join(r.town for r in good) if self.language == "it" else " and ".join(r.town for r in good)
            return Match(math.nan, math.nan, "non_trovato", 0.0, "", self._t("ambiguous_towns", towns=towns),
                         reason="ambiguous")
        r = good[0]
        if r.tie:
            streets = " / ".join(self._street_label(r.town, c.key) for c in [r.best, *r.tie][:3])
            return Match(math.nan, math.nan, "non_trovato", 0.0, "", self._t("ambiguous_streets", streets=streets),
                         reason="ambiguous")
        notes.append(self._t("town_guessed"))
        return self._place(r.town, r.best.key, p, r.best.score - TOWN_GUESS_PENALTY, notes)

    def _place(self, t: str, k: str, p: ParsedAddress, score: float, notes: list[str]) -> Match:
        """The point (and its uncertainty) for a matched street and the typed number."""
        name = self._street_label(t, k)
        n = p.house_number
        note = "; ".join(notes)

        def done(lat: float, lon: float, level: str, factor: float, matched: str, unc: float, extra: str = "") -> Match:
            full = "; ".join(x for x in (note, extra) if x)
            return Match(lat, lon, level, round(score * factor, 1), matched, full, round(unc, 1), t, k)

        if n is not None:
            hit = self._exact.get((t, k, n))
            if hit is not None:
                x, y, spread = hit
                if spread > CONFLICT_M:
                    return Match(math.nan, math.nan, "comune", round(score, 1), f"{name}, {t}",
                                 "; ".join(x for x in (note, self._t("conflict", number=n, metres=2 * spread)) if x),
                                 town=t, key=k, reason="conflicting_points")
                return done(y, x, "civico", 1.0, f"{name} {p.number}, {t}", max(CIVICO_UNCERTAINTY_M, spread))
        pts = self._street((t, k))
        line = self._lines.get((t, k))
        if pts is not None and n is not None:
            pl = pts.place(n)
            if pl.kind == "interpolated":
                x, y, unc = pl.x, pl.y, pl.uncertainty_m
                if line is not None:
                    x, y, unc = _along_line(line[0], pts, n, pl)
                return done(y, x, "via", 0.9, f"{name} {p.number}, {t}", unc + CIVICO_UNCERTAINTY_M,
                            self._t("interpolated", low=pl.low, high=pl.high))
            if pl.low is not None:
                gap = abs(n - pl.low)
                if gap <= NEAR_NUMBERS:
                    unc = CIVICO_UNCERTAINTY_M + gap * METRES_PER_NUMBER
                    return done(pl.y, pl.x, "via", 0.9, f"{name}, {t}", unc,
                                self._t("near_number", number=p.number, ref=pl.low, metres=unc))
                if line is None:
                    return done(pl.y, pl.x, "via", 0.8, f"{name}, {t}", VIA_UNCERTAINTY_M,
                                self._t("far_number", number=p.number, ref=pl.low))
        if line is not None:
            geom, length = line
            c = geom.interpolate(0.5, normalized=True)
            return done(c.y, c.x, "via", 0.8, f"{name}, {t}", max(length / 2, CIVICO_UNCERTAINTY_M), self._t("street_only"))
        if pts is not None:
            # a known point of the street (the one nearest the middle of them), not an average;
            # the street reaches at least as far as its farthest known point
            x, y = pts.middle()
            return done(y, x, "via", 0.8, f"{name}, {t}", max(VIA_UNCERTAINTY_M, pts.reach()), self._t("street_only"))
        return Match(math.nan, math.nan, "comune", round(score, 1), f"{name}, {t}",
                     "; ".join(x for x in (note, self._t("no_geometry")) if x), town=t, key=k, reason="no_geometry")

    # -- a table of reports -------------------------------------------------------------------
    def geocode(self, reports: pd.DataFrame) -> pd.DataFrame:
        """Add ``lat, lon, match_level, match_score, matched_address, match_note, uncertainty_m``.

        Given coordinates inside a town are kept (``coordinate``, uncertainty 0: as given);
        outside every town they are dropped and the address is tried instead (noted).
        Unique addresses are looked up once; cached answers are reused. Messages for the
        user (e.g. the online backend failing mid-run) are in ``out.attrs["geocode_messages"]``.
        """
        out = reports.copy()
        n = len(out)
        lat = out["lat"].to_numpy(dtype=float) if "lat" in out else np.full(n, np.nan)
        lon = out["lon"].to_numpy(dtype=float) if "lon" in out else np.full(n, np.nan)
        has_xy = ~np.isnan(lat) & ~np.isnan(lon)
        inside = has_xy.copy()
        note = np.array([""] * n, dtype=object)
        if self.towns is not None and has_xy.any():
            import shapely

            union = shapely.union_all(np.asarray(self.towns.geometry.values))
            inside[has_xy] = shapely.contains_xy(union, lon[has_xy], lat[has_xy])
            note[has_xy & ~inside] = self._t("outside")
        address = out["address"].astype("string").fillna("") if "address" in out else pd.Series("", index=out.index)
        town = out["town"].astype("string").fillna("") if "town" in out else pd.Series("", index=out.index)
        need = ~inside & address.str.strip().ne("").to_numpy()
        keys = (town.str.cat(address, sep="|")).to_numpy(dtype=object)
        self.messages = []
        rows = np.nonzero(need)[0]
        codes, uniq = pd.factorize(keys[rows])
        answers = self._lookup_unique(list(uniq), version=self.gazetteer.version)
        found = [answers[k] for k in uniq]
        res_lat, res_lon = np.full(n, np.nan), np.full(n, np.nan)
        unc = np.full(n, np.nan)
        level = np.array(["non_trovato"] * n, dtype=object)
        score = np.zeros(n)
        matched = np.array([""] * n, dtype=object)
        if len(rows):
            res_lat[rows] = np.array([m.lat for m in found], dtype=float)[codes]
            res_lon[rows] = np.array([m.lon for m in found], dtype=float)[codes]
            unc[rows] = np.array([m.uncertainty_m for m in found], dtype=float)[codes]
            score[rows] = np.array([m.score for m in found], dtype=float)[codes]
            level[rows] = np.array([m.level for m in found], dtype=object)[codes]
            matched[rows] = np.array([m.matched for m in found], dtype=object)[codes]
            u_note = np.array([m.note for m in found], dtype=object)[codes]
            for i, extra in zip(rows, u_note):
                if extra:
                    note[i] = (note[i] + "; " if note[i] else "") + extra
        res_lat[inside], res_lon[inside] = lat[inside], lon[inside]
        level[inside], score[inside], unc[inside] = "coordinate", 100.0, 0.0
        # No point: a quarter name, else the town, is the best level left.
        quartiere = out["quartiere"].astype("string").fillna("") if "quartiere" in out else pd.Series("", index=out.index)
        no_point = np.isnan(res_lat)
        q = no_point & quartiere.ne("").to_numpy() & np.isin(level, ["non_trovato", "comune"])
        level[q] = "quartiere"
        c = no_point & (level == "non_trovato") & town.ne("").to_numpy() & ~need & ~inside
        level[c] = "comune"
        unc[np.isnan(res_lat)] = np.nan
        out["lat"], out["lon"] = res_lat, res_lon
        out["match_level"], out["match_score"] = level, score
        out["matched_address"], out["match_note"] = matched, note
        out["uncertainty_m"] = unc
        out.attrs["geocode_messages"] = list(self.messages)
        return out

    def lookup_many(self, items: list[tuple[str, str | None]]) -> list[Match]:
        """:meth:`lookup` for many ``(address, town)`` pairs, in this process (on every system)."""
        return [self.lookup(a, t) for a, t in items]

    def _cache_key(self, key: str, version: str) -> str:
        return f"v{ALGORITHM_VERSION}|{version}|{self.min_score:g}|{self.language}|{key.upper()}"

    def _lookup_unique(self, keys: list[str], *, version: str, batch: int = 25) -> dict[str, Match]:
        """Answers for unique ``town|address`` keys: cache first, then offline, then online for misses.

        Offline answers are written to the cache at once; online answers in batches of
        ``batch`` as they come, so an interrupted run keeps what it found. If the online
        backend fails, it is not called again in this run and one message says how many
        addresses stayed offline-only (they are retried online next time).
        """
        cache_keys = {k: self._cache_key(k, version) for k in keys}
        cached = self.cache.get_many(list(cache_keys.values())) if self.cache is not None else {}
        answers: dict[str, Match] = {}
        fresh: dict[str, Match] = {}
        to_online: list[str] = []
        missing = [k for k in keys if cache_keys[k] not in cached]
        items = [(a, t or None) for t, a in (k.split("|", 1) for k in missing)]
        for k, m in zip(missing, self.lookup_many(items)):
            fresh[cache_keys[k]] = m
        for k in keys:
            ck = cache_keys[k]
            m = cached.get(ck) or fresh[ck]
            answers[k] = m
            if self.online is not None and m.is_miss and "online" not in m.backends.split(","):
                to_online.append(k)
        if self.cache is not None and fresh:
            self.cache.put_many(fresh)
        if not to_online:
            return answers
        pending: dict[str, Match] = {}
        try:
            for j, k in enumerate(to_online):
                town, address = k.split("|", 1)
                try:
                    found = self.online.lookup(address, town or None)
                except GeocodingError as exc:
                    left = len(to_online) - j
                    msg = self._t("online_unreachable", error=str(exc).split(";")[0], left=left)
                    self.messages.append(msg)
                    warnings.warn(msg, OnlineUnavailableWarning, stacklevel=3)
                    break
                old = answers[k]
                tried = "offline,online"
                new = (found if found is not None else old)._replace(backends=tried)
                answers[k] = pending[cache_keys[k]] = new
                if self.cache is not None and len(pending) >= batch:
                    self.cache.put_many(pending)
                    pending = {}
        finally:
            if self.cache is not None and pending:
                self.cache.put_many(pending)
        return answers


def _along_line(line: Any, pts: StreetPoints, n: int, pl: Any) -> tuple[float, float, float]:
    """Interpolate a bracketed house number along the street line between its two known numbers."""
    from shapely.geometry import Point

    lo = pts.numbers.index(pl.low)
    hi = pts.numbers.index(pl.high)
    a = line.project(Point(pts.xs[lo], pts.ys[lo]))
    b = line.project(Point(pts.xs[hi], pts.ys[hi]))
    d = a + (n - pl.low) / (pl.high - pl.low) * (b - a)
    p = line.interpolate(d)
    unc = max(metres_between(p.x, p.y, pts.xs[lo], pts.ys[lo]), metres_between(p.x, p.y, pts.xs[hi], pts.ys[hi]))
    return float(p.x), float(p.y), unc


def quality_report(geocoded: pd.DataFrame) -> pd.DataFrame:
    """Reports per match level (in the order of :data:`LEVELS`) with their share."""
    counts = geocoded["match_level"].value_counts().reindex(list(LEVELS), fill_value=0)
    return pd.DataFrame({"level": counts.index, "reports": counts.to_numpy(),
                         "share": (counts / max(len(geocoded), 1)).round(3).to_numpy()})


def review_table(geocoded: pd.DataFrame, *, min_score: float = STREET_CUTOFF) -> pd.DataFrame:
    """Unmatched, uncertain, ambiguous and low-score addresses for the coordinator, most frequent first (PRIVATE).

    Missing values (a report without a town) are empty cells, never ``<NA>``.
    """
    cols = ["address", "town", "match_level", "match_score", "matched_address", "match_note"]
    bad = geocoded[
        geocoded["address"].notna()
        & (geocoded["match_level"].isin(["non_trovato", "comune"]) | (geocoded["match_score"] < min_score))
        & (geocoded["match_level"] != "coordinate")
    ]
    if bad.empty:
        return pd.DataFrame(columns=[*cols, "reports"])
    t = bad.reindex(columns=cols).astype(object)
    t = t.where(t.notna(), "").astype(str)
    t = t.value_counts().rename("reports").reset_index()
    return t.sort_values(["reports", "address"], ascending=[False, True]).reset_index(drop=True)
