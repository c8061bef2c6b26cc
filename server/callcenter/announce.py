"""What the PBX tells callers in words: a waiting caller's position and estimated wait, a supervisor's
schedule override, a user's call forwarding set by feature code, an agent's log-in / pause code, the
default voicemail greeting, the recording notice.

Each sentence is a :class:`Sentence`: the text the server's text-to-speech (espeak-ng) says, and the
company prompts (``server/domain/prompts.py``) that say it instead in the company's own recorded voice,
played one after the other, as FreePBX's system recordings do ("you are caller number" + "three" + ...).
A fixed sentence is one prompt of its name; a sentence with a number is composed of its words (``num_3``,
``queue_position_before``...).  The company's recordings are used when every required part exists, else
the whole sentence is spoken by espeak-ng in the queue's / company's language (:func:`compose`).

The sentence travels as a prompt name ``say:<language>:<company id>:<parts>:<text>``; the adapter plays
the composed recordings or synthesizes the text the first time it is needed and keeps it, so each
sentence is synthesized once per server (positions and minutes are small numbers: the cache stays small).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

SPOKEN = "say:"
LANGUAGES = ("vi", "en")
MAX_SPOKEN_NUMBER = 99  # beyond this "more than 99": bounds the cache of synthesized sentences
OPTIONAL = "?"  # a part name ending in it may be missing: the rest still composes


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # what text-to-speech says
    parts: tuple[str, ...]  # the company prompts that say it instead (an OPTIONAL suffix: may be missing)


@dataclass(frozen=True, slots=True)
class Said:
    """A parsed spoken prompt name."""

    language: str
    text: str
    company_id: int | None
    parts: tuple[str, ...]


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "vi"


# --- numbers as recorded words ----------------------------------------------------------------------
def number_words(language: str, n: int) -> tuple[str, ...]:
    """The prompt names that say `n` (0-99; above: "more than 99") in the language's word order.

    English: ``num_0``-``num_19``, then the tens ``num_20``-``num_90`` and a unit (21: num_20 num_1).
    Vietnamese: ``num_0``-``num_10`` ("mười"), 11-19: num_10 + unit; 20-99: the tens digit + ``num_muoi``
    ("mươi") + unit, where a unit 1 after 20 is ``num_mot`` ("mốt") and a unit 5 after ten is ``num_lam``
    ("lăm"): 15 "mười lăm", 21 "hai mươi mốt", 25 "hai mươi lăm".
    """
    if n < 0:
        raise ValueError("a spoken number is not negative")
    if n > MAX_SPOKEN_NUMBER:
        return ("more_than", *number_words(language, MAX_SPOKEN_NUMBER))
    tens, unit = divmod(n, 10)
    if _lang(language) == "en":
        if n < 20:
            return (f"num_{n}",)
        return (f"num_{tens * 10}",) + ((f"num_{unit}",) if unit else ())
    if n <= 10:
        return (f"num_{n}",)
    head = ("num_10",) if tens == 1 else (f"num_{tens}", "num_muoi")
    if unit == 0:
        return head
    if unit == 5:
        return (*head, "num_lam")
    if unit == 1 and tens > 1:
        return (*head, "num_mot")
    return (*head, f"num_{unit}")


def digit_words(number: str) -> tuple[str, ...]:
    """A number said digit by digit (``num_1 num_0 num_3``), as phones read numbers back."""
    return tuple(f"num_{d}" for d in number if d.isdigit())


def compose(parts: Sequence[str], has: Callable[[str], bool]) -> tuple[str, ...] | None:
    """The company prompts to play for `parts` (optional ones dropped when missing); None when a
    required one is missing (then text-to-speech says the sentence)."""
    if not parts:
        return None
    chosen: list[str] = []
    for part in parts:
        name = part.removesuffix(OPTIONAL)
        if has(name):
            chosen.append(name)
        elif not part.endswith(OPTIONAL):
            return None
    return tuple(chosen) or None


# --- the sentences -------------------------------------------------------------------------------------
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


def announcement(language: str, position: int | None, wait_minutes: int | None) -> Sentence:
    """The sentence(s) for a position and an estimated wait (either may be None: not said)."""
    lang = _lang(language)
    texts: list[str] = []
    parts: list[str] = []
    if position is not None:
        texts.append(_POSITION[lang].format(n=_number(lang, position)))
        parts += ["queue_position_before", *number_words(lang, position), "queue_position_after?"]
    if wait_minutes is not None:
        unit = "minute" if wait_minutes == 1 else "minutes"
        texts.append(_WAIT[lang].format(n=_number(lang, wait_minutes), unit=unit))
        unit_prompt = "minute" if lang == "en" and wait_minutes == 1 else "minutes"
        parts += ["queue_wait_before", *number_words(lang, wait_minutes), unit_prompt, "queue_wait_after?"]
    return Sentence(" ".join(texts), tuple(parts))


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
_OVERRIDE_PROMPT = {"open": "override_open", "closed": "override_closed", None: "override_auto"}


def override_confirmation(language: str, override: str | None) -> Sentence:
    """What a supervisor hears after changing a schedule's manual override (None: automatic again)."""
    table = _OVERRIDE[_lang(language)]
    key = override if override in table else None
    return Sentence(table[key], (_OVERRIDE_PROMPT[key],))


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


def forwarding_confirmation(language: str, condition: str, target: str | None) -> Sentence:
    """What a user hears after setting (`target`) or clearing (None) a forwarding rule by feature code."""
    lang = _lang(language)
    what = _CONDITION[lang].get(condition, condition)
    if target is None:
        return Sentence(_FORWARD_OFF[lang].format(what=what), (f"forwarding_{condition}_off",))
    return Sentence(
        _FORWARD_ON[lang].format(what=what, target=_digits(target)),
        (f"forwarding_{condition}_to", *digit_words(target), "forwarding_on"),
    )


def forwarding_refused(language: str) -> Sentence:
    """What a user hears when the forwarding target they dialled is refused."""
    return Sentence(_FORWARD_REFUSED[_lang(language)], ("forwarding_refused",))


VOICEMAIL_GREETING = "voicemail_greeting"  # a box's default greeting (API, console): spoken, this text
_VOICEMAIL_GREETING = {
    "vi": "Xin quý khách vui lòng để lại lời nhắn sau tiếng bíp.",
    "en": "Please leave a message after the tone.",
}


def voicemail_greeting(language: str) -> Sentence:
    """The built-in voicemail greeting, unless the company has its own prompt of that name."""
    return Sentence(_VOICEMAIL_GREETING[_lang(language)], (VOICEMAIL_GREETING,))


RECORDING_NOTICE = "recording_notice"  # the built-in "this call may be recorded": spoken, this text
_RECORDING_NOTICE = {
    "vi": "Cuộc gọi này có thể được ghi âm để nâng cao chất lượng dịch vụ.",
    "en": "This call may be recorded for quality and training purposes.",
}


def recording_notice(language: str) -> Sentence:
    """The built-in recording notice, unless the company has its own prompt of that name."""
    return Sentence(_RECORDING_NOTICE[_lang(language)], (RECORDING_NOTICE,))


_AGENT = {  # an agent's feature code (*61-*64), done or refused
    "vi": {
        "agent_logged_in": "Bạn đã đăng nhập vào hàng chờ.",
        "agent_logged_out": "Bạn đã đăng xuất khỏi hàng chờ.",
        "agent_paused": "Bạn đang tạm nghỉ.",
        "agent_unpaused": "Bạn đã sẵn sàng nhận cuộc gọi.",
        "agent_no_queue": "Bạn không phục vụ hàng chờ nào.",
    },
    "en": {
        "agent_logged_in": "You are logged in to your queues.",
        "agent_logged_out": "You are logged out of your queues.",
        "agent_paused": "You are paused.",
        "agent_unpaused": "You are available again.",
        "agent_no_queue": "You do not serve any queue.",
    },
}
_AGENT_PROMPT = {
    "login": "agent_logged_in",
    "logout": "agent_logged_out",
    "pause": "agent_paused",
    "unpause": "agent_unpaused",
}


def agent_confirmation(language: str, action: str) -> Sentence:
    """What an agent hears after a feature code logged them in or out of, or paused or unpaused them in,
    every queue they serve (`action`: "login", "logout", "pause", "unpause")."""
    name = _AGENT_PROMPT[action]
    return Sentence(_AGENT[_lang(language)][name], (name,))


def agent_no_queue(language: str) -> Sentence:
    """What a user hears after an agent code when they serve no queue."""
    return Sentence(_AGENT[_lang(language)]["agent_no_queue"], ("agent_no_queue",))


# --- the prompt name that carries a sentence -----------------------------------------------------------
def spoken(language: str, sentence: Sentence | str, company_id: int | None = None) -> str:
    """The prompt name that makes the media plane say `sentence` in `language`: the company's recordings
    of its parts when it has them all, else text-to-speech."""
    if isinstance(sentence, str):
        sentence = Sentence(sentence, ())
    company = "" if company_id is None else str(int(company_id))
    return f"{SPOKEN}{_lang(language)}:{company}:{' '.join(sentence.parts)}:{sentence.text}"


def parse_spoken(prompt: str) -> Said | None:
    """What a spoken prompt name says; None for any other prompt."""
    if not prompt.startswith(SPOKEN):
        return None
    language, _, rest = prompt[len(SPOKEN) :].partition(":")
    company, _, rest = rest.partition(":")
    parts, _, text = rest.partition(":")
    if language not in LANGUAGES or not text or (company and not company.isdigit()):
        return None
    return Said(language, text, int(company) if company else None, tuple(parts.split()))


# --- what the console lists ----------------------------------------------------------------------------
_WORDS = {
    "vi": ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"],
    "en": [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ],
}
_TENS_EN = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def overridable(language: str) -> list[tuple[str, str, bool]]:
    """(prompt name, what the built-in says, optional) for every name a company may record, in `language`."""
    lang = _lang(language)
    en = lang == "en"
    position = _POSITION[lang].split("{n}")
    names: list[tuple[str, str, bool]] = [
        ("queue_position_before", position[0].strip(), False),
        ("queue_position_after", position[1].strip(), True),
        ("queue_wait_before", _WAIT[lang].split("{n}")[0].strip(), False),
        ("queue_wait_after", "", True),
        ("minutes", "minutes" if en else "phút", False),
    ]
    if en:
        names.append(("minute", "minute", False))
    names.append(("more_than", _MORE[lang].format(n="").strip(), False))
    names += [(f"num_{i}", word, False) for i, word in enumerate(_WORDS[lang])]
    if en:
        names += [(f"num_{(i + 2) * 10}", word, False) for i, word in enumerate(_TENS_EN)]
    else:
        names += [("num_muoi", "mươi", False), ("num_mot", "mốt", False), ("num_lam", "lăm", False)]
    names += [(p, _OVERRIDE[lang][k], False) for k, p in _OVERRIDE_PROMPT.items()]
    for condition, what in _CONDITION[lang].items():
        on = _FORWARD_ON[lang].split("{target}")[0].format(what=what).strip()
        names.append((f"forwarding_{condition}_to", on, False))
        names.append((f"forwarding_{condition}_off", _FORWARD_OFF[lang].format(what=what), False))
    names.append(("forwarding_on", _FORWARD_ON[lang].split("{target}")[1].strip(), False))
    names.append(("forwarding_refused", _FORWARD_REFUSED[lang], False))
    names.append((VOICEMAIL_GREETING, _VOICEMAIL_GREETING[lang], False))
    names.append((RECORDING_NOTICE, _RECORDING_NOTICE[lang], False))
    names += [(name, text, False) for name, text in _AGENT[lang].items()]
    return names
