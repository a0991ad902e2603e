"""Town and network totals count every report of the town, also those in no area (#19.1)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from fragmap.aggregate import count_cube
from fragmap.privacy import publish
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, UNASSIGNED, unassigned_id

from test_privacy import THRESHOLD, quarters_grid

MONTHS = [str(pd.Period("2026-10", freq="M") - i) for i in range(23, -1, -1)]


def hand_reports(settings, *, per_quarter: int = 2, town_only: int = 1, no_town: int = 1) -> pd.DataFrame:
    """Every month: ``per_quarter`` reports in each of Q0..Q3 (town Pavia), ``town_only``
    reports of Pavia in no quarter, ``no_town`` reports of no known town in no quarter."""
    cat = settings.categories[0]
    rows = []
    for m in MONTHS:
        for q in ("Q0", "Q1", "Q2", "Q3"):
            rows += [(q, "Pavia", m)] * per_quarter
        rows += [(None, "Pavia", m)] * town_only
        rows += [(None, None, m)] * no_town
    df = pd.DataFrame(rows, columns=["quarter_id", "town", "month"])
    return df.assign(category=cat.code, partner=cat.partners[0], action=settings.actions[0])


def cell(pub, level: str, area_id: str, category: str = TOTAL) -> pd.Series:
    t = pub.cells(month=pub.month, level=level, category=category)
    return t[t["area_id"] == area_id].iloc[0]


def test_cube_counts_reports_in_no_quarter_in_their_town(settings) -> None:
    q = quarters_grid(4)
    cube = count_cube(hand_reports(settings), q, settings, months=MONTHS)
    by_place = cube.groupby(["quarter_id", "town"])["count"].sum()
    # 24 months x 2 per quarter; 24 x 1 of Pavia in no quarter; 24 x 1 of no town
    assert by_place[("Q0", "Pavia")] == 48
    assert by_place[(UNASSIGNED, "Pavia")] == 24
    assert by_place[(UNASSIGNED, NETWORK)] == 24
    assert cube["count"].sum() == 24 * (4 * 2 + 1 + 1)


def test_town_and_network_totals_count_every_report(settings) -> None:
    """By hand: a 12-month window holds 4 x 24 reports in areas, 12 of Pavia in no area and 12 of no
    town; Pavia's total is 108 and the network's 120 (before the fix: 96 and 96)."""
    q = quarters_grid(4)
    cube = count_cube(hand_reports(settings), q, settings, months=MONTHS)
    pub = publish(cube, q, settings, months=MONTHS[-12:], synthetic=True, quarter_source="griglia")
    assert cell(pub, "quarter", "Q0")["value"] == 24
    assert cell(pub, "town", "Pavia")["value"] == 4 * 24 + 12
    assert cell(pub, UNASSIGNED, unassigned_id("Pavia"))["value"] == 12
    assert cell(pub, UNASSIGNED, unassigned_id(NETWORK))["value"] == 12
    assert cell(pub, "network", NETWORK)["value"] == 4 * 24 + 12 + 12
    # the unassigned have no residents: no rate
    assert np.isnan(cell(pub, UNASSIGNED, unassigned_id("Pavia"))["rate_per_1000"])
    # town totals by partner and action count them too
    by_partner = pub.cells(month=pub.month, level="town", partner=None)
    assert by_partner.loc[by_partner["partner"] != ALL_PARTNERS, "value"].sum() == 108
    # every month of the table adds up: town = areas + unassigned, network = towns + no town
    t = pub.table[(pub.table["partner"] == ALL_PARTNERS) & (pub.table["action"] == ALL_ACTIONS)]
    for m, g in t[t["category"] == TOTAL].groupby("month"):
        v = g.set_index(["level", "area_id"])["value"]
        assert v[("town", "Pavia")] == v["quarter"].sum() + v[(UNASSIGNED, unassigned_id("Pavia"))], m
        assert v[("network", NETWORK)] == v[("town", "Pavia")] + v[(UNASSIGNED, unassigned_id(NETWORK))], m


def test_a_small_remainder_is_hidden_with_a_partner_cell(settings) -> None:
    """Two reports of Pavia in no area in the window: "town - sum of areas" would print 2. The
    remainder is hidden and so is another cell of the relation, so it cannot be computed."""
    q = quarters_grid(4)
    reports = hand_reports(settings, town_only=0, no_town=0)
    extra = reports.iloc[:2].assign(quarter_id=None, month=["2026-03", "2026-08"])
    cube = count_cube(pd.concat([reports, extra], ignore_index=True), q, settings, months=MONTHS)
    pub = publish(cube, q, settings, months=MONTHS[-12:], synthetic=True, quarter_source="griglia")
    rest = cell(pub, UNASSIGNED, unassigned_id("Pavia"))
    assert rest["suppressed"] and rest["reason"] == "primary"
    town = cell(pub, "town", "Pavia")
    areas = pub.cells(month=pub.month, level="quarter")
    assert town["suppressed"] or areas["suppressed"].any()
    if not town["suppressed"]:
        hidden_sum = town["value"] - areas.loc[~areas["suppressed"], "value"].sum()
        assert hidden_sum == 0 or hidden_sum >= THRESHOLD


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory):
    from factories import demo_project_settings

    from fragmap.pipeline import Project

    p = Project(demo_project_settings(tmp_path_factory.mktemp("totals")))
    p.ingest()
    return p


def test_demo_town_totals_match_the_store_by_hand(demo_project) -> None:
    """Count the store's reports of the window town by town; the published town totals agree."""
    from fragmap.pipeline import month_range

    p = demo_project
    pub = p.publication("2026-10")
    window = set(month_range("2026-10", 12))
    assigned = p.assigned("2026-10")
    quarter_town = dict(zip(p.build_quarters()["quarter_id"], p.build_quarters()["town"]))
    rows = assigned[assigned["month"].isin(window)]
    # a report's town: its quarter's when it has one, else the town it was reported in
    town = [quarter_town[q] if isinstance(q, str) else t for q, t in zip(rows["quarter_id"], rows["town"])]
    expected = pd.Series(town, dtype=object).dropna().value_counts()
    in_no_area = rows["quarter_id"].isna()
    assert in_no_area.sum() > 100  # the demo has reports placed only to the town, unknown quartiere...
    for name, n in expected.items():
        c = cell(pub, "town", str(name))
        assert c["suppressed"] or c["value"] == n, name
    net = cell(pub, "network", NETWORK)
    assert net["suppressed"] or net["value"] == len(rows)
    u = pub.cells(month=pub.month, level=UNASSIGNED)
    assert u.loc[~u["suppressed"], "value"].sum() <= in_no_area.sum()
    assert not u["suppressed"].all()


def test_pages_say_how_many_reports_are_in_no_area(demo_project) -> None:
    """The note (printed under the map's data table and on the atlas index) gives the shown
    remainders per town, and n.d. for a hidden one."""
    pub = demo_project.publication("2026-10")
    u = pub.cells(month=pub.month, level=UNASSIGNED)
    note = next(n for n in pub.notes if "in nessuna area" in n)
    for aid, v, hidden in zip(u["area_id"], u["value"], u["suppressed"]):
        town = aid.split(":", 1)[1]
        shown = "n.d." if hidden else f"{int(v):,}".replace(",", ".")
        assert f"{town} {shown}" in note or town == NETWORK


def test_the_note_prints_no_hidden_remainder() -> None:
    from fragmap.privacy import unassigned_note

    t = pd.DataFrame({"area_id": [unassigned_id("Pavia"), unassigned_id("Vigevano"), unassigned_id(NETWORK)],
                      "level": UNASSIGNED, "month": "2026-10", "category": TOTAL, "partner": ALL_PARTNERS,
                      "action": ALL_ACTIONS, "value": [np.nan, 40.0, 7.0], "suppressed": [True, False, False]})
    note = unassigned_note(t, "2026-10", "en")
    assert "Pavia n/a" in note and "Vigevano 40" in note and "of no known town (in the network total only): 7" in note
