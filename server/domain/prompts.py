"""A company's prompts: uploaded (or spoken from text) WAV files the IVR, queues and voicemail play by name.

Files live under ``<prompts_dir>/<company_id>/<name>.wav`` (no table: the name is the reference that
configurations hold).  Every file is stored as the media plane wants it, 48 kHz 16-bit mono PCM
(``server/media/prompts.py`` says why), converted from whatever PCM WAV was uploaded.  Uploads are checked
before anything is written, and every change is audited.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.callcenter import KINDS, list_configured
from server.domain.context import DomainContext
from server.domain.errors import Conflict, InvalidInput, NotFound

RATE = 48000
MAX_BYTES = 20 * 1024 * 1024
MAX_SECONDS = 600
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
# the keys of configuration documents that name a prompt (destinations' "prompt" included)
PROMPT_KEYS = frozenset({"greeting", "invalid_prompt", "timeout_prompt", "moh", "prompt"})
TTS_VOICES = {"vi": "vi", "en": "en"}


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    seconds: float
    size: int


def company_dir(prompts_dir: Path, company_id: int) -> Path:
    return prompts_dir / str(int(company_id))


def prompt_path(prompts_dir: Path, company_id: int, name: str) -> Path:
    """The file of prompt `name` (NotFound when there is none)."""
    if not NAME.match(name):
        raise NotFound("prompt")
    path = company_dir(prompts_dir, company_id) / f"{name}.wav"
    if not path.is_file():
        raise NotFound("prompt")
    return path


def list_prompts(prompts_dir: Path, company_id: int) -> list[Prompt]:
    folder = company_dir(prompts_dir, company_id)
    found: list[Prompt] = []
    for path in sorted(folder.glob("*.wav")) if folder.is_dir() else []:
        with wave.open(str(path), "rb") as wav:
            seconds = wav.getnframes() / wav.getframerate()
        found.append(Prompt(name=path.stem, seconds=round(seconds, 1), size=path.stat().st_size))
    return found


def _bad(message: str) -> InvalidInput:
    return InvalidInput("invalid_wav", message, fields={"file": message})


def to_media_wav(data: bytes) -> bytes:
    """`data` (PCM WAV: 8/16-bit, mono or stereo, 8-96 kHz) as 48 kHz 16-bit mono; InvalidInput otherwise."""
    if not data:
        raise _bad("The file is empty.")
    if len(data) > MAX_BYTES:
        raise _bad("The file is larger than 20 MB.")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _bad("Not a WAV file.")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise _bad("Only uncompressed PCM WAV files can be used.") from exc
    if width not in (1, 2) or channels not in (1, 2) or not 8000 <= rate <= 96000:
        raise _bad("Use 8- or 16-bit PCM, mono or stereo, 8-96 kHz.")
    if width == 1:
        samples = (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    else:
        samples = np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.float64)
    if channels == 2:
        samples = samples[: len(samples) // 2 * 2].reshape(-1, 2).mean(axis=1)
    if len(samples) < rate // 10:
        raise _bad("The recording is shorter than 0.1 s.")
    if len(samples) / rate > MAX_SECONDS:
        raise _bad("The recording is longer than 10 minutes.")
    if rate != RATE:
        count = round(len(samples) * RATE / rate)
        samples = np.interp(np.arange(count) * (rate / RATE), np.arange(len(samples)), samples)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return out.getvalue()


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.match(name):
        raise InvalidInput(
            "invalid_prompt_name",
            "Use 1-60 lower-case letters, digits, - or _.",
            fields={"name": "Use 1-60 lower-case letters, digits, - or _."},
        )
    return name


async def save_prompt(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    prompts_dir: Path,
    company_id: int,
    name: str,
    data: bytes,
    actor_id: int | None,
    source: str = "upload",
) -> Prompt:
    """Store (or replace) prompt `name` from WAV bytes; nothing is written when the file is refused."""
    name = check_name(name)
    # off the event loop: converting minutes of audio takes a while, and the SIP core shares the loop
    wav_bytes = await asyncio.to_thread(to_media_wav, data)
    folder = company_dir(prompts_dir, company_id)
    target = folder / f"{name}.wav"
    replaced = target.exists()
    tmp = folder / f".{name}.tmp"
    await asyncio.to_thread(_write, tmp, wav_bytes)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="update" if replaced else "create",
        entity="prompt",
        entity_id=None,
        detail={"name": name, "source": source, "bytes": len(wav_bytes)},
    )
    await session.commit()
    tmp.replace(target)
    return Prompt(name=name, seconds=round((len(wav_bytes) - 44) / 2 / RATE, 1), size=len(wav_bytes))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def tts_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, lang: str) -> bytes:
    """`text` spoken by espeak-ng in `lang` (vi or en) as WAV bytes (InvalidInput when it cannot be)."""
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput(
            "invalid_text", "Write 1-2000 characters.", fields={"text": "Write 1-2000 characters."}
        )
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise InvalidInput("no_tts", "Text to speech is not installed on this server.")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tts.wav"
        subprocess.run(
            [exe, "-v", TTS_VOICES.get(lang, "vi"), "-w", str(out), "--", text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()


def spoken_path(prompts_dir: Path, language: str, text: str) -> Path:
    """Where `text` spoken in `language` is kept: ``<prompts_dir>/spoken/<language>/<hash>.wav``."""
    digest = hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:24]
    return prompts_dir / "spoken" / language / f"{digest}.wav"


def spoken_prompt(prompts_dir: Path, language: str, text: str) -> Path | None:
    """`text` spoken in `language` as a media-plane WAV at :func:`spoken_path` (synthesized the first
    time, kept after: one file per sentence); None without text to speech.  Blocking."""
    path = spoken_path(prompts_dir, language, text)
    digest = path.stem
    if path.is_file():
        return path
    try:
        wav = to_media_wav(speak(text, language))
    except (InvalidInput, OSError, subprocess.SubprocessError):
        return None
    tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
    _write(tmp, wav)
    tmp.replace(path)
    return path


async def _users_of(session: AsyncSession, company_id: int, name: str) -> list[str]:
    def names_prompt(doc: object) -> bool:
        if isinstance(doc, dict):
            return any((k in PROMPT_KEYS and v == name) or names_prompt(v) for k, v in doc.items())
        if isinstance(doc, list):
            return any(names_prompt(v) for v in doc)
        return False

    found = []
    for kind, (_model, entity, _dest) in KINDS.items():
        for row in await list_configured(session, company_id=company_id, kind=kind):
            if names_prompt(row.config):
                found.append(f"{entity} {row.name}")
    return found


async def delete_prompt(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    prompts_dir: Path,
    company_id: int,
    name: str,
    actor_id: int | None,
) -> None:
    """Delete prompt `name`; Conflict while a configuration still plays it."""
    path = prompt_path(prompts_dir, company_id, name)
    users = await _users_of(session, company_id, name)
    if users:
        raise Conflict("in_use", f"still used by {', '.join(users)}", fields={"name": "in_use"})
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action="delete",
        entity="prompt",
        entity_id=None,
        detail={"name": name},
    )
    await session.commit()
    path.unlink(missing_ok=True)
