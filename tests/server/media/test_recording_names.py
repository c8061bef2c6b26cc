"""Recording file names stay inside their directory whatever the dialled number or Call-ID holds."""

from __future__ import annotations

import pytest

from server.media.recording import safe_name

pytestmark = [pytest.mark.unit]


def test_safe_name_never_escapes_the_directory():
    assert "/" not in safe_name("../../etc/passwd")
    assert not safe_name("../..").startswith(".")
    assert safe_name("") == "unknown"
    assert safe_name("*801") == "star801"
