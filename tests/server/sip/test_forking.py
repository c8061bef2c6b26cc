"""The forking machine on its own (fake clock, no network): what goes upstream, which branches are
cancelled when, the best final answer, the ring timeout, a 2xx racing a CANCEL, the owner's retry."""

from __future__ import annotations

import pytest
from pbx_fakes import FakeClock, request

from server.sip.address import Address
from server.sip.element import Element
from server.sip.forking import Branch, CallState, Forking, ProxyCall
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.transaction import Deliver, Send, TimerSettings
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit

PBX = Address("udp", "127.0.0.1", 5060)
CALLER = Address("udp", "127.0.0.1", 5101)
B1, B2 = Address("udp", "127.0.0.1", 5201), Address("udp", "127.0.0.1", 5202)


class Owner:
    def __init__(self, forking: Forking) -> None:
        self.forking = forking
        self.events: list[str] = []
        self.retries: list[tuple[SipRequest, Address]] = []

    def ringing(self, call: ProxyCall, now: float) -> None:
        self.events.append("ringing")

    def answered(self, call: ProxyCall, branch: Branch, response: SipResponse, now: float) -> None:
        self.events.append(f"answered {branch.dest.port}")

    def failed(self, call: ProxyCall, best: SipResponse, now: float) -> None:
        self.events.append(f"failed {best.status}")
        self.forking.send_final(call, best, now)

    def retry(
        self, call: ProxyCall, branch: Branch, response: SipResponse
    ) -> tuple[SipRequest, Address] | None:
        return self.retries.pop(0) if self.retries else None


class Rig:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.element = Element({"udp": PBX}, TimerSettings())
        self.forking = Forking(self.element, ring_timeout=30)
        self.owner = Owner(self.forking)
        self.invite = request(
            "INVITE", "sip:102@demo.local", from_="sip:101@demo.local", to="sip:102@demo.local"
        )
        (_deliver,) = [
            a
            for a in self.element.transactions.receive(self.invite, CALLER, self.clock.now)
            if isinstance(a, Deliver)
        ]
        self.call = self.forking.open(self.invite, CALLER, self.owner)
        self.forking.fork(
            self.call,
            [(parse_uri("sip:102@127.0.0.1:5201"), B1), (parse_uri("sip:102@127.0.0.1:5202"), B2)],
            self.clock.now,
            record_route=True,
        )
        self.sent = self.take()

    def take(self) -> list[Send]:
        return self.element.take_outgoing()

    def branch_request(self, dest: Address, method: str = "INVITE") -> SipRequest:
        return next(
            s.message
            for s in self.sent
            if s.dest == dest and isinstance(s.message, SipRequest) and s.message.method == method
        )

    def answer(self, dest: Address, status: int, tag: str = "t") -> None:
        req = self.branch_request(dest)
        resp = make_response(req, status, to_tag=tag)
        if 200 <= status < 300:
            resp.headers.add("Contact", f"<sip:102@127.0.0.1:{dest.port}>")
        for a in self.element.transactions.receive(resp, dest, self.clock.now):
            if isinstance(a, Deliver) and a.transaction is not None:
                self.forking.on_response(a.transaction, resp, self.clock.now)
        self.sent += self.take()

    def upstream(self) -> list[int]:
        return [
            s.message.status for s in self.sent if s.dest == CALLER and isinstance(s.message, SipResponse)
        ]

    def cancels(self) -> dict[int, str | None]:
        return {
            s.dest.port: s.message.headers.get("Reason")
            for s in self.sent
            if isinstance(s.message, SipRequest) and s.message.method == "CANCEL"
        }


def test_first_2xx_goes_up_and_cancels_the_other_ringing_branch() -> None:
    r = Rig()
    r.answer(B1, 180, "a")
    r.answer(B2, 180, "b")
    r.answer(B1, 200, "a")
    assert r.upstream() == [180, 180, 200]
    assert r.owner.events == ["ringing", "ringing", "answered 5201"]
    assert r.cancels() == {5202: 'SIP;cause=200;text="Call completed elsewhere"'}
    assert r.call.state is CallState.ACCEPTED


def test_a_branch_is_cancelled_only_after_its_first_provisional() -> None:
    r = Rig()
    r.answer(B1, 180, "a")
    r.forking.cancel(r.call, r.clock.now)
    r.sent += r.take()
    assert set(r.cancels()) == {5201}  # B2 sent nothing yet: its CANCEL waits
    r.answer(B2, 183, "b")
    assert set(r.cancels()) == {5201, 5202}
    assert r.upstream() == [180]  # the 183 after the CANCEL is not relayed
    r.answer(B1, 487, "a")
    r.answer(B2, 487, "b")
    assert r.upstream() == [180, 487] and r.owner.events[-1] == "failed 487"


def test_a_2xx_racing_the_cancel_wins() -> None:
    r = Rig()
    r.answer(B1, 180, "a")
    r.forking.cancel(r.call, r.clock.now)
    r.answer(B1, 200, "a")
    assert r.upstream()[-1] == 200 and r.owner.events[-1] == "answered 5201"


@pytest.mark.parametrize(
    ("first", "second", "best"),
    [(486, 404, 486), (404, 487, 404), (487, 480, 487), (480, 408, 480), (603, 486, 603), (500, 408, 408)],
)
def test_the_best_final_answer_goes_up(first: int, second: int, best: int) -> None:
    r = Rig()
    r.answer(B1, first, "a")
    assert r.upstream() == []  # the other branch may still answer
    r.answer(B2, second, "b")
    assert r.upstream() == [best]


def test_ring_timeout_cancels_everything_and_answers_480() -> None:
    r = Rig()
    r.answer(B1, 180, "a")
    r.answer(B2, 180, "b")
    assert r.forking.next_timer() == pytest.approx(r.clock.now + 30)
    r.forking.on_timer(r.clock.advance(30))
    r.sent += r.take()
    assert set(r.cancels().values()) == {'SIP;cause=480;text="No answer"'}
    r.answer(B1, 487, "a")
    r.answer(B2, 487, "b")
    assert r.upstream()[-1] == 480


def test_the_owner_may_send_a_failed_branch_somewhere_else() -> None:
    r = Rig()
    elsewhere = Address("udp", "127.0.0.1", 5203)
    again = r.element.with_via(r.branch_request(B1).copy(), elsewhere)
    r.owner.retries.append((again, elsewhere))
    r.answer(B1, 503, "a")
    r.sent += r.take()
    assert any(s.dest == elsewhere for s in r.sent)
    r.answer(B2, 486, "b")
    assert r.upstream() == []  # the retried branch is still out
