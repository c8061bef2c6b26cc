"""Console: a user's call forwarding on the user edit page (chromium against the real demo server), vi and
en, field errors next to the field they concern, and the saved rules as the API reads them."""

from __future__ import annotations

import httpx
import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _user_id(page, name: str) -> int:
    href = page.get_by_role("link", name=name).first.get_attribute("href")
    return int(href.rsplit("/", 1)[1])


def _api_rules(server, user_id: int) -> dict:
    api = f"{server.url}/api/v1"
    token = httpx.post(
        f"{api}/auth/login", json={"login": "admin@demo.local", "password": "admin1234"}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    return httpx.get(f"{api}/admin/users/{user_id}/forwarding", headers=headers).json()


def test_forwarding_on_the_user_page_with_field_errors_in_both_languages(console_server, page) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/users?q=102")
    uid = _user_id(page, "Trần Thị Bình")
    page.goto(f"{console_server.url}/console/users/{uid}")
    save = "#forwarding button[type=submit]"
    page.check("#f-fw_busy_enabled")
    page.select_option("#f-fw_busy_kind", "extension")
    page.fill("#f-fw_busy_target", "999")
    page.check("#f-fw_no_answer_enabled")
    page.fill("#f-fw_no_answer_target", "103")
    page.fill("#f-fw_no_answer_seconds", "2")
    page.click(save)
    assert "no such extension in this company" in page.locator("#e-fw_busy_target").inner_text()
    assert "5-120 seconds" in page.locator("#e-fw_no_answer_seconds").inner_text()
    assert page.locator("#f-fw_busy_target").input_value() == "999"  # what was typed stays
    assert page.locator("#f-fw_busy_target").get_attribute("aria-invalid") == "true"
    shot(page, "users-forwarding-errors-en")
    assert _api_rules(console_server, uid)["busy"]["enabled"] is False  # nothing stored

    page.fill("#f-fw_busy_target", "103")
    page.fill("#f-fw_no_answer_seconds", "15")
    page.check("#f-fw_unreachable_enabled")
    page.select_option("#f-fw_unreachable_kind", "external")
    page.fill("#f-fw_unreachable_target", "0912 345 678")
    page.click(save)
    assert page.locator(".flash").inner_text() == "Call forwarding saved."
    assert page.locator("#f-fw_unreachable_target").input_value() == "84912345678"
    rules = _api_rules(console_server, uid)
    assert rules["busy"] == {
        "enabled": True,
        "target_kind": "extension",
        "target": "103",
        "seconds": 20,
        "target_missing": False,
    }
    assert rules["no_answer"]["seconds"] == 15 and rules["no_answer"]["target"] == "103"
    assert rules["unreachable"]["target"] == "84912345678" and rules["always"]["enabled"] is False

    page.goto(f"{console_server.url}/console/lang/vi?next=/console/users/{uid}")
    assert page.locator("#forwarding h2").inner_text() == "Chuyển tiếp cuộc gọi"
    page.fill("#f-fw_unreachable_target", "12345")
    page.click(save)
    assert "dạng 0912345678" in page.locator("#e-fw_unreachable_target").inner_text()
    shot(page, "users-forwarding-errors-vi")
    page.goto(f"{console_server.url}/console/users/{uid}")
    for c in ("busy", "no_answer", "unreachable"):
        page.uncheck(f"#f-fw_{c}_enabled")
    page.click(save)
    assert page.locator(".flash").inner_text() == "Đã lưu chuyển tiếp cuộc gọi."
    shot(page, "users-forwarding-saved-vi")
    assert not any(r["enabled"] for r in _api_rules(console_server, uid).values())


def test_a_rule_to_a_removed_extension_is_flagged_and_removal_names_who_forwards(
    console_server, page
) -> None:
    api = f"{console_server.url}/api/v1"
    token = httpx.post(
        f"{api}/auth/login", json={"login": "admin@demo.local", "password": "admin1234"}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/users?q=102")
    uid = _user_id(page, "Trần Thị Bình")
    page.goto(f"{console_server.url}/console/users?q=103")
    owner = _user_id(page, page.locator("table tbody tr a").first.inner_text())
    r = httpx.post(f"{api}/admin/users/{owner}/extensions", json={"number": "188"}, headers=headers)
    assert r.status_code == 201, r.text
    body = {"always": {"enabled": True, "target_kind": "extension", "target": "188"}}
    r = httpx.put(f"{api}/admin/users/{uid}/forwarding", json=body, headers=headers)
    assert r.status_code == 200, r.text

    page.goto(f"{console_server.url}/console/users/{owner}")
    remove = page.locator("form[action$='/extensions/188/delete']")
    confirm = remove.get_attribute("data-confirm") or ""
    assert "Trần Thị Bình" in confirm and "forward calls to it" in confirm, confirm
    r = httpx.delete(f"{api}/admin/users/{owner}/extensions/188", headers=headers)
    assert r.status_code == 204, r.text

    page.goto(f"{console_server.url}/console/users/{uid}")
    warning = page.locator("#forwarding fieldset").first.locator(".error")
    assert warning.inner_text() == "Extension 188 no longer exists: this rule is ignored until you change it."
    shot(page, "users-forwarding-target-missing-en")
    page.goto(f"{console_server.url}/console/lang/vi?next=/console/users/{uid}")
    assert "Số máy lẻ 188 không còn tồn tại" in page.locator("#forwarding fieldset").first.inner_text()
    r = httpx.put(f"{api}/admin/users/{uid}/forwarding", json={}, headers=headers)
    assert r.status_code == 200, r.text
