"""Which console message ids lack a Vietnamese translation (`python -m server.web.catalog_check`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

HERE = Path(__file__).parent
_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")
# Messages the pages pass through `_()` as data (flashes, error texts, labels from tuples).
_MARKED = re.compile(r"""\bN_\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")


def message_ids() -> set[str]:
    found: set[str] = set()
    for path in [*HERE.glob("templates/*.html"), *HERE.glob("pages/*.py"), *HERE.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for match in _CALL.finditer(text):
            found.add((match.group(1) or match.group(2) or "").replace('\\"', '"'))
        for match in _MARKED.finditer(text):
            found.add(match.group(1))
    return found - {""}


def missing(lang: str = "vi") -> list[str]:
    with (HERE / "locale" / lang / "LC_MESSAGES" / "console.po").open("rb") as f:
        catalog = read_po(f)
    return sorted(m for m in message_ids() if not (catalog.get(m) and catalog.get(m).string))


if __name__ == "__main__":
    gaps = missing()
    print("\n".join(gaps))
    sys.exit(1 if gaps else 0)
