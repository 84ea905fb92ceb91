"""The lab's authentication and message encryption through its real listener, against independent
initiators: python3-gssapi (MIT krb5 with the lab's KDC, gss-ntlmssp), raw HTTP for Basic, client
certificates and malformed input, and the CredSSP helper's initiator. The identity a request ran as is
read back from the Owner of a cmd shell it creates."""

from __future__ import annotations

import base64
import datetime
import os
import subprocess
from typing import Any, Iterator, Optional

import gssapi.raw as gss
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.type import char

from credssp_client import ClientOptions, CredSSPClientError, CredSSPInitiator
from gss_initiator import (KRB5, NTLM, SPNEGO, SOAP_TYPE, SecuredWsmanClient, WinRMConnection, header_length,
                           ntlm_credentials)
from winrm_lab import encryption
from winrm_lab.accounts import AccountTable
from winrm_lab.auth import CERTIFICATE_SCHEME
from winrm_lab.channel_binding import tls_server_end_point
from winrm_lab.client_certificates import UPN_OTHER_NAME, ClientCertificateMap
from winrm_lab.contracts import Account
from wsman_client import CMD

ALICE = "LAB\\alice"


@pytest.fixture(scope="module", autouse=True)
def kerberos_ticket(lab: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """This process is the Kerberos initiator: the lab realm's krb5.conf and a cache with alice's TGT."""
    saved = {name: os.environ.get(name) for name in ("KRB5_CONFIG", "KRB5CCNAME")}
    os.environ["KRB5_CONFIG"] = lab["krb5_conf"]
    os.environ["KRB5CCNAME"] = "FILE:" + str(tmp_path_factory.mktemp("krb") / "ccache")
    alice = account(lab, "alice")
    subprocess.run(["kinit", alice["upn"]], input=alice["password"] + "\n", text=True, check=True,
                   capture_output=True, timeout=30)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def account(lab: dict[str, Any], user: str) -> dict[str, str]:
    return next(a for a in lab["accounts"] if a["user"].lower() == f"lab\\{user}")


def connect(lab: dict[str, Any], url_name: str = "http_url", **options: Any) -> WinRMConnection:
    return WinRMConnection(lab[url_name], lab["ca_bundle"], **options)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def alice_ntlm(lab: dict[str, Any], mech: Any = NTLM):
    alice = account(lab, "alice")
    return ntlm_credentials(alice["user"], alice["password"], mech)


# -- the challenge ---------------------------------------------------------------------------------


def test_an_unauthenticated_request_gets_401_with_the_enabled_schemes(lab, admin) -> None:
    response = connect(lab).post(b"<s:Envelope/>", {"Content-Type": SOAP_TYPE})
    assert response.status == 401 and response.challenges() == ["Negotiate", "Kerberos"]
    admin.settings(auth_basic=True, auth_credssp=True, auth_kerberos=False)
    response = connect(lab, "https_url").post(b"<s:Envelope/>", {"Content-Type": SOAP_TYPE})
    assert response.challenges() == ["Negotiate", 'Basic realm="WSMAN"', "CredSSP"]


# -- Basic -----------------------------------------------------------------------------------------


def test_basic_over_https_accepts_every_name_form_and_keeps_no_context(lab, admin) -> None:
    admin.settings(auth_basic=True)
    alice = account(lab, "alice")
    for name in (alice["user"], "alice", "lab\\ALICE", alice["upn"]):
        connection = connect(lab, "https_url")
        client = SecuredWsmanClient(lab, connection, encrypt=False, per_request=basic(name, alice["password"]))
        assert client.owner_of_new_shell() == ALICE
    assert connection.post(b"<s:Envelope/>", {"Content-Type": SOAP_TYPE}).status == 401  # Basic is per request


@pytest.mark.parametrize("case", ["wrong password", "disabled", "HTTP without AllowUnencrypted", "garbage"])
def test_basic_refusals(lab, admin, case: str) -> None:
    alice = account(lab, "alice")
    admin.settings(auth_basic=case != "disabled")
    headers = basic(alice["user"], alice["password"] + ("x" if case == "wrong password" else ""))
    if case == "garbage":
        headers = {"Authorization": "Basic %%%not-base64"}
    response = connect(lab, "http_url" if case.startswith("HTTP") else "https_url").post(
        b"<s:Envelope/>", {"Content-Type": SOAP_TYPE, **headers})
    assert response.status == 401 and "Negotiate" in response.challenges()


def test_basic_over_http_with_allow_unencrypted_and_a_non_ascii_password(lab, admin) -> None:
    admin.settings(auth_basic=True, allow_unencrypted=True)
    alice = account(lab, "alice")
    client = SecuredWsmanClient(lab, connect(lab), encrypt=False, per_request=basic(alice["user"], alice["password"]))
    assert client.owner_of_new_shell() == ALICE
    response = connect(lab).post(b"<s:Envelope/>", {"Content-Type": SOAP_TYPE, **basic(alice["user"], "pässwörd")})
    assert response.status == 401  # decoded as UTF-8, compared, refused


# -- client certificates ---------------------------------------------------------------------------


def test_the_lab_client_certificate_authenticates_as_alice(lab, admin) -> None:
    certificate = (lab["client_cert"], lab["client_key"])
    per_request = {"Authorization": CERTIFICATE_SCHEME}
    refused = connect(lab, "https_url", client_cert=certificate).post(b"<s:Envelope/>", per_request)
    assert refused.status == 401  # Certificate authentication is off by default
    admin.settings(auth_certificate=True)
    client = SecuredWsmanClient(lab, connect(lab, "https_url", client_cert=certificate), encrypt=False,
                                per_request=per_request)
    assert client.owner_of_new_shell() == ALICE
    assert connect(lab, "https_url").post(b"<s:Envelope/>", per_request).status == 401  # no certificate sent


class _Issuer:
    def __init__(self, name: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = self.issue(self.name, self.key, [(x509.BasicConstraints(ca=True, path_length=None), True)])

    def issue(self, subject: x509.Name, key, extensions) -> x509.Certificate:
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical)
        return builder.sign(self.key, hashes.SHA256())

    def client(self, common_name: str, upn: Optional[str] = None) -> bytes:
        extensions = []
        if upn is not None:
            other = x509.OtherName(UPN_OTHER_NAME, der_encoder.encode(char.UTF8String(upn)))
            extensions.append((x509.SubjectAlternativeName([other]), False))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return self.issue(subject, ec.generate_private_key(ec.SECP256R1()), extensions).public_bytes(
            serialization.Encoding.DER)

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_certificate_mapping_rules() -> None:
    root, issuing, foreign = _Issuer("Root"), _Issuer("Issuing"), _Issuer("Foreign")
    table = AccountTable([Account("LAB", "alice", "a"), Account("LAB", "bob", "b")])
    mapping = ClientCertificateMap(table, issuing.pem(), root.pem() + issuing.pem())
    assert mapping.account_for(issuing.client("anyone", "alice@lab.test")).user == "alice"  # UPN wins
    assert mapping.account_for(issuing.client("bob")).user == "bob"  # else the CN
    assert mapping.account_for(issuing.client("alice", "mallory@lab.test")) is None  # unknown UPN
    assert mapping.account_for(foreign.client("alice", "alice@lab.test")) is None  # not the client CA
    assert mapping.account_for(root.client("alice", "alice@lab.test")) is None  # the root is not the client CA
    assert mapping.account_for(b"\x30\x03garbage") is None


# -- Kerberos and NTLM with message encryption -----------------------------------------------------


@pytest.mark.parametrize("mech, scheme, protocol", [
    (KRB5, "Kerberos", encryption.KERBEROS_PROTOCOL),
    (KRB5, "Negotiate", encryption.SPNEGO_PROTOCOL),  # raw krb5 in Negotiate, as pykerberos sends it
    (SPNEGO, "Negotiate", encryption.SPNEGO_PROTOCOL),
])
def test_kerberos_mutual_auth_and_60_byte_header_encryption(lab, mech, scheme, protocol) -> None:
    connection = connect(lab)
    response = connection.authenticate(mech, scheme)
    assert response.status == 200
    assert any(c.startswith(scheme + " ") for c in response.challenges()), "the 200 must carry the AP-REP"
    client = SecuredWsmanClient(lab, connection)
    assert client.owner_of_new_shell() == ALICE
    sent, reply, _ = connection.exchange(b"<s:Envelope/>")  # a fault, but an encrypted one
    assert header_length(sent) == 60 and f"Content-Type: {protocol}".encode() in sent
    assert reply.headers["Content-Type"].startswith(f'multipart/encrypted;protocol="{protocol}"')
    assert header_length(reply.body) == 60
    shell = client.create_cmd()
    stdout, _, code = client.run_cmd(shell, "wc -c", stdin=b"x" * 100000)  # a 130 kB encrypted Send
    assert (stdout.strip(), code) == (b"100000", 0)
    client.delete(CMD, shell)


def test_kerberos_accepts_the_host_spn_too(lab) -> None:
    connection = connect(lab)
    assert connection.authenticate(KRB5, "Kerberos", "host@win-lab.lab.test").status == 200
    assert SecuredWsmanClient(lab, connection).owner_of_new_shell() == ALICE


@pytest.mark.parametrize("mech", [NTLM, SPNEGO])
def test_ntlm_raw_and_spnego_with_16_byte_signature_encryption(lab, mech) -> None:
    connection = connect(lab)
    assert connection.authenticate(mech, creds=alice_ntlm(lab, mech)).status == 200
    assert connection.context.mech == NTLM
    client = SecuredWsmanClient(lab, connection)
    for _ in range(2):  # the RC4 streams and sequence numbers continue across messages
        assert client.owner_of_new_shell() == ALICE
    sent, reply, _ = connection.exchange(b"<s:Envelope/>")
    assert header_length(sent) == 16 and header_length(reply.body) == 16


def test_wrong_ntlm_password_gets_the_challenge_list_again(lab) -> None:
    alice = account(lab, "alice")
    response = connect(lab).authenticate(NTLM, creds=ntlm_credentials(alice["user"], "not-the-password"))
    assert response.status == 401 and response.challenges() == ["Negotiate", "Kerberos"]


def test_plaintext_after_negotiate_on_http_is_refused_unless_allow_unencrypted(lab, admin) -> None:
    connection = connect(lab)
    assert connection.authenticate(KRB5).status == 200
    assert connection.post(b"<s:Envelope/>", {"Content-Type": SOAP_TYPE}).status == 500
    admin.settings(allow_unencrypted=True)
    connection = connect(lab)
    assert connection.authenticate(KRB5).status == 200
    assert SecuredWsmanClient(lab, connection, encrypt=False).owner_of_new_shell() == ALICE


def test_a_tampered_message_is_rejected_and_the_context_dropped(lab) -> None:
    connection = connect(lab)
    assert connection.authenticate(KRB5).status == 200
    content_type, body = encryption.seal_message(b"<s:Envelope/>", connection)
    last_data_byte = body.rindex(b"--Encrypted Boundary--") - 1
    tampered = body[:last_data_byte] + bytes([body[last_data_byte] ^ 1]) + body[last_data_byte + 1:]
    assert connection.post(tampered, {"Content-Type": content_type}).status == 400
    assert connection.post(b"").status == 401  # must authenticate again


def test_forced_reauthentication_from_the_admin_endpoint(lab, admin) -> None:
    connection = connect(lab)
    assert connection.authenticate(KRB5).status == 200
    assert admin.invalidate_auth() >= 1
    content_type, body = encryption.seal_message(b"<s:Envelope/>", connection)
    response = connection.post(body, {"Content-Type": content_type})
    assert response.status in (400, 401)  # encrypted data without a context is refused
    response = connection.post(b"")
    assert response.status == 401 and response.challenges() == ["Negotiate", "Kerberos"]
    assert connection.authenticate(KRB5).status == 200
    assert SecuredWsmanClient(lab, connection).owner_of_new_shell() == ALICE


def test_disabled_schemes_are_refused(lab, admin) -> None:
    admin.settings(auth_kerberos=False)
    response = connect(lab).authenticate(KRB5, "Kerberos")
    assert response.status == 401 and response.challenges() == ["Negotiate"]
    admin.settings(auth_kerberos=True, auth_negotiate=False)
    assert connect(lab).authenticate(KRB5, "Negotiate").status == 401


@pytest.mark.parametrize("authorization", [
    "Negotiate !!!", "Negotiate", "Negotiate " + base64.b64encode(b"\x60\x03\x06\x01\x00").decode(),
    "Negotiate " + base64.b64encode(b"\xa1\x05garbage").decode(),
    "Negotiate " + base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00" + bytes(80)).decode(),
    "Kerberos " + base64.b64encode(b"NTLMSSP\x00\x01\x00\x00\x00" + bytes(32)).decode(),
    "CredSSP " + base64.b64encode(b"\x16\x03\x01\x00\x05\x01\x00").decode(),
    "Bogus abc", "x" * 6000,
])
def test_garbage_authorization_gets_a_clean_401(lab, admin, authorization: str) -> None:
    admin.settings(auth_credssp=True)
    connection = connect(lab)
    assert connection.post(b"", {"Authorization": authorization}).status == 401
    assert connection.post(b"").status == 401  # and the connection still serves


# -- channel binding -------------------------------------------------------------------------------


def server_cert_der(lab: dict[str, Any], name: str) -> bytes:
    with open(lab["server_certs"][name]["cert"], "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read()).public_bytes(serialization.Encoding.DER)


def test_tls_server_end_point_hash_follows_the_certificate_signature(lab) -> None:
    prefix = len(b"tls-server-end-point:")
    assert len(tls_server_end_point(server_cert_der(lab, "chain"))) == prefix + 32
    assert len(tls_server_end_point(server_cert_der(lab, "sha384"))) == prefix + 48


@pytest.mark.parametrize("hardening", ["Relaxed", "Strict"])
@pytest.mark.parametrize("server_cert", ["chain", "sha384"])
def test_kerberos_and_spnego_ntlm_with_channel_bindings(lab, admin, hardening: str, server_cert: str) -> None:
    admin.settings(cbt_hardening=hardening)
    admin.server_cert(server_cert)
    for mech, creds, negotiated in ((KRB5, None, KRB5), (SPNEGO, alice_ntlm(lab, SPNEGO), NTLM)):
        connection = connect(lab, "https_url")
        assert connection.http.sock.getpeercert(binary_form=True) == server_cert_der(lab, server_cert)
        response = connection.authenticate(mech, creds=creds, bindings=connection.channel_bindings())
        assert response.status == 200 and connection.context.mech == negotiated
        assert SecuredWsmanClient(lab, connection, encrypt=False).owner_of_new_shell() == ALICE  # HTTPS: plaintext


@pytest.mark.parametrize("mech", [KRB5, NTLM])
def test_strict_refuses_a_client_without_bindings_relaxed_accepts_it(lab, admin, mech) -> None:
    creds = alice_ntlm(lab) if mech == NTLM else None
    assert connect(lab, "https_url").authenticate(mech, creds=creds).status == 200
    admin.settings(cbt_hardening="Strict")
    assert connect(lab, "https_url").authenticate(mech, creds=creds).status == 401


@pytest.mark.parametrize("mech", [KRB5, NTLM])
def test_wrong_bindings_are_refused_unless_hardening_is_none(lab, admin, mech) -> None:
    creds = alice_ntlm(lab) if mech == NTLM else None
    wrong = gss.ChannelBindings(application_data=b"tls-server-end-point:" + bytes(32))
    assert connect(lab, "https_url").authenticate(mech, creds=creds, bindings=wrong).status == 401
    admin.settings(cbt_hardening="None")
    assert connect(lab, "https_url").authenticate(mech, creds=creds, bindings=wrong).status == 200


# -- CredSSP through the HTTP scheme ---------------------------------------------------------------


class CredSSPClientCipher:
    """The initiator's side of CredSSP message encryption: whole TLS records, split where SChannel's
    StreamSizes trailer ends (17 for TLS 1.3, 16 for TLS 1.2 AES-GCM)."""

    protocol = encryption.CREDSSP_PROTOCOL
    chunk_size = 16384

    def __init__(self, initiator: CredSSPInitiator):
        self.initiator = initiator
        self.trailer = 17 if initiator.tls.version() == "TLSv1.3" else 16

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        records = self.initiator.wrap(plaintext)
        return records[:self.trailer], records[self.trailer:]

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        return self.initiator.unwrap(header + data)


class CredSSPWsmanClient(SecuredWsmanClient):
    """WS-Man over a CredSSP-authenticated connection; records each response's framing."""

    def __init__(self, lab: dict[str, Any], connection: WinRMConnection, cipher: CredSSPClientCipher):
        super().__init__(lab, connection)
        self.cipher = cipher
        self.framings: list[tuple[str, int]] = []  # (media type, first header length) per response

    def post(self, body: bytes, headers: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
        content_type, sealed = encryption.seal_message(body, self.cipher)
        response = self.connection.post(sealed, {"Content-Type": content_type})
        reply_type = response.headers.get("Content-Type", "")
        self.framings.append((reply_type.split(";")[0], header_length(response.body)))
        return response.status, encryption.open_message(reply_type, response.body, self.cipher)


def credssp_handshake(connection: WinRMConnection, initiator: CredSSPInitiator) -> int:
    """Runs the CredSSP legs; returns the final HTTP status (raises CredSSPClientError on an errorCode)."""
    token = initiator.step(None)
    while True:
        response = connection.post(headers={"Authorization": "CredSSP " + base64.b64encode(token).decode()})
        offered = [c for c in response.challenges() if c.startswith("CredSSP ")]
        if response.status != 401 or not offered:
            return response.status
        token = initiator.step(base64.b64decode(offered[0].split(" ", 1)[1]))


@pytest.mark.parametrize("url_name", ["http_url", "https_url"])
def test_credssp_delegates_and_encrypts_in_16_kib_chunks(lab, admin, url_name: str) -> None:
    admin.settings(auth_credssp=True)
    alice = account(lab, "alice")
    initiator = CredSSPInitiator(ClientOptions(user=alice["user"], password=alice["password"]))
    connection = connect(lab, url_name)
    assert credssp_handshake(connection, initiator) == 200 and initiator.complete
    cipher = CredSSPClientCipher(initiator)
    client = CredSSPWsmanClient(lab, connection, cipher)
    assert client.owner_of_new_shell() == ALICE
    shell = client.create_cmd()
    stdout, _, code = client.run_cmd(shell, "cat", stdin=b"y" * 60000)  # > 16 KiB both ways
    assert (stdout, code) == (b"y" * 60000, 0)
    client.delete(CMD, shell)
    assert set(client.framings) >= {("multipart/encrypted", cipher.trailer),
                                    ("multipart/x-multi-encrypted", cipher.trailer)}


def test_credssp_with_a_wrong_password_is_refused(lab, admin) -> None:
    admin.settings(auth_credssp=True)
    alice = account(lab, "alice")
    initiator = CredSSPInitiator(ClientOptions(user=alice["user"], password=alice["password"], inner_password="x"))
    connection = connect(lab, "https_url")
    try:
        assert credssp_handshake(connection, initiator) == 401
    except CredSSPClientError as refusal:  # refused with a TSRequest errorCode
        assert refusal.error_code == 0xC000006D  # STATUS_LOGON_FAILURE
    assert connection.post(b"").status == 401
