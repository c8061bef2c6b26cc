"""Hotlines with a call-center route go to the call-center UAS (`*cc`); nobody can dial `*cc` directly."""

import pytest

from server.sip import routing as r
from server.sip.directory import Hotline, Trunk

pytestmark = pytest.mark.unit

LINE = Hotline("02873001234", "viettel", Trunk("127.0.0.1", 5090), inbound_extension="101")


def test_a_routed_hotline_goes_to_the_call_center_else_to_its_extension() -> None:
    assert r.route_inbound_hotline(LINE, frozenset({"842873001234"})) == r.InboundTarget(r.CALL_CENTER)
    assert r.route_inbound_hotline(LINE, frozenset({"842873005678"})) == r.InboundTarget("101")
    assert r.route_inbound_hotline(LINE) == r.InboundTarget("101")


def test_only_an_inbound_hotline_call_reaches_the_call_center() -> None:
    def facts(inbound: bool) -> r.RouteFacts:
        return r.RouteFacts(None, r.CALL_CENTER, None, None, (), (LINE,), True, inbound)

    assert r.decide(facts(True)) == r.Media(r.CALL_CENTER)
    assert isinstance(r.decide(facts(False)), r.NotFound)


def test_a_pbx_leg_may_go_out_through_a_company_hotline_only() -> None:
    def facts(x_hotline: str, pbx_leg: bool = True) -> r.RouteFacts:
        return r.RouteFacts(None, "0903123456", x_hotline, None, (), (LINE,), True, False, pbx_leg)

    out = r.decide(facts("02873001234"))
    assert isinstance(out, r.Trunk) and out.number == "84903123456" and out.caller_id == LINE.number
    assert out.billed_user_id is None and out.max_seconds is None  # the company pays
    assert isinstance(r.decide(facts("0999999999")), r.Forbidden)
    assert isinstance(r.decide(facts("02873001234", pbx_leg=False)), r.NotFound)  # a stranger: never
