"""The project's run lock, and plain messages for the failures of the machine.

Two coordinators (or a scheduled task and a person) may start ``fragmap run`` at the same
time. :func:`run_lock` lets one of them in and tells the other that a run is in progress
(after waiting a little): the lock is an operating-system lock on a file beside the store,
so it goes away with the process, even after ``kill -9``.

:func:`plain_failures` turns what the machine throws (a read-only folder, a full disk, a
damaged SQLite file, memory exhaustion) into a :class:`~fragmap._errors.StoreError` whose
message names the file and says what to do, in the project language, never a traceback.

Examples
--------
>>> with run_lock(Path("data/private")), plain_failures("it"):   # doctest: +SKIP
...     ingest_files(files, settings, store=store)
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from fragmap._errors import FragmapError, RunInProgressError, StoreError
from fragmap.i18n import translate

#: Name of the lock file, in the private folder (beside the store).
LOCK_NAME = ".fragmap.lock"

_MESSAGES: dict[str, dict[str, str]] = {
    "busy": {
        "it": "un'altra esecuzione di fragmap è in corso su questo progetto (blocco {path}): "
              "attendere che finisca e riprovare",
        "en": "another fragmap run is in progress on this project (lock {path}): wait for it to "
              "finish and try again",
    },
    "read_only": {
        "it": "impossibile scrivere in {path}: la cartella o il file è in sola lettura o senza "
              "permessi; dare i permessi di scrittura (o scegliere un'altra cartella in fragmap.toml)",
        "en": "cannot write to {path}: the folder or file is read-only or not permitted; grant "
              "write permission (or choose another folder in fragmap.toml)",
    },
    "disk_full": {
        "it": "il disco è pieno (scrivendo {path}): liberare spazio e rilanciare; i dati già "
              "salvati e la mappa pubblicata non sono stati toccati",
        "en": "the disk is full (writing {path}): free some space and run again; the data "
              "already stored and the published map were not touched",
    },
    "locked": {
        "it": "l'archivio {path} è occupato da un altro programma (database is locked): chiudere "
              "gli altri programmi o notebook che lo usano e riprovare",
        "en": "the store {path} is in use by another program (database is locked): close the "
              "other programs or notebooks using it and try again",
    },
    "corrupt": {
        "it": "l'archivio {path} è danneggiato o non è un archivio fragmap ({what}): ripristinare "
              "una copia di sicurezza, oppure spostarlo altrove e reimportare i file delle "
              "associazioni con `fragmap ingest`",
        "en": "the store {path} is damaged or not a fragmap store ({what}): restore a backup, or "
              "move it away and ingest the partners' files again with `fragmap ingest`",
    },
    "empty_store": {
        "it": "l'archivio {path} è vuoto (0 byte): probabilmente è stato danneggiato (disco pieno, "
              "copia interrotta). Non parto da un archivio vuoto per non perdere dati: ripristinare "
              "una copia di sicurezza, oppure eliminarlo e reimportare i file con `fragmap ingest`",
        "en": "the store {path} is empty (0 bytes): it was probably damaged (full disk, "
              "interrupted copy). fragmap does not start from an empty store so as not to lose "
              "data: restore a backup, or delete it and ingest the files again with `fragmap ingest`",
    },
    "memory": {
        "it": "memoria esaurita durante l'esecuzione: chiudere altri programmi, oppure dividere i "
              "file delle segnalazioni (un mese per file) e rilanciare; nulla è stato pubblicato",
        "en": "out of memory during the run: close other programs, or split the report files "
              "(one month per file) and run again; nothing was published",
    },
    "os_error": {
        "it": "errore del sistema su {path}: {what}",
        "en": "system error on {path}: {what}",
    },
}

#: Locks this process holds: path -> (file, depth, owning thread). Re-entrant in the owning
#: thread (``run`` holds it and calls ``ingest``); another thread of this process (the desk's
#: workers) waits for it to be released, as another process would.
_held: dict[Path, tuple[IO[str], int, int]] = {}
_held_guard = threading.Condition()
#: How long a thread waits for another thread of the same process (its own queue of work).
SAME_PROCESS_WAIT_S = 1800.0


def _try_lock(fh: IO[str]) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh: IO[str]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def run_lock(folder: str | Path, *, language: str = "it", wait_s: float = 5.0) -> Iterator[Path]:
    """Hold the project's lock (``<folder>/.fragmap.lock``) for the block.

    Re-entrant within a process (``run`` holds it and calls ``ingest``, which takes it
    again). Another process waits up to ``wait_s`` seconds, then gets
    :class:`~fragmap._errors.RunInProgressError`. The operating system releases the lock
    when the holder dies, so a killed run never leaves the project locked.

    Parameters
    ----------
    folder : str or Path
        The private folder (the store's folder).
    language : str
        Language of the message.
    wait_s : float
        How long to wait for the other run before giving up.

    Yields
    ------
    Path
        The lock file.
    """
    folder = Path(folder)
    path = (folder / LOCK_NAME).resolve() if folder.exists() else folder / LOCK_NAME
    me = threading.get_ident()
    with _held_guard:
        if path in _held and _held[path][2] == me:
            fh, depth, _ = _held[path]
            _held[path] = (fh, depth + 1, me)
            reentered = True
        else:
            reentered = False
            # another thread of this process holds it: wait our turn (bounded)
            if not _held_guard.wait_for(lambda: path not in _held, timeout=SAME_PROCESS_WAIT_S):
                raise RunInProgressError(translate(_MESSAGES, "busy", language, path=path))
            _held[path] = (None, 0, me)  # type: ignore[assignment]  # reserved while we open the file
    if reentered:
        try:
            yield path
        finally:
            with _held_guard:
                fh, depth, owner = _held[path]
                _held[path] = (fh, depth - 1, owner)
        return
    try:
        with plain_failures(language, path=path):
            folder.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    except BaseException:
        _release(path)
        raise
    deadline = time.monotonic() + wait_s
    while not _try_lock(fh):
        if time.monotonic() >= deadline:
            fh.close()
            _release(path)
            raise RunInProgressError(translate(_MESSAGES, "busy", language, path=path))
        time.sleep(0.2)
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
    except OSError:
        pass
    with _held_guard:
        _held[path] = (fh, 1, me)
    try:
        yield path
    finally:
        try:
            _unlock(fh)
        finally:
            fh.close()
            _release(path)


def _release(path: Path) -> None:
    """Forget this process's hold on ``path`` and wake a thread waiting for it."""
    with _held_guard:
        _held.pop(path, None)
        _held_guard.notify_all()


def describe(exc: BaseException, language: str = "it", *, path: str | Path | None = None) -> str | None:
    """A plain message for a machine failure, or None when ``exc`` is not one.

    Parameters
    ----------
    exc : BaseException
        An ``OSError``, ``sqlite3.Error`` or ``MemoryError`` (others give None).
    language : str
        ``"it"`` or ``"en"``.
    path : str or Path, optional
        The file concerned when the exception does not name it (e.g. the store).

    Examples
    --------
    >>> describe(OSError(28, "No space left on device", "maps/x.html"), "en")
    'the disk is full (writing maps/x.html): free some space and run again; the data already stored and the published map were not touched'
    """
    where = str(getattr(exc, "filename", None) or path or "?")
    if isinstance(exc, MemoryError):
        return translate(_MESSAGES, "memory", language)
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "disk is full" in text:
            return translate(_MESSAGES, "disk_full", language, path=where)
        if "disk i/o" in text:
            return translate(_MESSAGES, "os_error", language, path=where, what=str(exc))
        if "locked" in text or "busy" in text:
            return translate(_MESSAGES, "locked", language, path=where)
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return translate(_MESSAGES, "read_only", language, path=where)
        return translate(_MESSAGES, "corrupt", language, path=where, what=str(exc))
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return translate(_MESSAGES, "disk_full", language, path=where)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or isinstance(exc, PermissionError):
            return translate(_MESSAGES, "read_only", language, path=where)
        return translate(_MESSAGES, "os_error", language, path=where,
                         what=exc.strerror or type(exc).__name__)
    return None


def store_message(key: str, language: str = "it", **values: object) -> str:
    """A message of this module by key (``empty_store``, ``corrupt``...), for the store."""
    return translate(_MESSAGES, key, language, **values)


@contextmanager
def plain_failures(language: str = "it", *, path: str | Path | None = None) -> Iterator[None]:
    """Turn machine failures inside the block into :class:`StoreError` with a plain message.

    Library errors (:class:`~fragmap._errors.FragmapError`) pass unchanged.
    """
    try:
        yield
    except FragmapError:
        raise
    except (OSError, sqlite3.Error, MemoryError) as exc:
        message = describe(exc, language, path=path)
        if message is None:  # pragma: no cover - describe knows every type caught here
            raise
        raise StoreError(message) from exc
