"""The SIP flood protection is the operator's: trusted networks and limits from the config file or the
environment, refused with a clear message when malformed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.settings import load_settings

pytestmark = pytest.mark.unit


def test_from_the_environment_comma_separated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SOFTPHONE_SERVER_SIP_TRUSTED_NETWORKS", "10.0.0.0/8, 203.0.113.7")
    monkeypatch.setenv("SOFTPHONE_SERVER_SIP_FLOOD_RATE", "1000")
    s = load_settings(None, demo=True, data_dir=tmp_path)
    assert s.sip_trusted_networks == ["10.0.0.0/8", "203.0.113.7"]
    assert s.sip_flood_rate == 1000


def test_from_the_config_file(tmp_path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        'sip_trusted_networks = ["192.0.2.0/24"]\nsip_flood_burst = 50\nsip_auth_failures = 3\n'
    )
    s = load_settings(config, demo=True, data_dir=tmp_path)
    assert s.sip_trusted_networks == ["192.0.2.0/24"] and s.sip_flood_burst == 50 and s.sip_auth_failures == 3


def test_a_bad_network_is_refused_with_its_name(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"'10\.0\.0\.300/8' is not an IP address or network"):
        load_settings(None, demo=True, data_dir=tmp_path, sip_trusted_networks="10.0.0.300/8")
    with pytest.raises(ValidationError):
        load_settings(None, demo=True, data_dir=tmp_path, sip_flood_rate=0)
