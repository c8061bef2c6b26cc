"""Console translations: Babel `.po` catalogs read at start-up (no compile step, so a clean clone, the wheel
and the PyInstaller build all work from the same files).  Message ids are English; `en` needs no catalog."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from server.domain.models import ConsoleLanguage

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = tuple(lang.value for lang in ConsoleLanguage)
DEFAULT_LANGUAGE = ConsoleLanguage.VI.value


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` (unknown languages and English fall back to the message ids)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "console.po"
    if lang not in LANGUAGES or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
