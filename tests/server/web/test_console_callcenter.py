"""Call-center pages in chromium against the real demo server (which seeds its own call center: "Sales" and
"Support" queues, "Main menu", "Business hours"; the objects made here have other names): a schedule with a
holiday, an IVR menu whose key 1 goes to a queue, queue members, the hotline's inbound route, prompts (a WAV
accepted and played, a bad file refused), and a supervisor who may flip the open/closed override but not
edit a queue."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _wav(path: Path, *, rate: int = 8000, seconds: float = 0.5) -> Path:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(rate * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    path.write_bytes(buffer.getvalue())
    return path


def _config(server, kind: str, name: str) -> dict:
    """A stored configuration read back through the JSON API's domain (the database the PBX reads)."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3,sys,json;"
                f"c=sqlite3.connect(sys.argv[1]);r=c.execute('SELECT id, config FROM cc_{kind} WHERE name=?',"
                "(sys.argv[2],)).fetchone();print(json.dumps([r[0], json.loads(r[1])]))"
            ),
            str(server.data_dir / "softphone.db"),
            name,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    row_id, config = json.loads(out.stdout)
    return {"id": row_id, **config}


def test_queue_members_ivr_schedule_route_and_prompts(console_server, page, tmp_path) -> None:
    url = console_server.url
    sign_in(page, console_server, lang="en")

    # A queue, refused first with a bad number (nothing saved), then created.
    page.goto(f"{url}/console/queues/new")
    page.fill("#f-name", "Billing")
    page.fill("#f-ring_timeout", "abc")
    page.click("main form.cc button.primary")
    assert page.locator("#e-ring_timeout").inner_text() == "Enter a number."
    assert page.locator("#f-ring_timeout").get_attribute("aria-invalid") == "true"
    page.goto(f"{url}/console/queues")
    assert "Billing" not in page.locator("tbody").inner_text()
    page.goto(f"{url}/console/queues/new")
    page.fill("#f-name", "Billing")
    page.select_option("#f-strategy", "round_robin")
    page.fill("#f-ring_timeout", "20")
    page.fill("#f-wrapup", "7")
    page.fill("#f-max_wait", "120")
    page.select_option("#f-max_wait_destination", "extension:101")
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    queue = _config(console_server, "queues", "Billing")
    assert queue["strategy"] == "round_robin" and queue["wrapup"] == 7
    assert queue["max_wait_destination"] == {"kind": "extension", "extension": "101"}

    # Members with tiers and penalties (a bad tier refused next to its field).
    page.click("tbody a:text('Billing')")
    page.check("#m-2")
    page.check("#m-3")
    page.fill("#tier-3", "x")
    page.click("#save-members")
    assert page.locator("#e-tier-3").inner_text() == "Enter a whole number."
    page.goto(f"{url}/console/queues/{queue['id']}")
    page.check("#m-2")
    page.check("#m-3")
    page.fill("#tier-3", "1")
    page.fill("#penalty-2", "2")
    page.click("#save-members")
    assert page.locator(".flash").inner_text() == "Members saved."
    assert page.locator("#m-2").is_checked() and page.locator("#m-3").is_checked()
    assert page.locator("#penalty-2").input_value() == "2"
    shot(page, "cc_queue_members_en")

    # An IVR menu: key 1 to the queue, key 9 forwards outside through a hotline; a bad number is refused.
    page.goto(f"{url}/console/ivr-menus/new")
    page.fill("#f-name", "Night menu")
    page.select_option("#f-opt_1", f"queue:{queue['id']}")
    page.select_option("#f-opt_9", "external:02873001234")
    page.fill("#f-opt_9__number", "not a number")
    page.fill("#f-retries", "3")
    page.click("main form.cc button.primary")
    assert "outside number" in page.locator("#e-opt_9").inner_text()
    assert (
        page.locator("#f-opt_1").input_value() == f"queue:{queue['id']}"
    )  # the refused form keeps its values
    page.fill("#f-opt_9__number", "0909123456")
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    menu = _config(console_server, "ivr_menus", "Night menu")
    assert menu["options"]["1"] == {"kind": "queue", "id": queue["id"]}
    assert menu["options"]["9"] == {"kind": "external", "number": "0909123456", "hotline": "02873001234"}
    assert menu["retries"] == 3
    # a nested menu: its parent is the main menu, and the main menu's key 2 opens it
    page.goto(f"{url}/console/ivr-menus/new")
    page.fill("#f-name", "Support")
    page.select_option("#f-opt_0", "extension:102")
    page.select_option("#f-parent_id", str(menu["id"]))
    page.click("main form.cc button.primary")
    sub = _config(console_server, "ivr_menus", "Support")
    assert sub["parent_id"] == menu["id"]
    page.goto(f"{url}/console/ivr-menus/{menu['id']}")
    page.select_option("#f-opt_2", f"ivr:{sub['id']}")
    page.click("main form.cc button.primary")
    assert _config(console_server, "ivr_menus", "Night menu")["options"]["2"] == {
        "kind": "ivr",
        "id": sub["id"],
    }
    page.goto(f"{url}/console/ivr-menus/{menu['id']}")
    shot(page, "cc_ivr_menu_en")

    # A schedule: weekdays 08:00-17:30, Saturday morning, a holiday; a reversed range is refused first.
    page.goto(f"{url}/console/schedules/new")
    page.fill("#f-name", "Office hours")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.check(f"input[name=w0_days][value={day}]")
    page.fill("#w0-start", "17:30")
    page.fill("#w0-end", "08:00")
    page.fill("#h0-name", "Tết")
    page.fill("#h0-start", "2027-02-05")
    page.fill("#h0-end", "2027-02-10")
    page.select_option("#f-open", f"ivr:{menu['id']}")
    page.select_option("#f-closed", "hangup")
    page.click("main form.cc button.primary")
    assert page.locator("#e-w0").inner_text() == "The end must be after the start."
    # the refused form keeps what was typed: correct the row in place
    assert page.locator("#w0-start").input_value() == "17:30"
    assert page.locator("input[name=w0_days][value=fri]").is_checked()
    assert page.locator("#h0-name").input_value() == "Tết"
    page.fill("#w0-start", "08:00")
    page.fill("#w0-end", "17:30")
    page.check("input[name=w1_days][value=sat]")
    page.fill("#w1-start", "08:00")
    page.fill("#w1-end", "12:00")
    assert page.locator("#f-open").input_value() == f"ivr:{menu['id']}"
    assert page.locator("#f-closed").input_value() == "hangup"
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    # the refused attempt wrote nothing (the demo's own "Business hours" is the other row)
    assert page.locator("tbody tr:has-text('Office hours')").count() == 1
    schedule = _config(console_server, "schedules", "Office hours")
    assert len(schedule["weekly"]) == 6
    assert {"day": "sat", "start": "08:00", "end": "12:00"} in schedule["weekly"]
    assert schedule["holidays"] == [
        {"name": "Tết", "start": "2027-02-05", "end": "2027-02-10", "destination": None}
    ]
    assert schedule["open"] == {"kind": "ivr", "id": menu["id"]}
    page.goto(f"{url}/console/schedules/{schedule['id']}")
    assert page.locator("#h0-name").input_value() == "Tết"
    shot(page, "cc_schedule_en")

    # The hotline's inbound route goes to the schedule.
    page.goto(f"{url}/console/hotlines")
    page.click("tbody tr:has-text('02873001234') a:text('Route')")
    page.select_option("#f-destination", f"schedule:{schedule['id']}")
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    page.goto(f"{url}/console/hotlines/1/route")
    assert page.locator("#f-destination").input_value() == f"schedule:{schedule['id']}"

    # The queue is still used by the menu: deleting it is refused with the reason.
    page.goto(f"{url}/console/queues/{queue['id']}/delete")
    page.click("main button.danger")
    assert "Still in use" in page.locator(".flash").inner_text()

    # Prompts: a WAV accepted (8 kHz in, stored 48 kHz mono) and playable; a bad file refused, none written.
    page.goto(f"{url}/console/prompts")
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    page.fill("#f-name", "broken")
    page.set_input_files("#f-file", str(bad))
    page.click("#upload button.primary")
    assert page.locator("#e-file").inner_text() == "Not a WAV file."
    assert page.locator("#f-file").get_attribute("aria-invalid") == "true"
    assert page.locator("audio").count() == 0
    shot(page, "cc_prompt_refused_en")
    page.fill("#f-name", "greeting_vi")
    page.set_input_files("#f-file", str(_wav(tmp_path / "hello.wav")))
    page.click("#upload button.primary")
    assert page.locator(".flash").inner_text() == "Prompt saved: greeting_vi"
    audio = page.locator("audio")
    assert audio.count() == 1 and audio.get_attribute("preload") == "none"
    stored = console_server.data_dir / "prompts"
    with wave.open(str(next(stored.glob("*/greeting_vi.wav"))), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 1, 2)
        assert abs(w.getnframes() - 24000) < 10
    # the browser plays it: the element loads and decodes the file from our server
    duration = page.evaluate(
        """() => new Promise((ok, fail) => { const a = document.querySelector('audio');
             a.addEventListener('loadedmetadata', () => ok(a.duration)); a.addEventListener('error', fail);
             a.load(); })"""
    )
    assert abs(duration - 0.5) < 0.05
    response = page.request.get(f"{url}/console/prompts/greeting_vi.wav")
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    if page.locator("#tts").count():  # espeak-ng is installed: a prompt spoken from Vietnamese text
        page.fill("#f-tts_name", "xin_chao")
        page.select_option("#f-voice", "vi")
        page.fill("#f-text", "Xin chào quý khách")
        page.click("#tts button.primary")
        assert page.locator(".flash").inner_text() == "Prompt saved: xin_chao"
        assert page.locator("audio").count() == 2
    shot(page, "cc_prompts_en")

    # The audit log holds every change.
    page.goto(f"{url}/console/audit?entity=queue_members")
    assert page.locator("tbody tr").count() >= 1


def test_supervisor_flips_the_override_but_cannot_edit_a_queue(console_server, page, browser) -> None:
    url = console_server.url
    sign_in(page, console_server, lang="en")
    page.goto(f"{url}/console/users/new")
    page.fill("#f-full_name", "Giám sát ca")
    page.fill("#f-phone", "0901000160")
    page.fill("#f-password", "super12345")
    page.select_option("#f-role", "supervisor")
    page.click("main button[type=submit]")
    assert page.locator(".flash").inner_text() == "User created."
    schedule = _config(console_server, "schedules", "Office hours")
    queue = _config(console_server, "queues", "Billing")

    other = browser.new_context(viewport={"width": 1280, "height": 900})
    sup = other.new_page()
    sign_in(sup, console_server, login="0901000160", password="super12345", lang="vi")
    sup.goto(f"{url}/console/schedules")
    sup.select_option(f"#ov-{schedule['id']}", "closed")
    sup.click(f"form[action$='/schedules/{schedule['id']}/override'] button")
    assert sup.locator(".flash").inner_text() == "Đã lưu ghi đè."
    assert _config(console_server, "schedules", "Office hours")["override"] == "closed"
    assert sup.locator(f"#ov-{schedule['id']}").input_value() == "closed"
    shot(sup, "cc_schedules_supervisor_vi")

    sup.goto(f"{url}/console/queues/{queue['id']}")
    assert sup.locator("main form.cc fieldset[disabled]").count() == 1
    assert sup.locator("main form.cc button.primary").count() == 0
    assert sup.locator("a:text('Hàng đợi mới')").count() == 0
    shot(sup, "cc_queue_supervisor_vi")
    csrf = next(c["value"] for c in other.cookies() if c["name"] == "console_csrf")
    edit = sup.request.post(
        f"{url}/console/queues/{queue['id']}",
        form={"csrf_token": csrf, "name": "Hacked", "strategy": "random"},
    )
    assert edit.status == 403
    members = sup.request.post(f"{url}/console/queues/{queue['id']}/members", form={"csrf_token": csrf})
    assert members.status == 403
    assert sup.request.get(f"{url}/console/queues/new").status == 403
    assert _config(console_server, "queues", "Billing")["strategy"] == "round_robin"
    # ...but the queue's agents are theirs to log in and pause
    sup.goto(f"{url}/console/queues/{queue['id']}")
    sup.click("#agents form[action$='/agents/2'] button[value=login]")
    assert sup.locator(".flash").inner_text() == "Đã lưu trạng thái nhân viên."
    assert sup.locator("#state-2").inner_text() == "đã đăng nhập"
    sup.fill("#reason-2", "họp giao ban")
    sup.click("#agents form[action$='/agents/2'] button[value=pause]")
    assert sup.locator("#state-2").inner_text() == "tạm nghỉ họp giao ban"
    shot(sup, "cc_queue_agents_supervisor_vi")
    other.close()

    # the override without the CSRF token is refused; another company's (or no) row is a 404
    assert (
        page.request.post(
            f"{url}/console/schedules/{schedule['id']}/override", form={"override": "open"}
        ).status
        == 403
    )
    assert page.request.get(f"{url}/console/queues/99999").status == 404
    assert page.request.get(f"{url}/console/hotlines/99999/route").status == 404


def test_call_center_pages_in_both_languages(console_server, page) -> None:
    pages = (
        "schedules",
        "schedules/new",
        "ivr-menus",
        "ivr-menus/new",
        "queues",
        "queues/new",
        "ring-groups",
        "ring-groups/new",
        "voicemail",
        "voicemail/new",
        "prompts",
        "hotlines/1/route",
    )
    for lang, heading in (
        ("vi", {"schedules": "Lịch làm việc", "prompts": "Lời chào"}),
        ("en", {"schedules": "Schedules", "prompts": "Prompts"}),
    ):
        sign_in(page, console_server, lang=lang)
        for name in pages:
            response = page.goto(f"{console_server.url}/console/{name}")
            assert response.status == 200, name
            if name in heading:
                assert page.locator("h1").inner_text() == heading[name]
            unlabelled = page.evaluate(
                """() => [...document.querySelectorAll(
                       'main input:not([type=hidden]), main select, main textarea')]
                     .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
            )
            assert unlabelled == [], (name, unlabelled)
        for name in (
            "schedules/new",
            "queues/new",
            "ivr-menus/new",
            "prompts",
            "ring-groups/new",
            "voicemail/new",
        ):
            page.goto(f"{console_server.url}/console/{name}")
            shot(page, f"cc_{name.replace('/', '_')}_{lang}")
    # the ring group and voicemail forms save
    page.goto(f"{console_server.url}/console/ring-groups/new")
    page.fill("#f-name", "Front desk")
    page.select_option("#f-extensions", ["101", "102"])
    page.select_option("#f-mode", "ordered")
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."
    page.goto(f"{console_server.url}/console/voicemail/new")
    page.fill("#f-name", "After hours")
    page.select_option("#f-owner", "queue")
    page.click("main form.cc button.primary")
    assert "queue that owns the box" in page.locator("#e-queue_id").inner_text()
    page.select_option("#f-queue_id", index=1)
    page.click("main form.cc button.primary")
    assert page.locator(".flash").inner_text() == "Saved."


def test_another_companys_call_center_rows_are_not_found(console_server, page, browser) -> None:
    url = console_server.url
    subprocess.run(
        [sys.executable, "-m", "server.cli", "create-company", "--data-dir", str(console_server.data_dir),
         "--name", "Other CC", "--domain", "othercc.example", "--admin-phone", "0901000950",
         "--admin-password", "other12345"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    other = browser.new_context()
    theirs = other.new_page()
    sign_in(theirs, console_server, login="0901000950", password="other12345", lang="en")
    theirs.goto(f"{url}/console/queues/new")
    theirs.fill("#f-name", "Their queue")
    theirs.click("main form.cc button.primary")
    assert theirs.locator(".flash").inner_text() == "Saved."
    assert "Billing" not in theirs.locator("main").inner_text()  # the demo company's queue is not listed
    their_queue = _config(console_server, "queues", "Their queue")["id"]
    other.close()

    sign_in(page, console_server, lang="en")
    page.goto(f"{url}/console/queues")
    assert "Their queue" not in page.locator("main").inner_text()
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "console_csrf")
    assert page.request.get(f"{url}/console/queues/{their_queue}").status == 404
    edit = page.request.post(f"{url}/console/queues/{their_queue}", form={"csrf_token": csrf, "name": "Mine"})
    assert edit.status == 404
    members = page.request.post(
        f"{url}/console/queues/{their_queue}/members", form={"csrf_token": csrf, "m_2": "1"}
    )
    assert members.status == 404
    delete = page.request.post(f"{url}/console/queues/{their_queue}/delete", form={"csrf_token": csrf})
    assert delete.status == 404
    # nor can a demo destination point at it
    page.goto(f"{url}/console/ivr-menus/new")
    assert page.locator(f"#f-opt_1 option[value='queue:{their_queue}']").count() == 0
    forged = page.request.post(
        f"{url}/console/ivr-menus",
        form={"csrf_token": csrf, "name": "Forged", "opt_1": f"queue:{their_queue}"},
    )
    assert forged.status == 422 and "does not exist in this company" in forged.text()
    assert _config(console_server, "queues", "Their queue")["strategy"] == "longest_idle"
