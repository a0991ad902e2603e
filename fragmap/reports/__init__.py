"""Validate partner report tables: columns, values, and the personal-data guard.

Pure: takes a table of strings (from :func:`fragmap.io.tables.read_table`) and
returns accepted reports (the "Reports" contract in docs/ARCHITECTURE.md) and
rejected rows, each with its reason. Nothing is lost: every input row ends up
in exactly one of the two, or is counted as an identical copy of another row
with the same ID. Every problem of a file is collected before reporting, so a
coordinator fixes a sheet once.

Messages are Italian by default (``settings.language``) and name the file, the
spreadsheet row and the column. A personal value is never copied into a
message, a note, a log or the store.

Headers are matched after folding (case, accents, punctuation), by words: an
alias may be the whole header ("Data"), its first words ("Data intervento") or
appear inside it ("Nome quartiere"); abbreviations ("Cat.") and plurals
("Categorie") count. Two columns for one field are an error naming both.

The personal-data guard works at two levels:

* the FILE is refused (nothing imported) when a column header names personal data
  (nome, cognome, referente, telefono, e-mail, codice fiscale, data di nascita,
  note...), when any column holds tax codes, e-mail addresses or phone numbers,
  when an extra column holds birth dates or person names, or long free text;
* a ROW is rejected when a kept free-text field (ID, address, quartiere) carries
  a person name ("Via Roma 3 - Mario Rossi", "vive con la figlia Giulia"): it is a
  slip in one row, the rest of the sheet is fine.

Person names are found with an honest heuristic (:func:`looks_like_person`):
honorifics ("sig.ra Bianchi", "c/o Verdi"), a common first name next to another
name-like word ("Mario Rossi", "Rossi Maria") or after a family word ("la figlia
Giulia"). Street and place names are exempt ("Via Giuseppe Garibaldi 3",
"San Pietro in Verzolo"). A surname alone ("Via Roma 3 - Rossi") is not found.

Example
-------
>>> from fragmap.io.tables import read_table                          # doctest: +SKIP
>>> result = validate(read_table("export.csv").frame, settings,
...                   source_file="export.csv", today=date(2026, 11, 1))  # doctest: +SKIP
>>> result.accepted.shape, result.rejected["reason"].value_counts()   # doctest: +SKIP

A file too large for memory goes through :class:`Validator` a chunk at a time
(:func:`fragmap.io.tables.open_table`), as :func:`fragmap.ingest.ingest_files` does.

Modules: :mod:`~fragmap.reports.headers` (header matching), :mod:`~fragmap.reports.guard`
(the file-level guard), :mod:`~fragmap.reports.names` (person names),
:mod:`~fragmap.reports.values` (dates, coordinates, vocabularies, hashes),
:mod:`~fragmap.reports.validate`, :mod:`~fragmap.reports.messages`,
:mod:`~fragmap.reports.contract`.
"""


from fragmap.reports.contract import (
    MAX_LISTED,
    REASONS,
    REJECTED_COLUMNS,
    REPORT_COLUMNS,
    REQUIRED_FIELDS,
)
from fragmap.reports.guard import PersonalScan, find_personal_data
from fragmap.reports.headers import (
    ALIASES,
    EXACT_ONLY,
    NOT_FIELD,
    PERSONAL_HEADERS,
    HeaderMatch,
    header_words,
    match_columns,
    match_headers,
    personal_header_kind,
)
from fragmap.reports.messages import field_label, no_id_note, reason_label
from fragmap.reports.names import looks_like_person, person_mask
from fragmap.reports.validate import IntakeResult, Validator, validate
from fragmap.reports.values import parse_coordinate, parse_dates, record_hash

__all__ = [
    "ALIASES", "EXACT_ONLY", "MAX_LISTED", "NOT_FIELD", "PERSONAL_HEADERS", "REASONS",
    "REJECTED_COLUMNS", "REPORT_COLUMNS", "REQUIRED_FIELDS", "HeaderMatch", "IntakeResult",
    "PersonalScan", "Validator",
    "field_label", "find_personal_data", "header_words", "looks_like_person", "match_columns",
    "match_headers", "no_id_note", "parse_coordinate", "parse_dates", "person_mask",
    "personal_header_kind", "reason_label", "record_hash", "validate",
]
