"""Where a message came from or goes to: transport name plus host and port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TransportName = Literal["udp", "tcp", "tls"]

DEFAULT_PORTS: dict[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}


@dataclass(frozen=True, slots=True, init=False)
class Address:
    """A transport endpoint. ``transport`` is lower case ("udp", "tcp", "tls"); ``host`` has no brackets."""

    transport: str
    host: str
    port: int

    # __init__, __hash__ and __eq__ are written out so that mypyc compiles them (dataclass's generated ones
    # stay interpreted): addresses are made and used as dictionary keys on every message.
    def __init__(self, transport: str, host: str, port: int) -> None:
        object.__setattr__(self, "transport", transport)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)

    @property
    def reliable(self) -> bool:
        """Stream transports do their own retransmission, so transaction timers A/E/G stay off."""
        return self.transport != "udp"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"

    def __hash__(self) -> int:
        return hash((self.transport, self.host, self.port))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Address):
            return NotImplemented
        return self.port == other.port and self.host == other.host and self.transport == other.transport


def parse_address(text: str) -> Address:
    """The inverse of `Address.__str__` ("udp:127.0.0.1:5060", "tcp:[::1]:5060"); ValueError otherwise."""
    transport, _, rest = text.partition(":")
    host, _, port = rest.rpartition(":")
    if not transport or not host or not port.isdigit():
        raise ValueError(f"not a transport address: {text!r}")
    return Address(transport, host.strip("[]"), int(port))
