"""A bounded load test on 127.0.0.1: the six partners upload at once while the coordinator
publishes. No upload lost, no error, and the store holds exactly what a one-by-one
``fragmap ingest`` of the same six files gives."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from test_desk_browser import free_port, project_file, serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYNTH = ROOT / "data" / "synthetic"
PASSWORD = "una-password-lunga"
FILES = {
    "anffas": "segnalazioni_sintetiche_anffas.csv",
    "articolo3": "segnalazioni_sintetiche_articolo3.xlsx",
    "auser_vigevano": "segnalazioni_sintetiche_auser_vigevano.csv",
    "genitori_dosso_verde": "segnalazioni_sintetiche_genitori_dosso_verde.csv",
    "la_barriera": "segnalazioni_sintetiche_la_barriera.csv",
    "le_torri": "segnalazioni_sintetiche_le_torri.csv",
}

pytestmark = pytest.mark.slow


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _client(base: str, user: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    token = _csrf(c.get("/accesso").text)
    r = c.post("/accesso", data={"csrf": token, "username": user, "password": PASSWORD})
    assert r.status_code == 303
    return c


def _wait(c: httpx.Client, location: str, deadline: float) -> dict:
    job_id = location.rsplit("/", 1)[-1]
    while time.time() < deadline:
        state = c.get(f"/lavori/{job_id}/stato").json()
        if state["done"]:
            return state
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not done in time")


def test_six_partners_upload_while_the_coordinator_publishes(tmp_path: Path) -> None:
    from fragmap.desk.app import create_app
    from fragmap.desk.security import hash_password
    from fragmap.ingest import ingest_files
    from fragmap.io.store import Store
    from fragmap.settings import load_settings

    settings = load_settings(project_file(tmp_path))
    app = create_app(settings, local=True, workers=3)
    desk = app.state.desk
    desk.db.add_account("coord", hash_password(PASSWORD), "coordinatore", None, "t")
    for code in FILES:
        desk.db.add_account(f"{code}1", hash_password(PASSWORD), "partner", code, "t")
    started = time.time()
    deadline = started + 900  # the bound: the whole exchange within 15 minutes on a shared machine
    results: dict[str, object] = {}
    errors: list[str] = []

    for base in serve(app, free_port()):
        # one partner's month already in, so the publication has something to build
        seed = _client(base, "anffas1")
        r = seed.post("/invio", data={"csrf": _csrf(seed.get("/invio").text)},
                      files=[("file", ("seed.csv", (SYNTH / FILES["anffas"]).read_bytes()))])
        assert r.status_code == 303
        assert _wait(seed, r.headers["location"], deadline)["state"] == "fatto"

        def partner(code: str) -> None:
            try:
                c = _client(base, f"{code}1")
                data = (SYNTH / FILES[code]).read_bytes()
                r = c.post("/invio", data={"csrf": _csrf(c.get("/invio").text)},
                           files=[("file", (FILES[code], data))])
                assert r.status_code == 303, r.text
                results[code] = _wait(c, r.headers["location"], deadline)
            except BaseException as exc:  # collected: a thread's assert must fail the test
                errors.append(f"{code}: {exc!r}")

        def coordinator() -> None:
            try:
                c = _client(base, "coord")
                r = c.post("/pubblica", data={"csrf": _csrf(c.get("/pubblicazioni").text)})
                assert r.status_code == 303, r.text
                results["publish"] = _wait(c, r.headers["location"], deadline)
                # a second publication while none runs is accepted again afterwards
            except BaseException as exc:
                errors.append(f"publish: {exc!r}")

        threads = [threading.Thread(target=partner, args=(code,)) for code in FILES]
        threads.append(threading.Thread(target=coordinator))
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(1.0, deadline - time.time()))
        assert not any(t.is_alive() for t in threads)
    app.state.desk.jobs.shutdown()
    elapsed = time.time() - started
    print(f"load: 6 uploads + 1 publication in {elapsed:.1f} s")

    assert not errors, errors
    assert len(results) == 7
    assert all(s["state"] == "fatto" for s in results.values()), str(results.get("publish"))  # type: ignore[index]
    assert (settings.paths.output / "manifest.json").exists()
    # every upload recorded, once, under its partner
    uploads = desk.db.uploads()
    assert sorted(u["partner"] for u in uploads if not u["stored_name"].endswith("__seed.csv")) == sorted(FILES)
    # the store equals a one-by-one intake of the same files
    ref = Store(tmp_path / "ref" / "store.sqlite")
    seed = tmp_path / "seed.csv"
    seed.write_bytes((SYNTH / FILES["anffas"]).read_bytes())
    ingest_files([seed], settings, store=ref, write_ledger=False)
    ingest_files([SYNTH / f for f in FILES.values()], settings, store=ref, write_ledger=False)
    cols = ["partner", "report_id", "month", "record_hash"]
    got = desk.store.reports()[cols].astype(str).sort_values(cols).reset_index(drop=True)
    want = ref.reports()[cols].astype(str).sort_values(cols).reset_index(drop=True)
    assert len(got) == len(want) > 3000
    assert got.equals(want)
    led_got = desk.store.rejected()
    led_want = ref.rejected()
    assert len(led_got) == len(led_want)
    assert set(desk.store.files()["name"]) == {u["stored_name"] for u in uploads}
