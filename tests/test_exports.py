"""Exports planners share (Excel, GeoPackage, CSV) and the audit that reads them (#19.6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fragmap.privacy import audit_folder, fingerprint, publish
from fragmap.publication import TOTAL

from test_privacy import THRESHOLD, quarters_grid, random_cube


@pytest.fixture(scope="module")
def pub():
    from factories import demo_defaults

    settings = demo_defaults(Path(__file__).resolve().parent.parent)
    q = quarters_grid(4)
    q.loc[0, "name"] = '=HYPERLINK("http://x","clic")'  # a quarter file can carry anything
    cube = random_cube(settings, q, lam=0.08)
    ms = sorted(cube["month"].unique())[-12:]
    p = publish(cube, q, settings, months=ms, synthetic=True, quarter_source="griglia",
                attributions=("Confini: openpolis, CC BY 4.0",))
    assert (p.table["reason"] == "primary").any() and (p.table["reason"] == "secondary").any()
    return settings, p


@pytest.fixture(scope="module")
def exported(pub, tmp_path_factory):
    settings, p = pub
    out = tmp_path_factory.mktemp("exports")
    p.to_excel(str(out / "f.xlsx"))
    p.to_gpkg(str(out / "f.gpkg"))
    p.to_csv(str(out / "f.csv"))
    return out


def far_away_reports():
    """Private reports that appear nowhere in the exports (a clean fingerprint)."""
    return fingerprint(pd.DataFrame({"lat": [45.3001], "lon": [9.4001], "address": ["via Nascosta 12"],
                                     "report_id": ["PRIV-0001"]}))


def test_excel_has_hidden_counts_as_text_period_notes_and_credits(pub, exported) -> None:
    settings, p = pub
    sheets = pd.read_excel(exported / "f.xlsx", sheet_name=None, dtype=object)
    assert list(sheets) == ["dati", "ott 2026", "note"]
    data = sheets["dati"]
    t = p.table
    assert len(data) == len(t)
    counts = data["segnalazioni"]
    assert (counts[t["reason"].eq("primary").to_numpy()] == f"< {THRESHOLD}").all()
    assert (counts[t["reason"].isin(["secondary", "history"]).to_numpy()] == "n.d.").all()
    shown = ~t["suppressed"].to_numpy()
    assert (counts[shown].astype(float).to_numpy() == t.loc[shown, "value"].to_numpy()).all()
    assert set(data["periodo"]) >= {"nov 2025 - ott 2026"}
    assert "per 1.000 residenti di 65 anni e più" in set(data["unità del tasso"])
    notes = " ".join(sheets["note"].iloc[:, 0].astype(str))
    for text in ("nov 2025 - ott 2026", f"< {THRESHOLD}", "n.d.", "Confini: openpolis, CC BY 4.0", "SINTETICI",
                 "65 anni"):
        assert text in notes, text
    # a formula-looking name is neutralised, not executed
    assert "'=HYPERLINK(\"http://x\",\"clic\")" in set(data["area"])


def test_gpkg_opens_as_layers_with_polygons_and_text(pub, exported) -> None:
    import pyogrio

    settings, p = pub
    layers = {name for name, _ in pyogrio.list_layers(exported / "f.gpkg")}
    assert layers >= {"aree", "dati", "note"}
    # QGIS opens "aree" with its default style: rate classes and hidden areas hatched
    import sqlite3
    import xml.dom.minidom

    with sqlite3.connect(exported / "f.gpkg") as con:
        (table, qml, default), = con.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles")
    assert table == "aree" and default == 1
    doc = xml.dom.minidom.parseString(qml.split("\n", 1)[1])
    rules = doc.getElementsByTagName("rule")
    assert rules[-1].getAttribute("filter") == "ELSE" and "totale_tasso" in rules[0].getAttribute("filter")
    assert len(doc.getElementsByTagName("symbol")) == len(rules)
    aree = pyogrio.read_dataframe(exported / "f.gpkg", layer="aree")
    assert aree.crs.to_epsg() == 4326 and set(aree.geom_type) <= {"Polygon", "MultiPolygon"}
    cells = p.cells(month=p.month, level="quarter", category=TOTAL).set_index("area_id")
    for r in aree.itertuples():
        c = cells.loc[r.codice]
        if c["suppressed"]:
            assert np.isnan(r.totale_segnalazioni) and r.totale_testo in (f"< {THRESHOLD}", "n.d.")
        else:
            assert r.totale_segnalazioni == c["value"] and r.totale_testo == str(int(c["value"]))
    dati = pyogrio.read_dataframe(exported / "f.gpkg", layer="dati")
    assert (dati["segnalazioni_testo"] == f"< {THRESHOLD}").any()


def test_csv_is_semicolon_separated_with_notes_beside(exported) -> None:
    text = (exported / "f.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("codice;area;comune;livello;mese;periodo")
    assert f";< {THRESHOLD};" in text and ";n.d.;" in text
    assert "'=HYPERLINK" in text
    assert "Confini: openpolis" in (exported / "f_note.csv").read_text(encoding="utf-8-sig")


def test_the_exports_pass_the_audit_and_are_read(pub, exported) -> None:
    settings, _ = pub
    res = audit_folder(exported, far_away_reports(), settings)
    assert res.ok, [str(f) for f in res.findings]
    assert not res.unchecked  # xlsx and gpkg are read, not listed for a person to look at
    assert res.files == 4


def _copy(src: Path, dst: Path, name: str) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    (dst / name).write_bytes((src / name).read_bytes())
    return dst / name


def test_a_small_count_planted_in_excel_is_caught(pub, exported, tmp_path: Path) -> None:
    import openpyxl

    settings, _ = pub
    path = _copy(exported, tmp_path, "f.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["dati"]
    col = [c.value for c in ws[1]].index("segnalazioni") + 1
    ws.cell(row=5, column=col, value=2)
    wb.save(path)
    res = audit_folder(tmp_path, far_away_reports(), settings)
    assert any(f.kind == "count under threshold" and "f.xlsx[dati]" in f.file for f in res.findings)


def test_a_small_count_or_a_report_point_planted_in_gpkg_is_caught(pub, exported, tmp_path: Path) -> None:
    import pyogrio

    settings, _ = pub
    path = _copy(exported, tmp_path / "a", "f.gpkg")
    aree = pyogrio.read_dataframe(path, layer="aree")
    aree.loc[0, "anziani_segnalazioni"] = 3.0
    pyogrio.write_dataframe(aree, path, layer="aree", driver="GPKG")
    res = audit_folder(tmp_path / "a", far_away_reports(), settings)
    assert any(f.kind == "count under threshold" and "[aree]" in f.file for f in res.findings)
    # a report's point drawn into a layer is found too
    import geopandas as gpd
    from shapely.geometry import Point

    path = _copy(exported, tmp_path / "b", "f.gpkg")
    pts = gpd.GeoDataFrame({"nome": ["x"]}, geometry=[Point(9.4001, 45.3001)], crs=4326)
    pyogrio.write_dataframe(pts, path, layer="punti", driver="GPKG", append=True)
    res = audit_folder(tmp_path / "b", far_away_reports(), settings)
    assert any(f.kind == "report coordinate" for f in res.findings)


def test_an_unreadable_workbook_is_a_finding(pub, tmp_path: Path) -> None:
    settings, _ = pub
    (tmp_path / "rotto.xlsx").write_bytes(b"not a zip")
    res = audit_folder(tmp_path, far_away_reports(), settings)
    assert [f.kind for f in res.findings] == ["unreadable file"]


def test_english_export(pub, tmp_path: Path) -> None:
    settings, p = pub
    p.to_excel(str(tmp_path / "e.xlsx"), language="en")
    sheets = pd.read_excel(tmp_path / "e.xlsx", sheet_name=None, dtype=object, keep_default_na=False)
    assert list(sheets) == ["data", "Oct 2026", "notes"]
    assert "n/a" in set(sheets["data"]["reports"]) and "Nov 2025 - Oct 2026" in set(sheets["data"]["period"])


def test_cli_export_writes_audited_files(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from factories import demo_project_file, demo_project_settings

    from fragmap.cli import main
    from fragmap.pipeline import Project

    s = demo_project_settings(tmp_path)
    Project(s).ingest()
    cfg = demo_project_file(s)
    out = tmp_path / "scarichi"
    result = CliRunner().invoke(main, ["export", str(out), "--config", str(cfg), "--month", "2026-10",
                                       "--format", "xlsx", "--format", "gpkg"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["rete_fragilita_2026-10.gpkg", "rete_fragilita_2026-10.xlsx"]
    assert "nothing points at a person" in result.output
