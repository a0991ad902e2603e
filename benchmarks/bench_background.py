"""Size of the published map and atlas with the background: the demo (what ships) and a full one.

The full background is synthetic but sized like OpenStreetMap's for the two comuni after the
geodata set-up (``data/geodati/``): main roads (trunk..tertiary, merged by name) of about
190 km in Pavia and 150 km in Vigevano, sampled every 10 m with a bend every 60-120 m (OSM
ways are drawn that way; the set-up's 5 m simplification leaves the bends), the Ticino as
a 250 m wide polygon across Pavia plus canal lines, 45 km of railway, 120 parks, 90 places.
It is written in the set-up's file contract and read back with ``load_background``, so
what is measured is exactly what a run would publish.

Budget (defended in the closing note of the background work):

* demo map (shipped data only: place and street names) <= 400 KB, as before;
* full background map <= 480 KB raw and <= 130 KB gzip: at most a fifth more than the demo's
  budget, so the page stays one file that a phone on a slow 4G link (1 MB/s; every web host
  gzips HTML) loads in about a tenth of a second, far less than the raster tiles it replaces
  (one town at zoom 14 is about 60 tiles of 15-25 KB, over 1 MB, and needs a network).
* atlas: the background adds at most 10 KB to a quarter page (its locator map: outlines, the
  main roads, river, railway, large parks, about ten names).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, Point, Polygon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402

from fragmap.atlas import build_pages  # noqa: E402
from fragmap.background import UTM, background_points, load_background, map_payload  # noqa: E402
from fragmap.maps import render_map  # noqa: E402
from fragmap.pipeline import Project  # noqa: E402

BUDGET_DEMO_KB = 400
BUDGET_FULL_KB = 480
BUDGET_FULL_GZIP_KB = 130
BUDGET_ATLAS_PAGE_KB = 10
ROAD_KM = {"Pavia": 190.0, "Vigevano": 150.0}


def _wiggly_line(rng: np.random.Generator, start: np.ndarray, length_m: float, heading: float) -> LineString:
    """A road-like line: straight pieces of 60-120 m sampled every 10 m, turning up to 25 degrees."""
    pts = [start]
    done = 0.0
    while done < length_m:
        piece = float(rng.uniform(60, 120))
        heading += float(rng.normal(0, np.radians(12)))
        for _ in range(int(piece // 10)):
            pts.append(pts[-1] + 10 * np.array([np.cos(heading), np.sin(heading)]))
        done += piece
    return LineString(pts)


def synthetic_geodata(boundaries: gpd.GeoDataFrame, folder: Path, seed: int = 7) -> None:
    """Write a full-size synthetic geodata set (the set-up's file contract) for the comuni."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    utm = boundaries.to_crs(UTM)
    highways = ["trunk", "primary", "primary", "secondary", "secondary", "tertiary", "tertiary", "tertiary"]
    roads, parks, places, rail, water = [], [], [], [], []
    for name, poly in zip(utm["name"], utm.geometry):
        minx, miny, maxx, maxy = poly.bounds
        total, k = 0.0, 0
        while total < ROAD_KM.get(name, 150.0) * 1000:
            start = np.array([rng.uniform(minx, maxx), rng.uniform(miny, maxy)])
            if not poly.contains(Point(start)):
                continue
            line = _wiggly_line(rng, start, float(rng.uniform(300, 2500)), float(rng.uniform(0, 2 * np.pi)))
            line = line.intersection(poly)
            if line.is_empty or line.length < 50:
                continue
            roads.append({"name": f"Via Sintetica {name} {k}", "highway": highways[k % len(highways)],
                          "geometry": line})
            total += line.length
            k += 1
        for j in range(60):
            c = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if poly.contains(c):
                r = rng.uniform(40, 250)
                ang = np.sort(rng.uniform(0, 2 * np.pi, 14))
                ring = [(c.x + r * rng.uniform(0.7, 1.2) * np.cos(a), c.y + r * rng.uniform(0.7, 1.2) * np.sin(a))
                        for a in ang]
                parks.append({"name": f"Parco {name} {j}" if j % 3 == 0 else None, "geometry": Polygon(ring)})
        for j in range(45):
            places.append({"name": f"Località {name} {j}", "place": ["suburb", "neighbourhood", "hamlet"][j % 3],
                           "geometry": Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))})
        rail.append({"geometry": _wiggly_line(rng, np.array([minx, (miny + maxy) / 2]), maxx - minx, 0.2)})
        rail.append({"geometry": _wiggly_line(rng, np.array([(minx + maxx) / 2, miny]), maxy - miny, 1.4)})
        river = _wiggly_line(rng, np.array([minx - 500, miny + 0.25 * (maxy - miny)]), maxx - minx + 1000, 0.1)
        water.append({"name": "Ticino", "kind": "river", "geometry": river.buffer(125, quad_segs=2)})
        water.append({"name": f"Naviglio {name}", "kind": "canal",
                      "geometry": _wiggly_line(rng, np.array([(minx + maxx) / 2, maxy]), maxy - miny, -1.6)})

    def write(rows: list[dict], file: str) -> None:
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM).to_crs(4326)
        gdf.to_file(folder / file, driver="GeoJSON")

    write(roads, "strade_principali.geojson")
    write(parks, "parchi.geojson")
    write(places, "luoghi.geojson")
    write(rail, "ferrovie.geojson")
    write(water, "acque.geojson")
    (folder / "geodati.json").write_text(json.dumps({"attribution": "© OpenStreetMap contributors, ODbL 1.0"}),
                                         encoding="utf-8")


def _kb(text: str) -> tuple[float, float]:
    raw = text.encode()
    return len(raw) / 1024, len(gzip.compress(raw, 9)) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        s = demo_settings(Path(d))
        p = Project(s)
        p.ingest()
        pub = p.publication()
        quality: dict = {}
        plain, _ = timed("render the demo map without background", lambda: render_map(pub, services=p.locate_services()))
        demo_bg, _ = timed("load the demo background (shipped data)", lambda: load_background(s, p.load_boundaries()))
        demo, _ = timed("render the demo map with it", lambda: render_map(pub, services=p.locate_services(),
                                                                            background=demo_bg))
        geodata = Path(d) / "geodati"
        timed("write a full-size synthetic geodata set", lambda: synthetic_geodata(p.load_boundaries(), geodata))
        s_full = dataclasses.replace(s, paths=dataclasses.replace(s.paths, geodata=geodata))
        full_bg, _ = timed("load the full background", lambda: load_background(s_full, p.load_boundaries()))
        full, _ = timed("render the map with the full background",
                        lambda: render_map(pub, services=p.locate_services(), background=full_bg))
        payload = map_payload(full_bg)
        n_vertices = len(background_points(payload)) - len(payload["labels"])
        print(f"    full background: {len(full_bg.roads)} road pieces, {n_vertices:,} vertices printed, "
              f"{len(payload['labels'])} labels")
        for label, html, budget in (("no background", plain, None), ("demo background", demo, BUDGET_DEMO_KB),
                                    ("full background", full, BUDGET_FULL_KB)):
            raw, gz = _kb(html)
            goal = f"(goal <= {budget} KB{f', gzip <= {BUDGET_FULL_GZIP_KB} KB' if budget == BUDGET_FULL_KB else ''})" \
                if budget else ""
            print(f"    map, {label:<16} {raw:7,.0f} KB, gzip {gz:5,.0f} KB {goal}")
        means = {}
        for label, bg in (("no background", None), ("demo background", demo_bg), ("full background", full_bg)):
            pages, _ = timed(f"build the atlas, {label}",
                             lambda bg=bg: build_pages(pub, quality=quality, services=p.locate_services(), background=bg))
            q = [v for k, v in pages.items() if k.startswith("quartieri/")]
            total = sum(len(v.encode()) for v in pages.values()) / 1024
            means[label] = float(np.mean([len(v.encode()) for v in q])) / 1024
            added = means[label] - means["no background"]
            goal = f", added {added:4.1f} KB (goal <= {BUDGET_ATLAS_PAGE_KB} KB)" if bg is not None else ""
            print(f"    atlas, {label:<16} {total:7,.0f} KB in {len(pages)} pages, "
                  f"quarter page mean {means[label]:5.1f} KB{goal}")

if __name__ == "__main__":
    main()
