"""The tables :func:`fragmap.reports.validate` returns: report and rejected-row columns, reasons."""

from __future__ import annotations

REPORT_COLUMNS = (
    "report_id", "partner", "category", "action", "age_band", "date", "month", "town",
    "address", "lat", "lon", "quartiere", "source_file", "source_row", "record_hash",
)
#: Rejected rows. ``partner`` and ``month`` are what the row says, or, when the row does not
#: say it (unreadable date, unknown partner), the file's single partner and the month of the
#: nearest dated row: the store uses them to clear the row when its report is later accepted.
REJECTED_COLUMNS = (
    "source_file", "source_row", "column", "reason", "message", "report_id", "partner", "month",
)
#: At most this many ignored columns are named in the notes (a sheet may have thousands).
MAX_LISTED = 10
#: Fields without which a file cannot be used (a missing column refuses the file).
REQUIRED_FIELDS = ("date", "partner", "action")
#: Every reason a row (or a whole file, in the store's ledger) can be rejected for.
REASONS = (
    "missing", "bad_date", "future_date", "early_date", "unknown_category", "unknown_partner",
    "unknown_action", "outside_towns", "bad_coordinates", "coordinates_outside", "no_location",
    "duplicate_id", "personal_name", "personal_value", "personal_data", "file_error",
)

#: Accepted header spellings per field, as words after :func:`header_words`. Order matters only
