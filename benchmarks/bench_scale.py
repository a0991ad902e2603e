"""A month at ten times the demo (issue 16, Speed): about 50,000 reports and 300 areas.

Builds a SYNTHETIC workload (once; kept in the system's temporary folder) with the demo's own generator
(:func:`fragmap.demo.write_demo_data`, ``n_reports`` ten times the demo's; its files are
named ``segnalazioni_sintetiche_*``, as every synthetic file is), a hexagon grid fine enough
for about 300 areas, then times a forced monthly run stage by stage (the ``on_step``
timestamps, as :mod:`bench_stages` prints them) and prints the figures.

Goal (issue 16): under 15 s for the forced run.
Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py [n_reports] [hex_size_m]``
(defaults 50000 and 800; add ``--profile`` to print the slowest functions of the run).
"""

from __future__ import annotations

import cProfile
import dataclasses
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_stages  # noqa: F401  (puts tests/ on sys.path)

#: The demo generator's default report count (the demo has about 4,850 accepted).
DEMO_REPORTS = 5000


def build(tmp: Path, n_reports: int, hex_size_m: float):  # type: ignore[no-untyped-def]
    from factories import demo_project_settings

    from fragmap.demo import write_demo_data

    # generating 50,000 reports takes minutes: the workload is kept between runs (same seed,
    # same files) in the system's temporary folder
    data = Path(tempfile.gettempdir()) / f"fragmap-scale-data-{n_reports}"
    t0 = time.perf_counter()
    if not (data / "complete").exists():
        write_demo_data(data, n_reports=n_reports)
        (data / "complete").write_text("ok\n", encoding="utf-8")
    files = sorted(data.iterdir())
    reports = tuple(p for p in files if p.name.startswith("segnalazioni_sintetiche_"))
    size = sum(p.stat().st_size for p in reports)
    print(f"synthetic workload: {n_reports:,} reports in {len(reports)} files ({size / 1024**2:.1f} MB), "
          f"ready in {time.perf_counter() - t0:.1f} s in {data}", flush=True)
    s = demo_project_settings(tmp)
    services = tuple(data / p.name if p.name.startswith("servizi_rete_esempio") else p for p in s.paths.services)
    return dataclasses.replace(
        s,
        paths=dataclasses.replace(s.paths, reports=reports, services=services),
        quarters=dataclasses.replace(s.quarters, hex_size_m=hex_size_m),
    )


def _timed_run(label: str, settings, *, force: bool) -> float:  # type: ignore[no-untyped-def]
    """:func:`bench_stages._timed_run`, but a refusal of the audit still prints the stages' times
    (every stage up to the audit ran) and how many findings it had (never their values)."""
    from fragmap._errors import PrivacyError
    from fragmap.pipeline import run

    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    refused = None

    def step(name: str, figures: dict) -> None:  # type: ignore[type-arg]
        marks.append((name, time.perf_counter()))
        if name == "privacy":
            print(f"    (privacy: {figures.get('cells')} published cells)", flush=True)

    try:
        run(settings, force=force, on_step=step)
    except PrivacyError as exc:
        refused = exc
    total = time.perf_counter() - t0
    print(f"\n{label}: {total:.2f} s" + ("  (AUDIT REFUSED, see below)" if refused else ""), flush=True)
    previous = t0
    for name, when in marks:  # a stage's time is from the previous callback to its own
        print(f"    {name:<12} {when - previous:7.2f} s")
        previous = when
    print(f"    {'(after)':<12} {t0 + total - previous:7.2f} s")
    if refused is not None:
        lines = str(refused).splitlines()
        print(f"    the privacy audit refused to publish: {len(lines) - 1} finding(s), e.g. {lines[1].strip()[:90]}")
    return total


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n_reports = int(args[0]) if args else 10 * DEMO_REPORTS
    hex_size_m = float(args[1]) if len(args) > 1 else 800.0
    tmp = Path(tempfile.mkdtemp(prefix="fragmap-scale-"))
    try:
        s = build(tmp, n_reports, hex_size_m)
        t_imp = time.perf_counter()
        import fragmap.pipeline  # noqa: F401

        print(f"import fragmap.pipeline: {time.perf_counter() - t_imp:.2f} s")
        if "--profile" in sys.argv:
            prof = cProfile.Profile()
            prof.enable()
        total = _timed_run("forced run, 10x the demo, cold (empty private folder)", s, force=True)
        if "--profile" in sys.argv:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        warm = _timed_run("forced run, 10x the demo, warm store and caches", s, force=True)
        from fragmap.io.store import Store

        n = len(Store(s.paths.store).reports())
        print(f"\nstore: {n:,} accepted reports; areas: {_areas(s)}")
        print(f"goal (issue 16): under 15 s -> cold {total:.1f} s, warm {warm:.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _areas(s) -> int:  # type: ignore[no-untyped-def]
    """How many areas the hexagon grid gives (what the run assigned reports to)."""
    from fragmap.pipeline import Project

    return len(Project(s).build_quarters())


if __name__ == "__main__":
    main()
