"""SecretStore against a real Secret Service (gnome-keyring in a private D-Bus session) and without any."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest

from softphone.secrets import NoKeyringError, SecretStore, is_secure_backend

ROOT = Path(__file__).resolve().parents[2]

SESSION_BODY = textwrap.dedent(
    """
    import json
    from softphone.secrets import SecretStore
    store = SecretStore(service="softphone-test")
    out = {"backend": store.backend_name}
    store.set("sip:101@demo.local", "mật khẩu-101")
    store.set("api:refresh_token", "r" * 300)
    out["get"] = store.get("sip:101@demo.local")
    out["long"] = len(store.get("api:refresh_token") or "")
    # a second store object (as after an app restart) sees the same secret
    out["again"] = SecretStore(service="softphone-test").get("sip:101@demo.local")
    out["other_service"] = SecretStore(service="someone-else").get("sip:101@demo.local")
    out["deleted"] = store.delete("sip:101@demo.local")
    out["after_delete"] = store.get("sip:101@demo.local")
    out["delete_missing"] = store.delete("sip:never@demo.local")
    print("RESULT " + json.dumps(out))
    """
)


def _session_env(home: Path) -> dict[str, str]:
    dropped = ("DBUS_", "GNOME_KEYRING", "PYTHON_KEYRING")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    runtime = home / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(ROOT),
    )
    return env


needs_keyring = pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="dbus and gnome-keyring not installed",
)


def _in_keyring_session(home: Path, body: Path, then: str = "") -> tuple[dict[str, object], str]:
    """Run the Python file ``body`` (then the shell lines ``then``) inside a private D-Bus session with an
    unlocked gnome-keyring; returns what ``body`` printed after ``RESULT `` (JSON) and the whole stdout."""
    # --unlock reads the login keyring's password on stdin and creates that keyring on first use.
    script = (
        "printf 'known-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        f"{sys.executable} {body} || exit 1\n{then}exit 0\n"
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=_session_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"stdout: {proc.stdout[-2000:]} stderr: {proc.stderr[-2000:]}"
    return json.loads(lines[0].removeprefix("RESULT ")), proc.stdout


@pytest.mark.integration
@needs_keyring
def test_secrets_round_trip_through_gnome_keyring(tmp_path: Path) -> None:
    body = tmp_path / "body.py"
    body.write_text(SESSION_BODY)
    out, _ = _in_keyring_session(tmp_path, body)
    assert out["backend"] == "keyring.backends.SecretService.Keyring"
    assert out["get"] == "mật khẩu-101"
    assert out["long"] == 300
    assert out["again"] == "mật khẩu-101"
    assert out["other_service"] is None
    assert out["deleted"] is True
    assert out["after_delete"] is None
    assert out["delete_missing"] is False
    # The secret went to the keyring's own storage, not to a file of ours in plain text.
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "body.py":
            assert b"m\xe1\xba\xadt kh\xe1\xba\xa9u-101" not in path.read_bytes(), path


CLIENT_BODY = textwrap.dedent(
    """
    import asyncio, json
    import httpx
    from fastapi import FastAPI
    from softphone.provisioning import ProvisioningClient
    from softphone.secrets import SecretStore

    app = FastAPI()

    @app.post("/api/v1/auth/login")
    async def login(body: dict) -> dict:
        return {"access_token": "acc-1", "refresh_token": "ref-1", "token_type": "bearer", "expires_in": 900}

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        base = "http://testserver/api/v1"
        async with ProvisioningClient(base, SecretStore(), transport=transport) as api:
            await api.login("0912345678", "pw")
        # a new client (the app restarted) finds the tokens in the keyring
        async with ProvisioningClient(base, SecretStore(), transport=transport) as again:
            print("RESULT " + json.dumps({"logged_in": again.logged_in, "refresh": again.refresh_token}))

    asyncio.run(main())
    """
)


@pytest.mark.integration
@needs_keyring
def test_provisioning_tokens_live_in_the_keyring(tmp_path: Path) -> None:
    body = tmp_path / "client.py"
    body.write_text(CLIENT_BODY)
    # what the OS keyring itself holds, read with libsecret's own tool when installed
    secret_tool = (
        "command -v secret-tool >/dev/null && "
        "echo SECRET_TOOL $(secret-tool lookup service softphone username "
        "'api:http://testserver/api/v1:refresh_token')\n"
    )
    out, stdout = _in_keyring_session(tmp_path, body, then=secret_tool)
    assert out == {"logged_in": True, "refresh": "ref-1"}
    if shutil.which("secret-tool"):
        assert "SECRET_TOOL ref-1" in stdout


@pytest.mark.unit
@pytest.mark.parametrize(
    "backend",
    [
        keyring.backends.fail.Keyring(),
        keyring.backends.null.Keyring(),
        keyring.backends.chainer.ChainerBackend(),
    ],
    ids=["fail", "null", "empty-chain"],
)
def test_refuses_non_secure_backends(backend: keyring.backend.KeyringBackend) -> None:
    assert not is_secure_backend(backend)
    with pytest.raises(NoKeyringError, match="never stores passwords in plain text"):
        SecretStore(backend=backend)


@pytest.mark.unit
def test_refuses_a_plaintext_file_backend() -> None:
    class PlaintextKeyring(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must never be called")

        def delete_password(self, service: str, username: str) -> None:
            return None

    with pytest.raises(NoKeyringError):
        SecretStore(backend=PlaintextKeyring())


@pytest.mark.integration
def test_without_a_session_bus_the_default_store_raises(tmp_path: Path) -> None:
    # A fresh process with no D-Bus session and no configured backend: keyring falls back to its fail backend.
    code = (
        "from softphone.secrets import SecretStore, NoKeyringError\n"
        "try:\n    SecretStore()\nexcept NoKeyringError as e:\n    print('REFUSED', e)\n"
        "else:\n    print('ACCEPTED')\n"
    )
    env = _session_env(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "REFUSED" in proc.stdout, proc.stdout + proc.stderr
    assert "Secret Service" in proc.stdout


HELPER_BODY = textwrap.dedent(
    """
    import json, sys, time
    from softphone.secrets import KeyringProcess
    store = KeyringProcess(service="softphone-test", idle_s=0.5)
    out = {}
    store.set("sip:102@demo.local", "mật khẩu-102")
    out["get"] = store.get("sip:102@demo.local")
    # a second client (as after an app restart) reads it back from the keyring through its own helper
    again = KeyringProcess(service="softphone-test")
    out["again"] = again.get("sip:102@demo.local")
    out["missing"] = again.get("sip:nobody@demo.local")
    again.close()
    time.sleep(1.5)
    out["helper_ended_when_idle"] = not store.helper_running
    out["deleted"] = store.delete("sip:102@demo.local")
    out["after_delete"] = KeyringProcess(service="softphone-test").get("sip:102@demo.local")
    store.close()
    out["keyring_imported_here"] = [m for m in ("keyring", "cryptography") if m in sys.modules]
    print("RESULT " + json.dumps(out))
    """
)


@pytest.mark.integration
@needs_keyring
def test_keyring_process_round_trip_and_exits_when_idle(tmp_path: Path) -> None:
    body = tmp_path / "helper_body.py"
    body.write_text(HELPER_BODY)
    out, _ = _in_keyring_session(tmp_path, body)
    assert out == {
        "get": "mật khẩu-102",
        "again": "mật khẩu-102",
        "missing": None,
        "helper_ended_when_idle": True,
        "deleted": True,
        "after_delete": None,
        "keyring_imported_here": [],
    }


@pytest.mark.integration
def test_keyring_process_without_a_keyring_refuses_and_secrets_stay_in_memory(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from softphone.secrets import KeyringProcess, NoKeyringError\n"
        "from softphone.services import make_secrets\n"
        "try:\n    KeyringProcess(service='softphone-test').get('x')\n"
        "except NoKeyringError as e:\n    print('REFUSED', e)\n"
        "print('STORE', type(make_secrets()).__name__, 'keyring' in sys.modules)\n"
    )
    env = _session_env(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "REFUSED" in proc.stdout and "Secret Service" in proc.stdout, proc.stdout + proc.stderr
    assert "STORE MemorySecrets False" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.unit
def test_a_keyring_helper_that_never_answers_cannot_hang_the_app() -> None:
    from softphone.secrets import KeyringProcess

    silent = [sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(60)"]
    store = KeyringProcess(service="softphone-test", command=silent, answer_timeout_s=1.0)
    with pytest.raises(NoKeyringError, match="did not answer"):
        store.get("sip:101@demo.local")
    assert not store.helper_running
