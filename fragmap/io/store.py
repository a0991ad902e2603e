"""The private store: an SQLite file that accumulates months of accepted reports.

* Key ``(partner, report_id)``; ``record_hash`` makes re-ingesting idempotent: an
  identical row changes nothing, a row with the same key and another hash is a
  correction and replaces the stored one.
* Every ingest is one transaction: a crash or a bad file leaves the store as it was.
* The rejected-row ledger and the list of ingested files live here too, and a
  generic ``write_table``/``read_table`` keeps other private tables (e.g. the
  geocoded points) beside the reports.

The store is PRIVATE (point-level data): it lives in ``data/private/`` and is never
published.
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fragmap.reports import REJECTED_COLUMNS, REPORT_COLUMNS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    partner TEXT NOT NULL,
    report_id TEXT NOT NULL,
    category TEXT, action TEXT, age_band TEXT,
    date TEXT, month TEXT, town TEXT, address TEXT,
    lat REAL, lon REAL, quartiere TEXT,
    source_file TEXT, source_row INTEGER, record_hash TEXT NOT NULL,
    PRIMARY KEY (partner, report_id)
);
CREATE INDEX IF NOT EXISTS reports_month ON reports (month);
CREATE TABLE IF NOT EXISTS rejected (
    batch TEXT, source_file TEXT, source_row INTEGER, "column" TEXT,
    reason TEXT, message TEXT, report_id TEXT
);
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY, sha256 TEXT, rows INTEGER, accepted INTEGER,
    rejected INTEGER, refused INTEGER, ingested_at TEXT
);
"""
_FIELDS = ["partner", "report_id", "category", "action", "age_band", "date", "month", "town",
           "address", "lat", "lon", "quartiere", "source_file", "source_row", "record_hash"]


@dataclass(frozen=True)
class UpsertResult:
    """How many reports an upsert inserted, updated (corrections) and left unchanged."""

    inserted: int
    updated: int
    unchanged: int


class Store:
    """The private SQLite store.

    Parameters
    ----------
    path : str or Path
        The SQLite file (created with its tables when missing).

    Examples
    --------
    >>> store = Store("data/private/store.sqlite")        # doctest: +SKIP
    >>> store.upsert_reports(result.accepted)              # doctest: +SKIP
    UpsertResult(inserted=1473, updated=0, unchanged=0)
    >>> store.reports(until_month="2026-10").shape        # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None)
        con.execute("PRAGMA journal_mode=DELETE")  # one file, rollback journal: atomic commits
        return con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction: all of it is written, or none of it."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # -- reports -------------------------------------------------------------------------
    def upsert_reports(self, reports: pd.DataFrame, *, con: sqlite3.Connection | None = None) -> UpsertResult:
        """Insert new reports, replace corrected ones, skip identical ones."""
        if reports.empty:
            return UpsertResult(0, 0, 0)
        if con is None:
            with self.transaction() as c:
                return self.upsert_reports(reports, con=c)
        existing = pd.read_sql_query("SELECT partner, report_id, record_hash FROM reports", con)
        merged = reports[["partner", "report_id", "record_hash"]].astype(str).merge(
            existing, on=["partner", "report_id"], how="left", suffixes=("", "_old")
        )
        new = merged["record_hash_old"].isna().to_numpy()
        changed = (~new) & (merged["record_hash"] != merged["record_hash_old"]).to_numpy()
        write = reports[new | changed]
        if len(write):
            rows = _rows_for_sql(write)
            con.executemany(
                f"INSERT OR REPLACE INTO reports ({', '.join(_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(_FIELDS))})",
                rows,
            )
        return UpsertResult(int(new.sum()), int(changed.sum()), int((~new & ~changed).sum()))

    def reports(self, *, until_month: str | None = None) -> pd.DataFrame:
        """Accepted reports (the Reports contract), up to ``until_month`` inclusive."""
        with self._connect() as con:
            sql = "SELECT * FROM reports"
            params: tuple[str, ...] = ()
            if until_month is not None:
                sql += " WHERE month <= ?"
                params = (until_month,)
            df = pd.read_sql_query(sql + " ORDER BY partner, report_id", con, params=params)
        df["date"] = pd.to_datetime(df["date"])
        for c in ("partner", "category", "action", "age_band", "town", "address", "quartiere"):
            df[c] = df[c].astype("string")
        df["lat"] = df["lat"].astype(float)
        df["lon"] = df["lon"].astype(float)
        df["source_row"] = df["source_row"].astype(int)
        return df[list(REPORT_COLUMNS)]

    # -- rejected ledger and files -------------------------------------------------------
    def replace_rejected(
        self, source_file: str, rejected: pd.DataFrame, *, batch: str, con: sqlite3.Connection | None = None
    ) -> None:
        """Replace the rejected rows of ``source_file`` (a resubmission supersedes the old list)."""
        if con is None:
            with self.transaction() as c:
                return self.replace_rejected(source_file, rejected, batch=batch, con=c)
        con.execute("DELETE FROM rejected WHERE source_file = ?", (source_file,))
        if len(rejected):
            rows = [(batch, *r) for r in rejected[list(REJECTED_COLUMNS)].itertuples(index=False, name=None)]
            con.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return None

    def rejected(self) -> pd.DataFrame:
        """The current ledger of rejected rows (one row per rejected input row)."""
        with self._connect() as con:
            return pd.read_sql_query(
                'SELECT batch, source_file, source_row, "column", reason, message, report_id '
                "FROM rejected ORDER BY source_file, source_row",
                con,
            )

    def record_file(
        self, name: str, sha256: str, *, rows: int, accepted: int, rejected: int, refused: bool,
        con: sqlite3.Connection | None = None,
    ) -> None:
        """Remember that a file was ingested (for the manifest and the summary)."""
        if con is None:
            with self.transaction() as c:
                return self.record_file(name, sha256, rows=rows, accepted=accepted, rejected=rejected,
                                        refused=refused, con=c)
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        con.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, sha256, rows, accepted, rejected, int(refused), now),
        )
        return None

    def files(self) -> pd.DataFrame:
        """Ingested files: name, sha256, rows, accepted, rejected, refused, ingested_at."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT * FROM files ORDER BY name", con)

    # -- other private tables ------------------------------------------------------------
    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Replace a private side table (e.g. ``geocoded``) atomically."""
        _check_name(name)
        # pandas commits on its own: write a staging table, then swap it in one transaction.
        con = self._connect()
        try:
            df.to_sql(f"staging_{name}", con, index=False, if_exists="replace")
        finally:
            con.close()
        with self.transaction() as con:
            con.execute(f'DROP TABLE IF EXISTS "t_{name}"')
            con.execute(f'ALTER TABLE "staging_{name}" RENAME TO "t_{name}"')

    def read_table(self, name: str) -> pd.DataFrame | None:
        """A side table written by :meth:`write_table`, or None."""
        _check_name(name)
        with self._connect() as con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (f"t_{name}",)
            ).fetchone()
            if not exists:
                return None
            return pd.read_sql_query(f'SELECT * FROM "t_{name}"', con)


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"invalid table name {name!r}")


def _rows_for_sql(df: pd.DataFrame) -> list[tuple[object, ...]]:
    out = df[_FIELDS].copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return list(out.itertuples(index=False, name=None))
