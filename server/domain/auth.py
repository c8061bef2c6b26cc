"""Sign-up by SMS one-time code, login, token refresh/logout, password reset, access-token checks.

OTP flow: `request_otp` stores a hashed 6-digit code (rate-limited per phone), `verify_otp` trades the right
code for a short-lived signed `otp_token` (wrong guesses are counted and capped), and `signup` /
`reset_password` consume that token exactly once.  Refresh tokens are opaque, stored hashed, rotated
on every refresh.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from server.domain.clock import to_posix
from server.domain.companies import create_company, domain_for_name
from server.domain.context import DomainContext
from server.domain.errors import Conflict, Forbidden, Gone, InvalidInput, Locked, RateLimited, Unauthorized
from server.domain.models import Company, OtpCode, OtpPurpose, RefreshToken, Role, User
from server.domain.people import create_user, next_free_extension
from server.domain.security import (
    BadToken,
    digest,
    new_otp_code,
    new_token,
)
from server.domain.validation import check_password, normalize_email, normalize_phone


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


# --- OTP -------------------------------------------------------------------------------------
async def request_otp(session: AsyncSession, *, ctx: DomainContext, phone: str, purpose: OtpPurpose) -> int:
    """Send a code by SMS; returns its lifetime in seconds.  429 when asked too often for one phone."""
    phone = normalize_phone(phone)
    now = ctx.clock()
    policy = ctx.policy
    registered = await session.scalar(select(User.id).where(User.phone == phone)) is not None
    if purpose == OtpPurpose.SIGNUP and registered:
        raise Conflict("duplicate_phone", "phone number already registered", fields={"phone": "taken"})
    last = await session.scalar(
        select(func.max(OtpCode.created_at)).where(OtpCode.phone == phone, OtpCode.purpose == purpose.value)
    )
    if last is not None and (now - last).total_seconds() < policy.otp_cooldown:
        raise RateLimited("otp_rate_limited", "wait before asking for another code")
    recent = await session.scalar(
        select(func.count(OtpCode.id)).where(
            OtpCode.phone == phone, OtpCode.created_at > now - timedelta(hours=1)
        )
    )
    if (recent or 0) >= policy.otp_max_per_hour:
        raise RateLimited("otp_rate_limited", "too many codes for this phone number; try again later")
    # Older codes stop working as soon as a new one is issued.
    await session.execute(
        update(OtpCode)
        .where(OtpCode.phone == phone, OtpCode.purpose == purpose.value, OtpCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code = new_otp_code()
    session.add(
        OtpCode(
            phone=phone,
            purpose=purpose.value,
            code_hash=digest(f"{phone}:{code}"),
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(seconds=policy.otp_ttl),
        )
    )
    await session.commit()
    # A reset for an unknown phone answers the same, without an SMS, so the API does not reveal accounts.
    if purpose == OtpPurpose.SIGNUP or registered:
        await ctx.sms.send_sms(phone, f"Softphone code: {code} (valid {policy.otp_ttl // 60} min)")
    return policy.otp_ttl


async def verify_otp(
    session: AsyncSession, *, ctx: DomainContext, phone: str, code: str, purpose: OtpPurpose
) -> str:
    phone = normalize_phone(phone)
    now = ctx.clock()
    otp = await session.scalar(
        select(OtpCode)
        .where(OtpCode.phone == phone, OtpCode.purpose == purpose.value, OtpCode.consumed_at.is_(None))
        .order_by(OtpCode.id.desc())
        .limit(1)
    )
    if otp is None:
        raise InvalidInput(
            "otp_invalid", "no code pending for this phone", fields={"code": "request a new code"}
        )
    if otp.expires_at <= now:
        raise Gone("otp_expired", "the code has expired", fields={"code": "expired"})
    # Count the attempt atomically before comparing, so parallel guesses cannot exceed the cap.
    counted = await session.execute(
        update(OtpCode)
        .where(OtpCode.id == otp.id, OtpCode.attempts < ctx.policy.otp_max_attempts)
        .values(attempts=OtpCode.attempts + 1)
        .returning(OtpCode.attempts)
    )
    attempts = counted.scalar()
    await session.commit()
    if attempts is None:
        raise RateLimited("otp_attempts_exceeded", "too many wrong codes; request a new one")
    if not secrets.compare_digest(otp.code_hash, digest(f"{phone}:{code.strip()}")):
        left = ctx.policy.otp_max_attempts - attempts
        if left <= 0:
            raise RateLimited("otp_attempts_exceeded", "too many wrong codes; request a new one")
        raise InvalidInput("otp_invalid", "wrong code", fields={"code": f"wrong code, {left} attempts left"})
    otp.verified_at = now
    await session.commit()
    exp = to_posix(now) + ctx.policy.otp_token_ttl
    return ctx.signer.sign("otp", exp, otp=otp.id, phone=phone, purpose=purpose.value)


async def _consume_otp_token(
    session: AsyncSession, *, ctx: DomainContext, otp_token: str, purpose: OtpPurpose
) -> OtpCode:
    now = ctx.clock()
    try:
        claims = ctx.signer.verify(otp_token, "otp", to_posix(now))
    except BadToken as exc:
        raise Unauthorized("invalid_otp_token", "the verification expired; start again") from exc
    otp = await session.get(OtpCode, claims.get("otp"))
    if (
        otp is None
        or otp.purpose != purpose.value
        or claims.get("purpose") != purpose.value
        or otp.verified_at is None
        or otp.consumed_at is not None
    ):
        raise Unauthorized("invalid_otp_token", "the verification was already used; start again")
    # Conditional update: a concurrent sign-up with the same token finds no row left to consume.
    consumed = await session.execute(
        update(OtpCode)
        .where(OtpCode.id == otp.id, OtpCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .returning(OtpCode.id)
    )
    if consumed.scalar() is None:
        raise Unauthorized("invalid_otp_token", "the verification was already used; start again")
    return otp


# --- tokens ----------------------------------------------------------------------------------
async def issue_tokens(session: AsyncSession, *, ctx: DomainContext, user: User) -> Tokens:
    now = ctx.clock()
    ttl = ctx.policy.access_token_ttl
    access = ctx.signer.sign("access", to_posix(now) + ttl, sub=user.id, cid=user.company_id, role=user.role)
    refresh = new_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=digest(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=ctx.policy.refresh_token_ttl),
        )
    )
    await session.commit()
    return Tokens(access_token=access, refresh_token=refresh, expires_in=ttl)


# Every authenticated request runs it: built once (building a select costs about as much as running it).
_USER_WITH_COMPANY = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.company))


async def authenticate(session: AsyncSession, *, ctx: DomainContext, access_token: str) -> User:
    """The active user an access token belongs to (with company loaded), or 401."""
    try:
        claims = ctx.signer.verify(access_token, "access", to_posix(ctx.clock()))
    except BadToken as exc:
        raise Unauthorized("invalid_token", "missing, invalid or expired access token") from exc
    user = await session.scalar(_USER_WITH_COMPANY, {"user_id": claims.get("sub")})
    if user is None or user.company_id != claims.get("cid") or not user.active:
        raise Unauthorized("invalid_token", "the account no longer exists or is disabled")
    return user


async def _user_by_login(session: AsyncSession, login: str) -> User | None:
    login = login.strip()
    if "@" in login:
        try:
            email = normalize_email(login, field="login")
        except InvalidInput:
            return None
        return await session.scalar(select(User).where(User.email == email))
    try:
        phone = normalize_phone(login, field="login")
    except InvalidInput:
        return None
    return await session.scalar(select(User).where(User.phone == phone))


async def login(session: AsyncSession, *, ctx: DomainContext, login: str, password: str) -> Tokens:
    """Phone or e-mail + password.  Repeated failures lock the account for `lockout_seconds` (423)."""
    now = ctx.clock()
    user = await _user_by_login(session, login)
    if user is None:
        await ctx.passwords.burn(password)
        raise Unauthorized("invalid_credentials", "wrong login or password")
    if user.locked_until is not None and user.locked_until > now:
        raise Locked("account_locked", "too many failed logins; try again later")
    if not await ctx.passwords.verify(user.password_hash, password):
        # Atomic increment: parallel wrong guesses all count.
        failures = (
            await session.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins)
            )
        ).scalar_one()
        if failures >= ctx.policy.login_max_failures:
            await session.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=0, locked_until=now + timedelta(seconds=ctx.policy.lockout_seconds))
            )
            await session.commit()
            raise Locked("account_locked", "too many failed logins; try again later")
        await session.commit()
        raise Unauthorized("invalid_credentials", "wrong login or password")
    if not user.active:
        raise Forbidden("account_disabled", "this account is disabled")
    user.failed_logins = 0
    user.locked_until = None
    return await issue_tokens(session, ctx=ctx, user=user)


async def refresh(session: AsyncSession, *, ctx: DomainContext, refresh_token: str) -> Tokens:
    now = ctx.clock()
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("invalid_refresh_token", "sign in again")
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid_refresh_token", "sign in again")
    # Rotate atomically: two refreshes racing with one token yield one new pair.
    revoked = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(RefreshToken.id)
    )
    if revoked.scalar() is None:
        await session.rollback()
        raise Unauthorized("invalid_refresh_token", "sign in again")
    return await issue_tokens(session, ctx=ctx, user=user)


async def logout(session: AsyncSession, *, ctx: DomainContext, refresh_token: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == digest(refresh_token), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=ctx.clock())
    )
    await session.commit()


# --- sign-up and reset -----------------------------------------------------------------------
async def signup(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    otp_token: str,
    password: str,
    full_name: str,
    email: str | None = None,
    company_name: str | None = None,
    invite_code: str | None = None,
) -> Tokens:
    """Either join a company by its invite code (as an agent) or create a new company (as its admin)."""
    check_password(password)
    if email:
        normalize_email(email)
    if not invite_code and not (company_name and company_name.strip()):
        raise InvalidInput(
            "company_required",
            "give a company name to create a company, or an invite code to join one",
            fields={"company_name": "required without invite_code"},
        )
    company: Company | None = None
    if invite_code:
        company = await session.scalar(select(Company).where(Company.invite_code == invite_code))
        if company is None:
            raise InvalidInput("invalid_invite", "unknown invite code", fields={"invite_code": "unknown"})
    otp = await _consume_otp_token(session, ctx=ctx, otp_token=otp_token, purpose=OtpPurpose.SIGNUP)
    if company is None:
        assert company_name is not None
        _, user = await create_company(
            session,
            ctx=ctx,
            name=company_name,
            sip_domain=await domain_for_name(session, name=company_name),
            admin_full_name=full_name,
            admin_phone=otp.phone,
            admin_password=password,
            admin_email=email or None,
            admin_extensions=("101",),
        )
    else:
        extension = await next_free_extension(session, company_id=company.id)
        user = await create_user(
            session,
            ctx=ctx,
            company=company,
            full_name=full_name,
            phone=otp.phone,
            password=password,
            email=email or None,
            role=Role.AGENT,
            extensions=(extension,),
        )
    return await issue_tokens(session, ctx=ctx, user=user)


async def reset_password(session: AsyncSession, *, ctx: DomainContext, otp_token: str, password: str) -> None:
    """New password from a verified reset code; unlocks the account and signs out every session."""
    check_password(password)
    otp = await _consume_otp_token(session, ctx=ctx, otp_token=otp_token, purpose=OtpPurpose.RESET)
    user = await session.scalar(select(User).where(User.phone == otp.phone))
    if user is None:
        raise Unauthorized("invalid_otp_token", "no account for this phone number")
    now = ctx.clock()
    user.password_hash = await ctx.passwords.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.commit()
