"""The media plane as one part of ``softphone-server run``: the rtpengine child and the feature-call UAS.

A missing rtpengine binary is one clear log line and no engine features (the rest of the server runs);
an engine crash ends only the calls it carried and the supervisor starts a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from server.media.call_recording import CallAnchor, CallRecorders
from server.media.engine import EngineError, RtpEngine
from server.media.feature_calls import ROOM_NUMBERS, FeatureCalls
from server.media.prompts import ensure_prompts
from server.sip.message import SipRequest

log = logging.getLogger("server.media.plane")


class MediaPlane:
    def __init__(
        self,
        *,
        interface: str,
        port_min: int,
        port_max: int,
        limit: int,
        prompts_dir: Path,
        sip_host: str = "127.0.0.1",
        record_dir: Path | None = None,
        room_pins: dict[str, str] | None = None,
        records: Callable[[SipRequest], bool] | None = None,
        recordings_dir: Path | None = None,
    ) -> None:
        self.engine = RtpEngine(interface=interface, port_min=port_min, port_max=port_max)
        self.calls = FeatureCalls(
            self.engine,
            ensure_prompts(prompts_dir),
            limit=limit,
            host=sip_host,
            record_dir=record_dir,
            room_pins={"*" + room.lstrip("*"): pin for room, pin in (room_pins or {}).items()},
        )
        # two-party call recording: the SIP adapter's media hook (None: calls are not anchored)
        self.anchor: CallAnchor | None = None
        if records is not None and recordings_dir is not None:
            self.anchor = CallAnchor(
                self.engine,
                CallRecorders(self.engine, recordings_dir, host=sip_host),
                records,
            )
            restarted = self.engine.on_restart

            def on_restart() -> None:
                restarted()
                if self.anchor is not None:
                    self.anchor.engine_restarted()

            self.engine.on_restart = on_restart

    async def start(self) -> dict[str, tuple[str, int]]:
        """Feature number -> the UAS address the proxy forks it to (empty when the engine is missing)."""
        try:
            await self.engine.start()
        except EngineError as exc:
            log.error("media engine not started: %s; feature numbers (*43, rooms, call center) get 503", exc)
            await self.engine.stop()
            return {}
        address = await self.calls.start()
        if self.anchor is not None:
            self.anchor.exclude.add(address)
        log.info("media engine: rtpengine pid %s; feature calls on %s:%d", self.engine.pid, *address)
        return dict.fromkeys((*self.calls.features, *ROOM_NUMBERS), address)

    async def stop(self) -> None:
        if self.anchor is not None:
            await self.anchor.recorders.close()
        await self.calls.stop()
        await self.engine.stop()
