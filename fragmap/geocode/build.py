"""Building the offline gazetteer: official streets, address points and linked names.

:func:`build_gazetteer` puts together the ANNCSU street list, service addresses,
OpenStreetMap and ANNCSU house numbers and named points (bus stops, GeoNames,
landmarks) into a :class:`~fragmap.geocode.gazetteer.Gazetteer`, linking every
source's street names to the official ones with :func:`fragmap.geocode.reconcile.reconcile`.
It lives apart from :mod:`fragmap.geocode.gazetteer` (the type and the street matcher),
so the matcher and the reconciliation that uses it import each other one way only.

Examples
--------
>>> gaz = build_gazetteer(streets=anncsu, services=services, towns=polygons)   # doctest: +SKIP
"""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap.geocode.gazetteer import (
    AMBIGUITY_MARGIN,
    STREET_CUTOFF,
    Gazetteer,
    StreetIndex,
    _parse_streets,
    metres,
    official_streets,
    service_points,
)
from fragmap.geocode.normalise import fold
from fragmap.i18n import plural

def build_gazetteer(
    *,
    streets: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    services: pd.DataFrame | None = None,
    osm_points: pd.DataFrame | None = None,
    osm_lines: gpd.GeoDataFrame | None = None,
    anncsu_numbers: pd.DataFrame | None = None,
    named_points: pd.DataFrame | None = None,
    places: pd.DataFrame | None = None,
    aliases: pd.DataFrame | None = None,
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
        ``street, number, lon, lat`` from OpenStreetMap ``addr:*`` tags.
    osm_lines : GeoDataFrame, optional
        Named streets (``name``, line geometry) from OpenStreetMap (.osm or .graphml).
    anncsu_numbers : DataFrame, optional
        House numbers with coordinates: ``street, number, lon, lat``[, ``town``].
    named_points : DataFrame, optional
        Points of named streets without (or with) a house number, from other sources
        (:data:`fragmap.geocode.places.NAMED_POINT_COLUMNS`: bus stops, GeoNames
        squares, landmarks). Their street names are linked to the official ones (a name
        that matches none, or several, is not used); a point whose declared town is not
        the comune its coordinates fall in is not used either.
    places : DataFrame, optional
        Named places that are not streets (``town, name, kind, lon, lat, source``),
        kept if they lie in a comune.
    aliases : DataFrame, optional
        The coordinator's alias table (``town, nome_osm, nome_anncsu``): source names
        linked by hand, applied before the automatic links.

    Returns
    -------
    Gazetteer
        With ``links``: every OpenStreetMap and named-point street name and how it was
        linked (see :func:`fragmap.geocode.reconcile.reconcile`).
    """
    from fragmap.geocode.reconcile import reconcile

    official = official_streets(streets)
    index_by_town = {str(t): StreetIndex(g["key"].tolist()) for t, g in official.groupby("town")}
    notes: list[str] = []
    sources = ["ANNCSU stradario (nomi ufficiali)"]
    frames = []
    # names from sources that do not use the official spelling, linked once
    link_input = []
    osm_in_town = None
    if osm_points is not None and len(osm_points):
        g = gpd.GeoDataFrame(osm_points.reset_index(drop=True),
                             geometry=gpd.points_from_xy(osm_points["lon"], osm_points["lat"]), crs=4326)
        osm_in_town = gpd.sjoin(g, towns[["name", "geometry"]], predicate="within", how="inner")
        link_input.append(pd.DataFrame({"town": osm_in_town["name"].to_numpy(), "source": "osm",
                                        "name": osm_in_town["street"].astype(str).to_numpy(), "typed": True}))
    line_towns = None
    if osm_lines is not None and len(osm_lines):
        line_towns = gpd.sjoin(osm_lines[["name", "geometry"]].to_crs(4326),
                               towns[["name", "geometry"]].rename(columns={"name": "town"}),
                               predicate="intersects", how="inner")
        link_input.append(pd.DataFrame({"town": line_towns["town"].to_numpy(), "source": "osm",
                                        "name": line_towns["name"].astype(str).to_numpy(), "typed": True}))
    named = None
    if named_points is not None and len(named_points):
        g = gpd.GeoDataFrame(named_points.reset_index(drop=True).rename(columns={"town": "declared"}),
                             geometry=gpd.points_from_xy(named_points["lon"], named_points["lat"]), crs=4326)
        named = gpd.sjoin(g, towns[["name", "geometry"]].rename(columns={"name": "town"}), predicate="within",
                          how="inner")
        declared = named["declared"].fillna("").astype(str).map(fold)
        wrong = declared.ne("") & declared.ne(named["town"].map(fold))
        dropped = int((~g.index.isin(named.index)).sum()) + int(wrong.sum())
        named = named[~wrong & named["street"].astype(str).str.strip().ne("")]
        if dropped:
            notes.append(f"{dropped} {plural(dropped, 'punto', 'punti')} con nome fuori dai comuni (o "
                         f"{plural(dropped, 'dichiarato', 'dichiarati')} in un altro comune): non "
                         f"{plural(dropped, 'usato', 'usati')}")
        link_input.append(pd.DataFrame({"town": named["town"].to_numpy(), "source": named["source"].to_numpy(),
                                        "name": named["street"].astype(str).to_numpy(),
                                        "typed": named["typed"].astype(bool).to_numpy()}))
    links = None
    link_of: dict[tuple[str, str, str], tuple[str, str]] = {}
    if link_input:
        links = reconcile(pd.concat(link_input, ignore_index=True), official, aliases=aliases,
                          index_by_town=index_by_town)
        link_of = {(t, s, n): (st, k) for t, s, n, st, k in
                   zip(links["town"], links["source"], links["name"], links["status"], links["key"])}
    if services is not None and len(services):
        sp, n = service_points(services, towns)
        notes += n
        sp["source"] = "servizi"
        frames.append(sp)
        sources.append("indirizzi dei servizi (Regione Lombardia)")
    for df, label in ((osm_points, "osm"), (anncsu_numbers, "anncsu_civici")):
        if df is None or not len(df):
            continue
        if label == "osm":
            g = osm_in_town
        else:
            g = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                                 crs=4326)
            g = gpd.sjoin(g, towns[["name", "geometry"]], predicate="within", how="inner")
        number = pd.to_numeric(g["number"].astype(str).str.extract(r"(\d{1,5})", expand=False), errors="coerce")
        parsed = _parse_streets(g["street"])
        frame = pd.concat([pd.DataFrame({"town": g["name"].to_numpy()}, index=g.index), parsed], axis=1)
        frame["number"] = number
        frame["lon"], frame["lat"], frame["source"] = g["lon"], g["lat"], label
        if label == "osm":
            frame["linked"] = [link_of.get((t, "osm", str(n)), ("", ""))[1]
                               for t, n in zip(frame["town"], g["street"].astype(str))]
        frames.append(frame.dropna(subset=["name_key", "number"]).reset_index(drop=True))
        sources.append("OpenStreetMap (addr:*)" if label == "osm" else "ANNCSU numeri civici")
    if named is not None and len(named):
        keys = [link_of.get((t, s, str(n)), ("", ""))[1]
                for t, s, n in zip(named["town"], named["source"], named["street"].astype(str))]
        nf = pd.DataFrame({"town": named["town"].to_numpy(), "street_type": None, "type_alias": None,
                           "name_key": "", "street_name": "", "linked": keys,
                           "number": pd.to_numeric(named["number"], errors="coerce").fillna(0).astype(int).to_numpy(),
                           "lon": named["lon"].astype(float).to_numpy(), "lat": named["lat"].astype(float).to_numpy(),
                           "source": named["source"].to_numpy()})
        frames.append(nf[nf["linked"].ne("")].reset_index(drop=True))
        labels = {"fermate_osm": "fermate autobus OpenStreetMap 2013 (ODbL)", "geonames": "GeoNames (CC BY)",
                  "punti_quartieri": "punti di riferimento dei quartieri"}
        for src in pd.unique(named["source"]):
            if str(src) in labels:
                sources.append(labels[str(src)])
    cols = ["town", "street_type", "type_alias", "name_key", "street_name", "number", "lon", "lat", "source"]
    frames = [f if "linked" in f else f.assign(linked="") for f in frames]
    points = pd.concat(frames, ignore_index=True)[[*cols, "linked"]] if frames else pd.DataFrame(columns=[*cols, "linked"])
    extra_streets: list[tuple[str, str, str, str, str, bool]] = []
    resolved: dict[tuple[str, str | None, str | None, str], str] = {}

    def resolve(town: str, st: str | None, alias: str | None, nk: str, display: str) -> str:
        k = (town, st, alias, nk)
        if k not in resolved:
            idx = index_by_town.get(town)
            cands = idx.candidates(st, alias, nk) if idx is not None else []
            best = cands[0] if cands else None
            tie = len(cands) > 1 and best is not None and cands[1].score > best.score - AMBIGUITY_MARGIN and best.score < 100
            if best is not None and best.score >= STREET_CUTOFF and not tie:
                resolved[k] = best.key
            else:
                typed = f"{st or 'VIA'} {nk}"
                extra_streets.append((town, st or "VIA", fold(display), typed, nk, False))
                resolved[k] = typed
        return resolved[k]

    points["key"] = [
        lk if lk else resolve(t, st, al, nk, disp)
        for t, st, al, nk, disp, lk in zip(points["town"], points["street_type"], points["type_alias"],
                                           points["name_key"], points["street_name"], points["linked"])
    ]
    points["number"] = points["number"].astype(int)
    points = _merge_points(points)
    lines = None
    if line_towns is not None:
        lg = line_towns
        parsed = _parse_streets(lg["name"].astype(str))
        lg = lg.assign(**{c: parsed[c].to_numpy() for c in parsed.columns})
        lg = lg[lg["name_key"].notna()]
        lg["key"] = [link_of.get((t, "osm", str(name)), ("", ""))[1] or resolve(t, st, al, nk, disp)
                     for t, st, al, nk, disp, name in
                     zip(lg["town"], lg["street_type"], lg["type_alias"], lg["name_key"], lg["street_name"], lg["name"])]
        lines = lg.dissolve(by=["town", "key"], as_index=False)[["town", "key", "geometry"]]
        sources.append("OpenStreetMap (strade)")
    if extra_streets:
        extra = pd.DataFrame(extra_streets, columns=["town", "street_type", "street_name", "key", "name_key", "official"])
        official = pd.concat([official, extra], ignore_index=True).drop_duplicates(["town", "key"])
    place_table = None
    if places is not None and len(places):
        pg = gpd.GeoDataFrame(places.reset_index(drop=True).rename(columns={"town": "declared"}),
                              geometry=gpd.points_from_xy(places["lon"], places["lat"]), crs=4326)
        pg = gpd.sjoin(pg, towns[["name", "geometry"]].rename(columns={"name": "town"}), predicate="within", how="inner")
        place_table = pd.DataFrame(pg[["town", "name", "kind", "lon", "lat", "source"]]).reset_index(drop=True)
    return Gazetteer(official.reset_index(drop=True), points, lines, notes, list(dict.fromkeys(sources)),
                     links=links, places=place_table)


def _merge_points(points: pd.DataFrame) -> pd.DataFrame:
    """One row per (town, street, house number), and every distinct point of a street without a number.

    Several records of one civic number (e.g. two hospital buildings) are averaged,
    keeping how far apart they were (``spread_m``, the point's own uncertainty). Points
    without a number (bus stops, squares) are NOT averaged: each is a real point on the
    street, and their average may lie off it; only exact repeats are merged.
    """
    zero = points["number"].eq(0)
    numbered = points[~zero]
    grouped = numbered.groupby(["town", "key", "number"], as_index=False, sort=True)
    agg = grouped.agg(lon=("lon", "mean"), lat=("lat", "mean"), source=("source", "first"), n=("lon", "size"))
    spread = np.zeros(len(agg))
    if (agg["n"] > 1).any():
        m = numbered.merge(agg[["town", "key", "number", "lon", "lat"]], on=["town", "key", "number"],
                           suffixes=("", "_mean"))
        m["d"] = metres(m["lon"], m["lat"], m["lon_mean"], m["lat_mean"])
        d = m.groupby(["town", "key", "number"])["d"].max()
        spread = d.reindex(pd.MultiIndex.from_frame(agg[["town", "key", "number"]])).fillna(0.0).to_numpy()
    agg["spread_m"] = np.round(spread, 1)
    z = points[zero].assign(lon=lambda d: d["lon"].astype(float).round(7), lat=lambda d: d["lat"].astype(float).round(7))
    z = (z.groupby(["town", "key", "lon", "lat"], as_index=False, sort=True)
         .agg(number=("number", "first"), source=("source", "first"), n=("lon", "size")))
    z["spread_m"] = 0.0
    cols = ["town", "key", "number", "lon", "lat", "source", "n", "spread_m"]
    out = pd.concat([agg[cols], z[cols]], ignore_index=True) if len(z) else agg[cols]
    out["number"] = out["number"].astype(int)
    return out.sort_values(["town", "key", "number", "lon", "lat"], kind="stable").reset_index(drop=True)


