"""What the PBX tells callers in words: a waiting caller's position and estimated wait, a supervisor's
schedule override; as text the media plane speaks.

The text becomes a prompt name ``say:<language>:<text>``; the adapter turns it into a WAV with the
server's text-to-speech (espeak-ng) the first time it is needed and keeps it, so each sentence is
synthesized once per server (positions and minutes are small numbers: the cache stays small).
"""

from __future__ import annotations

SPOKEN = "say:"
MAX_SPOKEN_NUMBER = 99  # beyond this "more than 99": bounds the cache of synthesized sentences

_POSITION = {
    "vi": "Quý khách đang ở vị trí số {n} trong hàng chờ.",
    "en": "You are caller number {n} in the queue.",
}
_WAIT = {
    "vi": "Thời gian chờ dự kiến khoảng {n} phút.",
    "en": "Your estimated wait is about {n} {unit}.",
}
_MORE = {"vi": "hơn {n}", "en": "more than {n}"}


def _number(language: str, n: int) -> str:
    if n > MAX_SPOKEN_NUMBER:
        return _MORE[language].format(n=MAX_SPOKEN_NUMBER)
    return str(n)


def announcement(language: str, position: int | None, wait_minutes: int | None) -> str:
    """The sentence(s) for a position and an estimated wait (either may be None: not said)."""
    lang = language if language in _POSITION else "vi"
    parts: list[str] = []
    if position is not None:
        parts.append(_POSITION[lang].format(n=_number(lang, position)))
    if wait_minutes is not None:
        unit = "minute" if wait_minutes == 1 else "minutes"
        parts.append(_WAIT[lang].format(n=_number(lang, wait_minutes), unit=unit))
    return " ".join(parts)


def spoken(language: str, text: str) -> str:
    """The prompt name that makes the media plane speak `text` in `language`."""
    return f"{SPOKEN}{language}:{text}"


def parse_spoken(prompt: str) -> tuple[str, str] | None:
    """(language, text) of a spoken prompt name; None for any other prompt."""
    if not prompt.startswith(SPOKEN):
        return None
    language, _, text = prompt[len(SPOKEN) :].partition(":")
    return (language, text) if language in _POSITION and text else None


_OVERRIDE = {
    "vi": {
        "open": "Đã chuyển sang mở cửa.",
        "closed": "Đã chuyển sang đóng cửa.",
        None: "Đã trở về giờ làm việc theo lịch.",
    },
    "en": {
        "open": "The line is now open.",
        "closed": "The line is now closed.",
        None: "Back to the business hours.",
    },
}


def override_confirmation(language: str, override: str | None) -> str:
    """What a supervisor hears after changing a schedule's manual override (None: automatic again)."""
    table = _OVERRIDE.get(language, _OVERRIDE["vi"])
    return table.get(override, table[None])
