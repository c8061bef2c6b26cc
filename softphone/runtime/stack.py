"""The pjsua2 Endpoint itself: library start-up, transports, codecs, and its final destruction."""

from __future__ import annotations

import ctypes
import gc
import logging

import pjsua2 as pj

from softphone.logging_bridge import PjLogWriter, apply_log_config
from softphone.runtime.context import CLOCK_RATE, EngineContext

log = logging.getLogger("softphone.engine")

_TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}
# Priorities pjsua2 uses: 0 disables a codec; ours count down from the top for the preferred order.
_TOP_PRIORITY = 250


class SipStack:
    """Owns the ``pj.Endpoint``, its transports and the codec priorities (engine-wide or per account)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.ep: pj.Endpoint | None = None
        self._log_writer: PjLogWriter | None = None
        self.transport_ids: dict[str, int] = {}
        self.local_ports: dict[str, int] = {}
        self._codec_ids: dict[str, str] = {}  # "g722/16000" -> "G722/16000/1"
        self._pj_priority: dict[str, int] = {}  # pjsua's own priority of each codec id
        self._default_order: tuple[str, ...] = ()
        self._applied: tuple[str, ...] | None = None

    def start(self) -> None:
        cfg = self.ctx.config
        ep = pj.Endpoint()
        self.ep = ep
        ep.libCreate()
        ep_cfg = pj.EpConfig()
        ua = ep_cfg.uaConfig
        ua.threadCnt = 0  # every SIP callback inside our libHandleEvents, on the engine thread
        ua.mainThreadOnly = False
        ua.userAgent = cfg.user_agent
        ua.maxCalls = cfg.max_calls
        med = ep_cfg.medConfig
        med.clockRate = CLOCK_RATE
        med.sndClockRate = CLOCK_RATE
        med.audioFramePtime = cfg.frame_ms
        # pjsua's canceller sits only on its own sound-device port, which the null device bypasses;
        # the sounddevice bridge cancels echo itself (softphone/echo_canceller.py).
        med.ecTailLen = 0
        med.noVad = True
        self._log_writer = PjLogWriter()
        apply_log_config(ep_cfg, self._log_writer, cfg.log_level)
        ep.libInit(ep_cfg)
        for name in cfg.transports:
            self._create_transport(name)
        ep.libStart()
        for ci in ep.codecEnum2():
            self._codec_ids["/".join(ci.codecId.split("/")[:2]).lower()] = ci.codecId
            self._pj_priority[ci.codecId] = int(ci.priority)
        self._default_order = tuple(cfg.codecs)
        self.apply_codecs(())
        set_g722_level()

    def _create_transport(self, name: str) -> None:
        assert self.ep is not None
        cfg = self.ctx.config
        tc = pj.TransportConfig()
        tc.boundAddress = cfg.bind_address
        tc.port = cfg.tls_port if name == "tls" else cfg.sip_port
        if name == "tcp" and cfg.sip_port == 0 and "udp" in self.local_ports:
            tc.port = self.local_ports["udp"]  # same number for UDP and TCP when possible
        if name == "tls":
            tls = tc.tlsConfig
            tls.CaListFile = cfg.tls_ca_file
            tls.certFile = cfg.tls_cert_file
            tls.privKeyFile = cfg.tls_key_file
            tls.verifyServer = cfg.tls_verify_server
            tls.method = pj.PJSIP_TLSV1_2_METHOD if hasattr(pj, "PJSIP_TLSV1_2_METHOD") else tls.method
        try:
            tid = self.ep.transportCreate(_TRANSPORT_TYPES[name], tc)
        except pj.Error:
            if name != "tcp" or tc.port == 0:
                raise
            tc.port = 0
            tid = self.ep.transportCreate(_TRANSPORT_TYPES[name], tc)
        self.transport_ids[name] = tid
        self.local_ports[name] = int(self.ep.transportGetInfo(tid).localName.rsplit(":", 1)[-1])

    def codec_names(self) -> list[str]:
        """Every codec as ``NAME/RATE``, the configured preference first."""
        names = ["/".join(cid.split("/")[:2]) for cid in self._codec_ids.values()]
        wanted = [c.lower() for c in self._default_order]
        return sorted(names, key=lambda n: wanted.index(n.lower()) if n.lower() in wanted else len(wanted))

    def apply_codecs(self, order: tuple[str, ...]) -> None:
        """Offer ``order`` (``NAME/RATE``, best first) and nothing else; ``()`` = the engine's default.

        pjsua2 keeps codec priorities per Endpoint, not per account, so the engine sets an account's order
        right before that account makes an offer (new call, re-INVITE); answers follow the caller's order.
        """
        assert self.ep is not None
        exclusive = bool(order)
        wanted = [c.lower() for c in (order or self._default_order)]
        if tuple(wanted) + (("!",) if exclusive else ()) == self._applied:
            return
        for base, cid in self._codec_ids.items():
            if base in wanted:
                prio = _TOP_PRIORITY - wanted.index(base)
            else:
                prio = 0 if exclusive else self._pj_priority.get(cid, 0)
            try:
                self.ep.codecSetPriority(cid, prio)
            except pj.Error as exc:
                log.warning("codec %s: %s", cid, exc.info())
        self._applied = tuple(wanted) + (("!",) if exclusive else ())

    def pump(self, ms: int) -> None:
        assert self.ep is not None
        self.ep.libHandleEvents(ms)

    def destroy(self) -> None:
        """``libDestroy``; every other pjsua2 object must already be gone (see Runtime.shutdown)."""
        ep = self.ep
        if ep is None:
            return
        gc.collect()
        # NO_RX_MSG: accounts already pumped their un-REGISTERs; this skips pjsua's fixed 1 s wait.
        ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        self.ep = None
        del ep
        gc.collect()
        self._log_writer = None


# pjmedia divides what G.722 encodes by 2**shift and multiplies what it decodes by as much. Its default, 2,
# sends 6 dB quieter than baresip sending the same file (bench/bench_pesq.py: -32 vs -26 dBFS at the far end)
# and plays received G.722 6 dB too loud, until a loud far end clips the decoder and pjmedia halves the shift
# mid-call: a sudden 6 dB step both ways. 1 matches baresip's (spandsp) G.722 level in both directions.
G722_PCM_SHIFT = 1


def set_g722_level() -> None:
    """Set pjmedia's G.722 level scaling to ``G722_PCM_SHIFT`` for codecs opened from now on.

    pjsua2 does not expose the setting; the C function is exported by the wheel's library.
    """
    try:
        lib = ctypes.CDLL(pj._pjsua2.__file__)
        fn = lib.pjmedia_codec_g722_set_pcm_shift
    except (OSError, AttributeError) as exc:
        log.warning("cannot set the G.722 level (pjmedia_codec_g722_set_pcm_shift): %s", exc)
        return
    fn.argtypes = [ctypes.c_uint]
    fn.restype = ctypes.c_int
    status = fn(G722_PCM_SHIFT)
    if status != 0:
        log.warning("pjmedia_codec_g722_set_pcm_shift failed: %d", status)
