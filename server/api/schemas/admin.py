"""Schemas of /admin: a Create/Update/Public family per entity."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.api.schemas.common import DbId, Secret, Text40, Text100, Text200, Text255
from server.api.schemas.me import RingMethodName

DeviceKindName = Literal["desktop", "mobile", "web", "ip_phone"]
TransportName = Literal["udp", "tcp", "tls"]
RecordingOverrideName = Literal["inherit", "always", "never"]
RecordingPolicyName = Literal["off", "all", "inbound", "outbound"]
LanguageName = Literal["vi", "en"]


# --- users ---------------------------------------------------------------------------------------
class ExtensionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    kind: DeviceKindName
    label: str
    sip_username: str
    enabled: bool
    activated_at: datetime | None


class UserCreate(BaseModel):
    full_name: Text200
    phone: Text40
    password: Secret
    email: Text255 | None = None
    role: Literal["admin", "supervisor", "agent"] = "agent"
    extensions: list[Text40] = Field(default_factory=list, max_length=10)
    desktop_device: bool = True


class BulkDevice(BaseModel):
    kind: DeviceKindName = "desktop"
    sip_username: Text40 | None = Field(default=None, description="default: u<extension>-<kind>")
    sip_password: Secret | None = Field(default=None, description="default: random")
    label: Text100 = ""


class BulkUserRow(BaseModel):
    full_name: Text200
    phone: Text40
    email: Text255 | None = None
    password: Secret | None = Field(
        default=None, description="none: the agent sets one on first use (SMS code), no hashing cost now"
    )
    role: Literal["admin", "supervisor", "agent"] = "agent"
    extensions: list[Text40] = Field(default_factory=list, max_length=10)
    devices: list[BulkDevice] = Field(default_factory=lambda: [BulkDevice()], max_length=10)
    allow_outbound: bool = True
    monthly_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    ring_method: RingMethodName = "all"
    mobile_number: Text40 | None = None


class BulkUserCreate(BaseModel):
    rows: list[BulkUserRow] = Field(min_length=1, max_length=5000)
    dry_run: bool = Field(default=False, description="validate only (an import preview): nothing is written")


class BulkDeviceCreated(BaseModel):
    id: int
    kind: DeviceKindName
    sip_username: str


class BulkUserCreated(BaseModel):
    id: int
    full_name: str
    phone: str
    extensions: list[str]
    devices: list[BulkDeviceCreated]


class BulkUserResult(BaseModel):
    created: int
    users: list[BulkUserCreated]


class UserUpdate(BaseModel):
    full_name: Text200 | None = None
    phone: Text40 | None = None
    email: Text255 | None = None
    role: Literal["admin", "supervisor", "agent"] | None = None
    active: bool | None = None
    locked: Literal[False] | None = Field(default=None, description="false unlocks a locked account")
    password: Secret | None = None
    allow_outbound: bool | None = None
    monthly_minutes: int | None = Field(default=None, ge=0, le=1_000_000, description="null = unlimited")
    reset_usage: bool | None = None
    ring_method: RingMethodName | None = None
    mobile_number: Text40 | None = None
    auto_answer: bool | None = None
    auto_answer_delay: int | None = Field(default=None, ge=0, le=60)
    dnd: bool | None = None
    default_hotline: Text40 | None = None
    recording: RecordingOverrideName | None = Field(
        default=None, description="call recording: inherit (the company's policy), always, never"
    )


class UserPublic(BaseModel):
    id: int
    full_name: str
    phone: str
    email: str | None
    role: Literal["admin", "supervisor", "agent"]
    active: bool
    locked: bool
    extensions: list[str]
    devices: list[DevicePublic]
    allow_outbound: bool
    monthly_minutes: int | None
    minutes_used: float
    ring_method: RingMethodName
    mobile_number: str | None
    auto_answer: bool
    auto_answer_delay: int
    dnd: bool
    default_hotline_id: int | None
    recording: RecordingOverrideName = "inherit"
    revision: int


class ExtensionCreate(BaseModel):
    number: Text40


# --- devices -------------------------------------------------------------------------------------
class DeviceCreate(BaseModel):
    kind: DeviceKindName
    label: Text100 = ""
    sip_username: Text100 | None = None
    sip_password: Secret | None = None


class DeviceUpdate(BaseModel):
    label: Text100 | None = None
    enabled: bool | None = None
    sip_password: Secret | None = None
    regenerate_password: bool | None = None


class DeviceCredentials(BaseModel):
    form: Literal["web", "ip_phone"]
    device_id: int
    values: dict[str, Any]


# --- groups --------------------------------------------------------------------------------------
class GroupCreate(BaseModel):
    name: Text100
    member_ids: list[DbId] = Field(default_factory=list, max_length=1000)


class GroupUpdate(BaseModel):
    name: Text100 | None = None
    member_ids: list[DbId] | None = Field(default=None, max_length=1000)


class GroupPublic(BaseModel):
    id: int
    name: str
    member_ids: list[int]


# --- hotlines ------------------------------------------------------------------------------------
class HotlineCreate(BaseModel):
    number: Text40
    carrier: Text40 = ""
    label: Text100 = ""
    trunk_host: Text255
    trunk_port: int = Field(default=5060, ge=1, le=65535)
    trunk_transport: TransportName = "udp"
    trunk_username: Text100 | None = None
    trunk_password: Secret | None = None
    trunk_register: bool = False
    inbound_extension: Text40 | None = None
    rate_table_id: DbId | None = None  # None: the company's default rate table


class HotlineUpdate(BaseModel):
    carrier: Text40 | None = None
    label: Text100 | None = None
    trunk_host: Text255 | None = None
    trunk_port: int | None = Field(default=None, ge=1, le=65535)
    trunk_transport: TransportName | None = None
    trunk_username: Text100 | None = None
    trunk_password: Secret | None = None
    trunk_register: bool | None = None
    inbound_extension: Text40 | None = None
    rate_table_id: DbId | None = None  # null: back to the company's default rate table


class HotlinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    carrier: str
    label: str
    trunk_host: str
    trunk_port: int
    trunk_transport: TransportName
    trunk_username: str | None
    trunk_register: bool
    inbound_extension: str | None
    rate_table_id: int | None


# --- rate tables ---------------------------------------------------------------------------------
RateKindName = Literal["mobile", "landline", "international", "internal"]


class RateEntryBody(BaseModel):
    prefix: Text40
    kind: RateKindName
    label: Text100 = ""
    per_minute: float
    first_block: int
    then_every: int


class RateTableCreate(BaseModel):
    name: Text100
    is_default: bool = False
    entries: list[RateEntryBody] | None = Field(default=None, max_length=500)  # None: the Vietnamese default


class RateTableUpdate(BaseModel):
    name: Text100 | None = None
    is_default: bool | None = None
    entries: list[RateEntryBody] | None = Field(default=None, max_length=500)
    reset: bool = False  # True: the entries become the built-in Vietnamese table


class RateTablePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    is_default: bool
    entries: list[RateEntryBody]


# --- audit ---------------------------------------------------------------------------------------
class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    actor_user_id: int | None
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, Any]
    created_at: datetime


class CallPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    call_id: str
    caller: str
    callee: str
    direction: str
    hotline: str | None
    start: float
    answer: float | None
    end: float | None
    disposition: str
    hangup_cause: str | None
    caller_user_id: int | None
    callee_user_id: int | None
    path: str | None = None  # call-center calls: "schedule 1 open > ivr 1 > queue 1 > agent 101"
    recording: str | None = None  # the WAV's file name (server recordings)
    recording_url: str | None = None  # GET it (the WAV) with the same token
    recording_deleted: float | None = None  # POSIX time the retention deleted the WAV (recording is null)


class CompanySettings(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    sip_domain: str
    recording_policy: RecordingPolicyName
    console_language: LanguageName | None = Field(description="the console's default; null = Vietnamese")
    recording_notice: bool = Field(description='"this call may be recorded" to outside callers of hotlines')
    recording_notice_prompt: str | None = Field(description="the company's prompt; null = built-in sentence")
    recording_retention_days: int = Field(description="recordings deleted after this many days; 0 = never")


class CompanySettingsUpdate(BaseModel):
    name: Text200 | None = None
    recording_policy: RecordingPolicyName | None = None
    console_language: LanguageName | None = None
    recording_notice: bool | None = None
    recording_notice_prompt: str | None = Field(default=None, max_length=60)
    recording_retention_days: int | None = Field(default=None, ge=0, le=3650)


class CompanyInvite(BaseModel):
    invite_code: str
