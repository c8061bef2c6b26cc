"""The console language of each admin: their own choice, else their company's default, else Vietnamese.

Kept in the database (not only in a browser cookie), so it follows the admin across logins and browsers.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.errors import InvalidInput
from server.domain.models import Company, ConsoleLanguage, User

DEFAULT = ConsoleLanguage.VI.value


def language_of(user: User, company: Company | None) -> str:
    """The language the console shows ``user`` (``company``: theirs, for its default)."""
    for choice in (user.console_language, company.console_language if company is not None else None):
        if choice in set(ConsoleLanguage):
            return str(choice)
    return DEFAULT


async def choose_language(session: AsyncSession, *, user_id: int, language: str) -> None:
    """The admin's own choice (the language switch at the top of every console page)."""
    if language not in set(ConsoleLanguage):
        raise InvalidInput("invalid_language", "language: vi or en", fields={"console_language": "vi or en"})
    # a bulk update: the preference is nobody's routing fact (no change event, no reload)
    await session.execute(update(User).where(User.id == user_id).values(console_language=language))
    await session.commit()
