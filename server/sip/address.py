"""Where a message came from or goes to: transport name plus host and port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TransportName = Literal["udp", "tcp", "tls"]

DEFAULT_PORTS: dict[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}


@dataclass(frozen=True, slots=True)
class Address:
    """A transport endpoint. ``transport`` is lower case ("udp", "tcp", "tls"); ``host`` has no brackets."""

    transport: str
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        """Stream transports do their own retransmission, so transaction timers A/E/G stay off."""
        return self.transport != "udp"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"
