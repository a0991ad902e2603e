"""The desk in real headless Chromium, served by uvicorn on 127.0.0.1: a partner sends a messy
export, sees and downloads its errors, fixes a row and sends it again; the coordinator corrects
an address in review, previews and publishes; the published folder passes check-published."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from click.testing import CliRunner  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYNTH = ROOT / "data" / "synthetic"
PASSWORD = "una-password-lunga"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def project_file(tmp: Path) -> Path:
    """The demo fragmap.toml with absolute reference paths and the private side in ``tmp``."""
    text = (ROOT / "fragmap.toml").read_text(encoding="utf-8").replace('"data/', f'"{ROOT.as_posix()}/data/')
    text = text.replace(f'"{ROOT.as_posix()}/data/private/', f'"{(tmp / "private").as_posix()}/')
    text = text.replace('output = "maps"', f'output = "{(tmp / "maps").as_posix()}"')
    cfg = tmp / "fragmap.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app, port: int) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def desk_server(tmp_path: Path):
    from fragmap.desk.app import create_app
    from fragmap.desk.security import hash_password
    from fragmap.settings import load_settings

    cfg = project_file(tmp_path)
    app = create_app(load_settings(cfg), local=True)
    db = app.state.desk.db
    db.add_account("coord", hash_password(PASSWORD), "coordinatore", None, "test")
    db.add_account("anffas1", hash_password(PASSWORD), "partner", "anffas", "test")
    for url in serve(app, free_port()):
        yield url, app, cfg
    app.state.desk.jobs.shutdown()


def login(page, base: str, user: str) -> None:
    page.goto(f"{base}/accesso")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_job(page, timeout_s: float = 600) -> None:
    page.wait_for_selector("#job-done, #job-error", timeout=timeout_s * 1000)
    assert page.locator("#job-error").count() == 0, page.locator("#job-error").inner_text()


def messy_export(tmp: Path) -> tuple[Path, int]:
    """The demo export of Anffas with one impossible date; returns the file and the broken row."""
    lines = (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes().decode("latin-1").splitlines()
    row = 6  # spreadsheet row (the header is row 1)
    cells = lines[row - 1].split(";")
    cells[1] = "31/02/2025"
    lines[row - 1] = ";".join(cells)
    path = tmp / "anffas_export.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path, row


def test_a_month_end_to_end_in_the_browser(browser, desk_server, tmp_path: Path, artifacts_dir: Path) -> None:
    base, app, cfg = desk_server
    desk = app.state.desk
    messy, row = messy_export(tmp_path)

    # -- the partner ------------------------------------------------------------------------
    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    login(page, base, "anffas1")
    page.goto(f"{base}/invio")
    page.set_input_files("input[type=file]", str(messy))
    page.click("button[type=submit]")
    wait_job(page)
    first_rejected = int(page.locator("#results tbody tr td").nth(3).inner_text())
    assert first_rejected >= 1
    page.goto(f"{base}/file")
    table = page.locator("#rejected").inner_text()
    assert "anffas_export.csv" in table and "data" in table.lower()
    assert page.locator("#rejected tbody tr").count() == first_rejected
    with page.expect_download() as dl:
        page.click("a.download")
    sheet = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    assert f"anffas__anffas_export.csv;{row};" in sheet
    # fix the row (the original date) and send the file again under the same name
    fixed = tmp_path / "fixed" / "anffas_export.csv"
    fixed.parent.mkdir()
    lines = messy.read_bytes().decode("latin-1").splitlines()
    lines[row - 1] = (SYNTH / "segnalazioni_sintetiche_anffas.csv").read_bytes().decode("latin-1").splitlines()[row - 1]
    fixed.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    page.goto(f"{base}/invio")
    page.set_input_files("input[type=file]", str(fixed))
    page.click("button[type=submit]")
    wait_job(page)
    assert int(page.locator("#results tbody tr td").nth(3).inner_text()) == first_rejected - 1
    page.goto(f"{base}/file")
    assert page.locator("#rejected tbody tr").count() == first_rejected - 1
    ctx.close()

    # -- the coordinator --------------------------------------------------------------------
    ctx = browser.new_context()
    page = ctx.new_page()
    login(page, base, "coord")
    assert "Anffas Pavia" in page.locator("#board").inner_text()
    page.goto(f"{base}/revisione")
    page.click("#review-refresh")
    wait_job(page)
    page.goto(f"{base}/revisione")
    forms = page.locator("#review form.correct")
    assert forms.count() >= 1
    target = None
    for i in range(forms.count()):
        if forms.nth(i).locator("input[type=radio]").count():
            target = forms.nth(i)
            break
    assert target is not None, "no review row with a street candidate"
    target.locator("input[type=radio]").first.check()
    target.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/revisione")
    assert page.locator("#corrections tbody tr").count() == 1
    assert len(desk.db.corrections()) == 1
    page.screenshot(path=str(artifacts_dir / "desk_review.png"), full_page=True)

    page.goto(f"{base}/anteprima")
    page.click("#build-preview")
    wait_job(page)
    page.goto(f"{base}/anteprima")
    links = page.locator("#preview-files a")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    preview = ctx.new_page()
    preview.goto(f"{base}{href}")
    preview.wait_for_selector(".leaflet-container, body", timeout=30000)
    preview.close()

    page.goto(f"{base}/pubblicazioni")
    page.click("#publish")
    wait_job(page)
    page.goto(f"{base}/pubblicazioni")
    assert page.locator("#history tbody tr").count() == 1
    output = desk.settings.paths.output
    first_manifest = (output / "manifest.json").read_text(encoding="utf-8")

    # the coordinator sends a file for another partner, publishes again, then restores the first
    page.goto(f"{base}/invio")
    page.select_option("select[name=associazione]", "le_torri")
    page.set_input_files("input[type=file]", str(SYNTH / "segnalazioni_sintetiche_le_torri.csv"))
    page.click("button[type=submit]")
    wait_job(page)
    page.goto(f"{base}/pubblicazioni")
    page.click("#publish")
    wait_job(page)
    page.goto(f"{base}/pubblicazioni")
    assert page.locator("#history tbody tr").count() == 2
    assert (output / "manifest.json").read_text(encoding="utf-8") != first_manifest
    page.locator("#history button.rollback").click()
    wait_job(page)
    page.goto(f"{base}/pubblicazioni")
    first_row = page.locator("#history tbody tr").nth(1)
    assert "online" in first_row.inner_text()
    assert (output / "manifest.json").read_text(encoding="utf-8") == first_manifest
    page.screenshot(path=str(artifacts_dir / "desk_history.png"), full_page=True)
    page.goto(f"{base}/registro")
    log = page.locator("#audit").inner_text()
    for action in ("caricamento", "correzione", "anteprima", "pubblicazione", "ripristino"):
        assert action in log
    ctx.close()

    assert (output / "manifest.json").exists()
    from fragmap.cli import main

    result = CliRunner().invoke(main, ["check-published", str(output), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "nothing points at a person" in result.output
