from dataclasses import replace

import pytest

from server.sip import routing as r
from server.sip.directory import (
    Binding,
    DeviceKind,
    ForwardCondition,
    ForwardRule,
    ForwardTargetKind,
    Hotline,
    RingMethod,
    Trunk,
    UserRouting,
)

pytestmark = pytest.mark.unit

TRUNK = Trunk("127.0.0.1", 5090)
VIETTEL_LINE = Hotline("0287300001", "viettel", TRUNK, inbound_extension="101")
MOBI_LINE = Hotline("0287300002", "mobifone", TRUNK)
FIXED_LINE = Hotline("02873009999", "", TRUNK)
HOTLINES = (FIXED_LINE, VIETTEL_LINE, MOBI_LINE)


def user(uid: int = 1, ext: str = "101", **kw: object) -> UserRouting:
    return UserRouting(uid, 1, "demo.local", (ext,), f"Agent {ext}", **kw)  # type: ignore[arg-type]


def binding(contact: str, kind: DeviceKind) -> Binding:
    return Binding("sip:102@demo.local", contact, 1e9, 2, "102", kind, "cid", 1)


APP = binding("sip:102@127.0.0.1:5001", DeviceKind.APP)
PHONE = binding("sip:102@127.0.0.1:5002", DeviceKind.IP_PHONE)


def facts(
    dialed: str,
    *,
    caller: UserRouting | None = None,
    callee: UserRouting | None = None,
    bindings: tuple[Binding, ...] = (APP, PHONE),
    x_hotline: str | None = None,
    media: bool = True,
    inbound: bool = False,
    media_engine: bool = True,
) -> r.RouteFacts:
    return r.RouteFacts(
        caller if caller is not None or inbound else user(),
        dialed,
        x_hotline,
        callee,
        bindings,
        HOTLINES,
        media,
        inbound,
        media_engine=media_engine,
    )


def test_extension_forks_to_all_devices() -> None:
    d = r.decide(facts("102", callee=user(2, "102")))
    assert d == r.Extension(2, "102", (APP, PHONE))


@pytest.mark.parametrize(("method", "expected"), [(RingMethod.APP, (APP,)), (RingMethod.IP_PHONE, (PHONE,))])
def test_ring_method_filters_device_kind(method: RingMethod, expected: tuple[Binding, ...]) -> None:
    d = r.decide(facts("102", callee=user(2, "102", ring_method=method)))
    assert isinstance(d, r.Extension) and d.contacts == expected


def test_ring_method_mobile_goes_out_through_default_hotline() -> None:
    callee = user(
        2, "102", ring_method=RingMethod.MOBILE, mobile_number="0901234567", default_hotline="0287300002"
    )
    d = r.decide(facts("102", callee=callee))
    assert d == r.Trunk(MOBI_LINE, "84901234567", "0287300002", None, None)


def test_dnd_wins() -> None:
    assert r.decide(facts("102", callee=user(2, "102", dnd=True))) == r.Dnd(2)


def test_no_device_unavailable() -> None:
    d = r.decide(facts("102", callee=user(2, "102"), bindings=()))
    assert isinstance(d, r.Unavailable)
    d = r.decide(facts("102", callee=user(2, "102", ring_method=RingMethod.IP_PHONE), bindings=(APP,)))
    assert isinstance(d, r.Unavailable)


def test_feature_number_to_media_404_or_503() -> None:
    assert r.decide(facts("*43")) == r.Media("*43")
    assert r.decide(facts("*99", media=False)) == r.NotFound("No such feature")
    assert r.decide(facts("*43", media=False, media_engine=False)) == r.MediaDown("Media engine unavailable")


def test_outbound_default_hotline_and_normalised_number() -> None:
    d = r.decide(facts("0961 234 567", caller=user(default_hotline="02873009999")))
    assert d == r.Trunk(FIXED_LINE, "84961234567", "02873009999", None, 1)


def test_outbound_explicit_hotline() -> None:
    d = r.decide(facts("0961234567", x_hotline="0287300002"))
    assert isinstance(d, r.Trunk) and d.hotline == MOBI_LINE


def test_outbound_foreign_hotline_forbidden() -> None:
    d = r.decide(facts("0961234567", x_hotline="0999999999"))
    assert isinstance(d, r.Forbidden)


@pytest.mark.parametrize(("number", "line"), [("0961234567", VIETTEL_LINE), ("0901234567", MOBI_LINE)])
def test_adaptive_picks_callee_carrier(number: str, line: Hotline) -> None:
    d = r.decide(facts(number, x_hotline="adaptive"))
    assert isinstance(d, r.Trunk) and d.hotline == line and d.caller_id == line.number


def test_adaptive_without_matching_carrier_uses_default() -> None:
    d = r.decide(facts("0991234567", caller=user(default_hotline="0287300002"), x_hotline="adaptive"))
    assert isinstance(d, r.Trunk) and d.hotline == MOBI_LINE


def test_no_outbound_permission() -> None:
    d = r.decide(facts("0961234567", caller=user(allow_outbound=False)))
    assert d == r.Forbidden("Outbound calls not permitted")


def test_quota_checked_at_start_and_carried() -> None:
    assert isinstance(
        r.decide(facts("0961234567", caller=user(monthly_minutes=5, minutes_used=5))), r.Forbidden
    )
    d = r.decide(facts("0961234567", caller=user(monthly_minutes=5, minutes_used=4)))
    assert isinstance(d, r.Trunk) and d.max_seconds == pytest.approx(60.0)


def test_strangers_never_relayed_out() -> None:
    assert isinstance(r.decide(facts("0961234567", caller=None, inbound=True)), r.NotFound)


def test_garbage_not_found() -> None:
    assert isinstance(r.decide(facts("alice")), r.NotFound)


def test_inbound_hook() -> None:
    assert r.route_inbound_hotline(VIETTEL_LINE) == r.InboundTarget("101")
    assert isinstance(r.route_inbound_hotline(MOBI_LINE), r.NotFound)


FWD_EXT = ForwardRule(ForwardCondition.ALWAYS, ForwardTargetKind.EXTENSION, "103")


def test_forward_always_wins_over_dnd_and_ringing() -> None:
    d = r.decide(facts("102", callee=user(2, "102", dnd=True, forwarding=(FWD_EXT,))))
    assert d == r.Forward(2, FWD_EXT)


def test_forward_busy_for_dnd_or_on_a_call_only() -> None:
    busy = ForwardRule(ForwardCondition.BUSY, ForwardTargetKind.VOICEMAIL)
    callee = user(2, "102", forwarding=(busy,))
    assert isinstance(r.decide(facts("102", callee=callee)), r.Extension)
    on_call = replace(facts("102", callee=callee), callee_on_call=True)
    assert r.decide(on_call) == r.Forward(2, busy)
    assert r.decide(facts("102", callee=replace(callee, dnd=True))) == r.Forward(2, busy)
    assert r.decide(replace(on_call, forwarded=True)) == r.Extension(2, "102", (APP, PHONE))


def test_forward_no_answer_sets_the_ring_time_and_unreachable_applies_without_devices() -> None:
    no_answer = ForwardRule(ForwardCondition.NO_ANSWER, ForwardTargetKind.EXTENSION, "103", seconds=7)
    unreachable = ForwardRule(ForwardCondition.UNREACHABLE, ForwardTargetKind.EXTENSION, "103")
    callee = user(2, "102", forwarding=(no_answer, unreachable))
    assert r.decide(facts("102", callee=callee)) == r.Extension(2, "102", (APP, PHONE), 7)
    assert r.decide(facts("102", callee=callee, bindings=())) == r.Forward(2, unreachable)


def test_forward_targets_voicemail_and_external_with_the_users_permission() -> None:
    vm = ForwardRule(ForwardCondition.ALWAYS, ForwardTargetKind.VOICEMAIL)
    assert r.forward_target(user(2, "102"), vm, HOTLINES) == r.Voicemail(2, 1, "102", ForwardCondition.ALWAYS)
    out = ForwardRule(ForwardCondition.ALWAYS, ForwardTargetKind.EXTERNAL, "0901234567")
    d = r.forward_target(user(2, "102", default_hotline="0287300002"), out, HOTLINES)
    assert d == r.Trunk(MOBI_LINE, "84901234567", "0287300002", None, 2)
    assert isinstance(r.forward_target(user(2, "102", allow_outbound=False), out, HOTLINES), r.Forbidden)
    spent = user(2, "102", monthly_minutes=5, minutes_used=5.0)
    assert r.forward_target(spent, out, HOTLINES) == r.Forbidden("Monthly outbound minutes used up")
