"""Schemas of /admin/desk-phones: Create/Update/Public, the pairing window, secrets, the vendor catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.api.schemas.common import DbId, Text40, Text100

VendorName = Literal["yealink", "grandstream", "poly", "snom", "cisco"]
TransportName = Literal["udp", "tcp", "tls"]
OverrideKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
OverrideValue = Annotated[str, StringConstraints(max_length=512)]
PairingMinutes = Annotated[int, Field(ge=1, le=7 * 24 * 60)]


class BlfKeyIn(BaseModel):
    extension: Text40
    label: Text40 = Field(default="", description="empty: the colleague's name")


class DeskPhoneCreate(BaseModel):
    mac: Text40 = Field(description="e.g. 00:15:65:00:01:03")
    vendor: VendorName
    model: Text40 = Field(description="one of GET /admin/desk-phones/vendors")
    user_id: DbId = Field(description="the user of line 1")
    label: Text100 = ""
    line_user_ids: list[DbId] = Field(default_factory=list, max_length=15, description="users of lines 2+")
    blf_keys: list[BlfKeyIn] = Field(default_factory=list, max_length=100)
    overrides: dict[OverrideKey, OverrideValue] = Field(
        default_factory=dict, max_length=200, description="vendor setting names -> values, applied last"
    )
    transport: TransportName = "udp"
    pairing_minutes: PairingMinutes | None = Field(default=None, description="default: the server's setting")


class DeskPhoneUpdate(BaseModel):
    label: Text100 | None = None
    model: Text40 | None = None
    transport: TransportName | None = None
    line_user_ids: list[DbId] | None = Field(default=None, max_length=15, description="replaces lines 2+")
    blf_keys: list[BlfKeyIn] | None = Field(default=None, max_length=100)
    overrides: dict[OverrideKey, OverrideValue] | None = Field(default=None, max_length=200)


class PairingWindow(BaseModel):
    minutes: PairingMinutes | None = None


class DeskPhoneLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    position: int
    device_id: int
    sip_username: str
    user_id: int
    user_name: str
    extension: str | None


class BlfKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    extension: str
    label: str


class DeskPhonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    mac: str
    vendor: VendorName
    model: str
    label: str
    transport: TransportName
    user_id: int
    lines: list[DeskPhoneLinePublic]
    blf_keys: list[BlfKeyPublic]
    overrides: dict[str, str]
    pairing_until: datetime | None = Field(description="set while the pairing window is open")
    pairing_file: str = Field(description="the file the phone asks for under /phones/ to pair")
    paired_at: datetime | None
    has_token: bool
    token_created_at: datetime | None
    last_fetch_at: datetime | None
    last_fetch_address: str | None
    last_user_agent: str | None
    last_firmware: str | None
    last_file: str | None
    created_at: datetime


class DeskPhoneLineSecret(BaseModel):
    position: int
    sip_username: str
    sip_password: str


class DeskPhoneSecretsPublic(BaseModel):
    admin_user: Literal["admin"] = "admin"
    admin_password: str
    lines: list[DeskPhoneLineSecret]


class TokenRotated(BaseModel):
    token_url: str = Field(description="shown once; the old URL no longer works")


class ModelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    lines: int
    keys: int


class VendorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: VendorName
    label: str
    models: list[ModelPublic]
    pairing_file_example: str
    override_example: str
    lines_take_keys: bool
