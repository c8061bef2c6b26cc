"""``softphone --self-test``: the real app drives itself the way a new user would, and says whether it worked.

It clicks through the real widgets (Log in, type the phone number and password, Activate on this computer),
waits until the account is registered, dials a number from the dialer, records the call and checks the tone it
heard, hangs up, and repeats the call ``--calls`` times. Each step prints one JSON line on stdout (with the
process's resident memory), the last one ``{"step": "done", "ok": true|false}``; the exit code is 0 only if
every step passed. Used by the frozen (PyInstaller) build's check (packaging/check_frozen_app.py) and by
bench/bench_app_memory.py; it needs no test framework, so it runs inside the frozen app too.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget

from softphone.tones import read_wav_pcm, tone_share
from ui.app import DesktopApp


@dataclass(frozen=True, slots=True)
class SelfTest:
    login: str
    password: str
    call: str = ""
    expect_hz: float = 0.0
    calls: int = 1
    call_seconds: float = 2.0
    idle_seconds: float = 2.0
    timeout_s: float = 30.0
    screenshots: str = ""  # a folder: a PNG of the window at each step (the walkthrough a person would see)


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; peak RSS elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def report(step: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"step": step, "rss_mb": round(rss_mb(), 1), **fields}) + "\n")
    sys.stdout.flush()


def click(button: QAbstractButton) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint())


def type_into(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)


async def until(pred: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


def recorded_tone_share(path: str, freq: float, skip_s: float = 0.3, max_s: float = 4.0) -> float:
    """Share of the recording's energy at ``freq`` (0..1; Goertzel, no numpy: the app never loads it)."""
    samples, rate = read_wav_pcm(Path(path))
    return tone_share(samples[int(skip_s * rate) : int((skip_s + max_s) * rate)], rate, freq)


class Shots:
    """PNGs of what the app shows, named ``<lang>-NN-<step>.png``."""

    def __init__(self, app: DesktopApp, folder: str) -> None:
        self.app = app
        self.folder = Path(folder) if folder else None
        self.n = 0

    async def take(self, name: str, widget: QWidget | None = None) -> None:
        if self.folder is None:
            return
        await asyncio.sleep(0.3)  # let layouts and queued engine events settle
        self.n += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        lang = self.app.translations.language
        target = widget or self.app.window
        target.grab().save(str(self.folder / f"{lang}-{self.n:02d}-{name}.png"))


async def tour(app: DesktopApp, shots: Shots) -> None:
    """The pages a new user looks at once registered (only when taking screenshots)."""
    w = app.window
    vm = app.vm
    w.show_page("phone")
    w.dialer.number.clear()
    type_into(w.dialer.number, "0912345678")
    await shots.take("dial-mobile-number-calls-out")
    w.dialer.number.clear()
    type_into(w.dialer.number, "102")
    await shots.take("dial-extension-internal")
    w.dialer.number.clear()
    for page in ("contacts", "chat", "settings"):
        w.show_page(page)
        await shots.take(page)
    for i in range(1, w.settings.tabs.count()):
        w.settings.tabs.setCurrentIndex(i)
        await shots.take(f"settings-tab-{i}")
    w.settings.tabs.setCurrentIndex(0)
    from ui.views.settings_view import AccountSettingsDialog

    record = vm.accounts.calling_account()
    if record is not None:
        dialog = AccountSettingsDialog(record, vm.settings.codecs, vm.settings, w)
        dialog.show()
        await shots.take("account-settings", dialog)
        dialog.close()
    w.show_page("phone")


async def run(app: DesktopApp, test: SelfTest) -> bool:
    w = app.window
    vm = app.vm
    t = test.timeout_s
    shots = Shots(app, test.screenshots)
    report("started")
    await shots.take("welcome")
    if vm.session.page != "ready":
        if vm.session.page != "login":
            click(w.onboarding.to_login)
        type_into(w.onboarding.login, test.login)
        type_into(w.onboarding.password, test.password)
        await shots.take("login")
        click(w.onboarding.do_login)
        await until(lambda: vm.session.page in ("accounts", "ready") and not vm.session.busy, t, "logged in")
        report("logged_in", accounts=[a.extension for a in vm.session.server_accounts])
        if vm.session.page == "accounts":
            await until(w.onboarding.activate.isEnabled, t, "activate enabled")
            await shots.take("my-accounts")
            click(w.onboarding.activate)
            await until(lambda: vm.session.page == "ready", t, "activated")
            report("activated")
    record = vm.accounts.calling_account()
    if record is None:
        raise RuntimeError("no account after activation")
    await until(lambda: vm.accounts.is_registered(record.account_id), t, "registered")
    await asyncio.sleep(test.idle_seconds)
    report("registered", account=record.account_id)
    await shots.take("registered")
    if shots.folder is not None:
        await tour(app, shots)
    if not test.call:
        return True
    for n in range(1, test.calls + 1):
        w.show_page("phone")
        w.dialer.number.clear()
        type_into(w.dialer.number, test.call)
        click(w.dialer.call_button)
        await until(lambda: (c := vm.calls.active_call()) is not None and c.is_connected, t, f"call {n}")
        click(w.call_view.record)
        await until(lambda: (c := vm.calls.active_call()) is not None and c.recording, t, "recording")
        await asyncio.sleep(test.call_seconds)
        if n == 1:
            await until(lambda: w.call_view.security.text() != "", t, "call quality and security shown")
            await shots.take("in-call")
            click(w.call_view.keypad_button)
            await shots.take("in-call-keypad")
            click(w.call_view.hide_keypad)
        click(w.call_view.hangup)
        await until(lambda: not vm.calls.has_calls(), t, "hung up")
        entry = vm.history.entries()[0]
        share = recorded_tone_share(entry.recording_path, test.expect_hz) if test.expect_hz else None
        ok = share is None or share > 0.5
        report("call", n=n, tone_share=None if share is None else round(share, 3), ok=ok)
        Path(entry.recording_path).unlink(missing_ok=True)
        if not ok:
            return False
    w.show_page("history")
    await shots.take("history")
    w.show_page("phone")
    await asyncio.sleep(test.idle_seconds)
    report("idle_after_calls")
    return True


_running: set[asyncio.Future[None]] = set()  # asyncio keeps only weak references to tasks


def start(app: DesktopApp, test: SelfTest) -> None:
    """Run the self-test on the app's loop, then quit with its verdict as the exit code."""

    async def main() -> None:
        ok = False
        try:
            ok = await run(app, test)
        except Exception as exc:
            report("error", error=f"{type(exc).__name__}: {exc}")
        report("done", ok=ok)
        app.exit_code = 0 if ok else 1
        app.quit()

    _running.add(asyncio.ensure_future(main()))
