"""Full-stack fixtures: the real `softphone-server run --demo` as a subprocess, driven by real SIP peers.

Every server and peer started here is recorded by PID and killed in teardown; ports are free loopback ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fullstack_support import Agents, ServerProcess, launch_server


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[], ServerProcess]]:
    """Factory: a fresh demo server (own data dir and ports); all are stopped at teardown."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        data = tmp_path / f"server{len(started)}"
        data.mkdir()
        return launch_server(data, started)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One demo server for the tests of a module that do not disturb it."""
    started: list[ServerProcess] = []
    try:
        yield launch_server(tmp_path_factory.mktemp("shared-server"), started)
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Agents]:
    pool = Agents(tmp_path)
    try:
        yield pool
    finally:
        pool.close()
