"""The offline gazetteer: official street names plus every known address point and street line.

Built (pure) from what is available:

* the official ANNCSU street list (names, no geometry) — which streets exist;
* the real address points of the reference services (pharmacies, schools, hospitals),
  each placed in the town its coordinates fall in (the point wins over a declared town);
* optionally OpenStreetMap (``addr:street`` + ``addr:housenumber`` points, named
  highways as lines) and an ANNCSU house-number file with coordinates.

Service street names are matched to the official names so all sources share one key.

Example
-------
>>> gaz = build_gazetteer(streets=anncsu, services=services, towns=polygons)   # doctest: +SKIP
>>> gaz.points.groupby("source").size()                                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from fragmap.geocode.normalise import fold, normalise_address, street_key

#: Minimum similarity (0-100) to accept a fuzzy street-name match.
STREET_CUTOFF = 85.0


@dataclass
class Gazetteer:
    """Streets, address points and street lines of the project's towns.

    Attributes
    ----------
    streets : DataFrame
        ``town, street_type, street_name, key, official`` (official = in ANNCSU).
    points : DataFrame
        ``town, key, number (int), lon, lat, source, n`` (n = records averaged).
    lines : GeoDataFrame or None
        ``town, key, geometry`` (EPSG:4326) where a source gave street geometry.
    notes : list of str
        What was fixed while building (e.g. a service declared in the wrong town).
    """

    streets: pd.DataFrame
    points: pd.DataFrame
    lines: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        """A short hash of the content: the geocoding cache is invalid when it changes."""
        h = hashlib.sha1()
        h.update(pd.util.hash_pandas_object(self.streets[["town", "key"]], index=False).values.tobytes())
        h.update(pd.util.hash_pandas_object(self.points[["town", "key", "number", "lon", "lat"]], index=False).values.tobytes())
        if self.lines is not None and len(self.lines):
            h.update(b"".join(self.lines.geometry.to_wkb()))
        return h.hexdigest()[:16]


def official_streets(anncsu: pd.DataFrame) -> pd.DataFrame:
    """ANNCSU odonyms (``DUG`` type, ``DUF`` name, ``comune``) as ``town, street_type, street_name, key``."""
    df = pd.DataFrame(
        {
            "town": anncsu["comune"].astype(str),
            "street_type": anncsu["DUG"].astype(str).map(fold),
            "street_name": anncsu["DUF"].astype(str).map(fold),
        }
    )
    df["key"] = [street_key(t, n) for t, n in zip(df["street_type"], df["street_name"])]
    df["official"] = True
    return df.drop_duplicates(["town", "key"]).sort_values(["town", "key"]).reset_index(drop=True)


def match_street(
    key: str, street_type: str | None, candidates: list[str], *, cutoff: float = STREET_CUTOFF
) -> tuple[str | None, float]:
    """Best official key for a typed street key, and its score (0-100).

    Names are compared on their own (so "Garibaldi" meets "Giuseppe Garibaldi"); a
    different street type costs 10 points so "Via Cavour" prefers "Via Cavour" to
    "Corso Cavour" but still finds "Corso Cavour" when it is the only one.
    """
    if not candidates:
        return None, 0.0
    if key in candidates:
        return key, 100.0
    name = key.split(" ", 1)[1] if " " in key else key
    names = [c.split(" ", 1)[1] if " " in c else c for c in candidates]
    # Without a street type ("Garlasco") only a close spelling counts, never a subset.
    scorer = _name_score if street_type is not None else fuzz.ratio
    hits = process.extract(name, names, scorer=scorer, limit=8, score_cutoff=cutoff - 10)
    best, best_score = None, 0.0
    for _, score, i in hits:
        cand = candidates[i]
        ctype = cand.split(" ", 1)[0]
        if street_type is not None and not cand.startswith(street_type + " ") and ctype != street_type:
            score -= 10
        if score > best_score:
            best, best_score = cand, float(score)
    if best is None or best_score < cutoff:
        return None, best_score
    return best, best_score


def _name_score(a: str, b: str, **_: object) -> float:
    """Similarity of street names: plain ratio, or a subset match ("GARIBALDI" in "GIUSEPPE GARIBALDI")."""
    r = fuzz.ratio(a, b)
    ta, tb = set(a.split()), set(b.split())
    if ta and tb and (ta <= tb or tb <= ta) and max(len(x) for x in ta & tb) >= 4:
        # "GARIBALDI" for "GIUSEPPE GARIBALDI": good, but weaker evidence than the full name
        r = max(r, 92.0)
    return float(r)


def service_points(services: pd.DataFrame, towns: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Address points from service records: ``town, street_type, street_name, number, lon, lat``.

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
    notes = []
    rows = []
    for i, (address, geom, town) in enumerate(zip(joined["address"], joined.geometry, joined["name"])):
        d = declared[joined.index[i]]
        if d and fold(d) != fold(town):
            notes.append(f"'{address}' declared in {d.title()} but its coordinates lie in {town}: kept in {town}")
        p = normalise_address(address)
        if p.street_name is None:
            continue
        # number 0 = a known point of the street without a civic number
        rows.append((town, p.street_type or "VIA", p.street_name, p.house_number or 0, geom.x, geom.y))
    df = pd.DataFrame(rows, columns=["town", "street_type", "street_name", "number", "lon", "lat"])
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


def build_gazetteer(
    *,
    streets: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    services: pd.DataFrame | None = None,
    osm_points: pd.DataFrame | None = None,
    osm_lines: gpd.GeoDataFrame | None = None,
    anncsu_numbers: pd.DataFrame | None = None,
) -> Gazetteer:
    """Build the gazetteer from the sources available (pure: inputs are already loaded).

    Parameters
    ----------
    streets : DataFrame
        ANNCSU odonyms (columns ``comune, DUG, DUF``).
    towns : GeoDataFrame
        Comune polygons (``name``), EPSG:4326.
    services : DataFrame, optional
        Service records with address columns and ``lat``/``lon``.
    osm_points : DataFrame, optional
        ``street, housenumber, lon, lat`` from OpenStreetMap ``addr:*`` tags.
    osm_lines : GeoDataFrame, optional
        Named streets (``name``, line geometry) from OpenStreetMap.
    anncsu_numbers : DataFrame, optional
        House numbers with coordinates: ``street, number, lon, lat``[, ``town``].

    Returns
    -------
    Gazetteer
    """
    official = official_streets(streets)
    keys_by_town = {t: g["key"].tolist() for t, g in official.groupby("town")}
    notes: list[str] = []
    sources = ["ANNCSU stradario (nomi ufficiali)"]
    frames = []
    if services is not None and len(services):
        sp, n = service_points(services, towns)
        notes += n
        sp["source"] = "servizi"
        frames.append(sp)
        sources.append("indirizzi dei servizi (Regione Lombardia)")
    for df, label in ((osm_points, "osm"), (anncsu_numbers, "anncsu_civici")):
        if df is None or not len(df):
            continue
        g = gpd.GeoDataFrame(df.copy(), geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
        g = gpd.sjoin(g, towns[["name", "geometry"]], predicate="within", how="inner")
        parsed = [normalise_address(f"{s} {n}") for s, n in zip(g["street"], g["number"])]
        frames.append(
            pd.DataFrame(
                {
                    "town": g["name"].to_numpy(),
                    "street_type": [p.street_type or "VIA" for p in parsed],
                    "street_name": [p.street_name for p in parsed],
                    "number": [p.house_number for p in parsed],
                    "lon": g["lon"].to_numpy(),
                    "lat": g["lat"].to_numpy(),
                    "source": label,
                }
            ).dropna(subset=["street_name", "number"])
        )
        sources.append("OpenStreetMap (addr:*)" if label == "osm" else "ANNCSU numeri civici")
    points = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["town", "street_type", "street_name", "number", "lon", "lat", "source"])
    )
    extra_streets = []
    keys = []
    for town, st, name in zip(points["town"], points["street_type"], points["street_name"]):
        typed = street_key(st, name)
        k, _ = match_street(typed, st, keys_by_town.get(town, []))
        if k is None:
            k = typed
            extra_streets.append((town, st, fold(name), typed, False))
        keys.append(k)
    points["key"] = keys
    points["number"] = points["number"].astype(int)
    # Several records of one civic number (e.g. two hospital buildings): average them.
    points = (
        points.groupby(["town", "key", "number"], as_index=False)
        .agg(lon=("lon", "mean"), lat=("lat", "mean"), source=("source", "first"), n=("lon", "size"))
        .sort_values(["town", "key", "number"])
        .reset_index(drop=True)
    )
    lines = None
    if osm_lines is not None and len(osm_lines):
        lg = gpd.sjoin(osm_lines[["name", "geometry"]].to_crs(4326), towns[["name", "geometry"]].rename(columns={"name": "town"}),
                       predicate="intersects", how="inner")
        lkeys = []
        for town, name in zip(lg["town"], lg["name"]):
            p = normalise_address(str(name))
            typed = street_key(p.street_type or "VIA", p.street_name or "")
            k, _ = match_street(typed, p.street_type, keys_by_town.get(town, []))
            if k is None:
                extra_streets.append((town, p.street_type or "VIA", p.street_name or "", typed, False))
            lkeys.append(k or typed)
        lg["key"] = lkeys
        lines = lg.dissolve(by=["town", "key"], as_index=False)[["town", "key", "geometry"]]
        sources.append("OpenStreetMap (strade)")
    if extra_streets:
        extra = pd.DataFrame(extra_streets, columns=["town", "street_type", "street_name", "key", "official"])
        official = pd.concat([official, extra], ignore_index=True).drop_duplicates(["town", "key"])
    return Gazetteer(official.reset_index(drop=True), points, lines, notes, sources)


def interpolate_number(numbers: np.ndarray, xs: np.ndarray, ys: np.ndarray, n: int) -> tuple[float, float, str]:
    """Place house number ``n`` on a street known by numbered points.

    Exact number -> that point (``civico``). Between two known numbers -> linear
    interpolation between the nearest lower and higher numbers, preferring the same
    side of the street (same parity) when both sides are known (``via``). Outside the
    known range -> the nearest known number (``via``).
    """
    exact = np.nonzero(numbers == n)[0]
    if len(exact):
        return float(xs[exact[0]]), float(ys[exact[0]]), "civico"
    numbered = numbers > 0
    if not numbered.any():
        return float(np.mean(xs)), float(np.mean(ys)), "via"
    numbers, xs, ys = numbers[numbered], xs[numbered], ys[numbered]
    same = (numbers % 2) == (n % 2)
    for mask in (same, np.ones_like(same)):
        lo = np.nonzero(mask & (numbers < n))[0]
        hi = np.nonzero(mask & (numbers > n))[0]
        if len(lo) and len(hi):
            i = lo[np.argmax(numbers[lo])]
            j = hi[np.argmin(numbers[hi])]
            f = (n - numbers[i]) / (numbers[j] - numbers[i])
            return float(xs[i] + f * (xs[j] - xs[i])), float(ys[i] + f * (ys[j] - ys[i])), "via"
    k = int(np.argmin(np.abs(numbers - n)))
    return float(xs[k]), float(ys[k]), "via"
