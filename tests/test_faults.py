"""Fault injection (issue #14, item 9): damaged stores, read-only folders, a full disk, two runs
at once, memory exhaustion and ``kill -9`` during ingest and during the swap of ``maps/``.

Every failure must give a plain message naming the file and what to do, and leave the store
and the published folder as they were."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fragmap import InputFileError
from fragmap._errors import RunInProgressError, StoreError
from fragmap.ingest import ingest_files
from fragmap.io import guard, publish
from fragmap.io.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEADER = "ID segnalazione;Data;Indirizzo;Comune;Categoria;Associazione;Azione"


def report_file(path: Path, n: int, prefix: str = "R") -> Path:
    rows = [f"{prefix}-{i};{1 + i % 28:02d}/10/2026;Via Roma {1 + i % 90};Pavia;Anziani;Auser Vigevano;sportello"
            for i in range(n)]
    path.write_text("\r\n".join([HEADER, *rows]) + "\r\n", encoding="utf-8")
    return path


def ingest(settings, files, **kw):  # type: ignore[no-untyped-def]
    import datetime as dt

    return ingest_files(files, settings, store=Store(settings.paths.store), today=dt.date(2026, 11, 24),
                        town_polygons=None, write_ledger=False, **kw)


def quick_check(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        con.close()


def count_reports(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        con.close()


# -- damaged stores -----------------------------------------------------------------------------
def test_a_zero_byte_store_is_refused_not_silently_started_empty(tmp_path: Path) -> None:
    p = tmp_path / "store.sqlite"
    p.write_bytes(b"")
    with pytest.raises(StoreError, match="0 byte") as err:
        Store(p)
    assert str(p) in str(err.value) and "copia di sicurezza" in str(err.value)
    assert p.stat().st_size == 0  # left as it was, for whoever restores it


def test_a_corrupt_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    p = tmp_path / "store.sqlite"
    p.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError, match="danneggiato"):
        Store(p)
    with pytest.raises(StoreError, match="damaged"):
        Store(p, language="en")


def test_a_truncated_store_is_refused(tmp_path: Path, settings) -> None:
    ingest(settings, [report_file(tmp_path / "a.csv", 3000)])
    p = settings.paths.store
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="danneggiato"):
        Store(p)


def test_the_cli_says_the_store_is_damaged_without_a_traceback(tmp_path: Path) -> None:
    from factories import demo_project_file, demo_project_settings

    from fragmap.cli import main

    s = demo_project_settings(tmp_path)
    cfg = demo_project_file(s)
    s.paths.store.write_bytes(b"")
    f = report_file(tmp_path / "a.csv", 3)
    res = CliRunner().invoke(main, ["ingest", str(f), "--config", str(cfg)])
    assert res.exit_code == 1 and "0 byte" in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


# -- read-only folder, full disk, memory ------------------------------------------------------------
def test_a_read_only_private_folder_gives_a_plain_message(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "privato"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
    else:  # root ignores permissions: make the operating system's answer explicit
        real = Path.mkdir

        def refuse(self: Path, *a, **k):  # type: ignore[no-untyped-def]
            if self == folder or folder in self.parents:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *a, **k)

        monkeypatch.setattr(Path, "mkdir", refuse)
        monkeypatch.setattr(guard, "describe", guard.describe)  # unchanged: the real translation
        import tempfile

        monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(
            PermissionError(13, "Permission denied", str(folder))))
    try:
        with pytest.raises(StoreError, match="sola lettura"):
            Store(folder / "sub" / "store.sqlite")
    finally:
        folder.chmod(0o700)


def test_a_full_disk_names_the_real_cause_and_keeps_the_store(settings, tmp_path: Path, monkeypatch) -> None:
    ingest(settings, [report_file(tmp_path / "a.csv", 200)])
    before = count_reports(settings.paths.store)
    real = Store._connect

    def small_disk(self):  # type: ignore[no-untyped-def]
        con = real(self)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's own "disk is full"
        return con

    monkeypatch.setattr(Store, "_connect", small_disk)
    with pytest.raises(StoreError) as err:
        ingest(settings, [report_file(tmp_path / "b.csv", 5000, prefix="B")])
    msg = str(err.value)
    assert "disco è pieno" in msg and "rollback" not in msg and str(settings.paths.store) in msg
    monkeypatch.undo()
    assert quick_check(settings.paths.store) == "ok" and count_reports(settings.paths.store) == before


def test_running_out_of_memory_on_a_file_refuses_that_file_only(settings, tmp_path: Path, monkeypatch) -> None:
    from fragmap import ingest as ingest_mod

    big, small = report_file(tmp_path / "grande.csv", 5), report_file(tmp_path / "piccolo.csv", 5, "P")
    real = ingest_mod.open_table

    def oom(path, *a, **k):  # type: ignore[no-untyped-def]
        if Path(path).name == "grande.csv":
            raise MemoryError
        return real(path, *a, **k)

    monkeypatch.setattr(ingest_mod, "open_table", oom)
    res = ingest(settings, [big, small])
    assert "memoria" in res.files[0].refused and "grande.csv" in res.files[0].refused
    assert res.files[1].accepted == 5


def test_plain_failures_translate_memory_and_disk_errors() -> None:
    with pytest.raises(StoreError, match="memoria esaurita"):
        with guard.plain_failures("it"):
            raise MemoryError
    with pytest.raises(StoreError, match="disk is full"):
        with guard.plain_failures("en"):
            raise OSError(28, "No space left on device", "maps/mappa.html")
    with pytest.raises(InputFileError):  # fragmap's own errors pass unchanged
        with guard.plain_failures("it"):
            raise InputFileError("x")


# -- two runs at once ---------------------------------------------------------------------------------
HOLD_LOCK = """
import sys, time
from pathlib import Path
from fragmap.io.guard import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_run_is_told_a_run_is_in_progress(settings, tmp_path: Path) -> None:
    folder = settings.paths.store.parent
    holder = _child(HOLD_LOCK, str(folder), "60")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(RunInProgressError, match="in corso"):
            ingest(settings, [report_file(tmp_path / "a.csv", 3)])
        assert time.monotonic() - started >= 4  # it waited a little first
    finally:
        holder.kill()
        holder.wait()
    # killed with the lock held: the lock went with the process
    assert ingest(settings, [report_file(tmp_path / "a.csv", 3)]).files[0].accepted == 3


def test_the_cli_says_a_run_is_in_progress(tmp_path: Path) -> None:
    from factories import demo_project_file, demo_project_settings

    from fragmap.cli import main

    s = demo_project_settings(tmp_path)
    cfg = demo_project_file(s)
    holder = _child(HOLD_LOCK, str(s.paths.store.parent), "60")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        res = CliRunner().invoke(main, ["run", "--config", str(cfg), "--quiet"])
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 1 and "esecuzione di fragmap è in corso" in res.output
    assert "Traceback" not in res.output and not s.paths.output.exists()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with guard.run_lock(tmp_path), guard.run_lock(tmp_path):
        pass
    with guard.run_lock(tmp_path, wait_s=0):
        pass


# -- kill -9 -------------------------------------------------------------------------------------------
INGEST_FOREVER = """
import datetime as dt, sys
from pathlib import Path
from fragmap.ingest import ingest_files
from fragmap.io.store import Store
from fragmap.settings import default_settings
import dataclasses
s = default_settings(Path(sys.argv[3]))
s = dataclasses.replace(s, paths=dataclasses.replace(s.paths, store=Path(sys.argv[1])))
print("start", flush=True)
ingest_files([Path(sys.argv[2])], s, store=Store(s.paths.store), today=dt.date(2026, 11, 24))
print("done", flush=True)
"""


def test_kill_9_during_ingest_leaves_the_store_whole(tmp_path: Path) -> None:
    store = tmp_path / "private" / "store.sqlite"
    big = report_file(tmp_path / "grande.csv", 40_000)
    rng = random.Random(14)
    outcomes = set()
    for delay in [0.05, 0.6] + [rng.uniform(1.0, 6.0) for _ in range(4)]:
        child = _child(INGEST_FOREVER, str(store), str(big), str(ROOT))
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        if store.exists():
            # never a 0-byte or half-written store: it opens, checks clean, all or nothing
            Store(store)
            assert quick_check(store) == "ok"
            n = count_reports(store)
            assert n in (0, 40_000), n
            outcomes.add(n)
            print("kill after", round(delay, 2), "s:", n, "reports")
            if n:
                store.unlink()
                for extra in store.parent.glob("store.sqlite*"):
                    extra.unlink()
    assert outcomes  # at least one kill happened after the store existed


SWAP_FOREVER = """
import sys
from pathlib import Path
from fragmap.io.publish import staging_folder, swap_in
out = Path(sys.argv[1])
i = 0
print("start", flush=True)
while True:
    i += 1
    with staging_folder(out) as tmp:
        for k in range(400):
            (tmp / f"pagina-{k}.html").write_text(f"versione {i}", encoding="utf-8")
        (tmp / "manifest.json").write_text(f'{{"versione": {i}}}', encoding="utf-8")
        swap_in(tmp, out)
"""


def test_kill_9_during_the_swap_leaves_a_whole_publication(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    rng = random.Random(9)
    for _ in range(6):
        child = _child(SWAP_FOREVER, str(out))
        assert child.stdout is not None and child.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.3, 2.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        publish.recover(out)  # what every run does first
        publish.clean_stale_builds(out)
        if not out.exists():
            continue  # killed before the first swap
        pages = sorted(out.glob("pagina-*.html"))
        versions = {p.read_text(encoding="utf-8") for p in pages}
        assert len(pages) == 400 and len(versions) == 1, (len(pages), versions)
        assert f'"versione": {versions.pop().split()[-1]}' in (out / "manifest.json").read_text()
        assert not list(tmp_path.glob(".maps.build-*"))  # the killed run's staging is cleaned


def test_stale_staging_folders_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    stale = tmp_path / ".maps.build-abc123"
    (stale / "atlas").mkdir(parents=True)
    other = tmp_path / ".altro.build-x"
    other.mkdir()
    assert publish.clean_stale_builds(out) == [stale]
    assert not stale.exists() and other.exists() and out.exists()


def test_scarti_ledger_written_to_a_full_disk_gives_a_plain_message(settings, tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    from fragmap import ingest as ingest_mod

    def full(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device", str(settings.paths.store.parent / "scarti" / "scarti.csv"))

    monkeypatch.setattr(ingest_mod, "write_csv", full)
    with pytest.raises(StoreError, match="disco è pieno") as err:
        ingest_files([report_file(tmp_path / "a.csv", 3)], settings, store=Store(settings.paths.store),
                     today=dt.date(2026, 11, 24), town_polygons=None)
    assert "scarti.csv" in str(err.value)
    assert count_reports(settings.paths.store) == 3  # the reports were stored before the ledger




def test_threads_of_one_process_take_the_run_lock_in_turn(tmp_path: Path) -> None:
    """The desk's workers are threads: a second one waits for the first, it does not slip in."""
    import threading
    import time

    from fragmap.io.guard import run_lock

    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with run_lock(tmp_path):
            with run_lock(tmp_path):  # re-entrant in its own thread
                first_in.set()
                time.sleep(0.5)
                order.append("first done")

    def second() -> None:
        first_in.wait(5)
        with run_lock(tmp_path):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first done", "second in"]
