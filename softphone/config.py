"""Configuration values for the engine and its SIP accounts (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Transport = Literal["udp", "tcp", "tls"]

# The sound path's timing (bench/bench_audio_latency.py): pjmedia's conference bridge runs 10 ms frames, the
# sounddevice bridge asks PortAudio for 5 ms blocks and allows 10 ms of jitter between the two clocks. That
# is ~50 ms added round trip through PulseAudio with echo cancellation on (was ~90 ms at 20/10/20).
FRAME_MS = 10
AUDIO_BLOCK_MS = 10
AUDIO_JITTER_MS = 10
SrtpMode = Literal["off", "optional", "mandatory"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    user_agent: str = "Softphone/0.1"
    # pjsip verbosity 0..6; messages are routed into the ``softphone.pjsip`` logger.
    log_level: int = 3
    # Local SIP port for the UDP and TCP transports (0 = any free port). TLS uses ``tls_port``.
    sip_port: int = 0
    # True: pjsua2's null sound device (headless, tests). False: the sounddevice bridge (softphone.audio).
    null_audio: bool = True
    bind_address: str = "127.0.0.1"
    transports: tuple[Transport, ...] = ("udp", "tcp")
    tls_port: int = 0
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_verify_server: bool = False
    rtp_port: int = 0  # first RTP port; 0 lets the OS choose
    # Codec priority, best first; codecs not listed keep pjsua2's default priority.
    codecs: tuple[str, ...] = ("G722/16000", "PCMU/8000", "PCMA/8000")
    echo_cancel: bool = True
    noise_suppression: bool = False
    auto_gain: bool = False
    # Conference bridge frame (pjmedia's clock) and the sounddevice bridge's PortAudio block and jitter
    # allowance; these set the latency the app adds (bench/bench_audio_latency.py).
    frame_ms: int = FRAME_MS
    audio_block_ms: int = AUDIO_BLOCK_MS
    audio_jitter_ms: int = AUDIO_JITTER_MS
    # Devices for the sounddevice bridge (index or name; None = system default); unused with null_audio.
    audio_input: int | str | None = None
    audio_output: int | str | None = None
    audio_ringer: int | str | None = None
    # The engine plays the ringtone (ringer device) and ringback (speaker) itself; False leaves it to the app.
    ring_tones: bool = True
    max_calls: int = 8
    # Seconds to wait for calls to disconnect during stop().
    shutdown_timeout_s: float = 3.0


@dataclass(frozen=True, slots=True)
class AccountConfig:
    account_id: str
    display_name: str
    sip_username: str
    sip_password: str
    sip_domain: str
    # "host[:port]" or a full SIP URI; None = the sip_domain.
    registrar: str | None = None
    # Outbound proxy, "host[:port]" or a SIP URI; None = none.
    proxy: str | None = None
    transport: Transport = "udp"
    srtp: SrtpMode = "off"
    register: bool = True
    register_expires: int = 300
    extension: str | None = None
    # After a failed registration retry every this many seconds (recovers after a server restart).
    reg_retry_interval_s: int = 30
    # Send the first retry this soon after a drop (random 0..this added by pjsua).
    reg_first_retry_s: int = 5
    # Codecs this account offers, best first ("G722/16000"); () = the engine's order (EngineConfig.codecs).
    codecs: tuple[str, ...] = ()
    # Ringtone for calls to this account: a WAV path ("" = the built-in one) and its volume 0..1.
    ringtone: str = ""
    ring_volume: float = 1.0
