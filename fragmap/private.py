"""The private line: every point-level or unsuppressed table of a project, in one named place.

``project.private`` gives the report rows, their points, the counts cube with its small
counts, the raw where-next counts and the audit fingerprint. The first use in a session
warns (:class:`PrivateDataWarning`) and every table it returns is labelled PRIVATE
(``DataFrame.attrs["fragmap"]``), so that a notebook cell that shows one says what it is.
None of it may be published: maps, atlas, exports and saved figures read a
:class:`~fragmap.publication.Publication` only.

Examples
--------
>>> pts = project.private.report_points("2026-10")   # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import Any

LABEL = {"it": "PRIVATO: dati a livello di segnalazione, da non pubblicare",
         "en": "PRIVATE: report-level data, not for publication"}
_WARNING = {
    "it": "project.private restituisce dati riservati (segnalazioni, punti, conteggi sotto la soglia): "
          "usarli solo per il lavoro interno, mai in una figura o in un file pubblicato. Per le figure "
          "pubblicabili usare project.publication().",
    "en": "project.private returns private data (reports, points, counts under the threshold): use it "
          "for internal work only, never in a published figure or file. For publishable figures use "
          "project.publication().",
}


class PrivateDataWarning(UserWarning):
    """Private, report-level data was asked for (shown once per project)."""


class PrivateData:
    """The private side of a :class:`~fragmap.pipeline.Project` (see the module docstring)."""

    def __init__(self, project: Any) -> None:
        self._project = project
        self._warned = False

    def __repr__(self) -> str:
        return f"<{LABEL['en']}: reports, geocoded, assigned, report_points, window_points, cube, where_next, fingerprint>"

    def _lang(self) -> str:
        lang = self._project.settings.language
        return lang if lang in LABEL else "it"

    def _label(self, result: Any) -> Any:
        if not self._warned:
            self._warned = True
            warnings.warn(_WARNING[self._lang()], PrivateDataWarning, stacklevel=3)
        attrs = getattr(result, "attrs", None)
        if isinstance(attrs, dict):
            attrs["fragmap"] = LABEL[self._lang()]
        return result

    def reports(self, until_month: str | None = None) -> Any:
        """Accepted reports from the store (one row per report)."""
        return self._label(self._project.reports(until_month).copy())

    def geocoded(self, until_month: str | None = None) -> Any:
        """Reports with ``lat, lon, match_level, match_score``."""
        return self._label(self._project.geocoded(until_month).copy())

    def assigned(self, until_month: str | None = None) -> Any:
        """Geocoded reports with their ``quarter_id`` (NA in no quarter)."""
        return self._label(self._project.assigned(until_month).copy())

    def report_points(self, month: str | None = None) -> Any:
        """Located reports of the 12 months ending at ``month``, as points with their quarter."""
        return self._label(self._project.report_points(month))

    def window_points(self, month: str | None = None) -> Any:
        """Located, assigned reports of the 12-month window (every column)."""
        return self._label(self._project.window_points(month).copy())

    def cube(self, month: str, *, months: int = 24) -> Any:
        """The unsuppressed counts cube (counts from 1 to the threshold included)."""
        return self._label(self._project.cube(month, months=months).copy())

    def where_next(self, month: str | None = None, *, k: int = 5) -> Any:
        """Where-next sites with their raw counts of new reports covered."""
        return self._label(self._project.where_next(month, k=k).copy())

    def fingerprint(self, month: str | None = None) -> Any:
        """What the privacy audit searches for (report points, addresses, ids)."""
        return self._label(self._project.fingerprint(month))


__all__ = ["LABEL", "PrivateData", "PrivateDataWarning"]
