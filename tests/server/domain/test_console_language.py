"""An admin's console language: their own choice, else the company's default, else Vietnamese."""

from __future__ import annotations

import pytest

from server.domain.console_language import language_of
from server.domain.models import Company, User

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("own", "company_default", "shown"),
    [("en", None, "en"), ("vi", "en", "vi"), (None, "en", "en"), (None, None, "vi"), ("fr", "xx", "vi")],
)
def test_language_falls_back_to_the_company_then_vietnamese(own, company_default, shown) -> None:
    user = User(console_language=own)
    assert language_of(user, Company(console_language=company_default)) == shown
    assert language_of(user, None) == (own if own in ("vi", "en") else "vi")
