"""View-models against a stand-in engine: events in (from another thread), commands out."""

from __future__ import annotations

import pytest
from ui_fakes import FakeEngine

from softphone.events import (
    CallMediaChanged,
    CallStateChanged,
    IncomingCall,
    MessageReceived,
    MessageStatus,
    PresenceChanged,
    RecordingChanged,
    RegistrationChanged,
)
from softphone.provisioning import Colleague
from ui.viewmodels.app_state import AppViewModel

pytestmark = [pytest.mark.ui, pytest.mark.unit]


def add_account(app_vm: AppViewModel, engine: FakeEngine, qtbot) -> str:
    rec = app_vm.accounts.add_manual(
        extension="101", password="demo101", domain="demo.local", proxy="127.0.0.1:5060"
    )
    assert rec is not None
    engine.emit(RegistrationChanged(rec.account_id, "registered", 200, "OK"))
    qtbot.waitUntil(lambda: app_vm.accounts.is_registered(rec.account_id), timeout=2000)
    return rec.account_id


def state(
    call_id: str, account: str, st: str, direction: str = "outgoing", code: int = 200
) -> CallStateChanged:
    return CallStateChanged(call_id, account, st, code, "", direction, "sip:102@demo.local")


def test_registration_state_and_reason(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    cfg = engine.last("add_account")[0]
    assert (cfg.sip_username, cfg.sip_password, cfg.proxy) == ("101", "demo101", "127.0.0.1:5060")
    engine.emit(RegistrationChanged(aid, "failed", 403, "Forbidden"))
    qtbot.waitUntil(lambda: app_vm.accounts.rows()[0].state == "failed", timeout=2000)
    assert app_vm.accounts.rows()[0].code == 403
    # the password went to the secret store, never to the accounts file
    assert "demo101" not in app_vm.profile.accounts.read_text()
    app_vm.accounts.set_enabled(aid, False)
    assert engine.last("remove_account") == (aid,)
    assert app_vm.accounts.rows()[0].state == "disabled"


def test_outgoing_call_hold_mute_dtmf_record(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.dialer.paste("+84 912-345-678")
    assert app_vm.dialer.number == "0912345678"
    assert app_vm.dialer.display_number == "0912 345 678"
    app_vm.dialer.call()
    qtbot.waitUntil(lambda: app_vm.calls.has_calls(), timeout=2000)
    assert engine.last("make_call")[:2] == (aid, "0912345678")
    cid = app_vm.calls.active_call_id
    engine.emit(state(cid, aid, "confirmed"))
    qtbot.waitUntil(lambda: app_vm.calls.active_call().is_connected, timeout=2000)
    app_vm.calls.toggle_hold()
    assert engine.last("hold") == (cid,)
    engine.emit(CallMediaChanged(cid, True, False, False))
    qtbot.waitUntil(lambda: app_vm.calls.active_call().held_local, timeout=2000)
    app_vm.calls.toggle_hold()
    assert engine.last("resume") == (cid,)
    app_vm.calls.toggle_mute()
    assert engine.last("set_mute") == (cid, True)
    app_vm.calls.send_dtmf("5")
    assert engine.last("send_dtmf")[:2] == (cid, "5")
    app_vm.calls.toggle_recording()
    path = engine.last("start_recording")[1]
    assert path.endswith(".wav") and str(app_vm.profile.recordings) in path
    engine.emit(RecordingChanged(cid, path, True))
    qtbot.waitUntil(lambda: app_vm.calls.active_call().recording, timeout=2000)
    app_vm.calls.refresh_quality()
    qtbot.waitUntil(lambda: app_vm.calls.active_call().mos == pytest.approx(4.2), timeout=2000)
    app_vm.calls.hangup()
    assert engine.last("hangup") == (cid,)
    engine.emit(state(cid, aid, "disconnected"))
    qtbot.waitUntil(lambda: not app_vm.calls.has_calls(), timeout=2000)
    entry = app_vm.history.entries()[0]
    assert (entry.direction, entry.disposition, entry.recording_path) == ("outgoing", "answered", path)


def test_call_timer_reads_a_second_at_a_tick_that_comes_early(link, engine, qtbot) -> None:
    from ui.viewmodels.calls import CallsViewModel

    now = [100.0]
    calls = CallsViewModel(link, clock=lambda: now[0])
    engine.emit(state("c1", "a1", "confirmed"))
    qtbot.waitUntil(lambda: [c.is_connected for c in calls.calls()] == [True], timeout=2000)
    now[0] = 100.96  # Qt's coarse timers fire up to 5 % early: the first tick must not read 00:00
    assert calls.elapsed("c1") == 1


def test_hotline_choice_and_test_call(app_vm, engine, qtbot) -> None:
    from softphone.account_book import HotlineChoice

    aid = add_account(app_vm, engine, qtbot)
    rec = app_vm.accounts.record(aid).with_(
        hotlines=(HotlineChoice("02873001234", "Tổng đài", "viettel", True),), adaptive_number=True
    )
    app_vm.accounts._replace(rec)  # as a provisioning document would install it
    assert [o.value for o in app_vm.dialer.hotline_options()] == ["adaptive", "02873001234"]
    assert app_vm.dialer.hotline == "02873001234"
    app_vm.dialer.set_hotline("adaptive")
    # the call mode follows what is dialled: an extension is internal, a phone number goes out
    app_vm.dialer.set_number("102")
    assert app_vm.dialer.internal and not app_vm.dialer.mode_overridden
    app_vm.dialer.set_number("0912345678")
    assert not app_vm.dialer.internal
    app_vm.dialer.call()
    qtbot.waitUntil(lambda: "make_call" in engine.names(), timeout=2000)
    assert engine.last("make_call") == (aid, "0912345678", "adaptive")
    # still overridable: an extension called out (caller ID shown), a number called internally
    app_vm.dialer.set_number("102")
    app_vm.dialer.set_internal(False)
    assert not app_vm.dialer.internal and app_vm.dialer.mode_overridden
    app_vm.dialer.call()
    assert engine.last("make_call") == (aid, "102", "adaptive")
    assert not app_vm.dialer.mode_overridden  # the choice was for that number only
    app_vm.dialer.call("102")
    assert engine.last("make_call") == (aid, "102", None)
    app_vm.dialer.test_call()
    assert engine.last("make_call") == (aid, "*43", None)


def test_incoming_auto_answer_countdown_and_decline(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.contacts.set_directory(
        [Colleague(2, "Trần Thị Bình", ("102",), "sip:102@demo.local", "sip:102@demo.local")]
    )
    with qtbot.waitSignal(app_vm.calls.incomingCall, timeout=2000):
        engine.emit(IncomingCall("in1", aid, "sip:102@demo.local", ""))
    c = app_vm.calls.call("in1")
    assert c.name == "Trần Thị Bình" and c.is_ringing_in and c.auto_answer_in is None
    with qtbot.waitSignal(app_vm.calls.incomingGone, timeout=2000):
        app_vm.calls.decline("in1")
    assert engine.last("decline") == ("in1", 486)
    engine.emit(state("in1", aid, "disconnected", "incoming", 486))
    qtbot.waitUntil(lambda: not app_vm.calls.has_calls(), timeout=2000)
    assert app_vm.history.entries()[0].disposition == "missed"
    assert app_vm.history.missed_badge() == 1
    app_vm.history.mark_seen()
    assert app_vm.history.missed_badge() == 0

    # the engine owns auto-answer: the app tells it the setting and only counts down on screen
    app_vm.settings.set_auto_answer(True, 2)
    assert engine.last("set_auto_answer") == (True, 2.0)
    engine.emit(IncomingCall("in2", aid, "sip:103@demo.local", "Lê Chi", auto_answer_in=2.0))
    qtbot.waitUntil(lambda: app_vm.calls.call("in2") is not None, timeout=2000)
    assert app_vm.calls.call("in2").auto_answer_in == 2
    qtbot.waitUntil(lambda: app_vm.calls.call("in2").auto_answer_in == 1, timeout=3000)
    assert "answer" not in engine.names()
    engine.emit(state("in2", aid, "confirmed", "incoming"))
    qtbot.waitUntil(lambda: app_vm.calls.call("in2").auto_answer_in is None, timeout=2000)


def test_second_call_holds_first_then_merge_and_transfers(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.dialer.call("102")
    qtbot.waitUntil(lambda: app_vm.calls.has_calls(), timeout=2000)
    first = app_vm.calls.active_call_id
    engine.emit(state(first, aid, "confirmed"))
    qtbot.waitUntil(lambda: app_vm.calls.active_call().is_connected, timeout=2000)
    app_vm.calls.start_consult("103")
    qtbot.waitUntil(lambda: len(app_vm.calls.calls()) == 2, timeout=2000)
    assert engine.last("hold") == (first,)
    consult = app_vm.calls.active_call_id
    assert app_vm.calls.call(consult).consult_for == first
    engine.emit(state(consult, aid, "confirmed"))
    qtbot.waitUntil(lambda: app_vm.calls.can_merge(), timeout=2000)
    app_vm.calls.complete_transfer()
    assert engine.last("attended_transfer") == (first, consult)
    app_vm.calls.merge_all()
    qtbot.waitUntil(lambda: all(c.in_conference for c in app_vm.calls.calls()), timeout=2000)
    assert set(engine.last("merge_conference")[0]) == {first, consult}
    app_vm.calls.blind_transfer("104", first)
    assert engine.last("blind_transfer") == (first, "104")
    app_vm.calls.cancel_consult(consult)
    assert engine.last("hangup") == (consult,)
    assert app_vm.calls.active_call_id == first


def test_status_dnd_and_presence(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.status.set_status("dnd")
    assert engine.last("set_dnd") == (True,)
    assert engine.last("publish_presence") == (aid, "dnd", "")
    assert app_vm.settings.prefs.status == "dnd"
    app_vm.status.toggle_dnd()
    assert engine.last("set_dnd") == (False,)
    app_vm.contacts.set_directory(
        [Colleague(2, "Bình", ("102",), "sip:102@demo.local", "sip:102@demo.local")]
    )
    app_vm.contacts.subscribe_all(aid)
    assert engine.last("subscribe_presence") == (aid, "sip:102@demo.local")
    engine.emit(PresenceChanged(aid, "sip:102@demo.local", "busy", ""))
    qtbot.waitUntil(lambda: app_vm.contacts.colleagues()[0].presence == "busy", timeout=2000)


def test_chat_unread_send_status(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    with qtbot.waitSignal(app_vm.chat.notify, timeout=2000):
        engine.emit(MessageReceived(aid, "sip:102@demo.local", "Chào anh", "text/plain", 1000.0))
    assert app_vm.chat.unread_total() == 1
    app_vm.chat.open("sip:102@demo.local")
    assert app_vm.chat.unread_total() == 0
    assert app_vm.chat.send("Chào em")
    qtbot.waitUntil(lambda: "send_message" in engine.names(), timeout=2000)
    assert engine.last("send_message") == (aid, "102", "Chào em")
    qtbot.waitUntil(lambda: app_vm.chat.messages()[-1].id.startswith("m"), timeout=2000)
    mid = app_vm.chat.messages()[-1].id
    engine.emit(MessageStatus(mid, 202, "Accepted"))  # the PBX stored it: 103 is offline
    qtbot.waitUntil(lambda: app_vm.chat.messages()[-1].status == "sent", timeout=2000)
    engine.emit(MessageStatus(mid, 200, "OK"))
    qtbot.waitUntil(lambda: app_vm.chat.messages()[-1].status == "delivered", timeout=2000)
    # a new conversation is listed as soon as it is opened, before its first message
    app_vm.chat.open("sip:104@demo.local")
    assert app_vm.chat.conversations()[0].peer == "104"
    app_vm.chat.send("xin chào")
    qtbot.waitUntil(lambda: app_vm.chat.messages()[-1].id.startswith("m"), timeout=2000)
    mid = app_vm.chat.messages()[-1].id
    engine.emit(MessageStatus(mid, 480, "Temporarily Unavailable"))
    qtbot.waitUntil(lambda: app_vm.chat.messages()[-1].status == "failed", timeout=2000)


def test_transfer_and_contacts_never_offer_yourself(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.contacts.set_directory(
        [
            Colleague(1, "Me", ("101",), "sip:101@demo.local", "sip:101@demo.local"),
            Colleague(2, "Bình", ("102",), "sip:102@demo.local", "sip:102@demo.local"),
            Colleague(3, "Chi", ("103",), "sip:103@demo.local", "sip:103@demo.local"),
        ]
    )
    assert [r.number for r in app_vm.contacts.colleagues()] == ["102", "103"]
    app_vm.dialer.call("102")
    qtbot.waitUntil(lambda: app_vm.calls.has_calls(), timeout=2000)
    assert app_vm.calls.parties() == {"102"}
    del aid


def test_reset_wipes_everything(app_vm, engine, qtbot, qloop) -> None:
    aid = add_account(app_vm, engine, qtbot)
    app_vm.contacts.add_personal("Khách", "0912345678")
    engine.emit(MessageReceived(aid, "sip:102@demo.local", "hi", "text/plain", 1.0))
    qtbot.waitUntil(lambda: app_vm.chat.unread_total() == 1, timeout=2000)
    app_vm.reset()
    assert engine.last("remove_account") == (aid,)
    assert not app_vm.accounts.has_accounts()
    assert not app_vm.profile.accounts.exists()
    assert app_vm.accounts._book.secrets.get(f"sip-password:{aid}") is None
    assert app_vm.contacts.personal() == [] and app_vm.chat.conversations() == []
    assert app_vm.session.page == "welcome"


def test_edit_manual_account_keeps_password_unless_given(app_vm, engine, qtbot) -> None:
    aid = add_account(app_vm, engine, qtbot)
    rec = app_vm.accounts.update_manual(aid, domain="demo.local", proxy="10.0.0.1:5070", transport="tcp")
    assert rec is not None and (rec.proxy, rec.transport) == ("10.0.0.1:5070", "tcp")
    cfg = engine.last("modify_account")[0]
    assert (cfg.proxy, cfg.transport, cfg.sip_password) == ("10.0.0.1:5070", "tcp", "demo101")
    app_vm.accounts.update_manual(aid, password="new-secret", domain="demo.local")
    assert engine.last("modify_account")[0].sip_password == "new-secret"
    assert app_vm.accounts.rows()[0].state == "registered"  # unchanged until the engine reports


def test_start_at_login_writes_an_autostart_entry(tmp_path) -> None:
    from softphone.autostart import autostart_path, set_start_at_login

    set_start_at_login(True, command="/opt/softphone/softphone", config_home=tmp_path)
    entry = autostart_path(tmp_path).read_text()
    assert "Exec=/opt/softphone/softphone --minimized" in entry
    set_start_at_login(False, config_home=tmp_path)
    assert not autostart_path(tmp_path).exists()


def test_dialer_picks_the_calling_account(app_vm, engine, qtbot) -> None:
    first = add_account(app_vm, engine, qtbot)
    second = app_vm.accounts.add_manual(extension="201", password="x", domain="other.example")
    assert [a for a, _ in app_vm.dialer.account_choices()] == [first, second.account_id]
    assert app_vm.dialer.account_id == first  # registered first
    app_vm.dialer.set_account(second.account_id)
    app_vm.dialer.call("555")
    assert engine.last("make_call")[:2] == (second.account_id, "555")
    app_vm.accounts.set_enabled(second.account_id, False)
    assert app_vm.dialer.account_id == first  # a deactivated choice falls back


def test_engine_failure_is_reported(app_vm, engine, qtbot) -> None:
    from softphone.events import EngineStateChanged

    engine.emit(EngineStateChanged("failed", "no SIP transport"))
    qtbot.waitUntil(lambda: app_vm.accounts.engine_problem == "no SIP transport", timeout=2000)


def test_history_holds_only_the_newest_calls_in_memory(qtbot) -> None:
    """A day of calls must not grow the app: History keeps HISTORY_ROWS calls, the log keeps the rest."""
    from softphone.history import HISTORY_ROWS, MemoryLog
    from ui.viewmodels.calls import CallItem
    from ui.viewmodels.history import HistoryViewModel

    log = MemoryLog()
    vm = HistoryViewModel(log, clock=lambda: 1000.0)
    for n in range(HISTORY_ROWS + 30):
        vm.record(CallItem(f"c{n}", "a1", "outgoing", "sip:102@demo.local", "102", "", started=float(n)))
    entries = vm.entries()
    assert len(entries) == HISTORY_ROWS
    assert entries[0].id == f"c{HISTORY_ROWS + 29}"  # the newest first
    assert len(log.list_calls()) == HISTORY_ROWS
