"""fragmap: maps of anonymised fragility reports for the Fragility Network of Pavia and Vigevano.

The public API is listed in ``__all__``. Heavy modules (geopandas, folium, osmnx)
load on first use, so ``import fragmap`` stays fast.

Examples
--------
>>> import fragmap
>>> project = fragmap.Project.load("fragmap.toml")       # doctest: +SKIP
>>> pub = project.publication("2026-10")                  # doctest: +SKIP
>>> fragmap.quarter_figures(pub, category="anziani")      # doctest: +SKIP
>>> fig = fragmap.plot_choropleth(pub, column="change_yoy")   # doctest: +SKIP
>>> fragmap.show_map(pub)                                 # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from fragmap._errors import (
    FragmapError,
    GeocodingError,
    InputFileError,
    NetworkDisabledError,
    OutputFolderError,
    PersonalDataError,
    PrivacyError,
    QuartersError,
    SettingsError,
    ValidationError,
)
from fragmap.settings import Settings, default_settings, load_settings

#: Public names that live in submodules, loaded on first access.
_LAZY = {
    "Project": "fragmap.pipeline",
    "run": "fragmap.pipeline",
    "month_range": "fragmap.pipeline",
    "Publication": "fragmap.publication",
    "publish": "fragmap.privacy",
    "audit_folder": "fragmap.privacy",
    "audit_over_time": "fragmap.privacy",
    "geocode_reports": "fragmap.geocode",
    "normalise_address": "fragmap.geocode",
    "hex_grid": "fragmap.quarters",
    "assign_reports": "fragmap.quarters",
    "read_places": "fragmap.io.places",
    "name_areas": "fragmap.naming",
    "quarters_from_landmarks": "fragmap.landmarks",
    "count_cube": "fragmap.aggregate",
    "fragility_index": "fragmap.privacy",
    # the one scale of map, atlas and notebooks
    "rate_per_1000": "fragmap.classify",
    "zero_aware_classes": "fragmap.classify",
    "index_classes": "fragmap.classify",
    "render_map": "fragmap.maps",
    "write_map": "fragmap.maps",
    "render_atlas": "fragmap.atlas",
    "explore_map": "fragmap.explore",
    "coverage_gaps": "fragmap.access",
    "resident_coverage": "fragmap.residents",
    "read_geodata": "fragmap.io.geodata",
    "PrivateDataWarning": "fragmap.private",
    "Background": "fragmap.background",
    "load_background": "fragmap.background",
    "create_project": "fragmap.newproject",
    # notebooks (fragmap.explore): tables and figures over a Publication only
    "quarter_figures": "fragmap.explore",
    "compare_months": "fragmap.explore",
    "trend": "fragmap.explore",
    "fragility_index_table": "fragmap.explore",
    "coverage_summary": "fragmap.explore",
    "coverage_by_area": "fragmap.explore",
    "plot_choropleth": "fragmap.explore",
    "plot_trend": "fragmap.explore",
    "plot_coverage": "fragmap.explore",
    "show_map": "fragmap.explore",
    "save_figure": "fragmap.explore",
}

__all__ = [
    "__version__",
    "FragmapError",
    "GeocodingError",
    "InputFileError",
    "NetworkDisabledError",
    "OutputFolderError",
    "PersonalDataError",
    "PrivacyError",
    "QuartersError",
    "SettingsError",
    "ValidationError",
    "Settings",
    "default_settings",
    "load_settings",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fragmap' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
