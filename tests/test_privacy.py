"""The privacy gate attacked: differencing, category sums, consecutive months, rates, the audit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from fragmap import PrivacyError
from fragmap.privacy import audit_folder, audit_text, fingerprint, merge_small_areas, publish, publish_coverage, suppress
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, UNASSIGNED, Publication, unassigned_id

THRESHOLD = 5


def quarters_grid(n: int = 4, pops: list[float] | None = None) -> gpd.GeoDataFrame:
    pops = pops or [1000.0] * n
    return gpd.GeoDataFrame(
        {"quarter_id": [f"Q{i}" for i in range(n)], "name": [f"Q{i}" for i in range(n)], "town": "Pavia",
         "population": pops, "pop_65": [p * 0.25 for p in pops], "population_estimated": True, "source": "griglia"},
        geometry=[box(9.10 + 0.01 * i, 45.18, 9.11 + 0.01 * i, 45.19) for i in range(n)], crs=4326)


def random_cube(settings, quarters, *, months: int = 24, seed: int = 0, lam: float = 0.06,
                unassigned: bool = True) -> pd.DataFrame:
    """A cube as count_cube builds it: the quarters of Pavia, and (``unassigned``) the reports
    of Pavia in no quarter and those of no known town (``"rete"``), as many as a quarter's."""
    rng = np.random.default_rng(seed)
    ms = [str(pd.Period("2026-10", freq="M") - i) for i in range(months - 1, -1, -1)]
    places = [(q, "Pavia") for q in quarters["quarter_id"]]
    if unassigned:
        places += [(UNASSIGNED, "Pavia"), (UNASSIGNED, NETWORK)]
    rows = []
    for q, town in places:
        for m in ms:
            for c in settings.categories:
                for p in c.partners:
                    for a in settings.actions:
                        rows.append((q, town, m, c.code, p, a, int(rng.poisson(lam))))
    return pd.DataFrame(rows, columns=["quarter_id", "town", "month", "category", "partner", "action", "count"])


def place_mask(df: pd.DataFrame, level: str, area_id: str) -> np.ndarray:
    """Rows of a cube (``quarter_id``, ``town``) that a published cell of ``level``/``area_id`` sums."""
    if level == "quarter":
        return (df["quarter_id"] == area_id).to_numpy()
    if level == UNASSIGNED:
        return ((df["quarter_id"] == UNASSIGNED) & (unassigned_id("") + df["town"] == area_id)).to_numpy()
    if level == "town":
        return (df["town"] == area_id).to_numpy()
    return np.ones(len(df), dtype=bool)


def do_publish(settings, cube, quarters, months=12, **kw) -> Publication:
    ms = sorted(cube["month"].unique())[-months:]
    return publish(cube, quarters, settings, months=ms, synthetic=True, quarter_source="griglia", **kw)


@pytest.fixture(scope="module")
def published(request):
    from factories import demo_defaults

    settings = demo_defaults(Path(__file__).resolve().parent.parent)
    q = quarters_grid(4)
    cube = random_cube(settings, q)
    return settings, q, cube, do_publish(settings, cube, q)


def true_window(cube: pd.DataFrame, month: str) -> pd.DataFrame:
    ms = sorted(cube["month"].unique())
    i = ms.index(month)
    return cube[cube["month"].isin(ms[i - 11 : i + 1])]


def test_no_shown_count_under_the_threshold_and_values_are_true(published) -> None:
    settings, q, cube, pub = published
    t = pub.table
    shown = t[~t["suppressed"]]
    assert ((shown["value"] >= THRESHOLD) | (shown["value"] == 0)).all()
    assert t["suppressed"].any(), "the fixture must exercise suppression"
    # every shown quarter cell equals the true 12-month total
    for row in shown[(shown["level"] == "quarter")].head(50).itertuples():
        w = true_window(cube, row.month)
        w = w[w["quarter_id"] == row.area_id]
        if row.category != TOTAL:
            w = w[w["category"] == row.category]
        assert w["count"].sum() == row.value
    assert set(t["window"]) == {12}  # no single-month area counts are published


def test_suppressed_cells_carry_no_derived_figure(published) -> None:
    t = published[3].table
    sup = t[t["suppressed"]]
    assert sup[["value", "rate_per_1000", "change_yoy", "share_of_town"]].isna().all().all()


def _groups_of(t: pd.DataFrame):
    """Every additive relation a reader knows: (total row, part rows)."""
    key = {(r.month, r.level, r.area_id, r.category, r.partner, r.action): i for i, r in enumerate(t.itertuples())}
    out = []
    for (m, lvl, a), g in t.groupby(["month", "level", "area_id"]):
        tot = key.get((m, lvl, a, TOTAL, ALL_PARTNERS, ALL_ACTIONS))
        out.append((tot, [key[(m, lvl, a, c, ALL_PARTNERS, ALL_ACTIONS)] for c in g["category"].unique() if c != TOTAL]))
        for col, other in (("partner", ALL_PARTNERS), ("action", ALL_ACTIONS)):
            parts = [key[k] for k in key if k[:4] == (m, lvl, a, TOTAL) and k[4 if col == "partner" else 5] != other
                     and k[5 if col == "partner" else 4] == (ALL_ACTIONS if col == "partner" else ALL_PARTNERS)]
            if parts:
                out.append((tot, parts))
    for (m, c), g in t[t["level"] == "quarter"].groupby(["month", "category"]):
        tot = key.get((m, "town", "Pavia", c, ALL_PARTNERS, ALL_ACTIONS))
        rest = [key[k] for k in [(m, UNASSIGNED, unassigned_id("Pavia"), c, ALL_PARTNERS, ALL_ACTIONS)] if k in key]
        out.append((tot, [key[(m, "quarter", a, c, ALL_PARTNERS, ALL_ACTIONS)] for a in g["area_id"]] + rest))
    for (m, c, p, a), g in t[t["level"] == "town"].groupby(["month", "category", "partner", "action"]):
        tot = key.get((m, "network", NETWORK, c, p, a))
        rest = [key[k] for k in [(m, UNASSIGNED, unassigned_id(NETWORK), c, p, a)] if k in key]
        out.append((tot, [key[(m, "town", x, c, p, a)] for x in g["area_id"]] + rest))
    return [(a, b) for a, b in out if a is not None and b]


def test_no_suppressed_cell_can_be_recovered_by_subtraction(published) -> None:
    t = published[3].table.reset_index(drop=True)
    hidden = t["suppressed"].to_numpy()
    v = t["value"].to_numpy()
    for tot, parts in _groups_of(t):
        members = [tot, *parts]
        h = [i for i in members if hidden[i]]
        assert len(h) != 1, f"a single hidden cell in a sum: {t.loc[h[0], ['month', 'area_id', 'category']].tolist()}"
        if h and not hidden[tot]:
            rest = v[tot] - sum(v[p] for p in parts if not hidden[p])
            assert rest == 0 or rest >= THRESHOLD


def test_linear_programming_attacker_cannot_pin_a_small_count(published) -> None:
    """The strongest attack: all published equations at once, counts >= 0, min and max per hidden cell."""
    from scipy.optimize import linprog

    settings, q, cube, pub = published
    t = pub.table[pub.table["month"] == pub.month].reset_index(drop=True)
    # unknowns: the true cube cells of the last 12-month window (area x category x partner x action)
    w = true_window(cube, pub.month).groupby(["quarter_id", "town", "category", "partner", "action"],
                                             as_index=False)["count"].sum()
    x_true = w["count"].to_numpy(dtype=float)
    rows, rhs = [], []
    for r in t[~t["suppressed"]].itertuples():
        mask = place_mask(w, r.level, r.area_id)
        if r.category != TOTAL:
            mask &= (w["category"] == r.category).to_numpy()
        if r.partner != ALL_PARTNERS:
            mask &= (w["partner"] == r.partner).to_numpy()
        if r.action != ALL_ACTIONS:
            mask &= (w["action"] == r.action).to_numpy()
        rows.append(mask.astype(float))
        rhs.append(r.value)
    A, b = np.array(rows), np.array(rhs)
    assert np.allclose(A @ x_true, b)
    checked = 0
    for r in t[(t["suppressed"]) & t["level"].isin(["quarter", UNASSIGNED])].itertuples():
        target = (place_mask(w, r.level, r.area_id)
                  & ((w["category"] == r.category) | (r.category == TOTAL)).to_numpy()).astype(float)
        lo = linprog(target, A_eq=A, b_eq=b, bounds=(0, None), method="highs").fun
        hi = -linprog(-target, A_eq=A, b_eq=b, bounds=(0, None), method="highs").fun
        truth = float(target @ x_true)
        assert lo <= truth <= hi
        assert hi - lo >= 1 or truth == 0, f"{r.area_id}/{r.category} pinned to {truth}"
        checked += 1
    assert checked > 0


def test_two_consecutive_publications_cannot_be_differenced(published) -> None:
    settings, q, cube, pub = published
    from fragmap.io.released import released_cells

    older = do_publish(settings, cube[cube["month"] <= "2026-09"], q)
    # the run keeps the ledger of what the older one released (fragmap.io.released)
    pub = do_publish(settings, cube, q, released=released_cells(older))
    key = ["area_id", "level", "month", "window", "category", "partner", "action"]
    both = pub.table.merge(older.table, on=key, suffixes=("", "_old"))
    assert len(both) > 0
    # a month shown in both publications is shown the same way: same pattern, same values
    assert (both["suppressed"] == both["suppressed_old"]).all()
    assert ((both["value"] == both["value_old"]) | both["value"].isna()).all()
    # and no single-month count exists to difference rolling totals against
    assert set(pub.table["window"]) == {12} and set(older.table["window"]) == {12}


def test_rates_never_give_back_a_hidden_count(published) -> None:
    t = published[3].table
    assert t.loc[t["suppressed"], "rate_per_1000"].isna().all()
    shown = t[~t["suppressed"] & t["rate_per_1000"].notna() & (t["level"] == "quarter")]
    back = shown["rate_per_1000"] * 1000 / 1000  # population 1000
    assert ((back.round() >= THRESHOLD) | (back.round() == 0)).all()


def test_small_areas_are_merged_with_their_neighbour(settings) -> None:
    q = quarters_grid(4, pops=[1000, 100, 1000, 1000])
    areas, mapping = merge_small_areas(q, 250)
    assert len(areas) == 3 and mapping["Q1"] in ("Q0", "Q2")
    merged = areas[areas["merged"]].iloc[0]
    assert "Q1" in merged["name"] and "+" in merged["name"]
    assert merged["population"] == 1100
    cube = random_cube(settings, q, lam=1.0)
    pub = do_publish(settings, cube, q)
    assert "Q1" not in set(pub.table["area_id"])
    assert any("250" in n for n in pub.notes)


def test_zero_policy_and_threshold_setting(settings) -> None:
    hidden, reason = suppress(np.array([0, 3, 7, 10]), [(3, [0, 1, 2])], threshold=5, show_zero=True)
    assert hidden.tolist() == [False, True, True, False]  # 3 primary, 7 complementary
    assert reason.tolist() == ["", "primary", "secondary", ""]
    hidden, _ = suppress(np.array([0, 6, 6]), [], threshold=5, show_zero=False)
    assert hidden.tolist() == [True, False, False]


def test_hidden_parts_must_not_add_up_to_a_small_number() -> None:
    # total 20 shown; parts 2 and 1 hidden (primary) leave 3 known to be hidden: hide one more
    hidden, _ = suppress(np.array([20, 2, 1, 8, 9]), [(0, [1, 2, 3, 4])], threshold=5, show_zero=True)
    assert hidden.tolist() == [False, True, True, True, False]


def test_publication_refuses_unsafe_tables(published) -> None:
    pub = published[3]
    bad = pub.table.copy()
    i = bad.index[~bad["suppressed"]][0]
    bad.loc[i, "value"] = 2
    with pytest.raises(PrivacyError, match="under the privacy threshold"):
        dataclasses.replace(pub, table=bad)
    pts = pub.areas.copy()
    pts["geometry"] = pts.to_crs(32632).geometry.centroid.to_crs(4326)
    with pytest.raises(PrivacyError, match="polygons"):
        dataclasses.replace(pub, areas=pts)


def test_coverage_suppression(settings) -> None:
    q = quarters_grid(4)
    # without reports outside the quarters, the cell hidden to protect Q0 is another quarter's
    cube = _started_cube(settings, q, start="2024-11", end="2026-10", lam=0.4, seed=3, unassigned=False)
    q0 = (cube["quarter_id"] == "Q0") & (cube["category"] == "anziani")
    cube.loc[q0, "count"] = 0
    cube.loc[q0 & cube["month"].isin(["2026-05", "2026-09"]) & (cube["action"] == "sportello"), "count"] = 1
    pub = do_publish(settings, cube, q)
    cells = pub.cells(month=pub.month, level="quarter", category="anziani").set_index("area_id")
    shown = cells.index[~cells["suppressed"]].tolist()
    secondary = cells.index[cells["reason"] == "secondary"].tolist()
    assert shown and secondary, "the fixture must show some anziani cells and hide one to protect another"
    n = {a: int(v) if not np.isnan(v) else 30 for a, v in cells["value"].items()}  # a hidden cell may hold 30
    rows = []
    for a in q["quarter_id"]:
        rows.append({"quarter_id": a, "category": "anziani", "n_reports": n[a], "n_within_5": n[a] // 2,
                     "n_within_10": n[a] - 2, "n_within_15": n[a], "median_minutes": 6.0, "method": "x"})
    out = publish_coverage(pd.DataFrame(rows), pub, settings).set_index("area_id")
    ok = shown[0]
    assert out.loc[ok, "share_within_15"] == 1.0 and out.loc[ok, "median_minutes"] == 6.0
    assert np.isnan(out.loc[ok, "share_within_10"])  # 2 beyond 10 minutes would be computable
    for a in secondary:  # hidden to protect another cell: coverage must not undo that
        assert out.loc[a, ["share_within_5", "share_within_10", "share_within_15", "median_minutes"]].isna().all()
        assert out.loc[a, "suppressed"]
    assert not any(c.startswith("n_") for c in out.columns), "coverage publishes shares, never counts"


def test_coverage_follows_merged_areas(settings) -> None:
    q = quarters_grid(3, pops=[1000.0, 100.0, 1000.0])  # Q1 is merged into a neighbour
    cube = _started_cube(settings, q, start="2024-11", end="2026-10", lam=0.4)
    pub = do_publish(settings, cube, q)
    merged = pub.extras["quarter_areas"].set_index("quarter_id")["area_id"]
    assert merged["Q1"] != "Q1"
    cov = pd.DataFrame({"quarter_id": ["Q0", "Q1", "Q2"], "category": "anziani", "n_reports": 20,
                        "n_within_5": 10, "n_within_10": 15, "n_within_15": 20, "median_minutes": 5.0, "method": "x"})
    out = publish_coverage(cov, pub, settings)
    assert "Q1" not in set(out["area_id"])  # a quarter that is not published has no coverage row
    with pytest.raises(PrivacyError, match="per publication area"):
        publish_coverage(cov.assign(quarter_id=cov["quarter_id"].map(merged)), pub, settings)


# -- the audit -----------------------------------------------------------------------------------
@pytest.fixture
def private() -> object:
    reports = pd.DataFrame({"lat": [45.18765, np.nan], "lon": [9.15432, np.nan],
                            "address": ["Via Mentana 14, Pavia", "Via Roma"], "report_id": ["AUS-2026-0042", "7"]})
    return fingerprint(reports)


@pytest.mark.parametrize(
    "planted,kind",
    [
        ('{"lat": 45.18765, "lon": 9.15432}', "report coordinate"),
        ("[9.1543, 45.1877]", "report coordinate"),
        ("45,18765;9,15432", "report coordinate"),
        ("<td>via mentana 14 pavia</td>", "report address"),
        ("<td>AUS-2026-0042</td>", "report id"),
        ('<span class="fm-count" data-fm-count="3">3</span>', "count under threshold"),
        ('<script type="application/json">{"value": [12, 2, null]}</script>', "count under threshold"),
    ],
)
def test_audit_finds_each_leak(private, planted: str, kind: str) -> None:
    findings = audit_text("page.html", f"<html><body>{planted}</body></html>", private, threshold=5)
    assert [f.kind for f in findings] == [kind]
    assert "45.18765" not in str(findings[0]) and "AUS-2026-0042" not in str(findings[0])


def test_audit_passes_a_clean_folder_and_checks_csv_downloads(private, settings, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<p>Via Roma</p><span class="fm-count" data-fm-count="12">12</span>'
                                         '<span class="fm-count" data-fm-count="suppressed">&lt; 5</span> 7 45.1', encoding="utf-8")
    (tmp_path / "dati.csv").write_text("area_id;value\nQ1;12\nQ2;\n", encoding="utf-8")
    assert audit_folder(tmp_path, private, settings).ok
    (tmp_path / "dati.csv").write_text("area_id;value\nQ1;12\nQ2;4\n", encoding="utf-8")
    res = audit_folder(tmp_path, private, settings)
    assert not res.ok and res.findings[0].file == "dati.csv"


@pytest.mark.parametrize("column", ["segnalazioni", "n_reports", "Conteggio", "count", "segnalazioni un anno prima",
                                    "reports a year before", "anziani_segnalazioni_anno_prima", "n_prev"])
def test_audit_checks_counts_under_any_count_like_name(private, settings, tmp_path: Path, column: str) -> None:
    (tmp_path / "dati.csv").write_text(f"area_id,{column},rate\nQ1,12,3.5\nQ2,2,1.1\n", encoding="utf-8")
    res = audit_folder(tmp_path, private, settings)
    assert [f.kind for f in res.findings] == ["count under threshold"]
    (tmp_path / "dati.csv").unlink()
    (tmp_path / "dati.json").write_text(f'{{"areas": [{{"id": "Q1", "{column}": 3}}]}}', encoding="utf-8")
    assert not audit_folder(tmp_path, private, settings).ok


def test_audit_lists_images_it_cannot_check(private, settings, tmp_path: Path) -> None:
    import shutil

    import fragmap

    static = Path(fragmap.__file__).parent / "static" / "leaflet" / "images" / "layers.png"
    (tmp_path / "img").mkdir()
    shutil.copy(static, tmp_path / "img" / "layers.png")  # fragmap's own asset: known
    res = audit_folder(tmp_path, private, settings)
    assert res.ok and res.unchecked == []
    (tmp_path / "figura.png").write_bytes(b"\x89PNG\r\n\x1a\n not a fragmap asset")
    res = audit_folder(tmp_path, private, settings)
    assert res.unchecked == ["figura.png"]


def test_public_service_addresses_and_points_are_not_leaks() -> None:
    reports = pd.DataFrame({"lat": [45.1850], "lon": [9.1600], "address": ["C.so Strada Nuova 45"], "report_id": ["x"]})
    fp = fingerprint(reports, public_addresses=["CORSO STRADA NUOVA, 45"], public_points=[(45.1850, 9.1600)])
    assert not fp.addresses and not fp.coords


# -- the first year, and partners that join later ----------------------------------------------
def _monthly_attacker(pub: Publication, cube: pd.DataFrame, *, known_zero):
    """An attacker who knows every published 12-month total of one publication and which cube
    rows are zero for public reasons (``known_zero(cube) -> bool mask``: before the project's
    start, before a partner joined). Unknowns: the true monthly counts per quarter x category x
    partner x action. Returns a function giving the LP bounds (min, max, truth) of a target."""
    from scipy.optimize import linprog

    c = cube[cube["quarter_id"].isin(pub.areas["area_id"]) | (cube["quarter_id"] == UNASSIGNED)]
    x_true = c["count"].to_numpy(dtype=float)
    ms = sorted(c["month"].unique())
    rows, rhs = [], []
    for r in pub.table[~pub.table["suppressed"]].itertuples():
        i = ms.index(r.month)
        mask = c["month"].isin(ms[max(0, i - 11): i + 1]).to_numpy()
        mask &= place_mask(c, r.level, r.area_id)
        for col, every in (("category", TOTAL), ("partner", ALL_PARTNERS), ("action", ALL_ACTIONS)):
            if getattr(r, col) != every:
                mask &= (c[col] == getattr(r, col)).to_numpy()
        rows.append(mask.astype(float))
        rhs.append(r.value)
    A, b = np.array(rows), np.array(rhs)
    assert np.allclose(A @ x_true, b)
    ub = np.where(np.asarray(known_zero(c)), 0.0, np.inf)
    bounds = list(zip(np.zeros(len(ub)), ub))

    def bounds_of(target: np.ndarray) -> tuple[float, float, float]:
        lo = linprog(target, A_eq=A, b_eq=b, bounds=bounds, method="highs").fun
        hi = -linprog(-target, A_eq=A, b_eq=b, bounds=bounds, method="highs").fun
        return lo, hi, float(target @ x_true)

    return c, bounds_of


def _started_cube(settings, quarters, *, start: str, end: str, lam: float, late: dict[str, str] | None = None,
                  seed: int = 7, unassigned: bool = True) -> pd.DataFrame:
    """A cube over the 24 months ending at ``end`` with no report before ``start`` (as the pipeline
    builds it: zero rows for the months before the data begin), and partners in ``late`` that only
    begin reporting in the month given."""
    cube = random_cube(settings, quarters, seed=seed, lam=lam, unassigned=unassigned)
    ms = [str(pd.Period(end, freq="M") - i) for i in range(23, -1, -1)]
    cube["month"] = cube["month"].map(dict(zip(sorted(cube["month"].unique()), ms)))
    cube.loc[cube["month"] < start, "count"] = 0
    for partner, since in (late or {}).items():
        cube.loc[(cube["partner"] == partner) & (cube["month"] < since), "count"] = 0
    return cube


def test_windows_reaching_back_before_the_first_report_are_not_published(settings) -> None:
    """A 12-month total that reaches back before the data begin differs from the next one by a
    single month's count: two such totals side by side give that month away."""
    from fragmap import ValidationError

    q = quarters_grid(4)
    cube = _started_cube(settings, q, start="2024-11", end="2026-01", lam=0.5)
    pub = do_publish(settings, cube, q)
    # the first full window is Nov 2024 - Oct 2025
    assert pub.months[0] == "2025-10" and pub.month == "2026-01"
    assert set(pub.table["month"]) == set(pub.months)
    c, bounds_of = _monthly_attacker(pub, cube, known_zero=lambda c: c["month"] < "2024-11")
    checked = 0
    for (qid, cat, m), g in c.groupby(["quarter_id", "category", "month"]):
        truth = g["count"].sum()
        if m < "2024-11" or not 0 < truth < THRESHOLD:
            continue
        target = ((c["quarter_id"] == qid) & (c["category"] == cat) & (c["month"] == m)).to_numpy(dtype=float)
        lo, hi, _ = bounds_of(target)
        assert hi - lo >= 1, f"{qid}/{cat}/{m}: a monthly count of {truth} is pinned"
        checked += 1
    assert checked > 20
    # nothing at all can be published before a full year of reports exists
    early = _started_cube(settings, q, start="2024-11", end="2025-06", lam=0.5)
    with pytest.raises(ValidationError, match="2025-10"):
        do_publish(settings, early, q)


def test_a_partner_that_joins_later_is_not_given_away_by_differencing(settings) -> None:
    """Le Torri (the only partner of its category) starts reporting in March 2026: its totals of
    12 months that begin before then are partial, and two of them side by side would give away its
    monthly counts. They are hidden ("history") until its first full year."""
    q = quarters_grid(4)
    cube = _started_cube(settings, q, start="2024-11", end="2026-10", lam=0.8, late={"le_torri": "2026-03"})
    pub = do_publish(settings, cube, q)
    t = pub.table
    torri = t[(t["partner"] == "le_torri") | (t["category"] == "fragilita_economica")]
    assert len(torri) and torri["suppressed"].all()
    assert set(torri["reason"]) <= {"history", "primary"} and "history" in set(torri["reason"])
    # the other partners are published as usual
    assert not t[(t["partner"] == "anffas") & (t["level"] == "town")]["suppressed"].all()
    c, bounds_of = _monthly_attacker(
        pub, cube, known_zero=lambda c: (c["month"] < "2024-11") | ((c["partner"] == "le_torri") & (c["month"] < "2026-03")))
    for m in ("2026-03", "2026-06", "2026-10"):
        target = ((c["partner"] == "le_torri") & (c["month"] == m)).to_numpy(dtype=float)
        lo, hi, truth = bounds_of(target)
        assert truth > 0 and hi - lo >= 1, f"Le Torri's count for {m} ({truth}) is pinned"


# -- suppression over time: an attacker who keeps every monthly publication ----------------------------
def _equations(pubs: list[Publication], c: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Every shown 12-month total of every publication, as rows over the monthly cube ``c``."""
    from scipy import sparse

    ms = sorted(c["month"].unique())
    month_pos = c["month"].map({m: i for i, m in enumerate(ms)}).to_numpy()
    rows, rhs, seen = [], [], set()
    for pub in pubs:
        for r in pub.table[~pub.table["suppressed"]].itertuples():
            key = (r.area_id, r.level, r.month, r.category, r.partner, r.action)
            if key in seen:
                continue
            seen.add(key)
            i = ms.index(r.month)
            mask = (month_pos > i - 12) & (month_pos <= i) & place_mask(c, r.level, r.area_id)
            for col, every in (("category", TOTAL), ("partner", ALL_PARTNERS), ("action", ALL_ACTIONS)):
                if getattr(r, col) != every:
                    mask &= (c[col] == getattr(r, col)).to_numpy()
            rows.append(sparse.csr_matrix(mask.astype(float)))
            rhs.append(r.value)
    return sparse.vstack(rows).tocsr(), np.array(rhs, dtype=float)


def test_an_attacker_keeping_consecutive_publications_cannot_pin_a_monthly_count(settings) -> None:
    """Issue #14 item 11: two shown 12-month totals a month apart differ by one month in and one
    out; next to a shown 0 (a year with no report) that would give a month's count away. An
    attacker who keeps six consecutive monthly publications and solves all their equations at
    once (linear programming, counts >= 0, zero before the project's start) cannot pin any
    monthly count between 1 and 4 of a quarter, by category or in total."""
    from scipy.optimize import linprog

    q = quarters_grid(4)
    cube = _started_cube(settings, q, start="2024-11", end="2026-10", lam=0.35, seed=11)
    # the crafted case: a quarter and category silent for a year (a shown 0), then 3 and 4
    crafted = (cube["quarter_id"] == "Q0") & (cube["category"] == "anziani")
    cube.loc[crafted, "count"] = 0
    first = crafted & (cube["partner"] == "auser_vigevano") & (cube["action"] == "sportello")
    cube.loc[first & (cube["month"] == "2025-11"), "count"] = 3
    cube.loc[first & (cube["month"] == "2025-12"), "count"] = 4
    cube.loc[first & (cube["month"] >= "2026-02"), "count"] = 2
    ends = [str(pd.Period("2026-10", freq="M") - i) for i in range(5, -1, -1)]
    pubs = []
    for end in ends:
        window = [str(pd.Period(end, freq="M") - i) for i in range(23, -1, -1)]
        part = cube[cube["month"].isin(window)]
        pubs.append(publish(part, q, settings, months=window[-12:], synthetic=True, quarter_source="griglia"))
    # the crafted case: a 12-month total of 0 (shown), then totals of 5 or more that the
    # threshold alone would show, whose differences are the months' counts 2
    monthly = cube[crafted].groupby("month")["count"].sum()
    totals = monthly.rolling(12).sum().dropna()
    assert totals["2025-10"] == 0 and (totals["2026-02":"2026-09"] >= THRESHOLD).all()
    t0 = pubs[-1].table
    q0 = t0[(t0["level"] == "quarter") & (t0["area_id"] == "Q0") & (t0["category"] == "anziani")
            & (t0["partner"] == ALL_PARTNERS) & (t0["action"] == ALL_ACTIONS)].set_index("month")
    assert q0.loc["2025-11":"2026-09", "suppressed"].all() and (q0.loc["2026-02":"2026-09", "reason"] == "history").all()
    assert q0.loc["2026-10", "suppressed"]  # a full year after the zero: still hidden
    c = cube.reset_index(drop=True)
    A, b = _equations(pubs, c)
    x_true = c["count"].to_numpy(dtype=float)
    assert np.allclose(A @ x_true, b)
    ub = np.where((c["month"] < "2024-11").to_numpy(), 0.0, np.inf)
    bounds = list(zip(np.zeros(len(ub)), ub))
    checked, crafted_checked = 0, 0
    groups = [("quarter_id", "category", "month"), ("quarter_id", "month")]
    for keys in groups:
        for vals, g in c.groupby(list(keys)):
            truth = g["count"].sum()
            if not 0 < truth < THRESHOLD or vals[-1] < "2025-01":
                continue
            target = np.zeros(len(c))
            target[g.index.to_numpy()] = 1.0
            lo = linprog(target, A_eq=A, b_eq=b, bounds=bounds, method="highs").fun
            hi = -linprog(-target, A_eq=A, b_eq=b, bounds=bounds, method="highs").fun
            assert lo <= truth + 1e-6 and truth <= hi + 1e-6
            assert hi - lo >= 1, f"{keys}={vals}: a monthly count of {truth} is pinned by the publications"
            checked += 1
            crafted_checked += keys[1] == "category" and vals[:2] == ("Q0", "anziani")
            if checked >= 120:
                break
    assert checked >= 60 and crafted_checked >= 2


@pytest.mark.parametrize(("text", "found"), [
    ("<p>Via Roma, 12</p>", True),                 # case, punctuation and tags between the words
    ("VIA\nROMA 12", True),                         # at the very start and end of the text
    ("via roma 123", False),                        # a longer house number is another address
    ("xvia roma 12", False),                        # part of a longer word
    ("via roma e 12", False),                       # a word in between
    ("Sede: Corso Cavour 3; via roma 12.", True),   # somewhere in the middle
])
def test_audit_finds_a_report_address_as_whole_words(text: str, found: bool) -> None:
    from fragmap.privacy import PrivateFingerprint

    private = PrivateFingerprint(frozenset(), frozenset({"via roma 12", "viale dei mille 4"}), frozenset())
    kinds = [f.kind for f in audit_text("p.html", text, private, threshold=3)]
    assert ("report address" in kinds) is found


def test_audit_finds_a_private_file_name_among_many_words() -> None:
    from fragmap.privacy import PrivateFingerprint

    private = PrivateFingerprint(frozenset(), frozenset(), frozenset(), names=frozenset({"segnalazioni anffas ottobre"}))
    text = "parole " * 5000 + "Segnalazioni_ANFFAS-ottobre.xlsx" + " altre" * 10
    assert [f.kind for f in audit_text("p.html", text, private, threshold=3)] == ["private file name"]
    assert audit_text("p.html", text.replace("ottobre", "ottobrex"), private, threshold=3) == []
