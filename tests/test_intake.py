"""Report intake: reading Italian Excel exports, validation, the personal-data guard, the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from fragmap import InputFileError, PersonalDataError, ValidationError
from fragmap.ingest import ingest_files
from fragmap.io.store import Store
from fragmap.io.tables import read_table
from fragmap.reports import parse_coordinate, parse_dates, validate

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 24)
HEADER = "ID segnalazione;Data;Indirizzo;Comune;Lat;Lon;Quartiere;Categoria;Associazione;Azione;Fascia età"
ROWS = [
    "A-1;03/10/2026;V.le Matteotti 12;Pavia;;;;Anziani;Auser Vigevano;sportello;75+",
    "A-2;4/10/26;;Pavia;45,1901;9,1587;;Disabilità;Anffas Pavia;laboratorio;0-17",
    "A-3;2026-10-05;C.so Cavour 3/B;Pavia;;;;fragilita economica;le torri;Sportello;35-64",
]


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gpd.read_file(ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson")[["name", "geometry"]]


def write(path: Path, lines: list[str], encoding: str = "cp1252") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def check(frame: pd.DataFrame, settings, towns, name: str = "f.csv"):
    return validate(frame, settings, source_file=name, today=TODAY, town_polygons=towns)


# -- reading -------------------------------------------------------------------------------
def test_reads_cp1252_semicolon_with_row_numbers(tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", [HEADER, ROWS[0], ";;;;;;;;;;", ROWS[1]])
    t = read_table(p)
    assert (t.encoding, t.separator) == ("cp1252", ";")
    assert "Fascia età" in t.frame.columns
    assert list(t.frame.index) == [2, 4]  # the blank row 3 is skipped, numbers kept


@pytest.mark.parametrize("sep,encoding", [(",", "utf-8-sig"), ("\t", "utf-8"), (";", "latin-1")])
def test_reads_other_separators_and_encodings(tmp_path: Path, sep: str, encoding: str) -> None:
    lines = [line.replace(";", sep) for line in [HEADER, ROWS[0]]]
    if sep == ",":
        lines[1] = lines[1].replace("45,1901", '"45,1901"')
    t = read_table(write(tmp_path / "b.csv", lines, encoding))
    assert t.separator == sep
    assert t.frame.loc[2, "Fascia età"] == "75+"


@pytest.mark.parametrize("suffix,engine", [(".xlsx", "openpyxl"), (".ods", "odf")])
def test_reads_spreadsheets_with_date_cells(tmp_path: Path, suffix: str, engine: str, settings, towns) -> None:
    df = pd.DataFrame({"ID": ["X1", "X2"], "Data": [dt.datetime(2026, 10, 3), dt.datetime(2026, 9, 1)],
                       "Indirizzo": ["Via Roma 3", "Corso Cavour 5"], "Categoria": ["Anziani", "Anziani"],
                       "Associazione": ["Auser Vigevano", "auser"], "Azione": ["sportello", "laboratorio"],
                       "Lat": [45.1901, None]})
    p = tmp_path / f"s{suffix}"
    df.to_excel(p, index=False, engine=engine)
    t = read_table(p)
    res = check(t.frame, settings, towns, p.name)
    assert len(res.accepted) == 2 and res.rejected.empty
    assert res.accepted["date"].dt.strftime("%d/%m/%Y").tolist() == ["03/10/2026", "01/09/2026"]
    assert res.accepted["source_row"].tolist() == [2, 3]


def test_unknown_format_and_missing_file_are_named(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputFileError, match="x.pdf"):
        read_table(tmp_path / "x.pdf")
    with pytest.raises(InputFileError, match="nope.csv"):
        read_table(tmp_path / "nope.csv")


# -- parsing ---------------------------------------------------------------------------------
def test_italian_dates_and_decimal_commas() -> None:
    d = parse_dates(pd.Series(["03/10/2026", "4/10/26", "2026-10-05", "31/02/2025", "ieri", "05.10.2026"]))
    assert d.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2026-10-03", "2026-10-04", "2026-10-05"]
    assert d.isna().tolist()[3:5] == [True, True]
    assert d.iloc[5] == pd.Timestamp("2026-10-05")
    c = parse_coordinate(pd.Series(["45,1901", "9.1587", "", "45.123,4"]))
    assert c.iloc[0] == pytest.approx(45.1901) and c.iloc[1] == pytest.approx(9.1587)
    assert c.isna().tolist()[2:] == [True, True]


# -- validation --------------------------------------------------------------------------------
def test_valid_rows_are_accepted_with_codes(settings, towns, tmp_path: Path) -> None:
    t = read_table(write(tmp_path / "a.csv", [HEADER, *ROWS]))
    res = check(t.frame, settings, towns)
    assert res.rejected.empty
    a = res.accepted
    assert a["category"].tolist() == ["anziani", "disabilita", "fragilita_economica"]
    assert a["partner"].tolist() == ["auser_vigevano", "anffas", "le_torri"]
    assert a["action"].tolist() == ["sportello", "laboratorio", "sportello"]
    assert a["month"].tolist() == ["2026-10"] * 3
    assert a.loc[1, "lat"] == pytest.approx(45.1901)


def test_every_problem_is_explained_with_row_and_column(settings, towns, tmp_path: Path) -> None:
    bad = [
        "B-1;31/02/2025;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;",   # impossible date
        "B-2;03/10/2027;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;",   # future
        "B-3;03/10/2020;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;",   # before start
        "B-4;03/10/2026;Via Roma 1;Pavia;;;;Varie;Auser Vigevano;sportello;",     # unknown category
        "B-5;03/10/2026;Via Roma 1;Milano;;;;Anziani;Auser Vigevano;sportello;",  # town outside
        "B-6;03/10/2026;;Pavia;;;;Anziani;Auser Vigevano;sportello;",             # no location
        "B-7;03/10/2026;Via Roma 1;Pavia;;;;Anziani;Ente Sconosciuto XYZ;sportello;",
    ]
    t = read_table(write(tmp_path / "bad.csv", [HEADER, *ROWS[:1], *bad]))
    res = check(t.frame, settings, towns, "bad.csv")
    assert len(res.accepted) == 1 and len(res.rejected) == 7
    assert len(res.accepted) + len(res.rejected) == res.read  # nothing lost
    r = res.rejected.set_index("source_row")
    assert r.loc[3, "reason"] == "bad_date" and r.loc[3, "column"] == "Data"
    assert r.loc[4, "reason"] == "future_date"
    assert r.loc[5, "reason"] == "early_date"
    assert r.loc[6, "reason"] == "unknown_category" and r.loc[6, "column"] == "Categoria"
    assert r.loc[7, "reason"] == "outside_towns"
    assert r.loc[8, "reason"] == "no_location"
    assert r.loc[9, "reason"] == "unknown_partner"
    assert "bad.csv, riga 6, colonna «Categoria»" in r.loc[6, "message"]


def test_close_misspellings_are_mapped_and_reported(settings, towns, tmp_path: Path) -> None:
    row = "C-1;03/10/2026;Via Roma 1;Pavia;;;;Disabilta;Anfas Pavia;sportelo;"
    res = check(read_table(write(tmp_path / "c.csv", [HEADER, row])).frame, settings, towns)
    assert res.accepted.loc[0, ["category", "partner", "action"]].tolist() == ["disabilita", "anffas", "sportello"]
    assert any("Disabilta" in n for n in res.notes)


def test_english_headers_and_messages(settings, towns, tmp_path: Path) -> None:
    s = dataclasses.replace(settings, language="en")
    lines = ["id,date,address,town,category,partner,action", "E1,2026-10-03,Via Roma 1,Pavia,Older people,Anffas,workshop"]
    res = check(read_table(write(tmp_path / "e.csv", lines, "utf-8")).frame, s, towns)
    assert res.rejected.loc[0, "reason"] == "unknown_action"
    assert "row 2" in res.rejected.loc[0, "message"]


def test_coordinates_outside_are_dropped_or_rejected_and_swaps_fixed(settings, towns, tmp_path: Path) -> None:
    rows = [
        "D-1;03/10/2026;Via Roma 1;Pavia;45,4642;9,1900;;Anziani;Auser Vigevano;sportello;",  # Milan, address kept
        "D-2;03/10/2026;;Pavia;45,4642;9,1900;;Anziani;Auser Vigevano;sportello;",            # Milan, nothing else
        "D-3;03/10/2026;;Pavia;9,1587;45,1901;;Anziani;Auser Vigevano;sportello;",            # swapped
    ]
    res = check(read_table(write(tmp_path / "d.csv", [HEADER, *rows])).frame, settings, towns)
    acc = res.accepted.set_index("report_id")
    assert pd.isna(acc.loc["D-1", "lat"]) and acc.loc["D-1", "address"] == "Via Roma 1"
    assert acc.loc["D-3", "lat"] == pytest.approx(45.1901)
    assert res.rejected["reason"].tolist() == ["coordinates_outside"]


def test_duplicate_ids_in_a_file(settings, towns, tmp_path: Path) -> None:
    rows = [ROWS[0], ROWS[0], ROWS[0].replace("V.le Matteotti 12", "Via Roma 2")]
    res = check(read_table(write(tmp_path / "dup.csv", [HEADER, *rows])).frame, settings, towns)
    assert len(res.accepted) == 1  # the identical copy collapses
    assert res.rejected["reason"].tolist() == ["duplicate_id"]


def test_missing_required_column_lists_accepted_names(settings, towns) -> None:
    frame = pd.DataFrame({"Indirizzo": ["Via Roma 1"], "Categoria": ["Anziani"]}, index=[2])
    with pytest.raises(ValidationError, match="data"):
        check(frame, settings, towns)


# -- the personal-data guard ---------------------------------------------------------------
SECRET = {
    "name_header": ("Cognome", "Rossi"),
    "tax_code": ("Codice", "RSSMRA80A01G388X"),
    "phone": ("Contatto", "340 1234567"),
    "email": ("Riferimento", "mario.rossi@example.org"),
    "birth": ("Data di nascita", "01/01/1940"),
    "notes": ("Note", "La signora vive sola e non esce da mesi"),
}


@pytest.mark.parametrize("kind", sorted(SECRET))
def test_personal_data_refuses_the_file_and_never_echoes_it(kind: str, settings, towns, tmp_path: Path) -> None:
    col, value = SECRET[kind]
    lines = [HEADER + f";{col}", ROWS[0] + f";{value}", ROWS[1] + ";"]
    frame = read_table(write(tmp_path / "p.csv", lines)).frame
    with pytest.raises(PersonalDataError) as exc:
        check(frame, settings, towns, "p.csv")
    msg = str(exc.value)
    assert "p.csv" in msg and col in msg and "RIFIUTATO" in msg
    assert value not in msg
    if kind not in ("name_header", "birth", "notes"):
        assert "2" in msg  # the row is named


def test_names_in_the_address_are_caught_but_streets_named_after_people_are_not(settings, towns, tmp_path: Path) -> None:
    ok = ["F-1;03/10/2026;Via Giuseppe Garibaldi 3;Pavia;;;;Anziani;Auser Vigevano;sportello;",
          "F-2;03/10/2026;Piazza Petrarca 7 presso Casa Circondariale;Pavia;;;;Anziani;Auser Vigevano;sportello;"]
    assert len(check(read_table(write(tmp_path / "ok.csv", [HEADER, *ok])).frame, settings, towns).accepted) == 2
    bad = ["F-3;03/10/2026;Via Roma 3 c/o Bianchi;Pavia;;;;Anziani;Auser Vigevano;sportello;"]
    with pytest.raises(PersonalDataError, match="Indirizzo"):
        check(read_table(write(tmp_path / "bad.csv", [HEADER, *bad])).frame, settings, towns)


def test_refused_file_leaves_the_store_untouched(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    good = write(tmp_path / "good.csv", [HEADER, *ROWS])
    bad = write(tmp_path / "bad.csv", [HEADER + ";Telefono", ROWS[0] + ";0382 123456"])
    res = ingest_files([good, bad], settings, store=store, today=TODAY)
    assert res.files[1].refused and "Telefono" in res.files[1].refused
    assert len(store.reports()) == 3
    assert "123456" not in store.path.read_bytes().decode("latin-1")


# -- store ------------------------------------------------------------------------------------------
def test_ingest_twice_changes_nothing_and_a_correction_replaces(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    f = write(tmp_path / "a.csv", [HEADER, *ROWS])
    first = ingest_files([f], settings, store=store, today=TODAY).summary()
    again = ingest_files([f], settings, store=store, today=TODAY).summary()
    assert (first["inserted"], again["inserted"], again["unchanged"]) == (3, 0, 3)
    before = store.reports()
    write(f, [HEADER, ROWS[0].replace("Anziani", "Disabilità").replace("Auser Vigevano", "Auser Vigevano"), *ROWS[1:]])
    fixed = ingest_files([f], settings, store=store, today=TODAY).summary()
    after = store.reports()
    assert fixed["updated"] == 1 and len(after) == len(before) == 3
    assert after.set_index("report_id").loc["A-1", "category"] == "disabilita"


def test_a_crash_inside_a_write_leaves_the_store_as_it_was(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    ingest_files([write(tmp_path / "a.csv", [HEADER, *ROWS])], settings, store=store, today=TODAY)
    res = validate(read_table(write(tmp_path / "b.csv", [HEADER, ROWS[0].replace("A-1", "Z-9")])).frame,
                   settings, source_file="b.csv", today=TODAY)
    with pytest.raises(RuntimeError):
        with store.transaction() as con:
            store.upsert_reports(res.accepted, con=con)
            raise RuntimeError("power cut")
    assert sorted(store.reports()["report_id"]) == ["A-1", "A-2", "A-3"]


def test_rejected_rows_go_to_a_private_ledger(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    f = write(tmp_path / "a.csv", [HEADER, ROWS[0], "X-1;31/02/2025;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;"])
    res = ingest_files([f], settings, store=store, today=TODAY)
    assert res.ledger is not None and res.ledger.parent.parent == store.path.parent
    ledger = pd.read_csv(res.ledger, sep=";", encoding="utf-8-sig")
    assert ledger.loc[0, "source_row"] == 3 and ledger.loc[0, "reason"] == "bad_date"
    ingest_files([f], settings, store=store, today=TODAY)
    assert len(store.rejected()) == 1  # resubmitting does not duplicate the ledger


def test_the_shipped_demo_exports_ingest(settings) -> None:
    files = sorted((ROOT / "data/synthetic").glob("segnalazioni_sintetiche_*"))
    res = ingest_files(files, settings, store=Store(settings.paths.store), today=TODAY)
    s = res.summary()
    assert s["refused_files"] == 0 and s["read"] == 5000
    assert s["accepted"] + s["rejected"] == s["read"]
    assert 0.95 < s["accepted"] / s["read"] < 0.995


@pytest.mark.slow
def test_a_100000_row_file_is_fully_accounted_for(settings, towns, tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    n = 100_000
    cats = np.array(["Anziani", "Disabilità", "Fragilità economica", "Minori e migranti", "Cultura", "Varie"])
    partners = {"Anziani": "Auser Vigevano", "Disabilità": "Anffas Pavia", "Fragilità economica": "Le Torri",
                "Minori e migranti": "Articolo 3", "Cultura": "La Barriera", "Varie": "Le Torri"}
    c = cats[rng.integers(0, 6, n)]
    days = rng.integers(1, 29, n)
    lines = [HEADER] + [
        f"R{i};{days[i]:02d}/0{1 + i % 9}/2026;Via Roma {i % 90 + 1};Pavia;;;;{c[i]};{partners[c[i]]};sportello;"
        for i in range(n)
    ]
    t = read_table(write(tmp_path / "big.csv", lines))
    res = check(t.frame, settings, towns, "big.csv")
    assert len(res.accepted) + len(res.rejected) == n
    assert (res.rejected["reason"] == "unknown_category").sum() == (c == "Varie").sum()
