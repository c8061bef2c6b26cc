"""Groups, hotlines, desk phones, audit log and company pages in chromium against the real demo server."""

from __future__ import annotations

import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]

PAGES = (
    "groups",
    "hotlines",
    "desk-phones",
    "audit",
    "company",
    "live",
    "calls",
    "dashboard",
    "users",
    "rate-tables",
    "cost-report",
)


def test_every_page_in_both_languages(console_server, page) -> None:
    for lang, heading in (("vi", {"groups": "Nhóm", "company": "Công ty"}), ("en", {"groups": "Groups"})):
        sign_in(page, console_server, lang=lang)
        for name in PAGES:
            response = page.goto(f"{console_server.url}/console/{name}")
            assert response.status == 200, name
            if name in heading:
                assert page.locator("h1").inner_text() == heading[name]
            # every visible form control has a label
            unlabelled = page.evaluate(
                """() => [...document.querySelectorAll('main input:not([type=hidden]), main select')]
                     .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
            )
            assert unlabelled == [], (name, unlabelled)
            shot(page, f"page_{name}_{lang}")


def test_hotline_group_desk_phone_company_forms_and_the_audit_log(console_server, page) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/hotlines")
    page.fill("#f-number", "abc")
    page.fill("#f-trunk_host", "sip.carrier.example")
    page.click("main form[novalidate] button.primary")
    assert page.locator("#e-number").is_visible()
    assert "abc" not in page.locator("tbody").inner_text()  # nothing half-saved
    page.fill("#f-number", "02873009999")
    page.fill("#f-carrier", "vnpt")
    page.fill("#f-trunk_host", "sip.carrier.example")
    page.fill("#f-trunk_port", "99999")
    page.click("main form[novalidate] button.primary")
    assert page.locator("#e-trunk_port").is_visible()
    page.fill("#f-trunk_port", "5080")
    page.fill("#f-trunk_username", "demo-trunk")
    page.fill("#f-trunk_password", "s3cret-trunk")
    page.check("#f-trunk_register")
    page.click("main form[novalidate] button.primary")
    assert page.locator(".flash").inner_text() == "Hotline created."
    assert "udp:sip.carrier.example:5080" in page.locator("tbody").inner_text()
    assert page.locator("tbody span.badge[title='Trunk status']").count() == 1  # the PBX's registration state
    shot(page, "hotlines_created_en")

    page.goto(f"{console_server.url}/console/groups")
    page.click("main form[action$='/groups'] button.primary")
    assert page.locator("#e-name").is_visible()
    page.fill("#f-name", "Sales")
    page.select_option("#f-members", ["2", "3"])
    page.click("main form[action$='/groups'] button.primary")
    assert page.locator(".flash").inner_text() == "Group created."
    assert "2 members" in page.locator("main").inner_text()

    page.goto(f"{console_server.url}/console/desk-phones")
    page.fill("#f-mac", "not-a-mac")
    page.select_option("#f-user_id", "2")
    page.click("main form[action$='/desk-phones'] button.primary")
    assert page.locator("#e-mac").is_visible()
    page.fill("#f-mac", "00:15:65:00:01:01")
    page.select_option("#f-user_id", "2")
    page.click("main form[action$='/desk-phones'] button.primary")
    assert "pairing window" in page.locator(".flash").inner_text()

    page.goto(f"{console_server.url}/console/company")
    page.fill("#f-name", "")
    page.click("main button.primary")
    assert page.locator("#e-name").is_visible()
    page.fill("#f-name", "Demo Co")
    page.click("main button.primary")
    assert "Demo Co" in page.locator("header").inner_text()

    page.goto(f"{console_server.url}/console/audit?entity=hotline")
    text = page.locator("tbody").inner_text()
    assert "02873009999" in text and "s3cret-trunk" not in text and "trunk_password=***" in text
    shot(page, "audit_filtered_en")
    page.goto(f"{console_server.url}/console/audit?entity=company")
    assert "Demo Co" in page.locator("tbody").inner_text()
