"""Time to import fragmap.settings and load the demo project file, in a fresh interpreter
(what every `fragmap run` pays before it can tell that a month is unchanged).

Prints the best of N runs (wall clock and CPU time of the child process: CPU time is steadier
on a busy machine), for the settings and for a bare ``import pydantic.dataclasses`` (its share).
The settings before pydantic (hand-written coercion) took about 21 ms wall here on a quiet moment.

    python benchmarks/bench_settings.py [N]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOAD = ("import time; t = time.perf_counter(); from fragmap.settings import load_settings; "
        f"load_settings({str(ROOT / 'fragmap.toml')!r}); print(time.perf_counter() - t)")
PYDANTIC = "import time; t = time.perf_counter(); import pydantic.dataclasses; print(time.perf_counter() - t)"


def best(code: str, n: int) -> tuple[float, float]:
    """Best wall time (as printed by the child) and best CPU time of the child, in seconds."""
    env = {"PYTHONPATH": str(ROOT)}
    walls, cpus = [], []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(float(out.stdout))
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    start = time.perf_counter()
    for label, code in (("import fragmap.settings + load fragmap.toml", LOAD),
                        ("  of which import pydantic.dataclasses", PYDANTIC)):
        wall, cpu = best(code, n)
        print(f"{label:45s} {wall * 1000:6.0f} ms wall, {cpu * 1000:6.0f} ms CPU (whole process; best of {n})")
    print(f"({time.perf_counter() - start:.1f} s in all)")


if __name__ == "__main__":
    main()
