"""Geocode reports against the gazetteer: exact, then fuzzy street names within the right town.

Result levels (``match_level``):

``coordinate``  the partner gave lat/lon inside a configured town: kept (score 100)
``civico``      the exact house number is a known point
``via``         the street is known with geometry: number interpolated between known
                numbers, or the nearest known number, or the street's middle
``quartiere``   no usable address, but a quarter name (assigned by name later; no point)
``comune``      only the town is known, or the street exists officially but has no
                geometry offline (no point: a fake point at the town centre would be
                counted in a quarter)
``non_trovato`` nothing usable (unknown street, another town, blank)

Each unique (address, town) pair is looked up once; a persistent cache keeps the
answers between monthly runs (:class:`GeocodeCache`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fragmap.geocode.gazetteer import Gazetteer, interpolate_number, match_street
from fragmap.geocode.normalise import fold, normalise_address

LEVELS = ("coordinate", "civico", "via", "quartiere", "comune", "non_trovato")
RESULT_COLUMNS = ("lat", "lon", "match_level", "match_score", "matched_address", "match_note")


@dataclass(frozen=True)
class Match:
    """One geocoding answer."""

    lat: float
    lon: float
    level: str
    score: float
    matched: str
    note: str = ""


NOT_FOUND = Match(np.nan, np.nan, "non_trovato", 0.0, "", "")


class GeocodeCache:
    """A persistent cache of answers, keyed on the gazetteer version and the typed address.

    Stored in SQLite (one small file); a gazetteer rebuild changes the version, so
    stale answers are never reused.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path) as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS geocode (key TEXT PRIMARY KEY, lat REAL, lon REAL, "
                "level TEXT, score REAL, matched TEXT, note TEXT)"
            )

    def get_many(self, keys: list[str]) -> dict[str, Match]:
        out: dict[str, Match] = {}
        with sqlite3.connect(self.path) as con:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT * FROM geocode WHERE key IN ({','.join('?' * len(chunk))})"
                for k, lat, lon, level, score, matched, note in con.execute(q, chunk):
                    out[k] = Match(
                        np.nan if lat is None else lat, np.nan if lon is None else lon,
                        level, score, matched or "", note or "",
                    )
        return out

    def put_many(self, answers: dict[str, Match]) -> None:
        rows = [
            (k, None if np.isnan(m.lat) else m.lat, None if np.isnan(m.lon) else m.lon,
             m.level, m.score, m.matched, m.note)
            for k, m in answers.items()
        ]
        with sqlite3.connect(self.path) as con:
            con.executemany("INSERT OR REPLACE INTO geocode VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


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
        gazetteer cannot place. Off unless the settings turn it on.

    Examples
    --------
    >>> g = Geocoder(gazetteer, towns=polygons)                 # doctest: +SKIP
    >>> g.lookup("v.le Matteotti 12", "Pavia")                  # doctest: +SKIP
    Match(lat=45.19, lon=9.16, level='via', score=90.0, ...)
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        towns: Any = None,
        cache: GeocodeCache | None = None,
        online: Any = None,
        town_names: tuple[str, ...] = ("Pavia", "Vigevano"),
    ) -> None:
        self.gazetteer = gazetteer
        self.towns = towns
        self.cache = cache
        self.online = online
        self.town_names = town_names
        self._keys = {t: g["key"].tolist() for t, g in gazetteer.streets.groupby("town")}
        self._names = {
            (t, k): f"{st} {n}".strip()
            for t, k, st, n in zip(
                gazetteer.streets["town"], gazetteer.streets["key"],
                gazetteer.streets["street_type"], gazetteer.streets["street_name"],
            )
        }
        self._points: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for (t, k), g in gazetteer.points.groupby(["town", "key"]):
            self._points[(t, k)] = (g["number"].to_numpy(int), g["lon"].to_numpy(float), g["lat"].to_numpy(float))
        self._lines = {}
        if gazetteer.lines is not None:
            for t, k, geom in zip(gazetteer.lines["town"], gazetteer.lines["key"], gazetteer.lines.geometry):
                self._lines[(t, k)] = geom
        self._town_fold = {fold(t): t for t in town_names}

    # -- one address -----------------------------------------------------------------------
    def lookup(self, address: str | None, town: str | None = None) -> Match:
        """Geocode one address (``town`` is the report's town column, if any)."""
        if address is None or not str(address).strip():
            return NOT_FOUND
        p = normalise_address(address)
        if p.other_town and fold(p.other_town) not in self._town_fold:
            return Match(np.nan, np.nan, "non_trovato", 0.0, "", f"altro comune: {p.other_town.title()}")
        hint = p.town or town
        towns = [hint] if hint in self.town_names else list(self.town_names)
        if p.key is None:
            return NOT_FOUND
        best: tuple[float, str, str] | None = None  # score, town, key
        for t in towns:
            k, score = match_street(p.key, p.street_type, self._keys.get(t, []))
            if k is None:
                continue
            has_geo = (t, k) in self._points or (t, k) in self._lines
            rank = score + (3 if has_geo else 0)  # between towns, prefer the one we can place
            if best is None or rank > best[0]:
                best = (rank, t, k)
        if best is None:
            return NOT_FOUND
        _, t, k = best
        _, score = match_street(p.key, p.street_type, self._keys.get(t, []))
        if len(towns) > 1:
            score -= 5  # the town was guessed from the street name
        name = self._names.get((t, k), k)
        pts = self._points.get((t, k))
        line = self._lines.get((t, k))
        n = p.house_number
        if pts is not None and n is not None:
            numbers, xs, ys = pts
            if line is not None and (numbers > 0).sum() >= 2:
                x, y, level = _along_line(line, numbers, xs, ys, n)
            else:
                x, y, level = interpolate_number(numbers, xs, ys, n)
            factor = 1.0 if level == "civico" else 0.9
            return Match(y, x, level, round(score * factor, 1), f"{name} {p.number}, {t}")
        if line is not None:
            c = line.interpolate(0.5, normalized=True)
            return Match(c.y, c.x, "via", round(score * 0.8, 1), f"{name}, {t}")
        if pts is not None:
            numbers, xs, ys = pts
            return Match(float(np.mean(ys)), float(np.mean(xs)), "via", round(score * 0.8, 1), f"{name}, {t}")
        return Match(np.nan, np.nan, "comune", round(score, 1), f"{name}, {t}", "via senza geometria")

    # -- a table of reports -------------------------------------------------------------------
    def geocode(self, reports: pd.DataFrame) -> pd.DataFrame:
        """Add ``lat, lon, match_level, match_score, matched_address, match_note`` to reports.

        Given coordinates inside a town are kept (``coordinate``); outside every town they
        are dropped and the address is tried instead (noted). Unique addresses are looked
        up once; cached answers are reused.
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
            note[has_xy & ~inside] = "coordinate fuori dai comuni: scartate"
        address = out["address"].astype("string").fillna("") if "address" in out else pd.Series("", index=out.index)
        town = out["town"].astype("string").fillna("") if "town" in out else pd.Series("", index=out.index)
        need = ~inside & address.ne("").to_numpy()
        keys = (town.str.cat(address, sep="|")).to_numpy()
        answers = self._lookup_unique(
            sorted(set(keys[need])), version=self.gazetteer.version
        )
        res_lat, res_lon = np.full(n, np.nan), np.full(n, np.nan)
        level = np.array(["non_trovato"] * n, dtype=object)
        score = np.zeros(n)
        matched = np.array([""] * n, dtype=object)
        for i in np.nonzero(need)[0]:
            m = answers[keys[i]]
            res_lat[i], res_lon[i], level[i], score[i], matched[i] = m.lat, m.lon, m.level, m.score, m.matched
            if m.note:
                note[i] = (note[i] + "; " if note[i] else "") + m.note
        res_lat[inside], res_lon[inside] = lat[inside], lon[inside]
        level[inside], score[inside] = "coordinate", 100.0
        # No point: a quarter name, else the town, is the best level left.
        quartiere = out["quartiere"].astype("string").fillna("") if "quartiere" in out else pd.Series("", index=out.index)
        no_point = np.isnan(res_lat)
        q = no_point & quartiere.ne("").to_numpy() & np.isin(level, ["non_trovato", "comune"])
        level[q] = "quartiere"
        c = no_point & (level == "non_trovato") & town.ne("").to_numpy() & address.eq("").to_numpy()
        level[c] = "comune"
        out["lat"], out["lon"] = res_lat, res_lon
        out["match_level"], out["match_score"] = level, score
        out["matched_address"], out["match_note"] = matched, note
        return out

    def _lookup_unique(self, keys: list[str], *, version: str) -> dict[str, Match]:
        cache_keys = {k: f"{version}|{fold(k)}" for k in keys}
        cached = self.cache.get_many(list(cache_keys.values())) if self.cache is not None else {}
        answers: dict[str, Match] = {}
        fresh: dict[str, Match] = {}
        for k in keys:
            ck = cache_keys[k]
            if ck in cached:
                answers[k] = cached[ck]
                continue
            town, address = k.split("|", 1)
            m = self.lookup(address, town or None)
            if self.online is not None and m.level in ("non_trovato", "comune") and not m.note.startswith("altro"):
                online = self.online.lookup(address, town or None)
                if online is not None:
                    m = online
            answers[k] = fresh[ck] = m
        if self.cache is not None and fresh:
            self.cache.put_many(fresh)
        return answers


def _along_line(line: Any, numbers: np.ndarray, xs: np.ndarray, ys: np.ndarray, n: int) -> tuple[float, float, str]:
    """Interpolate a house number along the street line between projected known numbers."""
    from shapely.geometry import Point

    exact = np.nonzero(numbers == n)[0]
    if len(exact):
        return float(xs[exact[0]]), float(ys[exact[0]]), "civico"
    keep = numbers > 0
    numbers, xs, ys = numbers[keep], xs[keep], ys[keep]
    pos = np.array([line.project(Point(x, y)) for x, y in zip(xs, ys)])
    order = np.argsort(numbers)
    d = float(np.interp(n, numbers[order], pos[order]))
    p = line.interpolate(d)
    return float(p.x), float(p.y), "via"


def quality_report(geocoded: pd.DataFrame) -> pd.DataFrame:
    """Reports per match level (in the order of :data:`LEVELS`) with their share."""
    counts = geocoded["match_level"].value_counts().reindex(list(LEVELS), fill_value=0)
    return pd.DataFrame({"level": counts.index, "reports": counts.to_numpy(),
                         "share": (counts / max(len(geocoded), 1)).round(3).to_numpy()})


def review_table(geocoded: pd.DataFrame, *, min_score: float = 85.0) -> pd.DataFrame:
    """Unmatched and low-score addresses for the coordinator, most frequent first (PRIVATE)."""
    bad = geocoded[
        geocoded["address"].notna()
        & (geocoded["match_level"].isin(["non_trovato", "comune"]) | (geocoded["match_score"] < min_score))
        & (geocoded["match_level"] != "coordinate")
    ]
    if bad.empty:
        return pd.DataFrame(columns=["address", "town", "match_level", "match_score", "matched_address", "match_note", "reports"])
    cols = ["address", "town", "match_level", "match_score", "matched_address", "match_note"]
    t = bad[cols].astype(str).value_counts().rename("reports").reset_index()
    return t.sort_values(["reports", "address"], ascending=[False, True]).reset_index(drop=True)
