"""The queue form's announcement and priority-caller fields in chromium (Vietnamese), against the demo
server: saved, read back, a bad number refused next to its field with nothing saved."""

from __future__ import annotations

import pytest

from tests.server.web.conftest import shot, sign_in
from tests.server.web.test_console_callcenter import _config

pytestmark = [pytest.mark.web, pytest.mark.integration]


def test_queue_announcements_and_priority_callers_in_vietnamese(console_server, page) -> None:
    url = console_server.url
    sign_in(page, console_server, lang="vi")
    page.goto(f"{url}/console/queues")
    page.click("tbody a:text('Sales')")
    assert page.locator("label[for=f-announce_position]").inner_text() == "Báo cho người gọi vị trí chờ"
    assert page.locator("#f-announce_position").is_checked() and page.locator("#f-announce_wait").is_checked()
    assert page.locator("#f-announce_every").input_value() == "60"  # the demo's
    page.fill("#f-priority_callers", "0903000001, không-phải-số")
    page.click("main form.cc button.primary")
    assert page.locator("#e-priority_callers").is_visible()
    assert page.locator("#f-priority_callers").input_value() == "0903000001, không-phải-số"  # kept to fix
    assert _config(console_server, "queues", "Sales").get("priority_callers") in (None, [])
    page.fill("#f-priority_callers", "0903000001, 0903000002")
    page.fill("#f-priority_hotlines", "02873005678")
    page.uncheck("#f-announce_wait")
    page.select_option("#f-language", "en")
    page.click("main form.cc button.primary")
    assert page.locator(".flash").is_visible()
    queue = _config(console_server, "queues", "Sales")
    assert queue["priority_callers"] == ["0903000001", "0903000002"]
    assert queue["priority_hotlines"] == ["02873005678"]
    assert queue["announce_wait"] is False and queue["announce_position"] is True
    assert queue["language"] == "en" and queue["announce_every"] == 60
    page.goto(f"{url}/console/queues/{queue['id']}")
    assert page.locator("#f-priority_callers").input_value() == "0903000001, 0903000002"
    assert not page.locator("#f-announce_wait").is_checked()
    shot(page, "cc_queue_announce_vi")
