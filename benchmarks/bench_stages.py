"""Stage-by-stage timing of the demo's monthly run (issue 16, Speed).

Prints wall-clock seconds per pipeline stage (from the ``on_step`` callback's
timestamps) for:

1. a cold forced run (empty private folder: store, gazetteer and caches in tmp);
2. an unchanged run (the up-to-date check that skips the work);
3. a second forced run (warm store and caches);
4. ``fragmap run`` on the unchanged month in a fresh interpreter (imports included);

then the slowest imports of ``import fragmap.pipeline`` (``python -X importtime``).

Goals (issue 16): forced demo run under 4 s, unchanged month under 0.3 s.
Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_stages.py``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _timed_run(label: str, settings: Any, *, force: bool) -> float:
    from fragmap.pipeline import run

    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    result = run(settings, force=force, on_step=lambda name, _fig: marks.append((name, time.perf_counter())))
    total = time.perf_counter() - t0
    print(f"\n{label}: {total:.2f} s" + ("  (up to date, skipped)" if result.up_to_date else ""))
    previous = t0
    for name, when in marks:  # a stage's time is from the previous callback to its own
        print(f"    {name:<12} {when - previous:7.2f} s")
        previous = when
    print(f"    {'(after)':<12} {t0 + total - previous:7.2f} s")
    return total


def _import_offenders(n: int = 12) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import fragmap.pipeline"],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    print(f"\nimport fragmap.pipeline: {wall:.2f} s wall (fresh interpreter); cumulative top {n}:")
    for us, name in rows[:n]:
        print(f"    {us / 1e6:7.2f} s  {name.strip()}")


def _cli_unchanged(settings: Any) -> None:
    """``fragmap run`` in a fresh interpreter on an unchanged month (what a coordinator waits for)."""
    from factories import demo_project_file

    from fragmap.cli import main as cli

    cfg = demo_project_file(settings)
    try:  # the project file's settings differ from the object's (paths): bring its folder up to date
        cli(["run", "--config", str(cfg), "--quiet"])
    except SystemExit as exc:
        assert not exc.code, exc.code
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "fragmap", "run", "--config", str(cfg), "--quiet"],
                              capture_output=True, text=True, env=env, check=False)
        best = min(best, time.perf_counter() - t0)
        assert proc.returncode == 0, proc.stderr
    print(f"\n4. `fragmap run` unchanged month, fresh interpreter (best of 3): {best:.2f} s")
    print(f"    {proc.stdout.strip()[:110]}")


def main() -> None:
    from factories import demo_project_settings

    tmp = Path(tempfile.mkdtemp(prefix="fragmap-stages-"))
    try:
        s = demo_project_settings(tmp)
        t_imp = time.perf_counter()
        import fragmap.pipeline  # noqa: F401

        print(f"import fragmap.pipeline in this process: {time.perf_counter() - t_imp:.2f} s")
        _timed_run("1. cold forced run (empty private folder)", s, force=True)
        _timed_run("2. unchanged run (up-to-date check)", s, force=False)
        _timed_run("3. second forced run (warm store and caches)", s, force=True)
        _cli_unchanged(s)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _import_offenders()


if __name__ == "__main__":
    main()
