"""Shared test fixtures. Topic fixtures live in their own test modules or tests/data/<topic>/."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from factories import demo_defaults
from fragmap.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Fail any test that opens a non-loopback connection (tests never use the network)."""
    if request.node.get_closest_marker("web"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings and the demo network, rooted at the repository (reference data),
    with private paths in tmp."""
    import dataclasses

    s = demo_defaults(ROOT)
    paths = dataclasses.replace(
        s.paths,
        store=tmp_path / "store.sqlite",
        gazetteer=tmp_path / "gazetteer.gpkg",
        cache_dir=tmp_path / "cache",
        output=tmp_path / "maps",
        geodata=tmp_path / "geodati",
    )
    return dataclasses.replace(s, paths=paths)


@pytest.fixture
def demo_settings(tmp_path: Path) -> Settings:
    """The shipped demo project (fragmap.toml) with its private folder and output in tmp."""
    import dataclasses

    from fragmap.settings import load_settings

    s = load_settings(ROOT / "fragmap.toml")
    paths = dataclasses.replace(
        s.paths,
        store=tmp_path / "private" / "store.sqlite",
        gazetteer=tmp_path / "private" / "gazetteer.gpkg",
        cache_dir=tmp_path / "private" / "cache",
        output=tmp_path / "maps",
        geodata=tmp_path / "geodati",
    )
    return dataclasses.replace(s, paths=paths)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for screenshots and other test artefacts (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def chromium_path() -> str | None:
    """Path to Debian's Chromium, or None."""
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(p):
            return p
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright (Debian's binary; nothing downloaded).

    Skips when Chromium is missing locally; in CI (CI=true) a missing browser is a failure.
    """
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium missing in CI: scripts/ensure-chromium.sh should install it")
        pytest.skip("Chromium not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
