"""Exception classes of fragmap.

Each subclasses a built-in so callers can catch broadly, and each message
names what was wrong, where (file, row, column when known) and what to do.
The CLI turns every :class:`FragmapError` into a one-line error for the user.
"""

from __future__ import annotations


class FragmapError(Exception):
    """Base class of every error fragmap raises on purpose."""


class SettingsError(FragmapError, ValueError):
    """A project setting is missing, malformed or unsafe (e.g. a privacy threshold below 3)."""


class InputFileError(FragmapError, ValueError):
    """An input file cannot be read (missing, unknown format, unreadable encoding)."""


class ValidationError(FragmapError, ValueError):
    """Input data break the schema. ``problems`` lists every problem found, not only the first."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class PersonalDataError(ValidationError):
    """A file looks like it contains personal data; it is refused as a whole.

    Messages name the file, the column and the kind of data found, never the value itself.
    """


class GeocodingError(FragmapError, RuntimeError):
    """The geocoder cannot run (e.g. the online backend is enabled but unreachable)."""


class QuartersError(FragmapError, ValueError):
    """Quarter boundaries are unusable (no name column, empty, outside every town...)."""


class PrivacyError(FragmapError, RuntimeError):
    """A published artefact would leak a report location or a count under the threshold."""


class NetworkDisabledError(FragmapError, RuntimeError):
    """Code tried to use the network while the settings keep it off (the default)."""


class OutputFolderError(FragmapError, RuntimeError):
    """A folder fragmap would replace is not one it published (it could hold someone's files)."""


class DownloadError(FragmapError, ConnectionError):
    """A download the user asked for failed (offline, server busy); what arrived is kept for a retry."""


class StoreError(FragmapError, RuntimeError):
    """The private store or folder cannot be used (damaged, read-only, disk full, locked).

    The message says what happened to which file and what to do; the store is left as it was.
    """


class RunInProgressError(StoreError):
    """Another fragmap run or ingest holds the project's lock; try again when it has finished."""
