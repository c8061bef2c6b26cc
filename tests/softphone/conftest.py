"""Fixtures for engine tests: softphone-cli peers in subprocesses, killed at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from softphone.testing import CliPeer


@pytest.fixture
def peers() -> Iterator[Callable[..., CliPeer]]:
    """``peers("alice", "--tone", "600", ...)`` starts a CLI peer with --json-events --commands."""
    started: list[CliPeer] = []

    def start(name: str, *args: str) -> CliPeer:
        peer = CliPeer(["--user", name, *args], name=name)
        started.append(peer)
        return peer

    yield start
    for p in started:
        p.quit(timeout=10)
    for p in started:
        p.kill()
