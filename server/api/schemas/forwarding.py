"""Schemas of a user's call forwarding (`/admin/users/{id}/forwarding`, `/me/forwarding`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.domain.forwarding import DEFAULT_SECONDS, RuleSetting


class ForwardingRuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    target_kind: Literal["extension", "voicemail", "external"] = "extension"
    target: str = Field(
        default="", max_length=32, description="an extension, or a Vietnamese number (external)"
    )
    seconds: int = Field(default=DEFAULT_SECONDS, description="no_answer: ring this long first (5-120)")
    target_missing: bool = Field(
        default=False, description="read only: the target extension was deleted; routing ignores the rule"
    )

    def setting(self) -> RuleSetting:
        return RuleSetting(self.enabled, self.target_kind, self.target, self.seconds)


class Forwarding(BaseModel):
    """All four rules; PUT replaces them (a rule left out is switched off)."""

    model_config = ConfigDict(extra="forbid")
    always: ForwardingRuleBody = Field(default_factory=ForwardingRuleBody)
    busy: ForwardingRuleBody = Field(default_factory=ForwardingRuleBody)
    no_answer: ForwardingRuleBody = Field(default_factory=ForwardingRuleBody)
    unreachable: ForwardingRuleBody = Field(default_factory=ForwardingRuleBody)

    def settings(self) -> dict[str, RuleSetting]:
        return {c: getattr(self, c).setting() for c in ("always", "busy", "no_answer", "unreachable")}

    @classmethod
    def of(cls, rules: dict[str, RuleSetting]) -> Forwarding:
        return cls.model_validate({c: asdict(r) for c, r in rules.items()})
