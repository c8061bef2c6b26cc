"""Call quality estimate: a simplified ITU-T G.107 E-model turning network figures into a MOS."""

from __future__ import annotations

# Equipment impairment Ie and packet-loss robustness Bpl per codec (ITU-T G.113 Appendix I values,
# narrowband scale; wideband codecs are given their narrowband-equivalent impairment).
_CODEC_IMPAIRMENT: dict[str, tuple[float, float]] = {
    "pcmu": (0.0, 25.1),
    "pcma": (0.0, 25.1),
    "g722": (0.0, 25.1),
    "opus": (0.0, 30.0),
    "speex": (11.0, 20.0),
    "gsm": (20.0, 10.0),
    "ilbc": (11.0, 32.0),
    "g729": (11.0, 19.0),
}
_DEFAULT_IMPAIRMENT = (10.0, 20.0)


def r_factor(codec: str, one_way_delay_ms: float, loss_pct: float) -> float:
    """Transmission rating R (0..93.2) for a codec, mouth-to-ear delay and random packet loss."""
    ie, bpl = _CODEC_IMPAIRMENT.get(codec.lower().split("/")[0], _DEFAULT_IMPAIRMENT)
    d = max(0.0, one_way_delay_ms)
    # Delay impairment Id, the usual Cole-Rosenbluth approximation of G.107.
    idd = 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)
    ppl = min(max(loss_pct, 0.0), 100.0)
    ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl)
    return max(0.0, min(93.2, 93.2 - idd - ie_eff))


def mos_from_r(r: float) -> float:
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)


def estimate_mos(codec: str, rtt_ms: float, jitter_ms: float, loss_pct: float) -> float:
    """MOS 1..4.5 from RTT, jitter and loss; jitter counts twice (jitter buffer depth) plus codec framing."""
    one_way = rtt_ms / 2.0 + 2.0 * jitter_ms + 20.0
    return round(mos_from_r(r_factor(codec, one_way, loss_pct)), 2)
