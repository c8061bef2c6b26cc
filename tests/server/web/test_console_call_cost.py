"""Call cost in chromium: a rate table edited (a bad prefix refused in place, then saved), assigned to a
hotline, and the cost report over seeded call records with figures computed by hand; CSV export, links into
the history, a supervisor reading but not writing, CSRF and unknown ids."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
RANGE = "from=2026-10-01&to=2026-11-30"


def _at(day: str) -> float:
    return datetime.fromisoformat(f"{day} 10:00").replace(tzinfo=HCM).timestamp()


def _seed(server) -> dict[str, int]:
    """Four answered outbound calls (two without a stored cost: priced with their hotline's table), an
    unanswered one and an inbound one (neither counts)."""
    with sqlite3.connect(server.data_dir / "softphone.db", timeout=15) as db:
        users = dict(db.execute("select number, user_id from extensions where number in ('101', '102')"))
        rows = [
            # call id, user, hotline, callee, start, talk s, stored cost, direction
            ("cost-1", users["101"], "02873001234", "0861234567", _at("2026-10-15"), 61, None, "outbound"),
            ("cost-2", users["101"], "02873001234", "19001234", _at("2026-10-16"), 21, None, "outbound"),
            ("cost-3", users["102"], "02873005678", "0912345678", _at("2026-11-03"), 30, None, "outbound"),
            ("cost-4", users["102"], "02873005678", "0281234567", _at("2026-11-04"), 120, 5000.0, "outbound"),
            ("cost-5", users["102"], "02873005678", "0912345678", _at("2026-11-05"), 0, None, "outbound"),
            ("cost-6", users["101"], "02873001234", "0861234567", _at("2026-11-06"), 90, None, "inbound"),
        ]
        for call_id, uid, hotline, callee, start, talk, cost, direction in rows:
            db.execute(
                "insert into call_records (call_id, company_id, domain, caller, callee, direction, hotline,"
                ' start, answer, "end", disposition, caller_user_id, cost) values'
                " (?, 1, 'demo.local', '101', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    call_id,
                    callee,
                    direction,
                    hotline,
                    start,
                    start + 5 if talk else None,
                    start + 5 + talk,
                    "answered" if talk else "no_answer",
                    uid,
                    cost,
                ),
            )
    return users


def test_rate_table_hotline_and_cost_report(console_server, page, browser) -> None:
    url = console_server.url
    users = _seed(console_server)
    sign_in(page, console_server, lang="en")
    page.goto(f"{url}/console/rate-tables")
    page.fill("#f-name", "Viettel trunk")
    page.click("main form[action$='/rate-tables'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/rate-tables/\d+$"))
    table_id = page.url.rsplit("/", 1)[1]
    row = page.locator("input[name^=prefix_][value='086']").get_attribute("name").split("_")[1]
    page.fill(f"input[name=per_minute_{row}]", "600")
    page.fill(f"input[name=first_block_{row}]", "60")
    page.fill(f"input[name=then_every_{row}]", "60")
    blank = page.locator("input[name^=prefix_][value='']").first.get_attribute("name").split("_")[1]
    page.fill(f"input[name=prefix_{blank}]", "19OO")  # letters O, not zeros
    page.select_option(f"select[name=kind_{blank}]", "landline")
    page.fill(f"input[name=label_{blank}]", "Service 1900")
    page.fill(f"input[name=per_minute_{blank}]", "2000")
    page.fill(f"input[name=first_block_{blank}]", "6")
    page.fill(f"input[name=then_every_{blank}]", "6")
    page.click(f"main form[action$='/rate-tables/{table_id}'] button.primary")
    error = page.locator(f"#e-prefix_{blank}")
    assert error.inner_text() == "a prefix is digits only (e.g. 086, 02, 00)"
    assert page.locator(f"input[name=per_minute_{row}]").input_value() == "600"  # what was typed stays
    shot(page, "rate_table_error_en")
    page.fill(f"input[name=prefix_{blank}]", "1900")
    page.check("input[name=remove_0]")  # the first prefix goes
    removed = page.locator("input[name=prefix_0]").input_value()
    page.click(f"main form[action$='/rate-tables/{table_id}'] button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator(f"input[name^=prefix_][value='{removed}']").count() == 0
    assert page.locator("input[name^=prefix_][value='1900']").count() == 1
    shot(page, "rate_table_en")

    page.goto(f"{url}/console/hotlines")
    page.click("a[href$='/hotlines?edit=1']")
    page.select_option("#f-rate_table_id", table_id)
    page.click("main form[action$='/hotlines/1'] button[type=submit]")
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator("main table a", has_text="Viettel trunk").count() == 1

    page.goto(f"{url}/console/cost-report?{RANGE}")
    # cost-1: 61 s at 60 s + 60 s -> 120 s x 600/min = 1,200; cost-2: 1900 row, 21 s at 6 + 6 -> 24 s x
    # 2000/min = 800; cost-3: built-in Vinaphone 30 s x 1,180/min = 590; cost-4: stored 5,000.
    assert page.locator("#total-cost").inner_text() == "7,590"
    assert page.locator("#total-calls").inner_text() == "4"
    assert page.locator("#total-minutes").inner_text() == "3.9"  # 232 s
    agents = [r.inner_text().split("\t") for r in page.locator("#agents tbody tr").all()]
    assert agents == [["Trần Thị Bình", "2", "2.5", "5,590"], ["Nguyễn Văn An", "2", "1.4", "2,000"]]
    hotlines = [r.inner_text().split("\t") for r in page.locator("#hotlines tbody tr").all()]
    assert hotlines == [["02873005678", "2", "2.5", "5,590"], ["02873001234", "2", "1.4", "2,000"]]
    months = [r.inner_text().split("\t") for r in page.locator("#months tbody tr").all()]
    assert months == [["2026-10", "2", "1.4", "2,000"], ["2026-11", "2", "2.5", "5,590"]]
    assert page.locator("#agents svg text", has_text="5,590").count() == 1
    shot(page, "cost_report_en")
    exported = page.request.get(f"{url}/console/cost-report?{RANGE}&format=csv")
    lines = list(csv.reader(io.StringIO(exported.text().lstrip("\ufeff"))))
    assert lines[0] == ["group", "key", "name", "calls", "minutes", "cost_vnd"]
    assert ["hotline", "02873001234", "02873001234", "2", "1.4", "2000"] in lines
    assert lines[-1] == ["total", "", "", "4", "3.9", "7590"]
    page.locator("#agents a", has_text="Nguyễn Văn An").click()
    page.wait_for_url(re.compile(rf".*/console/calls\?.*user={users['101']}.*"))
    assert "direction=outbound" in page.url and "from=2026-10-01" in page.url

    page.goto(f"{url}/console/lang/vi?next=/console/cost-report")
    page.goto(f"{url}/console/cost-report?{RANGE}")
    assert page.locator("h1").inner_text() == "Chi phí cuộc gọi"
    # numbers the Vietnamese way: a dot between thousands, a comma before decimals
    assert page.locator("#total-cost").inner_text() == "7.590"
    assert page.locator("#total-minutes").inner_text() == "3,9"
    assert page.locator("#agents svg text", has_text="5.590").count() == 1
    shot(page, "cost_report_vi")
    page.goto(f"{url}/console/rate-tables/{table_id}")
    shot(page, "rate_table_vi")

    # a supervisor reads, cannot write; a post without the CSRF token and an unknown id are refused
    page.goto(f"{url}/console/users/new")
    page.fill("#f-full_name", "Giám sát chi phí")
    page.fill("#f-phone", "0901000170")
    page.fill("#f-password", "super12345")
    page.select_option("#f-role", "supervisor")
    page.click("main button[type=submit]")
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    sup = other.new_page()
    sign_in(sup, console_server, login="0901000170", password="super12345", lang="vi")
    sup.goto(f"{url}/console/rate-tables/{table_id}")
    assert sup.locator("main form fieldset[disabled]").count() == 1
    assert sup.locator("main button.primary").count() == 0
    sup.goto(f"{url}/console/cost-report?{RANGE}")
    assert sup.locator("#total-cost").inner_text() == "7.590"  # signed in in Vietnamese
    csrf = next(c["value"] for c in other.cookies() if c["name"] == "console_csrf")
    assert (
        sup.request.post(f"{url}/console/rate-tables/{table_id}/reset", form={"csrf_token": csrf}).status
        == 403
    )
    other.close()
    assert page.request.post(f"{url}/console/rate-tables/{table_id}/reset", form={}).status == 403
    assert page.request.get(f"{url}/console/rate-tables/999999").status == 404
    assert (
        page.request.post(
            f"{url}/console/rate-tables/{table_id}/reset",
            form={
                "csrf_token": next(c["value"] for c in page.context.cookies() if c["name"] == "console_csrf")
            },
        ).status
        == 200
    )  # redirected back to the table, the Vietnamese default prices again
    page.goto(f"{url}/console/rate-tables/{table_id}")
    assert page.locator("input[name^=prefix_][value='1900']").count() == 0
