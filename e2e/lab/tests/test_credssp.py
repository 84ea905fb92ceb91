"""The lab's CredSSP acceptor against an independent initiator (tests/credssp_client.py): real TLS from
Python's ssl module on both ends, real NTLM/SPNEGO from python3-gssapi with gss-ntlmssp, and Kerberos
from a throwaway MIT realm (the lab's kdc.py)."""

from __future__ import annotations

import base64
import datetime
import http.client
import os
import random
import re
import shutil
import ssl
import tempfile
from typing import Iterator, Optional
from urllib.parse import urlsplit

import gssapi.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from credssp_client import ClientOptions, CredSSPClientError, CredSSPInitiator, Request, der, explicit
from winrm_lab.accounts import REALM, AccountTable
from winrm_lab.contracts import Account
from winrm_lab.credssp import (
    MAX_TOKEN_BYTES,
    STATUS_LOGON_FAILURE,
    CredSSPAcceptor,
    CredSSPError,
    PasswordCredentials,
    TsRequest,
    client_binding_value,
    decode_password_credentials,
    decode_ts_request,
    encode_password_credentials,
    encode_ts_request,
    server_binding_value,
    tls_trailer_length,
)
from winrm_lab.kdc import KDC_BINARY, LabKdc
from wsman_client import CMD, WsmanClient, tls_context
from wsman_client import account as wsman_account

HOST = "win-lab.lab.test"
ALICE = Account("LAB", "alice", "Alice-Pass1")
BOB = Account("LAB", "bob", "Bob-Pass2")
ACCOUNTS = [ALICE, BOB]

# pyspnego tests/data vectors, quoted in PROTOCOL.md §5.2
TS_REQUEST_VECTOR = bytes.fromhex(
    "3044a003020106a10b30093007a0050403313233a20b04096175746820696e666fa30e040c707562206b65792061757468"
    "a40302010aa50e040c636c69656e74206e6f6e6365"
)
TS_PASSWORD_VECTOR = bytes.fromhex(
    "304da003020101a14604443042a018041664006f006d00610069006e0020006e0061006d006500a112041075007300650072"
    "006e0061006d006500a2120410700061007300730077006f0072006400"
)


def _self_signed(key) -> tuple[str, str]:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


@pytest.fixture(scope="module")
def workdir() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="credssp-test-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


# Kerberos configuration while no KDC runs: the realm's only KDC is a closed loopback port, so the krb5
# element of an SPNEGO password credential fails at once instead of asking DNS for the system default
# realm's KDCs (test traffic stays on loopback).
NO_KDC_KRB5_CONF = f"""[libdefaults]
 default_realm = {REALM}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
[realms]
 {REALM} = {{
  kdc = 127.0.0.1:1
 }}
"""


@pytest.fixture(scope="module")
def gss_files(workdir: str) -> dict[str, str]:
    users = os.path.join(workdir, "ntlm-users")
    with open(users, "w", encoding="utf-8") as handle:
        handle.writelines(f"{a.domain}:{a.user}:{a.password}\n" for a in ACCOUNTS)
    krb5_conf = os.path.join(workdir, "krb5-no-kdc.conf")
    with open(krb5_conf, "w", encoding="utf-8") as handle:
        handle.write(NO_KDC_KRB5_CONF)
    return {
        "NTLM_USER_FILE": users,
        "KRB5_CONFIG": krb5_conf,
        "KRB5_KTNAME": "FILE:" + os.path.join(workdir, "no-such.keytab"),
        "KRB5RCACHEDIR": workdir,
    }


@pytest.fixture(autouse=True)
def gss_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, gss_files: dict[str, str]) -> None:
    """GSSAPI at both ends reads this module's accounts and configuration; a test through the running lab
    keeps the lab's own environment, which may live in this very process."""
    if "lab" not in request.fixturenames:
        for name, value in gss_files.items():
            monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def rsa_pem() -> tuple[str, str]:
    return _self_signed(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ec_pem() -> tuple[str, str]:
    return _self_signed(ec.generate_private_key(ec.SECP256R1()))


def _acceptor(pem: tuple[str, str], **kwargs) -> CredSSPAcceptor:
    return CredSSPAcceptor(ACCOUNTS, pem[0], pem[1], **kwargs)


def _options(**overrides) -> ClientOptions:
    values = {"user": ALICE.qualified, "password": ALICE.password}
    values.update(overrides)
    return ClientOptions(**values)


def _authenticate(acceptor: CredSSPAcceptor, initiator: CredSSPInitiator) -> int:
    """Runs the exchange to completion; returns the number of HTTP legs it took."""
    token = initiator.step(None)
    legs = 0
    while True:
        assert token is not None
        legs += 1
        reply, complete = acceptor.step(token)
        if complete:
            assert initiator.step(reply) is None and initiator.complete
            return legs
        assert reply is not None
        token = initiator.step(reply)


# --- encodings ------------------------------------------------------------------------------------


def test_ts_request_matches_the_published_vector() -> None:
    request = TsRequest(6, [b"123"], b"auth info", b"pub key auth", 10, b"client nonce")
    assert encode_ts_request(request) == TS_REQUEST_VECTOR
    assert decode_ts_request(TS_REQUEST_VECTOR) == request


def test_password_credentials_match_the_published_vector() -> None:
    credentials = PasswordCredentials("domain name", "username", "password")
    assert encode_password_credentials(credentials) == TS_PASSWORD_VECTOR
    assert decode_password_credentials(TS_PASSWORD_VECTOR) == credentials


def test_negative_error_code_reads_as_ntstatus() -> None:
    request = Request(6, error_code=-(2**32 - STATUS_LOGON_FAILURE))  # how a signed encoder writes it
    assert decode_ts_request(request.encode()).error_code == STATUS_LOGON_FAILURE


def test_public_key_binding_vectors() -> None:
    key, nonce = bytes.fromhex("0001"), bytes.fromhex("0000")
    client_hash = "4590c26c837dacdf3da8fae578264d9e45486afc3951f21ef357064cd55fbbb5"
    server_hash = "cdf4ffee6cb6395e5b692c2da397386f6a1eab2d3a6271816a04c7a2914d333f"
    assert client_binding_value(key, 6, nonce).hex() == client_hash
    assert server_binding_value(key, 5, nonce).hex() == server_hash
    assert server_binding_value(key, 2, None) == bytes.fromhex("0101")


@pytest.mark.parametrize(
    ("protocol", "cipher", "expected"),
    [
        ("TLSv1.3", "TLS_AES_256_GCM_SHA384", 17),
        ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 16),
        ("TLSv1.2", "RC4-MD5", 16),
        ("TLSv1.2", "ECDH-ECDSA-3DES-SHA256", 34),
        ("TLSv1.2", "ECDH-RSA-AES-SHA384", 50),
        ("TLSv1.2", "ECDH-RSA-AES", 2),
    ],
)
def test_trailer_length_vectors(protocol: str, cipher: str, expected: int) -> None:
    assert tls_trailer_length(protocol, cipher, 30) == expected


# --- successful exchanges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mechanism", "version", "tls_maximum", "finished_alone"),
    [
        ("ntlm", 2, None, False),
        ("ntlm", 3, None, False),
        ("ntlm", 4, None, False),
        ("ntlm", 5, None, False),
        ("ntlm", 6, None, False),
        ("ntlm", 7, None, False),  # a future client: negotiated down to 6
        ("ntlm", 6, None, True),  # TLS 1.3 Finished in its own leg (pyspnego's initiator does this)
        ("ntlm", 6, ssl.TLSVersion.TLSv1_2, False),
        ("spnego-ntlm", 2, None, False),
        ("spnego-ntlm", 5, None, False),
        ("spnego-ntlm", 6, None, False),
        ("spnego-ntlm", 6, ssl.TLSVersion.TLSv1_2, True),
    ],
)
def test_exchange_succeeds(rsa_pem, mechanism: str, version: int, tls_maximum, finished_alone: bool) -> None:
    acceptor = _acceptor(rsa_pem)
    initiator = CredSSPInitiator(
        _options(
            mechanism=mechanism,
            version=version,
            tls_maximum=tls_maximum,
            finished_with_first_request=not finished_alone,
        )
    )
    legs = _authenticate(acceptor, initiator)
    assert acceptor.identity == "LAB\\alice"
    assert acceptor.inner_mechanism == "NTLM"
    assert acceptor.version == initiator.negotiated_version == min(version, 6)
    # ClientHello, NEGOTIATE (behind TLS 1.3's Finished), AUTHENTICATE with pubKeyAuth, authInfo; one more
    # leg when the Finished travels alone or TLS 1.2 needs its key-exchange round trip
    assert legs == (5 if finished_alone or tls_maximum == ssl.TLSVersion.TLSv1_2 else 4)


@pytest.mark.parametrize("version", [2, 6])
def test_exchange_with_an_ec_certificate(ec_pem, version: int) -> None:
    acceptor = _acceptor(ec_pem)
    _authenticate(acceptor, CredSSPInitiator(_options(version=version)))
    assert acceptor.identity == "LAB\\alice"


def test_upn_logon_name_and_case_insensitive_user(rsa_pem) -> None:
    acceptor = _acceptor(rsa_pem)
    _authenticate(acceptor, CredSSPInitiator(_options(user="LAB\\ALICE", delegated_user="\\Alice@lab.test")))
    assert acceptor.identity == "LAB\\alice"


# --- message encryption ---------------------------------------------------------------------------


@pytest.fixture
def session(rsa_pem, request) -> tuple[CredSSPAcceptor, CredSSPInitiator]:
    acceptor = _acceptor(rsa_pem)
    initiator = CredSSPInitiator(_options(**getattr(request, "param", {})))
    _authenticate(acceptor, initiator)
    return acceptor, initiator


@pytest.mark.parametrize(
    ("session", "trailer"),
    [
        ({}, 17),
        ({"tls_maximum": ssl.TLSVersion.TLSv1_2}, 16),
        # CBC with HMAC-SHA256: 32-byte MAC plus padding to 16 bytes; 30 + 32 = 62 → 2 bytes padding
        ({"tls_maximum": ssl.TLSVersion.TLSv1_2, "tls_ciphers": "ECDHE-RSA-AES128-SHA256"}, 34),
    ],
    indirect=["session"],
)
def test_wrap_unwrap_both_directions(session, trailer: int) -> None:
    acceptor, initiator = session
    header, data = acceptor.wrap(b"s" * 30)
    assert len(header) == trailer
    assert initiator.unwrap(header + data) == b"s" * 30
    for index, size in enumerate((1, 500, 16384, 7, 16384)):
        outbound = bytes([index]) * size
        header, data = acceptor.wrap(outbound)
        assert initiator.unwrap(header + data) == outbound
        inbound = os.urandom(size)
        records = initiator.wrap(inbound)
        assert acceptor.unwrap(records[:5], records[5:]) == inbound


def test_wrap_refuses_more_than_one_record(session) -> None:
    acceptor, _ = session
    with pytest.raises(ValueError):
        acceptor.wrap(b"x" * 16385)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage"])
def test_unwrap_of_damaged_records_fails_cleanly(session, damage: str) -> None:
    acceptor, initiator = session
    records = initiator.wrap(b"<s:Envelope/>" * 10)
    if damage == "truncated":
        records = records[:-3]
    elif damage == "flipped":
        records = records[:-1] + bytes([records[-1] ^ 1])
    else:
        records = os.urandom(64)
    with pytest.raises(CredSSPError):
        acceptor.unwrap(records[:16], records[16:])
    with pytest.raises(CredSSPError):  # the TLS stream is desynchronised: the context is gone
        acceptor.unwrap(b"", initiator.wrap(b"next"))


def test_wrap_before_completion_fails(rsa_pem) -> None:
    with pytest.raises(CredSSPError):
        _acceptor(rsa_pem).wrap(b"x")


# --- refusals -------------------------------------------------------------------------------------


def _refusal(acceptor: CredSSPAcceptor, initiator: CredSSPInitiator) -> CredSSPError:
    with pytest.raises(CredSSPError) as caught:
        _authenticate(acceptor, initiator)
    with pytest.raises(CredSSPError):  # a failed context stays failed
        acceptor.step(b"\x16\x03\x03\x00\x01\x01")
    return caught.value


@pytest.mark.parametrize("version", [2, 5, 6])
def test_wrong_delegated_password_is_a_logon_failure(rsa_pem, version: int) -> None:
    acceptor = _acceptor(rsa_pem)
    initiator = CredSSPInitiator(_options(version=version, password="wrong", inner_password=ALICE.password))
    error = _refusal(acceptor, initiator)
    assert error.ntstatus == STATUS_LOGON_FAILURE
    assert acceptor.identity is None
    if version == 6:  # versions 3, 4 and 6+ carry the NTSTATUS back in a TSRequest
        with pytest.raises(CredSSPClientError) as client_side:
            initiator.step(error.reply_token)
        assert client_side.value.error_code == STATUS_LOGON_FAILURE
    else:
        assert error.reply_token is None


@pytest.mark.parametrize("mechanism", ["ntlm", "spnego-ntlm"])
def test_wrong_inner_password_is_a_logon_failure(rsa_pem, mechanism: str) -> None:
    initiator = CredSSPInitiator(_options(mechanism=mechanism, inner_password="wrong"))
    assert _refusal(_acceptor(rsa_pem), initiator).ntstatus == STATUS_LOGON_FAILURE


def test_delegating_another_accounts_credentials_is_refused(rsa_pem) -> None:
    initiator = CredSSPInitiator(
        _options(delegated_user=BOB.qualified, password=BOB.password, inner_password=ALICE.password)
    )
    assert _refusal(_acceptor(rsa_pem), initiator).ntstatus == STATUS_LOGON_FAILURE


def test_unknown_account_is_a_logon_failure(rsa_pem) -> None:
    initiator = CredSSPInitiator(_options(delegated_user="OTHER\\alice", inner_password=ALICE.password))
    assert _refusal(_acceptor(rsa_pem), initiator).ntstatus == STATUS_LOGON_FAILURE


@pytest.mark.parametrize("version", [2, 6])
def test_public_key_mismatch_is_refused(rsa_pem, ec_pem, version: int) -> None:
    other_key = x509.load_pem_x509_certificate(ec_pem[0].encode()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    initiator = CredSSPInitiator(_options(version=version, bound_public_key=other_key))
    error = _refusal(_acceptor(rsa_pem), initiator)
    assert "pubKeyAuth" in str(error)


def test_client_below_the_minimum_version_is_refused(rsa_pem) -> None:
    _refusal(_acceptor(rsa_pem, min_client_version=5), CredSSPInitiator(_options(version=2)))


# --- malformed input ------------------------------------------------------------------------------


def _client_hello() -> bytes:
    return CredSSPInitiator(_options()).step(None)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"GET / HTTP/1.1\r\n\r\n", id="not-tls"),
        pytest.param(bytes(range(256)) * 4, id="garbage"),
        pytest.param(b"\x16\x03\x01\x40\x00", id="record-header-only"),
        pytest.param(b"\x16\x03\x01\xff\xff" + b"\x01" * 100, id="record-claims-more"),
        pytest.param(b"\x16\x03\x01\x00\x05\x01\x00\x01\x00\x00", id="handshake-message-claims-more"),
        pytest.param(b"\x16" * (MAX_TOKEN_BYTES + 1), id="oversized"),
    ],
)
def test_malformed_first_token_fails_cleanly(rsa_pem, token: bytes) -> None:
    with pytest.raises(CredSSPError):
        _acceptor(rsa_pem).step(token)


def test_truncated_client_hello_fails_cleanly(rsa_pem) -> None:
    hello = _client_hello()
    with pytest.raises(CredSSPError):
        _acceptor(rsa_pem).step(hello[: len(hello) // 2])


class RawTlsClient:
    """Just the TLS layer of an initiator, to put arbitrary bytes inside the session."""

    def __init__(self, acceptor: CredSSPAcceptor):
        self.acceptor = acceptor
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                reply, _ = acceptor.step(self.outgoing.read())
                self.incoming.write(reply)

    def send(self, plaintext: bytes) -> tuple[Optional[bytes], bool]:
        self.tls.write(plaintext)
        return self.acceptor.step(self.outgoing.read())  # TLS 1.3: our Finished rides along first


NEGOTIATE_TOKEN_PREFIX = b"NTLMSSP\x00\x01\x00\x00\x00"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"hello", id="not-der"),
        pytest.param(b"\x30\x84\x7f\xff\xff\xff" + b"\x00" * 32, id="claims-2GiB"),
        pytest.param(b"\x30\x82\x01\x00" + b"\x00" * 10, id="length-lies"),
        pytest.param(b"\x30\x03\x02\x01\x06", id="version-untagged"),
        pytest.param(Request(6).encode(), id="nothing-to-do"),
        pytest.param(Request(6, nego_tokens=[b"\x00\x01garbage"]).encode(), id="garbage-nego-token"),
        pytest.param(Request(6, nego_tokens=[NEGOTIATE_TOKEN_PREFIX + b"\xff" * 3]).encode(), id="short-ntlm"),
        pytest.param(Request(6, pub_key_auth=b"\x01" * 48, client_nonce=b"\x00" * 32).encode(), id="pubkeyauth-first"),
        pytest.param(Request(6, auth_info=b"\x01" * 48).encode(), id="authinfo-first"),
        pytest.param(Request(1, nego_tokens=[b"x"]).encode(), id="version-1"),
        pytest.param(Request(6, nego_tokens=[b"\x60" * 150_000]).encode(), id="oversized-ts-request"),
        pytest.param(der(0x30, explicit(0, der(0x02, b"\x01" * 40))), id="huge-version"),
    ],
)
def test_malformed_ts_request_fails_cleanly(rsa_pem, payload: bytes) -> None:
    client = RawTlsClient(_acceptor(rsa_pem))
    with pytest.raises(CredSSPError):
        client.send(payload)


def test_client_error_code_is_raised_and_not_answered(rsa_pem) -> None:
    client = RawTlsClient(_acceptor(rsa_pem))
    with pytest.raises(CredSSPError) as caught:
        client.send(Request(6, error_code=0xC0000022).encode())
    assert caught.value.ntstatus == 0xC0000022
    assert caught.value.reply_token is None


def test_mutated_ts_requests_never_escape_as_other_errors() -> None:
    generator = random.Random(1234)
    for _ in range(2000):
        mutated = bytearray(TS_REQUEST_VECTOR)
        for _ in range(generator.randint(1, 4)):
            mutated[generator.randrange(len(mutated))] = generator.randrange(256)
        cut = generator.randint(0, len(mutated))
        for candidate in (bytes(mutated), bytes(mutated[:cut])):
            try:
                decode_ts_request(candidate)
            except CredSSPError:
                pass


def _replay_with_damage(acceptor: CredSSPAcceptor, damaged_leg: int, generator: random.Random) -> None:
    """Runs a good initiator against the acceptor with a few bits of one client token flipped. The
    acceptor must refuse with CredSSPError (or the initiator notice first); anything else propagates."""
    initiator = CredSSPInitiator(_options())
    token = initiator.step(None)
    leg = 0
    while True:
        if leg == damaged_leg:
            damaged = bytearray(token)
            for _ in range(generator.randint(1, 3)):
                damaged[generator.randrange(len(damaged))] ^= 1 << generator.randrange(8)
            token = bytes(damaged)
        try:
            reply, complete = acceptor.step(token)
        except CredSSPError:
            return
        if complete:
            pytest.fail(f"damaged leg {damaged_leg} went through")
        try:
            token = initiator.step(reply)
        except (ssl.SSLError, gssapi.exceptions.GSSError, CredSSPClientError):
            return
        leg += 1


def test_damaged_legs_of_a_real_exchange_fail_cleanly(rsa_pem) -> None:
    generator = random.Random(99)
    for trial in range(40):
        _replay_with_damage(_acceptor(rsa_pem), trial % 4, generator)


# --- Kerberos inside CredSSP (the lab's KDC) -------------------------------------------------------


@pytest.fixture(scope="module")
def lab_kdc(workdir: str) -> Iterator[LabKdc]:
    assert os.path.exists(KDC_BINARY), "MIT krb5kdc is not installed (scripts/install-deps.sh installs krb5-kdc)"
    kdc = LabKdc(workdir, AccountTable(list(ACCOUNTS)), HOST)
    kdc.start()
    yield kdc
    kdc.close()


@pytest.fixture
def kerberos_realm(lab_kdc: LabKdc, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KRB5_CONFIG", lab_kdc.krb5_conf)
    monkeypatch.setenv("KRB5_KTNAME", "FILE:" + lab_kdc.keytab)
    monkeypatch.setenv("KRB5RCACHEDIR", lab_kdc.directory)
    return REALM


@pytest.mark.parametrize("mechanism", ["spnego-krb5", "ntlm", "spnego-ntlm"])
def test_exchange_with_the_lab_realm_configured(rsa_pem, kerberos_realm: str, mechanism: str) -> None:
    acceptor = _acceptor(rsa_pem)
    user = f"alice@{kerberos_realm}" if mechanism == "spnego-krb5" else ALICE.qualified
    initiator = CredSSPInitiator(_options(mechanism=mechanism, user=user))
    _authenticate(acceptor, initiator)
    assert acceptor.identity == "LAB\\alice"
    assert acceptor.inner_mechanism == ("Kerberos" if mechanism == "spnego-krb5" else "NTLM")


# --- end to end: the running lab over HTTP and HTTPS ------------------------------------------------

BOUNDARY = b"Encrypted Boundary"
CREDSSP_PROTOCOL = b"application/HTTP-CredSSP-session-encrypted"
CHUNK = 16384


def _trailer_length(initiator: CredSSPInitiator) -> int:
    """SChannel's trailer length for the suites the lab negotiates: 17 for TLS 1.3, 16 for AES-GCM."""
    version, cipher = initiator.tls.version(), initiator.tls.cipher()[0]
    assert version == "TLSv1.3" or "GCM" in cipher, cipher
    return 17 if version == "TLSv1.3" else 16


def _seal(soap: bytes, initiator: CredSSPInitiator) -> tuple[str, bytes]:
    """MS-WSMV 2.2.9.1 CredSSP encryption, written here apart from the lab's encryption.py: 16 KiB
    chunks, each one TLS record whose first `trailer` bytes count as the header."""
    trailer = _trailer_length(initiator)
    chunks = [soap[offset : offset + CHUNK] for offset in range(0, len(soap), CHUNK)]
    body = b""
    for chunk in chunks:
        records = initiator.wrap(chunk)
        body += (
            b"--" + BOUNDARY + b"\r\n\tContent-Type: " + CREDSSP_PROTOCOL + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(chunk)).encode() + b"\r\n"
            b"--" + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
            + trailer.to_bytes(4, "little") + records
        )
    body += b"--" + BOUNDARY + b"--\r\n"
    kind = "multipart/x-multi-encrypted" if len(chunks) > 1 else "multipart/encrypted"
    return f'{kind};protocol="{CREDSSP_PROTOCOL.decode()}";boundary="{BOUNDARY.decode()}"', body


def _open_sealed(content_type: str, body: bytes, initiator: CredSSPInitiator) -> bytes:
    assert content_type.startswith(("multipart/encrypted;", "multipart/x-multi-encrypted;")), content_type
    assert CREDSSP_PROTOCOL.decode() in content_type
    body = body[: body.rindex(b"--" + BOUNDARY + b"--\r\n")]
    sections = [section for section in re.split(rb"--\s*" + BOUNDARY + rb"\r\n", body) if section]
    plaintext = b""
    for description, payload in zip(sections[0::2], sections[1::2]):
        length = int(re.search(rb"Length=(\d+)", description).group(1))
        sealed = payload.split(b"application/octet-stream\r\n", 1)[1]
        header_length = int.from_bytes(sealed[:4], "little")
        assert header_length == _trailer_length(initiator)
        chunk = initiator.unwrap(sealed[4:])
        assert len(chunk) == length
        plaintext += chunk
    return plaintext


class CredSSPWsmanClient(WsmanClient):
    """wsman_client's operations on one keep-alive connection authenticated with this module's
    initiator, every message in CredSSP message encryption (HTTP and HTTPS alike)."""

    def __init__(self, lab: dict, url: str, options: ClientOptions):
        super().__init__(lab)
        self.url = url
        parts = urlsplit(url)
        if parts.scheme == "https":
            self.http = http.client.HTTPSConnection(parts.hostname, parts.port, context=tls_context(lab), timeout=60)
        else:
            self.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.initiator = CredSSPInitiator(options)
        self.response_types: list[str] = []

    def authenticate(self) -> int:
        """Runs the CredSSP legs on empty POSTs; returns the final HTTP status."""
        token = self.initiator.step(None)
        while True:
            authorization = "CredSSP " + base64.b64encode(token).decode()
            self.http.request("POST", "/wsman", body=b"", headers={"Authorization": authorization})
            response = self.http.getresponse()
            response.read()
            offered = [value for name, value in response.getheaders()
                       if name.lower() == "www-authenticate" and value.startswith("CredSSP ")]
            if response.status != 401 or not offered:
                return response.status
            token = self.initiator.step(base64.b64decode(offered[0].split(" ", 1)[1]))

    def post(self, body: bytes, headers: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
        content_type, sealed = _seal(body, self.initiator)
        self.http.request("POST", "/wsman", body=sealed, headers={"Content-Type": content_type})
        response = self.http.getresponse()
        payload = response.read()
        reply_type = response.getheader("Content-Type", "")
        self.response_types.append(reply_type)
        return response.status, _open_sealed(reply_type, payload, self.initiator)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def credssp_lab(lab: dict, admin, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The running lab with CredSSP enabled; this process's Kerberos library uses the lab's realm (its
    KDC is on loopback), so SPNEGO's krb5 element never looks further."""
    admin.settings(auth_credssp=True)
    monkeypatch.setenv("KRB5_CONFIG", lab["krb5_conf"])
    return lab


@pytest.mark.parametrize(
    ("url_name", "mechanism"),
    [("http_url", "ntlm"), ("https_url", "spnego-ntlm"), ("http_url", "spnego-krb5")],
)
def test_cmd_shell_through_the_lab_over_credssp(credssp_lab: dict, url_name: str, mechanism: str) -> None:
    entry = wsman_account(credssp_lab, "alice")
    user = entry["upn"] if mechanism == "spnego-krb5" else entry["user"]
    client = CredSSPWsmanClient(
        credssp_lab, credssp_lab[url_name], ClientOptions(user=user, password=entry["password"], mechanism=mechanism)
    )
    try:
        assert client.authenticate() == 200 and client.initiator.complete
        shell_id = client.create_cmd()
        stdin = bytes(random.Random(5).randrange(32, 127) for _ in range(40_000))  # > 2 chunks once base64'd
        stdout, _, exit_code = client.run_cmd(shell_id, "cat", stdin=stdin)
        assert (stdout, exit_code) == (stdin, 0)
        client.delete(CMD, shell_id)
        assert all(CREDSSP_PROTOCOL.decode() in reply_type for reply_type in client.response_types)
    finally:
        client.close()


def test_wrong_password_through_the_lab_is_refused(credssp_lab: dict) -> None:
    entry = wsman_account(credssp_lab, "alice")
    options = ClientOptions(user=entry["user"], password="wrong", inner_password=entry["password"])
    client = CredSSPWsmanClient(credssp_lab, credssp_lab["https_url"], options)
    try:
        with pytest.raises(CredSSPClientError) as refusal:
            client.authenticate()
        assert refusal.value.error_code == STATUS_LOGON_FAILURE
    finally:
        client.close()
