"""A file read, validated and stored in chunks gives exactly what one whole read gives (issue 14,
memory): the same reports, the same rejected rows with their ORIGINAL row numbers, the same
duplicates, collisions, notes, hints and refusals, whatever the chunk size."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from fragmap import PersonalDataError
from fragmap.ingest import ingest_files
from fragmap.io.store import Store
from fragmap.io.tables import open_table, read_table
from fragmap.reports import validate
from fragmap.reports.validate import Validator

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)
HEADER = "ID segnalazione;Data;Indirizzo;Comune;Lat;Lon;Quartiere;Categoria;Associazione;Azione;Fascia età;"
TITLE = "Segnalazioni ottobre 2026" + ";" * 11
BLANK = ";" * 11
PARTNERS = ["Auser Vigevano", "Anffas Pavia", "Le Torri"]
CATEGORIES = {"Auser Vigevano": "Anziani", "Anffas Pavia": "Disabilità", "Le Torri": "Fragilità economica"}


def row(i: int, *, day: int = 3, month: int = 10, address: str | None = None, partner: str | None = None,
        rid: str | None = None, age: str = "75+", date: str | None = None) -> str:
    p = partner if partner is not None else PARTNERS[i % 3]
    d = date if date is not None else f"{day:02d}/{month:02d}/2026"
    a = address if address is not None else f"Via Roma {i + 1}"
    return f"{rid or f'A-{i}'};{d};{a};Pavia;;;;{CATEGORIES.get(p, 'Anziani')};{p};sportello;{age};"


def monthly_file(path: Path, *, single_partner: bool = False, move: bool = False) -> Path:
    partner = "Auser Vigevano" if single_partner else None
    lines = [TITLE, HEADER,
             # rows before the first dated row, one without a partner: their hints come later
             row(90, date="", partner=partner), row(91, date="31/02/2026", partner=""),
             BLANK]
    for i in range(40):
        lines.append(row(i, day=1 + i % 27, month=10 if i < 25 else 11, partner=partner))
        if i == 12:
            lines.append(BLANK)
    if move:  # A-30 (November) now says October: a date corrected across months
        lines = [line.replace("A-30;", "A-30x;") if line.startswith("A-30;") else line for line in lines]
        lines.append(row(30, day=20, month=10, partner=partner))
    lines += [
        row(2, day=3, month=10, partner=partner),                                   # identical copy of A-2
        row(3, day=4, month=10, address="Via Verdi 9", partner=partner),            # A-3 again, other content
        row(50, partner="Auser Vigevan" if single_partner else "Anfas Pavia"),      # misspelt partner
        row(51, partner=partner, age="anziano"),                                    # unknown age band
        row(52, partner=partner, address="Via Roma 3 - Mario Rossi"),               # a name: row rejected
        row(53, partner="Auser Vigevan" if single_partner else "Anfas Pavia", age="anziano"),
        row(54, partner=partner, date="12/12/2026"),                                # in the future
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gpd.read_file(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]


def run(settings, store: Store, files: list[Path], chunk_rows: int, towns):
    out = []
    for f in files:
        res = ingest_files([f], settings, store=store, today=TODAY, town_polygons=towns,
                           write_ledger=False, chunk_rows=chunk_rows)
        out.append((res.summary(), res.files[0].notes, res.files[0].refused, res.files[0].reasons,
                    res.files[0].upsert))
    return out


def test_open_table_chunks_keep_the_spreadsheet_row_numbers(tmp_path: Path) -> None:
    f = monthly_file(tmp_path / "ottobre.csv")
    whole = read_table(f).frame
    stream = open_table(f, chunk_rows=4)
    parts = list(stream)
    assert len(parts) > 5 and stream.columns[:2] == ["ID segnalazione", "Data"]
    joined = pd.concat(parts).drop(columns=[c for c in stream.columns if c.startswith("Unnamed:")])
    pd.testing.assert_frame_equal(joined, whole)
    assert whole.index[0] == 3 and 5 not in whole.index  # title row 1, header row 2, blank row 5


@pytest.mark.parametrize("single_partner", [False, True])
def test_chunked_validation_equals_one_read(settings, towns, tmp_path: Path, single_partner: bool) -> None:
    f = monthly_file(tmp_path / "ottobre.csv", single_partner=single_partner)
    whole = validate(read_table(f).frame, settings, source_file=f.name, today=TODAY, town_polygons=towns)
    stream = open_table(f, chunk_rows=4)
    v = Validator(stream.columns, settings, source_file=f.name, today=TODAY, town_polygons=towns,
                  drop_empty_unnamed=True)
    parts = [v.add(chunk) for chunk in stream]
    res = v.finish()
    accepted = pd.concat([a for a, _ in parts if len(a)], ignore_index=True)
    rejected = v.fill_hints(pd.concat([r for _, r in parts if len(r)], ignore_index=True))
    pd.testing.assert_frame_equal(accepted, whole.accepted)
    pd.testing.assert_frame_equal(rejected, whole.rejected)
    assert (res.notes, res.read, res.duplicates, res.reasons) == \
           (whole.notes, whole.read, whole.duplicates, whole.reasons)
    # what the file holds, as the single read finds it (so the comparison above means something)
    rej = whole.rejected.set_index("source_row")
    assert whole.duplicates == 1 and rej.loc[48, "reason"] == "duplicate_id"
    assert "(tenuta la riga 9)" in rej.loc[48, "message"]  # A-3's first row, in another chunk
    assert rej.loc[3, "month"] == "2026-10" and rej.loc[4, "month"] == "2026-10"  # from the next dated row
    assert (rej.loc[4, "partner"] == "auser_vigevano") is single_partner
    assert any("(righe: 2)" in n for n in whole.notes)  # the misspelt partner, once per chunk
    assert "unknown_age_band" not in whole.reasons and any("fascia d'età" in n for n in whole.notes)


def test_chunked_ingest_stores_the_same_as_one_read(settings, towns, tmp_path: Path) -> None:
    other = tmp_path / "sportello.csv"  # same partner, IDs and month, other content: collisions
    other.write_bytes(("\r\n".join([HEADER, row(5, day=7, address="Via Po 1"), row(6, day=8, address="Via Po 2")])
                       + "\r\n").encode("cp1252"))
    v1 = monthly_file(tmp_path / "ottobre.csv")
    results = {}
    stores = {}
    for chunk_rows in (4, 7, 1_000_000):
        store = stores[chunk_rows] = Store(tmp_path / f"store-{chunk_rows}" / "store.sqlite")
        steps = run(settings, store, [other, v1], chunk_rows, towns)
        monthly_file(v1, move=True)
        steps += run(settings, store, [v1], chunk_rows, towns)
        monthly_file(v1)  # back to the first version for the next store
        results[chunk_rows] = steps
    one = results[1_000_000]
    assert one[1][0]["collisions"] == 2 and one[2][4].moved == 1  # the file exercises both
    for chunk_rows in (4, 7):
        assert results[chunk_rows] == one
        pd.testing.assert_frame_equal(stores[chunk_rows].reports(), stores[1_000_000].reports())
        pd.testing.assert_frame_equal(stores[chunk_rows].rejected(), stores[1_000_000].rejected())


def test_files_without_ids_number_identical_rows_across_chunks(settings, towns, tmp_path: Path) -> None:
    header = "Data;Indirizzo;Comune;Categoria;Associazione;Azione"
    same = "03/10/2026;Via Roma 1;Pavia;Anziani;Auser Vigevano;sportello"
    lines = [header] + [same if i % 3 == 0 else f"0{1 + i % 9}/10/2026;Via Po {i};Pavia;Anziani;Auser Vigevano;sportello"
                        for i in range(30)]
    f = tmp_path / "senza_id.csv"
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    stores = [Store(tmp_path / f"s{n}" / "store.sqlite") for n in (3, 1_000_000)]
    for store, n in zip(stores, (3, 1_000_000)):
        ingest_files([f], settings, store=store, today=TODAY, town_polygons=towns, write_ledger=False,
                     chunk_rows=n)
    a, b = (s.reports() for s in stores)
    pd.testing.assert_frame_equal(a, b)
    ids = sorted(i for i in b["report_id"] if i.endswith(("-1", "-2", "-10")))
    assert len(b) == 30 and len({i.rsplit("-", 1)[0] for i in ids}) >= 1
    assert b["report_id"].str.endswith("-10").sum() == 1  # ten identical rows, numbered 1..10


def test_personal_data_in_a_late_chunk_refuses_the_whole_file(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER] + [row(i) for i in range(30)]
    lines[27] = lines[27].replace("Via Roma 27", "Via Roma 27 RSSMRA80A01G388X")
    f = tmp_path / "ottobre.csv"
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    with pytest.raises(PersonalDataError) as whole:
        validate(read_table(f).frame, settings, source_file=f.name, today=TODAY, town_polygons=towns)
    store = Store(tmp_path / "s" / "store.sqlite")
    res = ingest_files([f], settings, store=store, today=TODAY, town_polygons=towns, write_ledger=False,
                       chunk_rows=4)
    assert res.files[0].refused == str(whole.value) and "righe 28" in res.files[0].refused
    assert store.reports().empty and res.summary()["accepted"] == 0  # the first chunks rolled back
    assert "RSSMRA80A01G388X" not in store.path.read_bytes().decode("latin-1")


def test_a_tax_code_glued_to_an_underscore_is_found(settings, towns, tmp_path: Path) -> None:
    # the guard's tax-code pattern is personal.TAX_CODE: "_" is no word edge that hides it
    lines = [HEADER, row(1, rid="cf_RSSMRA80A01G388X"), row(2)]
    f = tmp_path / "ottobre.csv"
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    with pytest.raises(PersonalDataError, match="codici fiscali"):
        validate(read_table(f).frame, settings, source_file=f.name, today=TODAY, town_polygons=towns)
