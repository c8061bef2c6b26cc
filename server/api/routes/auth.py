"""Sign-up by OTP, login, token refresh, logout and password reset."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from server.api.deps import ContextDep, SessionDep
from server.api.schemas.auth import (
    LoginRequest,
    OtpRequest,
    OtpRequested,
    OtpVerified,
    OtpVerify,
    PasswordReset,
    RefreshRequest,
    SignupRequest,
    TokenPair,
)
from server.api.schemas.common import ERROR_RESPONSES
from server.domain import auth
from server.domain.models import OtpPurpose

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


def _pair(tokens: auth.Tokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
    )


@router.post("/otp", status_code=status.HTTP_202_ACCEPTED)
async def request_otp(body: OtpRequest, session: SessionDep, ctx: ContextDep) -> OtpRequested:
    expires_in = await auth.request_otp(session, ctx=ctx, phone=body.phone, purpose=OtpPurpose(body.purpose))
    return OtpRequested(expires_in=expires_in)


@router.post("/otp/verify")
async def verify_otp(body: OtpVerify, session: SessionDep, ctx: ContextDep) -> OtpVerified:
    token = await auth.verify_otp(
        session, ctx=ctx, phone=body.phone, code=body.code, purpose=OtpPurpose(body.purpose)
    )
    return OtpVerified(otp_token=token)


@router.post("/signup", status_code=status.HTTP_201_CREATED)
async def signup(body: SignupRequest, session: SessionDep, ctx: ContextDep) -> TokenPair:
    tokens = await auth.signup(
        session,
        ctx=ctx,
        otp_token=body.otp_token,
        password=body.password,
        full_name=body.full_name,
        email=body.email,
        company_name=body.company_name,
        invite_code=body.invite_code,
    )
    return _pair(tokens)


@router.post("/login")
async def login(body: LoginRequest, session: SessionDep, ctx: ContextDep) -> TokenPair:
    return _pair(await auth.login(session, ctx=ctx, login=body.login, password=body.password))


@router.post("/refresh")
async def refresh(body: RefreshRequest, session: SessionDep, ctx: ContextDep) -> TokenPair:
    return _pair(await auth.refresh(session, ctx=ctx, refresh_token=body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, session: SessionDep, ctx: ContextDep) -> Response:
    await auth.logout(session, ctx=ctx, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password-reset", status_code=status.HTTP_204_NO_CONTENT)
async def password_reset(body: PasswordReset, session: SessionDep, ctx: ContextDep) -> Response:
    await auth.reset_password(session, ctx=ctx, otp_token=body.otp_token, password=body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
