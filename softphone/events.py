"""Events the engine reports to its owner (UI view-models, the CLI, tests).

Every event is a frozen dataclass delivered through the ``on_event`` callback passed to
:class:`softphone.engine.Engine`. Callbacks run on the engine thread: receivers must not block
and must marshal to their own thread (the UI does it with a Qt signal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RegistrationState = Literal["registering", "registered", "unregistered", "failed"]
CallState = Literal["calling", "ringing", "early", "connecting", "confirmed", "disconnected"]
CallDirection = Literal["outgoing", "incoming"]
PresenceStatus = Literal["available", "away", "busy", "dnd", "on_the_phone", "offline"]


@dataclass(frozen=True, slots=True)
class RegistrationChanged:
    account_id: str
    state: RegistrationState
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class IncomingCall:
    call_id: str
    account_id: str
    remote_uri: str
    remote_name: str
    # Extra headers of interest from the INVITE (lower-case names), e.g. {"x-hotline": "0287..."}.
    headers: dict[str, str] = field(default_factory=dict)
    # The engine answers by itself after this many seconds (auto-answer); None: it waits for the user.
    auto_answer_in: float | None = None


@dataclass(frozen=True, slots=True)
class VoicemailWaiting:
    """A message-summary NOTIFY (RFC 3842) for the account: voice messages not heard yet and heard."""

    account_id: str
    new: int
    old: int


@dataclass(frozen=True, slots=True)
class MessagePlayback:
    """A recorded message (voicemail) started or stopped playing to the speaker (PlayMessage)."""

    path: str
    playing: bool
    seconds: float  # its length (0.0 when it stopped)


@dataclass(frozen=True, slots=True)
class CallStateChanged:
    call_id: str
    account_id: str
    state: CallState
    code: int
    reason: str
    direction: CallDirection
    remote_uri: str = ""
    # Seconds since the call was confirmed (0.0 before that); the call timer.
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CallMediaChanged:
    call_id: str
    held_local: bool
    held_remote: bool
    muted: bool


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """Progress of a transfer *we* requested (REFER NOTIFY sipfrag), or one requested of us.

    ``code`` is the SIP status of the transfer target leg (100, 180, 200, 4xx...). ``final`` is True
    on the last report for this transfer.
    """

    call_id: str
    code: int
    reason: str
    final: bool


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """The remote party asked us (REFER) to call ``target``; the engine accepts it automatically."""

    call_id: str
    target: str


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    call_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class MessageReceived:
    account_id: str
    from_uri: str
    text: str
    content_type: str
    # UNIX time the sender wrote it: the SIP ``Date`` header when present (kept by the PBX's store-and-forward
    # for messages delivered after the recipient comes online), else when the engine received it.
    date: float


@dataclass(frozen=True, slots=True)
class MessageStatus:
    message_id: str
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    account_id: str
    uri: str
    status: PresenceStatus
    note: str


@dataclass(frozen=True, slots=True)
class AudioDevicesChanged:
    devices: tuple[object, ...]  # softphone.audio.AudioDevice values


@dataclass(frozen=True, slots=True)
class AudioDeviceProblem:
    reason: str


@dataclass(frozen=True, slots=True)
class MicLevel:
    level: float  # 0..1


@dataclass(frozen=True, slots=True)
class RecordingChanged:
    call_id: str
    path: str
    recording: bool


@dataclass(frozen=True, slots=True)
class EngineStateChanged:
    state: Literal["starting", "running", "stopping", "stopped", "failed"]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CallStats:
    """Media quality of one call, as returned by ``Engine.call_stats``."""

    call_id: str
    codec: str
    clock_rate: int
    duration_s: float
    rx_packets: int
    tx_packets: int
    rx_loss_pct: float
    jitter_ms: float
    rtt_ms: float
    mos: float  # estimated from the E-model (ITU-T G.107 simplified), 1..4.5
    srtp_active: bool = False
    srtp_suite: str = ""  # e.g. "AES_CM_128_HMAC_SHA1_80" while SRTP is active
    signalling: str = "udp"  # the account's SIP transport: udp | tcp | tls
    held: bool = False  # on hold either side: no media flows, the figures are stale


EngineEvent = (
    RegistrationChanged
    | IncomingCall
    | CallStateChanged
    | CallMediaChanged
    | TransferProgress
    | TransferRequested
    | DtmfReceived
    | MessageReceived
    | MessageStatus
    | PresenceChanged
    | AudioDevicesChanged
    | AudioDeviceProblem
    | MicLevel
    | RecordingChanged
    | VoicemailWaiting
    | MessagePlayback
    | EngineStateChanged
)
