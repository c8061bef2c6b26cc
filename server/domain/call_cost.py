"""What a finished outbound call costs: a rate table of destination prefixes (longest prefix wins), each
with a price per minute and a billing increment (a first block, then blocks of N seconds).

Prefixes are written as dialled nationally (`086`, `02`, `00` for international); a number is matched in
that form whatever way it was dialled (`+84 86...`, `8486...`, `086...`).  The default table is the
Vietnamese carriers' usual retail rates (VND per minute, billed 6 s + 1 s; international per minute), its
mobile prefixes taken from `server.sip.carriers.MOBILE_PREFIXES`.  Internal and inbound calls are free.
Sans-IO: the tables are values; storing and assigning them per hotline is not here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from server.sip.carriers import MOBILE_PREFIXES, normalize_number

Kind = Literal["mobile", "landline", "international", "internal"]


@dataclass(frozen=True, slots=True)
class Rate:
    per_minute: float  # VND
    first_block: int = 6  # seconds billed at least
    then_every: int = 1  # seconds after the first block

    def __post_init__(self) -> None:
        if self.per_minute < 0 or self.first_block < 1 or self.then_every < 1:
            raise ValueError("a rate needs a price >= 0 and billing blocks of at least 1 s")


@dataclass(frozen=True, slots=True)
class RateEntry:
    prefix: str  # digits as dialled nationally: "086", "02", "00"
    kind: Kind
    label: str  # "Viettel", "Landline", ...
    rate: Rate


@dataclass(frozen=True, slots=True)
class RateTable:
    name: str
    entries: tuple[RateEntry, ...]
    fallback: Rate  # a number no prefix matches (service numbers 1800/1900, short codes)

    def match(self, number: str) -> RateEntry | None:
        """The entry of the longest prefix of `number` (in its national dialled form), or None."""
        key = dial_key(number)
        if key is None:
            return None
        best: RateEntry | None = None
        for entry in self.entries:
            if key.startswith(entry.prefix) and (best is None or len(entry.prefix) > len(best.prefix)):
                best = entry
        return best

    def rate_for(self, number: str) -> Rate:
        entry = self.match(number)
        return entry.rate if entry is not None else self.fallback


def dial_key(number: str) -> str | None:
    """A number as dialled from Vietnam: '+84 961 234 567' / '84961234567' -> '0961234567', '+44 20...' ->
    '0044 20...' (digits only); None when it is no phone number."""
    normalized = normalize_number(number)
    if normalized is None:
        return None
    dialled = number.strip()
    if normalized.startswith("84") and len(normalized) in (11, 12):
        return "0" + normalized[2:]
    if dialled.startswith(("+", "00")):
        return "00" + normalized
    return normalized


MOBILE = Rate(1_180.0)
LANDLINE = Rate(880.0)
INTERNATIONAL = Rate(4_500.0, first_block=60, then_every=60)
FREE = Rate(0.0)
CARRIER_LABELS = {"mobifone": "MobiFone", "itel": "iTel"}  # the rest: the name capitalized


def default_table() -> RateTable:
    """The company default: every Vietnamese mobile network code by carrier, fixed lines 02x,
    international 00."""
    mobile = tuple(
        RateEntry("0" + code, "mobile", CARRIER_LABELS.get(carrier.value, carrier.value.capitalize()), MOBILE)
        for code, carrier in sorted(MOBILE_PREFIXES.items())
    )
    return RateTable(
        "default",
        (
            *mobile,
            RateEntry("02", "landline", "Landline", LANDLINE),
            RateEntry("00", "international", "International", INTERNATIONAL),
        ),
        LANDLINE,
    )


DEFAULT_TABLE = default_table()


def destination_class(number: str, table: RateTable = DEFAULT_TABLE) -> str:
    entry = table.match(number)
    return entry.kind if entry is not None else "landline"


def billed_seconds(seconds: float, rate: Rate) -> int:
    """The seconds billed: at least the first block, then whole blocks of `then_every` (6 s + 1 s: 3 s ->
    6, 6.5 s -> 7; 60 s + 60 s: 61 s -> 120)."""
    if seconds <= 0:
        return 0
    if seconds <= rate.first_block:
        return rate.first_block
    return rate.first_block + math.ceil((seconds - rate.first_block) / rate.then_every) * rate.then_every


def call_cost(direction: str, callee: str, talk_seconds: float, table: RateTable = DEFAULT_TABLE) -> float:
    """VND for one call (0 for anything but an answered outbound call)."""
    if direction != "outbound" or talk_seconds <= 0:
        return 0.0
    rate = table.rate_for(callee)
    return round(billed_seconds(talk_seconds, rate) * rate.per_minute / 60.0)


def table_from_rows(
    name: str, rows: Sequence[tuple[str, Kind, str, float, int, int]], fallback: Rate
) -> RateTable:
    """A table from (prefix, kind, label, per minute, first block, then every) rows: prefixes must be digits
    and unique (ValueError naming the row otherwise)."""
    seen: set[str] = set()
    entries = []
    for i, (prefix, kind, label, per_minute, first, every) in enumerate(rows, 1):
        if not prefix.isdigit():
            raise ValueError(f"row {i}: the prefix must be digits")
        if prefix in seen:
            raise ValueError(f"row {i}: prefix {prefix} appears twice")
        seen.add(prefix)
        entries.append(RateEntry(prefix, kind, label, Rate(per_minute, first, every)))
    return RateTable(name, tuple(entries), fallback)
