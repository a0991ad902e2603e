"""Year-on-year change: the exact test, the statuses, the count a year before and how they are shown.

Issue 19 item 3: a 12-month total of 5 that becomes 7 was painted red as "+40%". Here the pure
rule (fragmap.change), the publication's columns and their privacy checks, compare_months
against 12 months earlier checked by hand against the cube, and the change map, atlas, web
map and exports.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from factories import make_publication, with_previous_year
from matplotlib.colors import to_hex
from scipy.stats import binomtest
from shapely.geometry import box

from fragmap import PrivacyError
from fragmap.change import (
    CLASSES,
    FALL,
    MIN_BASE,
    NOT_COMPUTABLE,
    NOT_SIGNIFICANT,
    RISE,
    STABLE,
    change_classes,
    classify_changes,
    p_values,
    status_label,
    year_on_year,
)
from fragmap.explore import (
    CHANGE_COLOURS,
    CHANGE_HATCHES,
    compare_months,
    plot_choropleth,
    quarter_figures,
)
from fragmap.classify import PATTERNS
from fragmap.publication import TOTAL, Publication

THRESHOLD = 5


# -- 1. the rule ------------------------------------------------------------------------------------
def test_five_to_seven_is_not_significant() -> None:
    r = year_on_year(7, 5)
    assert r.status == NOT_SIGNIFICANT and not r.significant
    assert r.change == pytest.approx(0.4)
    assert r.p_value == pytest.approx(binomtest(7, 12, 0.5).pvalue)
    assert change_classes([r.change], [r.status])[0] == CLASSES.index("not_significant")


@pytest.mark.parametrize(("current", "previous", "status", "cls"), [
    (60, 30, RISE, "rise_big"),
    (230, 200, NOT_SIGNIFICANT, "not_significant"),   # +15% on 200: p = 0.16
    (260, 200, RISE, "rise_big"),                     # +30%, p < 0.01
    (1200, 1000, RISE, "rise"),                       # +20% on a large base: significant, light red
    (50, 100, FALL, "fall_big"),
    (104, 100, STABLE, "stable"),
    (95, 100, STABLE, "stable"),
])
def test_significant_changes_and_stable_ones(current: int, previous: int, status: str, cls: str) -> None:
    r = year_on_year(current, previous)
    assert r.status == status
    assert r.significant == (status in (RISE, FALL))
    assert change_classes([r.change], [r.status])[0] == CLASSES.index(cls)


def test_a_base_under_the_minimum_is_never_significant() -> None:
    # 10 -> 25: the test alone says significant (p = 0.017), the base of 10 is under 20
    assert binomtest(25, 35, 0.5).pvalue < 0.05
    assert year_on_year(25, 10).status == NOT_SIGNIFICANT
    assert year_on_year(25, 10, min_base=10).status == RISE
    assert year_on_year(2 * MIN_BASE + 20, MIN_BASE).status == RISE  # the minimum itself is enough


@pytest.mark.parametrize(("current", "previous"), [(7, np.nan), (np.nan, 30), (30, 0), (0, 0), (None, 12)])
def test_not_computable_without_a_shown_base(current: float, previous: float) -> None:
    r = year_on_year(current, previous)
    assert r.status == NOT_COMPUTABLE and pd.isna(r.change) and pd.isna(r.p_value)
    assert change_classes([r.change], [r.status])[0] == -1


def test_p_values_are_the_exact_binomial_test() -> None:
    rng = np.random.default_rng(3)
    c, p = rng.integers(0, 120, 300), rng.integers(0, 120, 300)
    ref = [binomtest(int(a), int(a + b), 0.5).pvalue if a + b else 1.0 for a, b in zip(c, p)]
    assert np.allclose(p_values(c, p), ref, rtol=1e-9, atol=1e-12)
    out = classify_changes(c, p)
    assert set(out["status"]) <= {RISE, FALL, STABLE, NOT_SIGNIFICANT, NOT_COMPUTABLE}
    with pytest.raises(ValueError, match="min_base"):
        classify_changes([1], [1], min_base=0)


def test_labels_in_both_languages() -> None:
    assert status_label(STABLE) == "stabile" and status_label(NOT_COMPUTABLE) == "non calcolabile"
    assert status_label(NOT_SIGNIFICANT, "en") == "change not significant"
    assert status_label(STABLE) != status_label(NOT_COMPUTABLE)


# -- 2. a publication with hand-set changes -----------------------------------------------------------
#: Reference-month 12-month totals per quarter: (now, a year before); None = hidden.
PAIRS = {
    "PV-01": (7, 5),        # the case: +40%, not significant
    "PV-02": (60, 30),      # significant rise
    "PV-03": (104, 100),    # stable
    "PV-04": (40, None),    # hidden a year before
    "PV-05": (30, 0),       # no base
    "PV-06": (25, 10),      # base under the minimum
    "PV-07": (50, 100),     # significant fall
    "PV-08": (None, 30),    # hidden now: no count a year before either
    "PV-09": (0, 0),
}


def _yoy_pub(language: str = "it") -> Publication:
    pub = make_publication(language=language)
    t = pub.table.copy()
    prev = np.full(len(t), np.nan)
    for area, (now, before) in PAIRS.items():
        m = ((t["area_id"] == area) & (t["month"] == pub.month) & (t["window"] == 12) & (t["category"] == TOTAL)
             ).to_numpy()
        assert m.sum() == 1
        if now is None:
            t.loc[m, ["suppressed", "reason"]] = [True, "primary"]
            t.loc[m, ["value", "rate_per_1000", "share_of_town"]] = np.nan
        else:
            t.loc[m, ["suppressed", "reason", "value"]] = [False, "", float(now)]
        prev[m] = np.nan if before is None else before
    return dataclasses.replace(pub, table=with_previous_year(t, prev))


def test_the_publication_carries_the_count_a_year_before_and_the_status() -> None:
    pub = _yoy_pub()
    q = quarter_figures(pub).set_index("area_id")
    assert q.loc["PV-01", "value_prev"] == 5 and q.loc["PV-01", "change_status"] == NOT_SIGNIFICANT
    assert q.loc["PV-02", "change_status"] == RISE and q.loc["PV-07", "change_status"] == FALL
    assert q.loc["PV-03", "change_status"] == STABLE
    for a in ("PV-04", "PV-05", "PV-08", "PV-09"):
        assert q.loc[a, "change_status"] == NOT_COMPUTABLE and pd.isna(q.loc[a, "change_yoy"])
    assert pd.isna(q.loc["PV-08", "value_prev"]) and pd.isna(q.loc["PV-08", "value"])


def test_check_table_refuses_a_small_count_a_year_before_or_a_change_from_a_hidden_count() -> None:
    pub = _yoy_pub()
    t = pub.table.copy()
    row = ((t["area_id"] == "PV-02") & (t["month"] == pub.month) & (t["window"] == 12) & (t["category"] == TOTAL))
    planted = t.copy()
    planted.loc[row, "value_prev"] = 3.0  # a count under the threshold, a year before
    with pytest.raises(PrivacyError, match="year before are under the privacy threshold"):
        dataclasses.replace(pub, table=planted)
    planted = t.copy()
    planted.loc[row, "value_prev"] = np.nan  # the base hidden, the change left: it would give the base back
    with pytest.raises(PrivacyError, match="not computed from the two shown counts"):
        dataclasses.replace(pub, table=planted)
    planted = t.copy()
    planted.loc[row, "change_yoy"] = 0.5  # not 60/30 - 1
    with pytest.raises(PrivacyError, match="not computed from the two shown counts"):
        dataclasses.replace(pub, table=planted)
    planted = t.copy()
    planted.loc[row, "change_status"] = FALL
    with pytest.raises(PrivacyError, match="status"):
        dataclasses.replace(pub, table=planted)
    hidden = (t["area_id"] == "PV-08") & (t["month"] == pub.month) & (t["window"] == 12) & (t["category"] == TOTAL)
    planted = t.copy()
    planted.loc[hidden, ["change_yoy", "change_status"]] = [1.0, RISE]
    with pytest.raises(PrivacyError):
        dataclasses.replace(pub, table=planted)
    planted = t.copy()
    planted.loc[hidden, "value_prev"] = 30.0  # a hidden cell shows nothing, not even its year before
    with pytest.raises(PrivacyError, match="suppressed cell"):
        dataclasses.replace(pub, table=planted)


def _drawn(fig) -> list[tuple[str, str | None, int]]:  # type: ignore[no-untyped-def]
    """(face colour, hatch, number of areas) of every filled collection of the map panels."""
    from matplotlib.collections import PatchCollection

    out = []
    for ax in fig.axes:
        for coll in ax.collections:
            if not isinstance(coll, PatchCollection):
                continue
            fc = coll.get_facecolor()
            if len(fc) == 0 or fc[0][3] == 0:
                continue  # outlines
            out.append((to_hex(fc[0]), coll.get_hatch(), len(coll.get_paths())))
    return out


def test_change_map_paints_only_significant_changes() -> None:
    pub = _yoy_pub()
    fig = plot_choropleth(pub, column="change_yoy")
    drawn = _drawn(fig)
    by = {}
    for colour, hatch, n in drawn:
        by[(colour, hatch)] = by.get((colour, hatch), 0) + n
    rise_big, rise = CHANGE_COLOURS[CLASSES.index("rise_big")], CHANGE_COLOURS[CLASSES.index("rise")]
    fall_big = CHANGE_COLOURS[CLASSES.index("fall_big")]
    stable = CHANGE_COLOURS[CLASSES.index("stable")]
    not_sig = CHANGE_COLOURS[CLASSES.index("not_significant")]
    assert by.get((rise_big, None)) == 1            # PV-02 only: 5 -> 7 and 10 -> 25 are not red
    assert (rise, None) not in by
    assert by.get((fall_big, None)) == 1            # PV-07
    assert by.get((stable, None)) == 1              # PV-03
    assert by.get((not_sig, CHANGE_HATCHES[CLASSES.index("not_significant")])) == 2   # PV-01, PV-06
    missing, hidden = PATTERNS["missing"], PATTERNS["primary"]
    assert by.get((missing.ground, missing.hatch)) == 3       # PV-04, PV-05, PV-09: not computable
    assert by.get((hidden.ground, hidden.hatch)) == 1         # PV-08
    # stable and not computable look different, and the legend names both
    assert (stable, None) != (missing.ground, missing.hatch) and stable != missing.ground
    legend = fig.legends[0] if fig.legends else next(a.get_legend() for a in fig.axes if a.get_legend())
    labels = [t.get_text() for t in legend.get_texts()]
    assert "stabile (entro ±10%, non significativa)" in labels
    assert any(lab.startswith("variazione non significativa") for lab in labels)
    assert any(lab.startswith("non calcolabile") for lab in labels)
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "test esatto di Poisson" in notes.replace("\n", " ")


def test_atlas_shows_the_year_before_and_tells_stable_from_not_computable(tmp_path: Path) -> None:
    from fragmap.atlas import render_atlas

    pub = _yoy_pub()
    render_atlas(pub, tmp_path, quality={"read": 10, "accepted": 10, "rejected": 0})

    def total_row(area: str) -> str:
        html = (tmp_path / "quartieri" / f"{area}.html").read_text(encoding="utf-8")
        assert "un anno prima</th>" in html
        rows = re.findall(r"<tr><th scope=\"row\">Totale</th>(.*?)</tr>", html, re.DOTALL)
        return rows[0]

    r1 = total_row("PV-01")
    assert 'data-fm-count="5"' in r1                                   # the count a year before, audited
    assert 'data-fm-change="non_significativa">+40% · non significativa<' in r1
    r3 = total_row("PV-03")
    assert 'data-fm-change="stabile">+4% · stabile<' in r3
    r4 = total_row("PV-04")
    assert 'data-fm-change="non_calcolabile">non calcolabile<' in r4 and "%" not in r4.split("data-fm-change")[1]
    r8 = total_row("PV-08")
    assert 'data-fm-count="suppressed"' in r8 and 'data-fm-count="30"' not in r8 and "non calcolabile" in r8
    css = next(tmp_path.rglob("*.css")).read_text(encoding="utf-8")
    assert 'data-fm-change="aumento"' in css


def test_web_map_tooltip_data_has_the_status_and_the_year_before() -> None:
    from fragmap.maps import render_map

    pub = _yoy_pub()
    html = render_map(pub)
    data = json.loads(re.search(r'<script type="application/json" id="fm-data">(.*?)</script>', html, re.DOTALL).group(1))
    ids = list(pub.areas.loc[pub.areas["level"] == "quarter", "area_id"])
    cell = data["cells"][pub.month][TOTAL]
    i = {a: str(ids.index(a)) for a in PAIRS}
    assert cell["yoy"][i["PV-01"]] == 40 and cell["yoyStatus"][i["PV-01"]] == NOT_SIGNIFICANT
    assert cell["yoyStatus"][i["PV-03"]] == STABLE and cell["n_prev"][i["PV-01"]] == 5
    assert i["PV-04"] not in cell["yoy"] and i["PV-04"] not in cell["n_prev"]
    assert "non calcolabile" in html and "yoyStatus" in html


def test_exports_carry_the_year_before_and_the_status() -> None:
    from fragmap.io.exports import export_table, period_text

    pub = _yoy_pub()
    ex = export_table(pub, month=pub.month)
    twelve = ex["periodo"] == period_text(pub.month, "it", 12)  # the 12-month totals, not window 1
    tot = ex[(ex["categoria"] == "Totale") & (ex["livello"] == "area") & twelve].set_index("codice")
    assert tot.index.is_unique
    assert tot.loc["PV-01", "segnalazioni un anno prima"] == 5
    assert tot.loc["PV-01", "andamento annuo"] == "variazione non significativa"
    assert tot.loc["PV-08", "segnalazioni"] == "< 5" and pd.isna(tot.loc["PV-08", "segnalazioni un anno prima"])
    assert pd.isna(tot.loc["PV-08", "variazione annua %"]) and tot.loc["PV-08", "andamento annuo"] == "non calcolabile"
    en = export_table(pub, month=pub.month, language="en")
    assert "reports a year before" in en.columns and "year-on-year trend" in en.columns


# -- 3. publish and compare_months, by hand against the cube -----------------------------------------
RATES = (0.012, 0.12, 0.24, 0.36, 0.24)  # per cube cell and month; Q4 doubles in the last 12 months


def _quarters(n: int = len(RATES)) -> gpd.GeoDataFrame:
    pops = [1000.0 + 500 * i for i in range(n)]
    return gpd.GeoDataFrame(
        {"quarter_id": [f"Q{i}" for i in range(n)], "name": [f"Q{i}" for i in range(n)], "town": "Pavia",
         "population": pops, "pop_65": [p * 0.25 for p in pops], "population_estimated": True, "source": "griglia"},
        geometry=[box(9.10 + 0.01 * i, 45.18, 9.11 + 0.01 * i, 45.19) for i in range(n)], crs=4326)


def _cube(settings, quarters: gpd.GeoDataFrame, *, months: int = 36, seed: int = 5) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """A cube of 36 months: quarter Q<i> has :data:`RATES`[i] reports per cell and month (Q0 a
    handful a year: hidden), and Q4's rate doubles in the last 12 months."""
    rng = np.random.default_rng(seed)
    ms = [str(pd.Period("2026-10", freq="M") - i) for i in range(months - 1, -1, -1)]
    rows = []
    for k, q in enumerate(quarters["quarter_id"]):
        for j, m in enumerate(ms):
            lam = RATES[k] * (2 if (q == "Q4" and j >= months - 12) else 1)
            for c in settings.categories:
                for p in c.partners:
                    for a in settings.actions:
                        rows.append((q, "Pavia", m, c.code, p, a, int(rng.poisson(lam))))
    return pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action", "count"])


def _window(cube: pd.DataFrame, month: str, quarter: str, category: str) -> int:
    ms = sorted(cube["month"].unique())
    i = ms.index(month)
    w = cube[cube["month"].isin(ms[i - 11: i + 1]) & (cube["quarter_id"] == quarter)]
    if category != TOTAL:
        w = w[w["category"] == category]
    return int(w["count"].sum())


@pytest.fixture(scope="module")
def by_hand():  # type: ignore[no-untyped-def]
    from factories import demo_defaults

    from fragmap.privacy import publish

    settings = demo_defaults(Path(__file__).resolve().parent.parent)
    q = _quarters()
    cube = _cube(settings, q)
    ms = sorted(cube["month"].unique())
    # the year-on-year figures as the suppression makes them; the attacker over time (which may
    # hide more cells, differently in a 12- and a 24-month publication) is tested on its own
    # in test_privacy_over_time.py
    pub12 = publish(cube, q, settings, months=ms[-12:], synthetic=True, quarter_source="griglia",
                    protect_over_time=False)
    pub24 = publish(cube, q, settings, months=ms[-24:], synthetic=True, quarter_source="griglia",
                    protect_over_time=False)
    return settings, cube, pub12, pub24


def test_value_prev_is_the_count_a_year_before_as_that_month_publishes_it(by_hand) -> None:  # type: ignore[no-untyped-def]
    _, _, pub12, pub24 = by_hand
    t24 = pub24.table
    key = ["area_id", "level", "window", "category", "partner", "action"]
    now = t24[t24["month"] == pub24.month]
    before = t24[t24["month"] == str(pd.Period(pub24.month, freq="M") - 12)].set_index(key)["value"]
    prev = before.reindex(pd.MultiIndex.from_frame(now[key])).to_numpy(dtype=float)
    prev[now["suppressed"].to_numpy(dtype=bool)] = np.nan  # a hidden cell shows no year before
    assert np.array_equal(pd.isna(prev), pd.isna(now["value_prev"].to_numpy(dtype=float)))
    shown = ~pd.isna(prev)
    assert np.array_equal(prev[shown], now["value_prev"].to_numpy(dtype=float)[shown])
    # the same figures in the 12-month publication, whose months do not reach a year back
    t12 = pub12.table[pub12.table["month"] == pub12.month].set_index(key)
    assert t12["value_prev"].reindex(pd.MultiIndex.from_frame(now[key])).equals(now.set_index(key)["value_prev"])
    # hidden a year before (some of them under the threshold): no count, no change
    assert (~shown).sum() > 0 and (now["suppressed"] | now["value_prev"].isna()).any()
    nan_prev = now["value_prev"].isna().to_numpy()
    assert now.loc[nan_prev, "change_yoy"].isna().all()
    assert (now.loc[nan_prev, "change_status"] == NOT_COMPUTABLE).all()
    vp = now["value_prev"].dropna()
    assert ((vp >= THRESHOLD) | (vp == 0)).all()


def test_compare_months_against_the_year_before_checked_by_hand(by_hand) -> None:  # type: ignore[no-untyped-def]
    _, cube, pub12, pub24 = by_hand
    m = pub12.month
    before = str(pd.Period(m, freq="M") - 12)
    assert before not in pub12.months  # the year before comes from the publication's value_prev
    seen = {"shown": 0, "hidden_prev": 0, "significant": 0}
    for cat in (TOTAL, "anziani"):
        cmp = compare_months(pub12, m, against="anno_precedente", category=cat)
        assert list(cmp.columns) == ["codice", "area", "comune", "segnalazioni ott 2025",
                                     "segnalazioni ott 2026", "differenza", "variazione %", "andamento",
                                     "p (test esatto)", "per 1.000 residenti ott 2025" if cat == TOTAL else
                                     "per 1.000 residenti over 65 ott 2025",
                                     "per 1.000 residenti ott 2026" if cat == TOTAL else
                                     "per 1.000 residenti over 65 ott 2026"]
        for row in cmp.itertuples(index=False):
            area = row[0]
            v_prev, v_now, status = row[3], row[4], row[7]
            true_prev, true_now = _window(cube, before, area, cat), _window(cube, m, area, cat)
            if not pd.isna(v_now):
                assert v_now == true_now
            if pd.isna(v_prev):
                seen["hidden_prev"] += 1
                assert status == "non calcolabile" and pd.isna(row[6])
                if 0 < true_prev < THRESHOLD:
                    continue  # a small count a year before is never shown
            else:
                assert v_prev == true_prev and (v_prev >= THRESHOLD or v_prev == 0)
            if not pd.isna(v_prev) and not pd.isna(v_now) and v_prev > 0:
                seen["shown"] += 1
                assert row[6] == round((true_now / true_prev - 1) * 100)
                expected = year_on_year(true_now, true_prev)
                assert status == status_label(expected.status)
                assert row[8] == pytest.approx(round(expected.p_value, 3))
                seen["significant"] += expected.significant
    assert seen["shown"] >= 3 and seen["hidden_prev"] >= 1 and seen["significant"] >= 1, seen
    # Q4 doubled: a significant rise, by hand; Q0's few reports a year before are hidden
    tot = compare_months(pub12, against="anno_precedente").set_index("codice")
    assert tot.loc["Q4", "andamento"] == "aumento"
    assert 0 < _window(cube, before, "Q0", TOTAL) < THRESHOLD and pd.isna(tot.loc["Q0", "segnalazioni ott 2025"])
    # the two-month form, a year apart, agrees with it
    two = compare_months(pub24, before, m).set_index("codice")
    assert two["andamento"].equals(tot["andamento"])
    assert two["segnalazioni ott 2025"].equals(tot["segnalazioni ott 2025"])
    # the old form (months not a year apart) keeps its columns
    old = compare_months(pub12, pub12.months[-2], m)
    assert "andamento" not in old.columns
    with pytest.raises(ValueError, match="ONE month"):
        compare_months(pub24, before, m, against="anno_precedente")
    with pytest.raises(ValueError, match="against="):
        compare_months(pub12, m, against="last_month")


def test_compare_months_default_is_the_reference_month_against_a_year_before(by_hand) -> None:  # type: ignore[no-untyped-def]
    _, _, pub12, _ = by_hand
    a = compare_months(pub12)
    b = compare_months(pub12, pub12.month, against="year_before", language="en")
    assert a.shape == b.shape and "trend" in b.columns and "reports Oct 2025" in b.columns
    assert np.array_equal(a.iloc[:, 3].to_numpy(dtype=float), b.iloc[:, 3].to_numpy(dtype=float), equal_nan=True)


def test_publish_status_is_the_rule_on_the_two_shown_counts(by_hand) -> None:  # type: ignore[no-untyped-def]
    _, _, pub12, _ = by_hand
    t = pub12.table
    both = t["value"].notna() & t["value_prev"].notna()
    expected = classify_changes(t.loc[both, "value"], t.loc[both, "value_prev"])["status"].to_numpy()
    assert np.array_equal(t.loc[both, "change_status"].to_numpy(), expected)
    assert (t.loc[~both, "change_status"] == NOT_COMPUTABLE).all()


def test_docstring_examples_run() -> None:
    import doctest

    import fragmap.change

    result = doctest.testmod(fragmap.change, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0
