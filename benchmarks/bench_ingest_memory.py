"""Intake memory (issue #14 item 10, issue #16): peak memory of reading and of ingesting a
large cp1252 ';' CSV, as a multiple of the file size (goal: under 4x).

Each step runs in a fresh process; the figure is its peak resident memory minus that of
the same process after the imports (Python, pandas, fragmap), divided by the file size.

Steps: ``read`` and ``validate`` use the whole-file API (``read_table``, ``validate``: the
desk's preview, notebooks); ``stream`` reads and validates a chunk at a time
(``open_table`` + ``Validator``) without storing; ``ingest`` is what ``fragmap ingest`` and
``fragmap run`` do: read, validate and store a chunk at a time (the goal applies to it).

Usage: python benchmarks/bench_ingest_memory.py [MB]   (default 200)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import datetime as dt, resource, sys, dataclasses
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from _common import demo_settings
from fragmap.ingest import ingest_files
from fragmap.io.store import Store
from fragmap.io.tables import read_table
from fragmap.reports import validate
import fragmap.geocode  # noqa: F401  (what a run imports anyway)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step, path = sys.argv[1], Path(sys.argv[2])
s = demo_settings(path.parent / "tmp")
if step == "read":
    t = read_table(path)
    n = len(t.frame)
elif step == "validate":
    t = read_table(path)
    r = validate(t.frame, s, source_file=path.name, today=dt.date(2026, 11, 24))
    n = len(r.accepted)
elif step == "stream":
    from fragmap.io.tables import open_table
    from fragmap.reports import Validator
    stream = open_table(path)
    v = Validator(stream.columns, s, source_file=path.name, today=dt.date(2026, 11, 24), drop_empty_unnamed=True)
    n = 0
    for chunk in stream:
        n += len(v.add(chunk)[0])
    v.finish()
else:
    r = ingest_files([path], s, store=Store(s.paths.store), today=dt.date(2026, 11, 24), town_polygons=None)
    n = r.summary()["accepted"]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(base, peak, n)
"""


def make_file(path: Path, mb: int) -> None:
    rng = np.random.default_rng(1)
    cats = ["Anziani", "Disabilità", "Fragilità economica", "Minori e migranti", "Contesto culturale"]
    partners = ["Auser Vigevano", "Anffas Pavia", "Le Torri", "Articolo 3", "La Barriera"]
    streets = ["V.le Matteotti", "C.SO CAVOUR", "p.zza Vittoria", "via s. giovanni bosco", "Corso Strada Nuova"]
    header = "ID segnalazione;Data;Indirizzo;Comune;Lat;Lon;Quartiere;Categoria;Associazione;Azione;Fascia età"
    target = mb * 1024**2
    with open(path, "wb") as fh:
        fh.write((header + "\r\n").encode("cp1252"))
        written, i = 0, 0
        while written < target:
            lines = []
            for _ in range(20_000):
                c = i % 5
                d = f"{rng.integers(1, 29):02d}/{rng.integers(1, 11):02d}/2026"
                coords = f"45,18{rng.integers(0, 9999):04d};9,15{rng.integers(0, 9999):04d}" if i % 4 == 0 else ";"
                lines.append(f"B-{i};{d};{streets[i % 5]} {i % 120 + 1};Pavia;{coords};;{cats[c]};{partners[c]};"
                             "sportello;65-74")
                i += 1
            chunk = ("\r\n".join(lines) + "\r\n").encode("cp1252")
            fh.write(chunk)
            written += len(chunk)


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"export_{mb}mb.csv"
        make_file(f, mb)
        size = f.stat().st_size
        print(f"file: {size / 1024**2:,.0f} MB", flush=True)
        for step in ("read", "validate", "stream", "ingest"):
            out = subprocess.run([sys.executable, "-c", CHILD, step, str(f), str(Path(__file__).parent)],
                                 capture_output=True, text=True, cwd=ROOT, check=False)
            if out.returncode != 0:
                print(f"{step}: failed\n{out.stderr[-2000:]}")
                continue
            base, peak, n = (int(x) for x in out.stdout.split()[-3:])
            extra = (peak - base) * 1024  # ru_maxrss is in KiB on Linux
            print(f"{step:<9} rows {n:>10,}  peak {peak / 1024:8,.0f} MB  above imports "
                  f"{extra / 1024**2:8,.0f} MB  = {extra / size:5.1f} x file size", flush=True)
            if step == "ingest":
                print(f"goal (issues 14, 16): ingest under 4x the file size -> {extra / size:.1f}x")


if __name__ == "__main__":
    main()
