"""Schemas of /auth."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from server.api.schemas.common import Secret, Text40, Text100, Text200, Text255


class OtpRequest(BaseModel):
    phone: Text40
    purpose: Literal["signup", "reset"]


class OtpRequested(BaseModel):
    expires_in: int


class OtpVerify(BaseModel):
    phone: Text40
    code: Text40
    purpose: Literal["signup", "reset"]


class OtpVerified(BaseModel):
    otp_token: str


class SignupRequest(BaseModel):
    otp_token: Text255
    password: Secret
    full_name: Text200
    email: Text255 | None = None
    company_name: Text200 | None = None
    invite_code: Text100 | None = None


class LoginRequest(BaseModel):
    login: Text255
    password: Secret


class RefreshRequest(BaseModel):
    refresh_token: Text255


class PasswordReset(BaseModel):
    otp_token: Text255
    password: Secret


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
