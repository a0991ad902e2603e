"""Address corrections applied before geocoding, and the geocoder's street candidates."""

from __future__ import annotations

import pandas as pd

from fragmap.geocode.corrections import apply_address_corrections


def _reports() -> pd.DataFrame:
    return pd.DataFrame({
        "partner": pd.array(["anffas", "anffas", "le_torri"], dtype="string"),
        "report_id": ["1", "1", "1"],
        "month": ["2026-10", "2026-10", "2026-10"],
        "source_file": ["anffas__a.csv", "anffas__b.csv", "le_torri__a.csv"],
        "address": pd.array(["via rma 3", "via rma 3", "via rma 3"], dtype="string"),
        "town": pd.array(["Pavia", "Pavia", "Pavia"], dtype="string"),
    })


def test_a_correction_changes_only_its_own_report() -> None:
    fix = pd.DataFrame({"partner": ["anffas"], "report_id": ["1"], "month": ["2026-10"],
                        "source_file": ["anffas__b.csv"], "address": ["Via Roma 3"], "town": ["Vigevano"]})
    out = apply_address_corrections(_reports(), fix)
    assert out["address"].tolist() == ["via rma 3", "Via Roma 3", "via rma 3"]
    assert out["town"].tolist() == ["Pavia", "Vigevano", "Pavia"]
    assert out["address"].dtype == _reports()["address"].dtype


def test_no_corrections_or_unknown_keys_change_nothing() -> None:
    r = _reports()
    pd.testing.assert_frame_equal(apply_address_corrections(r, None), r)
    other = pd.DataFrame({"partner": ["x"], "report_id": ["9"], "month": ["2026-10"],
                          "source_file": ["x.csv"], "address": ["Via Roma 3"]})
    pd.testing.assert_frame_equal(apply_address_corrections(r, other), r)


def test_empty_town_keeps_the_reports_town() -> None:
    fix = pd.DataFrame({"partner": ["le_torri"], "report_id": ["1"], "month": ["2026-10"],
                        "source_file": ["le_torri__a.csv"], "address": ["Via Roma 3"], "town": [""]})
    out = apply_address_corrections(_reports(), fix)
    assert out["town"].tolist() == ["Pavia", "Pavia", "Pavia"]
    assert out["address"].tolist()[2] == "Via Roma 3"


def test_street_candidates_propose_the_official_street(demo_settings) -> None:
    from fragmap.geocode import make_geocoder

    g = make_geocoder(demo_settings)
    assert g.lookup("corso garbaldi 25", "Vigevano").level in ("comune", "non_trovato")
    cands = g.street_candidates("corso garbaldi 25", "Vigevano")
    assert cands and cands[0][:2] == ("Vigevano", "CORSO GIUSEPPE GARIBALDI")
    assert [c[2] for c in cands] == sorted((c[2] for c in cands), reverse=True)
    for town, street, _ in cands:  # every street proposed can be placed
        assert g.lookup(f"{street}, {town}").level in ("via", "civico")
    assert len(g.street_candidates("strada nuva 10", None, k=1)) == 1
    assert g.street_candidates("", "Pavia") == []
    # without a town, every configured town is searched
    assert ("Vigevano", "CORSO GIUSEPPE GARIBALDI") in [c[:2] for c in g.street_candidates("corso garbaldi 25")]


def test_fragmap_run_reads_the_desks_corrections(tmp_path) -> None:
    from fragmap.desk.db import DeskDB, stored_corrections

    store = tmp_path / "private" / "store.sqlite"
    assert stored_corrections(store) is None
    assert not (tmp_path / "private" / "sportello.sqlite").exists()  # never created by reading
    db = DeskDB(tmp_path / "private" / "sportello.sqlite")
    assert stored_corrections(store).empty
    db.set_correction(("anffas", "7", "2026-10", "anffas__a.csv"), "Corso Strada Nuova 3", "Pavia",
                      "c.so str nuova 3", "coord")
    fixes = stored_corrections(store)
    assert fixes[["partner", "report_id", "address"]].values.tolist() == [["anffas", "7", "Corso Strada Nuova 3"]]
    out = apply_address_corrections(pd.DataFrame({
        "partner": ["anffas"], "report_id": ["7"], "month": ["2026-10"], "source_file": ["anffas__a.csv"],
        "address": ["c.so str nuova 3"], "town": ["Pavia"]}), fixes)
    assert out["address"].iloc[0] == "Corso Strada Nuova 3"
