"""Every message the console's templates and pages pass through `_()` has a Vietnamese translation."""

from __future__ import annotations

import pytest

from server.web.catalog_check import missing
from server.web.i18n import translations

pytestmark = pytest.mark.unit


def test_vietnamese_catalog_is_complete() -> None:
    assert missing("vi") == []


def test_catalogs_load_from_the_po_files() -> None:
    assert translations("vi").gettext("Sign in") == "Đăng nhập"
    assert translations("en").gettext("Sign in") == "Sign in"
    assert translations("fr").gettext("Sign in") == "Sign in"
