"""Sans-IO registrar: digest REGISTER, several devices, expiry, restart (bindings through the journal)."""

from __future__ import annotations

from typing import TypeVar

import pytest
from pbx_fakes import FakeClock, request

from server.sip.address import Address
from server.sip.auth import DigestAuthenticator, client_authorization
from server.sip.directory import DeviceKind
from server.sip.flood import FloodGuard, FloodPolicy
from server.sip.journal import Journal
from server.sip.memory_directory import InMemoryDirectory
from server.sip.message import SipRequest
from server.sip.registrar import RegisterResult, Registrar, binding_address

pytestmark = pytest.mark.unit

DOMAIN = "demo.local"
SRC = Address("udp", "127.0.0.1", 5099)


@pytest.fixture
def directory() -> InMemoryDirectory:
    d = InMemoryDirectory()
    d.add_user(1, "101")
    d.add_device(1, "101", "demo101")
    d.add_device(1, "101phone", "phonepw", device_kind=DeviceKind.IP_PHONE)
    return d


T = TypeVar("T")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


_STORES: dict[int, InMemoryDirectory] = {}


def make_registrar(directory: InMemoryDirectory, **kw: object) -> Registrar:
    flood = FloodGuard(FloodPolicy(auth_failures=3))
    reg = Registrar(directory, Journal(), DigestAuthenticator(), flood, **kw)  # type: ignore[arg-type]
    _STORES[id(reg)] = directory
    return reg


def committed(reg: Registrar, result: T) -> T:
    """What the journal writer does after each step: the store gets the registrar's writes."""
    _STORES[id(reg)].apply(reg.journal.take()[1])
    return result


def handle(reg: Registrar, req: SipRequest, now: float) -> RegisterResult:
    return committed(reg, reg.handle(req, SRC, now))


def register(
    user: str = "101",
    contacts: tuple[str, ...] = ("<sip:101@127.0.0.1:5099>",),
    expires: int | None = 600,
    cseq: int = 1,
    call_id: str = "reg-1",
) -> SipRequest:
    headers = [("Contact", c) for c in contacts]
    if expires is not None:
        headers.append(("Expires", str(expires)))
    return request(
        "REGISTER",
        f"sip:{DOMAIN}",
        from_=f"sip:{user}@{DOMAIN}",
        to=f"sip:{user}@{DOMAIN}",
        call_id=call_id,
        cseq=cseq,
        headers=headers,
    )


async def register_with_auth(
    reg: Registrar, clock: FakeClock, req: SipRequest, password: str = "demo101", user: str | None = None
):
    first = handle(reg, req, clock.now)
    assert first.response.status == 401
    challenge = first.response.headers.get_all("WWW-Authenticate")[0]
    user = user or req.to.uri.user
    req2 = req.copy()
    req2.headers.set("CSeq", f"{req.cseq[0] + 1} REGISTER")
    req2.headers.add(
        "Authorization",
        client_authorization(
            challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username=user, password=password
        ),
    )
    return handle(reg, req2, clock.now)


async def test_register_challenge_then_ok(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    result = await register_with_auth(reg, clock, register())
    assert result.response.status == 200
    assert result.response.headers.get_all("Contact") == ["<sip:101@127.0.0.1:5099>;expires=600"]
    (b,) = reg.bindings_of(1, clock.now)
    assert b.contact == "sip:101@127.0.0.1:5099" and b.device_kind is DeviceKind.APP
    assert binding_address(b) == SRC
    assert list(directory.bindings) == [("sip:101@demo.local", "sip:101@127.0.0.1:5099")]


async def test_wrong_password_and_unknown_user_same_challenge(
    directory: InMemoryDirectory, clock: FakeClock
) -> None:
    reg = make_registrar(directory)
    bad = await register_with_auth(reg, clock, register(), password="wrong")
    unknown = await register_with_auth(reg, clock, register(user="999"), password="x")
    assert bad.response.status == unknown.response.status == 401
    strip = lambda v: v.split("nonce=")[0]  # noqa: E731
    assert [strip(v) for v in bad.response.headers.get_all("WWW-Authenticate")] == [
        strip(v) for v in unknown.response.headers.get_all("WWW-Authenticate")
    ]
    assert not reg.bindings_of(1, clock.now)


async def test_lockout_after_repeated_failures(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    for _ in range(3):
        assert (await register_with_auth(reg, clock, register(), password="wrong")).response.status == 401
    first = handle(reg, register(), clock.now)
    challenge = first.response.headers.get_all("WWW-Authenticate")[0]
    req = register(cseq=9)
    req.headers.add(
        "Authorization",
        client_authorization(
            challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username="101", password="demo101"
        ),
    )
    assert (handle(reg, req, clock.now)).response.status == 403


async def test_several_devices_and_expiry(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    await register_with_auth(reg, clock, register(expires=100))
    phone = register("101phone", ("<sip:101phone@127.0.0.1:5098>",), expires=300, call_id="reg-2")
    assert (await register_with_auth(reg, clock, phone, password="phonepw")).response.status == 200
    kinds = sorted(b.device_kind for b in reg.bindings_of(1, clock.now))
    assert kinds == [DeviceKind.APP, DeviceKind.IP_PHONE]
    clock.advance(150)
    assert [b.username for b in reg.bindings_of(1, clock.now)] == ["101phone"]
    gone = committed(reg, reg.expire(clock.now))
    assert [b.username for b in gone] == ["101"]
    assert len(directory.bindings) == 1


async def test_unregister_expires_zero_and_wildcard(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    await register_with_auth(
        reg, clock, register(contacts=("<sip:101@127.0.0.1:5099>", "<sip:101@10.0.0.1:5060>"))
    )
    assert len(reg.bindings_of(1, clock.now)) == 2
    r = await register_with_auth(
        reg, clock, register(contacts=("<sip:101@10.0.0.1:5060>",), expires=0, cseq=5)
    )
    assert r.response.status == 200 and len(reg.bindings_of(1, clock.now)) == 1
    r = await register_with_auth(reg, clock, register(contacts=("*",), expires=0, cseq=7))
    assert r.response.status == 200 and not reg.bindings_of(1, clock.now)
    assert not directory.bindings


async def test_interval_too_brief(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    r = await register_with_auth(reg, clock, register(expires=10))
    assert r.response.status == 423 and r.response.headers.get("Min-Expires") == "60"


async def test_contact_expires_param_and_max_clamp(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory, max_expires=1000)
    r = await register_with_auth(reg, clock, register(contacts=("<sip:101@127.0.0.1:5099>;expires=5000",)))
    assert r.response.headers.get_all("Contact") == ["<sip:101@127.0.0.1:5099>;expires=1000"]


async def test_bindings_survive_restart(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    await register_with_auth(reg, clock, register())
    restarted = make_registrar(directory)
    assert committed(restarted, restarted.load(directory.state().bindings, clock.now + 10)) == 1
    assert restarted.bindings_of(1, clock.now + 10)[0].contact == "sip:101@127.0.0.1:5099"
    again = make_registrar(directory)
    assert committed(again, again.load(directory.state().bindings, clock.now + 601)) == 0
    assert not directory.bindings


async def test_to_user_must_match_credentials(directory: InMemoryDirectory, clock: FakeClock) -> None:
    reg = make_registrar(directory)
    r = await register_with_auth(reg, clock, register(), user="101phone", password="phonepw")
    assert r.response.status == 403
