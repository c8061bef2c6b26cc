"""Per-user call forwarding: four rules (always, busy, no answer after N s, unreachable), each on or off,
each to an extension, the user's voicemail or an external Vietnamese number.

Admins set them for any user of their company, agents their own (`/me/forwarding`, the desktop app); the
PBX reads the enabled rules from its routing snapshot (`server.domain.pbx_snapshot`), refreshed by the
"changed" event of the `forwarding_rules` rows.  Field errors are named "<condition>.<field>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.callcenter_models import VoicemailBox
from server.domain.context import DomainContext
from server.domain.errors import InvalidInput
from server.domain.models import Extension, ForwardingRule, User
from server.domain.validation import check_extension, normalize_vn_number
from server.sip.directory import ForwardCondition, ForwardTargetKind

CONDITIONS: tuple[str, ...] = tuple(c.value for c in ForwardCondition)
TARGET_KINDS: tuple[str, ...] = tuple(k.value for k in ForwardTargetKind)
DEFAULT_SECONDS = 20
MIN_SECONDS, MAX_SECONDS = 5, 120


@dataclass(frozen=True, slots=True)
class RuleSetting:
    enabled: bool = False
    target_kind: str = ForwardTargetKind.EXTENSION.value
    target: str = ""
    seconds: int = DEFAULT_SECONDS
    # read only: an extension target deleted since the rule was saved (routing ignores the rule)
    target_missing: bool = False


async def get_rules(session: AsyncSession, *, user_id: int) -> dict[str, RuleSetting]:
    """Every condition's rule (a condition never set is a disabled default), each flagged when it points at
    an extension that no longer exists."""
    rows = {
        r.condition: r
        for r in await session.scalars(select(ForwardingRule).where(ForwardingRule.user_id == user_id))
    }
    company = select(User.company_id).where(User.id == user_id).scalar_subquery()
    numbers = set(await session.scalars(select(Extension.number).where(Extension.company_id == company)))
    return {
        c: RuleSetting(
            r.enabled,
            r.target_kind,
            r.target,
            r.seconds,
            r.target_kind == ForwardTargetKind.EXTENSION and bool(r.target) and r.target not in numbers,
        )
        if (r := rows.get(c))
        else RuleSetting()
        for c in CONDITIONS
    }


async def forwarding_to(session: AsyncSession, *, company_id: int, extension: str) -> list[str]:
    """Names of the users whose enabled forwarding points at `extension` (warned before deleting it)."""
    rows = await session.scalars(
        select(User.full_name)
        .join(ForwardingRule, ForwardingRule.user_id == User.id)
        .where(
            ForwardingRule.company_id == company_id,
            ForwardingRule.enabled.is_(True),
            ForwardingRule.target_kind == ForwardTargetKind.EXTENSION.value,
            ForwardingRule.target == extension,
        )
        .distinct()
    )
    return sorted(rows)


async def _has_voicemail_box(session: AsyncSession, user: User) -> bool:
    """The PBX forwards to the box of the user's first extension (`routing.forward_target`)."""
    first = await session.scalar(
        select(Extension.number).where(Extension.user_id == user.id).order_by(Extension.number).limit(1)
    )
    if first is None:
        return False
    boxes = await session.scalars(select(VoicemailBox).where(VoicemailBox.company_id == user.company_id))
    return any(b.config.get("owner") == "extension" and b.config.get("extension") == first for b in boxes)


async def _check(session: AsyncSession, user: User, condition: str, rule: RuleSetting) -> RuleSetting:
    """The rule as stored (numbers normalised), or InvalidInput naming the field."""
    errors: dict[str, str] = {}
    target = rule.target.strip()
    if rule.target_kind not in TARGET_KINDS:
        errors["target_kind"] = f"one of {', '.join(TARGET_KINDS)}"
    elif rule.target_kind == ForwardTargetKind.VOICEMAIL:
        target = ""
        if rule.enabled and not await _has_voicemail_box(session, user):
            errors["target_kind"] = "this user's extension has no voicemail box"
    elif not target:
        if rule.enabled:
            errors["target"] = "required"
    elif rule.target_kind == ForwardTargetKind.EXTENSION:
        try:
            check_extension(target)
        except InvalidInput:
            errors["target"] = "2-4 digits"
        else:
            owner = await session.scalar(
                select(Extension.user_id).where(
                    Extension.company_id == user.company_id, Extension.number == target
                )
            )
            if owner is None:
                errors["target"] = "no such extension in this company"
            elif owner == user.id:
                errors["target"] = "the user's own extension"
    else:
        try:
            target = normalize_vn_number(target)
        except InvalidInput as exc:
            errors["target"] = exc.fields["number"]
        if rule.enabled and not user.allow_outbound:
            errors["target"] = "outbound calls not permitted for this user"
    if not MIN_SECONDS <= rule.seconds <= MAX_SECONDS:
        errors["seconds"] = f"{MIN_SECONDS}-{MAX_SECONDS} seconds"
    if errors:
        raise InvalidInput(
            "invalid_forwarding",
            "call forwarding rule not valid",
            fields={f"{condition}.{name}": text for name, text in errors.items()},
        )
    return RuleSetting(rule.enabled, rule.target_kind, target, rule.seconds)


async def set_rules(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    user: User,
    rules: Mapping[str, RuleSetting],
    actor_id: int | None,
) -> dict[str, RuleSetting]:
    """Replace the user's rules with `rules` (a condition left out is switched off); audited; committed."""
    unknown = sorted(set(rules) - set(CONDITIONS))
    if unknown:
        raise InvalidInput(
            "invalid_forwarding",
            "unknown forwarding condition",
            fields={c: "unknown condition" for c in unknown},
        )
    checked: dict[str, RuleSetting] = {}
    fields: dict[str, str] = {}
    for condition in CONDITIONS:
        try:
            checked[condition] = await _check(session, user, condition, rules.get(condition, RuleSetting()))
        except InvalidInput as exc:
            fields.update(exc.fields)
    if fields:
        raise InvalidInput("invalid_forwarding", "call forwarding rules not valid", fields=fields)
    rows = {
        r.condition: r
        for r in await session.scalars(select(ForwardingRule).where(ForwardingRule.user_id == user.id))
    }
    for condition, rule in checked.items():
        row = rows.get(condition)
        if row is None:
            row = ForwardingRule(company_id=user.company_id, user_id=user.id, condition=condition)
            session.add(row)
        row.enabled = rule.enabled
        row.target_kind = rule.target_kind
        row.target = rule.target
        row.seconds = rule.seconds
    audit.record(
        session,
        ctx=ctx,
        company_id=user.company_id,
        actor_id=actor_id,
        action="update",
        entity="forwarding",
        entity_id=user.id,
        detail={
            c: f"{'on' if r.enabled else 'off'} {r.target_kind} {r.target} {r.seconds}s".strip()
            for c, r in checked.items()
        },
    )
    await session.commit()
    return checked
