"""A tiny OpenStreetMap extract built in code, inside the Pavia comune (INVENTED geometry).

Real Pavia street names (so the gazetteer links them to ANNCSU) on a made-up 4 x 4 grid
of 100 m blocks around 9.150 E, 45.190 N, plus one of everything the geodata layers
read: house numbers on nodes and on a building, a quarter name, a lake and a river, a
railway (and a siding that must be left out), two parks (one a multipolygon relation),
a motorway nobody walks on, and an address far outside the comuni (in Milan) that must
be clipped away. :func:`write_osm` writes it as OSM XML (what Overpass answers),
:func:`write_pbf` as .osm.pbf with pyosmium, and :func:`overpass_answer` gives the
answer a real server would send to one of fragmap's requests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

LON0, LAT0 = 9.150, 45.190
DLON, DLAT = 0.00127, 0.0009  # about 100 m each way at this latitude
EW = ["Via Solferino", "Corso Strada Nuova", "Via Aselli", "Via Ugo Foscolo"]  # rows (west-east)
NS = ["Viale Gorizia", "Via Cardano", "Via Bernardino da Feltre", "Via Bossolaro"]  # columns (south-north)

Tags = dict[str, str]


def _pos(i: float, j: float) -> tuple[float, float]:
    return LON0 + i * DLON, LAT0 + j * DLAT


def elements() -> tuple[dict[int, tuple[float, float, Tags]], list[tuple[int, list[int], Tags]],
                        list[tuple[int, list[tuple[str, int, str]], Tags]]]:
    """``nodes {id: (lon, lat, tags)}``, ``ways [(id, refs, tags)]``, ``relations [(id, members, tags)]``."""
    nodes: dict[int, tuple[float, float, Tags]] = {}
    ways: list[tuple[int, list[int], Tags]] = []
    rels: list[tuple[int, list[tuple[str, int, str]], Tags]] = []

    def node(nid: int, i: float, j: float, tags: Tags | None = None) -> int:
        nodes[nid] = (*_pos(i, j), tags or {})
        return nid

    grid = {(i, j): node(1000 + 10 * i + j, i, j) for i in range(4) for j in range(4)}
    for j, name in enumerate(EW):
        tags = {"highway": "primary" if j == 1 else "residential", "name": name}
        if j == 1:
            tags["official_name"] = "Corso Strada Nuova"
            tags["alt_name"] = "Strada Nuova"
        ways.append((2000 + j, [grid[(i, j)] for i in range(4)], tags))
    for i, name in enumerate(NS):
        ways.append((2100 + i, [grid[(i, j)] for j in range(4)], {"highway": "residential", "name": name}))
    # an unnamed footway (network, not a street), a named motorway (street, not network)
    node(1100, 1.5, 0.5)
    ways.append((2200, [grid[(1, 0)], 1100, grid[(2, 1)]], {"highway": "footway"}))
    node(1101, -1.0, 3.5)
    node(1102, 4.0, 3.5)
    ways.append((2201, [1101, 1102], {"highway": "motorway", "name": "Tangenziale Sintetica"}))
    # house numbers: nodes on Via Solferino, and a building with an address
    for k, n in enumerate(("12", "14", "16")):
        node(3000 + k, 0.5 + k, 0.08, {"addr:street": "Via Solferino", "addr:housenumber": n})
    b = [node(3100 + k, i, j) for k, (i, j) in enumerate([(2.2, 1.2), (2.6, 1.2), (2.6, 1.6), (2.2, 1.6)])]
    ways.append((3200, [*b, b[0]], {"building": "yes", "addr:street": "Via Cardano", "addr:housenumber": "3"}))
    node(3300, 300.0, 1.0, {"addr:street": "Via Solferino", "addr:housenumber": "99"})  # Milan-ish: outside
    # places
    node(4000, 1.5, 2.5, {"place": "quarter", "name": "Vallone"})
    node(4001, 2.5, 0.5, {"place": "neighbourhood", "name": "Borgo Sintetico"})
    node(4002, 2.0, 2.0, {"place": "city", "name": "Pavia"})  # not a kind the layer keeps
    # water: a lake (closed way) and a river line
    lake = [node(5000 + k, i, j) for k, (i, j) in enumerate([(0.2, 2.2), (0.8, 2.2), (0.8, 2.8), (0.2, 2.8)])]
    ways.append((5100, [*lake, lake[0]], {"natural": "water", "water": "lake", "name": "Laghetto"}))
    river = [node(5200 + k, i, -0.5) for k, i in enumerate((-0.5, 1.0, 2.5, 4.0))]
    ways.append((5300, river, {"waterway": "river", "name": "Ticino"}))
    # railways: the line, and a siding that is left out
    rail = [node(6000 + k, i, 4.5) for k, i in enumerate((-0.5, 1.5, 3.5))]
    ways.append((6100, rail, {"railway": "rail", "name": "Milano-Genova"}))
    siding = [node(6200, 1.0, 4.3), node(6201, 2.0, 4.3)]
    ways.append((6300, siding, {"railway": "rail", "service": "siding"}))
    # parks: a closed way, and a multipolygon relation made of two open ways
    p = [node(7000 + k, i, j) for k, (i, j) in enumerate([(3.2, 3.2), (3.8, 3.2), (3.8, 3.8), (3.2, 3.8)])]
    ways.append((7100, [*p, p[0]], {"leisure": "park", "name": "Parco Sintetico"}))
    q = [node(7200 + k, i, j) for k, (i, j) in enumerate([(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)])]
    ways.append((7300, [q[0], q[1], q[2]], {}))
    ways.append((7301, [q[2], q[3], q[0]], {}))
    rels.append((7400, [("w", 7300, "outer"), ("w", 7301, "outer")],
                 {"type": "multipolygon", "leisure": "park", "name": "Giardino Relazione"}))
    # homes (the weights of where residents live): a house of 2 levels, a block of flats of 5,
    # and what is not a home: a shed under 40 m², a factory, a school tagged only building=yes
    def block(base: int, i: float, j: float, di: float, dj: float) -> list[int]:
        refs = [node(base + k, a, b) for k, (a, b) in enumerate([(i, j), (i + di, j), (i + di, j + dj), (i, j + dj)])]
        return [*refs, refs[0]]

    ways.append((8100, block(8000, 0.3, 1.2, 0.2, 0.2), {"building": "house", "building:levels": "2"}))
    ways.append((8101, block(8010, 1.2, 2.2, 0.3, 0.3), {"building": "apartments", "building:levels": "5"}))
    ways.append((8102, block(8020, 0.6, 1.6, 0.04, 0.04), {"building": "yes"}))
    ways.append((8103, block(8030, 3.2, 0.2, 0.4, 0.4), {"building": "industrial"}))
    ways.append((8104, block(8040, 3.2, 2.2, 0.4, 0.4), {"building": "yes", "amenity": "school"}))
    return nodes, ways, rels


def _xml(nodes, ways, rels) -> str:  # type: ignore[no-untyped-def]
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="Overpass API 0.7.62 (replayed)">',
           "<note>The data included in this document is from www.openstreetmap.org. "
           "The data is made available under ODbL.</note>",
           '<meta osm_base="2026-11-30T06:00:00Z"/>']  # as Overpass writes them
    for nid in sorted(nodes):
        lon, lat, tags = nodes[nid]
        if tags:
            out.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">')
            out += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            out.append("  </node>")
        else:
            out.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in sorted(ways):
        out.append(f'  <way id="{wid}">')
        out += [f'    <nd ref="{r}"/>' for r in refs]
        out += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        out.append("  </way>")
    for rid, members, tags in sorted(rels):
        out.append(f'  <relation id="{rid}">')
        out += [f'    <member type="{"way" if t == "w" else "node"}" ref="{r}" role="{role}"/>' for t, r, role in members]
        out += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        out.append("  </relation>")
    out.append("</osm>")
    return "\n".join(out) + "\n"


def subset(keep: Callable[[Tags], bool]) -> str:
    """OSM XML of the elements whose tags pass ``keep``, with the ways and nodes they need (Overpass ``>>``)."""
    nodes, ways, rels = elements()
    way_by_id = {w[0]: w for w in ways}
    k_rels = [r for r in rels if keep(r[2])]
    k_ways = {w[0]: w for w in ways if keep(w[2])}
    for _, members, _ in k_rels:
        for t, ref, _ in members:
            if t == "w":
                k_ways[ref] = way_by_id[ref]
    need = {r for w in k_ways.values() for r in w[1]} | {n for n, v in nodes.items() if v[2] and keep(v[2])}
    return _xml({n: nodes[n] for n in need}, list(k_ways.values()), k_rels)


def write_osm(path: Path) -> Path:
    """The whole extract as OSM XML."""
    path.write_text(subset(lambda t: True), encoding="utf-8")
    return path


def write_pbf(path: Path) -> Path:
    """The whole extract as .osm.pbf, written with ``osmium.SimpleWriter``."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    nodes, ways, rels = elements()
    if path.exists():
        path.unlink()
    w = osmium.SimpleWriter(str(path))
    try:
        for nid in sorted(nodes):
            lon, lat, tags = nodes[nid]
            w.add_node(Node(id=nid, version=1, location=(lon, lat), tags=tags))
        for wid, refs, tags in sorted(ways):
            w.add_way(Way(id=wid, version=1, nodes=refs, tags=tags))
        for rid, members, tags in sorted(rels):
            w.add_relation(Relation(id=rid, version=1, members=members, tags=tags))
    finally:
        w.close()
    return path


#: What each fragmap request asks for, recognised in the query text.
_BY_QUERY: list[tuple[str, Callable[[Tags], bool]]] = [
    ('way["highway"]', lambda t: "highway" in t),
    ('["addr:housenumber"]', lambda t: "addr:housenumber" in t and "addr:street" in t),
    ('["place"', lambda t: "place" in t and "name" in t),
    ('["natural"="water"]', lambda t: t.get("natural") == "water" or t.get("waterway") in ("river", "canal")),
    ('["railway"="rail"]', lambda t: t.get("railway") == "rail"),
    ('["building"', lambda t: t.get("building") in ("yes", "house", "apartments", "residential")),
    ('["leisure"="park"]', lambda t: t.get("leisure") == "park" or t.get("landuse") in ("grass", "recreation_ground")),
]


def overpass_answer(query: str) -> bytes:
    """The OSM XML a server would answer to one of fragmap's Overpass queries (hand-built)."""
    for marker, keep in _BY_QUERY:
        if marker in query:
            return subset(keep).encode("utf-8")
    raise AssertionError(f"unexpected query: {query[:200]}")
