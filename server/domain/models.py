"""The one domain model: tenants, their people, SIP devices, numbers, and what the PBX writes back.

Times are naive UTC `datetime`s (SQLite and PostgreSQL then agree on what comes back).  Secrets that the PBX
or provisioning must hand out again (device SIP passwords, trunk passwords) are stored; login passwords are
argon2 hashes; one-time tokens and codes are stored as SHA-256 digests only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    SUPERVISOR = "supervisor"  # the web console: live views and reports, read-only elsewhere


class DeviceKind(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    WEB = "web"
    IP_PHONE = "ip_phone"


class RingMethod(StrEnum):
    ALL = "all"
    APP = "app"
    IP_PHONE = "ip_phone"
    MOBILE = "mobile"


class RecordingPolicy(StrEnum):
    """Which two-party calls of a company's users are recorded (the server's switch permitting)."""

    OFF = "off"
    ALL = "all"
    INBOUND = "inbound"  # calls from outside to a user (hotline and carrier calls)
    OUTBOUND = "outbound"  # calls a user places to outside numbers


class RecordingOverride(StrEnum):
    """A user's own rule, over the company's policy."""

    INHERIT = "inherit"
    ALWAYS = "always"
    NEVER = "never"


class ConsoleLanguage(StrEnum):
    VI = "vi"  # the default
    EN = "en"


class OtpPurpose(StrEnum):
    SIGNUP = "signup"
    RESET = "reset"


group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sip_domain: Mapped[str] = mapped_column(String(200), unique=True)
    invite_code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    recording_policy: Mapped[str] = mapped_column(
        String(16), default=RecordingPolicy.OFF, server_default="off"
    )
    console_language: Mapped[str | None] = mapped_column(String(8))  # None: Vietnamese
    # "this call may be recorded", played to an outside caller of a recorded hotline (migration 0013)
    recording_notice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recording_notice_prompt: Mapped[str | None] = mapped_column(String(64))  # None: the built-in sentence
    # 0: keep forever
    recording_retention_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)

    allow_outbound: Mapped[bool] = mapped_column(Boolean, default=True)
    monthly_minutes: Mapped[int | None] = mapped_column(Integer)  # None = unlimited
    seconds_used_this_month: Mapped[float] = mapped_column(Float, default=0.0)
    usage_period: Mapped[str] = mapped_column(String(7), default="")  # "YYYY-MM" the counter belongs to

    auto_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_answer_delay: Mapped[int] = mapped_column(Integer, default=3)
    ring_method: Mapped[str] = mapped_column(String(16), default=RingMethod.ALL)
    mobile_number: Mapped[str | None] = mapped_column(String(16))
    dnd: Mapped[bool] = mapped_column(Boolean, default=False)
    default_hotline_id: Mapped[int | None] = mapped_column(ForeignKey("hotlines.id", ondelete="SET NULL"))
    recording: Mapped[str] = mapped_column(
        String(16), default=RecordingOverride.INHERIT, server_default="inherit"
    )
    console_language: Mapped[str | None] = mapped_column(String(8))  # None: the company's default

    revision: Mapped[int] = mapped_column(Integer, default=1)  # bumped on any provisioning-relevant change
    created_at: Mapped[datetime] = mapped_column(DateTime)

    company: Mapped[Company] = relationship(lazy="raise")
    extensions: Mapped[list[Extension]] = relationship(
        lazy="raise", order_by="Extension.number", cascade="all, delete-orphan", passive_deletes=True
    )
    devices: Mapped[list[Device]] = relationship(
        lazy="raise", order_by="Device.id", cascade="all, delete-orphan", passive_deletes=True
    )


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_groups_company_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    members: Mapped[list[User]] = relationship(secondary=group_members, lazy="raise", order_by="User.id")


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("company_id", "sip_username", name="uq_devices_company_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    sip_username: Mapped[str] = mapped_column(String(64))
    # Kept because Linphone XML, the web/IP-phone forms and the activation e-mail hand it out again.
    sip_password: Mapped[str] = mapped_column(String(128))
    ha1_md5: Mapped[str] = mapped_column(String(32))
    ha1_sha256: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Extension(Base):
    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("company_id", "number", name="uq_extensions_company_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(4))


class ForwardingRule(Base):
    """One of a user's call forwarding rules: when (`condition`), where to, on or off."""

    __tablename__ = "forwarding_rules"
    __table_args__ = (UniqueConstraint("user_id", "condition", name="uq_forwarding_rules_user_condition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    condition: Mapped[str] = mapped_column(String(16))  # always | busy | no_answer | unreachable
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    target_kind: Mapped[str] = mapped_column(String(16))  # extension | voicemail | external
    target: Mapped[str] = mapped_column(String(16), default="")  # extension or 84... number
    seconds: Mapped[int] = mapped_column(Integer, default=20)  # no_answer: ring this long first


class Hotline(Base):
    __tablename__ = "hotlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    carrier: Mapped[str] = mapped_column(String(32), default="")
    label: Mapped[str] = mapped_column(String(100), default="")
    trunk_host: Mapped[str] = mapped_column(String(255))
    trunk_port: Mapped[int] = mapped_column(Integer, default=5060)
    trunk_transport: Mapped[str] = mapped_column(String(8), default="udp")
    trunk_username: Mapped[str | None] = mapped_column(String(100))
    trunk_password: Mapped[str | None] = mapped_column(String(128))
    trunk_register: Mapped[bool] = mapped_column(Boolean, default=False)
    inbound_extension: Mapped[str | None] = mapped_column(String(4))
    # the prices of its outbound calls; None: the company's default table (server.domain.rate_tables)
    rate_table_id: Mapped[int | None] = mapped_column(ForeignKey("rate_tables.id", ondelete="SET NULL"))


class RateTable(Base):
    """A company's call prices: destination prefixes with a price per minute and billing blocks."""

    __tablename__ = "rate_tables"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_rate_tables_company_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)  # for hotlines without a table
    # [{"prefix", "kind", "label", "per_minute", "first_block", "then_every"}], checked by the domain
    entries: Mapped[list[dict[str, object]]] = mapped_column(JSON)


class CallRecord(Base):
    __tablename__ = "call_records"
    __changes__ = False  # written by the PBX itself
    # The PBX's start-up query for running calls with a quota cut-off ("end" IS NULL is the few running ones).
    # The console's history and dashboard read one company's range, newest first (migration 0005).
    __table_args__ = (
        Index("ix_call_records_running_cutoff", "end", "cutoff"),
        Index("ix_call_records_company_start", "company_id", "start"),
        # covers the dashboard's aggregates, so a month is read from the index alone
        Index(
            "ix_call_records_company_dashboard",
            "company_id",
            "start",
            "direction",
            "disposition",
            "answer",
            "end",
            "caller_user_id",
            "callee_user_id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(255), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(200))
    caller: Mapped[str] = mapped_column(String(255))
    callee: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(16))
    hotline: Mapped[str | None] = mapped_column(String(20))
    start: Mapped[float] = mapped_column(Float)
    answer: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    disposition: Mapped[str] = mapped_column(String(32))
    hangup_cause: Mapped[str | None] = mapped_column(String(255))
    caller_user_id: Mapped[int | None] = mapped_column(Integer)
    callee_user_id: Mapped[int | None] = mapped_column(Integer)
    cutoff: Mapped[float | None] = mapped_column(Float)  # POSIX time the PBX ends the call for the quota
    # The SIP dialog as the PBX keeps it (server.sip.directory.CallDialog as JSON), stored on answer.
    dialog: Mapped[dict[str, object] | None] = mapped_column(JSON)
    # a call-center call's way (hotline -> schedule -> IVR -> queue -> agent), written by the PBX
    path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # the call's WAV file name in the recordings directory (written when the recording ends)
    recording: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # POSIX time the retention job deleted the WAV (`recording` is then None; the record stays)
    recording_deleted: Mapped[float | None] = mapped_column(Float, nullable=True)
    # VND, set when an outbound call's record is saved with its end (server.domain.call_cost)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)


class QueuedMessage(Base):
    __tablename__ = "queued_messages"
    __table_args__ = (Index("ix_queued_messages_recipient", "domain", "user_id", "delivered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    domain: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    from_uri: Mapped[str] = mapped_column(String(512))
    to_uri: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(128))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    date: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class SipBinding(Base):
    __tablename__ = "sip_bindings"
    __table_args__ = (UniqueConstraint("aor", "contact", name="uq_sip_bindings_aor_contact"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aor: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str] = mapped_column(String(1024))
    expires_at: Mapped[float] = mapped_column(Float)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(64))
    device_kind: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str] = mapped_column(String(255))
    cseq: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(255), default="")
    instance_id: Mapped[str | None] = mapped_column(String(255))
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class PresenceState(Base):
    """What a user's client last PUBLISHed to the PBX (away, busy, a note), until it expires."""

    __tablename__ = "presence_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(255), default="")
    expires_at: Mapped[float] = mapped_column(Float)


class ProvisioningToken(Base):
    __tablename__ = "provisioning_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class OtpCode(Base):
    __tablename__ = "otp_codes"
    __table_args__ = (Index("ix_otp_codes_phone_purpose", "phone", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class DeskPhone(Base):
    """A desk phone provisioned by its MAC: line 1 is its own `Device` (kind ip_phone, its own SIP password),
    more lines in `DeskPhoneLine`; the token of its file URL is stored as a SHA-256 digest only."""

    __tablename__ = "desk_phones"
    __table_args__ = (UniqueConstraint("company_id", "mac", name="uq_desk_phones_company_mac"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Line 1.  The phone (and so its token) dies with this device.
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), unique=True)
    mac: Mapped[str] = mapped_column(String(12), index=True)  # 12 lower-case hex digits
    vendor: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100), default="")
    transport: Mapped[str] = mapped_column(String(8), default="udp")
    blf_keys: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{"extension", "label"}]
    overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # vendor keys -> values
    admin_password: Mapped[str] = mapped_column(String(64))  # the phone's own web UI; served with its files
    pairing_until: Mapped[datetime | None] = mapped_column(DateTime)  # open pairing window, if any
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_created_at: Mapped[datetime | None] = mapped_column(DateTime)
    paired_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_fetch_address: Mapped[str | None] = mapped_column(String(64))
    last_user_agent: Mapped[str | None] = mapped_column(String(255))
    last_firmware: Mapped[str | None] = mapped_column(String(64))
    last_file: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    extra_lines: Mapped[list[DeskPhoneLine]] = relationship(
        lazy="raise", order_by="DeskPhoneLine.position", cascade="all, delete-orphan", passive_deletes=True
    )


class DeskPhoneLine(Base):
    """Line 2 and up of a desk phone: each its own `Device`, of the phone's user or a colleague."""

    __tablename__ = "desk_phone_lines"
    __table_args__ = (UniqueConstraint("desk_phone_id", "position", name="uq_desk_phone_lines_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    desk_phone_id: Mapped[int] = mapped_column(ForeignKey("desk_phones.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 2, 3, ...
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), unique=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __changes__ = False  # written with every admin change; not a change of its own

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)


__all__ = [
    "AuditEntry",
    "Base",
    "CallRecord",
    "Company",
    "DeskPhone",
    "DeskPhoneLine",
    "Device",
    "DeviceKind",
    "Extension",
    "Group",
    "Hotline",
    "OtpCode",
    "OtpPurpose",
    "PresenceState",
    "ProvisioningToken",
    "QueuedMessage",
    "RefreshToken",
    "RingMethod",
    "Role",
    "SipBinding",
    "User",
    "group_members",
]

# The call center's tables live in their own module; importing it here puts them in Base.metadata.
from server.domain import callcenter_models as _callcenter_models  # noqa: E402,F401
