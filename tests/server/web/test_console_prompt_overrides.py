"""The prompts page lists the built-in names a company may record over (vi and en), each with the sentence
it replaces, and marks the ones the company has recorded, in chromium against the real demo server."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

import pytest

from server.callcenter.announce import overridable
from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _tone_wav(path: Path) -> Path:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 3))) for i in range(4000)))
    path.write_bytes(buffer.getvalue())
    return path


def test_the_built_in_names_are_listed_in_both_languages_and_a_recorded_one_is_marked(
    console_server, page, tmp_path
) -> None:
    rows = "#builtin tbody tr"
    for lang, heading, sentence in (
        ("vi", "Tên có sẵn bạn có thể thay bằng bản ghi của mình", "Quý khách đang ở vị trí số"),
        ("en", "Built-in names you can override", "You are caller number"),
    ):
        sign_in(page, console_server, lang=lang)
        page.goto(f"{console_server.url}/console/prompts")
        assert page.locator("#builtin h2").inner_text() == heading
        assert page.locator(rows).count() == len(overridable(lang))
        first = page.locator(rows).first.locator("td")
        assert first.nth(0).inner_text() == "queue_position_before"
        assert first.nth(1).inner_text() == sentence
        assert page.locator(f"{rows}:has(code:text-is('num_lam'))").count() == (lang == "vi")
        assert page.locator(f"{rows}:has(code:text-is('num_40'))").count() == (lang == "en")
    page.fill("#f-name", "queue_position_before")
    page.set_input_files("#f-file", str(_tone_wav(tmp_path / "before.wav")))
    page.click("#upload button.primary")
    assert page.locator(".flash").inner_text() == "Prompt saved: queue_position_before"
    marked = page.locator(f"{rows}:has(code:text-is('queue_position_before')) td").nth(2)
    assert marked.inner_text() == "✓"
    assert page.locator(f"{rows}:has(code:text-is('num_1')) td").nth(2).inner_text() == ""
    page.locator("#builtin").scroll_into_view_if_needed()
    shot(page, "prompt_overrides_en")
