"""Offline geocoding of Italian addresses (normalise -> gazetteer -> match), with a cache.

Example
-------
>>> from fragmap.geocode import geocode_reports, normalise_address
>>> normalise_address("C.SO CAVOUR,3/B").number
'3/B'
>>> geocoded = geocode_reports(reports, settings)      # doctest: +SKIP
>>> geocoded["match_level"].value_counts()              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fragmap.geocode.gazetteer import Gazetteer, build_gazetteer
from fragmap.geocode.match import LEVELS, GeocodeCache, Geocoder, Match, quality_report, review_table
from fragmap.geocode.normalise import ParsedAddress, normalise_address
from fragmap.settings import Settings

__all__ = [
    "LEVELS", "GeocodeCache", "Geocoder", "Gazetteer", "Match", "ParsedAddress",
    "build_gazetteer", "default_gazetteer", "geocode_reports", "normalise_address",
    "quality_report", "review_table",
]


def default_gazetteer(settings: Settings, *, rebuild: bool = False, osm: Path | None = None,
                      anncsu_numbers: Path | None = None) -> Gazetteer:
    """The project's gazetteer: read ``paths.gazetteer``, or build it from the reference data.

    Built from the ANNCSU street list, the services in ``paths.services`` with coordinates,
    and optionally an OSM XML file and an ANNCSU house-number CSV; then saved.
    """
    from fragmap.io import gazetteer as io_gaz
    from fragmap.io.geo import read_boundaries, read_services

    path = settings.paths.gazetteer
    if path.exists() and not rebuild and osm is None and anncsu_numbers is None:
        return io_gaz.read_gazetteer(path, settings.paths.streets)
    towns = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    services = [read_services(p) for p in settings.paths.services if Path(p).exists()]
    osm_points = osm_lines = numbers = None
    if osm is not None:
        osm_points, osm_lines = io_gaz.read_osm_addresses(osm)
    if anncsu_numbers is not None:
        numbers = io_gaz.read_anncsu_numbers(anncsu_numbers)
    gaz = build_gazetteer(
        streets=pd.read_csv(settings.paths.streets, dtype=str),
        towns=towns,
        services=pd.concat(services, ignore_index=True) if services else None,
        osm_points=osm_points, osm_lines=osm_lines, anncsu_numbers=numbers,
    )
    io_gaz.write_gazetteer(gaz, path)
    return gaz


def geocode_reports(reports: pd.DataFrame, settings: Settings, *, gazetteer: Gazetteer | None = None,
                    cache_path: Path | None = None, online: Any = None) -> pd.DataFrame:
    """Geocode the Reports table (adds ``lat, lon, match_level, match_score, matched_address``).

    Uses the project gazetteer (built on first use), the persistent cache in
    ``paths.cache_dir``, and the online backend only if ``[geocoding] online = true``.
    """
    from fragmap.io.geo import read_boundaries

    gaz = gazetteer if gazetteer is not None else default_gazetteer(settings)
    towns = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    cache = GeocodeCache(cache_path or settings.paths.cache_dir / "geocode.sqlite")
    if online is None and settings.geocoding.online:
        from fragmap.geocode.online import OnlineBackend

        online = OnlineBackend(settings, bbox=tuple(towns.total_bounds))
    g = Geocoder(gaz, towns=towns, cache=cache, online=online, town_names=settings.town_names)
    return g.geocode(reports)
