"""Vendor-neutral values a desk phone's configuration is made of.

The domain fills these from its rows (`server.domain.desk_phone_files`); each vendor module turns them into
its own keys and file format.  Nothing here knows a vendor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Transport = Literal["udp", "tcp", "tls"]
Srtp = Literal["off", "optional", "mandatory"]


@dataclass(frozen=True, slots=True)
class SipLine:
    """One SIP account of the phone: the desk phone's own `Device` (never the user's softphone)."""

    position: int  # 1-based, as every vendor numbers its accounts
    extension: str | None  # shown on the line key / idle screen
    display_name: str
    username: str  # SIP user name and digest user name
    password: str
    domain: str  # the company's SIP domain: registrar realm, From/To host


@dataclass(frozen=True, slots=True)
class PbxAddress:
    """Where the lines register and send calls: the PBX, used as outbound proxy."""

    host: str
    port: int
    transport: Transport = "udp"
    register_expires: int = 300
    srtp: Srtp = "optional"


@dataclass(frozen=True, slots=True)
class BlfKey:
    """A key that watches a colleague's extension (RFC 4235 dialog events served by the PBX)."""

    extension: str
    label: str
    domain: str

    @property
    def uri(self) -> str:
        return f"sip:{self.extension}@{self.domain}"


@dataclass(frozen=True, slots=True)
class Locale:
    timezone: str = "Asia/Ho_Chi_Minh"
    utc_offset_minutes: int = 420
    language: str = "vi"  # ISO 639-1; a vendor without it falls back to English
    ntp_server: str = "vn.pool.ntp.org"

    @property
    def utc_offset_hours(self) -> str:
        """ "+7", "-3.5": the form several vendors want."""
        hours = self.utc_offset_minutes / 60
        text = f"{hours:+.1f}".rstrip("0").rstrip(".")
        return text

    @property
    def gmt_offset(self) -> str:
        """ "GMT+07:00"."""
        sign = "+" if self.utc_offset_minutes >= 0 else "-"
        minutes = abs(self.utc_offset_minutes)
        return f"GMT{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class ProvisioningSource:
    """Where the phone fetches its files from now on (its token URL) and how often it checks."""

    url: str  # ends with "/": the phone appends its own file names
    check_seconds: int

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")

    @property
    def host_and_path(self) -> str:
        """The URL without its scheme and trailing slash (vendors that take the protocol separately)."""
        return self.url.split("://", 1)[-1].rstrip("/")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """What a phone gets from its first by-MAC request: only where its token URL is. No secrets."""

    mac: str  # 12 lower-case hex digits
    model: str
    source: ProvisioningSource


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    """Everything one phone's files say, before a vendor lays it out."""

    mac: str
    model: str
    label: str
    lines: tuple[SipLine, ...]
    blf_keys: tuple[BlfKey, ...]
    pbx: PbxAddress
    locale: Locale
    admin_password: str  # the phone's own web UI
    source: ProvisioningSource
    overrides: Mapping[str, str] = field(default_factory=dict)  # vendor keys, applied last
