"""Benchmark of the whole monthly job (`fragmap run`).

Prints wall-clock seconds for:
1. the demo project, cold (empty store, gazetteer and geocoding cache);
2. the demo project again with nothing changed (the up-to-date check);
3. the demo project rebuilt with --force on a warm store and cache;
4. a larger synthetic project: about 100 quarters x 24 months.

Goals (issue 9): demo under 20 s cold, under 5 s when nothing changed.
Run: ``.venv/bin/python benchmarks/bench_run.py``
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

from fragmap.pipeline import run
from fragmap.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def _private_copy(tmp: Path, **quarters: float) -> object:
    s = load_settings(ROOT / "fragmap.toml")
    paths = dataclasses.replace(
        s.paths,
        store=tmp / "private" / "store.sqlite",
        gazetteer=tmp / "private" / "gazetteer.gpkg",
        cache_dir=tmp / "private" / "cache",
        output=tmp / "maps",
    )
    s = dataclasses.replace(s, paths=paths)
    if quarters:
        s = dataclasses.replace(s, quarters=dataclasses.replace(s.quarters, **quarters))
    return s


def timed(label: str, fn) -> object:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<55} {time.perf_counter() - t0:7.2f} s")
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fragmap-bench-"))
    try:
        s = _private_copy(tmp)
        r = timed("demo, cold (empty store and caches)", lambda: run(s))
        c = r.manifest["counts"]
        print(f"    {c['accepted']} reports, {c['quarters']} areas, month {r.month}")
        timed("demo, nothing changed (up-to-date check)", lambda: run(s))
        timed("demo, forced rebuild, warm store and caches", lambda: run(s, force=True))

        big = tmp / "big"
        big.mkdir()
        s2 = _private_copy(big, hex_size_m=1000.0)
        r2 = timed("~100+ quarters (1 km hexagons) x 24 months, cold", lambda: run(s2))
        print(f"    {r2.manifest['counts']['quarters']} areas, "
              f"{r2.manifest['counts']['published_cells']} published cells")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
