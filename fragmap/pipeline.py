"""The monthly pipeline, and the project object that notebooks use.

One :class:`Project` (settings + private store) computes each stage once, on
demand, and keeps the result: reports -> geocoded -> quarters -> assigned ->
counts cube -> publication -> rendered folder. :func:`run` chains them for
``fragmap run``; notebooks call the same methods.

Example
-------
>>> from fragmap import Project
>>> p = Project.load("fragmap.toml")            # doctest: +SKIP
>>> p.ingest()                                   # doctest: +SKIP
>>> pub = p.publication("2026-10")               # doctest: +SKIP
>>> result = run(p.settings, month="2026-10")    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from fragmap import __version__
from fragmap._errors import ValidationError
from fragmap.freshness import (  # noqa: F401  (the up-to-date decision, light to import)
    _input_files,
    _landmark_table,
    _previous_manifest,
    _private_manifest,
    _private_manifest_path,
    expand_inputs,
    run_key,
)
from fragmap.i18n import t
from fragmap.levels import level_titles, publications, within_level
from fragmap.publication import Publication
from fragmap.settings import Settings, load_settings, require_towns

#: Called after each stage with its name and a small dict of figures.
StepCallback = Callable[[str, dict[str, Any]], None]

#: Service types that count as the network's help desks (isochrones, where-next).
HELP_DESK_TYPES = ("sportello", "centro")

STAGES = (
    "ingest",
    "services",
    "quarters",
    "geocode",
    "assign",
    "privacy",
    "access",
    "map",
    "atlas",
    "audit",
    "publish",
)


def month_range(end: str, n: int) -> list[str]:
    """The ``n`` months ending at ``end`` (inclusive), ascending ``YYYY-MM`` strings.

    Parameters
    ----------
    end : str
        The last month, ``YYYY-MM``.
    n : int
        How many months.

    Returns
    -------
    list of str

    Examples
    --------
    >>> month_range("2026-02", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    p = pd.Period(end, freq="M")
    return [str(p - i) for i in range(n - 1, -1, -1)]


#: ``Project`` cache entries that :meth:`Project.ingest` keeps: new reports do not change them.
_KEPT_BY_INGEST = frozenset({"store", "private", "graph"})


def _deprecated(project: Project, old: str, new: str) -> Callable[[], Any]:
    """The method that replaced a property, after a :class:`DeprecationWarning` naming it."""
    import warnings

    warnings.warn(f"Project.{old} is deprecated: call Project.{new}() (the work it does is a method now)",
                  DeprecationWarning, stacklevel=3)
    return getattr(project, new)


@dataclass
class Project:
    """A fragmap project: settings plus the private store, with each stage computed once.

    Parameters
    ----------
    settings : Settings
        The validated project settings.

    Notes
    -----
    One caching style: every stage is an explicit method (``build_quarters()``,
    ``locate_services()``, ``geocoded(month)``...) whose result is kept in one dict, keyed by
    the stage and its arguments; :meth:`ingest` empties it (except the store, the private
    view and the street network, which new reports do not change). Properties do no work:
    ``store`` and ``private`` only open light objects; the former properties of expensive
    stages (``quarters``, ``services``, ``boundaries``, ``places``, ``background``,
    ``graph``, ``unlocated_services``, ``help_desks``) are deprecated aliases of the methods.

    Examples
    --------
    >>> p = Project.load("fragmap.toml")             # doctest: +SKIP
    >>> p.build_quarters().plot()                    # doctest: +SKIP
    """

    settings: Settings
    on_step: StepCallback | None = None
    #: Address corrections applied before geocoding (see :mod:`fragmap.geocode.corrections`).
    address_corrections: pd.DataFrame | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, config: str | Path | None = None, **kwargs: Any) -> Project:
        """Load the project file (default ``fragmap.toml`` in the current folder)."""
        return cls(load_settings(config), **kwargs)

    # -- private side -------------------------------------------------------------------
    @property
    def private(self) -> Any:
        """Every private table in one place (warns once, labels its results): see :mod:`fragmap.private`."""
        if "private" not in self._cache:
            from fragmap.private import PrivateData

            self._cache["private"] = PrivateData(self)
        return self._cache["private"]

    @property
    def store(self) -> Any:
        """The private SQLite store (reports, rejected rows, geocoded points)."""
        if "store" not in self._cache:
            from fragmap.io.store import Store

            self._cache["store"] = Store(self.settings.paths.store, language=self.settings.language)
        return self._cache["store"]

    def _step(self, name: str, figures: dict[str, Any]) -> None:
        if self.on_step is not None:
            self.on_step(name, figures)

    def ingest(self, files: list[Path] | None = None) -> Any:
        """Read, validate and store the report files (default: ``paths.reports``).

        Re-ingesting the same files changes nothing. Returns the intake result.
        """
        from fragmap.ingest import ingest_files

        files = files if files is not None else expand_inputs(self.settings.paths.reports)
        result = ingest_files(files, self.settings, store=self.store)
        kept = {k: v for k, v in self._cache.items() if k in _KEPT_BY_INGEST}
        self._cache.clear()
        self._cache.update(kept)
        self._cache["ingest"] = result
        self._step("ingest", _figures(result))
        return result

    def reports(self, until_month: str | None = None) -> pd.DataFrame:
        """Accepted reports from the store (PRIVATE: point-level data)."""
        key = f"reports:{until_month}"
        if key not in self._cache:
            self._cache[key] = self.store.reports(until_month=until_month)
        return self._cache[key]

    def geocoded(self, until_month: str | None = None) -> pd.DataFrame:
        """Reports with ``lat, lon, match_level, match_score`` (PRIVATE)."""
        key = f"geocoded:{until_month}"
        if key not in self._cache:
            from fragmap.geocode import geocode_reports

            from fragmap.geocode.corrections import apply_address_corrections

            reports = apply_address_corrections(self.reports(until_month), self.address_corrections)
            geo = geocode_reports(reports, self.settings, gazetteer=self._geocoder().gazetteer)
            self.store.write_table(
                "geocoded",
                geo[["partner", "report_id", "lat", "lon", "match_level", "match_score"]],
            )
            self._cache[key] = geo
            levels = geo["match_level"].value_counts().to_dict()
            self._step("geocode", {"reports": len(geo), **{f"level_{k}": v for k, v in levels.items()}})
        return self._cache[key]

    def load_boundaries(self) -> gpd.GeoDataFrame:
        """The comune polygons of the configured towns (EPSG:4326)."""
        if "boundaries" not in self._cache:
            from fragmap.io.geo import read_boundaries

            self._cache["boundaries"] = read_boundaries(
                self.settings.paths.boundaries, towns=self.settings.town_names, codes=self.settings.town_codes
            )
        return self._cache["boundaries"]

    def load_background(self) -> Any:
        """The map and atlas background (:func:`fragmap.background.load_background`): public layers."""
        if "background" not in self._cache:
            from fragmap.background import load_background

            self._cache["background"] = load_background(self.settings, self.load_boundaries(), places=self.load_places())
        return self._cache["background"]

    def build_quarters(self) -> gpd.GeoDataFrame:
        """Quarter polygons with population (from the project file, else a hexagon grid)."""
        if "quarters" not in self._cache:
            from fragmap import quarters as q
            from fragmap.io import geo

            s = self.settings
            if s.paths.quarters is not None:
                raw = geo.read_quarters(s.paths.quarters, name_column=s.quarters.name_column)
                quarters, check = q.prepare_quarters(raw, self.load_boundaries())
                self._cache["quarter_check"] = check
                for line in check.lines(s.language):
                    self._step("quarters", {"check": line})
            elif s.quarters.landmarks:
                quarters = self._landmark_quarters()
            else:
                from fragmap.naming import name_areas

                quarters = name_areas(q.hex_grid(self.load_boundaries(), size_m=s.quarters.hex_size_m), self.load_places())
            population = geo.read_population(s.paths.population)
            user_pop = (
                geo.read_quarter_population(s.paths.quarter_population)
                if s.paths.quarter_population is not None
                else None
            )
            quarters = q.add_population(
                quarters,
                population,
                boundaries=self.load_boundaries(),
                weights=self.locate_services(),
                user_population=user_pop,
            )
            self._cache["quarters"] = quarters
            self._step(
                "quarters",
                {"quarters": len(quarters), "source": str(quarters["source"].iloc[0])},
            )
        return self._cache["quarters"]

    def load_places(self) -> gpd.GeoDataFrame:
        """Named places of the towns (``fragmap.io.places``) that name the hexagons.

        The shipped quarter landmarks, ISTAT localities and GeoNames points, plus the OSM
        places of the geodata set-up when present; landmarks with only an address are placed
        with the project's geocoder when it finds the house number, else left without a point.
        """
        if "places" not in self._cache:
            from fragmap.io.places import read_places

            p = self.settings.paths
            existing = lambda f: f if f is not None and Path(f).exists() else None  # noqa: E731
            places = read_places(
                landmarks=existing(p.quarter_landmarks), localities=existing(p.localities),
                geonames=existing(p.places), osm=existing(_osm_places_path(self.settings)),
                boundaries=self.load_boundaries(), towns=self.settings.town_names,
            )
            todo = places.geometry.isna() & (places["address"].astype(str) != "") & (places["kind"] != "macroquartiere")
            if todo.any():
                g = self._geocoder()
                for i in places.index[todo]:
                    m = g.lookup(str(places.at[i, "address"]), str(places.at[i, "town"]))
                    # a house number only: a street's known point may lie far from the landmark
                    if m.level in ("civico", "coordinate") and not pd.isna(m.lat):
                        places.at[i, "geometry"] = Point(float(m.lon), float(m.lat))
            self._cache["places"] = places
        return self._cache["places"]

    def _geocoder(self) -> Any:
        """The project's geocoder, built once (each build reads the whole gazetteer).

        A gazetteer built on first use is saved, then read back: every lookup of every run
        uses the stored gazetteer (same version, so the geocoding cache stays valid).
        """
        if "geocoder" not in self._cache:
            from fragmap.geocode import default_gazetteer, make_geocoder

            if not self.settings.paths.gazetteer.exists():
                default_gazetteer(self.settings)  # builds and saves it
            self._cache["geocoder"] = make_geocoder(self.settings, towns=self.load_boundaries())
        return self._cache["geocoder"]

    def _landmark_quarters(self) -> gpd.GeoDataFrame:
        """Quarters drawn around the landmarks of ``[quarters] landmarks`` (approximate boundaries)."""
        from fragmap.io.places import read_landmark_table
        from fragmap.landmarks import locate_landmarks, quarters_from_landmarks

        s = self.settings
        table = read_landmark_table(_landmark_table(s))
        placed = locate_landmarks(table, self._geocoder(), town_names=s.town_names)
        quarters, check = quarters_from_landmarks(placed.points, self.load_boundaries(), language=s.language)
        self._cache["quarter_check"] = check
        for line in [*placed.lines(s.language), *check.lines(s.language)]:
            self._step("quarters", {"check": line})
        return quarters

    def locate_services(self) -> gpd.GeoDataFrame:
        """Public service locations (pharmacies, schools, hospitals, the network's sites).

        Rows with only an address are placed with the project's geocoder; those it cannot
        place are kept in :meth:`unplaced_services` and reported, never dropped silently.
        """
        if "services" not in self._cache:
            from fragmap.access import SERVICE_REASONS, locate_services
            from fragmap.io.geo import read_services

            frames = [read_services(p) for p in self.settings.paths.services if Path(p).exists()]
            if frames:
                raw = pd.concat(frames, ignore_index=True)
                geocoder: dict[str, Any] = {}

                def lookup(address: str, town: str | None) -> Any:
                    if "g" not in geocoder:  # built only when some service has an address only
                        geocoder["g"] = self._geocoder()
                    return geocoder["g"].lookup(address, town)

                services, unlocated = locate_services(raw, lookup)
            else:
                services = gpd.GeoDataFrame(
                    {"service_id": [], "name": [], "type": [], "address": [], "town": []},
                    geometry=[],
                    crs="EPSG:4326",
                )
                unlocated = pd.DataFrame(columns=["name", "type", "address", "town", "source_file", "reason"])
            self._cache["services"] = services
            self._cache["unlocated_services"] = unlocated
            lang = self.settings.language
            figures: dict[str, Any] = {"services": len(services), "unlocated": len(unlocated)}
            for r in unlocated.itertuples():
                figures[f"{r.name} ({r.address})"] = SERVICE_REASONS.get(r.reason, {}).get(lang, r.reason)
            self._step("services", figures)
        return self._cache["services"]

    def unplaced_services(self) -> pd.DataFrame:
        """Services that could not be placed (name, address, reason)."""
        self.locate_services()
        return self._cache["unlocated_services"]

    def street_network(self) -> Any:
        """The walking street network, or None (access then uses the straight-line fallback).

        ``[paths] street_network`` if set; else the stored geodata network
        (``<[paths] geodata>/rete_pedonale.graphml``, from ``fragmap geodati``); with
        ``[access] download_network = true`` an osmnx download over the comuni, cached
        under ``data/`` (the only network access fragmap ever makes, and only when asked).
        """
        if "graph" not in self._cache:
            from fragmap.io.network import street_network_for

            s = self.settings
            try:
                graph = street_network_for(s, self.load_boundaries(), allow_download=s.access.download_network)
            except (OSError, ConnectionError) as exc:  # offline although asked: say so, fall back
                self._step("access", {"network": f"download failed ({type(exc).__name__}): straight-line fallback"})
                graph = None
            self._cache["graph"] = graph
        return self._cache["graph"]

    def assigned(self, until_month: str | None = None) -> pd.DataFrame:
        """Geocoded reports with their ``quarter_id`` (NA when outside every quarter; PRIVATE)."""
        key = f"assigned:{until_month}"
        if key not in self._cache:
            from fragmap.quarters import assign_reports

            geo = self.geocoded(until_month).copy()
            geo["quarter_id"] = assign_reports(geo, self.build_quarters())
            self._cache[key] = geo
            self._step(
                "assign",
                {"assigned": int(geo["quarter_id"].notna().sum()), "unassigned": int(geo["quarter_id"].isna().sum())},
            )
        return self._cache[key]

    def cube(self, month: str, *, months: int = 36) -> pd.DataFrame:
        """PRIVATE counts cube for the ``months`` months ending at ``month``."""
        key = f"cube:{month}:{months}"
        if key not in self._cache:
            from fragmap.aggregate import count_cube

            self._cache[key] = count_cube(
                self.assigned(month), self.build_quarters(), self.settings, months=month_range(month, months)
            )
        return self._cache[key]

    def latest_month(self) -> str:
        """The last month with reports in the store."""
        reports = self.reports()
        if reports.empty:
            raise ValidationError(
                "the store holds no reports yet: run `fragmap ingest FILE...` or check "
                "[paths] reports in fragmap.toml"
            )
        return str(reports["month"].max())

    def publication(self, month: str | None = None) -> Publication:
        """The suppressed, publishable figures for the 12 months ending at ``month``.

        Kept on disk in the private cache folder (:mod:`fragmap.io.pubcache`): the next
        notebook, or the next session, loads it instead of building it again while the
        inputs, the store and the settings are unchanged.
        """
        month = month or self.latest_month()
        key = f"publication:{month}"
        if key not in self._cache:
            from fragmap.io import pubcache

            disk_key = pubcache.publication_key(self, month)
            cached = pubcache.load(self.settings, month, disk_key)
            if cached is not None:
                self._cache[key] = cached
                self._step("privacy", {"cells": len(cached.table),
                                       "suppressed": int(cached.table["suppressed"].sum())})
                return cached
        if key not in self._cache:
            from fragmap import privacy

            s = self.settings
            quarters = self.build_quarters()
            source = str(quarters["source"].iloc[0]) if len(quarters) else "griglia"
            pub = privacy.publish(
                self.cube(month, months=self._cube_months()),
                quarters,
                s,
                months=month_range(month, 12),
                synthetic=s.synthetic,
                quarter_source=source,
                attributions=attributions(s),
                notes=self._notes(quarters),
                first_months=self.first_months(),
                released=self.released(),
            )
            title, whole = level_titles(s, None)  # names from the project file, none in the code
            pub = dataclasses.replace(pub, title=title, whole=whole)
            pubcache.save(s, month, disk_key, pub)
            self._cache[key] = pub
            sup = int(pub.table["suppressed"].sum())
            self._step("privacy", {"cells": len(pub.table), "suppressed": sup})
        return self._cache[key]

    def released(self) -> pd.DataFrame | None:
        """PRIVATE: the ledger of what earlier runs published (:mod:`fragmap.io.released`)."""
        if "released" not in self._cache:
            from fragmap.io.released import ledger_path, read_released

            self._cache["released"] = read_released(ledger_path(self.settings.paths.store))
        return self._cache["released"]

    def _cube_months(self) -> int:
        """Months of cube the privacy gate reads: 36, or 48 once earlier publications exist
        (the attacker over time then holds their 12-month totals too)."""
        return 36 if self.released() is None else 48

    def first_months(self) -> dict[str, str]:
        """``partner -> YYYY-MM`` of each partner's first report in the store.

        The privacy gate publishes no 12-month total that reaches back before them.
        """
        reports = self.reports()
        return {str(k): str(v) for k, v in reports.groupby("partner")["month"].min().items()}

    def window_points(self, month: str | None = None) -> gpd.GeoDataFrame:
        """PRIVATE: located, assigned reports of the 12 months ending at ``month``, as points."""
        month = month or self.latest_month()
        geo = self.assigned(month)
        pts = geo[geo["quarter_id"].notna() & geo["lat"].notna() & geo["month"].isin(month_range(month, 12))]
        return gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs="EPSG:4326")

    def help_desk_services(self) -> gpd.GeoDataFrame:
        """The services that are the network's help desks (types :data:`HELP_DESK_TYPES`)."""
        services = self.locate_services()
        return services[services["type"].isin(HELP_DESK_TYPES)]

    def isochrones(self) -> gpd.GeoDataFrame:
        """Areas within 5/10/15 minutes' walk of each help desk (sportello), for the map.

        Over the street network when there is one, circles (straight line × detour) otherwise;
        the ``method`` column says which. Public: built from service locations only.
        """
        if "isochrones" not in self._cache:
            from fragmap.access import isochrones

            s = self.settings
            desks = self.help_desk_services()
            self._cache["isochrones"] = isochrones(
                desks, minutes=s.access.thresholds_min, graph=self.street_network(), speed_ms=s.access.walking_speed_kmh / 3.6,
                detour_factor=s.access.detour_factor, language=s.language,
            )
        return self._cache["isochrones"]

    def where_next(self, month: str | None = None, *, k: int = 5) -> gpd.GeoDataFrame:
        """Where a new help desk would bring most reports within 15 minutes: greedy ranking and optimum.

        Candidates: the sites in ``[paths] candidate_sites`` when given (those outside the
        comuni are refused, a note names them); otherwise the street-network nodes inside
        the comuni (one per 250 m) when there is a network; otherwise a point inside each
        inhabited area (:func:`fragmap.access.area_candidates`). Reports walk at the speeds
        of coverage (:func:`fragmap.access.walking_speeds`). PRIVATE counts
        (``new_reports_covered``): :meth:`where_next_layer` is the publishable layer.
        """
        month = month or self.latest_month()
        key = f"where_next:{month}:{k}"
        if key not in self._cache:
            import warnings

            from fragmap import access

            s = self.settings
            a = s.access
            pts = self.window_points(month)
            speeds = access.walking_speeds(pts["category"], speed_ms=a.walking_speed_kmh / 3.6,
                                           elderly_speed_ms=a.elderly_speed_ms)
            times = access.access_times(pts, self.help_desk_services(), graph=self.street_network(), speed_ms=speeds,
                                        detour_factor=a.detour_factor, language=s.language)
            cols = [c for c in times.columns if c.startswith("min_")]
            current = times[cols].min(axis=1) if cols else pd.Series(float("inf"), index=pts.index)
            if s.paths.candidate_sites is not None:
                from fragmap.io.geo import read_services

                candidates: Any = access.locate_services(read_services(s.paths.candidate_sites), None)[0]
            elif self.street_network() is not None:
                candidates = "nodes"
            else:
                candidates = access.area_candidates(self.publication(month).areas)
            with warnings.catch_warnings():  # the notes are kept in attrs and reported as a step
                warnings.simplefilter("ignore", UserWarning)
                best = access.where_next(
                    pts, candidates, current, k=k, graph=self.street_network(), minutes=max(a.thresholds_min),
                    speed_ms=a.walking_speed_kmh / 3.6, elderly_speed_ms=a.elderly_speed_ms,
                    detour_factor=a.detour_factor, within=self.load_boundaries(), language=s.language)
            self._cache[key] = best
            figures: dict[str, Any] = {"where_next_greedy": best.attrs["greedy_covered"]}
            if best.attrs["optimal_covered"] is not None:
                figures["where_next_optimal"] = best.attrs["optimal_covered"]
            if best.attrs["notes"]:
                figures["notes"] = "; ".join(best.attrs["notes"])
            self._step("access", figures)  # a figure of the access stage (no stage of its own)
        return self._cache[key]

    def where_next_layer(self, month: str | None = None) -> gpd.GeoDataFrame:
        """The publishable where-next layer (:func:`fragmap.privacy.publish_where_next`)."""
        from fragmap.access import where_next_layer
        from fragmap.privacy import publish_where_next

        return publish_where_next(where_next_layer(self.where_next(month)), self.settings.privacy.threshold)

    def unassigned(self, month: str | None = None) -> Any:
        """Reports of the 12-month window without a quarter, by reason (and the PRIVATE list)."""
        from fragmap.quarters import unassigned_reports

        month = month or self.latest_month()
        return unassigned_reports(self.assigned(month), months=month_range(month, 12), language=self.settings.language)

    def with_access(self, month: str | None = None) -> Publication:
        """The publication with suppressed walking-access coverage attached (``.coverage``)."""
        month = month or self.latest_month()
        key = f"with_access:{month}"
        if key not in self._cache:
            self._cache[key] = _with_residents(self, _with_access(self, self.publication(month), month), month)
        return self._cache[key]

    def coverage_of_residents(self, month: str | None = None, *, minutes: float | None = None,
                              speed_ms: float | None = None, service_types: tuple[str, ...] = ("sportello",),
                              population: str = "pop_65") -> pd.DataFrame:
        """Residents within and beyond ``minutes``' walk of a help desk, per area, town and network.

        Public estimates (:func:`fragmap.residents.resident_coverage`, rounded by
        :func:`fragmap.privacy.publish_resident_coverage`): each publication area's residents
        (``population="pop_65"``: aged 65+; ``"population"``: all) spread over the residential
        buildings of the geodata set-up (``edifici``), or evenly over the area before it (the
        ``distribution`` column says which). Defaults: the longest ``[access] thresholds_min``
        (15), older people's speed ``[access] elderly_speed_ms`` (0.8 m/s; the ordinary speed
        for all residents), the help desks (``sportello``).

        Examples
        --------
        >>> cov = project.coverage_of_residents()                              # doctest: +SKIP
        >>> cov[cov["level"] == "town"][["name", "share_beyond", "distribution"]]  # doctest: +SKIP
        """
        month = month or self.latest_month()
        a = self.settings.access
        minutes = float(max(a.thresholds_min)) if minutes is None else float(minutes)
        if speed_ms is None:
            speed_ms = a.elderly_speed_ms if population == "pop_65" else a.walking_speed_kmh / 3.6
        key = f"residents:{month}:{minutes}:{speed_ms}:{tuple(service_types)}:{population}"
        if key not in self._cache:
            from fragmap import privacy, residents
            from fragmap.io.geodata import geodata_folder, read_layer

            s = self.settings
            pub = self.publication(month)
            homes = read_layer(geodata_folder(s), "edifici", language=s.language)
            cov = residents.resident_coverage(
                pub.areas, self.locate_services(), buildings=homes, graph=self.street_network(), minutes=minutes, speed_ms=speed_ms,
                detour_factor=a.detour_factor, service_types=service_types, column=population, language=s.language)
            self._cache[key] = privacy.publish_resident_coverage(cov, pub, s)
            if len(cov):  # the last row is the network's
                self._step("access", {"residents_share_beyond": round(float(cov["share_beyond"].iloc[-1]), 2),
                                      "residents_distribution": str(cov["distribution"].iloc[-1])})
        return self._cache[key]

    def report_points(self, month: str | None = None) -> gpd.GeoDataFrame:
        """PRIVATE: located reports of the 12 months ending at ``month`` as points with their quarter.

        For the private sections of notebooks only; never pass these to a published output.
        """
        pts = self.window_points(month)
        cols = ["quarter_id", "category", "partner", "action", "month", "match_level", "geometry"]
        return pts[cols].reset_index(drop=True)

    def fingerprint(self, month: str | None = None) -> Any:
        """What the privacy audit searches for: report points (given and geocoded), addresses, ids.

        Public service addresses are left out (printing a school's address reveals no report).
        """
        from fragmap import privacy

        geo = self.geocoded(month)
        given = self.reports(month)
        # the typed addresses too: a corrected report's original address stays private
        both = pd.concat([geo, given[["lat", "lon", "address"]]], ignore_index=True)
        svc = self.locate_services()
        public = [(y, x) for x, y in zip(svc.geometry.x, svc.geometry.y)]
        public += [(round(y, 5), round(x, 5)) for y, x in public]  # as printed on the map
        # vertices of the published polygons are public too (a report may lie on one)
        import shapely

        for geom in self.build_quarters().geometry:
            xy = shapely.get_coordinates(geom)
            public += [(y, x) for x, y in xy] + [(round(y, 5), round(x, 5)) for x, y in xy]
        # the optional map layers are drawn from services and candidate sites, not reports
        public += privacy.layer_points(isochrones=self.isochrones(), where_next=self.where_next_layer(month))
        from fragmap.background import background_points

        public += background_points(self.load_background())  # public reference data the page prints
        from fragmap.io.publish import file_sha256

        inputs = [f for f in expand_inputs(self.settings.paths.reports) if f.is_file()]
        quarters = self.build_quarters()  # their names are printed by design (not report addresses)
        return privacy.fingerprint(
            both, public_addresses=svc["address"].dropna().astype(str).tolist(), public_points=public,
            private_files=[f.name for f in inputs], private_hashes=[file_sha256(f) for f in inputs],
            public_names=[*quarters["name"].astype(str), *quarters["town"].astype(str)],
        )

    # -- deprecated property names: thin aliases of the methods above (notebooks written before 0.x) --
    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        """Deprecated: use :meth:`load_boundaries`."""
        return _deprecated(self, "boundaries", "load_boundaries")()

    @property
    def background(self) -> Any:
        """Deprecated: use :meth:`load_background`."""
        return _deprecated(self, "background", "load_background")()

    @property
    def quarters(self) -> gpd.GeoDataFrame:
        """Deprecated: use :meth:`build_quarters`."""
        return _deprecated(self, "quarters", "build_quarters")()

    @property
    def places(self) -> gpd.GeoDataFrame:
        """Deprecated: use :meth:`load_places`."""
        return _deprecated(self, "places", "load_places")()

    @property
    def services(self) -> gpd.GeoDataFrame:
        """Deprecated: use :meth:`locate_services`."""
        return _deprecated(self, "services", "locate_services")()

    @property
    def unlocated_services(self) -> pd.DataFrame:
        """Deprecated: use :meth:`unplaced_services`."""
        return _deprecated(self, "unlocated_services", "unplaced_services")()

    @property
    def help_desks(self) -> gpd.GeoDataFrame:
        """Deprecated: use :meth:`help_desk_services`."""
        return _deprecated(self, "help_desks", "help_desk_services")()

    @property
    def graph(self) -> Any:
        """Deprecated: use :meth:`street_network`."""
        return _deprecated(self, "graph", "street_network")()

    def _notes(self, quarters: gpd.GeoDataFrame) -> tuple[str, ...]:
        lang = self.settings.language
        notes = []
        if self.settings.synthetic:
            notes.append(t("synthetic_banner", lang))
        if len(quarters) and str(quarters["source"].iloc[0]) == "griglia":
            notes.append(t("hex_grid_note", lang))
        elif len(quarters) and str(quarters["source"].iloc[0]) == "stradario":
            notes.append(t("streets_note", lang))
        elif len(quarters) and str(quarters["source"].iloc[0]) == "punti_riferimento":
            notes.append(t("landmarks_note", lang))
        if len(quarters) and bool(quarters["population_estimated"].any()):
            notes.append(t("population_estimated", lang))
        return tuple(notes)


def attributions(settings: Settings) -> tuple[str, ...]:
    """Source and licence lines printed on every published page."""
    lang = settings.language
    if lang == "en":
        lines = [
            "Municipal boundaries: ISTAT via openpolis (CC BY 4.0)",
            "Population: ISTAT 2023 (CC BY 4.0)",
            "Street names: ANNCSU, Agenzia delle Entrate / ISTAT (CC BY 4.0)",
            "Pharmacies, schools, hospitals: Regione Lombardia open data",
            "Bus stops 2013: © OpenStreetMap contributors (ODbL 1.0)",
            "Places: GeoNames (geonames.org, CC BY)",
        ]
    else:
        lines = [
            "Confini comunali: ISTAT via openpolis (CC BY 4.0)",
            "Popolazione: ISTAT 2023 (CC BY 4.0)",
            "Stradario: ANNCSU, Agenzia delle Entrate / ISTAT (CC BY 4.0)",
            "Farmacie, scuole, ospedali: Regione Lombardia, open data",
            "Fermate autobus 2013: © OpenStreetMap contributors (ODbL 1.0)",
            "Luoghi: GeoNames (geonames.org, CC BY)",
        ]
    geodata = getattr(settings.paths, "geodata", None)
    if geodata is not None and (Path(geodata) / "geodati.json").exists():
        lines.append("© OpenStreetMap contributors (ODbL)")  # streets, network, background of fragmap geodati
    if settings.paths.quarters is None:  # areas named after places (fragmap.naming) or drawn around landmarks
        lines.append("Nomi dei luoghi: località ISTAT 2011, punti di riferimento dei quartieri (data/reference)"
                     if lang != "en" else "Place names: ISTAT 2011 localities, neighbourhood landmarks (data/reference)")
    if settings.synthetic:
        lines.append(t("synthetic_banner", lang))
    return tuple(lines)


def _figures(result: Any) -> dict[str, Any]:
    """Figures of a result object for the step callback (its ``summary`` if it has one)."""
    summary = getattr(result, "summary", None)
    if callable(summary):
        summary = summary()
    if isinstance(summary, dict):
        return summary
    return {}


@dataclass
class RunResult:
    """What :func:`run` did: the month, the published folder, the manifest and the time taken.

    ``up_to_date`` is True when nothing had changed since the last run, which was kept
    (``publication`` is then None).
    """

    month: str
    output: Path
    manifest: dict[str, Any]
    publication: Publication | None
    seconds: float
    up_to_date: bool = False


def _osm_places_path(settings: Settings) -> Path:
    """``luoghi.geojson`` of the geodata set-up (``[paths] geodata``, default ``data/geodati``)."""
    return Path(settings.paths.geodata) / "luoghi.geojson"


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the project folder when inside it (no private absolute paths)."""
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.name


def _masked(relative: str, language: str) -> str:
    """A file's path with a personal value in its name masked (the file itself was refused)."""
    from fragmap.ingest import safe_file_name

    folder, _, name = relative.rpartition("/")
    masked, _kind = safe_file_name(name, language)
    return f"{folder}/{masked}" if folder else masked


def _write_private_list(settings: Settings, name: str, table: pd.DataFrame) -> Path:
    """A PRIVATE list for the coordinator, next to the store (``data/private/``), never published."""
    from fragmap.io.tables import write_csv

    return write_csv(table, settings.paths.store.parent / "elenchi" / name)


def run(
    settings: Settings,
    *,
    month: str | None = None,
    on_step: StepCallback | None = None,
    ingest: bool = True,
    force: bool = False,
    tiles: str | None = None,
    address_corrections: pd.DataFrame | None = None,
) -> RunResult:
    """Run the monthly pipeline and publish the map and atlas atomically.

    Parameters
    ----------
    settings : Settings
        Project settings.
    month : str, optional
        Reference month ``YYYY-MM``; default the last month with reports.
    on_step : callable, optional
        ``on_step(stage, figures)`` after each stage (the CLI draws progress with it).
    ingest : bool
        Ingest ``paths.reports`` first (idempotent).
    force : bool
        Rebuild even when inputs, settings and month are the same as the last run's.
    tiles : str, optional
        A base-map tile URL or provider for the interactive map (online only; the map
        draws without it). Default: none.
    address_corrections : DataFrame, optional
        Coordinator's address corrections keyed by (partner, report_id, month, source_file),
        applied before geocoding (:func:`fragmap.geocode.corrections.apply_address_corrections`).

    Returns
    -------
    RunResult

    Raises
    ------
    PrivacyError
        If the audit finds anything; the published folder is then left untouched.

    Examples
    --------
    >>> result = run(load_settings("fragmap.toml"), month="2026-10")   # doctest: +SKIP
    >>> result.output, result.manifest["counts"]["suppressed_cells"]   # doctest: +SKIP

    Notes
    -----
    One run at a time per project: a second one waits a few seconds, then stops with
    :class:`~fragmap._errors.RunInProgressError`. ``RunResult.manifest`` is the full PRIVATE
    manifest (also written to ``<private folder>/manifest-YYYY-MM.json``); the published
    ``manifest.json`` holds only what passes the audit (:func:`fragmap.privacy.public_manifest`).
    """
    from fragmap.io.guard import plain_failures, run_lock

    with run_lock(settings.paths.store.parent, language=settings.language), \
            plain_failures(settings.language):
        return _run_locked(settings, month=month, on_step=on_step, ingest=ingest, force=force,
                           tiles=tiles, address_corrections=address_corrections)


def _run_locked(
    settings: Settings,
    *,
    month: str | None,
    on_step: StepCallback | None,
    ingest: bool,
    force: bool,
    tiles: str | None,
    address_corrections: pd.DataFrame | None = None,
) -> RunResult:
    from fragmap.io import publish as io_publish

    started = time.perf_counter()
    require_towns(settings)  # a clear message, not a failure deep in the run
    project = Project(settings, on_step=on_step, address_corrections=address_corrections)
    output = settings.paths.output
    io_publish.recover(output)
    io_publish.check_replaceable(output, settings.language)  # before any work
    io_publish.clean_stale_builds(output)
    key = run_key(settings, month) + (f":{tiles}" if tiles else "")
    if address_corrections is not None and len(address_corrections):  # a new correction: rebuild
        import hashlib

        key += ":" + hashlib.sha256(address_corrections.to_csv(index=False).encode()).hexdigest()[:16]
    previous = _previous_manifest(output)
    private_previous = _private_manifest(settings, previous)
    if not force and private_previous is not None and private_previous.get("run_key") == key:
        project._step("publish", {"up_to_date": True})
        return RunResult(
            private_previous.get("month", month or ""), output, private_previous, None,
            time.perf_counter() - started, up_to_date=True,
        )
    from fragmap import privacy  # heavy imports (folium...) only once a rebuild is decided

    ingest_result = project.ingest() if ingest else None
    month = month or project.latest_month()
    pub = project.with_access(month)
    geo = project.assigned(month)

    with io_publish.staging_folder(output) as tmp:
        unassigned = project.unassigned(month)
        _write_private_list(settings, f"non_assegnate-{month}.csv", unassigned.private)
        quality = data_quality(project, month, ingest_result=ingest_result)
        # one map and atlas per level ([project] levels): the network here, each town in comuni/<slug>
        for sub, level_pub in publications(pub, settings):
            dest = tmp / sub if sub else tmp
            build_map(project, level_pub, dest, tiles=tiles, level=sub)
            build_atlas(project, level_pub, dest / "atlas", quality=quality, level=sub)
        # the full manifest stays private; the audit sees every published file, the public
        # manifest and the README included
        manifest = _manifest(project, month, pub, geo, ingest_result, quality)
        manifest["run_key"] = key
        io_publish.write_json(tmp / "manifest.json", privacy.public_manifest(manifest))
        (tmp / "README.md").write_text(io_publish.OUTPUT_README, encoding="utf-8")
        audit_or_refuse(project, tmp, month, pub=pub)  # every level's folder, and the attacker over time
        io_publish.write_json(_private_manifest_path(settings, month), manifest)
        io_publish.swap_in(tmp, output, language=settings.language)
    from fragmap.io.released import ledger_path, record_released

    record_released(ledger_path(settings.paths.store), pub)  # what went out, for the next run's attacker
    project._step("publish", {"output": str(output)})
    return RunResult(month, output, manifest, pub, time.perf_counter() - started)


# -- stages: the steps run() composes, public for the CLI's previews (`fragmap map`, `fragmap atlas`) ----
def last_ingest_figures(project: Project) -> dict[str, Any]:
    """Rows read and rejected at the last ingest, for a build that does not ingest itself.

    The store's record of the files of ``[paths] reports`` (all stored files when none of
    them is recorded), else the counts of the last PRIVATE manifest, else unknown (None).

    Parameters
    ----------
    project : Project
        The project (its store and settings).

    Returns
    -------
    dict
        ``{"read": int | None, "rejected": int | None}``.

    Examples
    --------
    >>> figures = last_ingest_figures(Project.load("fragmap.toml"))   # doctest: +SKIP
    """
    files = project.store.files()
    if len(files):
        names = {p.name for p in expand_inputs(project.settings.paths.reports)}
        current = files[files["name"].isin(names)] if names & set(files["name"]) else files
        return {"read": int(current["rows"].sum()), "rejected": int(current["rejected"].sum())}
    public = _previous_manifest(project.settings.paths.output)
    counts = (_private_manifest(project.settings, public) or {}).get("counts") or {}
    return {"read": counts.get("read"), "rejected": counts.get("rejected")}


def data_quality(project: Project, month: str, *, ingest_result: Any = None) -> dict[str, Any]:
    """Data-quality figures of the atlas and the manifest (totals only, nothing per report).

    Parameters
    ----------
    project : Project
        The project.
    month : str
        Reference month ``YYYY-MM``.
    ingest_result : IngestResult, optional
        This run's ingest; without it rows read and rejected come from
        :func:`last_ingest_figures`.

    Returns
    -------
    dict
        ``read``, ``accepted``, ``rejected``, ``geocoded_by_level``, ``window_reports``,
        ``unassigned``, ``unassigned_by_reason``, ``placed_by_partner``, ``placement_fix``...

    Examples
    --------
    >>> quality = data_quality(project, "2026-10")   # doctest: +SKIP
    >>> quality["geocoded_by_level"]                 # doctest: +SKIP
    """
    quality = _quality(ingest_result, project.assigned(month), month, project.unassigned(month))
    if ingest_result is None:
        quality.update(last_ingest_figures(project))
    return quality


def _level_where_next(project: Project, pub: Publication, level: str) -> gpd.GeoDataFrame:
    """The publishable where-next layer of the month, restricted to a level's towns (``level`` not empty)."""
    where_next = project.where_next_layer(pub.month)
    return within_level(where_next, pub) if level else where_next


def build_map(project: Project, pub: Publication, dest: Path, *, tiles: str | None = None,
              level: str = "") -> list[Path]:
    """Write the interactive map of one publication into ``dest`` (the ``map`` stage).

    Parameters
    ----------
    project : Project
        The project (services, isochrones, where-next layer, background, classification).
    pub : Publication
        The publication (of the network, or of one level from :func:`fragmap.levels.publications`).
    dest : Path
        Folder to write into (a staging folder: audit it before publishing).
    tiles : str, optional
        Online base-map tile URL or provider name; default none.
    level : str
        The level's sub-folder (``comuni/<slug>``), empty for the whole network.

    Returns
    -------
    list of Path
        The files written (:func:`fragmap.maps.write_map`).

    Examples
    --------
    >>> pub = project.with_access("2026-10")                          # doctest: +SKIP
    >>> with staging_folder(Path("anteprima")) as tmp:                # doctest: +SKIP
    ...     build_map(project, pub, tmp)
    ...     audit_or_refuse(project, tmp, pub.month)
    """
    from fragmap import maps

    s = project.settings
    files = maps.write_map(pub, dest, services=project.locate_services(), scheme=s.classification.scheme,
                           k=s.classification.k, isochrones=project.isochrones(),
                           where_next=_level_where_next(project, pub, level), tiles=tiles,
                           background=project.load_background())
    project._step("map", {"files": len(files), **({"level": level} if level else {})})
    return files


def build_atlas(project: Project, pub: Publication, dest: Path, *, quality: dict[str, Any],
                level: str = "") -> list[Path]:
    """Write the atlas of one publication into ``dest`` (the ``atlas`` stage).

    Parameters
    ----------
    project : Project
        The project (services, where-next layer, background).
    pub : Publication
        The publication with its coverage (:meth:`Project.with_access`), or one level of it.
    dest : Path
        Folder to write into (a staging folder: audit it before publishing).
    quality : dict
        :func:`data_quality` of the month.
    level : str
        The level's sub-folder (``comuni/<slug>``), empty for the whole network.

    Returns
    -------
    list of Path
        The files written (:func:`fragmap.atlas.render_atlas`).

    Examples
    --------
    >>> pub = project.with_access("2026-10")                                             # doctest: +SKIP
    >>> build_atlas(project, pub, tmp, quality=data_quality(project, pub.month))         # doctest: +SKIP
    """
    from fragmap import atlas

    files = atlas.render_atlas(pub, dest, quality=quality, services=project.locate_services(),
                               where_next=_level_where_next(project, pub, level), background=project.load_background())
    project._step("atlas", {"pages": len(files), **({"level": level} if level else {})})
    return files


def audit_or_refuse(project: Project, folder: Path, month: str, *, pub: Publication | None = None) -> Any:
    """Audit a built folder against the project's private fingerprint (the ``audit`` stage).

    Parameters
    ----------
    project : Project
        The project (its fingerprint of the month and its settings).
    folder : Path
        The staging folder, before it replaces anything.
    month : str
        Reference month ``YYYY-MM``.
    pub : Publication, optional
        What the folder publishes: then the attacker who keeps every publication is played
        too, over this one and the ledger of the earlier ones
        (:func:`fragmap.privacy.audit_over_time`), and pins nothing or the folder is refused.

    Returns
    -------
    AuditResult
        The clean audit (:func:`fragmap.privacy.audit_folder`).

    Raises
    ------
    PrivacyError
        On any finding, or on a hidden figure the attacker over time can pin; the folder
        must then not be published.

    Examples
    --------
    >>> audit = audit_or_refuse(project, tmp, "2026-10")   # doctest: +SKIP
    """
    from fragmap import privacy

    settings = project.settings
    audit = privacy.audit_folder(folder, project.fingerprint(month), settings)
    if pub is None or not audit.ok:
        project._step("audit", {"findings": len(audit.findings)})
    audit.raise_for_findings("the privacy audit refused to publish; the previous folder is untouched")
    if pub is not None:
        over_time = privacy.audit_over_time(pub, project.cube(month, months=project._cube_months()), settings,
                                            first_months=project.first_months(), released=project.released())
        project._step("audit", {"findings": len(audit.findings), "over_time_exposures": len(over_time.exposures),
                                "over_time_seconds": round(over_time.seconds, 2)})
        privacy.check_over_time(over_time, settings.language)
    return audit


def _with_access(project: Project, pub: Publication, month: str) -> Publication:
    """Attach suppressed walking-access coverage to the publication (fallback without a network)."""
    import dataclasses

    from fragmap import access, privacy

    gpts = project.window_points(month).copy()
    # coverage per publication area: merged small quarters count together
    areas = pub.extras["quarter_areas"]
    gpts["quarter_id"] = gpts["quarter_id"].map(dict(zip(areas["quarter_id"], areas["area_id"])))
    services = project.locate_services()
    if gpts.empty or services.empty:
        return pub
    cov = access.coverage_for_reports(gpts, services, graph=project.street_network(), settings=project.settings)
    published = privacy.publish_coverage(cov, pub, project.settings)
    project._step("access", {"method": str(cov["method"].iloc[0]) if len(cov) else ""})
    # placement quality: reports known only to their street make walking times uncertain
    warning = access.placement_warning(gpts, project.settings.language)
    notes = (*pub.notes, warning) if warning else pub.notes
    return dataclasses.replace(pub, coverage=published, notes=notes)


def _with_residents(project: Project, pub: Publication, month: str) -> Publication:
    """Attach residents-based coverage (public estimates, rounded) as ``extras["resident_coverage"]``."""
    if project.locate_services().empty:
        return pub
    table = project.coverage_of_residents(month)
    return dataclasses.replace(pub, extras={**pub.extras, "resident_coverage": table})


def _quality(ingest_result: Any, geo: pd.DataFrame, month: str, unassigned: Any = None) -> dict[str, Any]:
    """Data-quality figures for the atlas and the manifest (totals only, nothing per report)."""
    figures = _figures(ingest_result) if ingest_result is not None else {}
    window = geo[geo["month"].isin(month_range(month, 12))]
    out = {
        "read": figures.get("read"),
        "accepted": figures.get("accepted", len(geo)),
        "rejected": figures.get("rejected"),
        "geocoded_by_level": {str(k): int(v) for k, v in geo["match_level"].value_counts().sort_index().items()},
        "window_reports": int(len(window)),
        "unassigned": int(window["quarter_id"].isna().sum()),
        "estimated": [],
        "generated_for_month": month,
    }
    if unassigned is not None:
        out["unassigned_by_reason"] = {str(r): int(n) for r, n in zip(unassigned.counts["reason"],
                                                                       unassigned.counts["reports"])}
    from fragmap.placement import FIX_COMMAND, placement_by_partner

    by_partner = placement_by_partner(geo)
    out["placed_by_partner"] = [
        {"partner": str(r.partner), "reports": int(r.reports), "placed": int(r.placed),
         "share": round(float(r.share), 4), "low": bool(r.low)} for r in by_partner.itertuples()
    ]
    out["placement_fix"] = FIX_COMMAND if bool(by_partner["low"].any()) else None
    return out


def _manifest(
    project: Project,
    month: str,
    pub: Publication,
    geo: pd.DataFrame,
    ingest_result: Any,
    quality: dict[str, Any],
) -> dict[str, Any]:
    from fragmap.io.publish import file_sha256

    s = project.settings
    inputs = []
    for p in _input_files(s):
        if p.exists():
            inputs.append({"file": _masked(_relative(p, s.root), s.language), "sha256": file_sha256(p),
                           "bytes": p.stat().st_size})
    import importlib.metadata as md

    versions = {"fragmap": __version__, "python": platform.python_version()}
    for pkg in ("geopandas", "shapely", "pandas", "numpy", "scipy", "pyproj", "networkx", "osmnx",
                "folium", "jinja2", "mapclassify", "rapidfuzz"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:  # pragma: no cover
            pass
    table = pub.table
    return {
        "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "month": month,
        "synthetic": s.synthetic,
        "inputs": inputs,
        "settings": {
            "language": s.language,
            "privacy_threshold": s.privacy.threshold,
            "show_zero": s.privacy.show_zero,
            "min_quarter_population": s.privacy.min_quarter_population,
            "quarters": "file" if s.paths.quarters else (
                f"landmarks {_relative(_landmark_table(s), s.root)}" if s.quarters.landmarks
                else f"hex grid {s.quarters.hex_size_m} m"),
            "classification": f"{s.classification.scheme} k={s.classification.k}",
            "street_network": bool(s.paths.street_network),
            "geocoding_online": s.geocoding.online,
            "walking_speed_kmh": s.access.walking_speed_kmh,
            "elderly_speed_ms": s.access.elderly_speed_ms,
            "detour_factor": s.access.detour_factor,
            "start_date": s.start_date,
            "levels": list(s.levels),
        },
        "versions": versions,
        "counts": {
            **{k: v for k, v in quality.items() if k not in ("estimated", "generated_for_month")},
            "quarters": int((pub.areas["level"] == "quarter").sum()),
            "published_cells": int(len(table)),
            "suppressed_cells": int(table["suppressed"].sum()),
            "suppressed_primary": int((table["reason"] == "primary").sum()),
            "suppressed_secondary": int((table["reason"] == "secondary").sum()),
        },
    }
