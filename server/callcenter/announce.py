"""What the PBX tells callers in words: a waiting caller's position and estimated wait, a supervisor's
schedule override, a user's call forwarding set by feature code; as text the media plane speaks.

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


_CONDITION = {
    "vi": {
        "always": "Chuyển tiếp mọi cuộc gọi",
        "busy": "Chuyển tiếp khi bận",
        "no_answer": "Chuyển tiếp khi không trả lời",
    },
    "en": {
        "always": "Forwarding of all calls",
        "busy": "Forwarding when busy",
        "no_answer": "Forwarding on no answer",
    },
}
_FORWARD_ON = {"vi": "{what} tới số {target} đã được bật.", "en": "{what} to {target} is on."}
_FORWARD_OFF = {"vi": "{what} đã được tắt.", "en": "{what} is off."}
_FORWARD_REFUSED = {
    "vi": "Không thể cài chuyển tiếp tới số này. Vui lòng kiểm tra lại số.",
    "en": "Forwarding to this number is not possible. Please check the number.",
}


def _digits(target: str) -> str:
    """A number said digit by digit ("1 0 3"), as phones read numbers back."""
    return " ".join(target.lstrip("+"))


def forwarding_confirmation(language: str, condition: str, target: str | None) -> str:
    """What a user hears after setting (`target`) or clearing (None) a forwarding rule by feature code."""
    lang = language if language in _CONDITION else "vi"
    what = _CONDITION[lang].get(condition, condition)
    if target is None:
        return _FORWARD_OFF[lang].format(what=what)
    return _FORWARD_ON[lang].format(what=what, target=_digits(target))


VOICEMAIL_GREETING = "voicemail_greeting"  # a box's default greeting (API, console): spoken, this text
_VOICEMAIL_GREETING = {
    "vi": "Xin quý khách vui lòng để lại lời nhắn sau tiếng bíp.",
    "en": "Please leave a message after the tone.",
}


def voicemail_greeting(language: str) -> str:
    """The built-in voicemail greeting, unless the company has its own prompt of that name."""
    return _VOICEMAIL_GREETING.get(language, _VOICEMAIL_GREETING["vi"])


RECORDING_NOTICE = "recording_notice"  # the built-in "this call may be recorded": spoken, this text
_RECORDING_NOTICE = {
    "vi": "Cuộc gọi này có thể được ghi âm để nâng cao chất lượng dịch vụ.",
    "en": "This call may be recorded for quality and training purposes.",
}


def recording_notice(language: str) -> str:
    """The built-in recording notice, unless the company has its own prompt of that name."""
    return _RECORDING_NOTICE.get(language, _RECORDING_NOTICE["vi"])


def forwarding_refused(language: str) -> str:
    """What a user hears when the forwarding target they dialled is refused."""
    return _FORWARD_REFUSED.get(language, _FORWARD_REFUSED["vi"])
