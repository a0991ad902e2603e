"""Geodata import of a town-sized extract: a synthetic .osm.pbf like Pavia's (goal: < 2 minutes, files < 40 MB).

About 40,000 street nodes on a 200 x 200 grid (30 m steps, 8,000 named ways of 10 nodes),
20,000 address nodes and 3,000 buildings with an address, inside the Pavia comune; plus a
regional-extract-like tail of 20,000 address nodes far away that must be skipped. Prints
the time of each step and the size of each stored file.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402

from fragmap.geodata_setup import import_geodata  # noqa: E402
from fragmap.io.geodata import read_geodata  # noqa: E402

N, STEP_LON, STEP_LAT = 200, 0.00038, 0.00027  # about 30 m
LON0, LAT0 = 9.125, 45.165


def write_extract(path: Path) -> None:
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(13)
    w = osmium.SimpleWriter(str(path))
    nid = 1
    grid = {}
    for i in range(N):
        for j in range(N):
            grid[(i, j)] = nid
            w.add_node(Node(id=nid, version=1, location=(LON0 + i * STEP_LON, LAT0 + j * STEP_LAT)))
            nid += 1
    for k in range(20_000):
        i, j = rng.random() * (N - 1), rng.random() * (N - 1)
        w.add_node(Node(id=nid, version=1, location=(LON0 + i * STEP_LON, LAT0 + j * STEP_LAT + 0.00005),
                        tags={"addr:street": f"Via Sintetica {int(j)}", "addr:housenumber": str(k % 200 + 1)}))
        nid += 1
    for k in range(20_000):  # the rest of a regional extract, far from the comuni
        w.add_node(Node(id=nid, version=1, location=(8.0 + k * 1e-5, 44.5),
                        tags={"addr:street": "Via Lontana", "addr:housenumber": str(k)}))
        nid += 1
    building_nodes = []
    for k in range(3_000):
        x, y = LON0 + rng.random() * (N - 2) * STEP_LON, LAT0 + rng.random() * (N - 2) * STEP_LAT
        ring = []
        for dx, dy in ((0, 0), (0.0001, 0), (0.0001, 0.0001), (0, 0.0001)):
            w.add_node(Node(id=nid, version=1, location=(x + dx, y + dy)))
            ring.append(nid)
            nid += 1
        building_nodes.append(ring)
    wid = 1
    for j in range(N):
        for start in range(0, N - 1, 10):
            refs = [grid[(i, j)] for i in range(start, min(start + 11, N))]
            w.add_way(Way(id=wid, version=1, nodes=refs, tags={"highway": "residential", "name": f"Via Sintetica {j}"}))
            wid += 1
    for i in range(N):
        for start in range(0, N - 1, 10):
            refs = [grid[(i, j)] for j in range(start, min(start + 11, N))]
            hw = "primary" if i % 40 == 0 else "residential"
            w.add_way(Way(id=wid, version=1, nodes=refs, tags={"highway": hw, "name": f"Viale Sintetico {i}"}))
            wid += 1
    for k, ring in enumerate(building_nodes):
        w.add_way(Way(id=wid, version=1, nodes=[*ring, ring[0]],
                      tags={"building": "yes", "addr:street": "Via Edificio", "addr:housenumber": str(k)}))
        wid += 1
    w.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        s = demo_settings(tmp_path)
        s = dataclasses.replace(s, paths=dataclasses.replace(s.paths, geodata=tmp_path / "geodati"))
        pbf = tmp_path / "estratto.osm.pbf"
        timed("write a synthetic town-sized .osm.pbf", lambda: write_extract(pbf))
        print(f"{'  extract size':<60} {pbf.stat().st_size / 1e6:8.2f} MB")
        lines: list[str] = []

        def run() -> object:
            return import_geodata(s, [pbf], progress=lines.append, rebuild_gazetteer=False)

        result, _ = timed("fragmap geodati importa (read, layers, network, write)", run)
        for name, rec in result.meta["files"].items():  # type: ignore[attr-defined]
            print(f"  {name:<58} {rec['bytes'] / 1e6:8.2f} MB")
        timed("read_geodata (every layer)", lambda: read_geodata(s.paths.geodata))
        from fragmap.io.network import read_network

        timed("load the stored walking network (fragmap run)", lambda: read_network(s.paths.geodata / "rete_pedonale.graphml"))
        from fragmap.geodata_setup import rebuild_project_gazetteer

        timed("rebuild the gazetteer with the stored layers", lambda: rebuild_project_gazetteer(s))


if __name__ == "__main__":
    main()
