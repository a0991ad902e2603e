"""Report intake: reading Italian Excel exports, validation, the personal-data guard, the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from factories import demo_network_toml
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


def test_names_in_the_address_reject_the_row_but_streets_named_after_people_do_not(settings, towns, tmp_path: Path) -> None:
    ok = ["F-1;03/10/2026;Via Giuseppe Garibaldi 3;Pavia;;;;Anziani;Auser Vigevano;sportello;",
          "F-2;03/10/2026;Piazza Petrarca 7 presso Casa Circondariale;Pavia;;;;Anziani;Auser Vigevano;sportello;"]
    assert len(check(read_table(write(tmp_path / "ok.csv", [HEADER, *ok])).frame, settings, towns).accepted) == 2
    bad = ["F-3;03/10/2026;Via Roma 3 c/o Bianchi;Pavia;;;;Anziani;Auser Vigevano;sportello;"]
    res = check(read_table(write(tmp_path / "bad.csv", [HEADER, *bad])).frame, settings, towns, "bad.csv")
    assert res.accepted.empty and res.rejected["reason"].tolist() == ["personal_name"]
    assert res.rejected.loc[0, "column"] == "Indirizzo" and "Bianchi" not in res.rejected.to_csv()


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
    assert ledger.loc[0, "riga"] == 3 and ledger.loc[0, "motivo"] == "data non valida"
    ingest_files([f], settings, store=store, today=TODAY)
    assert len(store.rejected()) == 1  # resubmitting does not duplicate the ledger


FORMULAS = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+1+2", "-3+cmd", "@SUM(A1)",
            "\tTAB", "\rCR"]


def _cells(path: Path) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        return [c for row in csv.reader(f, delimiter=";") for c in row]


def test_formulas_from_ids_headers_and_file_names_never_reach_the_coordinators_csv(settings, tmp_path: Path) -> None:
    """Report ids, header cells and file names that Excel would run are written inert."""
    rows = [f"{fx};31/02/2026;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;;x" for fx in FORMULAS]
    f = write(tmp_path / "=cmd.csv", [HEADER + ";@SUM(1+1)", *rows], encoding="utf-8")
    res = _ingest(settings, f)
    assert res.files[0].rejected == len(FORMULAS)
    cells = _cells(res.ledger)
    assert any("HYPERLINK" in c for c in cells) and any("cmd.csv" in c for c in cells)
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert "'=cmd.csv" in cells and '\'=HYPERLINK("http://x","click")' in cells


def test_write_csv_neutralises_text_but_keeps_numbers(tmp_path: Path) -> None:
    from fragmap.io.tables import write_csv

    table = pd.DataFrame({"=head": FORMULAS, "n": range(-3, len(FORMULAS) - 3), "x": [-1.5] * len(FORMULAS)})
    path = write_csv(table, tmp_path / "out.csv")
    back = pd.read_csv(path, sep=";", encoding="utf-8-sig", decimal=",", keep_default_na=False)
    assert list(back.columns) == ["'=head", "n", "x"]
    assert back["n"].tolist() == list(range(-3, len(FORMULAS) - 3)) and back["x"].tolist() == [-1.5] * len(FORMULAS)
    assert all(v.startswith("'") for v in back["'=head"])


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


# -- audit of issue 3 (report intake) ---------------------------------------------------------
NAMES = ("Mario", "Rossi", "Giulia", "Bianchi", "Verdi", "Maria")


def _no_names(text: str) -> bool:
    return not any(n in text for n in NAMES)


def _ingest(settings, *files: Path, **kw):
    return ingest_files(list(files), settings, store=Store(settings.paths.store), today=TODAY, **kw)


# 1. personal-data headers and extra columns holding names refuse the file
@pytest.mark.parametrize("header", ["Referente", "Nome assistito", "Beneficiario", "Cellulare", "Indirizzo email",
                                    "Nato a", "Utente", "Cognome e nome", "Telefono referente"])
def test_personal_data_headers_refuse_the_file(header: str, settings, towns, tmp_path: Path) -> None:
    lines = [HEADER + f";{header}", ROWS[0] + ";Mario Rossi", ROWS[1] + ";Giulia Bianchi"]
    with pytest.raises(PersonalDataError) as exc:
        check(read_table(write(tmp_path / "p.csv", lines)).frame, settings, towns, "p.csv")
    assert header in str(exc.value) and _no_names(str(exc.value))


@pytest.mark.parametrize("values", [("Mario Rossi", "Giulia Bianchi"), ("Rossi Maria", ""), ("sig. Verdi", "Sig.ra Bianchi"),
                                    ("MARIO ROSSI", "")])
def test_an_extra_column_of_person_names_refuses_the_file(values, settings, towns, tmp_path: Path) -> None:
    lines = [HEADER + ";Contatto", ROWS[0] + f";{values[0]}", ROWS[1] + f";{values[1]}"]
    with pytest.raises(PersonalDataError) as exc:
        check(read_table(write(tmp_path / "p.csv", lines)).frame, settings, towns, "p.csv")
    assert "Contatto" in str(exc.value) and "2" in str(exc.value) and _no_names(str(exc.value))


def test_a_person_word_in_a_field_header_is_not_a_refusal(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER.replace("Fascia età", "Fascia d'età assistito"), *ROWS]
    res = check(read_table(write(tmp_path / "a.csv", lines)).frame, settings, towns)
    assert len(res.accepted) == 3 and res.accepted["age_band"].tolist() == ["75+", "0-17", "35-64"]


# 2. names in the kept free-text fields reject the row, and are kept nowhere
def test_names_in_kept_fields_reject_the_row_and_are_kept_nowhere(settings, tmp_path: Path) -> None:
    rows = [
        "N-1;03/10/2026;Via Roma 3 - Mario Rossi;Pavia;;;;Anziani;Auser Vigevano;sportello;",
        "N-2;03/10/2026;;Vigevano;;;Vive con la figlia Giulia;Anziani;Auser Vigevano;sportello;",
        "N-3;03/10/2026;Via Roma 5;Pavia;;;Centro storico;Anziani;Auser Vigevano;sportello;",
        "N-4;03/10/2026;Corso Giuseppe Garibaldi 25, Vigevano;Vigevano;;;San Pietro in Verzolo;Anziani;Auser Vigevano;sportello;",
        "Rossi Mario;03/10/2026;Via Roma 7;Pavia;;;;Anziani;Auser Vigevano;sportello;",
        "N-6;03/10/2026;Via Roma 9 (sig.ra Giulia);Pavia;;;;Anziani;Auser Vigevano;sportello;",
        "N-7;03/10/2026;Via Roma 11 - Maria;Pavia;;;;Anziani;Auser Vigevano;sportello;",
    ]
    f = write(tmp_path / "n.csv", [HEADER, *rows])
    res = _ingest(settings, f)
    rej = Store(settings.paths.store).rejected().set_index("source_row")
    assert rej["reason"].to_dict() == {r: "personal_name" for r in (2, 3, 6, 7, 8)}
    assert rej.loc[2, "column"] == "Indirizzo" and rej.loc[3, "column"] == "Quartiere"
    assert rej.loc[6, "report_id"] == ""  # an id that looks like a name is not copied either
    assert sorted(Store(settings.paths.store).reports()["report_id"]) == ["N-3", "N-4"]
    for blob in (settings.paths.store.read_bytes().decode("latin-1"), res.ledger.read_text(encoding="utf-8-sig")):
        assert _no_names(blob.replace("Giuseppe Garibaldi", "").replace("San Pietro", ""))


def test_every_street_of_the_towns_passes_the_name_guard() -> None:
    from fragmap.reports import person_mask

    streets = pd.read_csv(ROOT / "data/reference/anncsu_stradario_pavia_vigevano_20250209.csv", dtype=str)
    typed = pd.concat([
        streets["DUG"] + " " + streets["DUF"] + " 12",
        streets["DUG"].str.title() + " " + streets["DUF"].str.title() + ", 3/B, Pavia",
        streets["DUG"].str.lower() + " " + streets["DUF"].str.lower(),
    ], ignore_index=True)
    assert person_mask(typed).sum() == 0


# 3. notes never echo a typed value that carries a name
def test_mapping_notes_never_echo_a_name(settings, towns, tmp_path: Path) -> None:
    rows = ["M-1;03/10/2026;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano (Rossi Maria);sportello;",
            "M-2;03/10/2026;Via Roma 2;Pavia;;;;Anziani;Auser Vigevano;sportello signora Bianchi;",
            "M-3;03/10/2026;Via Roma 3;Pavia;;;;Disabilta;Anffas Pavia;sportello;"]
    res = check(read_table(write(tmp_path / "m.csv", [HEADER, *rows])).frame, settings, towns)
    assert res.accepted["partner"].tolist() == ["auser_vigevano", "auser_vigevano", "anffas"]
    assert res.accepted["action"].tolist() == ["sportello"] * 3
    notes = "\n".join(res.notes)
    assert _no_names(notes)
    assert "«auser_vigevano»" in notes and "«sportello»" in notes and "Disabilta" in notes
    assert "Associazione" in notes and "Azione" in notes  # the coordinator learns where to look


# 4. no false refusals: recent dates in extra columns, ids with a year
@pytest.mark.parametrize("header", ["Data chiusura", "Data fine", "Data inserimento"])
def test_recent_dates_in_an_extra_column_are_not_birth_dates(header: str, settings, towns, tmp_path: Path) -> None:
    lines = [HEADER + f";{header}", ROWS[0] + ";15/10/2026", ROWS[1] + ";2026-10-20", ROWS[2] + ";"]
    res = check(read_table(write(tmp_path / "d.csv", lines)).frame, settings, towns)
    assert len(res.accepted) == 3 and res.accepted["date"].dt.day.tolist() == [3, 4, 5]
    assert any(header in n for n in res.notes)


def test_old_dates_in_an_extra_column_are_birth_dates(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER + ";Data chiusura", ROWS[0] + ";12/03/1941", ROWS[1] + ";4/5/38"]
    with pytest.raises(PersonalDataError, match="Data chiusura") as exc:
        check(read_table(write(tmp_path / "d.csv", lines)).frame, settings, towns)
    assert "1941" not in str(exc.value) and "2, 3" in str(exc.value)


def test_intervention_date_column_is_the_report_date(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER.replace(";Data;", ";Data intervento;"), *ROWS]
    res = check(read_table(write(tmp_path / "d.csv", lines)).frame, settings, towns)
    assert len(res.accepted) == 3 and res.columns["date"] == "Data intervento"


def test_ids_with_a_year_are_not_phone_numbers(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER + ";Rif. pratica",
             "0382-2026-0001;03/10/2026;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;;0382-2026-0001",
             "0382-2026-0002;03/10/2026;Via Roma 2;Pavia;;;;Anziani;Auser Vigevano;sportello;;A3/2026/015"]
    res = check(read_table(write(tmp_path / "i.csv", lines)).frame, settings, towns)
    assert res.accepted["report_id"].tolist() == ["0382-2026-0001", "0382-2026-0002"]
    phone = [HEADER + ";Rif. pratica", ROWS[0] + ";0382 123456"]
    with pytest.raises(PersonalDataError, match="telefono"):
        check(read_table(write(tmp_path / "p.csv", phone)).frame, settings, towns)


# 5. one ledger for all files and runs, cleared when the row is fixed; CLI in the project language
L1 = "L1-1;31/02/2026;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;"
L2 = "L2-1;03/10/2026;Via Roma 2;Pavia;;;;Varie;Le Torri;sportello;"


def test_the_ledger_keeps_every_file_and_clears_fixed_rows(settings, tmp_path: Path) -> None:
    l1 = write(tmp_path / "l1.csv", [HEADER, ROWS[0], L1])
    l2 = write(tmp_path / "l2.csv", [HEADER, L2, ROWS[2]])
    _ingest(settings, l1)
    res = _ingest(settings, l2)
    ledger = pd.read_csv(res.ledger, sep=";", encoding="utf-8-sig", dtype=str)
    assert res.ledger.name == "scarti.csv" and res.ledger_rows == 2
    assert list(ledger.columns[:5]) == ["file", "riga", "colonna", "motivo", "spiegazione"]
    assert ledger[["file", "riga", "motivo"]].values.tolist() == [
        ["l1.csv", "3", "data non valida"], ["l2.csv", "2", "categoria sconosciuta"]]
    write(l1, [HEADER, ROWS[0], L1.replace("31/02", "28/10")])  # the same file, fixed
    res = _ingest(settings, l1)
    assert pd.read_csv(res.ledger, sep=";", encoding="utf-8-sig")["file"].tolist() == ["l2.csv"]
    fix = write(tmp_path / "l2_corretto.csv", [HEADER, L2.replace("Varie", "Fragilità economica")])
    res = _ingest(settings, fix)  # the fixed row, sent in another file
    assert res.ledger_rows == 0 and len(pd.read_csv(res.ledger, sep=";", encoding="utf-8-sig")) == 0


def test_a_refused_file_is_listed_in_the_ledger(settings, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", [HEADER + ";Telefono", ROWS[0] + ";0382 123456"])
    res = _ingest(settings, bad)
    ledger = pd.read_csv(res.ledger, sep=";", encoding="utf-8-sig", dtype=str)
    assert ledger[["file", "riga"]].values.tolist() == [["bad.csv", "1"]]
    assert "Telefono" in ledger.loc[0, "spiegazione"] and "123456" not in res.ledger.read_text(encoding="utf-8-sig")


def _project(tmp_path: Path, language: str) -> Path:
    cfg = tmp_path / "fragmap.toml"
    cfg.write_text(
        f'[project]\nlanguage = "{language}"\nstart_date = "2024-01-01"\n[paths]\nstore = "private/store.sqlite"\n'
        f'boundaries = "{ROOT / "data/reference/comuni_pavia_vigevano_openpolis.geojson"}"\n' + demo_network_toml(),
        encoding="utf-8",
    )
    return cfg


BAD_ROWS = [
    "C-1;31/02/2025;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;",
    "C-2;31/02/2025;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;",
    "C-3;03/10/2025;Via Roma 1;Pavia;;;;Varie;Auser Vigevano;sportello;",
    "C-4;03/10/2025;Via Roma 1;Milano;;;;Anziani;Auser Vigevano;sportello;",
    "C-5;03/10/2025;;Pavia;;;;Anziani;Auser Vigevano;sportello;",
    "C-6;03/10/2025;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;volantinaggio;",
]


@pytest.mark.parametrize("language", ["it", "en"])
def test_cli_prints_every_reason_in_the_project_language(language: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main

    f = write(tmp_path / "c.csv", [HEADER, ROWS[0], *BAD_ROWS])
    res = CliRunner().invoke(main, ["ingest", str(f), "--config", str(_project(tmp_path, language))])
    assert res.exit_code == 0, res.output
    if language == "it":
        for text in ("righe lette 7", "accettate 1", "nuove 1", "corrette 0", "scartate 6", "data non valida 2",
                     "categoria sconosciuta 1", "comune fuori progetto 1", "nessuna posizione 1", "azione sconosciuta 1",
                     "scarti.csv", "nota: colonne lette"):
            assert text in res.output, text
        assert not {"rows", "accepted", "new", "corrected", "rejected", "note:"} & set(res.output.replace(",", " ").split())
    else:
        for text in ("7 rows read", "1 accepted", "6 rejected", "invalid date 2", "unknown action 1", "note: columns read"):
            assert text in res.output, text


# 6. months: restarted ids, overlapping exports, corrections (also across months)
def _month_file(path: Path, month: int, ids: list[int], category: str = "Anziani", day: int = 3) -> Path:
    rows = [f"{i};{day:02d}/{month:02d}/2026;Via Roma {i};Pavia;;;;{category};Auser Vigevano;sportello;" for i in ids]
    return write(path, [HEADER, *rows])


def test_months_with_restarted_ids_accumulate(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    ott, nov = _month_file(tmp_path / "ottobre.csv", 10, [1, 2]), _month_file(tmp_path / "novembre.csv", 11, [1, 2])
    assert _ingest(settings, ott).summary()["inserted"] == 2
    s = _ingest(settings, nov).summary()
    assert (s["inserted"], s["updated"]) == (2, 0)
    assert sorted(store.reports()["month"]) == ["2026-10", "2026-10", "2026-11", "2026-11"]
    assert _ingest(settings, ott, nov).summary()["unchanged"] == 4  # the same files again
    both = write(tmp_path / "export.csv", [HEADER, *read_lines(ott)[1:], *read_lines(nov)[1:]])
    s = _ingest(settings, both).summary()  # an overlapping export
    assert (s["inserted"], s["updated"], s["unchanged"]) == (0, 0, 4) and len(store.reports()) == 4
    _month_file(ott, 10, [1, 2], category="Disabilità")  # a corrected October
    s = _ingest(settings, ott).summary()
    assert (s["inserted"], s["updated"]) == (0, 2) and len(store.reports()) == 4
    r = store.reports().set_index(["month", "report_id"])
    assert r.loc[("2026-10", "1"), "category"] == "disabilita" and r.loc[("2026-11", "1"), "category"] == "anziani"


def test_ids_restarted_in_two_files_of_one_month_are_both_kept_and_said(settings, tmp_path: Path) -> None:
    """One partner, two December files (sportello and laboratorio), ids 1-5 each: 10 reports."""
    store = Store(settings.paths.store)
    rows = {action: [f"{i};0{i}/10/2026;Via Roma {i};Pavia;;;;Anziani;Auser Vigevano;{action};" for i in range(1, 6)]
            for action in ("sportello", "laboratorio")}
    sportello = write(tmp_path / "ottobre_sportello.csv", [HEADER, *rows["sportello"]])
    laboratorio = write(tmp_path / "ottobre_laboratorio.csv", [HEADER, *rows["laboratorio"]])
    _ingest(settings, sportello)
    res = _ingest(settings, laboratorio)
    up = res.files[0].upsert
    assert (up.inserted, up.updated, up.collisions) == (5, 0, 5)
    assert up.collision_files == ("ottobre_sportello.csv",)
    stored = store.reports()
    assert len(stored) == 10 and sorted(stored["action"].value_counts().tolist()) == [5, 5]
    # both files again: nothing changes; a corrected laboratorio file corrects only its own rows
    s = _ingest(settings, sportello, laboratorio).summary()
    assert (s["inserted"], s["updated"], s["unchanged"]) == (0, 0, 10)
    write(laboratorio, [HEADER, rows["laboratorio"][0].replace("Anziani", "Disabilità"), *rows["laboratorio"][1:]])
    s = _ingest(settings, laboratorio).summary()
    assert (s["inserted"], s["updated"], s["collisions"]) == (0, 1, 0) and len(store.reports()) == 10
    r = store.reports().set_index(["report_id", "action"])
    assert r.loc[("1", "laboratorio"), "category"] == "disabilita"
    assert r.loc[("1", "sportello"), "category"] == "anziani"


def test_the_cli_warns_loudly_when_an_id_is_reused_by_another_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from fragmap.cli import main as cli

    project = tmp_path / "fragmap.toml"
    project.write_text('[paths]\nstore = "private/store.sqlite"\ncache_dir = "private/cache"\n'
                       'gazetteer = "private/gaz.gpkg"\n' + demo_network_toml(), encoding="utf-8")
    a = write(tmp_path / "dic_sportello.csv", [HEADER, "1;03/10/2026;Via Roma 1;Pavia;;;;Anziani;Auser Vigevano;sportello;"])
    b = write(tmp_path / "dic_laboratorio.csv", [HEADER, "1;04/10/2026;Via Roma 2;Pavia;;;;Anziani;Auser Vigevano;laboratorio;"])
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(a), "--config", str(project)]).exit_code == 0
    out = runner.invoke(cli, ["ingest", str(b), "--config", str(project)])
    assert out.exit_code == 0, out.output
    assert "nuove 1, corrette 0" in out.output
    assert "ATTENZIONE: 1 segnalazione ha ID e mese già usati" in out.output and "dic_sportello.csv" in out.output


def read_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("cp1252").splitlines()


def test_a_correction_that_moves_the_date_to_another_month(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    ott = _month_file(tmp_path / "ottobre.csv", 10, [1, 2, 3])
    _ingest(settings, ott)
    lines = read_lines(ott)
    lines[3] = lines[3].replace("03/10/2026", "02/11/2026")  # id 3 belonged to November
    write(ott, lines)
    s = _ingest(settings, ott).summary()  # the same file, corrected: the old version goes
    assert (s["inserted"], s["updated"], s["unchanged"]) == (0, 1, 2)
    r = store.reports()
    assert len(r) == 3 and r.set_index("report_id").loc["3", "month"] == "2026-11"
    assert _ingest(settings, ott).summary()["unchanged"] == 3  # and it stays idempotent
    # In another file it cannot be told from a restarted id: it is added, the old one stays.
    other = write(tmp_path / "rettifica.csv", [HEADER, lines[2].replace("03/10/2026", "01/11/2026")])
    assert _ingest(settings, other).summary()["inserted"] == 1 and len(store.reports()) == 4
    # and a different report under an id of another file in the same month is kept, said aloud
    clash = write(tmp_path / "rettifica2.csv", [HEADER, lines[1].replace("Via Roma 1", "Via Roma 9")])
    s = _ingest(settings, clash).summary()
    assert (s["inserted"], s["updated"], s["collisions"]) == (1, 0, 1) and len(store.reports()) == 5


# 7. files without an id column
NO_ID_HEADER = "Data;Indirizzo;Comune;Categoria;Associazione;Azione"
NO_ID_ROWS = ["03/10/2026;Via Roma 1;Pavia;Anziani;Auser Vigevano;sportello",
              "03/10/2026;Via Roma 1;Pavia;Anziani;Auser Vigevano;sportello",
              "04/10/2026;Via Roma 2;Pavia;Anziani;Auser Vigevano;laboratorio"]


def test_without_ids_identical_rows_are_two_reports_and_reingest_is_idempotent(settings, tmp_path: Path) -> None:
    store = Store(settings.paths.store)
    f = write(tmp_path / "noid.csv", [NO_ID_HEADER, *NO_ID_ROWS])
    res = _ingest(settings, f)
    s = res.summary()
    assert (s["read"], s["accepted"], s["rejected"], s["inserted"]) == (3, 3, 0, 3)
    assert s["files_without_ids"] == 1 and not res.files[0].has_ids
    assert any("colonna ID" in n for n in res.files[0].notes)
    assert _ingest(settings, f).summary()["unchanged"] == 3
    overlap = write(tmp_path / "overlap.csv", [NO_ID_HEADER, NO_ID_ROWS[0], NO_ID_ROWS[2],
                                               "05/10/2026;Via Roma 3;Pavia;Anziani;Auser Vigevano;sportello"])
    s = _ingest(settings, overlap).summary()
    assert (s["inserted"], s["unchanged"]) == (1, 2) and len(store.reports()) == 4
    # A corrected row cannot be matched without ids: it is added, as the note says.
    write(f, [NO_ID_HEADER, *NO_ID_ROWS[:2], NO_ID_ROWS[2].replace("laboratorio", "sportello")])
    assert _ingest(settings, f).summary()["inserted"] == 1


# 8. no action column: refused, nothing invented
def test_a_missing_action_column_is_required(settings, towns, tmp_path: Path) -> None:
    lines = [h.rsplit(";", 2)[0] + ";" + h.rsplit(";", 1)[1] for h in [HEADER, *ROWS]]  # drop Azione
    frame = read_table(write(tmp_path / "na.csv", lines)).frame
    assert "Azione" not in frame.columns
    with pytest.raises(ValidationError, match="azione") as exc:
        check(frame, settings, towns, "na.csv")
    assert "na.csv" in str(exc.value)
    res = _ingest(settings, tmp_path / "na.csv")
    assert res.files[0].refused and Store(settings.paths.store).reports().empty


# 9. headers matched by words, and reported; two columns for one field is an error
def test_headers_are_matched_after_folding_and_reported(settings, towns, tmp_path: Path) -> None:
    header = ("Codice segnalazione;Data intervento;Indirizzo completo;Comune;LAT.;Long;Zona;Categoria fragilità;"
              "Ente;Tipo di intervento;Fascia di età")
    res = check(read_table(write(tmp_path / "h.csv", [header, *ROWS])).frame, settings, towns)
    assert res.rejected.empty and len(res.accepted) == 3
    assert res.accepted["category"].tolist() == ["anziani", "disabilita", "fragilita_economica"]
    assert res.accepted["action"].tolist() == ["sportello", "laboratorio", "sportello"]
    assert res.accepted["age_band"].tolist() == ["75+", "0-17", "35-64"]
    assert res.columns["address"] == "Indirizzo completo" and res.columns["lon"] == "Long"
    assert "«Data intervento» → data" in res.notes[0] and "«Tipo di intervento» → azione" in res.notes[0]


def test_two_columns_for_one_field_is_an_error_naming_both(settings, towns, tmp_path: Path) -> None:
    lines = [HEADER.replace(";Data;", ";Data intervento;") + ";Data colloquio", ROWS[0] + ";04/10/2026"]
    with pytest.raises(ValidationError) as exc:
        check(read_table(write(tmp_path / "a.csv", lines)).frame, settings, towns, "a.csv")
    assert not isinstance(exc.value, PersonalDataError)  # recent dates are not birth dates
    assert exc.value.problems == ["a.csv: le colonne «Data intervento», «Data colloquio» sembrano tutte "
                                  "«data»: rinominarne o eliminarne una"]


def test_a_store_of_the_previous_schema_is_migrated(settings, tmp_path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(settings.paths.store)
    con.executescript(
        "CREATE TABLE reports (partner TEXT NOT NULL, report_id TEXT NOT NULL, category TEXT, action TEXT,"
        " age_band TEXT, date TEXT, month TEXT, town TEXT, address TEXT, lat REAL, lon REAL, quartiere TEXT,"
        " source_file TEXT, source_row INTEGER, record_hash TEXT NOT NULL, PRIMARY KEY (partner, report_id));"
        "CREATE TABLE rejected (batch TEXT, source_file TEXT, source_row INTEGER, \"column\" TEXT, reason TEXT,"
        " message TEXT, report_id TEXT);"
        "INSERT INTO reports VALUES ('auser_vigevano', '1', 'anziani', 'sportello', NULL, '2026-10-03', '2026-10',"
        " 'Pavia', 'Via Roma 1', NULL, NULL, NULL, 'ottobre.csv', 2, 'x');"
        "INSERT INTO rejected VALUES ('2026-11-01', 'ottobre.csv', 3, 'Data', 'bad_date', 'm', '2');"
    )
    con.commit()
    con.close()
    store = Store(settings.paths.store)
    assert store.reports()["report_id"].tolist() == ["1"] and len(store.rejected()) == 1
    _ingest(settings, _month_file(tmp_path / "novembre.csv", 11, [1]))
    assert len(store.reports()) == 2
    con = sqlite3.connect(settings.paths.store)
    pk = [r[1] for r in con.execute("PRAGMA table_info(reports)") if r[5]]
    con.close()
    assert pk == ["partner", "report_id", "month", "source_file"]


def test_a_store_keyed_by_partner_id_and_month_is_migrated(settings, tmp_path: Path) -> None:
    import sqlite3

    _ingest(settings, _month_file(tmp_path / "ottobre.csv", 10, [1, 2]))
    con = sqlite3.connect(settings.paths.store)  # rebuild the table as schema 2 had it
    con.executescript(
        "ALTER TABLE reports RENAME TO r3;"
        "CREATE TABLE reports (partner TEXT NOT NULL, report_id TEXT NOT NULL, category TEXT, action TEXT,"
        " age_band TEXT, date TEXT, month TEXT NOT NULL, town TEXT, address TEXT, lat REAL, lon REAL,"
        " quartiere TEXT, source_file TEXT, source_row INTEGER, record_hash TEXT NOT NULL,"
        " PRIMARY KEY (partner, report_id, month));"
        "INSERT INTO reports SELECT * FROM r3; DROP TABLE r3; PRAGMA user_version = 2;"
    )
    con.close()
    store = Store(settings.paths.store)
    assert len(store.reports()) == 2
    other = _month_file(tmp_path / "ottobre_bis.csv", 10, [1], category="Disabilità")
    assert _ingest(settings, other).summary()["collisions"] == 1 and len(store.reports()) == 3
