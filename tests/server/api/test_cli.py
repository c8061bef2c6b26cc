"""`softphone-server`: the demo server in a subprocess, and the admin subcommands in-process."""

from __future__ import annotations

import httpx
import pytest

from server.cli import main

pytestmark = pytest.mark.integration


def test_run_demo_serves_http_and_prints_credentials(demo_server) -> None:
    text = demo_server.text()
    assert "SIP domain demo.local" in text
    assert "password admin1234" in text
    for ext in ("101", "102", "103"):
        assert f"SIP user {ext}@demo.local  SIP password demo{ext}" in text
        assert f"login 0901000{ext}" in text and f"password agent{ext}" in text
    assert "02873001234 (viettel)" in text and "02873005678 (mobifone)" in text
    assert "dial *43" in text
    base = f"{demo_server.base_url}/api/v1"
    assert httpx.get(f"{base}/openapi.json", timeout=10).json()["info"]["title"]
    r = httpx.post(f"{base}/auth/login", json={"login": "84901000101", "password": "agent101"}, timeout=10)
    assert r.status_code == 200
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    accounts = httpx.get(f"{base}/me/accounts", headers=headers, timeout=10).json()
    doc = httpx.post(
        f"{base}/me/accounts/{accounts[0]['device_id']}/activate", headers=headers, timeout=10
    ).json()
    assert doc["account"]["registrar"] == f"sip:127.0.0.1:{demo_server.sip_port}"
    assert doc["account"]["sip_password"] == "demo101"


def test_create_company_and_reset_admin_password(tmp_path, capsys, monkeypatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("SOFTPHONE_SERVER_")]:
        monkeypatch.delenv(key)
    data = str(tmp_path)
    rc = main(
        [
            "create-company",
            "--data-dir",
            data,
            "--name",
            "Acme",
            "--domain",
            "acme.example",
            "--admin-phone",
            "0911222333",
            "--admin-password",
            "first-pass",
            "--admin-email",
            "boss@acme.example",
        ]
    )
    assert rc == 0
    assert "SIP domain acme.example" in capsys.readouterr().out
    assert (tmp_path / "secret_key").exists()  # generated, not a default
    rc = main(
        [
            "create-company",
            "--data-dir",
            data,
            "--name",
            "Acme 2",
            "--domain",
            "acme.example",
            "--admin-phone",
            "0911222444",
            "--admin-password",
            "first-pass",
        ]
    )
    assert rc == 1 and "SIP domain already used" in capsys.readouterr().err
    rc = main(
        [
            "reset-admin-password",
            "--data-dir",
            data,
            "--login",
            "boss@acme.example",
            "--password",
            "second-pass",
        ]
    )
    assert rc == 0 and "84911222333" in capsys.readouterr().out
    rc = main(
        ["reset-admin-password", "--data-dir", data, "--login", "0900000000", "--password", "second-pass"]
    )
    assert rc == 1
    assert main(["migrate", "--data-dir", data]) == 0


def test_placeholder_secret_is_refused_outside_demo(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SOFTPHONE_SERVER_SECRET_KEY", "change-me")
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 2
    assert "placeholder" in capsys.readouterr().err


def test_config_file_and_env_precedence(tmp_path, monkeypatch) -> None:
    from server.settings import load_settings

    config = tmp_path / "server.toml"
    config.write_text('http_port = 9000\nsip_port = 5070\nsrtp = "mandatory"\n')
    monkeypatch.setenv("SOFTPHONE_SERVER_SIP_PORT", "5080")
    settings = load_settings(config, data_dir=tmp_path)
    assert settings.http_port == 9000 and settings.sip_port == 5080 and settings.srtp == "mandatory"
    assert load_settings(config, data_dir=tmp_path, http_port=9100).http_port == 9100
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'softphone.db'}"
