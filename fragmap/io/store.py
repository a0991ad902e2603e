"""The private store: an SQLite file that accumulates months of accepted reports.

Key ``(partner, report_id, month, source_file)``
    Partners restart their IDs: every month (``ottobre.csv`` and ``novembre.csv`` both start
    at 1) and even within a month, one file per activity (``dicembre_sportello.csv`` and
    ``dicembre_laboratorio.csv``, IDs 1-5 each). So an ID alone never identifies a report,
    and a different report must never replace another. The rules:

    * re-ingesting the same file changes nothing (same keys, same ``record_hash``);
    * a row identical to a stored one (same partner, ID, month and content) adds nothing,
      whichever file it comes from: an overlapping export (October again inside an
      October-November export) is recognised by content;
    * a new version of the SAME file (same name) whose row has the same partner, ID and month
      but another content is a correction: it replaces the stored version from that file;
    * a row of ANOTHER file with the same partner, ID and month but another content is a
      different report (IDs restarted per file): it is kept beside the stored one and counted
      as a *collision*, which the summary states loudly (if it was meant as a correction, the
      coordinator resends the original file, corrected, under its own name);
    * a correction that moves the date into ANOTHER month is recognised when it comes, as is
      usual, in a new version of the same file that still holds reports of the old month but
      no longer this ID in it: the old version is deleted and the row counted as corrected;
    * files without an ID column get IDs made of a content hash and an occurrence number
      (see :func:`fragmap.reports.validate`): idempotent, but corrections add a report.

``record_hash`` makes re-ingesting idempotent. Every ingest is one transaction: a crash or
a bad file leaves the store as it was.

Rejected rows (the ledger)
    One table for all files and all runs, keyed by ``(source_file, source_row)``. A new
    version of a file replaces that file's rows; a row is also removed when its report is
    accepted later from another file (same partner, ID and month). A file refused as a whole
    has one row (``source_row`` 1, the header) with the reason.

The list of ingested files lives here too, and a generic ``write_table``/``read_table``
keeps other private tables (e.g. the geocoded points) beside the reports.

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

import numpy as np
import pandas as pd

from fragmap.reports import REJECTED_COLUMNS, REPORT_COLUMNS

#: Schema version (``PRAGMA user_version``). 0/1: key (partner, report_id), ledger without key;
#: 2: key (partner, report_id, month); 3: key (partner, report_id, month, source_file).
SCHEMA_VERSION = 3

_REPORTS_TABLE = """
CREATE TABLE IF NOT EXISTS reports (
    partner TEXT NOT NULL,
    report_id TEXT NOT NULL,
    category TEXT, action TEXT, age_band TEXT,
    date TEXT, month TEXT NOT NULL, town TEXT, address TEXT,
    lat REAL, lon REAL, quartiere TEXT,
    source_file TEXT NOT NULL, source_row INTEGER, record_hash TEXT NOT NULL,
    PRIMARY KEY (partner, report_id, month, source_file)
);
"""
_REJECTED_TABLE = """
CREATE TABLE IF NOT EXISTS rejected (
    source_file TEXT NOT NULL, source_row INTEGER NOT NULL, "column" TEXT,
    reason TEXT, message TEXT, report_id TEXT, partner TEXT, month TEXT, batch TEXT,
    PRIMARY KEY (source_file, source_row)
);
"""
_SCHEMA = _REPORTS_TABLE + _REJECTED_TABLE + """
CREATE INDEX IF NOT EXISTS reports_month ON reports (month);
CREATE INDEX IF NOT EXISTS reports_source ON reports (source_file);
CREATE INDEX IF NOT EXISTS rejected_key ON rejected (partner, report_id);
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY, sha256 TEXT, rows INTEGER, accepted INTEGER,
    rejected INTEGER, refused INTEGER, ingested_at TEXT
);
"""
_FIELDS = ["partner", "report_id", "category", "action", "age_band", "date", "month", "town",
           "address", "lat", "lon", "quartiere", "source_file", "source_row", "record_hash"]
_LEDGER = ["source_file", "source_row", "column", "reason", "message", "report_id", "partner",
           "month", "batch"]
#: ``source_row`` of a ledger entry about a whole file (the header row).
FILE_ROW = 1


@dataclass(frozen=True)
class UpsertResult:
    """How many reports an upsert inserted, updated (corrections) and left unchanged.

    ``moved`` counts the corrections (included in ``updated``) whose date moved to
    another month, replacing the version stored under the old month. ``collisions``
    counts the new reports (included in ``inserted``) whose partner, ID and month were
    already used by a different report of another file: both are kept, and
    ``collision_files`` names those other files so the summary can say so.
    """

    inserted: int
    updated: int
    unchanged: int
    moved: int = 0
    collisions: int = 0
    collision_files: tuple[str, ...] = ()


class Store:
    """The private SQLite store.

    Parameters
    ----------
    path : str or Path
        The SQLite file (created with its tables when missing; a store written by an
        earlier version is migrated in place, in one transaction).

    Examples
    --------
    >>> store = Store("data/private/store.sqlite")        # doctest: +SKIP
    >>> store.upsert_reports(result.accepted)              # doctest: +SKIP
    >>> store.reports(until_month="2026-10").shape        # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, language: str = "it") -> None:
        self.path = Path(path)
        self.language = language
        version = _open_checked(self.path, language)
        if version >= SCHEMA_VERSION:
            return
        with self.transaction() as con:  # create or migrate: all of it, or nothing
            if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                _migrate(con)
                _create_schema(con)

    def _connect(self) -> sqlite3.Connection:
        # wait for another connection's write rather than failing at once with "locked"; the
        # journal mode (DELETE, one file) is set once when the store is created, not here: changing
        # it needs a lock a reader must not wait for while another thread writes (the desk)
        return sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction: all of it is written, or none of it.

        A failure of SQLite itself (disk full, damaged file, locked) becomes a
        :class:`~fragmap._errors.StoreError` with a plain message; the ROLLBACK that SQLite
        may already have done itself never hides the real cause.
        """
        from fragmap.io.guard import plain_failures

        with plain_failures(self.language, path=self.path):
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
                raise
            finally:
                con.close()

    # -- reports -------------------------------------------------------------------------
    def upsert_reports(
        self, reports: pd.DataFrame, *, con: sqlite3.Connection | None = None, ids_given: bool = True
    ) -> UpsertResult:
        """Insert new reports, replace corrected ones, skip identical ones.

        Parameters
        ----------
        reports : DataFrame
            Accepted reports of ONE file (the Reports contract).
        con : sqlite3.Connection, optional
            An open transaction (default: a transaction of its own).
        ids_given : bool
            Whether the IDs are the partner's. Only then can a correction that moved the
            date into another month be recognised (see the module docstring).

        Returns
        -------
        UpsertResult
        """
        if reports.empty:
            return UpsertResult(0, 0, 0)
        if con is None:
            with self.transaction() as c:
                return self.upsert_reports(reports, con=c, ids_given=ids_given)
        results = []
        for source_file, part in reports.groupby("source_file", sort=False):
            writer = FileWriter(con, str(source_file), batch="", ids_given=ids_given, ledger=False)
            writer.add(part)
            results.append(writer.finish())
        return _sum_results(results)

    def file_writer(self, source_file: str, *, batch: str, ids_given: bool,
                    con: sqlite3.Connection) -> FileWriter:
        """Write a new version of ``source_file`` a chunk at a time, in the transaction ``con``.

        Its ledger entries are cleared at once; then :meth:`FileWriter.add` stores each
        chunk's accepted reports and rejected rows, and :meth:`FileWriter.finish` ends the
        file. The result is what :meth:`upsert_reports` and :meth:`replace_rejected` give for
        the whole file at once.

        Examples
        --------
        >>> with store.transaction() as con:                                        # doctest: +SKIP
        ...     w = store.file_writer("a.csv", batch="2026-11-24", ids_given=True, con=con)
        ...     for accepted, rejected in chunks:
        ...         w.add(accepted, rejected)
        ...     result = w.finish()
        """
        return FileWriter(con, source_file, batch=batch, ids_given=ids_given)

    def reports(self, *, until_month: str | None = None) -> pd.DataFrame:
        """Accepted reports (the Reports contract), up to ``until_month`` inclusive."""
        with self._connect() as con:
            sql = "SELECT * FROM reports"
            params: tuple[str, ...] = ()
            if until_month is not None:
                sql += " WHERE month <= ?"
                params = (until_month,)
            df = pd.read_sql_query(sql + " ORDER BY partner, report_id, month, source_file", con,
                                   params=params)
        df["date"] = pd.to_datetime(df["date"])
        for c in ("partner", "category", "action", "age_band", "town", "address", "quartiere"):
            df[c] = df[c].astype("string")
        df["lat"] = df["lat"].astype(float)
        df["lon"] = df["lon"].astype(float)
        df["source_row"] = df["source_row"].astype(int)
        return df[list(REPORT_COLUMNS)]

    # -- rejected ledger and files -------------------------------------------------------
    def replace_rejected(
        self,
        source_file: str,
        rejected: pd.DataFrame,
        *,
        batch: str,
        accepted: pd.DataFrame | None = None,
        ids_given: bool = True,
        con: sqlite3.Connection | None = None,
    ) -> None:
        """Update the ledger with a new version of ``source_file``.

        The file's earlier entries are replaced by ``rejected`` (a row fixed in the new
        version disappears, a row still wrong stays, with today's reason). Entries of OTHER
        files whose report is in ``accepted`` (same partner, ID and month; or same partner and
        ID when the entry's month is unknown) are removed too: the coordinator fixed the row
        and sent it in another file. A whole-file entry (a refusal) of ``source_file`` is
        removed as well: the file is now readable.
        """
        if con is None:
            with self.transaction() as c:
                return self.replace_rejected(source_file, rejected, batch=batch, accepted=accepted,
                                             ids_given=ids_given, con=c)
        con.execute("DELETE FROM rejected WHERE source_file = ?", (source_file,))
        _add_rejected(con, source_file, rejected, batch=batch, accepted=accepted, ids_given=ids_given)
        return None

    def record_refusal(
        self, source_file: str, reason: str, message: str, *, batch: str,
        con: sqlite3.Connection | None = None,
    ) -> None:
        """Keep in the ledger that a whole file was refused (one entry, at row 1).

        The file's earlier row entries stay: they still describe the last readable version.
        """
        if con is None:
            with self.transaction() as c:
                return self.record_refusal(source_file, reason, message, batch=batch, con=c)
        con.execute(
            f"INSERT OR REPLACE INTO rejected ({_quoted(_LEDGER)}) VALUES ({', '.join('?' * len(_LEDGER))})",
            (source_file, FILE_ROW, "", reason, message, "", None, None, batch),
        )
        return None

    def rejected(self) -> pd.DataFrame:
        """The whole ledger of rejected rows, all files and runs, by file and row."""
        with self._connect() as con:
            return pd.read_sql_query(
                f"SELECT {_quoted(_LEDGER)} FROM rejected ORDER BY source_file, source_row", con
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
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
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
        # The staging connection is not in autocommit mode, so pandas' executemany runs in ONE
        # transaction (committed by pandas at the end) instead of one commit (an fsync) per row.
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
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


#: Seconds a connection waits for another one's write before "database is locked".
BUSY_TIMEOUT_S = 60.0


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends it itself on a full disk)."""
    try:
        if con.in_transaction:
            con.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the original error is the one worth reporting


def _create_schema(con: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _open_checked(path: Path, language: str) -> int:
    """Open an existing store (checked) or create a new one whole; its schema version.

    * a missing store is created in a temporary file and renamed into place, so a run
      killed while creating it never leaves a 0-byte file behind;
    * a 0-byte store is refused (a damaged store must not silently start empty);
    * a file that is not SQLite, or whose pages are damaged (``PRAGMA quick_check``),
      is refused with what to do;
    * a read-only folder, a full disk or a locked file give a plain message.
    """
    import os
    import tempfile

    from fragmap._errors import StoreError
    from fragmap.io.guard import plain_failures, store_message

    with plain_failures(language, path=path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
            os.close(fd)
            try:
                con = sqlite3.connect(tmp, isolation_level=None)
                try:
                    con.execute("PRAGMA journal_mode=DELETE")
                    con.execute("BEGIN IMMEDIATE")
                    _create_schema(con)
                    con.execute("COMMIT")
                finally:
                    con.close()
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
            return SCHEMA_VERSION
        if path.stat().st_size == 0:
            raise StoreError(store_message("empty_store", language, path=path))
        try:
            con = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
            try:
                check = con.execute("PRAGMA quick_check").fetchone()[0]
                version = int(con.execute("PRAGMA user_version").fetchone()[0])
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            text = str(exc).lower()
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise StoreError(store_message("corrupt", language, path=path, what=str(exc))) from exc
            raise
        if check != "ok":
            raise StoreError(store_message("corrupt", language, path=path, what=str(check)[:200]))
        return version


class FileWriter:
    """One file's reports and ledger entries, written a chunk at a time (see
    :meth:`Store.file_writer`).

    The keys of the file's accepted reports go to a temporary table (on disk, not in memory):
    at :meth:`finish` they tell which stored reports of this file a date correction moved to
    another month (the module docstring), which needs the whole file.
    """

    def __init__(self, con: sqlite3.Connection, source_file: str, *, batch: str, ids_given: bool,
                 ledger: bool = True) -> None:
        self.con, self.source_file, self.batch, self.ids_given = con, source_file, batch, ids_given
        self.ledger = ledger
        self.inserted = self.updated = self.unchanged = self.collisions = 0
        self.other_files: set[str] = set()
        self.any_new = False
        con.execute("CREATE TEMP TABLE IF NOT EXISTS file_keys "
                    "(partner TEXT, report_id TEXT, month TEXT, new INTEGER)")
        con.execute("CREATE INDEX IF NOT EXISTS temp.file_keys_key ON file_keys (partner, report_id, month)")
        con.execute("CREATE INDEX IF NOT EXISTS temp.file_keys_month ON file_keys (partner, month)")
        con.execute("DELETE FROM file_keys")
        con.execute("CREATE TEMP TABLE IF NOT EXISTS chunk_keys (i INTEGER, partner TEXT, report_id TEXT, month TEXT)")
        if ledger:
            con.execute("DELETE FROM rejected WHERE source_file = ?", (source_file,))

    def add(self, accepted: pd.DataFrame, rejected: pd.DataFrame | None = None) -> None:
        """Store one chunk: its accepted reports (the Reports contract) and rejected rows."""
        if len(accepted):
            self._upsert(accepted)
        if self.ledger:
            _add_rejected(self.con, self.source_file,
                          rejected if rejected is not None else pd.DataFrame(columns=list(REJECTED_COLUMNS)),
                          batch=self.batch, accepted=accepted, ids_given=self.ids_given)

    def _upsert(self, reports: pd.DataFrame) -> None:
        con = self.con
        key = ["partner", "report_id", "month"]
        incoming = reports[[*key, "record_hash", "source_file"]].astype(str).reset_index(drop=True)
        con.execute("DELETE FROM chunk_keys")
        con.executemany("INSERT INTO chunk_keys VALUES (?, ?, ?, ?)",
                        list(incoming[key].itertuples(index=True, name=None)))
        pairs = pd.read_sql_query(
            "SELECT k.i AS i, r.source_file AS file_old, r.record_hash AS hash_old FROM chunk_keys k "
            "JOIN reports r ON r.partner = k.partner AND r.report_id = k.report_id AND r.month = k.month",
            con,
        )
        con.execute("DELETE FROM chunk_keys")
        at = pairs["i"].to_numpy(dtype=np.int64)
        same_content = at[pairs["hash_old"].to_numpy() == incoming["record_hash"].to_numpy()[at]]
        same_file = at[pairs["file_old"].to_numpy() == incoming["source_file"].to_numpy()[at]]
        n = len(incoming)
        stored = np.zeros(n, dtype=bool)
        stored[at] = True
        unchanged = np.zeros(n, dtype=bool)
        unchanged[same_content] = True
        changed = np.zeros(n, dtype=bool)
        changed[same_file] = True
        changed &= ~unchanged  # a new version of this file's row: a correction
        collision = stored & ~unchanged & ~changed  # another file's report under this ID
        new = ~stored
        write = reports.reset_index(drop=True)[new | changed | collision]
        if len(write):
            con.executemany(
                f"INSERT OR REPLACE INTO reports ({', '.join(_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(_FIELDS))})",
                _rows_for_sql(write),
            )
        con.executemany("INSERT INTO file_keys VALUES (?, ?, ?, ?)",
                        list(incoming[key].assign(new=new.astype(int)).itertuples(index=False, name=None)))
        self.any_new = self.any_new or bool(new.any())
        self.inserted += int(new.sum() + collision.sum())
        self.updated += int(changed.sum())
        self.unchanged += int(unchanged.sum())
        self.collisions += int(collision.sum())
        self.other_files.update(pairs.loc[np.isin(at, np.flatnonzero(collision)), "file_old"])

    def finish(self, *, partner_fill: str | None = None, month_fill: str | None = None) -> UpsertResult:
        """End the file: date corrections across months, the ledger's partner and month hints
        for rows that did not say them (see :meth:`fragmap.reports.Validator.fill_hints`).
        """
        con = self.con
        n_moved = 0
        if self.ids_given and self.any_new:
            moved = con.execute(
                "SELECT DISTINCT r.partner, r.report_id, r.month, r.source_file FROM reports r "
                "WHERE r.source_file = ? "
                "AND EXISTS (SELECT 1 FROM file_keys n WHERE n.new = 1 AND n.partner = r.partner "
                "AND n.report_id = r.report_id AND n.month <> r.month) "
                "AND NOT EXISTS (SELECT 1 FROM file_keys k WHERE k.partner = r.partner "
                "AND k.report_id = r.report_id AND k.month = r.month) "
                "AND EXISTS (SELECT 1 FROM file_keys k WHERE k.partner = r.partner AND k.month = r.month)",
                (self.source_file,),
            ).fetchall()
            if moved:
                con.executemany("DELETE FROM reports WHERE partner = ? AND report_id = ? AND month = ? "
                                "AND source_file = ?", moved)
            n_moved = len(moved)
        con.execute("DELETE FROM file_keys")
        if self.ledger:
            for column, value in (("partner", partner_fill), ("month", month_fill)):
                if value is not None:
                    con.execute(f"UPDATE rejected SET {column} = ? WHERE source_file = ? AND {column} IS NULL",
                                (value, self.source_file))
        return UpsertResult(self.inserted - n_moved, self.updated + n_moved, self.unchanged, n_moved,
                            self.collisions, tuple(sorted(self.other_files)))


def _sum_results(results: list[UpsertResult]) -> UpsertResult:
    if len(results) == 1:
        return results[0]
    return UpsertResult(
        sum(r.inserted for r in results), sum(r.updated for r in results),
        sum(r.unchanged for r in results), sum(r.moved for r in results),
        sum(r.collisions for r in results),
        tuple(sorted({f for r in results for f in r.collision_files})),
    )


def _add_rejected(
    con: sqlite3.Connection, source_file: str, rejected: pd.DataFrame, *, batch: str,
    accepted: pd.DataFrame | None, ids_given: bool,
) -> None:
    """Add ``source_file``'s rejected rows to the ledger, and remove entries of OTHER files
    whose report is in ``accepted`` (see :meth:`Store.replace_rejected`)."""
    if len(rejected):
        df = rejected[list(REJECTED_COLUMNS)].astype(object).where(rejected.notna(), None)
        rows = [(*r, batch) for r in df.itertuples(index=False, name=None)]
        con.executemany(f"INSERT OR REPLACE INTO rejected ({_quoted(_LEDGER)}) "
                        f"VALUES ({', '.join('?' * len(_LEDGER))})", rows)
    if accepted is not None and len(accepted) and ids_given:
        keys = accepted[["partner", "report_id", "month"]].astype(str).drop_duplicates()
        con.execute("CREATE TEMP TABLE IF NOT EXISTS accepted_keys "
                    "(partner TEXT, report_id TEXT, month TEXT)")
        con.execute("DELETE FROM accepted_keys")
        con.executemany("INSERT INTO accepted_keys VALUES (?, ?, ?)",
                        list(keys.itertuples(index=False, name=None)))
        # looked up once per ledger row below: without an index each lookup scans the whole
        # chunk (1,400 ledger rows x 10,000 keys: 4 s of ingest at ten times the demo)
        con.execute("CREATE INDEX IF NOT EXISTS temp.accepted_keys_key ON accepted_keys (partner, report_id)")
        con.execute(
            "DELETE FROM rejected WHERE source_file <> ? AND report_id <> '' AND EXISTS ("
            " SELECT 1 FROM accepted_keys k WHERE k.partner = rejected.partner"
            " AND k.report_id = rejected.report_id"
            " AND (rejected.month IS NULL OR k.month = rejected.month))",
            (source_file,),
        )
        con.execute("DROP TABLE accepted_keys")


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a store of an earlier schema to the current one, inside the caller's transaction."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "reports" in tables:
        pk = [r[1] for r in con.execute("PRAGMA table_info(reports)") if r[5]]
        if "source_file" not in pk:
            con.execute("ALTER TABLE reports RENAME TO reports_v1")
            con.execute(_REPORTS_TABLE)
            con.execute(
                f"INSERT OR REPLACE INTO reports ({', '.join(_FIELDS)}) "
                f"SELECT {', '.join(_FIELDS[:6])}, COALESCE(month, substr(date, 1, 7)), "
                f"{', '.join(_FIELDS[7:12])}, COALESCE(source_file, ''), "
                f"{', '.join(_FIELDS[13:])} FROM reports_v1"
            )
            con.execute("DROP TABLE reports_v1")
            con.execute("DROP INDEX IF EXISTS reports_month")
            con.execute("DROP INDEX IF EXISTS reports_source")
    if "rejected" in tables:
        cols = [r[1] for r in con.execute("PRAGMA table_info(rejected)")]
        if "partner" not in cols:
            con.execute("ALTER TABLE rejected RENAME TO rejected_v1")
            con.execute(_REJECTED_TABLE)
            con.execute(
                'INSERT OR REPLACE INTO rejected (source_file, source_row, "column", reason, '
                "message, report_id, batch) SELECT source_file, source_row, \"column\", reason, "
                "message, COALESCE(report_id, ''), batch FROM rejected_v1 "
                "WHERE source_file IS NOT NULL AND source_row IS NOT NULL ORDER BY batch"
            )
            con.execute("DROP TABLE rejected_v1")


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"invalid table name {name!r}")


def _rows_for_sql(df: pd.DataFrame) -> list[tuple[object, ...]]:
    out = df[_FIELDS].copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return list(out.itertuples(index=False, name=None))
