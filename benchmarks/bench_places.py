"""Placement quality on REAL points the gazetteer was not built with (leave-one-out), and the build time.

Test points (all real, with their true coordinates):

* ``fermate_osm``: the 2013 OpenStreetMap bus stops inside Pavia whose street part is
  linked to an ANNCSU street (one unit per stop name: both directions go together);
* ``fermate_osm_incrocio``: the same stops as points of their CROSS street;
* ``servizi``: pharmacies, schools, hospitals (Regione Lombardia);
* ``punti_quartieri`` / ``geonames``: landmarks and squares;
* ``osm``: OpenStreetMap address points, when ``--osm FILE`` is given (used locally only);
* ``vie_coperte``: three messy spellings of every street the shipped points cover, with a
  random house number: an address there is not one of the points, so nothing is left out
  (``<=50m point`` means nothing for them; ``right street`` is what counts).

Leave-one-out: for each unit, every gazetteer point within 1 m of the unit's own
coordinates (whatever its source: a landmark copied from a stop goes too) is removed,
and its address, typed messily with :func:`fragmap.geocode.evaluate.messy_variant`
(abbreviations, case, typos, first name or all but the surname dropped, town written
in several ways; a random house number for stops, which have none), is geocoded with
the rest. Measured:

* within 50 m of the TRUE POINT;
* ON THE RIGHT STREET: placed on the true street (the matcher chose it, and the point
  comes from that street's own data: on it up to the data's precision);
* within 50 m of the true street, PROXY: the distance to the nearest known point of that
  street (all sources, the held-out point included) or to its OSM line when there is
  one. With points only this is pessimistic: a result on the street between two known
  points 300 m apart counts as up to 150 m away;
* the share left at town level (``comune``: counted in no area).

Held-out streets: a seeded quarter of the streets with test points lose ALL their points
(every source): streets the gazetteer has never seen. Offline, without OSM lines, the
right answer there is ``comune`` (no point rather than a wrong one); the figure that
matters is how many are placed WRONGLY (more than 250 m from the street).

"Before" figures: ``--items-out F`` writes the test addresses; the same script run with
``PYTHONPATH`` at the old code and ``--baseline F`` geocodes them with the old default
gazetteer (ANNCSU + services), using only functions both versions have.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data" / "reference"
STREETS = REF / "anncsu_stradario_pavia_vigevano_20250209.csv"
SEED = 20261130
HELD_OUT_SHARE = 0.25


def load_inputs():  # noqa: ANN201 - a tuple of frames
    import geopandas as gpd

    from fragmap.io.geo import read_services

    towns = gpd.read_file(REF / "comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]
    services = pd.concat([read_services(p) for p in sorted(REF.glob("servizi_*.geojson"))], ignore_index=True)
    return towns, services


def build_items(osm: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """Test units with their messy address, true point and true street; and the street reference points."""
    from fragmap.geocode import Geocoder, build_gazetteer
    from fragmap.geocode.evaluate import messy_variant, service_records
    from fragmap.io.named_points import read_reference_places

    towns, services = load_inputs()
    named, places, _ = read_reference_places(
        stops=REF / "fermate_bus_pavia_osm_2013.geojson", geonames=REF / "luoghi_geonames_pavia_vigevano.geojson",
        landmarks=REF / "quartieri_punti_riferimento_pavia_vigevano.csv")
    osm_points = osm_lines = None
    if osm is not None:
        from fragmap.io.gazetteer import read_street_source

        osm_points, osm_lines = read_street_source(osm)
    t0 = time.perf_counter()
    gaz = build_gazetteer(streets=pd.read_csv(STREETS, dtype=str), towns=towns, services=services,
                          named_points=named, places=places, osm_points=osm_points, osm_lines=osm_lines)
    print(f"build the default gazetteer (ANNCSU + services + shipped points{' + OSM' if osm else ''}): "
          f"{time.perf_counter() - t0:.2f} s, {len(gaz.points):,} points")
    names = {(t, k): f"{st} {n}" for t, k, st, n in
             zip(gaz.streets["town"], gaz.streets["key"], gaz.streets["street_type"], gaz.streets["street_name"])}
    links = gaz.links.set_index(["town", "source", "name"])["key"].to_dict() if gaz.links is not None else {}
    rng = np.random.default_rng(SEED)
    rows = []
    # bus stops (street and cross street), landmarks, squares: from the named-point table
    import geopandas as gpd

    g = gpd.GeoDataFrame(named, geometry=gpd.points_from_xy(named["lon"], named["lat"]), crs=4326)
    g = gpd.sjoin(g.rename(columns={"town": "declared"}), towns.rename(columns={"name": "town"}), predicate="within")
    g = g[(g["declared"].fillna("") == "") | (g["declared"] == g["town"])]
    for (town, source, label, street), grp in g.groupby(["town", "source", "label", "street"], sort=True):
        key = links.get((town, source, street), "")
        if not key or (town, key) not in names:
            continue
        number = int(grp["number"].iloc[0]) or int(rng.integers(1, 80))
        text, column = messy_variant(names[(town, key)], str(number), town, rng, surname_only=0.3)
        coords = ";".join(f"{x:.7f},{y:.7f}" for x, y in zip(grp["lon"], grp["lat"]))
        rows.append((f"{source}:{label}", source, text, column, float(grp["lon"].iloc[0]), float(grp["lat"].iloc[0]),
                     town, key, coords))
    # services: the street the full gazetteer gives their clean address (in-sample link)
    full = Geocoder(gaz, towns=towns)
    for street, number, town, lon, lat in service_records(services, towns).itertuples(index=False):
        m = full.lookup(f"{street} {number}".strip(), town)
        if not m.key or (town, m.key) not in names:
            continue
        text, column = messy_variant(names[(town, m.key)], str(number) if number else None, town, rng,
                                     surname_only=0.3)
        rows.append((f"servizi:{street} {number}", "servizi", text, column, lon, lat, town, m.key, f"{lon:.7f},{lat:.7f}"))
    if osm_points is not None and len(osm_points):
        sample = osm_points.sample(min(400, len(osm_points)), random_state=SEED)
        for street, number, lon, lat in sample[["street", "number", "lon", "lat"]].itertuples(index=False):
            m = full.lookup(f"{street} {number}", None)
            if not m.key or (m.town, m.key) not in names:
                continue
            text, column = messy_variant(names[(m.town, m.key)], str(number), m.town, rng, surname_only=0.3)
            rows.append((f"osm:{street} {number}", "osm", text, column, lon, lat, m.town, m.key, f"{lon:.7f},{lat:.7f}"))
    items = pd.DataFrame(rows, columns=["unit", "source", "address", "town", "true_lon", "true_lat", "true_town",
                                        "true_key", "coords"])
    streets = sorted(set(zip(items["true_town"], items["true_key"])))
    pick = np.random.default_rng(SEED + 1).random(len(streets)) < HELD_OUT_SHARE
    held = {s for s, p in zip(streets, pick) if p}
    items["held_out_street"] = [(t, k) in held for t, k in zip(items["true_town"], items["true_key"])]
    # any address on a street the shipped points cover (nothing left out: the address is not one of
    # the points): three messy spellings of each such street, with a random house number
    shipped = gaz.points[gaz.points["source"].isin(["fermate_osm", "fermate_osm_incrocio", "geonames",
                                                    "punti_quartieri"])]
    first = shipped.groupby(["town", "key"], sort=True)[["lon", "lat"]].first()
    extra = []
    for (town, key), (lon, lat) in first.iterrows():
        if (town, key) not in names:
            continue
        for _ in range(3):
            text, column = messy_variant(names[(town, key)], str(int(rng.integers(1, 120))), town, rng,
                                         surname_only=0.3)
            extra.append(("vie_coperte", "vie_coperte", text, column, lon, lat, town, key, "", False))
    items = pd.concat([items, pd.DataFrame(extra, columns=items.columns)], ignore_index=True)
    items["held_out_street"] = [(t, k) in held for t, k in zip(items["true_town"], items["true_key"])]
    ref = gaz.points[["town", "key", "lon", "lat"]]
    truth = items[["true_town", "true_key", "true_lon", "true_lat"]].set_axis(["town", "key", "lon", "lat"], axis=1)
    street_points = pd.concat([ref, truth], ignore_index=True).drop_duplicates()
    return items, street_points, gaz


def _without(points: pd.DataFrame, coords: str) -> pd.DataFrame:
    """The points table minus every row within about 1 m of the unit's coordinates."""
    if not isinstance(coords, str) or not coords:
        return points
    xy = np.array([[float(v) for v in c.split(",")] for c in coords.split(";")])
    lon, lat = points["lon"].to_numpy(float), points["lat"].to_numpy(float)
    near = np.zeros(len(points), dtype=bool)
    for x, y in xy:
        near |= (np.abs(lon - x) < 1.5e-5) & (np.abs(lat - y) < 1e-5)
    return points[~near]


def geocode_items(gaz, items: pd.DataFrame, towns, *, held_out: bool) -> pd.DataFrame:  # noqa: ANN001
    """Geocode each item with the gazetteer minus its unit (leave-one-out) or minus its whole street."""
    from fragmap.geocode import Geocoder

    out = []
    pts = gaz.points
    if held_out:
        groups = items.groupby(["true_town", "true_key"], sort=False)
        for (town, key), grp in groups:
            reduced = pts[~((pts["town"] == town) & (pts["key"] == key))]
            geo = Geocoder(dataclasses.replace(gaz, points=reduced), towns=towns)
            for i, r in grp.iterrows():
                out.append((i, geo.lookup(r["address"], r["town"] if isinstance(r["town"], str) else None)))
    else:
        for unit, grp in items.groupby("unit", sort=False):
            reduced = _without(pts, grp["coords"].iloc[0])
            geo = Geocoder(dataclasses.replace(gaz, points=reduced), towns=towns)
            for i, r in grp.iterrows():
                out.append((i, geo.lookup(r["address"], r["town"] if isinstance(r["town"], str) else None)))
    res = items.copy()
    m = dict(out)
    res["lat"] = [m[i].lat for i in res.index]
    res["lon"] = [m[i].lon for i in res.index]
    res["level"] = [m[i].level for i in res.index]
    res["key"] = [m[i].key for i in res.index]
    res["mtown"] = [m[i].town for i in res.index]
    return res


def score(res: pd.DataFrame, street_points: pd.DataFrame, lines) -> pd.DataFrame:  # noqa: ANN001
    """Add ``d_point`` (m to the true point), ``d_street`` (m to the true street, proxy) and ``right_street``."""
    from fragmap.geocode.gazetteer import metres

    res = res.copy()
    res["d_point"] = metres(res["true_lon"], res["true_lat"], res["lon"], res["lat"])
    by_street = {k: (g["lon"].to_numpy(float), g["lat"].to_numpy(float))
                 for k, g in street_points.groupby(["town", "key"])}
    line_of = {}
    if lines is not None and len(lines):
        utm = lines.to_crs(32632)
        line_of = {(t, k): geom for t, k, geom in zip(utm["town"], utm["key"], utm.geometry)}
    d_street = []
    import geopandas as gpd

    placed_utm = gpd.GeoSeries(gpd.points_from_xy(res["lon"].fillna(0), res["lat"].fillna(0)), crs=4326).to_crs(32632)
    for (t, k, lon, lat), p in zip(res[["true_town", "true_key", "lon", "lat"]].itertuples(index=False), placed_utm):
        if np.isnan(lat):
            d_street.append(np.nan)
            continue
        xs, ys = by_street.get((t, k), (np.array([]), np.array([])))
        d = float(np.min(metres(xs, ys, lon, lat))) if len(xs) else np.inf
        if (t, k) in line_of:
            d = min(d, float(line_of[(t, k)].distance(p)))
        d_street.append(d)
    res["d_street"] = d_street
    res["right_street"] = res["lat"].notna() & (res["key"] == res["true_key"]) & (res["mtown"] == res["true_town"])
    return res


def report(res: pd.DataFrame, title: str) -> None:
    placed = res["lat"].notna()
    print(f"\n{title}: {len(res)} addresses")
    print(f"  {'source':<22}{'n':>5}{'<=50m point':>13}{'right street':>14}{'<=50m street*':>15}"
          f"{'town level':>12}{'wrong >250m':>13}")
    for src, g in [*res.groupby("source"), ("ALL", res)]:
        p = g["lat"].notna()
        n = max(len(g), 1)
        print(f"  {src:<22}{len(g):>5}{(p & (g['d_point'] <= 50)).sum() / n:>13.0%}"
              f"{g['right_street'].sum() / n:>14.0%}{(p & (g['d_street'] <= 50)).sum() / n:>15.0%}"
              f"{(g['level'] == 'comune').sum() / n:>12.0%}{(p & (g['d_street'] > 250)).sum() / n:>13.0%}")
    print("  per level (share of all; within 50 m of the street*, of that level):")
    for level, g in res.groupby("level"):
        p = g["lat"].notna()
        print(f"    {level:<12}{len(g) / len(res):>6.0%}   {(p & (g['d_street'] <= 50)).sum() / max(len(g), 1):>5.0%}")
    print(f"  placed: {placed.mean():.0%}   (* street distance = nearest known point of the street or its OSM line: "
          "pessimistic without lines)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--osm", type=Path, help="a local OSM extract (.osm/.graphml) to build with (never committed)")
    ap.add_argument("--items-out", type=Path, help="write the test addresses (for a run on the old code)")
    ap.add_argument("--baseline", type=Path, help="geocode the addresses of --items-out with the ANNCSU + services gazetteer")
    ap.add_argument("--misses", action="store_true", help="list the misses on streets with an OSM line")
    args = ap.parse_args()
    towns, services = load_inputs()
    if args.baseline:
        from fragmap.geocode import build_gazetteer

        items = pd.read_csv(args.baseline.with_suffix(".items.csv"), keep_default_na=False, na_values=[""])
        street_points = pd.read_csv(args.baseline.with_suffix(".streets.csv"))
        t0 = time.perf_counter()
        gaz = build_gazetteer(streets=pd.read_csv(STREETS, dtype=str), towns=towns, services=services)
        print(f"BASELINE (this code's build_gazetteer with ANNCSU + services): {time.perf_counter() - t0:.2f} s, "
              f"{len(gaz.points):,} points")
    else:
        items, street_points, gaz = build_items(args.osm)
        if args.items_out:
            items.to_csv(args.items_out.with_suffix(".items.csv"), index=False)
            street_points.to_csv(args.items_out.with_suffix(".streets.csv"), index=False)
        if gaz.links is not None:
            from fragmap.geocode.reconcile import link_summary

            print("street-name links:", link_summary(gaz.links))
    print("examples:", " | ".join(items["address"].head(6)))
    t0 = time.perf_counter()
    loo = score(geocode_items(gaz, items, towns, held_out=False), street_points, gaz.lines)
    report(loo, "LEAVE-ONE-OUT (each unit's own points removed)")
    if gaz.lines is not None and len(gaz.lines):
        has_line = set(zip(gaz.lines["town"], gaz.lines["key"]))
        covered = [(t, k) in has_line for t, k in zip(loo["true_town"], loo["true_key"])]
        report(loo[covered], "  the same, on the streets the OSM extract has a line for")
        if args.misses:
            cols = ["source", "address", "true_key", "level", "key", "d_street"]
            print(loo[covered][~loo[covered]["right_street"]][cols].to_string())
    report(loo[loo["held_out_street"]], "  the same, on the seeded held-out sample of streets only")
    held = score(geocode_items(gaz, items[items["held_out_street"]], towns, held_out=True), street_points, gaz.lines)
    report(held, "HELD-OUT STREETS (all points of the street removed, every source)")
    if gaz.lines is not None and len(gaz.lines):
        covered = [(t, k) in has_line for t, k in zip(held["true_town"], held["true_key"])]
        report(held[covered], "  the same, on the streets the OSM extract has a line for")
    print(f"\n(geocoding, one index per left-out unit or street: "
          f"{time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
