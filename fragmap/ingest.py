"""Glue for ``fragmap ingest`` and the pipeline: read files, validate, store, write the ledger.

Each file is one transaction in the store: a file refused for personal data, or a
crash half-way, leaves the store as it was. Rejected rows are kept in the store
and written to a ledger CSV for the coordinator (``;``-separated, UTF-8 with BOM so
Excel opens it), in a ``scarti/`` folder beside the store: private, never published.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fragmap._errors import FragmapError, PersonalDataError
from fragmap.io.publish import file_sha256
from fragmap.io.store import Store, UpsertResult
from fragmap.io.tables import read_table
from fragmap.reports import REJECTED_COLUMNS, validate
from fragmap.settings import Settings


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
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestResult:
    """Outcome of :func:`ingest_files`: one :class:`FileOutcome` per file and the ledger path."""

    files: list[FileOutcome]
    ledger: Path | None = None

    def summary(self) -> dict[str, Any]:
        ups = [f.upsert for f in self.files if f.upsert is not None]
        return {
            "files": len(self.files),
            "read": sum(f.read for f in self.files),
            "accepted": sum(f.accepted for f in self.files),
            "rejected": sum(f.rejected for f in self.files),
            "refused_files": sum(1 for f in self.files if f.refused),
            "inserted": sum(u.inserted for u in ups),
            "updated": sum(u.updated for u in ups),
            "unchanged": sum(u.unchanged for u in ups),
        }


def ingest_files(
    paths: list[Path],
    settings: Settings,
    *,
    store: Store,
    today: _dt.date | None = None,
    town_polygons: Any = None,
    write_ledger: bool = True,
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
        Write the rejected rows to ``<store folder>/scarti/scarti-<today>.csv``.

    Returns
    -------
    IngestResult

    Examples
    --------
    >>> res = ingest_files([Path("export.csv")], settings, store=Store("s.sqlite"))  # doctest: +SKIP
    >>> res.summary()["accepted"]                                                   # doctest: +SKIP
    """
    today = today or _dt.date.today()
    if town_polygons is None and settings.paths.boundaries.exists():
        from fragmap.io.geo import read_boundaries

        town_polygons = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    batch = today.isoformat()
    outcomes: list[FileOutcome] = []
    ledgers: list[pd.DataFrame] = []
    for path in paths:
        path = Path(path)
        out = FileOutcome(path)
        outcomes.append(out)
        try:
            table = read_table(path)
            res = validate(table.frame, settings, source_file=path.name, today=today,
                           town_polygons=town_polygons)
        except PersonalDataError as exc:
            out.refused = str(exc)
            store.record_file(path.name, file_sha256(path), rows=0, accepted=0, rejected=0, refused=True)
            continue
        except FragmapError as exc:
            out.refused = str(exc)
            continue
        out.read, out.accepted, out.rejected = res.read, len(res.accepted), len(res.rejected)
        out.notes = res.notes
        out.reasons = res.rejected["reason"].value_counts().to_dict()
        with store.transaction() as con:
            out.upsert = store.upsert_reports(res.accepted, con=con)
            store.replace_rejected(path.name, res.rejected, batch=batch, con=con)
            store.record_file(path.name, file_sha256(path), rows=res.read, accepted=out.accepted,
                              rejected=out.rejected, refused=False, con=con)
        if len(res.rejected):
            ledgers.append(res.rejected)
    ledger = None
    if write_ledger and ledgers:
        ledger = store.path.parent / "scarti" / f"scarti-{batch}.csv"
        ledger.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(ledgers, ignore_index=True)[list(REJECTED_COLUMNS)].to_csv(
            ledger, sep=";", index=False, encoding="utf-8-sig"
        )
    return IngestResult(outcomes, ledger)
