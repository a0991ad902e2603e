"""Year-on-year status speed: fragmap.change.classify_changes on a million pairs of counts.

A publication of 100 areas holds some 100,000 cells per month window; publish() classifies
every one of them, so the exact test must be vectorised (scipy.stats.binom, not binomtest
in a loop: that is timed on 2,000 pairs for comparison).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed  # noqa: E402

from fragmap.change import classify_changes  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    before = rng.poisson(30, n).astype(float)
    now = rng.poisson(before * rng.uniform(0.7, 1.4, n)).astype(float)
    before[rng.random(n) < 0.2] = np.nan  # hidden a year before
    out, dt = timed(f"classify_changes, {n:,} pairs", lambda: classify_changes(now, before))
    print(f"    {n / dt:,.0f} pairs/s; statuses: {out['status'].value_counts().to_dict()}")

    from scipy.stats import binomtest

    k = 2_000
    ok = ~np.isnan(before[:k])
    _, dt_loop = timed(f"scipy binomtest in a loop, {int(ok.sum()):,} pairs",
                       lambda: [binomtest(int(a), int(a + b), 0.5).pvalue
                                for a, b in zip(now[:k][ok], before[:k][ok]) if a + b > 0])
    print(f"    {ok.sum() / dt_loop:,.0f} pairs/s in a loop")


if __name__ == "__main__":
    main()
