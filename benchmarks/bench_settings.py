"""Time to import fragmap.settings and load the demo project file, in a fresh interpreter
(what every `fragmap run` pays before it can tell that a month is unchanged).

Prints the best of N runs, and the same for a bare ``import pydantic`` (its share).

    python benchmarks/bench_settings.py [N]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOAD = ("import time; t = time.perf_counter(); from fragmap.settings import load_settings; "
        f"load_settings({str(ROOT / 'fragmap.toml')!r}); print(time.perf_counter() - t)")
PYDANTIC = "import time; t = time.perf_counter(); import pydantic.dataclasses; print(time.perf_counter() - t)"


def best(code: str, n: int) -> float:
    env = {"PYTHONPATH": str(ROOT)}
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                     env=env).stdout) for _ in range(n))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"import fragmap.settings + load fragmap.toml: {best(LOAD, n) * 1000:6.0f} ms (best of {n})")
    print(f"  of which import pydantic.dataclasses:     {best(PYDANTIC, n) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
