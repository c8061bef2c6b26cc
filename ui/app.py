"""Entry point of the desktop app (``softphone``): composition root.

Everything is built here and handed down: the engine (its events relayed by EngineLink), the stores, the
provisioning client factory, the view-models and the windows. Nothing else constructs global state.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from softphone.autostart import set_start_at_login
from softphone.config import EngineConfig
from softphone.links import LaunchRequest, parse_args
from softphone.secrets import MemorySecrets
from softphone.services import USER_AGENT, Profile, Services, make_services
from ui.engine_link import EngineLink
from ui.hotkeys import XF86_AUDIO_PLAY, GlobalHotkeys, x11_combo
from ui.hotkeys import available as hotkeys_available
from ui.i18n import Translations
from ui.single_instance import SingleInstance, default_server_name
from ui.viewmodels.app_state import AppViewModel
from ui.views.incoming_window import IncomingCallWindow
from ui.views.main_window import MainWindow
from ui.views.tray import Tray

log = logging.getLogger(__name__)


@dataclass
class DesktopApp:
    """The running app's parts (tests build one with fakes at the engine boundary)."""

    qt: QApplication
    link: EngineLink
    vm: AppViewModel
    window: MainWindow
    incoming: IncomingCallWindow
    tray: Tray
    translations: Translations
    services: Services
    hotkeys: GlobalHotkeys | None = None
    exit_code: int = 0

    def quit(self) -> None:
        if self.hotkeys is not None:
            self.hotkeys.close()
        self.window.quitting = True
        self.vm.shutdown()
        self.tray.hide()
        self.incoming.close()
        self.window.close()
        self.qt.quit()


def default_profile(profile_dir: str | None) -> Profile:
    if profile_dir:
        base = Path(profile_dir)
        return Profile(config_dir=base / "config", data_dir=base / "data")
    import platformdirs

    return Profile(
        config_dir=Path(platformdirs.user_config_dir("softphone")),
        data_dir=Path(platformdirs.user_data_dir("softphone")),
    )


def build_app(
    qt: QApplication,
    link: EngineLink,
    services: Services,
    *,
    profile: Profile,
    language: str | None = None,
    server_url: str | None = None,
    refresh_interval_ms: int = 300_000,
) -> DesktopApp:
    vm = AppViewModel(
        link,
        profile=profile,
        secrets=services.secrets,
        call_log=services.call_log,
        chat_log=services.chat_log,
        client_factory=services.client_factory,
        server_url=server_url,
        refresh_interval_ms=refresh_interval_ms,
    )
    if language:
        # ``--language`` is the user's choice like the Settings combo: saved, so the combo shows the language
        # the app speaks and picking the other one switches (it showed the saved one and did nothing).
        vm.settings.set_language(language)
    translations = Translations(qt)
    translations.apply(vm.settings.prefs.language)
    window = MainWindow(vm)
    incoming = IncomingCallWindow(vm.calls, queue_name=vm.queues.queue_name)
    app_holder: list[DesktopApp] = []
    tray = Tray(vm.status, on_show=window.bring_to_front, on_quit=lambda: app_holder[0].quit())

    def on_language(lang: str) -> None:
        translations.apply(lang)
        tray.retranslate()

    vm.settings.languageChanged.connect(on_language)
    hotkeys = _global_hotkeys(vm, window)
    vm.settings.startAtLoginChanged.connect(lambda on: _safe(set_start_at_login, on))
    vm.history.playRequested.connect(lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(path)))
    vm.chat.notify.connect(lambda title, text: window.isActiveWindow() or tray.notify(title, text))
    desktop = DesktopApp(qt, link, vm, window, incoming, tray, translations, services, hotkeys)
    app_holder.append(desktop)
    return desktop


def _global_hotkeys(vm: AppViewModel, window: MainWindow) -> GlobalHotkeys | None:
    """Answer / hang-up hotkeys and the headset's play/pause key from any application (X11 only)."""
    if not hotkeys_available():
        return None
    keys = GlobalHotkeys(window)

    def apply() -> None:
        p = vm.settings.prefs
        wanted = {}
        for name, seq in (("answer", p.answer_key), ("hangup", p.hangup_key)):
            combo = x11_combo(seq) if p.global_hotkeys else None
            if combo is not None:
                wanted[name] = combo
        if p.media_keys:
            wanted["media"] = (XF86_AUDIO_PLAY, 0)
        keys.set_keys(wanted)

    def pressed(name: str) -> None:
        if name == "answer":
            window.answer_ringing()
        elif name == "hangup":
            vm.calls.hangup()
        else:
            vm.calls.answer_or_hang_up()

    keys.activated.connect(pressed)
    vm.settings.hotkeysChanged.connect(apply)
    apply()
    return keys


def _safe(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception as exc:  # an OS integration failing must not break the app
        log.warning("%s failed: %s", getattr(fn, "__name__", fn), exc)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    request: LaunchRequest = parse_args(argv)
    logging.basicConfig(level=os.environ.get("SOFTPHONE_LOG", "INFO"))
    qt = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(qt, QApplication)
    qt.setApplicationName("Softphone")
    qt.setOrganizationName("Softphone")
    qt.setQuitOnLastWindowClosed(False)

    single = SingleInstance(default_server_name(request.profile))
    message = f"call {request.call_target}" if request.call_target else "show"
    if single.forward(message):
        return 0
    single.listen()

    import qasync

    loop = qasync.QEventLoop(qt)
    asyncio.set_event_loop(loop)

    profile = default_profile(request.profile)
    link = EngineLink()
    config = EngineConfig(user_agent=USER_AGENT, null_audio=os.environ.get("SOFTPHONE_NULL_AUDIO") == "1")
    services = make_services(profile, config=config)
    engine = services.engine_factory(link.deliver)
    link.attach(engine)
    desktop = build_app(
        qt, link, services, profile=profile, language=request.language, server_url=request.server_url
    )
    if isinstance(services.secrets, MemorySecrets):
        log.warning("no keyring backend: passwords are kept for this session only")
    single.messageReceived.connect(lambda m: log.info("request from another launch: %s", m))
    single.messageReceived.connect(desktop.vm.handle_link)

    def engine_started(_r: object) -> None:
        desktop.vm.start()
        if request.call_target:
            desktop.vm.call_number(request.call_target)
        if request.self_test is not None:
            from ui import selftest

            t = request.self_test
            selftest.start(
                desktop,
                selftest.SelfTest(
                    t.login, t.password, t.call, t.expect_hz, t.calls, screenshots=t.screenshots
                ),
            )

    link.start(on_done=engine_started)
    _quit_on_signals(desktop)
    if not (request.start_minimized or desktop.vm.settings.prefs.start_minimized):
        desktop.window.show()

    try:
        with loop:
            loop.run_until_complete(_until_quit(qt))
    finally:
        single.close()
        try:
            engine.stop().result(timeout=8)
        except Exception as exc:
            log.warning("engine stop: %s", exc)
        services.close()
    return desktop.exit_code


def _quit_on_signals(desktop: DesktopApp) -> None:
    """Ctrl+C / SIGTERM end the app cleanly (engine stopped, accounts unregistered)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: desktop.quit())
    # Python runs signal handlers only when it gets control: give it a moment now and then.
    ticker = QTimer(desktop.qt)
    ticker.timeout.connect(lambda: None)
    ticker.start(300)


async def _until_quit(qt: QApplication) -> None:
    done = asyncio.Event()
    qt.aboutToQuit.connect(done.set)
    await done.wait()


if __name__ == "__main__":
    raise SystemExit(main())
