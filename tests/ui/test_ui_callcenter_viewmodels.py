"""The queue panel, voicemail and queue-call details view-models over a stand-in server (httpx mock
transport speaking the documented API) and the stand-in engine; the views rendered offscreen in vi and en."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_fakes import FakeEngine

from softphone import commands as c
from softphone.events import IncomingCall, MessagePlayback, VoicemailWaiting
from softphone.provisioning import ProvisioningClient, Tokens
from softphone.queue_call import PathStep, QueueCall
from softphone.secrets import MemorySecrets
from ui.engine_link import EngineLink
from ui.viewmodels.calls import CallsViewModel
from ui.viewmodels.queues import QueuesViewModel
from ui.viewmodels.voicemail import VoicemailViewModel

pytestmark = [pytest.mark.ui, pytest.mark.unit]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BASE = "http://pbx.test/api/v1"


class FakeServer:
    """My queues, my voicemail and the board, as the server keeps them; every request is recorded."""

    def __init__(self) -> None:
        self.queues = [
            {"queue_id": 1, "name": "Bán hàng", "logged_in": True, "paused": False, "pause_reason": ""},
            {"queue_id": 2, "name": "Hỗ trợ", "logged_in": False, "paused": False, "pause_reason": ""},
        ]
        self.wrapup_left: float | None = None
        self.voicemail = [
            {"id": "3-a", "box_id": 3, "box_name": "Bán hàng", "caller": "0903123456", "at": 1764900000.0,
             "duration": 12.5, "heard": False},
            {"id": "3-b", "box_id": 3, "box_name": "Bán hàng", "caller": "0287300999", "at": 1764800000.0,
             "duration": 4.0, "heard": True},
        ]
        self.requests: list[tuple[str, str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1")
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, path, body))
        if path == "/me/queues" and request.method == "GET":
            return self._queues()
        if path.startswith("/me/queues/") and path.endswith("/state"):
            part = path.split("/")[3]
            if part != "state" and not any(q["queue_id"] == int(part) for q in self.queues):
                return httpx.Response(422, json={"error": {"code": "not_a_member", "message": "no"}})
            for q in self.queues:
                if part == "state" or q["queue_id"] == int(part):
                    q.update(body)
                    if body.get("logged_in") is False:
                        q.update(paused=False, pause_reason="")
            return self._queues()
        if path == "/me/queues/ready":
            self.wrapup_left = None
            return self._queues()
        if path == "/me/voicemail":
            return httpx.Response(200, json=self.voicemail)
        if path.endswith("/audio"):
            return httpx.Response(200, content=b"RIFF....WAVE", headers={"content-type": "audio/wav"})
        if path.endswith("/heard"):
            for m in self.voicemail:
                if m["id"] == path.split("/")[3]:
                    m["heard"] = True
            return httpx.Response(204)
        if request.method == "DELETE":
            kept = [m for m in self.voicemail if m["id"] != path.split("/")[3]]
            if len(kept) == len(self.voicemail):
                return httpx.Response(404, json={"error": {"code": "not_found", "message": "voicemail"}})
            self.voicemail = kept
            return httpx.Response(204)
        if path == "/callcenter/board":
            return httpx.Response(200, json=BOARD)
        if path == "/callcenter/stats/queues":
            assert request.url.params["start"] == request.url.params["end"]
            return httpx.Response(200, json=[{"queue_id": 1, "totals": {"service_level": 0.8}}])
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})

    def _queues(self) -> httpx.Response:
        return httpx.Response(200, json=[{**q, "wrapup_left": self.wrapup_left} for q in self.queues])


BOARD = {
    "now": 1764900000.0,
    "queues": [
        {
            "queue_id": 1,
            "name": "Bán hàng",
            "waiting": [
                {"call_id": "c1", "position": 1, "priority": 0, "entered": 0, "wait": 75.0},
                {"call_id": "c2", "position": 2, "priority": 0, "entered": 0, "wait": 12.0},
            ],
            "agents": [
                {"user_id": 1, "full_name": "Nguyễn Văn An", "state": "on_call", "reason": "", "call_id": "x",
                 "until": None},
                {"user_id": 2, "full_name": "Trần Thị Bình", "state": "paused", "reason": "lunch",
                 "call_id": None, "until": None},
            ],
        }
    ],
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer) -> ProvisioningClient:
    secrets = MemorySecrets()
    api = ProvisioningClient(BASE, secrets, transport=httpx.MockTransport(server.handle))
    api._store(Tokens("access", "refresh", 900))
    return api


def test_queue_panel_commands_and_wrapup_countdown(qloop, client, server, qtbot) -> None:
    clock = Clock()
    vm = QueuesViewModel(lambda: client, clock=clock, poll_ms=60_000)
    run = qloop.run_until_complete
    assert run(vm.refresh_async())
    assert [q.name for q in vm.queues] == ["Bán hàng", "Hỗ trợ"] and not vm.all_logged_in
    assert vm.queue_name(2) == "Hỗ trợ" and vm.queue_name(9) is None
    assert run(vm.set_state_async(None, logged_in=True)) and vm.all_logged_in
    assert run(vm.set_state_async(None, paused=True, pause_reason="lunch"))
    assert vm.paused and vm.pause_reason == "lunch"
    assert server.requests[-1] == ("PUT", "/me/queues/state", {"paused": True, "pause_reason": "lunch"})
    # a reason the server does not know from us is refused before it leaves, with nothing lost
    assert not run(vm.set_state_async(None, paused=True, pause_reason="nap"))
    assert vm.error == "bad_pause_reason" and vm.paused
    assert run(vm.set_state_async(2, logged_in=False))
    assert server.requests[-1] == ("PUT", "/me/queues/2/state", {"logged_in": False})
    assert not vm.paused or vm.queues[1].logged_in is False
    assert not run(vm.set_state_async(7, logged_in=True)) and vm.error == "not_a_member"
    # the server says 9.2 s of wrap-up are left: counted down locally between polls
    server.wrapup_left = 9.2
    run(vm.refresh_async())
    assert vm.wrapup_left == 10
    clock.now += 4.5
    assert vm.wrapup_left == 5
    assert run(vm.ready_now_async()) and vm.wrapup_left is None
    assert server.requests[-1][:2] == ("POST", "/me/queues/ready")
    # a change made elsewhere (a desk phone's *64) shows at the next poll
    server.queues[0].update(paused=False, pause_reason="")
    run(vm.refresh_async())
    assert not vm.queues[0].paused
    vm.stop()
    assert vm.queues == [] and not vm.available


def test_a_poll_answered_after_ready_now_does_not_bring_the_wrapup_back(qloop, client, server) -> None:
    import asyncio

    from softphone import callcenter_api as api

    run = qloop.run_until_complete
    vm = QueuesViewModel(lambda: client, clock=Clock(), poll_ms=60_000)
    server.wrapup_left = 9.2
    stale = run(api.my_queues(client))  # what a poll sent just before the click will answer
    gate = asyncio.Event()

    async def slow_poll(_client: ProvisioningClient) -> list[api.MyQueue]:
        await gate.wait()
        return stale

    poll = qloop.create_task(vm._apply(slow_poll, quiet=True))
    run(asyncio.sleep(0))
    assert run(vm.ready_now_async()) and vm.wrapup_left is None
    gate.set()
    run(poll)
    assert vm.wrapup_left is None


def test_a_poll_sent_during_ready_now_and_answered_first_does_not_win(qloop, client, server) -> None:
    """Under load the server settles "ready" after a poll sent later was already served from the old state."""
    import asyncio

    from softphone import callcenter_api as api

    run = qloop.run_until_complete
    vm = QueuesViewModel(lambda: client, clock=Clock(), poll_ms=60_000)
    server.wrapup_left = 9.2
    stale = run(api.my_queues(client))
    gate = asyncio.Event()

    async def slow_ready(c: ProvisioningClient) -> list[api.MyQueue]:
        await gate.wait()
        return await api.ready_now(c)

    async def stale_poll(_client: ProvisioningClient) -> list[api.MyQueue]:
        return stale

    ready = qloop.create_task(vm._apply(slow_ready))
    run(asyncio.sleep(0))
    assert run(vm._apply(stale_poll, quiet=True))  # sent after the click, answered before it
    gate.set()
    assert run(ready) and vm.wrapup_left is None
    assert run(vm._apply(stale_poll, quiet=True)) and vm.wrapup_left is not None  # a later poll counts again
    vm.stop()


def test_board_for_supervisors_only(qloop, client, server) -> None:
    run = qloop.run_until_complete
    agent = QueuesViewModel(lambda: client, is_supervisor=lambda: False)
    assert not run(agent.refresh_board_async()) and agent.board == []
    sup = QueuesViewModel(lambda: client, is_supervisor=lambda: True, wall_clock=lambda: 1764900000.0)
    assert run(sup.refresh_board_async())
    (q,) = sup.board
    assert [w.wait for w in q.waiting] == [75.0, 12.0] and q.service_level == 0.8
    assert [(a.full_name, a.state, a.reason) for a in q.agents][1] == ("Trần Thị Bình", "paused", "lunch")
    stats = next(r for r in server.requests if r[1] == "/callcenter/stats/queues")
    assert stats[0] == "GET"


def test_voicemail_badge_play_heard_delete(qloop, client, server, link: EngineLink, engine: FakeEngine,
                                           tmp_path: Path, qtbot) -> None:
    run = qloop.run_until_complete
    vm = VoicemailViewModel(link, lambda: client, cache_dir=tmp_path / "vm")
    # the MWI NOTIFY sets the badge at once (and reloads the list)
    engine.emit(VoicemailWaiting("main", 2, 0))
    qtbot.waitUntil(lambda: vm.badge == 2 or len(vm.messages) == 2, timeout=2000)
    assert run(vm.refresh_async()) and vm.badge == 1 and len(vm.messages) == 2
    assert run(vm.play_async("3-a"))
    played = engine.last("play_message")
    assert played and Path(played[0]).read_bytes() == b"RIFF....WAVE"
    assert vm.badge == 0 and ("POST", "/me/voicemail/3-a/heard", None) in server.requests
    engine.emit(MessagePlayback(played[0], True, 12.5))
    qtbot.waitUntil(lambda: vm.playing == "3-a", timeout=2000)
    engine.emit(MessagePlayback(played[0], False, 0.0))
    qtbot.waitUntil(lambda: vm.playing is None, timeout=2000)
    assert run(vm.delete_async("3-b")) and [m.id for m in vm.messages] == ["3-a"]
    assert not run(vm.delete_async("3-b")) and vm.error == "not_found"
    vm.wipe()  # the app's reset: nothing downloaded stays behind
    assert not (tmp_path / "vm").exists() and vm.messages == [] and vm.badge == 0


def test_incoming_queue_call_details(link: EngineLink, engine: FakeEngine, qtbot) -> None:
    clock = Clock()
    calls = CallsViewModel(link, clock=clock)
    headers = {"x-queue": "1", "x-call-path": "schedule 1 open > ivr 1 > queue 1", "x-queue-wait": "42"}
    engine.emit(IncomingCall("c1", "main", "sip:0903123456@demo.local", "", headers))
    qtbot.waitUntil(lambda: calls.call("c1") is not None, timeout=2000)
    item = calls.call("c1")
    assert item is not None and item.queue_call == QueueCall(
        1, (PathStep("schedule", "1", "open"), PathStep("ivr", "1"), PathStep("queue", "1")), 42
    )
    clock.now += 5  # the caller keeps waiting while it rings
    assert item.caller_wait(clock()) == 47
    engine.emit(IncomingCall("c2", "main", "sip:102@demo.local", "", {}))
    qtbot.waitUntil(lambda: calls.call("c2") is not None, timeout=2000)
    assert calls.call("c2").queue_call is None  # type: ignore[union-attr]


def test_queue_call_from_headers_is_forgiving() -> None:
    assert QueueCall.from_headers({}) is None
    odd = QueueCall.from_headers({"x-call-path": "extension 101", "x-queue-wait": "soon"})
    assert odd == QueueCall(None, (PathStep("extension", "101"),), None)


def test_engine_reads_the_message_summary() -> None:
    from softphone.runtime.sip_text import message_summary

    notify = (
        "NOTIFY sip:101@x SIP/2.0\r\nEvent: message-summary\r\n\r\n"
        "Messages-Waiting: yes\r\nVoice-Message: 2/1 (0/0)\r\n"
    )
    assert message_summary(notify) == (2, 1)
    assert message_summary("NOTIFY x SIP/2.0\r\n\r\nMessages-Waiting: no\r\n") == (0, 0)
    assert message_summary("NOTIFY x SIP/2.0\r\n\r\nMessages-Waiting: yes\r\n") == (1, 0)
    assert message_summary("NOTIFY x SIP/2.0\r\n\r\n") is None


@pytest.mark.parametrize("language", ["vi", "en"])
def test_screens_vi_en(qapp, qloop, client, server, link: EngineLink, tmp_path: Path, language: str) -> None:
    from ui.i18n import Translations
    from ui.views.queues_view import QueuesView
    from ui.views.voicemail_view import VoicemailView

    t = Translations(qapp)
    t.apply(language)
    try:
        run = qloop.run_until_complete
        server.queues[0].update(paused=True, pause_reason="after-call work")
        server.wrapup_left = 8.0
        queues = QueuesViewModel(lambda: client, is_supervisor=lambda: True)
        run(queues.refresh_async())
        run(queues.refresh_board_async())
        view = QueuesView(queues)
        view.resize(700, 600)
        view.refresh()
        view.refresh_board()
        assert view.wrapup.isVisibleTo(view) and view.board.isVisibleTo(view)
        assert ("Sẵn sàng ngay" if language == "vi" else "Ready now") == view.ready.text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        view.grab().save(str(SHOTS / f"queues-{language}.png"))
        voicemail = VoicemailViewModel(link, lambda: client, cache_dir=tmp_path)
        run(voicemail.refresh_async())
        vview = VoicemailView(voicemail)
        vview.resize(700, 400)
        vview.tree.setCurrentItem(vview.tree.topLevelItem(0))
        assert vview.tree.topLevelItemCount() == 2 and vview.heard.isEnabled()
        vview.grab().save(str(SHOTS / f"voicemail-{language}.png"))
        for w in (view, vview):
            w.deleteLater()
        queues.stop()
        voicemail.stop()
    finally:
        t.apply("en")


def test_fake_engine_knows_the_new_commands(engine: FakeEngine) -> None:
    engine.submit(c.PlayMessage("/tmp/x.wav")).result()
    engine.submit(c.StopMessage()).result()
    assert engine.names()[-2:] == ["play_message", "stop_message"]
