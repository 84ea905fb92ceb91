"""The lab's CredSSP acceptor (MS-CSSP server side), as WinRM's `CredSSP` HTTP scheme uses it.

Every token in and out is raw TLS record bytes. Inside that TLS session (Python's ssl module in server
mode over memory BIOs, presenting the lab's HTTPS certificate) the client and this acceptor exchange DER
TSRequests: first the inner GSSAPI authentication (SPNEGO with Kerberos or NTLM, or raw NTLM, accepted by
python3-gssapi with gss-ntlmssp), then the public-key binding (pubKeyAuth), then the delegated
credentials (authInfo), which must name an account of the lab's table with its password. Afterwards
WinRM's message encryption is TLS application data of the same session (PROTOCOL.md §3.4, §5.5).

Every failure caused by what the client sent is raised as CredSSPError; after one the acceptor is dead.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import ssl
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import gssapi.raw as gss
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

from .accounts import AccountTable
from .contracts import Account

STATUS_LOGON_FAILURE = 0xC000006D
STATUS_NOT_SUPPORTED = 0xC00000BB

SERVER_VERSION = 6  # what current Windows speaks: errorCode and the CVE-2018-0886 nonce binding
NONCE_BINDING_VERSION = 5  # from this negotiated version on, pubKeyAuth is a hash bound to clientNonce
NONCE_LENGTH = 32
CRED_TYPE_PASSWORD = 1

CLIENT_TO_SERVER_MAGIC = b"CredSSP Client-To-Server Binding Hash\x00"
SERVER_TO_CLIENT_MAGIC = b"CredSSP Server-To-Client Binding Hash\x00"

# A TLS record carries at most 2^14 plaintext bytes; WinRM's CredSSP encryption is chunked at that size.
MAX_CHUNK_BYTES = 16384
# Bounds on what one HTTP leg may carry. A Kerberos AP-REQ with a large PAC stays under 64 KiB on Windows
# (MaxTokenSize 48000), so these leave room without letting a client make the lab buffer much.
MAX_TOKEN_BYTES = 256 * 1024
MAX_TS_REQUEST_BYTES = 128 * 1024

# SChannel's TLS 1.2 suites (ECDHE and RSA key exchange with AES-GCM or AES-CBC): every one of them has a
# trailer length PROTOCOL.md §3.4 defines. TLS 1.3 suites are OpenSSL's defaults, all with T = 17.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!AESCCM:!PSK:!SRP"


class CredSSPError(Exception):
    """The CredSSP exchange failed. `ntstatus` is the NTSTATUS a Windows host would report (e.g.
    STATUS_LOGON_FAILURE); `reply_token`, when set, is a TLS-wrapped TSRequest carrying that errorCode,
    to send back to a client whose negotiated version understands it (3, 4, 6 and later)."""

    def __init__(self, message: str, ntstatus: Optional[int] = None, reply_token: Optional[bytes] = None):
        super().__init__(message)
        self.ntstatus = ntstatus
        self.reply_token = reply_token


class _ClientReportedError(CredSSPError):
    """The client's TSRequest carried an errorCode: there is nothing to answer."""


# --- ASN.1 (MS-CSSP 2.2.1); every context tag is EXPLICIT -------------------------------------------


def _explicit(number: int) -> tag.Tag:
    return tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, number)


class _NegoToken(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("negoToken", univ.OctetString().subtype(explicitTag=_explicit(0))),
    )


class _NegoData(univ.SequenceOf):
    componentType = _NegoToken()


class _TSRequest(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer().subtype(explicitTag=_explicit(0))),
        namedtype.OptionalNamedType("negoTokens", _NegoData().subtype(explicitTag=_explicit(1))),
        namedtype.OptionalNamedType("authInfo", univ.OctetString().subtype(explicitTag=_explicit(2))),
        namedtype.OptionalNamedType("pubKeyAuth", univ.OctetString().subtype(explicitTag=_explicit(3))),
        namedtype.OptionalNamedType("errorCode", univ.Integer().subtype(explicitTag=_explicit(4))),
        namedtype.OptionalNamedType("clientNonce", univ.OctetString().subtype(explicitTag=_explicit(5))),
    )


class _TSCredentials(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("credType", univ.Integer().subtype(explicitTag=_explicit(0))),
        namedtype.NamedType("credentials", univ.OctetString().subtype(explicitTag=_explicit(1))),
    )


class _TSPasswordCreds(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("domainName", univ.OctetString().subtype(explicitTag=_explicit(0))),
        namedtype.NamedType("userName", univ.OctetString().subtype(explicitTag=_explicit(1))),
        namedtype.NamedType("password", univ.OctetString().subtype(explicitTag=_explicit(2))),
    )


@dataclass
class TsRequest:
    version: int
    nego_tokens: list[bytes] = field(default_factory=list)
    auth_info: Optional[bytes] = None
    pub_key_auth: Optional[bytes] = None
    error_code: Optional[int] = None  # NTSTATUS, unsigned 32-bit
    client_nonce: Optional[bytes] = None


@dataclass(frozen=True)
class PasswordCredentials:
    domain: str
    user: str
    password: str

    @property
    def logon_name(self) -> str:
        """The name as AccountTable.lookup reads it: `DOMAIN\\user`, or the user field alone (a bare
        name or a UPN) when the client left the domain empty."""
        return f"{self.domain}\\{self.user}" if self.domain else self.user


def _decode_der(data: bytes, spec: univ.Asn1Item, what: str) -> univ.Asn1Item:
    """Decodes one complete DER value of `spec`. The outer length is checked before pyasn1 sees the bytes,
    so a value claiming a huge length is refused without being buffered or parsed."""
    if len(data) < 2 or data[0] != 0x30:
        raise CredSSPError(f"{what}: not a DER SEQUENCE")
    first_length_byte = data[1]
    if first_length_byte < 0x80:
        header_length, content_length = 2, first_length_byte
    else:
        length_bytes = first_length_byte & 0x7F
        if length_bytes == 0 or length_bytes > 4 or len(data) < 2 + length_bytes:
            raise CredSSPError(f"{what}: bad DER length")
        header_length = 2 + length_bytes
        content_length = int.from_bytes(data[2:header_length], "big")
    if header_length + content_length > MAX_TS_REQUEST_BYTES:
        raise CredSSPError(f"{what}: claims {content_length} bytes, more than the lab accepts")
    if header_length + content_length != len(data):
        raise CredSSPError(f"{what}: DER length {content_length} does not match the {len(data)} bytes received")
    try:
        value, rest = der_decoder.decode(data, asn1Spec=spec)
    except PyAsn1Error as error:
        raise CredSSPError(f"{what}: malformed DER ({error})") from error
    if rest:
        raise CredSSPError(f"{what}: trailing bytes after the DER value")
    return value


def _optional_bytes(value: univ.Asn1Item) -> Optional[bytes]:
    return value.asOctets() if value.isValue else None


def encode_ts_request(request: TsRequest) -> bytes:
    asn = _TSRequest()
    asn["version"] = request.version
    if request.nego_tokens:
        nego_data = asn["negoTokens"]  # instantiates the tagged SequenceOf in place
        for index, token in enumerate(request.nego_tokens):
            nego_data[index]["negoToken"] = token
    if request.auth_info is not None:
        asn["authInfo"] = request.auth_info
    if request.pub_key_auth is not None:
        asn["pubKeyAuth"] = request.pub_key_auth
    if request.error_code is not None:
        asn["errorCode"] = request.error_code
    if request.client_nonce is not None:
        asn["clientNonce"] = request.client_nonce
    return der_encoder.encode(asn)


def decode_ts_request(data: bytes) -> TsRequest:
    asn = _decode_der(data, _TSRequest(), "TSRequest")
    error_code: Optional[int] = None
    if asn["errorCode"].isValue:
        # Windows encodes the NTSTATUS as a signed INTEGER; either form means the same 32 bits.
        signed = int(asn["errorCode"])
        if not -(2**31) <= signed < 2**32:
            raise CredSSPError("TSRequest: errorCode is not a 32-bit NTSTATUS")
        error_code = signed & 0xFFFFFFFF
    nego_tokens = []
    if asn["negoTokens"].isValue:
        nego_tokens = [entry["negoToken"].asOctets() for entry in asn["negoTokens"]]
    return TsRequest(
        version=int(asn["version"]),
        nego_tokens=nego_tokens,
        auth_info=_optional_bytes(asn["authInfo"]),
        pub_key_auth=_optional_bytes(asn["pubKeyAuth"]),
        error_code=error_code,
        client_nonce=_optional_bytes(asn["clientNonce"]),
    )


def encode_password_credentials(credentials: PasswordCredentials) -> bytes:
    """DER TSCredentials{credType 1, TSPasswordCreds} with UTF-16LE strings (MS-CSSP 2.2.1.2)."""
    password_creds = _TSPasswordCreds()
    password_creds["domainName"] = credentials.domain.encode("utf-16-le")
    password_creds["userName"] = credentials.user.encode("utf-16-le")
    password_creds["password"] = credentials.password.encode("utf-16-le")
    ts_credentials = _TSCredentials()
    ts_credentials["credType"] = CRED_TYPE_PASSWORD
    ts_credentials["credentials"] = der_encoder.encode(password_creds)
    return der_encoder.encode(ts_credentials)


def decode_password_credentials(data: bytes) -> PasswordCredentials:
    ts_credentials = _decode_der(data, _TSCredentials(), "TSCredentials")
    cred_type = int(ts_credentials["credType"])
    if cred_type != CRED_TYPE_PASSWORD:
        # Smart-card (2) and Remote Credential Guard (6) delegation have no meaning for the lab's accounts.
        raise CredSSPError(f"TSCredentials credType {cred_type} is not supported", STATUS_NOT_SUPPORTED)
    password_creds = _decode_der(ts_credentials["credentials"].asOctets(), _TSPasswordCreds(), "TSPasswordCreds")

    def text(name: str) -> str:
        try:
            return password_creds[name].asOctets().decode("utf-16-le")
        except UnicodeDecodeError as error:
            raise CredSSPError(f"TSPasswordCreds {name} is not UTF-16LE") from error

    return PasswordCredentials(text("domainName"), text("userName"), text("password"))


# --- TLS ------------------------------------------------------------------------------------------


class _SubjectPublicKeyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.Any()),
        namedtype.NamedType("subjectPublicKey", univ.BitString()),
    )


def subject_public_key(certificate_pem: str) -> bytes:
    """The contents of the first certificate's subjectPublicKey BIT STRING: for RSA the PKCS#1
    RSAPublicKey DER, for EC the X9.62 point. This, not the whole SPKI, is what pubKeyAuth binds."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    spki_der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    spki, _ = der_decoder.decode(spki_der, asn1Spec=_SubjectPublicKeyInfo())
    return spki["subjectPublicKey"].asOctets()


@functools.lru_cache(maxsize=8)
def _server_tls_context(certificate_pem: str, key_pem: str) -> ssl.SSLContext:
    """One server context per certificate, shared by every acceptor: loading a key is the costly part.
    ssl can only load PEM from files, so they live in a private temporary directory for the call."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.set_ciphers(TLS12_CIPHERS)
    with tempfile.TemporaryDirectory(prefix="winrm-lab-credssp-") as directory:
        certificate_path = os.path.join(directory, "server.pem")
        key_path = os.path.join(directory, "server.key")
        for path, pem in ((certificate_path, certificate_pem), (key_path, key_pem)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(pem)
        context.load_cert_chain(certificate_path, key_path)
    return context


_HASH_LENGTHS = {"MD5": 16, "SHA": 20, "SHA256": 32, "SHA384": 48}


def tls_trailer_length(protocol: str, cipher: str, data_length: int) -> int:
    """SChannel's SecPkgContext_StreamSizes trailer for one record of `data_length` plaintext bytes
    (PROTOCOL.md §3.4): the split point of the WinRM CredSSP encryption header."""
    if protocol == "TLSv1.3":
        return 17  # 16-byte AEAD tag + the inner content-type byte
    if re.search(r"[-_](GCM|CHACHA20)[-_]", cipher):
        return 16  # AEAD tag
    pre_padding = data_length + _HASH_LENGTHS.get(cipher.rsplit("-", 1)[-1], 0)
    if "RC4" in cipher:
        padding = 0
    elif "DES" in cipher:
        padding = 8 - pre_padding % 8
    else:
        padding = 16 - pre_padding % 16
    return pre_padding + padding - data_length


TLS_RECORD_HEADER_BYTES = 5  # content type, protocol version, uint16 length


def _require_whole_records(data: bytes) -> None:
    """Each token and each encrypted message carries whole TLS records. OpenSSL would silently keep a
    partial record and wait for the rest, so a cut-short input must be caught here."""
    offset = 0
    while offset + TLS_RECORD_HEADER_BYTES <= len(data):
        offset += TLS_RECORD_HEADER_BYTES + int.from_bytes(data[offset + 3 : offset + 5], "big")
    if offset != len(data):
        raise CredSSPError("the data does not end on a TLS record boundary (truncated or lying length)")


# --- the acceptor ---------------------------------------------------------------------------------


def client_binding_value(public_key: bytes, version: int, nonce: Optional[bytes]) -> bytes:
    """What the client's pubKeyAuth must unwrap to (MS-CSSP 3.1.5): from version 5 on a hash bound to the
    clientNonce (the CVE-2018-0886 fix), before it the subjectPublicKey itself."""
    if version >= NONCE_BINDING_VERSION:
        assert nonce is not None
        return hashlib.sha256(CLIENT_TO_SERVER_MAGIC + nonce + public_key).digest()
    return public_key


def server_binding_value(public_key: bytes, version: int, nonce: Optional[bytes]) -> bytes:
    """The server's answering pubKeyAuth value: the other direction's hash, or (before version 5) the
    subjectPublicKey with its first byte incremented."""
    if version >= NONCE_BINDING_VERSION:
        assert nonce is not None
        return hashlib.sha256(SERVER_TO_CLIENT_MAGIC + nonce + public_key).digest()
    return bytes([(public_key[0] + 1) & 0xFF]) + public_key[1:]


_MECHANISM_NAMES = {"1.2.840.113554.1.2.2": "Kerberos", "1.3.6.1.4.1.311.2.2.10": "NTLM"}


class _InnerContext:
    """The GSSAPI acceptor inside the TLS session, on python3-gssapi's raw API: its high-level
    SecurityContext returns SPNEGO's reject token instead of raising and defers the error to the next
    call, which would hide why authentication failed."""

    def __init__(self) -> None:
        self._context: Optional[gss.SecurityContext] = None
        self.complete = False
        self.mechanism: Optional[str] = None
        self.initiator: Optional[str] = None

    def step(self, token: bytes) -> Optional[bytes]:
        if self.complete:
            raise CredSSPError("negoToken received after the inner authentication completed")
        try:
            # Default acceptor credentials: gss-ntlmssp reads $NTLM_USER_FILE, krb5 reads $KRB5_KTNAME.
            # The mechglue picks the mechanism from the token (SPNEGO, krb5, or raw NTLMSSP).
            result = gss.accept_sec_context(token, None, self._context)
        except gss.GSSError as error:
            raise CredSSPError(f"inner authentication failed: {error}", STATUS_LOGON_FAILURE) from error
        self._context = result.context
        if not result.more_steps:
            self.complete = True
            self.mechanism = _MECHANISM_NAMES.get(result.mech.dotted_form, result.mech.dotted_form)
            # gss-ntlmssp's display name counts its C string terminator, hence the strip.
            display = gss.display_name(result.initiator_name, name_type=False).name
            self.initiator = display.decode("utf-8", "replace").rstrip("\x00")
        return result.token

    def wrap(self, data: bytes) -> bytes:
        assert self._context is not None and self.complete
        return gss.wrap(self._context, data, True).message

    def unwrap(self, data: bytes) -> bytes:
        if self._context is None or not self.complete:
            raise CredSSPError("wrapped data received before the inner authentication completed")
        try:
            return gss.unwrap(self._context, data).message
        except gss.GSSError as error:
            raise CredSSPError(f"inner context cannot unwrap the client's data: {error}") from error


def _sends_error_code(version: int) -> bool:
    return version in (3, 4) or version >= 6


class CredSSPAcceptor:
    """One CredSSP server context (one per HTTP connection). Feed each client token to `step`; once it
    reports completion, `identity` is set and `wrap`/`unwrap` encrypt WinRM messages."""

    def __init__(
        self,
        accounts: list[Account],
        server_cert_pem: str,
        server_key_pem: str,
        min_client_version: int = 2,
    ):
        self._accounts = AccountTable(list(accounts))
        self._public_key = subject_public_key(server_cert_pem)
        self._min_client_version = min_client_version
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = _server_tls_context(server_cert_pem, server_key_pem).wrap_bio(
            self._incoming, self._outgoing, server_side=True
        )
        self._handshake_done = False
        self._inner = _InnerContext()
        self._client_nonce: Optional[bytes] = None
        self._public_key_verified = False
        self._failed = False
        self.version: Optional[int] = None  # negotiated: min(client's first TSRequest version, 6)
        self.identity: Optional[str] = None

    @property
    def complete(self) -> bool:
        return self.identity is not None

    @property
    def inner_mechanism(self) -> Optional[str]:
        """'Kerberos' or 'NTLM' (inside SPNEGO or raw) once the inner authentication completed."""
        return self._inner.mechanism

    # -- authentication --

    def step(self, token: bytes) -> tuple[Optional[bytes], bool]:
        """Consumes one client token (TLS records) and returns (reply token or None, complete)."""
        if self._failed:
            raise CredSSPError("the CredSSP context already failed")
        if self.complete:
            raise CredSSPError("the CredSSP exchange is already complete")
        try:
            return self._step(token)
        except CredSSPError as error:
            self._fail(error)
            raise
        except (ssl.SSLError, gss.GSSError) as error:
            failure = CredSSPError(f"CredSSP failed: {error}")
            self._fail(failure)
            raise failure from error

    def _fail(self, error: CredSSPError) -> None:
        """Marks the context dead and, where the negotiated version has errorCode, prepares the TSRequest
        that tells the client why (not for errors the client itself reported)."""
        self._failed = True
        if (
            error.ntstatus is None
            or error.reply_token is not None
            or isinstance(error, _ClientReportedError)
            or not self._handshake_done
            or self.version is None
            or not _sends_error_code(self.version)
        ):
            return
        try:
            error.reply_token = self._tls_write(encode_ts_request(TsRequest(SERVER_VERSION, error_code=error.ntstatus)))
        except ssl.SSLError:
            error.reply_token = None  # the TLS session itself is broken: nothing can travel inside it

    def _step(self, token: bytes) -> tuple[Optional[bytes], bool]:
        if not token:
            raise CredSSPError("empty CredSSP token")
        if len(token) > MAX_TOKEN_BYTES:
            raise CredSSPError(f"CredSSP token of {len(token)} bytes exceeds {MAX_TOKEN_BYTES}")
        _require_whole_records(token)
        self._incoming.write(token)
        if not self._handshake_done:
            try:
                self._tls.do_handshake()
            except ssl.SSLWantReadError:
                reply = self._outgoing.read()
                if not reply:
                    raise CredSSPError("the TLS handshake message is incomplete")
                return reply, False
            self._handshake_done = True
        # What the handshake still had to send (TLS 1.2: CCS + Finished; TLS 1.3: NewSessionTickets)
        # goes out before any answer; a TLS 1.3 client may put its first TSRequest behind its Finished.
        handshake_tail = self._outgoing.read()
        request_der = self._read_application_data(MAX_TS_REQUEST_BYTES)
        if not request_der:
            if handshake_tail:
                return handshake_tail, False
            raise CredSSPError("CredSSP token carries no TSRequest")
        reply_der = self._process(decode_ts_request(request_der))
        reply = handshake_tail + (self._tls_write(reply_der) if reply_der is not None else b"")
        return reply or None, self.complete

    def _read_application_data(self, limit: int) -> bytes:
        """All plaintext the incoming records hold (at most `limit` bytes)."""
        chunks = []
        received = 0
        while True:
            try:
                chunk = self._tls.read(MAX_CHUNK_BYTES)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError as error:
                raise CredSSPError("the client closed the TLS session") from error
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise CredSSPError(f"more than {limit} bytes of TLS application data in one message")
            chunks.append(chunk)
        return b"".join(chunks)

    def _tls_write(self, plaintext: bytes) -> bytes:
        self._tls.write(plaintext)
        return self._outgoing.read()

    def _process(self, request: TsRequest) -> Optional[bytes]:
        """Handles one TSRequest; returns the DER TSRequest to answer, or None after the credentials."""
        if request.error_code is not None:
            raise _ClientReportedError(f"client reported NTSTATUS 0x{request.error_code:08X}", request.error_code)
        if self.version is None:
            if request.version < self._min_client_version:
                raise CredSSPError(
                    f"client CredSSP version {request.version} is below the required {self._min_client_version}",
                    STATUS_NOT_SUPPORTED,
                )
            self.version = min(request.version, SERVER_VERSION)
        if self._public_key_verified:
            self._accept_credentials(request)
            return None

        # NegoData may list several tokens; like Windows and pyspnego, only the first one counts.
        reply_token = self._inner.step(request.nego_tokens[0]) if request.nego_tokens else None
        if request.client_nonce is not None:
            self._client_nonce = request.client_nonce
        if request.pub_key_auth is None:
            if reply_token is None:
                raise CredSSPError("TSRequest carries neither a negoToken to answer nor pubKeyAuth")
            return encode_ts_request(TsRequest(SERVER_VERSION, nego_tokens=[reply_token]))
        server_binding = self._verify_public_key(request.pub_key_auth)
        return encode_ts_request(
            TsRequest(
                SERVER_VERSION,
                nego_tokens=[reply_token] if reply_token else [],
                pub_key_auth=self._inner.wrap(server_binding),
            )
        )

    def _verify_public_key(self, wrapped_binding: bytes) -> bytes:
        """Checks the client's pubKeyAuth; returns the server's binding value to send back."""
        assert self.version is not None
        if not self._inner.complete:
            raise CredSSPError("pubKeyAuth received before the inner authentication completed")
        nonce: Optional[bytes] = None
        if self.version >= NONCE_BINDING_VERSION:
            nonce = self._client_nonce
            if nonce is None or len(nonce) != NONCE_LENGTH:
                raise CredSSPError(f"CredSSP version {self.version} needs a {NONCE_LENGTH}-byte clientNonce")
        if self._inner.unwrap(wrapped_binding) != client_binding_value(self._public_key, self.version, nonce):
            raise CredSSPError("pubKeyAuth does not match the server certificate's public key")
        self._public_key_verified = True
        return server_binding_value(self._public_key, self.version, nonce)

    def _accept_credentials(self, request: TsRequest) -> None:
        if request.auth_info is None:
            raise CredSSPError("TSRequest after the public key exchange carries no authInfo")
        credentials = decode_password_credentials(self._inner.unwrap(request.auth_info))
        account = self._accounts.verify(credentials.logon_name, credentials.password)
        if account is None:
            raise CredSSPError(f"logon failure for {credentials.logon_name!r}", STATUS_LOGON_FAILURE)
        # The delegated credentials must belong to the principal the inner authentication proved.
        if self._inner.initiator is None or self._accounts.lookup(self._inner.initiator) != account:
            raise CredSSPError(
                f"delegated credentials for {account.qualified} but authenticated as {self._inner.initiator}",
                STATUS_LOGON_FAILURE,
            )
        self.identity = account.qualified

    # -- message encryption (after completion) --

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        """Encrypts one WinRM chunk: (first T bytes of its TLS record, the rest)."""
        if not self.complete or self._failed:
            raise CredSSPError("wrap before the CredSSP exchange completed")
        if len(plaintext) > MAX_CHUNK_BYTES:
            raise ValueError(f"a CredSSP chunk holds at most {MAX_CHUNK_BYTES} bytes, got {len(plaintext)}")
        record = self._tls_write(plaintext)
        cipher, protocol, _ = self._tls.cipher()
        split = tls_trailer_length(protocol, cipher, len(plaintext))
        return record[:split], record[split:]

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        """Decrypts one chunk the client encrypted: header and data together are whole TLS records. A
        failure here desynchronises the TLS stream, so it kills the context."""
        if not self.complete or self._failed:
            raise CredSSPError("unwrap before the CredSSP exchange completed")
        records = header + data
        try:
            _require_whole_records(records)
            self._incoming.write(records)
            return self._read_application_data(len(records))
        except ssl.SSLError as error:
            self._failed = True
            raise CredSSPError(f"cannot decrypt the CredSSP-encrypted message: {error}") from error
        except CredSSPError:
            self._failed = True
            raise
