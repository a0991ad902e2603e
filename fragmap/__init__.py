"""fragmap: maps of anonymised fragility reports for the Fragility Network of Pavia and Vigevano.

The public API is listed in ``__all__``; heavy modules load on first use so that
``import fragmap`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from fragmap._errors import (
    FragmapError,
    GeocodingError,
    InputFileError,
    NetworkDisabledError,
    PersonalDataError,
    PrivacyError,
    QuartersError,
    SettingsError,
    ValidationError,
)
from fragmap.settings import Settings, default_settings, load_settings

__all__ = [
    "__version__",
    "FragmapError",
    "GeocodingError",
    "InputFileError",
    "NetworkDisabledError",
    "PersonalDataError",
    "PrivacyError",
    "QuartersError",
    "SettingsError",
    "ValidationError",
    "Settings",
    "default_settings",
    "load_settings",
]
