"""Console users pages in chromium against the real demo server: list, filters, create/edit/delete, import,
export, supervisor read-only, other companies' ids, and a DND edit that changes how the PBX answers a call."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from softphone.testing import CliPeer
from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _user_id(page, name: str) -> int:
    href = page.get_by_role("link", name=name).first.get_attribute("href")
    return int(href.rsplit("/", 1)[1])


def test_users_list_in_both_languages_with_filters_in_the_url(console_server, page) -> None:
    for lang in ("vi", "en"):
        sign_in(page, console_server, lang=lang)
        page.goto(f"{console_server.url}/console/users")
        assert page.locator("tbody tr").count() >= 4
        shot(page, f"users_{lang}")
        page.fill("#f-q", "Bình")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_url(re.compile(r".*q=B.*"))
        assert page.locator("tbody tr").count() == 1
        page.goto(f"{console_server.url}/console/users/{_user_id(page, 'Trần Thị Bình')}")
        shot(page, f"user_edit_{lang}")
    csv = page.request.get(f"{console_server.url}/console/users?format=csv&q=102").text()
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("full_name,phone")
    assert "Trần Thị Bình" in csv and "Nguyễn" not in csv


def test_create_user_bad_input_then_happy_path_then_delete(console_server, page) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/users/new")
    page.fill("#f-full_name", "Phạm Thị Dung")
    page.fill("#f-phone", "0901000199")
    page.fill("#f-extension", "1")
    page.fill("#f-password", "dung12345")
    page.click("main button[type=submit]")
    assert "2-4 digits" in page.locator("#e-extension").inner_text()
    shot(page, "user_new_error_en")
    page.goto(f"{console_server.url}/console/users?q=Dung")
    assert page.locator("tbody tr").inner_text() == "No users match."  # nothing half-saved
    page.goto(f"{console_server.url}/console/users/new")
    page.fill("#f-full_name", "Phạm Thị Dung")
    page.fill("#f-phone", "0901000199")
    page.fill("#f-extension", "104")
    page.fill("#f-password", "dung12345")
    page.click("main button[type=submit]")
    assert page.locator(".flash").inner_text() == "User created."
    user_url = page.url
    save = f"form[action$='/users/{user_url.rsplit('/', 1)[1]}'] button[type=submit]"
    # Monthly minutes: a bad value is refused next to the field, a good one shows used/remaining.
    page.fill("#f-monthly_minutes", "lots")
    page.click(save)
    assert page.locator("#e-monthly_minutes").is_visible()
    page.fill("#f-monthly_minutes", "120")
    page.select_option("#f-ring_method", "mobile")
    page.click(save)
    assert page.locator("#e-mobile_number").is_visible()  # ring method mobile needs a mobile number
    page.fill("#f-monthly_minutes", "120")
    page.fill("#f-mobile_number", "0912345678")
    page.select_option("#f-ring_method", "mobile")
    page.click(save)
    assert page.locator(".flash").inner_text() == "Saved."
    assert page.locator("#remaining").inner_text() == "120.0"
    # An IP phone device and its credential view; the mobile QR.
    page.select_option("#f-kind", "ip_phone")
    page.click("text=Add device")
    page.click("text=IP-phone credentials")
    assert page.locator("#sip-password").inner_text()
    shot(page, "device_credentials_en")
    page.go_back()
    page.click("text=Show mobile QR")
    assert page.locator("img[alt*='QR']").is_visible()
    shot(page, "user_qr_en")
    page.goto(user_url)
    page.click("text=Delete user")
    shot(page, "user_delete_confirm_en")
    page.click("main button.danger")
    assert page.locator(".flash").inner_text() == "User deleted."
    page.goto(user_url)
    assert page.locator("h1").inner_text() == "404"


def test_bulk_import_preview_marks_rows_then_one_transaction(console_server, page, tmp_path: Path) -> None:
    sign_in(page, console_server, lang="vi")
    bad = tmp_path / "users.csv"
    bad.write_text(
        "full_name,phone,extension,role\n"
        "Võ Văn Em,0901000201,201,agent\n"
        "Đỗ Thị Giang,12345,202,agent\n"
        "Hồ Văn Hải,0901000203,101,agent\n",
        encoding="utf-8",
    )
    page.goto(f"{console_server.url}/console/users/import")
    page.set_input_files("#f-file", str(bad))
    page.click("main button[type=submit]")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert "Hợp lệ" in rows.nth(0).inner_text()
    assert "Không hợp lệ" in rows.nth(1).inner_text()
    assert "Không hợp lệ" in rows.nth(2).inner_text()  # extension 101 is taken
    assert page.locator("form[action$='/import/commit']").count() == 0
    shot(page, "users_import_preview_vi")
    good = tmp_path / "good.csv"
    good.write_text(
        "full_name,phone,extension,role\nVõ Văn Em,0901000201,201,agent\nĐỗ Thị Giang,0901000202,202,agent\n",
        encoding="utf-8",
    )
    page.set_input_files("#f-file", str(good))
    page.click("main form[enctype] button[type=submit]")
    page.click("form[action$='/import/commit'] button")
    assert "2" in page.locator(".flash").inner_text()
    page.goto(f"{console_server.url}/console/users?q=020")
    assert page.locator("tbody tr").count() == 2


def test_supervisor_reads_only_and_other_company_ids_are_404(console_server, page, browser) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/users/new")
    page.fill("#f-full_name", "Giám sát")
    page.fill("#f-phone", "0901000150")
    page.fill("#f-password", "super12345")
    page.select_option("#f-role", "supervisor")
    page.click("main button[type=submit]")
    assert page.locator(".flash").inner_text() == "User created."
    admin_user_url = f"{console_server.url}/console/users/2"

    other = browser.new_context()
    sup = other.new_page()
    sign_in(sup, console_server, login="0901000150", password="super12345", lang="en")
    sup.goto(admin_user_url)
    assert sup.locator("fieldset[disabled]").count() == 6  # account, calls and the 4 forwarding rules
    assert sup.locator("#forwarding button").count() == 0
    assert sup.locator("text=Delete user").count() == 0
    shot(sup, "user_supervisor_readonly_en")
    csrf = next(c["value"] for c in other.cookies() if c["name"] == "console_csrf")
    form = {"csrf_token": csrf, "full_name": "Hacked", "phone": "0901000101"}
    refused = sup.request.post(admin_user_url, form=form)
    assert refused.status == 403
    assert sup.request.get(f"{console_server.url}/console/users/new").status == 403
    # ...but the live view is theirs: its page, and the hang-up action (404 here: no such call, not 403)
    assert sup.request.get(f"{console_server.url}/console/live").status == 200
    hang_up_url = f"{console_server.url}/console/live/calls/999/hang-up"
    hang_up = sup.request.post(hang_up_url, form={"csrf_token": csrf})
    assert hang_up.status == 404
    other.close()

    # A second company on the same server: its ids are not found from the demo company's console.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "create-company",
            "--data-dir",
            str(console_server.data_dir),
            "--name",
            "Other",
            "--domain",
            "other.example",
            "--admin-phone",
            "0901000900",
            "--admin-password",
            "other12345",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    page.goto(f"{console_server.url}/console/users?q=0901000900")
    assert page.locator("tbody tr").inner_text() == "No users match."
    # The other admin's id is the highest so far: every id above the demo users' is foreign or absent.
    for user_id in range(10, 40):
        response = page.request.get(f"{console_server.url}/console/users/{user_id}")
        assert response.status in (200, 404)
        if response.status == 200:
            assert "0901000900" not in response.text() and "84901000900" not in response.text()
    foreign = page.request.post(
        f"{console_server.url}/console/users/999/delete",
        form={"csrf_token": next(c["value"] for c in page.context.cookies() if c["name"] == "console_csrf")},
    )
    assert foreign.status == 404


def _peer(server, ext: str) -> CliPeer:
    peer = CliPeer(
        ["--account", f"{ext}:demo{ext}@demo.local", "--registrar", server.registrar, "--wait"],
        name=f"agent{ext}",
    )
    peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
    return peer


def test_dnd_set_in_the_console_changes_the_pbx_answer_within_a_second(console_server, page) -> None:
    caller, callee = _peer(console_server, "101"), _peer(console_server, "102")
    try:
        sign_in(page, console_server, lang="en")
        page.goto(f"{console_server.url}/console/users?q=102")
        page.goto(f"{console_server.url}/console/users/{_user_id(page, 'Trần Thị Bình')}")
        save = "main form[action^='/console/users/'][novalidate] button.primary"
        page.check("#f-dnd")
        page.click(save)
        assert page.locator(".flash").inner_text() == "Saved."
        saved = time.monotonic()
        mark = caller.mark()
        call = caller.command("make_call", account_id="main", target="102")
        ev = caller.wait_state("disconnected", call, timeout=15, start=mark)
        assert ev["code"] == 486, ev
        assert time.monotonic() - saved < 5  # the call was placed at once and refused by DND
        page.uncheck("#f-dnd")
        page.click(save)
        assert page.locator(".flash").inner_text() == "Saved."
        mark_b = callee.mark()
        placed = time.monotonic()
        call = caller.command("make_call", account_id="main", target="102")
        callee.wait_for(lambda e: e["event"] == "IncomingCall", 15, mark_b)
        assert time.monotonic() - placed < 5
        caller.command("hangup", call_id=call)
    finally:
        caller.kill()
        callee.kill()
