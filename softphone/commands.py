"""Typed commands for the engine: ``Engine.submit(cmd: Command[T]) -> Future[T]``.

Each command is a frozen dataclass naming what the caller wants (``MakeCall``, ``Hold``...); its type
parameter is the result the future resolves to. Commands are plain values: this module imports neither
pjsua2 nor Qt, so the desktop UI, the CLI and test fakes build them freely. The engine thread executes them
(``softphone.runtime.dispatch``); a fake engine must handle every command type or refuse it.

``name`` is the command's wire name in ``softphone-cli --commands`` (``{"cmd": "make_call", "args":
{...}}``); the args are the dataclass fields.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from softphone.config import AccountConfig
from softphone.events import CallStats

T = TypeVar("T")
DtmfMethod = Literal["rfc4733", "info"]
DeviceSpec = int | str | None


class Command(Generic[T]):
    """Base of every engine command; ``T`` is what ``Engine.submit`` resolves to."""

    name: ClassVar[str]
    by_name: ClassVar[dict[str, type[Command[Any]]]] = {}

    def __init_subclass__(cls, *, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # dataclass(slots=True) re-creates the class without the keyword: it keeps the name it copied.
        name = name or cls.__dict__.get("name", "")
        if name:
            cls.name = name
            Command.by_name[name] = cls


# ---------------------------------------------------------------------------------------------- endpoint


@dataclass(frozen=True, slots=True)
class LocalSipPort(Command[int], name="local_sip_port"):
    """The bound local port of a transport (useful with ``sip_port=0``)."""

    transport: str = "udp"


@dataclass(frozen=True, slots=True)
class HandleNetworkChange(Command[None], name="handle_network_change"):
    """The network changed (new IP, Wi-Fi switch, resume): re-register every account and refresh calls."""


# ---------------------------------------------------------------------------------------------- accounts


@dataclass(frozen=True, slots=True)
class AddAccount(Command[None], name="add_account"):
    account: AccountConfig


@dataclass(frozen=True, slots=True)
class ModifyAccount(Command[None], name="modify_account"):
    account: AccountConfig


@dataclass(frozen=True, slots=True)
class RemoveAccount(Command[None], name="remove_account"):
    account_id: str


# ---------------------------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class MakeCall(Command[str], name="make_call"):
    """Call ``target`` (a SIP URI, or a number/extension in the account's domain); resolves to the call_id.

    ``hotline`` (a number or ``"adaptive"``) is sent as ``X-Hotline`` (docs/sip-contract.md).
    """

    account_id: str
    target: str
    hotline: str | None = None


@dataclass(frozen=True, slots=True)
class Answer(Command[None], name="answer"):
    call_id: str


@dataclass(frozen=True, slots=True)
class Decline(Command[None], name="decline"):
    """Reject an incoming call with 486 Busy Here or 603 Decline."""

    call_id: str
    code: int = 486


@dataclass(frozen=True, slots=True)
class Hangup(Command[None], name="hangup"):
    call_id: str


@dataclass(frozen=True, slots=True)
class Hold(Command[None], name="hold"):
    call_id: str


@dataclass(frozen=True, slots=True)
class Resume(Command[None], name="resume"):
    call_id: str


@dataclass(frozen=True, slots=True)
class SetMute(Command[None], name="set_mute"):
    call_id: str
    muted: bool


@dataclass(frozen=True, slots=True)
class SendDtmf(Command[None], name="send_dtmf"):
    """RFC 4733 telephone-events, or SIP INFO (also the fallback when telephone-event was not negotiated)."""

    call_id: str
    digits: str
    method: DtmfMethod = "rfc4733"


@dataclass(frozen=True, slots=True)
class CallDuration(Command[float], name="call_duration"):
    """Seconds since the call was answered (the call timer); 0.0 before that."""

    call_id: str


@dataclass(frozen=True, slots=True)
class GetCallStats(Command[CallStats], name="call_stats"):
    call_id: str


@dataclass(frozen=True, slots=True)
class BlindTransfer(Command[None], name="blind_transfer"):
    call_id: str
    target: str


@dataclass(frozen=True, slots=True)
class AttendedTransfer(Command[None], name="attended_transfer"):
    """Transfer the party of ``call_id`` to the party of ``consult_call_id`` (REFER with Replaces)."""

    call_id: str
    consult_call_id: str


@dataclass(frozen=True, slots=True)
class MergeConference(Command[None], name="merge_conference"):
    """Local conference: everyone in ``call_ids`` (and the local user) hears everyone."""

    call_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SplitConference(Command[None], name="split_conference"):
    """Take ``call_id`` out of the conference (it stays up, talking only to the local user)."""

    call_id: str


# ---------------------------------------------------------------------------------------------- media


@dataclass(frozen=True, slots=True)
class StartRecording(Command[None], name="start_recording"):
    """Record both parties mixed into a WAV that stays playable if the process dies."""

    call_id: str
    path: str


@dataclass(frozen=True, slots=True)
class StopRecording(Command[None], name="stop_recording"):
    call_id: str


@dataclass(frozen=True, slots=True)
class StartMonitor(Command[None], name="start_monitor"):
    """Record everything the local user hears from every call into one crash-safe WAV."""

    path: str


@dataclass(frozen=True, slots=True)
class StopMonitor(Command[None], name="stop_monitor"):
    pass


@dataclass(frozen=True, slots=True)
class PlayWav(Command[None], name="play_wav"):
    """Play a WAV file into the call (the remote hears it)."""

    call_id: str
    path: str
    loop: bool = False


@dataclass(frozen=True, slots=True)
class PlayMessage(Command[float], name="play_message"):
    """Play a WAV file (a voicemail) to the speaker, outside any call; its length in seconds."""

    path: str


@dataclass(frozen=True, slots=True)
class StopMessage(Command[None], name="stop_message"):
    """Stop the message PlayMessage started."""


@dataclass(frozen=True, slots=True)
class PlayTone(Command[None], name="play_tone"):
    """A continuous sine tone into the call (tests, diagnostics)."""

    call_id: str
    freq_hz: float


@dataclass(frozen=True, slots=True)
class StopPlayback(Command[None], name="stop_playback"):
    """Stop every tone/WAV started with PlayTone/PlayWav on this call."""

    call_id: str


@dataclass(frozen=True, slots=True)
class SetLocalSource(Command[None], name="set_local_source"):
    """Feed a tone and/or WAV into every call in place of the microphone (headless use)."""

    tone_hz: float | None = None
    wav_path: str | None = None
    loop: bool = True


# ---------------------------------------------------------------------------------------------- features


@dataclass(frozen=True, slots=True)
class SetDnd(Command[None], name="set_dnd"):
    """Reject every incoming call with 486 and ``Reason: SIP;cause=486;text="Do Not Disturb"``."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class SetAutoAnswer(Command[None], name="set_auto_answer"):
    """Answer incoming calls after ``delay_s`` (the engine owns the countdown; IncomingCall tells when)."""

    enabled: bool
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class SendMessage(Command[str], name="send_message"):
    """A SIP MESSAGE; resolves to a message_id echoed later in a MessageStatus event."""

    account_id: str
    to_uri: str
    text: str


@dataclass(frozen=True, slots=True)
class SubscribePresence(Command[None], name="subscribe_presence"):
    account_id: str
    uri: str


@dataclass(frozen=True, slots=True)
class UnsubscribePresence(Command[None], name="unsubscribe_presence"):
    account_id: str
    uri: str


@dataclass(frozen=True, slots=True)
class PublishPresence(Command[None], name="publish_presence"):
    """status: available | away | busy | dnd | on_the_phone."""

    account_id: str
    status: str
    note: str = ""


# ---------------------------------------------------------------------------------------------- sound devices


@dataclass(frozen=True, slots=True)
class SetAudioDevices(Command[None], name="set_audio_devices"):
    """Microphone, speaker and ringer (index or name; None = default). Problems arrive as AudioDeviceProblem
    events; fails with EngineError when the engine runs with null audio."""

    input: DeviceSpec = None
    output: DeviceSpec = None
    ringer: DeviceSpec = None


@dataclass(frozen=True, slots=True)
class ListAudioDevices(Command[list[Any]], name="list_audio_devices"):
    """softphone.audio.AudioDevice values (empty without PortAudio)."""


@dataclass(frozen=True, slots=True)
class SetMicMeter(Command[None], name="set_mic_meter"):
    """MicLevel events (~10 Hz) even without a call, e.g. for a settings page meter; during calls they come
    regardless. Either way only while a microphone is open on the sound device bridge."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class SetAudioProcessing(Command[None], name="set_audio_processing"):
    """Echo cancellation, noise suppression and automatic gain on the microphone (sound device bridge)."""

    echo_cancellation: bool = True
    noise_suppression: bool = False
    auto_gain: bool = False


@dataclass(frozen=True, slots=True)
class TestRingtone(Command[None], name="test_ringtone"):
    """Play ``seconds`` of a ringtone on the ringer device (the settings page's "Test")."""

    wav_path: str = ""
    volume: float = 1.0
    seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class TestSpeaker(Command[None], name="test_speaker"):
    """A short two-note chime on the call speaker (the settings page's "Test speaker")."""


@dataclass(frozen=True, slots=True)
class GetCodecs(Command[list[str]], name="codecs"):
    """Every codec the engine has, as ``NAME/RATE`` (``G722/16000``), in the engine's default order."""


# Commands whose effect outlives the Endpoint: replayed after ``Engine.restart()`` (key: what they set).
def sticky_key(cmd: Command[Any]) -> tuple[str, str] | None:
    if isinstance(cmd, AddAccount | ModifyAccount):
        return ("account", cmd.account.account_id)
    if isinstance(cmd, SetDnd | SetAutoAnswer | SetMicMeter | SetAudioProcessing):
        return (cmd.name, "")
    return None


def from_json(name: str, args: dict[str, Any]) -> Command[Any]:
    """A command from its wire form (``softphone-cli --commands``); ValueError names what is wrong."""
    cls = Command.by_name.get(name)
    if cls is None:
        raise ValueError(f"unknown command {name!r}")
    args = dict(args)
    if "account" in args and isinstance(args["account"], dict):
        acc = dict(args["account"])
        for key in ("codecs",):
            if key in acc and isinstance(acc[key], list):
                acc[key] = tuple(acc[key])
        args["account"] = AccountConfig(**acc)
    if "call_ids" in args:
        args["call_ids"] = tuple(args["call_ids"])
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(args) - known
    if unknown:
        raise ValueError(f"{name}: unknown argument(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**args)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}") from None


class EnginePort(Protocol):
    """The engine as its owners use it (``softphone.engine.Engine``; test fakes implement the same)."""

    def start(self) -> Future[None]: ...

    def stop(self) -> Future[None]: ...

    def submit(self, cmd: Command[T]) -> Future[T]: ...
