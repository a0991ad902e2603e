"""The privacy gate over time (issues #14 item 11 and #16 item 1): an attacker who keeps every
monthly publication, the ledger of what went out, the audit that refuses, and one door for every
field of a Publication."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_privacy import THRESHOLD, quarters_grid, random_cube

from fragmap import PrivacyError
from fragmap.disclosure import released
from fragmap.io.released import read_released, record_released, released_cells
from fragmap.privacy import audit_over_time, check_over_time, publish
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, TOTAL, UNASSIGNED, Publication

ROOT = Path(__file__).resolve().parent.parent


def _months(end: str, n: int) -> list[str]:
    return [str(pd.Period(end, freq="M") - i) for i in range(n - 1, -1, -1)]


def _crafted_cube(settings, q, *, n_months: int, seed: int = 11, lam: float = 0.35) -> pd.DataFrame:
    """A sparse cube ending 2026-10 with the case of issue #14 item 11 a year and a half before the
    end: a quarter and category silent for a year (a 12-month total of 0), then 3, 4 and 2 a month."""
    cube = random_cube(settings, q, months=n_months, seed=seed, lam=lam)
    ms = sorted(cube["month"].unique())
    crafted = (cube["quarter_id"] == "Q0") & (cube["category"] == "anziani")
    cube.loc[crafted, "count"] = 0
    first = crafted & (cube["partner"] == "auser_vigevano") & (cube["action"] == "sportello")
    k = len(ms) - 18
    cube.loc[first & (cube["month"] == ms[k]), "count"] = 3
    cube.loc[first & (cube["month"] == ms[k + 1]), "count"] = 4
    cube.loc[first & (cube["month"] >= ms[k + 3]), "count"] = 2
    return cube


def _consecutive(settings, q, cube: pd.DataFrame, n_pubs: int, ledger: Path, *, protect: bool = True):
    """``n_pubs`` monthly publications ending 2026-10, each run with the ledger of the earlier
    ones, kept as ``fragmap run`` keeps it (:mod:`fragmap.io.released`)."""
    ms = sorted(cube["month"].unique())
    pubs = []
    for end in ms[-n_pubs:]:
        i = ms.index(end)
        part = cube[cube["month"].isin(ms[max(0, i - 47): i + 1])]
        pub = publish(part, q, settings, months=ms[i - 11: i + 1], synthetic=True, quarter_source="griglia",
                      released=read_released(ledger), protect_over_time=protect)
        pubs.append(pub)
        record_released(ledger, pub)
    return pubs


def _attacker(pubs: list[Publication], cube: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The test's own attacker (independent of fragmap.disclosure): every 12-month total of an
    area that any of ``pubs`` gives away (shown cells, and the year-earlier totals of shown
    changes), as equations over the monthly counts per area x category; counts >= 0. Returns
    the monthly table ``c`` and ``bounds(target) -> (low, high)``."""
    from scipy import sparse
    from scipy.optimize import linprog

    c = cube.assign(area_id=np.where(cube["quarter_id"] == UNASSIGNED, UNASSIGNED + ":" + cube["town"],
                                     cube["quarter_id"]))
    c = c.groupby(["area_id", "category", "month"], as_index=False)["count"].sum()
    ms = sorted(c["month"].unique())
    pos = c["month"].map({m: i for i, m in enumerate(ms)}).to_numpy()
    keys = pd.concat([released(p.table) for p in pubs], ignore_index=True).drop_duplicates()
    keys = keys[keys["level"].isin(["quarter", UNASSIGNED])]
    rows, rhs = [], []
    x = c["count"].to_numpy(dtype=float)
    for r in keys.itertuples(index=False):
        if r.month not in ms or ms.index(r.month) < 11:
            continue
        i = ms.index(r.month)
        mask = (pos > i - 12) & (pos <= i) & (c["area_id"] == r.area_id).to_numpy()
        if r.category != TOTAL:
            mask &= (c["category"] == r.category).to_numpy()
        rows.append(sparse.csr_matrix(mask.astype(float)))
        rhs.append(float(x[mask].sum()))  # the published value (shown cells are exact)
    A, b = sparse.vstack(rows).tocsr(), np.array(rhs)

    def bounds(target: np.ndarray) -> tuple[float, float]:
        lo = linprog(target, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-target, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        return lo.fun, (-hi.fun if hi.status == 0 else np.inf)

    return c, bounds


@pytest.mark.parametrize("n_pubs", [6, 9, 12, 24])
def test_an_attacker_keeping_consecutive_publications_pins_nothing(settings, tmp_path: Path, n_pubs: int) -> None:
    """Issue #14 item 11: with 6, 9, 12 or 24 consecutive monthly publications (each run keeping
    the ledger of the earlier ones), an attacker solving every published equation at once pins no
    monthly count of the crafted cell (or of any quarter) to a value from 1 to 4, and confines no
    hidden 12-month total of the last publication to an interval narrower than the threshold."""
    q = quarters_grid(4)
    cube = _crafted_cube(settings, q, n_months=n_pubs + 35)
    s = dataclasses.replace(settings, start_date=min(cube["month"]) + "-01")
    ledger = tmp_path / "pubblicazioni.csv"
    pubs = _consecutive(s, q, cube, n_pubs, ledger)
    c, bounds = _attacker(pubs, cube)
    ms = sorted(c["month"].unique())
    horizon = ms[-(n_pubs + 23):]
    checked = crafted = 0
    # monthly counts under the threshold: never pinned
    for keys in (("area_id", "category", "month"), ("area_id", "month")):
        for vals, g in c[c["month"].isin(horizon)].groupby(list(keys)):
            truth = g["count"].sum()
            is_crafted = keys[1] == "category" and vals[:2] == ("Q0", "anziani")
            if not 0 < truth < THRESHOLD or (checked >= 40 and not is_crafted):
                continue
            target = np.zeros(len(c))
            target[g.index.to_numpy()] = 1.0
            lo, hi = bounds(target)
            assert lo <= truth + 1e-6 <= hi + 2e-6
            assert hi - lo >= 1 - 1e-6, f"{n_pubs} publications pin {keys}={vals} to {truth}"
            checked += 1
            crafted += is_crafted
    assert checked >= 20 and crafted >= 2
    # hidden 12-month totals of the last publication: an interval at least as wide as the threshold
    last = pubs[-1].table
    hidden = last[last["suppressed"] & last["level"].isin(["quarter", UNASSIGNED])]
    shown_before = released(pd.concat([p.table for p in pubs], ignore_index=True))
    was_shown = set(map(tuple, shown_before[["level", "area_id", "category", "partner", "action", "month"]].to_numpy()))
    pos = c["month"].map({m: j for j, m in enumerate(ms)}).to_numpy()
    n_hidden = 0
    for r in hidden.itertuples(index=False):
        if (r.level, r.area_id, r.category, r.partner, r.action, r.month) in was_shown:
            continue  # an earlier publication showed it
        i = ms.index(r.month)
        mask = (pos > i - 12) & (pos <= i) & (c["area_id"] == r.area_id).to_numpy()
        if r.category != TOTAL:
            mask &= (c["category"] == r.category).to_numpy()
        truth = float(c.loc[mask, "count"].sum())
        if truth > 2 * THRESHOLD - 2:
            continue
        lo, hi = bounds(mask.astype(float))
        low, high = int(np.ceil(lo - 1e-6)), int(np.floor(hi + 1e-6))
        if r.reason == "primary":  # printed "< 5": 1 to 4 is public; one value is not
            assert high > low, f"{n_pubs} publications pin hidden {r.area_id}/{r.category}/{r.month} ({truth:g})"
        else:  # "n.d.": nothing is public; an interval at least as wide as the threshold
            assert high - low >= THRESHOLD or low >= THRESHOLD or high == 0, (
                f"{n_pubs} publications confine hidden {r.area_id}/{r.category}/{r.month} ({truth:g}) "
                f"to [{low}, {high}]")
        n_hidden += 1
        if n_hidden >= 25:
            break
    assert n_hidden > 0
    # and the run's own audit agrees
    cm = sorted(cube["month"].unique())
    record = pd.concat([released_cells(p) for p in pubs[:-1]], ignore_index=True)
    earlier = tmp_path / "earlier.csv"
    for p in pubs[:-1]:
        record_released(earlier, p)
    report = audit_over_time(pubs[-1], cube[cube["month"].isin(cm[-48:])], s, released=read_released(earlier))
    assert report.ok, [e.describe() for e in report.exposures[:5]]
    assert len(record) and read_released(ledger)["published_in"].nunique() == n_pubs


def test_the_audit_refuses_a_publication_set_that_pins_a_monthly_count(settings) -> None:
    """A planted ledger: an earlier (faulty) publication showed the crafted cell's 12-month total
    the month after its 12-month total of 0. The difference is that month's count (3): the audit
    over time finds it and the run's check refuses, in Italian, without printing the count."""
    q = quarters_grid(4)
    cube = _crafted_cube(settings, q, n_months=36)
    ms = sorted(cube["month"].unique())
    s = dataclasses.replace(settings, start_date=ms[0] + "-01")
    pub = publish(cube, q, s, months=ms[-12:], synthetic=True, quarter_source="griglia")
    zero_month, next_month = ms[len(ms) - 19], ms[len(ms) - 18]
    crafted = (cube["quarter_id"] == "Q0") & (cube["category"] == "anziani")
    assert cube.loc[crafted & (cube["month"] == next_month), "count"].sum() == 3
    assert cube.loc[crafted & cube["month"].isin(ms[len(ms) - 30: len(ms) - 18]), "count"].sum() == 0
    assert audit_over_time(pub, cube, s).ok  # the gate's own publication is safe
    key = {"level": "quarter", "area_id": "Q0", "category": "anziani", "partner": ALL_PARTNERS, "action": ALL_ACTIONS}
    planted = pd.DataFrame([{**key, "month": zero_month, "suppressed": False, "published_in": "2025-10"},
                            {**key, "month": next_month, "suppressed": False, "published_in": "2025-11"}])
    report = audit_over_time(pub, cube, s, released=planted)
    assert not report.ok
    hit = [e for e in report.exposures if (e.area_id, e.category, e.month) == ("Q0", "anziani", next_month)]
    assert hit and hit[0].low == hit[0].high == 3
    with pytest.raises(PrivacyError, match="verifica sulla privacy nel tempo") as info:
        check_over_time(report, "it")
    assert "Q0" in str(info.value) and "3 " not in str(info.value).split("\n", 1)[1]
    with pytest.raises(PrivacyError, match="over time refused"):
        check_over_time(report, "en")


def test_the_ledger_keeps_what_went_out_and_a_hidden_cell_stays_hidden(settings, tmp_path: Path) -> None:
    q = quarters_grid(4)
    cube = random_cube(settings, q, months=36, seed=3, lam=0.4)
    ms = sorted(cube["month"].unique())
    s = dataclasses.replace(settings, start_date=ms[0] + "-01")
    pub = publish(cube[cube["month"] < ms[-1]], q, s, months=ms[-13:-1], synthetic=True, quarter_source="griglia")
    path = record_released(tmp_path / "pubblicazioni.csv", pub)
    ledger = read_released(path)
    assert ledger is not None and "count" not in ledger.columns
    # the values shown are kept (to tell an equation about data since changed); a hidden cell has none
    assert (ledger.loc[ledger["suppressed"], "value"] == "").all()
    assert (pd.to_numeric(ledger.loc[~ledger["suppressed"], "value"]) >= 0).all()
    assert set(pub.months) <= set(ledger["month"])
    # plant: the ledger says a shown cell of a month both publications show was hidden then
    t = pub.table
    shown = t[~t["suppressed"] & (t["level"] == "quarter") & (t["month"] == ms[-2]) & (t["value"] > 0)].iloc[0]
    k = ["level", "area_id", "category", "partner", "action", "month"]
    sel = (ledger[k] == shown[k].to_numpy()).all(axis=1)
    ledger.loc[sel, "suppressed"] = True
    nxt = publish(cube, q, s, months=ms[-12:], synthetic=True, quarter_source="griglia", released=ledger)
    again = nxt.table.set_index(k).loc[tuple(shown[k])]
    assert bool(again["suppressed"]) and again["reason"] == "history"
    assert read_released(tmp_path / "nothing.csv") is None


def test_publication_refuses_invalid_coverage_extras_and_fields(settings) -> None:
    q = quarters_grid(4)
    cube = random_cube(settings, q, months=24, seed=5, lam=0.4)
    ms = sorted(cube["month"].unique())
    pub = publish(cube, q, settings, months=ms[-12:], synthetic=True, quarter_source="griglia",
                  protect_over_time=False)
    good = pd.DataFrame({"area_id": ["Q0"], "category": ["anziani"], "method": ["test"], "share_within_5": [0.5],
                         "share_within_10": [1.0], "share_within_15": [1.0], "median_minutes": [6.0],
                         "suppressed": [False]})
    assert dataclasses.replace(pub, coverage=good).coverage is not None
    bad_coverage = [
        good.assign(n_reports=3),                                   # a count of reports
        good.assign(n_within_5=2),                                  # a count under any name
        good.assign(suppressed=True),                               # a hidden row with figures
        good.assign(share_within_10=1.5),                           # not a share
        good.drop(columns="suppressed"),                            # no suppression flag
        good.assign(median_minutes="sette"),                        # not a number
    ]
    for cov in bad_coverage:
        with pytest.raises(PrivacyError):
            dataclasses.replace(pub, coverage=cov)
    fi = pub.extras["fragility_index"]
    for extras in ({"counts": fi}, {"fragility_index": fi.assign(n_reports=4)},
                   {"fragility_index": fi.assign(index_value=250.0)}, {"quarter_areas": pub.areas}):
        with pytest.raises(PrivacyError):
            dataclasses.replace(pub, extras=extras)
    with pytest.raises(PrivacyError):
        dataclasses.replace(pub, threshold=2)
    with pytest.raises(PrivacyError):
        dataclasses.replace(pub, denominators={"anziani": "n_reports"})
    for field, value in (("language", "fr"), ("notes", "una nota"), ("labels", {"anziani": 3})):
        with pytest.raises((TypeError, ValueError)):
            dataclasses.replace(pub, **{field: value})
    # a cell changed after the checks is caught when a renderer verifies, coverage included
    p2 = dataclasses.replace(pub, coverage=good)
    with pytest.raises(ValueError):
        p2.coverage.loc[0, "share_within_5"] = 0.9  # read-only


def test_the_audit_runs_without_the_renderers() -> None:
    """The audit (files, map layers' public points, over time) imports no renderer: checked in a
    fresh interpreter's sys.modules."""
    code = r"""
import json, sys, tempfile, pathlib
sys.path.insert(0, "tests")
import geopandas as gpd, pandas as pd
from shapely.geometry import Point, box
from factories import demo_defaults
from test_privacy import quarters_grid, random_cube
from fragmap import privacy
s = demo_defaults(pathlib.Path("."))
q = quarters_grid(3)
cube = random_cube(s, q, months=24, seed=2, lam=0.4)
ms = sorted(cube["month"].unique())
pub = privacy.publish(cube, q, s, months=ms[-12:], synthetic=True, quarter_source="griglia")
rep = privacy.audit_over_time(pub, cube, s)
iso = gpd.GeoDataFrame({"minutes": [5]}, geometry=[box(9.1, 45.1, 9.11, 45.11)], crs=4326)
wn = gpd.GeoDataFrame({"rank": [1]}, geometry=[Point(9.1, 45.1)], crs=4326)
pts = privacy.layer_points(isochrones=iso, where_next=wn)
fp = privacy.fingerprint(pd.DataFrame({"lat": [45.2], "lon": [9.2]}), public_points=pts)
d = pathlib.Path(tempfile.mkdtemp())
(d / "a.html").write_text("<p>ciao</p>")
res = privacy.audit_folder(d, fp, s)
print(json.dumps({"ok": res.ok and rep.ok, "points": len(pts),
                  "mods": sorted(m for m in sys.modules if m in ("fragmap.maps", "fragmap.atlas", "folium",
                                                                    "fragmap.explore", "fragmap.charts"))}))
"""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ok"] and out["points"] >= 10
    assert out["mods"] == [], f"the audit imported a renderer: {out['mods']}"
