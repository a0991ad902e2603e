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

from fragmap.geocode.build import build_gazetteer
from fragmap.geocode.gazetteer import Gazetteer
from fragmap.geocode.match import (
    LEVELS,
    GeocodeCache,
    Geocoder,
    Match,
    OnlineUnavailableWarning,
    quality_report,
    review_table,
)
from fragmap.geocode.normalise import ParsedAddress, normalise_address
from fragmap.settings import Settings

__all__ = [
    "LEVELS", "GeocodeCache", "Geocoder", "Gazetteer", "Match", "OnlineUnavailableWarning", "ParsedAddress",
    "build_gazetteer", "default_gazetteer", "geocode_reports", "make_geocoder", "normalise_address",
    "quality_report", "review_table",
]


def default_gazetteer(settings: Settings, *, rebuild: bool = False, osm: Path | None = None,
                      anncsu_numbers: Path | None = None) -> Gazetteer:
    """The project's gazetteer: read ``paths.gazetteer``, or build it from the reference data.

    Built from the ANNCSU street list, the services in ``paths.services`` with coordinates,
    the named points shipped beside the street list (2013 OSM bus stops, GeoNames places,
    quarter landmarks: see :mod:`fragmap.io.named_points`), and optionally an OpenStreetMap
    file (``.osm`` XML with addresses and streets, an osmnx ``.graphml`` graph whose
    named edges give street lines, an ``.osm.pbf``, or the ``geodati.json`` of the stored
    geodata set, used by default when present) and an ANNCSU house-number CSV; then saved
    (atomically) with the name, size, SHA-256 and date of every file it came from. Source
    street names are linked to the official ones once (the coordinator's ``alias_vie.csv``
    beside the gazetteer file first); the links are written to ``riconciliazione_vie.csv``
    in the same folder.

    A stored gazetteer built from the reference data alone before the named points were
    shipped is rebuilt on first use.
    """
    import datetime as dt

    from fragmap.io import gazetteer as io_gaz
    from fragmap.io import named_points as io_places
    from fragmap.io.geo import read_boundaries, read_services

    path = settings.paths.gazetteer
    if path.exists() and not rebuild and osm is None and anncsu_numbers is None:
        stored = io_gaz.read_gazetteer(path, settings.paths.streets)
        labels = {f.get("label") for f in stored.source_files}
        p = settings.paths
        shipped = [f for f in (p.street_points, p.places, p.quarter_landmarks) if f is not None and Path(f).exists()]
        if (not shipped or labels & set(io_places.LABELS.values())
                or labels & {"OpenStreetMap", "ANNCSU numeri civici"}):
            return stored
    geodata = getattr(settings.paths, "geodata", None)
    if osm is None and geodata is not None and (Path(geodata) / "geodati.json").exists():
        osm = Path(geodata) / "geodati.json"  # the one-time set-up (fragmap geodati)
    towns = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    files = [io_gaz.describe_source(settings.paths.streets, "ANNCSU stradario"),
             io_gaz.describe_source(settings.paths.boundaries, "confini comunali")]
    services = []
    for p in settings.paths.services:
        if Path(p).exists():
            services.append(read_services(p))
            files.append(io_gaz.describe_source(p, "servizi"))
    osm_points = osm_lines = numbers = None
    if osm is not None:
        osm_points, osm_lines = io_gaz.read_street_source(osm, language=settings.language)
        files.append(io_gaz.describe_source(osm, "OpenStreetMap"))
    if anncsu_numbers is not None:
        numbers = io_gaz.read_anncsu_numbers(anncsu_numbers, language=settings.language)
        files.append(io_gaz.describe_source(anncsu_numbers, "ANNCSU numeri civici"))
    named, places, place_files = io_places.read_reference_places(
        stops=settings.paths.street_points, geonames=settings.paths.places, landmarks=settings.paths.quarter_landmarks)
    files += [io_gaz.describe_source(f, label) for f, label in place_files]
    alias_path = path.parent / io_places.ALIAS_FILE
    aliases = None
    if alias_path.exists():
        aliases = io_places.read_aliases(alias_path, language=settings.language)
        files.append(io_gaz.describe_source(alias_path, "alias delle vie"))
    gaz = build_gazetteer(
        streets=pd.read_csv(settings.paths.streets, dtype=str),
        towns=towns,
        services=pd.concat(services, ignore_index=True) if services else None,
        osm_points=osm_points, osm_lines=osm_lines, anncsu_numbers=numbers,
        named_points=named if len(named) else None, places=places if len(places) else None, aliases=aliases,
    )
    files.append({"label": "built", "file": "", "bytes": None, "sha256": "",
                  "modified": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()})
    gaz.source_files = files
    io_gaz.write_gazetteer(gaz, path)
    if gaz.links is not None and len(gaz.links):
        io_places.write_link_report(gaz.links, path.parent / io_places.LINK_REPORT)
    return gaz


def make_geocoder(settings: Settings, *, gazetteer: Gazetteer | None = None, cache_path: Path | None = None,
                  online: Any = None, towns: Any = None) -> Geocoder:
    """A :class:`Geocoder` configured from the settings (gazetteer, cache, towns, CAPs, min score, language).

    The online backend is built only if ``[geocoding] online = true`` (or passed in).
    Lookups run in this process on every system; repeated addresses come from the cache.
    """
    from fragmap.io.geo import read_boundaries

    gaz = gazetteer if gazetteer is not None else default_gazetteer(settings)
    if towns is None:
        towns = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    cache = GeocodeCache(cache_path or settings.paths.cache_dir / "geocode.sqlite")
    if online is None and settings.geocoding.online:
        from fragmap.geocode.online import OnlineBackend

        online = OnlineBackend(settings, bbox=tuple(towns.total_bounds))
    caps = {c: t.name for t in settings.towns for c in t.cap}
    return Geocoder(gaz, towns=towns, cache=cache, online=online, town_names=settings.town_names, caps=caps,
                    min_score=settings.geocoding.min_score, language=settings.language)


def geocode_reports(reports: pd.DataFrame, settings: Settings, *, gazetteer: Gazetteer | None = None,
                    cache_path: Path | None = None, online: Any = None) -> pd.DataFrame:
    """Geocode the Reports table (adds ``lat, lon, match_level, match_score, matched_address,
    match_note, uncertainty_m``).

    Uses the project gazetteer (built on first use), the persistent cache in
    ``paths.cache_dir``, and the online backend only if ``[geocoding] online = true``.
    If the online backend fails mid-run, the run goes on offline, a warning
    (:class:`OnlineUnavailableWarning`) says how many addresses stayed offline-only, and
    the message is also in ``result.attrs["geocode_messages"]``.

    Parameters
    ----------
    reports : DataFrame
        The Reports table (``address``, ``town``, ``lat``, ``lon``, ``quartiere``).
    settings : Settings
        Paths of the gazetteer and cache, towns, ``[geocoding]`` options.
    gazetteer : Gazetteer, optional
        Default: :func:`default_gazetteer` (read, or built on first use).
    cache_path : Path, optional
        Default: ``paths.cache_dir / 'geocode.sqlite'``.
    online : object, optional
        An online backend (tests pass a mock); default from the settings (off).

    Returns
    -------
    DataFrame
        PRIVATE: the reports with their points and match levels.

    Examples
    --------
    >>> geo = geocode_reports(project.reports(), settings)      # doctest: +SKIP
    >>> geo["match_level"].value_counts()                       # doctest: +SKIP
    """
    g = make_geocoder(settings, gazetteer=gazetteer, cache_path=cache_path, online=online)
    return g.geocode(reports)
