"""TLS signalling and SRTP off/optional/mandatory between two engine processes."""

from __future__ import annotations

import datetime
import ipaddress
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from softphone.testing import tone_levels

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    c = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


def test_tls_call_with_mandatory_srtp(peers, cert, tmp_path: Path) -> None:
    b = peers("bob", "--tls-cert", cert[0], "--tls-key", cert[1], "--srtp", "mandatory", "--tone", "900",
              "--auto-answer")
    tls_port = b.find(lambda e: e["event"] == "Ready")["tls_port"]
    a = peers("alice", "--transport", "tls", "--srtp", "mandatory", "--tone", "500")
    call = a.command("make_call", account_id="local", target=f"sip:bob@127.0.0.1:{tls_port};transport=tls")
    a.wait_state("confirmed", call)
    a.command("start_monitor", path=str(tmp_path / "a.wav"))
    b.command("start_monitor", path=str(tmp_path / "b.wav"))
    time.sleep(1.2)
    a.command("stop_monitor")
    b.command("stop_monitor")
    assert tone_levels(tmp_path / "a.wav", [900])[900] > 0.5
    assert tone_levels(tmp_path / "b.wav", [500])[500] > 0.5
    assert a.command("call_stats", call_id=call)["srtp_active"] is True


@pytest.mark.parametrize(
    ("caller", "callee", "ok", "srtp"),
    [
        ("optional", "optional", True, True),
        ("off", "optional", True, False),
        ("off", "mandatory", False, False),
    ],
)
def test_srtp_negotiation(peers, caller: str, callee: str, ok: bool, srtp: bool) -> None:
    b = peers("bob", "--srtp", callee, "--auto-answer")
    a = peers("alice", "--srtp", caller)
    call = a.command("make_call", account_id="local", target=b.uri)
    if ok:
        a.wait_state("confirmed", call)
        assert a.command("call_stats", call_id=call)["srtp_active"] is srtp
    else:
        assert a.wait_state("disconnected", call)["code"] == 488
