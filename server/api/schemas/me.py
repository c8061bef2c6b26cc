"""Schemas of /me, /directory and the provisioning document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.api.schemas.common import DbId, Text40

RingMethodName = Literal["all", "app", "ip_phone", "mobile"]


class CompanyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    sip_domain: str


class MePublic(BaseModel):
    id: int
    full_name: str
    phone: str
    email: str | None
    role: Literal["admin", "supervisor", "agent"]
    company: CompanyPublic


class ActivationEmailPublic(BaseModel):
    to: str
    sent: bool  # False: the mail server refused or was unreachable (logged on the server)


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    device_id: int
    company_name: str
    sip_domain: str
    extension: str | None
    display_name: str
    device_kind: str
    sip_username: str


class Transport(BaseModel):
    type: Literal["udp", "tcp", "tls"]
    port: int


class ProvisionedAccount(BaseModel):
    display_name: str
    extension: str | None
    sip_domain: str
    sip_username: str
    sip_password: str
    auth_realm: str
    registrar: str
    proxy: str
    transports: list[Transport]
    srtp: Literal["off", "optional", "mandatory"]
    register_expires: int


class HotlineOffer(BaseModel):
    number: str
    carrier: str
    label: str
    default: bool


class Permissions(BaseModel):
    outbound: bool
    monthly_minutes: int | None
    minutes_used: float


class AutoAnswer(BaseModel):
    enabled: bool
    delay: int


class ProvisioningDocument(BaseModel):
    revision: int
    account: ProvisionedAccount
    codecs: list[str]
    hotlines: list[HotlineOffer]
    adaptive_number: bool
    permissions: Permissions
    ring_method: RingMethodName
    mobile_number: str | None
    auto_answer: AutoAnswer
    dnd: bool
    echo_test: str
    directory_url: str


class SettingsUpdate(BaseModel):
    dnd: bool | None = None
    auto_answer: bool | None = None
    auto_answer_delay: int | None = Field(default=None, ge=0, le=60)
    ring_method: RingMethodName | None = None
    mobile_number: Text40 | None = None


class SettingsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    dnd: bool
    auto_answer: bool
    auto_answer_delay: int
    ring_method: RingMethodName
    mobile_number: str | None
    revision: int


class ColleaguePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user_id: int
    full_name: str
    extensions: list[str]
    sip_uri: str | None
    presence_uri: str | None


class MobileProvisioningRequest(BaseModel):
    device_id: DbId | None = None


class MobileProvisioningPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    token: str
    url: str
    expires_at: datetime
    qr_png_url: str
    qr_svg_url: str


class VoicemailPublic(BaseModel):
    id: str = Field(description="`<box id>-<name>`, for the audio, heard and delete calls")
    box_id: int
    box_name: str
    caller: str = Field(description="the number that left the message")
    at: float = Field(description="UNIX time the message began")
    duration: float = Field(description="seconds")
    heard: bool
