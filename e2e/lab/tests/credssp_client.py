"""A small CredSSP initiator (MS-CSSP client side) for testing the lab's acceptor.

Written apart from winrm_lab.credssp on purpose: its DER is encoded and parsed by hand here (the acceptor
uses pyasn1), and it reads the server's public key from the peer certificate with cryptography (the
acceptor parses the SPKI), so the two sides cannot share a mistake. Inner authentication is python3-gssapi
as initiator: raw NTLM or SPNEGO (NTLM via gss-ntlmssp with a password credential, or Kerberos with the
a TGT it gets with the password). Knobs let a test misbehave in exactly one way at a time.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from dataclasses import dataclass, field
from typing import Generator, Optional

import gssapi
import gssapi.raw
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

NTLM_OID = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
SPNEGO_OID = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
KRB5_OID = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
NTLM_AUTHENTICATE_MARKER = b"NTLMSSP\x00\x03\x00\x00\x00"
DEFAULT_TARGET = "HTTP@win-lab.lab.test"


class CredSSPClientError(Exception):
    def __init__(self, message: str, error_code: Optional[int] = None):
        super().__init__(message)
        self.error_code = error_code


# --- hand-written DER -----------------------------------------------------------------------------


def der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length_bytes)]) + length_bytes + content


def der_integer(value: int) -> bytes:
    return der(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def explicit(number: int, content: bytes) -> bytes:
    return der(0xA0 | number, content)


def parse_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, content, offset after the value) of the DER value at `offset`."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise CredSSPClientError("truncated DER")
    return tag, data[offset : offset + length], offset + length


def parse_children(content: bytes) -> list[tuple[int, bytes]]:
    children, offset = [], 0
    while offset < len(content):
        tag, value, offset = parse_tlv(content, offset)
        children.append((tag, value))
    return children


@dataclass
class Request:
    version: int
    nego_tokens: list[bytes] = field(default_factory=list)
    auth_info: Optional[bytes] = None
    pub_key_auth: Optional[bytes] = None
    error_code: Optional[int] = None
    client_nonce: Optional[bytes] = None

    def encode(self) -> bytes:
        fields = explicit(0, der_integer(self.version))
        if self.nego_tokens:
            items = b"".join(der(0x30, explicit(0, der(0x04, token))) for token in self.nego_tokens)
            fields += explicit(1, der(0x30, items))
        for number, value in ((2, self.auth_info), (3, self.pub_key_auth)):
            if value is not None:
                fields += explicit(number, der(0x04, value))
        if self.error_code is not None:
            fields += explicit(4, der_integer(self.error_code))
        if self.client_nonce is not None:
            fields += explicit(5, der(0x04, self.client_nonce))
        return der(0x30, fields)

    @classmethod
    def decode(cls, data: bytes) -> "Request":
        tag, content, end = parse_tlv(data)
        if tag != 0x30 or end != len(data):
            raise CredSSPClientError("answer is not one TSRequest")
        request = cls(version=0)
        for field_tag, wrapped in parse_children(content):
            _, value, _ = parse_tlv(wrapped)
            number = field_tag & 0x1F
            if number in (0, 4):
                integer = int.from_bytes(value, "big", signed=True)
                if number == 0:
                    request.version = integer
                else:
                    request.error_code = integer & 0xFFFFFFFF
            elif number == 1:
                request.nego_tokens = [parse_tlv(parse_tlv(item)[1])[1] for _, item in parse_children(value)]
            elif number == 2:
                request.auth_info = value
            elif number == 3:
                request.pub_key_auth = value
            elif number == 5:
                request.client_nonce = value
        return request


def password_credentials(domain: str, user: str, password: str) -> bytes:
    creds = der(
        0x30,
        b"".join(
            explicit(number, der(0x04, text.encode("utf-16-le")))
            for number, text in enumerate((domain, user, password))
        ),
    )
    return der(0x30, explicit(0, der_integer(1)) + explicit(1, der(0x04, creds)))


def certificate_public_key(certificate_der: bytes) -> bytes:
    """The subjectPublicKey CredSSP binds: PKCS#1 RSAPublicKey for RSA, the uncompressed point for EC."""
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    raise CredSSPClientError(f"unsupported server key {type(key).__name__}")


# --- the initiator --------------------------------------------------------------------------------


@dataclass
class ClientOptions:
    user: str  # DOMAIN\user for NTLM, user@REALM for Kerberos (the password gets the TGT)
    password: str  # what is delegated in TSCredentials
    version: int = 6
    mechanism: str = "ntlm"  # ntlm (raw NTLMSSP) | spnego-ntlm | spnego-krb5
    inner_password: Optional[str] = None  # the inner authentication's password when it should differ
    delegated_user: Optional[str] = None  # DOMAIN\user put in TSCredentials when it should differ
    bound_public_key: Optional[bytes] = None  # hash this key instead of the server's (a MITM's view)
    finished_with_first_request: bool = True  # TLS 1.3: send Finished with the first TSRequest, or alone
    tls_maximum: Optional[ssl.TLSVersion] = None
    tls_ciphers: Optional[str] = None  # TLS 1.2 suites to offer
    target: str = DEFAULT_TARGET


class CredSSPInitiator:
    """Drive with `step(token)`: None to start, then each server token; returns the next client token, or
    None once the credentials were sent (then `complete`)."""

    def __init__(self, options: ClientOptions):
        self.options = options
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # MS-CSSP: the inner TLS certificate is bound, not validated
        if options.tls_maximum is not None:
            context.maximum_version = options.tls_maximum
        if options.tls_ciphers is not None:
            context.set_ciphers(options.tls_ciphers)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._incoming, self._outgoing, server_side=False)
        self._flow = self._run()
        self._started = False
        self.complete = False
        self.negotiated_version: Optional[int] = None

    def step(self, token: Optional[bytes]) -> Optional[bytes]:
        if not self._started:
            self._started = True
            return next(self._flow)
        try:
            return self._flow.send(token)
        except StopIteration:
            return None

    # Message encryption after completion: whole TLS records.
    def wrap(self, plaintext: bytes) -> bytes:
        self.tls.write(plaintext)
        return self._outgoing.read()

    def unwrap(self, records: bytes) -> bytes:
        self._incoming.write(records)
        chunks = []
        while True:
            try:
                chunks.append(self.tls.read(65536))
            except ssl.SSLWantReadError:
                return b"".join(chunks)

    def _inner_context(self) -> gssapi.SecurityContext:
        """A password credential for exactly one mechanism. For SPNEGO the credential must be SPNEGO's own,
        restricted with set_neg_mechs: handed a bare krb5 or NTLM credential, MIT's SPNEGO silently falls
        back to the default credentials (for gss-ntlmssp, whatever $NTLM_USER_FILE offers)."""
        target = gssapi.Name(self.options.target, gssapi.NameType.hostbased_service)
        kerberos = self.options.mechanism == "spnego-krb5"
        name = gssapi.Name(self.options.user, gssapi.NameType.kerberos_principal if kerberos else gssapi.NameType.user)
        password = (self.options.inner_password or self.options.password).encode()
        mech = NTLM_OID if self.options.mechanism == "ntlm" else SPNEGO_OID
        acquired = gssapi.raw.acquire_cred_with_password(name, password, usage="initiate", mechs=[mech])
        if mech == SPNEGO_OID:
            gssapi.raw.set_neg_mechs(acquired.creds, [KRB5_OID if kerberos else NTLM_OID])
        return gssapi.SecurityContext(
            name=target, creds=gssapi.Credentials(acquired.creds), mech=mech, usage="initiate"
        )

    def _exchange(self, request: Request, prefix: bytes = b"") -> Generator[bytes, bytes, Request]:
        answer_records = yield prefix + self.wrap(request.encode())
        answer = Request.decode(self.unwrap(answer_records))
        if answer.error_code is not None:
            raise CredSSPClientError(f"server NTSTATUS 0x{answer.error_code:08X}", answer.error_code)
        return answer

    def _run(self) -> Generator[bytes, bytes, None]:
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._incoming.write((yield self._outgoing.read()))
        pending = self._outgoing.read()  # TLS 1.3: our Finished
        if pending and not self.options.finished_with_first_request:
            tickets = yield pending
            if self.unwrap(tickets):
                raise CredSSPClientError("server sent application data before any TSRequest")
            pending = b""

        inner = self._inner_context()
        token = inner.step()
        server_version = self.options.version
        while not (inner.complete or NTLM_AUTHENTICATE_MARKER in token):
            answer = yield from self._exchange(Request(self.options.version, nego_tokens=[token]), pending)
            pending = b""
            server_version = answer.version
            token = inner.step(answer.nego_tokens[0])
        self.negotiated_version = min(self.options.version, server_version)

        public_key = self.options.bound_public_key or certificate_public_key(self.tls.getpeercert(True))
        nonce = os.urandom(32) if self.negotiated_version >= 5 else None
        if nonce is not None:
            client_value = hashlib.sha256(b"CredSSP Client-To-Server Binding Hash\x00" + nonce + public_key).digest()
            server_value = hashlib.sha256(b"CredSSP Server-To-Client Binding Hash\x00" + nonce + public_key).digest()
        else:
            client_value = public_key
            server_value = bytes([(public_key[0] + 1) % 256]) + public_key[1:]
        request = Request(
            self.options.version,
            nego_tokens=[token] if token else [],
            pub_key_auth=inner.wrap(client_value, True).message,
            client_nonce=nonce,
        )
        answer = yield from self._exchange(request, pending)
        if answer.nego_tokens:
            inner.step(answer.nego_tokens[0])  # SPNEGO's closing token with the acceptor's mechListMIC
        if answer.pub_key_auth is None or inner.unwrap(answer.pub_key_auth).message != server_value:
            raise CredSSPClientError("server pubKeyAuth does not match")

        logon_name = self.options.delegated_user or self.options.user
        domain, _, user = logon_name.rpartition("\\")  # a UPN travels with an empty domain
        auth_info = inner.wrap(password_credentials(domain, user, self.options.password), True).message
        self.complete = True
        final_answer = yield self.wrap(Request(self.options.version, auth_info=auth_info).encode())
        if final_answer:  # only a refusal carries a token here
            refusal = Request.decode(self.unwrap(final_answer))
            raise CredSSPClientError("server refused the credentials", refusal.error_code)
