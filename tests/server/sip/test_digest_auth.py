import pytest

from server.sip.auth import AuthOutcome, DigestAuthenticator, client_authorization, parse_digest
from server.sip.directory import SipCredential
from server.sip.memory_directory import InMemoryDirectory

pytestmark = pytest.mark.unit

REALM = "demo.local"


@pytest.fixture
def cred() -> SipCredential:
    d = InMemoryDirectory()
    d.add_user(1, "101", domain=REALM)
    return d.add_device(1, "101", "demo101", store_plaintext=False)


def answer(challenge: str, *, password: str = "demo101", nc: int = 1, username: str = "101") -> str:
    return client_authorization(
        challenge, method="REGISTER", uri="sip:demo.local", username=username, password=password, nc=nc
    )


@pytest.mark.parametrize("index", [0, 1], ids=["sha256", "md5"])
def test_both_algorithms_accepted(cred: SipCredential, index: int) -> None:
    auth = DigestAuthenticator()
    challenge = auth.challenges(REALM, 1000.0, user_agent="Softphone/0.1")[index]
    r = auth.verify([answer(challenge)], realm=REALM, method="REGISTER", credential=cred, now=1001.0)
    assert r.outcome is AuthOutcome.OK
    assert r.username == "101"


def test_challenge_lists_sha256_first_for_rfc8760_clients() -> None:
    values = DigestAuthenticator().challenges(REALM, 0.0, user_agent="Softphone-Desktop/0.1")
    assert "algorithm=SHA-256" in values[0] and "algorithm=MD5" in values[1]
    assert all('qop="auth"' in v and f'realm="{REALM}"' in v for v in values)


@pytest.mark.parametrize("agent", [None, "SIPp/3.6", "baresip v1.0.0 (x86_64/linux)", "Yealink SIP-T46S"])
def test_other_clients_get_md5_only(agent: str | None) -> None:
    values = DigestAuthenticator().challenges(REALM, 0.0, user_agent=agent)
    assert len(values) == 1 and "algorithm=MD5" in values[0]


def test_wrong_password_invalid(cred: SipCredential) -> None:
    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0]
    r = auth.verify([answer(ch, password="nope")], realm=REALM, method="REGISTER", credential=cred, now=1.0)
    assert r.outcome is AuthOutcome.INVALID


def test_unknown_user_gets_same_outcome_as_wrong_password() -> None:
    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0]
    r = auth.verify([answer(ch, username="999")], realm=REALM, method="REGISTER", credential=None, now=1.0)
    assert r.outcome is AuthOutcome.INVALID


def test_expired_nonce_is_stale_and_new_challenge_says_so(cred: SipCredential) -> None:
    auth = DigestAuthenticator(nonce_ttl=60)
    ch = auth.challenges(REALM, 0.0)[0]
    r = auth.verify([answer(ch)], realm=REALM, method="REGISTER", credential=cred, now=61.0)
    assert r.outcome is AuthOutcome.STALE
    assert all("stale=true" in v for v in auth.challenges(REALM, 61.0, stale=True))


def test_replayed_nonce_count_refused_increasing_accepted(cred: SipCredential) -> None:
    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0]
    kw = dict(realm=REALM, method="REGISTER", credential=cred)
    assert auth.verify([answer(ch, nc=1)], now=1.0, **kw).outcome is AuthOutcome.OK
    assert auth.verify([answer(ch, nc=1)], now=2.0, **kw).outcome is AuthOutcome.INVALID
    assert auth.verify([answer(ch, nc=2)], now=3.0, **kw).outcome is AuthOutcome.OK


def test_forged_nonce_refused(cred: SipCredential) -> None:
    other = DigestAuthenticator()
    ch = other.challenges(REALM, 0.0)[0]
    r = DigestAuthenticator().verify([answer(ch)], realm=REALM, method="REGISTER", credential=cred, now=1.0)
    assert r.outcome is AuthOutcome.INVALID


def test_missing_and_foreign_realm(cred: SipCredential) -> None:
    auth = DigestAuthenticator()
    assert (
        auth.verify([], realm=REALM, method="REGISTER", credential=cred, now=0).outcome is AuthOutcome.MISSING
    )
    ch = auth.challenges("other.example", 0.0)[0]
    r = auth.verify([answer(ch)], realm=REALM, method="REGISTER", credential=cred, now=1.0)
    assert r.outcome is AuthOutcome.MISSING


def test_qop_required(cred: SipCredential) -> None:
    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0].replace(', qop="auth"', "")
    r = auth.verify([answer(ch)], realm=REALM, method="REGISTER", credential=cred, now=1.0)
    assert r.outcome is AuthOutcome.INVALID


def test_method_bound(cred: SipCredential) -> None:
    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0]
    r = auth.verify([answer(ch)], realm=REALM, method="INVITE", credential=cred, now=1.0)
    assert r.outcome is AuthOutcome.INVALID


def test_disabled_credential_refused(cred: SipCredential) -> None:
    from dataclasses import replace

    auth = DigestAuthenticator()
    ch = auth.challenges(REALM, 0.0)[0]
    r = auth.verify(
        [answer(ch)], realm=REALM, method="REGISTER", credential=replace(cred, enabled=False), now=1.0
    )
    assert r.outcome is AuthOutcome.INVALID


def test_parse_digest_quoted_escapes_and_malformed() -> None:
    d = parse_digest(r'Digest username="a\"b", realm="r", nonce="n", uri="sip:x", response="AB", nc=00000001')
    assert d is not None and d.username == 'a"b' and d.response == "ab" and d.nc == "00000001"
    assert parse_digest("Basic Zm9v") is None
    assert parse_digest('Digest username="a"') is None
    auth = DigestAuthenticator()
    r = auth.verify(['Digest username="a", ,,=='], realm=REALM, method="REGISTER", credential=None, now=0.0)
    assert r.outcome is AuthOutcome.MALFORMED
