"""Suppression speed, and the attacker over time (issues #14 item 11, #16 item 1).

1. ``publish()`` on 100 quarters x 24 months x every category, partner and action, without and
   with the protection over time (the LP attacker of :mod:`fragmap.disclosure` and the extra
   suppression it drives), and the run's audit over time on the result;
2. consecutive monthly publications of 20 quarters, each with the ledger of the earlier ones:
   per publication the time of ``publish`` and of the audit, the rounds of extra suppression,
   and the linear programs solved.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_privacy.py [n_publications]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, timed  # noqa: E402

import fragmap.disclosure as disclosure  # noqa: E402
from fragmap.io.released import released_cells  # noqa: E402
from fragmap.pipeline import month_range  # noqa: E402
from fragmap.privacy import audit_over_time, publish  # noqa: E402
from fragmap.settings import default_settings, load_settings  # noqa: E402


def _quarters(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"quarter_id": [f"Q{i:03d}" for i in range(n)], "name": [f"Q{i}" for i in range(n)],
                             "town": ["Pavia" if i < n // 2 else "Vigevano" for i in range(n)],
                             "population": rng.integers(300, 4000, n).astype(float), "pop_65": 100.0,
                             "population_estimated": True, "source": "griglia"},
                            geometry=[box(9.0 + 0.01 * (i % 10), 45.1 + 0.01 * (i // 10), 9.01 + 0.01 * (i % 10),
                                          45.11 + 0.01 * (i // 10)) for i in range(n)], crs=4326)


def _cube(s, q: gpd.GeoDataFrame, months: list[str], rng: np.random.Generator) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = [(qq, t, m, c.code, p, a) for qq, t in zip(q.quarter_id, q.town) for m in months
            for c in s.categories for p in c.partners for a in s.actions]
    cube = pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action"])
    cube["count"] = rng.poisson(0.3, len(cube))
    return cube


class _Rounds:
    """Counts the attacker's plays (one per round of extra suppression) and their programs."""

    def __init__(self) -> None:
        self.plays = self.programs = 0
        self.seconds = 0.0
        self._orig = disclosure.attack

    def __enter__(self) -> _Rounds:
        def counted(*a, **k):  # type: ignore[no-untyped-def]
            r = self._orig(*a, **k)
            self.plays += 1
            self.programs += r.programs
            self.seconds += r.seconds
            return r
        disclosure.attack = counted
        return self

    def __exit__(self, *exc: object) -> None:
        disclosure.attack = self._orig


def main() -> None:
    n_pubs = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    demo = load_settings(ROOT / "fragmap.toml")  # the demo network: the library names no town
    s = default_settings(ROOT).replace(towns=demo.towns, partners=demo.partners, categories=demo.categories)
    rng = np.random.default_rng(2)
    q = _quarters(100, rng)
    months = month_range("2026-10", 24)
    cube = _cube(s, q, months, rng)
    s = s.replace(start_date=months[0] + "-01")
    print(f"1. one publication: cube {len(cube):,} cells, {cube['count'].sum():,} reports, 100 quarters")
    kw = dict(months=month_range("2026-10", 12), synthetic=True, quarter_source="griglia")
    plain, _ = timed("   publish, suppression of each month only", lambda: publish(cube, q, s, protect_over_time=False, **kw))
    with _Rounds() as r:
        pub, _ = timed("   publish, with the protection over time", lambda: publish(cube, q, s, **kw))
    print(f"      {r.plays} plays of the attacker ({r.seconds:.2f} s), {r.programs:,} interval programs")
    rep, _ = timed("   audit over time (the run's check)", lambda: audit_over_time(pub, cube, s))
    print(f"      {rep.families} areas, {rep.targets:,} counts checked, {rep.programs:,} programs, "
          f"{len(rep.exposures)} exposed")
    before = audit_over_time(plain, cube, s)
    t, t0 = pub.table, plain.table
    print(f"      suppressed cells: {int(t0['suppressed'].sum()):,} -> {int(t['suppressed'].sum()):,} of {len(t):,}; "
          f"exposures without the protection: {len(before.exposures)}")

    print(f"\n2. {n_pubs} consecutive monthly publications, 20 quarters, each with the ledger of the earlier ones")
    q20 = _quarters(20, rng)
    all_months = month_range("2026-10", 35 + n_pubs)
    cube20 = _cube(s, q20, all_months, rng)
    s20 = s.replace(start_date=all_months[0] + "-01")
    ledger = None
    total = time.perf_counter()
    for end in all_months[-n_pubs:]:
        i = all_months.index(end)
        part = cube20[cube20["month"].isin(all_months[max(0, i - 47): i + 1])]
        with _Rounds() as r:
            t1 = time.perf_counter()
            p = publish(part, q20, s20, months=all_months[i - 11: i + 1], synthetic=True, quarter_source="griglia",
                        released=ledger)
            t_pub = time.perf_counter() - t1
        audit = audit_over_time(p, part, s20, released=ledger)
        print(f"   {end}: publish {t_pub:5.2f} s ({r.plays} plays, {r.programs:,} programs), "
              f"audit {audit.seconds:5.2f} s, exposed {len(audit.exposures)}, hidden {int(p.table['suppressed'].sum())}")
        rows = released_cells(p)
        ledger = rows if ledger is None else pd.concat([ledger, rows], ignore_index=True).drop_duplicates(
            ["level", "area_id", "category", "partner", "action", "month"], keep="last")
    print(f"   total {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
