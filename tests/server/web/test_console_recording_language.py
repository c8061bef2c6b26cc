"""Company recording policy, a user's recording override and each admin's own console language, in
chromium against the real demo server (vi and en, field errors, screenshots)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.server.web.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]

SECOND_ADMIN = {"full_name": "Đỗ Thị Lan", "phone": "0901000177", "password": "lan-admin-77", "role": "admin"}


def _tamper(page, select: str, value: str) -> None:
    """A value no option offers (a forged form): the server must refuse it next to the field."""
    page.evaluate(
        "([sel, v]) => { const o = document.querySelector(sel).options[0]; o.value = v; o.selected = true; }",
        [select, value],
    )


def test_company_recording_policy_in_both_languages_with_field_errors(console_server, page) -> None:
    sign_in(page, console_server, lang="vi")
    page.goto(f"{console_server.url}/console/company")
    assert page.locator("label[for=f-recording_policy]").inner_text() == "Ghi âm cuộc gọi"
    assert page.locator("#f-recording_policy").input_value() == "off"
    shot(page, "company_recording_vi")

    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/company")
    assert page.locator("label[for=f-recording_policy]").inner_text() == "Call recording"
    page.fill("#f-name", "Renamed Co")
    _tamper(page, "#f-recording_policy", "sometimes")
    page.click("main button.primary")
    assert page.locator("#e-recording_policy").is_visible()
    assert "off, all, inbound or outbound" in page.locator("#e-recording_policy").inner_text()
    shot(page, "company_recording_error_en")
    page.goto(f"{console_server.url}/console/company")
    assert "Renamed Co" not in page.locator("header").inner_text()  # nothing half-saved

    page.select_option("#f-recording_policy", "inbound")
    page.select_option("#f-console_language", "en")
    page.click("main button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator("#f-recording_policy").input_value() == "inbound"
    assert page.locator("#f-console_language").input_value() == "en"
    shot(page, "company_recording_saved_en")
    page.goto(f"{console_server.url}/console/audit?entity=company")
    assert "inbound" in page.locator("main").inner_text()
    page.goto(f"{console_server.url}/console/company")  # back to the default for the other tests
    page.select_option("#f-console_language", "")
    page.click("main button.primary")


def test_user_recording_override_with_field_error(console_server, page) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/users")
    page.click("text=Trần Thị Bình")
    page.wait_for_url(re.compile(r".*/console/users/\d+$"))
    user_url = page.url
    assert page.locator("#f-recording").input_value() == "inherit"
    _tamper(page, "#f-recording", "sometimes")
    page.locator("main section.card form button.primary").first.click()
    assert page.locator("#e-recording").is_visible()
    shot(page, "user_recording_error_en")
    page.goto(user_url)
    assert page.locator("#f-recording").input_value() == "inherit"  # nothing saved
    page.select_option("#f-recording", "always")
    page.locator("main section.card form button.primary").first.click()
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator("#f-recording").input_value() == "always"
    shot(page, "user_recording_saved_en")
    sign_in(page, console_server, lang="vi")
    page.goto(user_url)
    assert page.locator("label[for=f-recording]").inner_text() == "Ghi âm cuộc gọi của người dùng này"
    assert page.locator("#f-recording option:checked").inner_text() == "Luôn ghi âm"
    shot(page, "user_recording_vi")


def _sign_in_as_is(page, server, login: str, password: str) -> None:
    """Sign in without touching the language switch (what a returning admin does)."""
    page.goto(f"{server.url}/console/login")
    page.fill("#f-login", login)
    page.fill("#f-password", password)
    page.click("form[action='/console/login'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/dashboard.*"))


def _sign_out(page) -> None:
    page.click("header form[action$='/logout'] button")
    page.wait_for_url(re.compile(r".*/console/login.*"))


def test_each_admin_keeps_their_own_language_across_logins_and_browsers(console_server, browser) -> None:
    with httpx.Client(base_url=f"{console_server.url}/api/v1", timeout=10) as api:
        r = api.post("/auth/login", json={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = api.post("/admin/users", json=SECOND_ADMIN, headers=headers)
        assert r.status_code == 201, r.text
    a_login, b_login = (ADMIN_LOGIN, ADMIN_PASSWORD), (SECOND_ADMIN["phone"], SECOND_ADMIN["password"])

    first = browser.new_context(viewport={"width": 1280, "height": 900})
    page = first.new_page()
    # admin A switches to English while signed in; admin B chooses Vietnamese
    _sign_in_as_is(page, console_server, *a_login)
    page.click("header nav.langs a[lang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    _sign_out(page)
    _sign_in_as_is(page, console_server, *b_login)
    assert page.locator("html").get_attribute("lang") == "vi"  # not A's English left in this browser
    page.click("header nav.langs a[lang=vi]")
    _sign_out(page)
    first.close()

    # another browser (no cookies): each admin sees their own language after signing in again
    second = browser.new_context(viewport={"width": 1280, "height": 900})
    page = second.new_page()
    _sign_in_as_is(page, console_server, *a_login)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.side").inner_text().startswith("Dashboard")
    shot(page, "language_admin_a_en")
    _sign_out(page)
    _sign_in_as_is(page, console_server, *b_login)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Lịch sử cuộc gọi" in page.locator("nav.side").inner_text()
    shot(page, "language_admin_b_vi")
    _sign_out(page)
    _sign_in_as_is(page, console_server, *a_login)
    assert page.locator("html").get_attribute("lang") == "en"
    second.close()


def test_history_plays_the_recording_its_record_links(console_server, page) -> None:
    """A server recording linked from the call record (not findable by Call-ID in its name) plays."""
    import sqlite3
    import time
    import wave

    recordings = console_server.data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    wav = recordings / "linked-by-the-record.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * 8000)
    now = time.time()
    with sqlite3.connect(console_server.data_dir / "softphone.db", timeout=10) as db:
        db.execute(
            "insert into call_records (call_id, company_id, domain, caller, callee, direction, start, answer,"
            " \"end\", disposition, recording) values (?, 1, 'demo.local', '101', '102', 'internal', ?, ?, ?,"
            " 'completed', ?)",
            ("policy-linked-call", now - 60, now - 58, now - 30, wav.name),
        )
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/calls?number=102")
    players = page.locator("audio[preload=none]")
    assert players.count() >= 1
    src = players.first.get_attribute("src")
    response = page.request.get(f"{console_server.url}{src}")
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    assert response.body() == wav.read_bytes()
    shot(page, "calls_recording_linked_en")
