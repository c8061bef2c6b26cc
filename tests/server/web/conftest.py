"""Console tests: a real `softphone-server run --demo` per module, one Debian chromium per module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.testing import DemoServer

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
ADMIN_LOGIN = "0901000100"
ADMIN_PASSWORD = "admin1234"

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    server = DemoServer(tmp_path_factory.mktemp("console"), media=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")  # sync Playwright owns an event loop: none may outlive the module
def browser() -> Iterator[object]:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/console/ (looked at by people, kept by CI)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def sign_in(
    page: object,
    server: DemoServer,
    *,
    login: str = ADMIN_LOGIN,
    password: str = ADMIN_PASSWORD,
    lang: str = "vi",
) -> None:
    page.goto(f"{server.url}/console/lang/{lang}?next=/console/login")  # type: ignore[attr-defined]
    page.fill("#f-login", login)  # type: ignore[attr-defined]
    page.fill("#f-password", password)  # type: ignore[attr-defined]
    page.click("form[action='/console/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/console/(dashboard|users|calls|live).*"))  # type: ignore[attr-defined]
