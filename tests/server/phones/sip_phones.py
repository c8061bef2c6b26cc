"""Real SIP clients configured from a desk phone's parsed line values: Debian's baresip (driven over ctrl_tcp,
a sine from ``ausine``, what it decodes dumped by ``sndfile``) or our ``softphone-cli``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from vendor_formats import Line

from softphone.testing import BaresipPeer, CliPeer, baresip_tone_audio, free_baresip_port, free_port

BARESIP_HZ = 1100  # what baresip's ausine sends
CLI_PHONE_HZ = 800  # what a softphone-cli desk phone sends


class BaresipPhone(BaresipPeer):
    """baresip registered with one desk-phone line, exactly as the phone's file said."""

    def __init__(self, root: Path, line: Line) -> None:
        name = line.display_name.replace('"', "")
        account = (
            f'"{name}" <sip:{line.username}@{line.domain};transport={line.transport}>'
            f";auth_user={line.auth_user};auth_pass={line.password}"
            f';outbound="sip:{line.proxy_host}:{line.proxy_port};transport={line.transport}"'
            f";regint={line.expires};answermode=manual\n"
        )
        config = [f"sip_listen 127.0.0.1:{free_baresip_port()}", *baresip_tone_audio(BARESIP_HZ)]
        super().__init__(root, config, account)
        self.line = line

    def wait_event(self, kind: str, timeout: float = 20) -> dict[str, Any]:
        return self.wait_for(lambda e: e.get("type") == kind, timeout)

    def wait_registered(self, timeout: float = 30) -> None:
        """The registrar's 200 in baresip's log (it may come before ctrl_tcp is connected to see it)."""
        line = self.line
        deadline = time.monotonic() + timeout
        wanted = f"{line.username}@{line.domain}: {{0/{line.transport.upper()}/v4}} 200 OK"
        while wanted not in self.log_text(20000):
            if time.monotonic() > deadline:
                raise TimeoutError(f"baresip did not register:\n{self.log_text()}")
            time.sleep(0.1)


def cli_phone(line: Line, name: str) -> CliPeer:
    """softphone-cli registered with one desk-phone line (it uses the user name as digest user)."""
    assert line.auth_user == line.username, "softphone-cli cannot set a separate digest user"
    return CliPeer(
        [
            "--account", f"{line.username}:{line.password}@{line.domain}",
            "--registrar", f"{line.proxy_host}:{line.proxy_port}",
            "--proxy", f"{line.proxy_host}:{line.proxy_port}",
            "--transport", line.transport,
            "--register-expires", str(line.expires),
            "--listen-port", str(free_port()),
            "--tone", str(CLI_PHONE_HZ),
            "--wait",
        ],
        name=name,
    )  # fmt: skip
