"""Console sign-in, language, CSRF, lockout and password change in a real chromium against the real server."""

from __future__ import annotations

import re

import pytest

from tests.server.web.conftest import ADMIN_PASSWORD, shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def test_login_page_in_both_languages_and_wrong_password(console_server, page) -> None:
    for lang, title in (("vi", "Đăng nhập"), ("en", "Sign in")):
        page.goto(f"{console_server.url}/console/lang/{lang}?next=/console/login")
        assert page.locator("h1").inner_text() == title
        assert page.locator("html").get_attribute("lang") == lang
        page.fill("#f-login", "0901000100")
        page.fill("#f-password", "wrong-password")
        page.click("form[action='/console/login'] button[type=submit]")
        page.wait_for_load_state()
        page.locator(".form-error").wait_for()
        shot(page, f"login_error_{lang}")
    # Labels are tied to inputs, and the keyboard reaches the form with a visible focus ring.
    assert page.get_by_label("Phone or e-mail").count() == 1
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.tagName")
    assert focused in {"A", "INPUT", "BUTTON"}
    # the focused control shows a visible outline (our :focus-visible rule)
    page.focus("#f-login")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_empty_fields_get_messages_next_to_them(console_server, page) -> None:
    page.goto(f"{console_server.url}/console/lang/en?next=/console/login")
    page.click("form[action='/console/login'] button[type=submit]")
    assert page.locator("#e-login").inner_text() == "Enter your phone number or e-mail."
    assert page.locator("#e-password").inner_text() == "Enter your password."


def test_csrf_is_refused_without_the_token(console_server, page) -> None:
    sign_in(page, console_server, lang="en")
    response = page.request.post(
        f"{console_server.url}/console/password",
        form={"current": ADMIN_PASSWORD, "new": "x" * 10, "confirm": "x" * 10},
    )
    assert response.status == 403
    response = page.request.post(
        f"{console_server.url}/console/password",
        form={"current": ADMIN_PASSWORD, "new": "x" * 10, "confirm": "x" * 10, "csrf_token": "forged"},
    )
    assert response.status == 403
    # The login form too (a forged cross-site sign-in).
    response = page.request.post(
        f"{console_server.url}/console/login", form={"login": "0901000100", "password": ADMIN_PASSWORD}
    )
    assert response.status == 403


def test_agents_are_not_let_in_and_lockout_applies(console_server, page) -> None:
    page.goto(f"{console_server.url}/console/lang/en?next=/console/login")
    page.fill("#f-login", "0901000101")
    page.fill("#f-password", "agent101")
    page.click("form[action='/console/login'] button[type=submit]")
    assert "administrators and supervisors" in page.locator(".form-error").inner_text()
    for _ in range(5):
        page.fill("#f-login", "0901000102")
        page.fill("#f-password", "not-it")
        page.click("form[action='/console/login'] button[type=submit]")
    assert "locked" in page.locator(".form-error").inner_text()
    shot(page, "login_locked_en")


def test_sign_in_password_change_and_sign_out(console_server, page) -> None:
    sign_in(page, console_server, lang="vi")
    assert page.locator("h1").inner_text() == "Tổng quan"
    page.goto(f"{console_server.url}/console/password")
    shot(page, "password_vi")
    page.fill("#f-current", ADMIN_PASSWORD)
    page.fill("#f-new", "short")
    page.fill("#f-confirm", "short")
    page.click("main button[type=submit]")
    assert "8" in page.locator("#e-new").inner_text()
    page.fill("#f-current", ADMIN_PASSWORD)
    page.fill("#f-new", "admin1234")  # same password again: a valid change that leaves the demo login alone
    page.fill("#f-confirm", "admin1234")
    page.click("main button[type=submit]")
    assert page.locator(".flash").inner_text() == "Đã đổi mật khẩu."
    page.click("header button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/login"))
    page.goto(f"{console_server.url}/console/dashboard")
    assert "/console/login" in page.url
