"""Street networks for walking access: from a local file, or (only when asked) downloaded.

``read_network`` reads an OpenStreetMap XML extract (.osm) or a GraphML file with
osmnx, keeping only the walkable streets (``retain_all=False``, so address nodes
do not become isolated graph nodes). ``download_network`` uses osmnx over the comune
polygons and caches the result as GraphML; it runs only when
``[access] download_network = true`` (no network is touched otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fragmap._errors import InputFileError, NetworkDisabledError


def read_network(path: str | Path) -> Any:
    """A walking network (networkx MultiDiGraph, EPSG:4326 node x/y, edge ``length`` in metres)."""
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: street network file not found / rete stradale non trovata")
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        return ox.load_graphml(path)
    if suffix in (".osm", ".xml"):
        # simplify=False keeps corner nodes: points and services snap to nodes, and a removed
        # corner would make a 100 m walk look like 300 m.
        return ox.graph_from_xml(path, simplify=False, retain_all=False, bidirectional=True)
    raise InputFileError(f"{path}: give an .osm (OpenStreetMap XML) or .graphml file")


def download_network(polygon: Any, cache: str | Path, *, allowed: bool) -> Any:
    """Download the walking network over ``polygon`` with osmnx and cache it (GraphML).

    Raises
    ------
    NetworkDisabledError
        Unless ``allowed`` (the ``[access] download_network`` setting) is True.
    """
    import osmnx as ox

    cache = Path(cache)
    if cache.exists():
        return ox.load_graphml(cache)
    if not allowed:
        raise NetworkDisabledError(
            "downloading the street network is off: set [access] download_network = true in "
            "fragmap.toml (needs internet), or give [paths] street_network = a local .osm file"
        )
    g = ox.graph_from_polygon(polygon, network_type="walk", retain_all=False)
    cache.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(g, cache)
    return g
