"""What a finished outbound call costs: a rate per destination class and a billing increment.

One default table (Vietnamese carriers' usual retail rates, VND per minute, billed 6 s + 1 s); per-hotline
tables are the call-cost issue's to add.  Internal and inbound calls are free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from server.sip.carriers import carrier_of, normalize_number


@dataclass(frozen=True, slots=True)
class Rate:
    per_minute: float  # VND
    first_block: int = 6  # seconds billed at least
    then_every: int = 1  # seconds after the first block


MOBILE = Rate(1_180.0)
LANDLINE = Rate(880.0)
INTERNATIONAL = Rate(4_500.0, first_block=60, then_every=60)
RATES = {"mobile": MOBILE, "landline": LANDLINE, "international": INTERNATIONAL}


def destination_class(number: str) -> str:
    if number.startswith("00") or (number.startswith("+") and not number.startswith("+84")):
        return "international"
    normalized = normalize_number(number)
    if normalized is not None and carrier_of(normalized) is not None:
        return "mobile"
    return "landline"


def billed_seconds(seconds: float, rate: Rate) -> int:
    if seconds <= 0:
        return 0
    if seconds <= rate.first_block:
        return rate.first_block
    return rate.first_block + math.ceil((seconds - rate.first_block) / rate.then_every) * rate.then_every


def call_cost(direction: str, callee: str, talk_seconds: float) -> float:
    """VND for one call (0 for anything but an answered outbound call)."""
    if direction != "outbound" or talk_seconds <= 0:
        return 0.0
    rate = RATES[destination_class(callee)]
    return round(billed_seconds(talk_seconds, rate) * rate.per_minute / 60.0)
