"""The desk's own SQLite tables, next to the store: accounts, sessions, login failures, audit
log, uploads (which partner sent which file), address corrections and publications.

WAL mode: page requests read while a background job writes. PRIVATE, like the store.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where a table is read: `fragmap run` checks the desk first
    import pandas as pd

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    partner TEXT, created_at TEXT NOT NULL, created_by TEXT, active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS invites (
    token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, partner TEXT, created_by TEXT,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, username TEXT, csrf TEXT NOT NULL,
    created_at TEXT NOT NULL, seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT, action TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT, partner TEXT NOT NULL, stored_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL, username TEXT, uploaded_at TEXT NOT NULL, bytes INTEGER,
    sha256 TEXT, outcome TEXT
);
CREATE TABLE IF NOT EXISTS corrections (
    partner TEXT NOT NULL, report_id TEXT NOT NULL, month TEXT NOT NULL, source_file TEXT NOT NULL,
    address TEXT NOT NULL, town TEXT, original TEXT, username TEXT, at TEXT NOT NULL,
    PRIMARY KEY (partner, report_id, month, source_file)
);
CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, month TEXT, folder TEXT NOT NULL, username TEXT,
    at TEXT NOT NULL, summary TEXT, current INTEGER NOT NULL DEFAULT 0
);
"""

ROLES = ("partner", "coordinatore")
#: The desk's file, beside the store.
DB_NAME = "sportello.sqlite"


def stored_corrections(store_path: str | Path) -> pd.DataFrame | None:
    """The desk's address corrections for the store at ``store_path``, or None without a desk.

    For ``fragmap run``: corrections made in the desk apply to every run, from the CLI too.
    Opens the desk's file read-only; never creates it.
    """
    path = Path(store_path).parent / DB_NAME
    if not path.exists():
        return None
    con = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True, timeout=30)
    try:
        exists = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'corrections'").fetchone()
        if not exists:
            return None
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM corrections ORDER BY at", con)
    finally:
        con.close()


def now_iso() -> str:
    """UTC now, ISO seconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    """Session ids and invite tokens are stored hashed: a copied database opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    """A desk user. ``partner`` is the partner code for role ``partner``, else None."""

    username: str
    role: str
    partner: str | None

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinatore"


class DeskDB:
    """The desk's SQLite file (WAL mode), thread-safe: one connection per call.

    Parameters
    ----------
    path : Path
        ``sportello.sqlite`` beside the store.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit-per-block mode (``with`` commits or rolls back)."""
        con = sqlite3.connect(self.path, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            with con:
                yield con
        finally:
            con.close()

    # -- accounts -------------------------------------------------------------------------
    def has_accounts(self) -> bool:
        with self.connect() as con:
            return con.execute("SELECT 1 FROM accounts WHERE active = 1 LIMIT 1").fetchone() is not None

    def add_account(self, username: str, password_hash: str, role: str, partner: str | None,
                    created_by: str | None) -> None:
        with self.connect() as con:
            con.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, 1)",
                        (username, password_hash, role, partner, now_iso(), created_by))

    def set_password(self, username: str, password_hash: str) -> None:
        with self.connect() as con:
            con.execute("UPDATE accounts SET password_hash = ? WHERE username = ?", (password_hash, username))

    def deactivate(self, username: str) -> None:
        with self.connect() as con:
            con.execute("UPDATE accounts SET active = 0 WHERE username = ?", (username,))
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def account(self, username: str) -> tuple[Account, str] | None:
        """The active account and its password hash, or None."""
        with self.connect() as con:
            r = con.execute("SELECT * FROM accounts WHERE username = ? AND active = 1", (username,)).fetchone()
        if r is None:
            return None
        return Account(r["username"], r["role"], r["partner"]), r["password_hash"]

    def accounts(self) -> list[dict[str, Any]]:
        with self.connect() as con:
            return [dict(r) for r in con.execute(
                "SELECT username, role, partner, created_at, created_by, active FROM accounts ORDER BY username")]

    # -- invites --------------------------------------------------------------------------
    def add_invite(self, role: str, partner: str | None, created_by: str | None, days: int = 7) -> str:
        token = secrets.token_urlsafe(24)
        expires = (_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=days)).isoformat(timespec="seconds")
        with self.connect() as con:
            con.execute("INSERT INTO invites VALUES (?, ?, ?, ?, ?, ?, 0)",
                        (token_hash(token), role, partner, created_by, now_iso(), expires))
        return token

    def invite(self, token: str) -> dict[str, Any] | None:
        """A valid (unused, unexpired) invite, or None."""
        with self.connect() as con:
            r = con.execute("SELECT * FROM invites WHERE token_hash = ? AND used = 0 AND expires_at > ?",
                            (token_hash(token), now_iso())).fetchone()
        return dict(r) if r else None

    def use_invite(self, token: str) -> None:
        with self.connect() as con:
            con.execute("UPDATE invites SET used = 1 WHERE token_hash = ?", (token_hash(token),))

    # -- sessions -------------------------------------------------------------------------
    def new_session(self, username: str | None) -> tuple[str, str]:
        """A fresh session: ``(session id for the cookie, CSRF token)``."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        stale = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=2)).isoformat(timespec="seconds")
        with self.connect() as con:
            con.execute("DELETE FROM sessions WHERE seen_at < ?", (stale,))  # visitors who left
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                        (token_hash(sid), username, csrf, now_iso(), now_iso()))
        return sid, csrf

    def session(self, sid: str, *, max_idle_hours: float = 12) -> dict[str, Any] | None:
        """The session (``username``, ``csrf``) if it exists and was used recently."""
        limit = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=max_idle_hours)).isoformat(
            timespec="seconds")
        with self.connect() as con:
            r = con.execute("SELECT * FROM sessions WHERE id_hash = ?", (token_hash(sid),)).fetchone()
            if r is None:
                return None
            if r["seen_at"] < limit:
                con.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(sid),))
                return None
            con.execute("UPDATE sessions SET seen_at = ? WHERE id_hash = ?", (now_iso(), token_hash(sid)))
        return dict(r)

    def drop_session(self, sid: str) -> None:
        with self.connect() as con:
            con.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(sid),))

    # -- login throttling -----------------------------------------------------------------
    def failures(self, key: str, since: float) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?",
                                   (key, since)).fetchone()[0])

    def add_failure(self, key: str, at: float) -> None:
        with self.connect() as con:
            con.execute("INSERT INTO login_failures VALUES (?, ?)", (key, at))
            con.execute("DELETE FROM login_failures WHERE at < ?", (at - 86400,))

    def clear_failures(self, key: str) -> None:
        with self.connect() as con:
            con.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    # -- audit log ------------------------------------------------------------------------
    def log(self, username: str | None, action: str, detail: str = "") -> None:
        """Add a line to the audit log (who did what, when)."""
        with self.connect() as con:
            con.execute("INSERT INTO audit (at, username, action, detail) VALUES (?, ?, ?, ?)",
                        (now_iso(), username, action, detail))

    def audit(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))]

    # -- uploads --------------------------------------------------------------------------
    def record_upload(self, partner: str, stored_name: str, original_name: str, username: str | None,
                      size: int, sha256: str, outcome: str) -> int:
        """Remember which partner sent a file; a resend of the same name replaces the entry."""
        with self.connect() as con:
            con.execute(
                "INSERT INTO uploads (partner, stored_name, original_name, username, uploaded_at, bytes, "
                "sha256, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(stored_name) DO UPDATE SET "
                "original_name = excluded.original_name, username = excluded.username, "
                "uploaded_at = excluded.uploaded_at, bytes = excluded.bytes, sha256 = excluded.sha256, "
                "outcome = excluded.outcome",
                (partner, stored_name, original_name, username, now_iso(), size, sha256, outcome))
            return int(con.execute("SELECT id FROM uploads WHERE stored_name = ?", (stored_name,)).fetchone()[0])

    def uploads(self, partner: str | None = None) -> list[dict[str, Any]]:
        """Uploaded files, all partners (None) or one."""
        with self.connect() as con:
            if partner is None:
                rows = con.execute("SELECT * FROM uploads ORDER BY partner, stored_name")
            else:
                rows = con.execute("SELECT * FROM uploads WHERE partner = ? ORDER BY stored_name", (partner,))
            return [dict(r) for r in rows]

    def upload(self, upload_id: int) -> dict[str, Any] | None:
        with self.connect() as con:
            r = con.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        return dict(r) if r else None

    # -- corrections ----------------------------------------------------------------------
    def set_correction(self, key: tuple[str, str, str, str], address: str, town: str | None,
                       original: str | None, username: str | None) -> None:
        with self.connect() as con:
            con.execute("INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*key, address, town, original, username, now_iso()))

    def drop_correction(self, key: tuple[str, str, str, str]) -> None:
        with self.connect() as con:
            con.execute("DELETE FROM corrections WHERE partner = ? AND report_id = ? AND month = ? "
                        "AND source_file = ?", key)

    def corrections(self) -> pd.DataFrame:
        """All corrections (the table :func:`fragmap.pipeline.run` takes as ``address_corrections``)."""
        import pandas as pd

        with self.connect() as con:
            return pd.read_sql_query("SELECT * FROM corrections ORDER BY at", con)

    # -- publications ---------------------------------------------------------------------
    def add_publication(self, month: str, folder: str, username: str | None, summary: str) -> int:
        with self.connect() as con:
            con.execute("UPDATE publications SET current = 0")
            cur = con.execute("INSERT INTO publications (month, folder, username, at, summary, current) "
                              "VALUES (?, ?, ?, ?, ?, 1)", (month, folder, username, now_iso(), summary))
            return int(cur.lastrowid or 0)

    def set_current(self, pub_id: int) -> None:
        with self.connect() as con:
            con.execute("UPDATE publications SET current = (id = ?)", (pub_id,))

    def publications(self) -> list[dict[str, Any]]:
        with self.connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM publications ORDER BY id DESC")]

    def publication(self, pub_id: int) -> dict[str, Any] | None:
        with self.connect() as con:
            r = con.execute("SELECT * FROM publications WHERE id = ?", (pub_id,)).fetchone()
        return dict(r) if r else None
