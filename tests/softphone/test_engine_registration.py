"""Registration against a tiny test registrar (UDP + TCP, MD5 digest): several accounts, add/modify/remove,
wrong password, and automatic re-registration after the registrar restarts."""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from softphone.testing import CliPeer, free_port

pytestmark = [pytest.mark.integration]

REALM = "test.local"
USERS = {"101": "pw101", "102": "pw102"}


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


class TinyRegistrar:
    """Just enough of a registrar for the engine: REGISTER with MD5 digest over UDP and TCP."""

    def __init__(self, port: int, expires: int = 60) -> None:
        self.port = port
        self.expires = expires
        self.bindings: dict[str, str] = {}  # user -> contact
        self.registers: list[tuple[str, int]] = []  # (user, expires asked) of accepted REGISTERs
        self.routes: list[str] = []  # Route header of each REGISTER (set when sent via an outbound proxy)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []

    def start(self) -> TinyRegistrar:
        self._stop.clear()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.bind(("127.0.0.1", self.port))
        udp.settimeout(0.2)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", self.port))
        tcp.listen(8)
        tcp.settimeout(0.2)
        self._socks = [udp, tcp]
        self._threads = [
            threading.Thread(target=self._udp_loop, args=(udp,), daemon=True),
            threading.Thread(target=self._tcp_accept, args=(tcp,), daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self, forget: bool = True) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        for s in self._socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self._socks.clear()
        if forget:
            self.bindings.clear()

    def _udp_loop(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            reply = self.handle(data.decode(errors="replace"))
            if reply:
                sock.sendto(reply.encode(), addr)

    def _tcp_accept(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(0.2)
            self._socks.append(conn)
            t = threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _tcp_conn(self, conn: socket.socket) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(rest) < n:
                    break
                msg, buf = head + b"\r\n\r\n" + rest[:n], rest[n:]
                if not msg.strip():
                    continue
                reply = self.handle(msg.decode(errors="replace"))
                if reply:
                    with contextlib.suppress(OSError):
                        conn.sendall(reply.encode())

    def handle(self, text: str) -> str | None:
        lines = text.split("\r\n\r\n", 1)[0].split("\r\n")
        method = lines[0].split(" ", 1)[0]
        if not lines[0].endswith("SIP/2.0") or method == "ACK":
            return None
        hdrs: list[tuple[str, str]] = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs.append((k.strip().lower(), v.strip()))
        get = {k: v for k, v in hdrs}
        compact = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact"}
        hdrs = [(compact.get(k, k), v) for k, v in hdrs]
        get = {compact.get(k, k): v for k, v in get.items()}

        def reply(code: int, reason: str, extra: list[str]) -> str:
            out = [f"SIP/2.0 {code} {reason}"]
            out += [f"Via: {v}" for k, v in hdrs if k == "via"]
            to = get.get("to", "")
            out += [f"From: {get.get('from', '')}", f"To: {to}{'' if 'tag=' in to else ';tag=reg1'}"]
            out += [f"Call-ID: {get.get('call-id', '')}", f"CSeq: {get.get('cseq', '')}", *extra]
            return "\r\n".join([*out, "Content-Length: 0", "", ""])

        if method == "OPTIONS":
            return reply(200, "OK", [])
        if method != "REGISTER":
            return reply(405, "Method Not Allowed", [])
        self.routes.append(get.get("route", ""))
        user = re.search(r"sip:([^@>;]+)@", get.get("to", ""))
        username = user.group(1) if user else ""
        auth = get.get("authorization", "")
        challenge = f'WWW-Authenticate: Digest realm="{REALM}", nonce="n{int(time.time())}", algorithm=MD5'
        if not auth:
            return reply(401, "Unauthorized", [challenge])
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', auth))
        pw = USERS.get(f.get("username", ""))
        ha1 = _md5(f"{f.get('username')}:{REALM}:{pw}")
        expected = _md5(f"{ha1}:{f.get('nonce')}:{_md5('REGISTER:' + f.get('uri', ''))}")
        if pw is None or f.get("response") != expected:
            return reply(403, "Forbidden", [])
        contact = get.get("contact", "")
        m = re.search(r"expires=(\d+)", contact)
        asked = int(m.group(1)) if m else int(get.get("expires", "3600"))
        granted = min(asked, self.expires)
        self.registers.append((username, asked))
        if granted == 0:
            self.bindings.pop(username, None)
            return reply(200, "OK", [])
        self.bindings[username] = contact
        contact_uri = contact.split(";expires")[0]
        return reply(200, "OK", [f"Contact: {contact_uri};expires={granted}", f"Expires: {granted}"])


@pytest.fixture
def registrar() -> Iterator[TinyRegistrar]:
    reg = TinyRegistrar(free_port()).start()
    yield reg
    reg.stop()


def account(
    account_id: str, user: str, password: str, port: int, transport: str = "udp", **kw: object
) -> dict:
    return {
        "account_id": account_id, "display_name": f"Agent {user}", "sip_username": user,
        "sip_password": password, "sip_domain": REALM, "registrar": f"127.0.0.1:{port}",
        "transport": transport, "reg_retry_interval_s": 2, "reg_first_retry_s": 1, **kw,
    }


def registered(
    peer: CliPeer, account_id: str, state: str = "registered", start: int = 0, timeout: float = 15
) -> dict:
    def match(e: dict) -> bool:
        return e["event"] == "RegistrationChanged" and e["account_id"] == account_id and e["state"] == state

    return peer.wait_for(match, timeout, start)


def test_several_accounts_add_modify_remove(peers, registrar: TinyRegistrar) -> None:
    p = peers("agent")
    p.command("add_account", account=account("a1", "101", "pw101", registrar.port))
    p.command("add_account", account=account("a2", "102", "pw102", registrar.port, transport="tcp"))
    assert registered(p, "a1")["code"] == 200
    assert registered(p, "a2")["code"] == 200
    assert set(registrar.bindings) == {"101", "102"}
    assert f"127.0.0.1:{registrar.port}" in registrar.routes[0]  # the registrar doubles as outbound proxy
    assert "transport=tcp" in registrar.bindings["102"].lower()

    mark = p.mark()
    p.command("modify_account", account=account("a1", "101", "pw101", registrar.port, register_expires=120))
    registered(p, "a1", start=mark)
    assert registrar.registers[-1] == ("101", 120)

    p.command("remove_account", account_id="a2")
    deadline = time.monotonic() + 10
    while "102" in registrar.bindings and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "102" not in registrar.bindings  # un-REGISTERed
    assert "101" in registrar.bindings


def test_wrong_password_fails_with_code(peers, registrar: TinyRegistrar) -> None:
    p = peers("agent")
    p.command("add_account", account=account("bad", "101", "nope", registrar.port))
    ev = registered(p, "bad", state="failed")
    assert ev["code"] == 403 and ev["reason"] == "Forbidden"


@pytest.mark.slow
def test_reregisters_after_registrar_restart(peers, registrar: TinyRegistrar) -> None:
    registrar.expires = 8
    p = peers("agent")
    p.command("add_account", account=account("a1", "101", "pw101", registrar.port, transport="tcp"))
    registered(p, "a1")
    registrar.stop()  # the server goes away and forgets every binding
    mark = p.mark()
    registered(p, "a1", state="failed", start=mark, timeout=20)
    registrar.start()
    mark = p.mark()
    registered(p, "a1", start=mark, timeout=20)
    assert "101" in registrar.bindings


def test_register_through_outbound_proxy(peers, registrar: TinyRegistrar) -> None:
    # The domain does not resolve: only the outbound proxy (our registrar) can carry the REGISTER.
    acc = account("p1", "101", "pw101", registrar.port, registrar=None, proxy=f"127.0.0.1:{registrar.port}")
    acc["sip_domain"] = "pbx.invalid"
    p = peers("agent")
    p.command("add_account", account=acc)
    assert registered(p, "p1")["code"] == 200
    assert f"127.0.0.1:{registrar.port}" in registrar.routes[-1] and ";lr" in registrar.routes[-1]


def test_network_change_re_registers_at_once(peers, registrar: TinyRegistrar) -> None:
    p = peers("agent")
    p.command("add_account", account=account("a1", "101", "pw101", registrar.port))
    registered(p, "a1")
    before = len(registrar.registers)
    p.command("handle_network_change")
    deadline = time.monotonic() + 10
    while len(registrar.registers) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(registrar.registers) > before


def test_cli_register_expires_flag(peers, registrar: TinyRegistrar) -> None:
    p = peers(
        "agent", "--account", f"101:pw101@{REALM}", "--registrar", f"127.0.0.1:{registrar.port}",
        "--register-expires", "45",
    )
    assert registered(p, "main")["code"] == 200
    assert registrar.registers[-1] == ("101", 45)
