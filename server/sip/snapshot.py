"""The routing facts the PBX reads on every request, held in memory: the `Directory` the core uses.

The domain loads it whole at start-up and then keeps it current from its "changed" events
(`server.domain.pbx_snapshot`): a change of users, devices or extensions replaces those users; a change of
the company or its hotlines replaces the company.  Readers never wait and never see half an update:
every mutation runs between two SIP messages on the one event loop.

Outbound minutes are the one fact the PBX itself changes: calls add to the in-memory counter here (and
to the database through the journal), and the database's value is taken again only when a user is new
to the snapshot or an admin changed the counter (a reset), so a reload for another reason cannot lose
minutes the journal has not committed yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mypy_extensions import mypyc_attr

from server.sip.carriers import normalize_number
from server.sip.directory import Hotline, SipCredential, UserRouting


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    company_id: int
    domain: str
    hotlines: tuple[Hotline, ...] = ()  # in the company's order (the first is the default caller ID)
    recording: str = "off"  # the company's call recording policy: off | all | inbound | outbound


@dataclass(frozen=True, slots=True)
class UserFacts:
    """One user as the domain loaded them (`routing.minutes_used` unused: the usage counter has it)."""

    routing: UserRouting
    credentials: tuple[SipCredential, ...] = ()
    usage_period: str = ""  # the month `seconds_used` belongs to
    seconds_used: float = 0.0
    recording: str = "inherit"  # the user's recording override: inherit | always | never


@dataclass(slots=True)
class _Usage:
    period: str
    seconds: float


def _number_key(number: str) -> str:
    return normalize_number(number) or number.lstrip("+")


@mypyc_attr(allow_interpreted_subclasses=True)  # tests fill it by hand (memory_directory.InMemoryDirectory)
@dataclass
class RoutingSnapshot:
    """Implements `server.sip.directory.Directory` from memory; the mutators are for its loader."""

    _companies: dict[int, CompanyFacts] = field(default_factory=dict)
    _domains: dict[str, int] = field(default_factory=dict)  # domain -> company id
    _users: dict[int, UserRouting] = field(default_factory=dict)
    _credentials: dict[tuple[str, str], SipCredential] = field(default_factory=dict)
    _user_credentials: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    _extensions: dict[tuple[str, str], int] = field(default_factory=dict)
    _company_users: dict[int, set[int]] = field(default_factory=dict)
    _hotline_numbers: dict[str, tuple[str, Hotline]] = field(default_factory=dict)
    _usage: dict[int, _Usage] = field(default_factory=dict)
    _recording: dict[int, str] = field(default_factory=dict)  # user -> override other than "inherit"

    # ------------------------------------------------------------------ Directory
    def sip_credential(self, domain: str, username: str) -> SipCredential | None:
        return self._credentials.get((domain, username))

    def user_routing(self, user_id: int) -> UserRouting | None:
        """The user's facts; `minutes_used` is not filled in (ask `seconds_used` for a month)."""
        return self._users.get(user_id)

    def user_by_extension(self, domain: str, extension: str) -> int | None:
        return self._extensions.get((domain, extension))

    def hotlines(self, domain: str) -> tuple[Hotline, ...]:
        company = self._domains.get(domain)
        return self._companies[company].hotlines if company is not None else ()

    def hotline_by_number(self, number: str) -> tuple[str, Hotline] | None:
        return self._hotline_numbers.get(_number_key(number))

    def all_hotlines(self) -> tuple[Hotline, ...]:
        return tuple(h for c in self._companies.values() for h in c.hotlines)

    def company(self, company_id: int) -> CompanyFacts | None:
        return self._companies.get(company_id)

    def user_recording(self, user_id: int) -> str:
        """The user's recording override ("inherit" for users without one, or unknown)."""
        return self._recording.get(user_id, "inherit")

    # ------------------------------------------------------------------ usage
    def seconds_used(self, user_id: int, period: str) -> float:
        u = self._usage.get(user_id)
        return u.seconds if u is not None and u.period == period else 0.0

    def add_usage(self, user_id: int, seconds: float, period: str) -> None:
        u = self._usage.get(user_id)
        if u is None or u.period != period:
            self._usage[user_id] = _Usage(period, seconds)
        else:
            u.seconds += seconds

    # ------------------------------------------------------------------ reading the whole
    def companies(self) -> list[CompanyFacts]:
        return list(self._companies.values())

    def company_of_domain(self, domain: str) -> CompanyFacts | None:
        company = self._domains.get(domain)
        return self._companies.get(company) if company is not None else None

    def users_of(self, company_id: int) -> list[UserRouting]:
        return [self._users[u] for u in sorted(self._company_users.get(company_id, ()))]

    def __len__(self) -> int:
        return len(self._users)

    # ------------------------------------------------------------------ mutators (the loader's)
    def replace_company(
        self, company: CompanyFacts, users: Iterable[UserFacts], *, take_usage: bool = False
    ) -> None:
        """The company and every user of it as loaded now (users missing from `users` are gone)."""
        self._drop_users(self._company_users.get(company.company_id, set()))
        self._put_company(company)
        self._company_users[company.company_id] = set()
        for u in users:
            self._put_user(u, take_usage=take_usage)

    def replace_users(
        self,
        company_id: int,
        user_ids: Iterable[int],
        users: Iterable[UserFacts],
        *,
        take_usage: bool = False,
    ) -> None:
        """Users `user_ids` of the company as loaded now: the ones missing from `users` are gone."""
        self._drop_users(set(user_ids))
        if company_id not in self._companies:
            return  # a company we do not know yet: its own load brings its users
        for u in users:
            self._put_user(u, take_usage=take_usage)

    def remove_company(self, company_id: int) -> None:
        self._drop_users(self._company_users.pop(company_id, set()))
        old = self._companies.pop(company_id, None)
        if old is not None:
            self._domains.pop(old.domain, None)
            self._drop_hotlines(old)

    def _put_company(self, company: CompanyFacts) -> None:
        old = self._companies.get(company.company_id)
        if old is not None:
            self._domains.pop(old.domain, None)
            self._drop_hotlines(old)
        self._companies[company.company_id] = company
        self._domains[company.domain] = company.company_id
        for h in company.hotlines:
            self._hotline_numbers[_number_key(h.number)] = (company.domain, h)

    def _drop_hotlines(self, company: CompanyFacts) -> None:
        for h in company.hotlines:
            key = _number_key(h.number)
            found = self._hotline_numbers.get(key)
            if found is not None and found[0] == company.domain:
                del self._hotline_numbers[key]

    def _put_user(self, facts: UserFacts, *, take_usage: bool) -> None:
        u = facts.routing
        self._users[u.user_id] = u
        self._company_users.setdefault(u.company_id, set()).add(u.user_id)
        for ext in u.extensions:
            self._extensions[(u.domain, ext)] = u.user_id
        keys = self._user_credentials[u.user_id] = []
        for c in facts.credentials:
            key = (c.domain, c.username)
            self._credentials[key] = c
            keys.append(key)
        if facts.recording != "inherit":
            self._recording[u.user_id] = facts.recording
        else:
            self._recording.pop(u.user_id, None)
        if take_usage or u.user_id not in self._usage:
            self._usage[u.user_id] = _Usage(facts.usage_period, facts.seconds_used)

    def _drop_users(self, user_ids: Iterable[int]) -> None:
        for user_id in list(user_ids):
            u = self._users.pop(user_id, None)
            self._recording.pop(user_id, None)
            for key in self._user_credentials.pop(user_id, ()):
                self._credentials.pop(key, None)
            if u is None:
                continue
            members = self._company_users.get(u.company_id)
            if members is not None:
                members.discard(user_id)
            for ext in u.extensions:
                if self._extensions.get((u.domain, ext)) == user_id:
                    del self._extensions[(u.domain, ext)]
