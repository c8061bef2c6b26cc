"""Full-stack fixtures: the real `softphone-server run --demo` as a subprocess, driven by real SIP peers.

Every server and peer started here is recorded by PID and killed in teardown; ports are free loopback ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fullstack_support import Agents, ServerProcess

from softphone.testing import free_port


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[], ServerProcess]]:
    """Factory: a fresh demo server (own data dir and ports); all are stopped at teardown."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        data = tmp_path / f"server{len(started)}"
        data.mkdir()
        server = ServerProcess(data, free_port(), free_port())
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One demo server for the tests of a module that do not disturb it."""
    server = ServerProcess(tmp_path_factory.mktemp("shared-server"), free_port(), free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Agents]:
    pool = Agents(tmp_path)
    try:
        yield pool
    finally:
        pool.close()
