"""The agent's side of the call center in the desktop app, against the real server (``run --demo`` with
rtpengine), the real pjsua2 engine in the app, a ``softphone-cli`` desk phone of the same agent and a
carrier calling the demo hotline from 127.0.0.1.

The app (offscreen Qt) signs in as 101 (a member of the demo's Sales queue): the queue panel logs out of
and into every queue and pauses with a reason; a feature code from the desk phone (``*64``) unpauses and
shows up at the next poll; a customer calls the hotline, presses 1 and the app's incoming window shows the
queue, the IVR path and the wait; after the call the wrap-up counts down until "Ready now"; after hours the
customer leaves a voicemail: the MWI NOTIFY reaches the engine (badge), the message is listed, played
through the engine (it holds the customer's 700 Hz), marked heard and deleted.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from test_ui_real_flows import SHOTS, on_qt_loop, sign_in_and_activate, snapshot, until

from server.media.prompts import CLOSED_HZ, GREETING_HZ, MOH_NOTES_HZ
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone
from softphone.events import VoicemailWaiting
from softphone.testing import CliPeer, DemoServer, tone_levels

pytestmark = [
    pytest.mark.ui,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
]

HOTLINE = "02873001234"
CALLER_HZ = 700.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    server = DemoServer(tmp_path_factory.mktemp("cc") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo_server(demo: DemoServer) -> dict[str, Any]:
    """What the shared `desktop` fixture needs."""
    return {"http": demo.http_port, "sip": demo.sip_port}


from test_ui_real_flows import desktop  # noqa: E402,F401  (the app against `demo_server`)


def admin(demo: DemoServer, method: str, path: str, body: Any = None) -> Any:
    base = f"{demo.url}/api/v1"
    r = httpx.post(f"{base}/auth/login", json={"login": "84901000100", "password": "admin1234"})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = httpx.request(method, f"{base}{path}", json=body, headers=headers, timeout=10)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def business_hours(demo: DemoServer, override: str) -> None:
    schedule = admin(demo, "GET", "/admin/schedules")[0]
    config = {**schedule["config"], "override": override}
    admin(demo, "PUT", f"/admin/schedules/{schedule['id']}", {"name": schedule["name"], "config": config})


class Customer:
    """A carrier call to the hotline in a thread of its own (its own asyncio loop), so the app's Qt loop runs
    freely: it hears the greeting, presses `digit` (RFC 4733) and stays on until `hang_up()`."""

    def __init__(self, sip_port: int, digit: int | None, first_hz: float) -> None:
        self.sip_port, self.digit, self.first_hz = sip_port, digit, first_hz
        self.answered = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def hang_up(self) -> None:
        self._stop.set()
        self._thread.join(20)

    def _run(self) -> None:
        try:
            asyncio.run(self._call())
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    async def _call(self) -> None:
        probe = SipProbe(("127.0.0.1", self.sip_port))
        await probe.open()
        leg = ProbeLeg("127.0.0.1", CALLER_HZ, pcmu_tone(CALLER_HZ))
        await leg.open()
        try:
            call = await probe.invite(HOTLINE, leg, timeout=10)
            assert call.status == 200, call.status
            sender = asyncio.create_task(pace([leg], 60.0))
            try:
                await _hears(leg, (self.first_hz,))
                if self.digit is not None:
                    _rfc4733(leg, self.digit)
                    await _hears(leg, MOH_NOTES_HZ)
                self.answered.set()
                while not self._stop.is_set():
                    await asyncio.sleep(0.1)
            finally:  # hang up even when a check failed, or the call would outlive the test
                for _ in range(3):  # the probe does not retransmit: a loaded machine may drop one datagram
                    probe.bye(call)
                    await asyncio.sleep(0.7)
                sender.cancel()
        finally:
            leg.close()
            probe.close()


async def _hears(leg: ProbeLeg, freqs: tuple[float, ...], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        if any(abs(leg.stats.dominant_hz() - f) < 30 for f in freqs):
            return
    raise AssertionError(f"caller heard {leg.stats.dominant_hz():.0f} Hz, not {freqs}")


def _rfc4733(leg: ProbeLeg, event: int) -> None:
    import struct

    assert leg.transport is not None and leg.remote is not None
    for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
        body = struct.pack("!BBH", event, end | 10, 160 * (i + 1))
        hdr = struct.pack("!BBHII", 0x80, 101 | (0x80 if i == 0 else 0), 7000 + i, 8000 * 77, 99)
        leg.transport.sendto(hdr + body, leg.remote)


@on_qt_loop
async def test_queue_panel_queue_call_wrapup_and_voicemail(
    desktop, demo: DemoServer, qloop, qtbot  # noqa: F811  (the imported fixture)
) -> None:
    app = desktop
    vm, w = app.vm, app.window
    await sign_in_and_activate(app, qtbot)
    await until(lambda: vm.queues.available, 15, "my queues listed")
    assert [q.name for q in vm.queues.queues] == ["Sales"] and vm.queues.all_logged_in  # the demo logs 101 in
    assert not w.sidebar.item(4).isHidden()
    w.show_page("queues")
    panel = w.queues
    qtbot.mouseClick(panel.log_out_all, Qt.MouseButton.LeftButton)
    await until(lambda: not any(q.logged_in for q in vm.queues.queues), 10, "logged out")
    qtbot.mouseClick(panel.log_in_all, Qt.MouseButton.LeftButton)
    await until(lambda: vm.queues.all_logged_in, 10, "logged in")
    panel.reason.setCurrentIndex(panel.reason.findData("training"))
    qtbot.mouseClick(panel.pause, Qt.MouseButton.LeftButton)
    await until(lambda: vm.queues.paused and vm.queues.pause_reason == "training", 10, "paused")
    assert "Paused: Training" in panel.summary.text()
    snapshot(w, "cc-queues-paused")

    # the agent's desk phone dials *64 (unpause): the panel shows it at the next poll (every 5 s)
    phone = await asyncio.to_thread(
        CliPeer,
        ["--account", "101:demo101@demo.local", "--registrar", demo.registrar, "--proxy", demo.registrar],
        name="deskphone101",
    )
    try:
        await asyncio.to_thread(
            phone.wait_for, lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30
        )
        code = await asyncio.to_thread(phone.command, "make_call", account_id="main", target="*64")
        await asyncio.to_thread(phone.wait_state, "disconnected", code, 15)
        await until(lambda: not vm.queues.paused, 12, "unpaused by the desk phone's *64")
    finally:
        await asyncio.to_thread(phone.quit)
        phone.kill()

    # a customer calls the hotline in business hours and presses 1 (Sales): the app rings with the details
    business_hours(demo, "open")
    customer = Customer(demo.sip_port, 1, GREETING_HZ)
    try:
        await until(lambda: vm.calls.ringing_call() is not None or customer.done.is_set(), 30, "it rings")
        assert customer.error is None, customer.error
        ringing = vm.calls.ringing_call()
        assert ringing is not None and ringing.queue_call is not None
        assert ringing.queue_call.queue_id == vm.queues.queues[0].queue_id
        assert [s.kind for s in ringing.queue_call.path] == ["schedule", "ivr", "queue"]
        incoming = app.incoming
        await until(incoming.isVisible, 5, "incoming window")
        assert incoming.queue.text().startswith("Queue: Sales · waited ")
        assert incoming.path.text() == "Open hours › Menu 1 › Sales"
        incoming.grab().save(str(SHOTS / "real-cc-incoming.png"))
        # answer once the caller has heard the hold music (it plays while the agent rings)
        await until(lambda: customer.answered.is_set() or customer.done.is_set(), 15, "caller on hold")
        assert customer.error is None, customer.error
        qtbot.mouseClick(incoming.answer, Qt.MouseButton.LeftButton)
        await until(lambda: vm.calls.active_call() is not None and vm.calls.active_call().is_connected, 15)
        w.show_page("phone")
        assert w.call_view.queue.isVisibleTo(w.call_view) and "Sales" in w.call_view.queue.text()
        snapshot(w, "cc-call-view")
    finally:
        customer.hang_up()
    assert customer.error is None, customer.error
    await until(lambda: not vm.calls.has_calls(), 20, "call ended")

    # the PBX's wrap-up (the demo queue's 10 s) counts down in the panel until "Ready now"
    w.show_page("queues")
    await until(lambda: vm.queues.wrapup_left is not None, 8, "wrap-up shown")
    assert panel.wrapup.isVisibleTo(panel) and "Wrap-up:" in panel.wrapup_text.text()
    snapshot(w, "cc-wrapup")
    qtbot.mouseClick(panel.ready, Qt.MouseButton.LeftButton)
    await until(lambda: vm.queues.wrapup_left is None, 5, "ready now")
    assert not panel.wrapup.isVisibleTo(panel)
    ready_at = time.monotonic()
    await asyncio.sleep(1.5)  # the READY line's group commit
    board = admin(demo, "GET", "/callcenter/board")["queues"]
    sales = next(q for q in board if q["name"] == "Sales")
    me = next(a for a in sales["agents"] if a["full_name"] == "Nguyễn Văn An")
    assert me["state"] == "available" and time.monotonic() - ready_at < 5, me  # before the 10 s were up
    assert await vm.queues.refresh_async() and vm.queues.wrapup_left is None

    # after hours the customer leaves a voicemail in the Sales box: MWI to the app, list, play, heard, delete
    business_hours(demo, "closed")
    mwi: list[VoicemailWaiting] = []
    app.link.eventReceived.connect(lambda e: mwi.append(e) if isinstance(e, VoicemailWaiting) else None)
    customer = Customer(demo.sip_port, None, CLOSED_HZ)
    await until(lambda: customer.answered.is_set() or customer.done.is_set(), 30, "closed prompt")
    assert customer.error is None, customer.error
    await asyncio.sleep(4.0)  # the rest of the prompt, the beep, then the customer speaks (700 Hz)
    customer.hang_up()
    await until(lambda: vm.voicemail.badge == 1 and len(vm.voicemail.messages) == 1, 20, "MWI badge")
    assert mwi[0].new == 1, mwi  # the badge came from the NOTIFY the engine got (the list polls each 60 s)
    assert "Voicemail  (1)" in w.sidebar.item(5).text()
    w.show_page("voicemail")
    message = vm.voicemail.messages[0]
    assert message.box_name and message.duration > 0.5 and not message.heard
    w.voicemail.tree.setCurrentItem(w.voicemail.tree.topLevelItem(0))
    snapshot(w, "cc-voicemail")
    qtbot.mouseClick(w.voicemail.play, Qt.MouseButton.LeftButton)
    await until(lambda: vm.voicemail.playing == message.id, 10, "playing through the engine")
    played = Path(vm.profile.voicemail) / f"{message.id}.wav"
    assert tone_levels(played, [CALLER_HZ], skip_s=0.3)[CALLER_HZ] > 0.3  # the customer's voice
    await until(lambda: vm.voicemail.badge == 0 and vm.voicemail.messages[0].heard, 10, "heard")
    await until(lambda: any(m.new == 0 and m.old == 1 for m in mwi), 10, "MWI after heard: 0 new, 1 heard")
    await vm.voicemail.delete_async(message.id)
    assert vm.voicemail.messages == [] and not list((demo.data_dir / "voicemail").glob("*/*.wav"))


@on_qt_loop
async def test_supervisor_board_from_the_real_api(demo: DemoServer, qloop, qtbot) -> None:
    from softphone.provisioning import ProvisioningClient
    from softphone.secrets import MemorySecrets
    from ui.viewmodels.queues import QueuesViewModel
    from ui.views.queues_view import QueuesView

    client = ProvisioningClient(f"{demo.url}/api/v1", MemorySecrets())
    await client.login("84901000100", "admin1234")
    me = await client.me()
    vm = QueuesViewModel(lambda: client, is_supervisor=lambda: me.role in ("supervisor", "admin"))
    try:
        assert await vm.refresh_board_async()
        sales = next(q for q in vm.board if q.name == "Sales")
        assert {a.full_name for a in sales.agents} >= {"Nguyễn Văn An", "Trần Thị Bình"}
        states = {"logged_out", "paused", "on_call", "wrapup", "available"}
        assert all(a.state in states for a in sales.agents)
        view = QueuesView(vm)
        view.resize(760, 560)
        view.refresh_board()
        assert view.board.isVisibleTo(view) and view.board.topLevelItemCount() == len(vm.board)
        view.grab().save(str(SHOTS / "real-cc-board.png"))
        view.deleteLater()
        # an agent is refused the board by the server; the model shows nothing rather than an error
        agent = ProvisioningClient(f"{demo.url}/api/v1", MemorySecrets())
        await agent.login("84901000102", "agent102")
        not_sup = QueuesViewModel(lambda: agent, is_supervisor=lambda: True)
        assert not await not_sup.refresh_board_async() and not_sup.board == []
        await agent.aclose()
    finally:
        vm.stop()
        await client.aclose()
