"""Street networks for walking access: from a local file, or (only when asked) downloaded.

``read_network`` reads an OpenStreetMap XML extract (.osm) or a GraphML file with
osmnx, keeping only the walkable streets (``retain_all=False``, so address nodes
do not become isolated graph nodes). ``download_network`` uses osmnx over the comune
polygons and caches the result as GraphML; :func:`street_network_for` decides which
applies for a project: it touches the internet only when ``[access] download_network
= true`` AND the caller allows it.

Example
-------
>>> g = street_network_for(settings, comuni, allow_download=False)   # doctest: +SKIP
>>> method = "network" if g is not None else "fallback"              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fragmap._errors import InputFileError, NetworkDisabledError

#: Where a downloaded network is cached, relative to the project folder.
DEFAULT_CACHE = Path("data") / "rete_pedonale_osm.graphml"


def read_network(path: str | Path) -> Any:
    """A walking network (networkx MultiDiGraph, EPSG:4326 node x/y, edge ``length`` in metres).

    Examples
    --------
    >>> g = read_network("rete_pedonale.osm")     # doctest: +SKIP
    """
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

    A cache already on disk is read instead (no download).

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


def network_cache_path(settings: Any) -> Path:
    """Where :func:`street_network_for` caches a downloaded network (``data/`` of the project)."""
    return Path(settings.root) / DEFAULT_CACHE


def street_network_for(settings: Any, boundaries: Any, *, allow_download: bool) -> Any | None:
    """The project's walking network, or None (then access uses the straight-line fallback).

    In order:

    1. ``[paths] street_network`` (a local .osm or .graphml file), when set;
    1b. else the walking network of the stored geodata set (``<[paths] geodata>/rete_pedonale.graphml``,
       written by ``fragmap geodati scarica`` / ``importa``), when present;
    2. with ``[access] download_network = true``: the cached download
       (:func:`network_cache_path`, under ``data/``) if present, else, only when
       ``allow_download`` is True, a download with osmnx over the comune polygons
       (``boundaries``), saved to that cache;
    3. otherwise None. Nothing touches the internet unless both the setting and
       ``allow_download`` say so.

    Parameters
    ----------
    settings : Settings
        The project settings (``paths.street_network``, ``access.download_network``, ``root``).
    boundaries : GeoDataFrame
        Comune polygons (EPSG:4326) whose union is downloaded.
    allow_download : bool
        The caller's consent to go online now (e.g. a ``--download-network`` flag).

    Returns
    -------
    networkx.MultiDiGraph or None

    Raises
    ------
    InputFileError
        ``[paths] street_network`` is set but the file is missing or of an unknown type.

    Examples
    --------
    >>> g = street_network_for(settings, comuni, allow_download=False)   # doctest: +SKIP
    """
    path = getattr(settings.paths, "street_network", None)
    if path is not None:
        return read_network(path)
    geodata = getattr(settings.paths, "geodata", None)
    if geodata is not None and (Path(geodata) / "rete_pedonale.graphml").exists():
        return read_network(Path(geodata) / "rete_pedonale.graphml")  # the one-time set-up, offline
    if not getattr(settings.access, "download_network", False):
        return None
    cache = network_cache_path(settings)
    if cache.exists():
        return read_network(cache)
    if not allow_download:
        return None
    import shapely

    polygon = shapely.union_all(boundaries.to_crs(4326).geometry.to_numpy())
    return download_network(polygon, cache, allowed=True)
