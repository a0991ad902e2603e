"""Hostile and clumsy report files (issue #14, items 5-8 and 10): personal values in headers,
ids and file names, trailing separators, zip bombs, UTF-16, title rows, second sheets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from fragmap import InputFileError, PersonalDataError
from fragmap.ingest import ingest_files, safe_file_name
from fragmap.io import tables
from fragmap.io.store import Store
from fragmap.io.tables import read_table
from fragmap.reports import validate

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)
HEADER = "ID segnalazione;Data;Indirizzo;Comune;Categoria;Associazione;Azione"
ROWS = [
    "A-1;03/10/2026;Viale Matteotti 12;Pavia;Anziani;Auser Vigevano;sportello",
    "A-2;04/10/2026;Corso Cavour 3;Pavia;Disabilità;Anffas Pavia;laboratorio",
    "A-3;05/10/2026;Via Roma 5;Pavia;Anziani;Auser Vigevano;sportello",
]
EMAIL, NAME, CF = "mario.rossi@example.it", "Mario Rossi", "RSSMRA80A01G388X"
IBAN, MOBILE = "IT60X0542811101000000123456", "3331234567"


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gpd.read_file(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def everything_written(folder: Path) -> bytes:
    """Every byte fragmap wrote under ``folder`` (store, ledger, lists), input files excluded."""
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and "inputs" not in p.parts)


def ingest(paths: list[Path], settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(settings.paths.store)
    return ingest_files(paths, settings, store=store, today=TODAY, town_polygons=None)


# -- 5. personal values in header cells are never echoed ---------------------------------------------
def test_a_first_row_of_data_ending_in_an_email_is_refused_without_echo(settings, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    first = f"A-0;02/10/2026;Via Roma 1;Pavia;Anziani;Auser Vigevano;sportello;{EMAIL}"
    f = write(inputs / "ottobre.csv", [first, *[r + ";" for r in ROWS]])
    res = ingest([f], settings, tmp_path)
    out = res.files[0]
    assert out.refused and "ottobre.csv" in out.refused
    assert "colonna n. 8" in out.refused and "e-mail" in out.refused
    assert EMAIL not in out.refused and not any(EMAIL in n for n in out.notes)
    written = everything_written(tmp_path)
    assert EMAIL.encode() not in written and b"RIFIUTATO" in written  # the ledger says why


@pytest.mark.parametrize("language,word", [("it", "intestazione"), ("en", "header")])
def test_personal_header_cells_refuse_the_file_and_are_named_by_position(
    settings, towns, tmp_path: Path, language: str, word: str
) -> None:
    s = dataclasses.replace(settings, language=language)
    header = f"{HEADER};{EMAIL};{NAME};{CF}"
    t = read_table(write(tmp_path / "h.csv", [header, *[r + ";;;" for r in ROWS]]))
    with pytest.raises(PersonalDataError) as err:
        validate(t.frame, s, source_file="h.csv", today=TODAY, town_polygons=towns)
    msg = str(err.value)
    for value in (EMAIL, NAME, CF, "mario.rossi", "RSSMRA"):
        assert value not in msg
    assert msg.count(word) >= 3 and "h.csv" in msg
    assert ("n. 8" if language == "it" else "no. 8") in msg


def test_an_old_date_as_header_is_not_echoed(settings, towns, tmp_path: Path) -> None:
    t = read_table(write(tmp_path / "d.csv", [f"{HEADER};12/03/1941", *[r + ";" for r in ROWS]]))
    with pytest.raises(PersonalDataError) as err:
        validate(t.frame, settings, source_file="d.csv", today=TODAY, town_polygons=towns)
    assert "1941" not in str(err.value) and "date di nascita" in str(err.value)


def test_twenty_thousand_extra_columns_are_not_listed_one_by_one(settings, towns) -> None:
    base = pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";"), index=[2, 3, 4])
    extra = pd.DataFrame("", index=base.index, columns=[f"Colonna extra {i}" for i in range(20_000)])
    res = validate(pd.concat([base, extra], axis=1), settings, source_file="wide.csv", today=TODAY,
                   town_polygons=towns)
    assert len(res.accepted) == 3
    assert len(res.notes) < 20
    assert any("19990" in n for n in res.notes)  # "altre 19990 colonne ignorate"


# -- 6. IBAN and phone numbers ----------------------------------------------------------------------
@pytest.mark.parametrize("column,value,kind", [
    ("ID segnalazione", IBAN, "IBAN"),
    ("Indirizzo", f"Via Roma 3 {IBAN}", "IBAN"),
    ("Indirizzo", IBAN, "IBAN"),
    ("ID segnalazione", MOBILE, "telefono"),
    ("ID segnalazione", "+39 333 123 4567", "telefono"),
    ("ID segnalazione", "0039 0382 123456", "telefono"),
    ("ID segnalazione", "0382 526677", "telefono"),
    ("ID segnalazione", "02/12345678", "telefono"),
])
def test_iban_and_phone_numbers_in_values_refuse_the_file(
    settings, towns, tmp_path: Path, column: str, value: str, kind: str
) -> None:
    frame = pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";"), index=[2, 3, 4])
    frame.loc[3, column] = value
    with pytest.raises(PersonalDataError) as err:
        validate(frame, settings, source_file="x.csv", today=TODAY, town_polygons=towns)
    msg = str(err.value)
    assert value not in msg and value.replace(" ", "") not in msg
    assert f"«{column}»" in msg and "righe 3" in msg and kind in msg


def test_ordinary_ids_are_not_taken_for_phones_or_ibans(settings, towns) -> None:
    ids = ["00012345", "2026000123", "0382-2026-0001", "AB12CDEF34567890", "123456", "PV-2026-10-7",
           "01-12345", "0001/2026"]
    frame = pd.DataFrame([ROWS[0].split(";")] * len(ids), columns=HEADER.split(";"),
                         index=range(2, 2 + len(ids)))
    frame["ID segnalazione"] = ids
    res = validate(frame, settings, source_file="ids.csv", today=TODAY, town_polygons=towns)
    assert len(res.accepted) == len(ids)


def test_a_personal_value_in_the_file_name_refuses_the_file_and_is_masked(settings, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    f = write(inputs / f"segnalazioni_{CF}.csv", [HEADER, *ROWS])
    res = ingest([f], settings, tmp_path)
    assert res.files[0].refused and "[codice fiscale]" in res.files[0].refused
    assert Store(settings.paths.store).reports().empty
    assert CF.encode() not in everything_written(tmp_path)
    assert safe_file_name("export_ottobre_2026-11-03.csv") == ("export_ottobre_2026-11-03.csv", None)


def test_a_full_date_in_an_address_rejects_the_row_without_keeping_it(settings, towns) -> None:
    frame = pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";"), index=[2, 3, 4])
    frame.loc[4, "Indirizzo"] = "Via Roma 5 nato il 12/03/1941"
    res = validate(frame, settings, source_file="x.csv", today=TODAY, town_polygons=towns)
    assert len(res.accepted) == 2
    r = res.rejected.iloc[0]
    assert (r["source_row"], r["column"], r["reason"]) == (4, "Indirizzo", "personal_value")
    assert "1941" not in r["message"]


# -- 8. trailing separators -------------------------------------------------------------------------
def test_rows_ending_with_a_separator_do_not_shift_the_columns(settings, towns, tmp_path: Path) -> None:
    short = "A-4;06/10/2026;Via Roma 7;;;;"  # a short row: must be read, not lost as blank
    t = read_table(write(tmp_path / "t.csv", [HEADER, *[r + ";" for r in ROWS], short + ";"]))
    assert list(t.frame.columns) == HEADER.split(";")
    assert t.frame.loc[2, "ID segnalazione"] == "A-1" and t.frame.loc[2, "Azione"] == "sportello"
    res = validate(t.frame, settings, source_file="t.csv", today=TODAY, town_polygons=towns)
    assert len(res.accepted) == 3
    r = res.rejected.set_index("source_row")
    assert list(r.index) == [5] and r.loc[5, "report_id"] == "A-4"


def test_values_beyond_the_header_are_refused_with_their_rows(tmp_path: Path) -> None:
    p = write(tmp_path / "x.csv", [HEADER, ROWS[0] + ";", ROWS[1] + ";oltre", ROWS[2]])
    with pytest.raises(InputFileError, match=r"righe 3\b") as err:
        read_table(p)
    assert "oltre" not in str(err.value)


# -- 7. size guard for XLSX / ODS -----------------------------------------------------------------------
def _xlsx(path: Path, extra: dict[str, bytes] | None = None, dimension: str | None = None) -> Path:
    buf = io.BytesIO()
    pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";")).to_excel(buf, index=False)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if dimension and info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)
                assert dimension.encode() in data
            out.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return path


def test_a_spreadsheet_that_expands_too_much_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tables, "MAX_UNCOMPRESSED_BYTES", 20 * 1024**2)
    bomb = _xlsx(tmp_path / "bomba.xlsx", {"xl/media/pad.bin": b"\0" * (40 * 1024**2)})
    assert bomb.stat().st_size < 1024**2
    with pytest.raises(InputFileError, match="MB") as err:
        read_table(bomb)
    assert "bomba.xlsx" in str(err.value) and "limite" in str(err.value)


def test_a_sheet_declaring_millions_of_rows_is_refused(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "righe.xlsx", dimension="A1:G9000000")
    with pytest.raises(InputFileError, match="righe"):
        read_table(p)


def test_a_renamed_file_is_not_a_spreadsheet(tmp_path: Path) -> None:
    p = tmp_path / "finto.xlsx"
    p.write_text("ID;Data\n1;2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="non valido"):
        read_table(p)


# -- 10. smaller ---------------------------------------------------------------------------------------
def test_excel_unicode_text_utf16_is_read(settings, towns, tmp_path: Path) -> None:
    lines = [line.replace(";", "\t") for line in [HEADER, *ROWS]]
    t = read_table(write(tmp_path / "unicode.txt", lines, encoding="utf-16"))
    assert t.separator == "\t" and t.frame.loc[3, "Categoria"] == "Disabilità"
    res = validate(t.frame, settings, source_file="unicode.txt", today=TODAY, town_polygons=towns)
    assert len(res.accepted) == 3


def test_title_rows_above_the_header_are_skipped_with_row_numbers_kept(settings, towns, tmp_path: Path) -> None:
    title = ["Segnalazioni ottobre 2026 - Auser;;;;;;", ";;;;;;"]
    t = read_table(write(tmp_path / "t.csv", [*title, HEADER, *ROWS]))
    assert list(t.frame.columns) == HEADER.split(";")
    assert list(t.frame.index) == [4, 5, 6]  # the header is the sheet's row 3
    res = validate(t.frame, settings, source_file="t.csv", today=TODAY, town_polygons=towns)
    assert len(res.accepted) == 3 and res.accepted["source_row"].tolist() == [4, 5, 6]


def test_title_rows_in_a_spreadsheet_too(tmp_path: Path) -> None:
    p = tmp_path / "titolo.xlsx"
    body = pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";"))
    with pd.ExcelWriter(p) as w:
        pd.DataFrame([["Segnalazioni di ottobre"]]).to_excel(w, index=False, header=False)
        body.to_excel(w, index=False, startrow=2)
    t = read_table(p)
    assert list(t.frame.columns) == HEADER.split(";") and list(t.frame.index) == [4, 5, 6]


def test_data_on_a_second_sheet_are_pointed_at(tmp_path: Path) -> None:
    p = tmp_path / "fogli.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame().to_excel(w, sheet_name="Istruzioni", index=False)
        pd.DataFrame([r.split(";") for r in ROWS], columns=HEADER.split(";")).to_excel(
            w, sheet_name="Ottobre", index=False)
    with pytest.raises(InputFileError, match="«Ottobre»"):
        read_table(p)


def test_merged_cells_give_a_note(tmp_path: Path, settings) -> None:
    import openpyxl

    p = tmp_path / "unite.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    for r in ROWS:
        ws.append(r.split(";"))
    ws.merge_cells("F2:F3")
    wb.save(p)
    t = read_table(p)
    assert any("celle unite" in n for n in t.notes)
    res = ingest([p], settings, tmp_path)
    assert any("celle unite" in n for n in res.files[0].notes)
