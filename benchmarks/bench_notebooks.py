"""Benchmark of what each planner's notebook does first: ``Project.publication()``.

Prints wall-clock seconds for:
1. the first notebook: a new Project on an ingested demo store, publication built (and
   written to the private cache folder);
2. the next notebook: another new Project (another kernel), the publication loaded from
   the cache (its key computed, the file read, the privacy checks run again);
3. the key alone (input files hashed, store read), the floor of step 2;
4. the build with the cache folder emptied first (what every notebook paid before the cache).

Goal (issue 19, item 8): the second notebook well under the first one's build.
Run: ``.venv/bin/python benchmarks/bench_notebooks.py``
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed

from fragmap.io import pubcache
from fragmap.pipeline import Project


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fragmap-bench-"))
    try:
        s = demo_settings(tmp)
        Project(s).ingest()  # the store as the notebooks find it (each ingests, idempotent)
        month = Project(s).latest_month()
        first, t_build = timed("first notebook: publication built and cached", lambda: Project(s).publication())
        second, t_load = timed("next notebook: publication loaded from the cache",
                               lambda: Project(s).publication())
        assert second.table.equals(first.table), "the cached publication differs from the built one"
        p = Project(s)
        timed("  of which the cache key (inputs hashed, store read)", lambda: pubcache.publication_key(p, month))
        shutil.rmtree(pubcache.folder(s), ignore_errors=True)
        _, t_cold = timed("without the cache (cache folder emptied): built again", lambda: Project(s).publication())
        print(f"    {len(first.table)} published cells, {len(first.areas)} areas; next notebook "
              f"{t_cold / max(t_load, 1e-9):.0f}x faster than a warm build ({t_load:.2f} s vs {t_cold:.2f} s; "
              f"the first build, geocoding cache cold: {t_build:.2f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
