"""Glue for ``fragmap ingest`` and the pipeline: read files, validate, store, write the ledger.

Each file is one transaction in the store: a file refused for personal data, or a
crash half-way, leaves the reports as they were. Rejected rows live in the store's
ledger (all files, all runs; see :mod:`fragmap.io.store`), and after every run the
whole ledger is written to ONE file the coordinator opens, ``scarti/scarti.csv``
beside the store (``;``-separated, UTF-8 with BOM so Excel opens it; sorted by file
and row; Italian headers unless ``settings.language == "en"``): private, never
published. A row leaves the ledger when its file is sent again without the problem,
or when its report is accepted from another file.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fragmap._errors import InputFileError, PersonalDataError, ValidationError
from fragmap.i18n import translate
from fragmap.io.publish import file_sha256
from fragmap.io.store import Store, UpsertResult
from fragmap.io.tables import open_table, write_csv
from fragmap.reports import reason_label
from fragmap.reports.validate import Validator
from fragmap.settings import Settings

#: The coordinator's ledger, relative to the store's folder.
LEDGER_NAME = Path("scarti") / "scarti.csv"

_MESSAGES: dict[str, dict[str, str]] = {
    "col_file": {"it": "file", "en": "file"},
    "col_row": {"it": "riga", "en": "row"},
    "col_column": {"it": "colonna", "en": "column"},
    "col_reason": {"it": "motivo", "en": "reason"},
    "col_message": {"it": "spiegazione", "en": "explanation"},
    "col_report_id": {"it": "id segnalazione", "en": "report id"},
    "col_batch": {"it": "importato il", "en": "ingested on"},
}


@dataclass
class FileOutcome:
    """What happened to one input file."""

    file: Path
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    upsert: UpsertResult | None = None
    refused: str | None = None  # the reason, when the whole file was refused
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # rows per reason, every problem
    has_ids: bool = True
    duplicates: int = 0


@dataclass
class IngestResult:
    """Outcome of :func:`ingest_files`: one :class:`FileOutcome` per file, and the ledger.

    ``ledger`` is the coordinator's CSV (None when not written); ``ledger_rows`` how many
    rows it lists (all files and runs, not only this one).
    """

    files: list[FileOutcome]
    ledger: Path | None = None
    ledger_rows: int = 0

    def summary(self) -> dict[str, Any]:
        ups = [f.upsert for f in self.files if f.upsert is not None]
        return {
            "files": len(self.files),
            "read": sum(f.read for f in self.files),
            "accepted": sum(f.accepted for f in self.files),
            "rejected": sum(f.rejected for f in self.files),
            "duplicates": sum(f.duplicates for f in self.files),
            "refused_files": sum(1 for f in self.files if f.refused),
            "files_without_ids": sum(1 for f in self.files if not f.refused and not f.has_ids),
            "inserted": sum(u.inserted for u in ups),
            "updated": sum(u.updated for u in ups),
            "unchanged": sum(u.unchanged for u in ups),
            "collisions": sum(u.collisions for u in ups),
            "ledger_rows": self.ledger_rows,
        }


def ingest_files(
    paths: list[Path],
    settings: Settings,
    *,
    store: Store,
    today: _dt.date | None = None,
    town_polygons: Any = None,
    write_ledger: bool = True,
    chunk_rows: int | None = None,
) -> IngestResult:
    """Read, validate and store report files; never raises for a bad file, reports it.

    Parameters
    ----------
    paths : list of Path
        CSV / XLSX / ODS files.
    settings : Settings
    store : Store
        The private store to update.
    today : date, optional
        Reports dated after it are rejected (default: today).
    town_polygons : GeoDataFrame, optional
        Comune polygons for the coordinate check (default: read from ``paths.boundaries``).
    write_ledger : bool
        Write the whole ledger to ``<store folder>/scarti/scarti.csv``.
    chunk_rows : int, optional
        Rows of a CSV read, validated and stored at a time (default
        :data:`fragmap.io.tables.CSV_CHUNK_ROWS`): the memory a file needs follows it.

    Returns
    -------
    IngestResult

    Examples
    --------
    >>> res = ingest_files([Path("export.csv")], settings, store=Store("s.sqlite"))  # doctest: +SKIP
    >>> res.summary()["accepted"]                                                   # doctest: +SKIP
    """
    from fragmap.io.guard import plain_failures, run_lock

    with run_lock(store.path.parent, language=settings.language), \
            plain_failures(settings.language, path=store.path):
        return _ingest_files(paths, settings, store=store, today=today, town_polygons=town_polygons,
                             write_ledger=write_ledger, chunk_rows=chunk_rows)


_FILE_MESSAGES: dict[str, dict[str, str]] = {
    "personal_file_name": {
        "it": "{file}: file RIFIUTATO, il nome del file sembra contenere un dato personale ({kind}). "
              "Nulla è stato importato: rinominare il file (es. «segnalazioni_ottobre.csv») e reinviarlo",
        "en": "{file}: file REFUSED, the file name looks like it holds personal data ({kind}). "
              "Nothing was imported: rename the file (e.g. 'reports_october.csv') and send it again",
    },
    "out_of_memory": {
        "it": "{file}: il file è troppo grande per la memoria di questo computer: dividerlo (un mese "
              "per file) e reinviarlo",
        "en": "{file}: the file is too large for this computer's memory: split it (one month per "
              "file) and send it again",
    },
}


def safe_file_name(name: str, language: str = "it") -> tuple[str, str | None]:
    """The name to show and store for an input file, and the kind of personal value in it.

    A file name that carries an e-mail, a tax code, an IBAN or a phone number is shown with
    the value masked (``segnalazioni_[codice fiscale].csv``) and the file is refused.

    Examples
    --------
    >>> safe_file_name("segnalazioni_RSSMRA80A01G388X.csv")
    ('segnalazioni_[codice fiscale].csv', 'tax_code')
    >>> safe_file_name("auser_ottobre_2026.csv")
    ('auser_ottobre_2026.csv', None)
    """
    from fragmap import personal

    stem = Path(name).stem
    kind = personal.personal_kind(stem.replace("_", " "), names=True)
    if kind is None:
        kind = personal.personal_kind(stem, names=False)
    if kind is None:
        return name, None
    masked = personal.mask_personal(name, language)
    if masked == name:  # a person's name: hide the whole stem
        masked = f"[{personal.label(kind, language)}]{Path(name).suffix}"
    return masked, kind


def _ingest_files(
    paths: list[Path],
    settings: Settings,
    *,
    store: Store,
    today: _dt.date | None,
    town_polygons: Any,
    write_ledger: bool,
    chunk_rows: int | None = None,
) -> IngestResult:
    lang = settings.language
    today = today or _dt.date.today()
    if town_polygons is None and settings.paths.boundaries.exists():
        from fragmap.io.geo import read_boundaries

        town_polygons = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    batch = today.isoformat()
    outcomes: list[FileOutcome] = []
    for path in paths:
        path = Path(path)
        name, name_kind = safe_file_name(path.name, lang)
        out = FileOutcome(path if name_kind is None else path.with_name(name))
        outcomes.append(out)
        try:
            if name_kind is not None:
                from fragmap.personal import label

                raise PersonalDataError(translate(_FILE_MESSAGES, "personal_file_name", lang,
                                                  file=name, kind=label(name_kind, lang)))
            try:
                _ingest_file(path, name, out, settings, store=store, today=today,
                             town_polygons=town_polygons, batch=batch, chunk_rows=chunk_rows)
            except MemoryError as exc:
                raise InputFileError(translate(_FILE_MESSAGES, "out_of_memory", lang, file=name)) from exc
        except (InputFileError, ValidationError) as exc:
            # The message names columns and rows, never a value: safe for the ledger.
            out.refused = str(exc)
            out.read = out.accepted = out.rejected = out.duplicates = 0
            out.upsert, out.notes, out.reasons = None, [], {}
            reason = "personal_data" if isinstance(exc, PersonalDataError) else "file_error"
            with store.transaction() as con:
                store.record_refusal(name, reason, " ".join(str(exc).split()), batch=batch,
                                     con=con)
                if path.exists():
                    store.record_file(name, file_sha256(path), rows=0, accepted=0, rejected=0,
                                      refused=True, con=con)
            continue
    ledger = None
    table = ledger_table(store.rejected(), settings.language)
    if write_ledger:
        ledger = write_csv(table, store.path.parent / LEDGER_NAME)
    return IngestResult(outcomes, ledger, len(table))


def _ingest_file(
    path: Path,
    name: str,
    out: FileOutcome,
    settings: Settings,
    *,
    store: Store,
    today: _dt.date,
    town_polygons: Any,
    batch: str,
    chunk_rows: int | None,
) -> None:
    """Read, validate and store one file a chunk at a time, in ONE transaction.

    Each chunk is validated and written before the next is read, so the memory stays near
    that of a chunk whatever the file's size. What needs the whole file (the personal-data
    guard's verdict, duplicates across chunks, date corrections across months, the ledger's
    hints) is decided at the end; a refusal then rolls the whole file back.
    """
    stream = open_table(path, chunk_rows=chunk_rows)
    v = Validator(stream.columns, settings, source_file=name, today=today,
                  town_polygons=town_polygons, drop_empty_unnamed=True)
    accepted = rejected = 0
    with store.transaction() as con:
        writer = store.file_writer(path.name, batch=batch, ids_given=v.has_ids, con=con)
        for chunk in stream:
            acc, rej = v.add(chunk)
            writer.add(acc, rej)
            accepted, rejected = accepted + len(acc), rejected + len(rej)
            del chunk, acc, rej
        res = v.finish()
        out.upsert = writer.finish(partner_fill=v.partner_fill, month_fill=v.month_fill)
        store.record_file(path.name, file_sha256(path), rows=res.read, accepted=accepted,
                          rejected=rejected, refused=False, con=con)
    out.read, out.accepted, out.rejected = res.read, accepted, rejected
    out.notes, out.has_ids, out.duplicates = [*stream.notes, *res.notes], res.has_ids, res.duplicates
    out.reasons = dict(res.reasons)


def ledger_table(rejected: pd.DataFrame, language: str = "it") -> pd.DataFrame:
    """The store's ledger as the coordinator reads it: sorted by file and row, headers and
    reasons in ``language``.

    Parameters
    ----------
    rejected : DataFrame
        :meth:`fragmap.io.store.Store.rejected`.
    language : str
        ``"it"`` (default) or ``"en"``.

    Returns
    -------
    DataFrame
        Columns file, row, column, reason, explanation, report id, ingested on (translated).
    """
    cols = ["source_file", "source_row", "column", "reason", "message", "report_id", "batch"]
    keys = ["file", "row", "column", "reason", "message", "report_id", "batch"]
    df = rejected.reindex(columns=cols).sort_values(["source_file", "source_row"], kind="stable")
    df = df.assign(reason=df["reason"].map(lambda r: reason_label(str(r), language)))
    text = [c for c in cols if c != "source_row"]
    df[text] = df[text].astype(object).where(df[text].notna(), "")
    df["source_row"] = df["source_row"].astype(int)
    df.columns = [translate(_MESSAGES, f"col_{k}", language) for k in keys]
    return df.reset_index(drop=True)
