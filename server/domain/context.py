"""What every service needs besides a session: the clock, signing, policies, where the PBX is, and senders.

Built once per app from `ServerSettings` (`context_from_settings`); tests build it with their own clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from server.domain.background import BackgroundWork
from server.domain.changes import ChangeBus
from server.domain.clock import Clock, system_clock
from server.domain.notify import (
    ConsoleEmailSender,
    ConsoleSmsSender,
    EmailSender,
    HttpSmsSender,
    SmsSender,
    SmtpEmailSender,
)
from server.domain.policy import DeskPhonePolicy, Policy
from server.domain.security import Passwords, TokenSigner
from server.settings import ServerSettings


@dataclass(frozen=True, slots=True)
class PbxEndpoint:
    """How clients reach the PBX: goes into provisioning documents verbatim."""

    host: str = "127.0.0.1"
    port: int = 5060
    tls_port: int | None = None
    register_expires: int = 300
    srtp: str = "optional"
    mobile_transport: str = "udp"  # udp | tcp | tls: what Linphone XML provisioning points phones at

    @property
    def mobile_port(self) -> int:
        return self.tls_port if self.mobile_transport == "tls" and self.tls_port else self.port


@dataclass(frozen=True)
class DomainContext:
    signer: TokenSigner
    clock: Clock = system_clock
    policy: Policy = field(default_factory=Policy)
    pbx: PbxEndpoint = field(default_factory=PbxEndpoint)
    public_base_url: str = "http://127.0.0.1:8080"
    sms: SmsSender = field(default_factory=ConsoleSmsSender)
    mail: EmailSender = field(default_factory=ConsoleEmailSender)
    passwords: Passwords = field(default_factory=Passwords)
    background: BackgroundWork = field(default_factory=BackgroundWork)
    changes: ChangeBus = field(default_factory=ChangeBus)  # what committed transactions wrote
    desk_phones: DeskPhonePolicy = field(default_factory=DeskPhonePolicy)


def context_from_settings(
    settings: ServerSettings,
    *,
    clock: Clock = system_clock,
    sms: SmsSender | None = None,
    mail: EmailSender | None = None,
    passwords: Passwords | None = None,
) -> DomainContext:
    if sms is None:
        if settings.sms_backend == "http" and settings.sms_http_url:
            token = settings.sms_http_token.get_secret_value() if settings.sms_http_token else None
            sms = HttpSmsSender(settings.sms_http_url, token)
        else:
            sms = ConsoleSmsSender()
    if mail is None:
        if settings.email_backend == "smtp":
            mail = SmtpEmailSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                starttls=settings.smtp_starttls,
            )
        else:
            mail = ConsoleEmailSender()
    return DomainContext(
        signer=TokenSigner(settings.signing_key()),
        clock=clock,
        policy=Policy(**{f.name: getattr(settings, f.name) for f in fields(Policy)}),
        desk_phones=DeskPhonePolicy(
            **{f.name: getattr(settings, f"phones_{f.name}") for f in fields(DeskPhonePolicy)}
        ),
        pbx=PbxEndpoint(
            host=settings.effective_sip_public_host,
            port=settings.sip_port,
            tls_port=settings.sip_tls_port,
            register_expires=settings.register_expires,
            srtp=settings.srtp,
            mobile_transport=settings.effective_mobile_transport,
        ),
        public_base_url=settings.effective_public_base_url,
        sms=sms,
        mail=mail,
        passwords=passwords or Passwords(),
    )
