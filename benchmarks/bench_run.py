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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402

from fragmap.pipeline import run  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fragmap-bench-"))
    try:
        s = demo_settings(tmp)
        r, _ = timed("demo, cold (empty store and caches)", lambda: run(s))
        c = r.manifest["counts"]
        print(f"    {c['accepted']} reports, {c['quarters']} areas, month {r.month}")
        timed("demo, nothing changed (up-to-date check)", lambda: run(s))
        timed("demo, forced rebuild, warm store and caches", lambda: run(s, force=True))

        big = tmp / "big"
        big.mkdir()
        s2 = demo_settings(big)
        s2 = dataclasses.replace(s2, quarters=dataclasses.replace(s2.quarters, hex_size_m=1000.0))
        r2, _ = timed("~100+ quarters (1 km hexagons) x 24 months, cold", lambda: run(s2))
        print(f"    {r2.manifest['counts']['quarters']} areas, "
              f"{r2.manifest['counts']['published_cells']} published cells")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
