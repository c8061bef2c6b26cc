"""The company page's recording notice and retention settings, and "deleted by retention" in the call
history, in chromium against the real demo server (vi and en, field errors, audit, screenshots)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _seed_deleted_call(server) -> None:
    """A call record whose recording the retention job deleted (the job: test_recording_retention.py)."""
    db = sqlite3.connect(server.data_dir / "softphone.db")
    try:
        (company_id,) = db.execute("SELECT id FROM companies WHERE sip_domain = 'demo.local'").fetchone()
        now = time.time()
        db.execute(
            "INSERT INTO call_records (call_id, company_id, domain, caller, callee, direction, start, answer,"
            ' "end", disposition, recording, recording_deleted)'
            " VALUES ('retained-1', ?, 'demo.local', '0903000001', '101', 'inbound', ?, ?, ?, 'completed',"
            " NULL, ?)",
            (company_id, now - 600, now - 595, now - 535, now),
        )
        db.commit()
    finally:
        db.close()


def test_notice_and_retention_settings_with_validation_and_the_history_says_deleted(
    console_server, page
) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/company")
    assert not page.locator("#f-recording_notice").is_checked()  # off by default
    assert page.locator("#f-recording_retention_days").input_value() == "0"  # forever by default
    for bad in ("3651", "-1", "2.5"):
        page.fill("#f-name", "Half Saved Co")
        page.check("#f-recording_notice")
        page.fill("#f-recording_retention_days", bad)
        page.click("main button.primary")
        error = page.locator("#e-recording_retention_days")
        assert error.is_visible(), bad
        assert "0 (keep forever) to 3650" in error.inner_text()
    shot(page, "company_retention_error_en")
    page.goto(f"{console_server.url}/console/company")
    assert not page.locator("#f-recording_notice").is_checked()  # nothing half-saved
    assert "Half Saved Co" not in page.locator("header").inner_text()

    # the notice is picked among the company's prompts, the built-in sentence first
    options = page.locator("#f-recording_notice_prompt option").all_inner_texts()
    assert options[0] == "Built-in sentence (company's default language)", options

    page.goto(f"{console_server.url}/console/company")
    page.check("#f-recording_notice")
    page.fill("#f-recording_retention_days", "90")
    page.click("main button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator("#f-recording_notice").is_checked()
    assert page.locator("#f-recording_retention_days").input_value() == "90"
    shot(page, "company_notice_retention_saved_en")
    page.goto(f"{console_server.url}/console/audit?entity=company")
    assert "recording_retention_days" in page.locator("main").inner_text()

    sign_in(page, console_server, lang="vi")
    page.goto(f"{console_server.url}/console/company")
    assert page.locator("label[for=f-recording_retention_days]").inner_text() == "Giữ bản ghi âm (ngày)"
    page.fill("#f-recording_retention_days", "4000")
    page.click("main button.primary")
    assert "từ 0 (giữ mãi) đến 3650" in page.locator("#e-recording_retention_days").inner_text()
    shot(page, "company_retention_error_vi")

    _seed_deleted_call(console_server)
    page.goto(f"{console_server.url}/console/calls")
    assert page.locator(".recording-deleted").first.inner_text() == "Đã xóa theo thời hạn lưu"
    shot(page, "calls_deleted_by_retention_vi")
    page.goto(f"{console_server.url}/console/lang/en?next=/console/calls")
    assert page.locator(".recording-deleted").first.inner_text() == "Deleted by retention"
    assert page.locator("audio").count() == 0
    shot(page, "calls_deleted_by_retention_en")

    page.goto(f"{console_server.url}/console/company")  # back to the defaults for other tests
    page.uncheck("#f-recording_notice")
    page.fill("#f-recording_retention_days", "0")
    page.click("main button.primary")
