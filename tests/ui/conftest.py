from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ui_fakes import FakeEngine

from softphone.history import MemoryLog
from softphone.secrets import MemorySecrets
from softphone.services import Profile
from ui.engine_link import EngineLink
from ui.viewmodels.app_state import AppViewModel


@pytest.fixture(autouse=True)
def qt_garbage_on_the_main_thread() -> Iterator[None]:
    """Collect what a test left in reference cycles now, on the GUI thread.

    Left to the collector, a parentless QObject in a cycle (a view-model whose TaskRunner lambda holds it) is
    freed on whichever thread collects next: a later test's engine thread or ``asyncio.to_thread`` worker.
    Qt cannot unregister a timer from another thread, so the timer fires on freed memory: the full suite's
    segfault in ``test_ui_real_flows`` (``QTimerInfoList::activateTimers`` on a freed receiver).
    """
    yield
    gc.collect()


@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the test's QApplication (view-models spawn coroutines on it)."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


def dispose(obj: object) -> None:
    """Delete a parentless QObject now: left to the garbage collector it may outlive QApplication."""
    import shiboken6

    if shiboken6.isValid(obj):
        shiboken6.delete(obj)


@pytest.fixture
def link(qapp, engine: FakeEngine) -> Iterator[EngineLink]:
    link = EngineLink()
    engine.on_event = link.deliver
    link.attach(engine)
    yield link
    dispose(link)


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    return Profile(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


@pytest.fixture
def app_vm(link: EngineLink, profile: Profile) -> Iterator[AppViewModel]:
    def no_server(_url: str) -> object:
        raise AssertionError("no server in this test")

    vm = AppViewModel(
        link,
        profile=profile,
        secrets=MemorySecrets(),
        call_log=MemoryLog(),
        chat_log=MemoryLog(),
        client_factory=no_server,
    )
    yield vm
    vm.shutdown()
    dispose(vm)
