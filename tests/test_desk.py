"""The desk (``fragmap sportello``) as partners and the coordinator meet it, through Starlette's
TestClient (no socket at all): roles, partner isolation, CSRF, uploads refused with a message,
throttled logins, session ids, and the publish / rollback cycle."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("argon2")

from click.testing import CliRunner  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from fragmap.desk.app import COOKIE, create_app  # noqa: E402
from fragmap.desk.security import hash_password, safe_file_name  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYNTH = ROOT / "data" / "synthetic"
PASSWORD = "una-password-lunga"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def _login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = _csrf(client.get("/accesso").text)
    r = client.post("/accesso", data={"csrf": token, "username": username, "password": password},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def _wait(app, client: TestClient, response, timeout: float = 120):
    """Follow a job redirect and wait until the job is done; return its page."""
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    job_id = url.rsplit("/", 1)[-1]
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = client.get(f"/lavori/{job_id}/stato").json()
        if state["done"]:
            return client.get(url)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout}s")


def _upload(client: TestClient, files: list[tuple[str, bytes]], **extra: str):
    token = _csrf(client.get("/invio").text)
    return client.post("/invio", data={"csrf": token, **extra},
                       files=[("file", (n, d, "application/octet-stream")) for n, d in files],
                       follow_redirects=False)


@pytest.fixture
def desk_app(demo_settings):
    app = create_app(demo_settings, local=True, workers=2)
    db = app.state.desk.db
    db.add_account("coord", hash_password(PASSWORD), "coordinatore", None, "test")
    db.add_account("anffas1", hash_password(PASSWORD), "partner", "anffas", "test")
    db.add_account("torri1", hash_password(PASSWORD), "partner", "le_torri", "test")
    yield app
    app.state.desk.jobs.shutdown()


def _client(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def _messy_anffas() -> bytes:
    """The demo export with one row broken on purpose (an impossible date)."""
    text = (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes().decode("latin-1")
    lines = text.splitlines()
    lines[5] = lines[5].replace(lines[5].split(";")[1], "31/02/2025", 1)
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def test_nothing_private_is_served_without_login(desk_app) -> None:
    c = _client(desk_app)
    for url in ("/", "/invio", "/file", "/file/scarti.csv", "/file/1/scarti.csv", "/revisione",
                "/anteprima", "/anteprima/vedi/index.html", "/pubblicazioni", "/utenti", "/registro"):
        r = c.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/accesso", url
    assert c.get("/lavori/whatever/stato").status_code == 404
    for url in ("/invio", "/pubblica", "/revisione/correggi"):
        assert c.post(url, data={}, follow_redirects=False).status_code in (303, 403)


def test_session_id_changes_at_login_and_csrf_is_required(desk_app) -> None:
    c = _client(desk_app)
    c.get("/accesso")
    before = c.cookies.get(COOKIE)
    # a login form without (or with a wrong) token is refused, with a message
    r = c.post("/accesso", data={"username": "coord", "password": PASSWORD})
    assert r.status_code == 403 and "modulo" in r.text
    r = c.post("/accesso", data={"csrf": "x" * 40, "username": "coord", "password": PASSWORD})
    assert r.status_code == 403
    _login(c, "coord")
    after = c.cookies.get(COOKIE)
    assert before and after and before != after
    # the old id opens nothing
    old = _client(desk_app)
    old.cookies.set(COOKIE, before)
    assert old.get("/", follow_redirects=False).status_code == 303
    # logged in: a form without the token is still refused, and nothing starts
    r = c.post("/pubblica", data={})
    assert r.status_code == 403
    assert not desk_app.state.desk.jobs.running("pubblicazione")
    r = c.post("/pubblica", data={"csrf": "sbagliato"})
    assert r.status_code == 403


def test_wrong_passwords_are_throttled(desk_app) -> None:
    c = _client(desk_app)
    for _ in range(5):
        token = _csrf(c.get("/accesso").text)
        r = c.post("/accesso", data={"csrf": token, "username": "coord", "password": "sbagliata"})
        assert r.status_code == 401
    token = _csrf(c.get("/accesso").text)
    r = c.post("/accesso", data={"csrf": token, "username": "coord", "password": PASSWORD})
    assert r.status_code == 429 and "Troppi tentativi" in r.text
    actions = [line["action"] for line in desk_app.state.desk.db.audit()]
    assert actions.count("accesso_fallito") == 5 and "accesso_bloccato" in actions


def test_partner_isolation(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    b = _login(_client(desk_app), "torri1")
    page = _wait(desk_app, a, _upload(a, [("ottobre.csv", _messy_anffas())])).text
    assert "Fatto" in page
    ids_a = [u["id"] for u in desk_app.state.desk.db.uploads("anffas")]
    assert ids_a
    # B sends a file with the SAME name: kept apart from A's
    torri = (SYNTH / "segnalazioni_sintetiche_le_torri.csv").read_bytes()
    _wait(desk_app, b, _upload(b, [("ottobre.csv", torri)]))
    up_b = desk_app.state.desk.db.uploads("le_torri")
    assert len(up_b) == 1 and up_b[0]["stored_name"] != desk_app.state.desk.db.uploads("anffas")[0]["stored_name"]
    # A's own rejected rows are there, downloadable
    mine = a.get(f"/file/{ids_a[0]}/scarti.csv")
    assert mine.status_code == 200 and "31/02/2025" not in mine.text and "6" in mine.text
    # B cannot reach A's file by changing the id, nor see A's rows or addresses anywhere
    assert b.get(f"/file/{ids_a[0]}/scarti.csv").status_code == 404
    assert b.get(f"/file/{ids_a[0] + 100}/scarti.csv").status_code == 404
    for url in ("/file", "/file/scarti.csv", "/file?associazione=anffas", "/file/scarti.csv?associazione=anffas", "/"):
        text = b.get(url).text
        assert "anffas__" not in text and "Anffas" not in text, url
        assert "De Gasperi" not in text
    # coordinator pages are refused to partners
    for url in ("/revisione", "/anteprima", "/pubblicazioni", "/utenti", "/registro", "/anteprima/vedi/index.html"):
        assert b.get(url).status_code == 403, url
    # B cannot follow A's job
    job_pages = [line for line in desk_app.state.desk.jobs._jobs.values() if line.partner == "anffas"]
    assert job_pages and b.get(f"/lavori/{job_pages[0].id}/stato").status_code == 404
    assert b.get(f"/lavori/{job_pages[0].id}").status_code == 404
    # A's board shows only A
    board = a.get("/").text
    assert "Le Torri" not in board and "Anffas Pavia" in board


def test_partner_cannot_send_another_partners_rows(desk_app) -> None:
    b = _login(_client(desk_app), "torri1")
    page = _wait(desk_app, b, _upload(b, [("finto.csv", (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())]))
    assert "un&#39;altra associazione" in page.text or "un'altra associazione" in page.text
    assert desk_app.state.desk.store.reports().empty


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 2**20))
    return buf.getvalue()


def test_bad_uploads_are_refused_with_a_message(demo_settings) -> None:
    app = create_app(demo_settings, local=True, max_upload_mb=1)
    app.state.desk.db.add_account("anffas1", hash_password(PASSWORD), "partner", "anffas", "t")
    c = _login(_client(app), "anffas1")
    bomb = _zip_bomb()
    assert len(bomb) < 2**20
    files = [
        ("grande.csv", b"a;b\n" + b"1;2\n" * 300_000),
        ("programma.exe", b"MZ\x90\x00"),
        ("finto.xlsx", b"not a zip at all"),
        ("bomba.xlsx", bomb),
        ("binario.csv", b"PK\x03\x04\x00\x00binary"),
    ]
    page = _wait(app, c, _upload(c, files)).text
    assert "troppo grande" in page
    assert "tipo di file non accettato" in page
    assert "non è un foglio XLSX valido" in page
    assert "archivio sospetto" in page
    assert "non è un testo CSV" in page
    assert app.state.desk.store.reports().empty
    assert not any((app.state.desk.uploads_dir / "anffas").glob("*")) if (app.state.desk.uploads_dir / "anffas").exists() else True
    app.state.desk.jobs.shutdown()


def test_html_and_dotdot_in_file_names_are_harmless(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    name = "../../<img src=x onerror=alert(1)>.csv"
    page = _wait(desk_app, a, _upload(a, [(name, (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())])).text
    assert "<img src=x" not in page and "&lt;img" in page
    desk = desk_app.state.desk
    stored = [p for p in desk.folder.rglob("*") if p.is_file() and p.suffix == ".csv"]
    assert stored and all(desk.uploads_dir in p.parents for p in stored if "caricamenti" in str(p))
    assert not (desk.folder.parent / "img").exists()
    assert all("<" not in p.name and ".." not in p.name for p in stored)
    files = a.get("/file").text
    assert "<img src=x" not in files
    assert safe_file_name("..\\..\\a.csv") == "a.csv"


def test_csv_download_neutralises_formulas(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    text = (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes().decode("latin-1").splitlines()
    parts = text[3].split(";")
    parts[0], parts[1] = "=SUM(A1)", "31/02/2025"  # a formula as ID, on a rejected row
    text[3] = ";".join(parts)
    _wait(desk_app, a, _upload(a, [("formula.csv", ("\r\n".join(text) + "\r\n").encode("latin-1"))]))
    body = a.get("/file/scarti.csv").content.decode("utf-8-sig")
    assert "SUM(A1)" in body
    assert not re.search(r'(^|;)"?=SUM', body, re.M)


def test_resend_replaces_and_fixed_row_leaves_the_ledger(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    page = _wait(desk_app, a, _upload(a, [("ottobre.csv", _messy_anffas())])).text
    desk = desk_app.state.desk
    before = desk.rejected_rows("anffas")
    assert ((before["source_row"] == 6) & (before["reason"] == "bad_date")).any()
    n_reports = len(desk.store.reports())
    _wait(desk_app, a, _upload(a, [("ottobre.csv", (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())]))
    after = desk.rejected_rows("anffas")
    assert not ((after["source_row"] == 6) & (after["reason"] == "bad_date")).any()
    assert len(desk.store.reports()) == n_reports + 1
    assert len(desk.db.uploads("anffas")) == 1
    assert "caricamento" in [line["action"] for line in desk.db.audit()]
    assert "Fatto" in page


def test_local_mode_needs_no_login_and_network_mode_refuses_without_accounts(demo_settings) -> None:
    app = create_app(demo_settings, local=True)
    c = _client(app)
    assert c.get("/", follow_redirects=False).status_code == 200
    assert c.get("/utenti").status_code == 200  # the single local user is the coordinator
    # a proxied request (a reverse proxy on the same machine) never gets the no-login user
    assert c.get("/", headers={"X-Forwarded-For": "203.0.113.9"}, follow_redirects=False).status_code == 303
    # another host name (DNS rebinding from a web page) is refused
    assert c.get("/", headers={"Host": "attacker.example"}).status_code == 400
    app2 = create_app(demo_settings, local=False)
    assert _client(app2).get("/", follow_redirects=False).status_code == 303
    from fragmap.cli import main

    cfg = ROOT / "fragmap.toml"
    r = CliRunner().invoke(main, ["sportello", "-c", str(cfg), "--host", "0.0.0.0", "--no-browser"])
    assert r.exit_code == 1 and "solo se esistono utenti" in r.output


def test_desk_tables_are_beside_the_store_in_wal_mode(desk_app) -> None:
    import sqlite3

    desk = desk_app.state.desk
    path = desk.settings.paths.store.parent / "sportello.sqlite"
    assert desk.db.path == path
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()
    assert {"accounts", "sessions", "audit", "corrections", "uploads", "publications"} <= tables
    # passwords are argon2 hashes, session ids are stored hashed
    c = _login(_client(desk_app), "coord")
    sid = c.cookies.get(COOKIE)
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT COUNT(*) FROM sessions WHERE id_hash = ?", (sid,)).fetchone()[0] == 0
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM accounts")]
    finally:
        con.close()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_cli_creates_accounts(demo_settings, tmp_path: Path, monkeypatch) -> None:
    from fragmap.cli import main
    from fragmap.desk.db import DeskDB

    cfg = tmp_path / "fragmap.toml"
    cfg.write_text((ROOT / "fragmap.toml").read_text(encoding="utf-8").replace(
        'store = "data/private/store.sqlite"', f'store = "{(tmp_path / "p" / "store.sqlite").as_posix()}"'),
        encoding="utf-8")
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["sportello", "-c", str(cfg), "utente", "aggiungi", "anna", "--ruolo", "partner",
                                  "--associazione", "anffas", "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    db = DeskDB(tmp_path / "p" / "sportello.sqlite")
    acc, h = db.account("anna")
    assert acc.partner == "anffas" and h.startswith("$argon2") and PASSWORD not in h
    r = CliRunner().invoke(main, ["sportello", "-c", str(cfg), "utente", "aggiungi", "bob", "--ruolo", "partner",
                                  "--password", PASSWORD])
    assert r.exit_code == 1 and "--associazione" in r.output


@pytest.mark.slow
def test_publish_refuses_a_second_one_and_rolls_back(desk_app) -> None:
    desk = desk_app.state.desk
    a = _login(_client(desk_app), "anffas1")
    _wait(desk_app, a, _upload(a, [("anffas.csv", (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())]))
    coord = _login(_client(desk_app), "coord")
    token = _csrf(coord.get("/pubblicazioni").text)
    first = coord.post("/pubblica", data={"csrf": token}, follow_redirects=False)
    second = coord.post("/pubblica", data={"csrf": token}, follow_redirects=False)
    assert second.status_code == 409 and "già in corso" in second.text
    page = _wait(desk_app, coord, first, timeout=600).text
    assert "Fatto" in page, page
    output = desk.settings.paths.output
    manifest1 = (output / "manifest.json").read_text(encoding="utf-8")
    # a second month of data, a second publication
    t = _login(_client(desk_app), "torri1")
    _wait(desk_app, t, _upload(t, [("torri.csv", (SYNTH / "segnalazioni_sintetiche_le_torri.csv").read_bytes())]))
    page = _wait(desk_app, coord, coord.post("/pubblica", data={"csrf": token}, follow_redirects=False),
                 timeout=600).text
    assert "Fatto" in page
    assert (output / "manifest.json").read_text(encoding="utf-8") != manifest1
    history = coord.get("/pubblicazioni").text
    pubs = desk.db.publications()
    assert len(pubs) == 2 and pubs[0]["current"] == 1
    r = coord.post(f"/pubblicazioni/{pubs[1]['id']}/ripristina", data={"csrf": token}, follow_redirects=False)
    _wait(desk_app, coord, r)
    assert (output / "manifest.json").read_text(encoding="utf-8") == manifest1
    assert desk.db.publications()[1]["current"] == 1
    actions = [line["action"] for line in desk.db.audit()]
    assert actions.count("pubblicazione") == 2 and "ripristino" in actions
    assert "ripristina" in history


def test_board_shows_who_sent_and_the_first_publishable_month(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    _wait(desk_app, a, _upload(a, [("anffas.csv", (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())]))
    coord = _login(_client(desk_app), "coord")
    desk = desk_app.state.desk
    month = desk.months()[0]
    page = coord.get(f"/?mese={month}").text
    board = desk.board(month)
    sent = {r["code"]: r["sent"] for r in board["rows"]}
    assert sent["anffas"] and not sent["le_torri"]
    assert "Le Torri" in page.split("Mancano ancora")[1]
    first = desk.store.reports()["month"].min()
    import pandas as pd

    assert board["first_publishable"] == str(pd.Period(first, freq="M") + 11)
    assert board["first_publishable"] in page


def test_review_stores_a_correction_apart_and_only_for_the_coordinator(desk_app) -> None:
    a = _login(_client(desk_app), "anffas1")
    original = (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes()
    _wait(desk_app, a, _upload(a, [("anffas.csv", original)]))
    desk = desk_app.state.desk
    coord = _login(_client(desk_app), "coord")
    token = _csrf(coord.get("/revisione").text)
    page = _wait(desk_app, coord, coord.post("/revisione/aggiorna", data={"csrf": token}, follow_redirects=False),
                 timeout=300)
    assert "Fatto" in page.text
    rows = desk.review_rows
    assert len(rows) and set(rows["match_level"]) <= {"comune", "non_trovato"}
    html = coord.get("/revisione").text
    with_cand = rows[rows["candidates"].map(len) > 0].iloc[0]
    town, street, _ = with_cand["candidates"][0]
    assert street in html
    form = {"csrf": token, "partner": with_cand["partner"], "report_id": str(with_cand["report_id"]),
            "month": with_cand["month"], "source_file": with_cand["source_file"], "scelta": f"{town}|{street}"}
    # a partner cannot post a correction, nor without the token
    assert a.post("/revisione/correggi", data={**form, "csrf": _csrf(a.get("/").text)}).status_code == 403
    assert coord.post("/revisione/correggi", data={**form, "csrf": "no"}).status_code == 403
    assert desk.db.corrections().empty
    r = coord.post("/revisione/correggi", data=form, follow_redirects=False)
    assert r.status_code == 303
    fixes = desk.db.corrections()
    assert len(fixes) == 1 and fixes["address"].iloc[0] == street and fixes["town"].iloc[0] == town
    assert fixes["original"].iloc[0] == with_cand["address"]
    assert "correzione" in [line["action"] for line in desk.db.audit()]
    # the partner's file and the store are unchanged
    stored = next(desk.uploads_dir.rglob("anffas__anffas.csv"))
    assert stored.read_bytes() == original
    key = (desk.store.reports()["report_id"].astype(str) == str(with_cand["report_id"]))
    assert with_cand["address"] in set(desk.store.reports()[key]["address"].astype(str))
    # the next geocoding places the report at the corrected street
    page = _wait(desk_app, coord, coord.post("/revisione/aggiorna", data={"csrf": token}, follow_redirects=False),
                 timeout=300)
    after = desk.review_rows
    still = after[(after["partner"] == with_cand["partner"]) & (after["report_id"] == with_cand["report_id"])
                  & (after["source_file"] == with_cand["source_file"]) & (after["month"] == with_cand["month"])]
    assert still.empty


def test_invite_link_creates_one_account_once(desk_app) -> None:
    coord = _login(_client(desk_app), "coord")
    token = _csrf(coord.get("/utenti").text)
    page = coord.post("/utenti", data={"csrf": token, "ruolo": "partner", "associazione": "la_barriera",
                                       "azione": "invito"}).text
    link = re.search(r'<code id="invite">([^<]+)</code>', page).group(1)
    path = "/" + link.split("/", 3)[3]
    guest = _client(desk_app)
    form = guest.get(path)
    assert form.status_code == 200 and "La Barriera" in form.text
    r = guest.post(path, data={"csrf": _csrf(form.text), "username": "barriera1", "password": "corta"})
    assert "almeno 10" in r.text
    r = guest.post(path, data={"csrf": _csrf(form.text), "username": "barriera1", "password": PASSWORD},
                   follow_redirects=False)
    assert r.status_code == 303
    acc, _ = desk_app.state.desk.db.account("barriera1")
    assert acc.role == "partner" and acc.partner == "la_barriera"
    assert _client(desk_app).get(path).status_code == 404  # used: no second account
    _login(_client(desk_app), "barriera1")


def test_logout_ends_the_session(desk_app) -> None:
    c = _login(_client(desk_app), "anffas1")
    sid = c.cookies.get(COOKIE)
    r = c.post("/esci", data={"csrf": _csrf(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303
    other = _client(desk_app)
    other.cookies.set(COOKIE, sid)
    assert other.get("/", follow_redirects=False).status_code == 303


def test_english_interface(demo_settings) -> None:
    import dataclasses

    app = create_app(dataclasses.replace(demo_settings, language="en"), local=True)
    c = _client(app)
    page = c.get("/invio").text
    assert "Choose or drop one or more files" in page and 'lang="en"' in page
    token = _csrf(page)
    r = c.post("/invio", data={"csrf": token, "associazione": "anffas"},
               files=[("file", ("a.exe", b"MZ", "application/octet-stream"))], follow_redirects=False)
    page = _wait(app, c, r).text
    assert "file type not accepted" in page
    assert c.post("/pubblica", data={}).text.count("The form has expired") == 1
    app.state.desk.jobs.shutdown()


@pytest.mark.slow
def test_a_failed_audit_publishes_nothing(desk_app, monkeypatch) -> None:
    from fragmap import privacy

    desk = desk_app.state.desk
    a = _login(_client(desk_app), "anffas1")
    _wait(desk_app, a, _upload(a, [("anffas.csv", (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes())]))

    def failing(folder, private, settings):
        return privacy.AuditResult([privacy.Finding("mappa.html", "coordinate", "riga 1", "una posizione")], 1)

    monkeypatch.setattr(privacy, "audit_folder", failing)
    coord = _login(_client(desk_app), "coord")
    token = _csrf(coord.get("/pubblicazioni").text)
    page = _wait(desk_app, coord, coord.post("/pubblica", data={"csrf": token}, follow_redirects=False),
                 timeout=600).text
    assert 'id="job-error"' in page
    assert "la verifica di riservatezza ha rifiutato la pubblicazione" in page
    assert "mappa.html" in page
    assert "Traceback" not in page
    assert not desk.settings.paths.output.exists()
    assert desk.db.publications() == []
    assert not any(desk.archive_dir.glob("*")) if desk.archive_dir.exists() else True
    assert "pubblicazione_rifiutata" in [line["action"] for line in desk.db.audit()]
    # and the lock is free again: the next publication may start
    assert desk.jobs.build_lock.acquire(blocking=False)
    desk.jobs.build_lock.release()


def test_preview_files_stay_inside_the_preview_folder(desk_app) -> None:
    desk = desk_app.state.desk
    desk.preview_dir.mkdir(parents=True, exist_ok=True)
    (desk.preview_dir / "mappa.html").write_text("<p>anteprima</p>", encoding="utf-8")
    coord = _login(_client(desk_app), "coord")
    assert coord.get("/anteprima/vedi/mappa.html").text == "<p>anteprima</p>"
    assert (desk.folder.parent / "sportello.sqlite").exists()
    for url in ("/anteprima/vedi/..%2F..%2Fsportello.sqlite", "/anteprima/vedi/%2E%2E/%2E%2E/sportello.sqlite",
                "/anteprima/vedi/..%5C..%5Csportello.sqlite", "/anteprima/vedi/%2Fetc%2Fpasswd"):
        r = coord.get(url)
        assert r.status_code == 404, url
        assert "SQLite" not in r.text and "root:" not in r.text
