"""A PBX (start_sip_service + InMemoryDirectory) on its own event loop thread, for tests whose peers
are driven with blocking calls (softphone-cli subprocesses)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from server.sip.aio.service import SipService, start_sip_service
from server.sip.memory_directory import InMemoryDirectory
from server.sip.proxy import ProxySettings


class PbxThread:
    def __init__(
        self,
        directory: InMemoryDirectory,
        *,
        feature_addresses: dict[str, tuple[str, int]] | None = None,
        settings: ProxySettings | None = None,
        udp_port: int = 0,
        tls_dir: str | None = None,
        dns_servers: list[str] | None = None,
    ) -> None:
        self.directory = directory
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="pbx", daemon=True)
        self._thread.start()
        self.service: SipService = self.call(
            start_sip_service(
                directory=directory,
                state=directory.state(),
                journal_sink=directory.commit,
                udp_port=udp_port,
                tcp_port=0,
                feature_addresses=feature_addresses,
                settings=settings,
                tls_port=0 if tls_dir else None,
                tls_dir=tls_dir,
                dns_servers=dns_servers,
            )
        )
        self.port = self.service.ports["udp"]

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the PBX loop thread (to read or change state without races)."""

        async def wrapper() -> Any:
            return fn()

        return self.call(wrapper())

    def committed(self) -> None:
        """Wait until the journal has handed everything the PBX wrote so far to the store."""
        assert self.call(self.service.journal.flush())

    def change_user(self, user_id: int, **changes: object) -> None:
        """What an admin's edit does: new facts in the snapshot, and the PBX told which users changed."""

        def apply() -> None:
            self.directory.set_user(user_id, **changes)
            self.service.in_core(lambda now: self.service.proxy.routing_changed({user_id}, now))

        self.run(apply)

    def stop(self) -> None:
        try:
            self.call(self.service.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
