"""Intake speed: a messy 100,000-row cp1252 ';' CSV read, validated (with the personal-data guard)
and stored, then ingested again unchanged and corrected (goal: under 5 s each)."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402

from fragmap.ingest import ingest_files  # noqa: E402
from fragmap.io.store import Store  # noqa: E402

N = 100_000


def make_file(path: Path) -> None:
    rng = np.random.default_rng(1)
    cats = ["Anziani", "Disabilità", "Fragilità economica", "Minori e migranti", "Contesto culturale", "disabilta"]
    partners = ["Auser Vigevano", "Anffas Pavia", "Le Torri", "Articolo 3", "La Barriera", "Genitori Dosso Verde"]
    streets = ["V.le Matteotti", "C.SO CAVOUR", "p.zza Vittoria", "via s. giovanni bosco", "Corso Strada Nuova"]
    lines = ["ID segnalazione;Data;Indirizzo;Comune;Lat;Lon;Quartiere;Categoria;Associazione;Azione;Fascia età"]
    for i in range(N):
        c = int(rng.integers(0, 6))
        d = f"{rng.integers(1, 29):02d}/{rng.integers(1, 11):02d}/2026" if i % 97 else "31/02/2026"
        coords = ("45,18%04d;9,15%04d" % (rng.integers(0, 9999), rng.integers(0, 9999))) if i % 4 == 0 else ";"
        lines.append(f"B-{i};{d};{streets[i % 5]} {i % 120 + 1};Pavia;{coords};;{cats[c]};{partners[c]};sportello;65-74")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        s = demo_settings(tmp)
        f = tmp / "export_100k.csv"
        make_file(f)
        store = Store(s.paths.store)
        res, t = timed(f"ingest {N:,} rows (read + validate + store), empty store",
                       lambda: ingest_files([f], s, store=store, today=dt.date(2026, 11, 24)))
        print(f"    {N / t:,.0f} rows/s; {res.summary()}")
        res2, t2 = timed("ingest the same file again (nothing changes)",
                         lambda: ingest_files([f], s, store=store, today=dt.date(2026, 11, 24)))
        print(f"    {N / t2:,.0f} rows/s; unchanged {res2.summary()['unchanged']:,}")
        lines = f.read_bytes().decode("cp1252").split("\r\n")
        for i in range(1, len(lines) - 1, 100):  # 1% of the rows corrected (another age band)
            lines[i] = lines[i].replace(";65-74", ";75+")
        f.write_bytes("\r\n".join(lines).encode("cp1252"))
        res3, t3 = timed("ingest a corrected version (1% of the rows changed)",
                         lambda: ingest_files([f], s, store=store, today=dt.date(2026, 11, 24)))
        s3 = res3.summary()
        print(f"    {N / t3:,.0f} rows/s; corrected {s3['updated']:,}, unchanged {s3['unchanged']:,}; "
              f"ledger {s3['ledger_rows']:,} rows")


if __name__ == "__main__":
    main()
