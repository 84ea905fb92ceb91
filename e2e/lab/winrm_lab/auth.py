"""The lab's WinRM authentication: Basic, client certificate, Negotiate (SPNEGO, raw NTLM, raw Kerberos),
Kerberos and CredSSP acceptors behind the contracts' ConnectionAuth, plus message encryption.

Every decision reads the shared LabSettings at request time (tests change them through the admin
endpoint). GSSAPI reads its configuration from the environment (KRB5_CONFIG, KRB5_KTNAME,
NTLM_USER_FILE…), which `create_authority` sets before any context exists: the lab process is
single-purpose, so these process-wide variables belong to it.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Mapping, Optional, Protocol

import gssapi.raw as gss

from . import channel_binding
from .accounts import CLIENT_CERT_USER, DOMAIN, REALM, AccountTable
from .client_certificates import ClientCertificateMap
from .contracts import Account, AuthOutcome, LabSettings, RequestRejected, TlsInfo
from .credssp import CredSSPAcceptor, CredSSPError
from .encryption import (CREDSSP_CHUNK, CREDSSP_PROTOCOL, KERBEROS_PROTOCOL, SOAP_CONTENT_TYPE, SPNEGO_PROTOCOL,
                         GssCipher, MessageCipher, is_encrypted, open_message, seal_message)
from .kdc import LabKdc

CERTIFICATE_SCHEME = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
NEGOTIATE, KERBEROS, CREDSSP = "Negotiate", "Kerberos", "CredSSP"
NTLM_MECH = gss.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
KRB5_MECH = gss.OID.from_int_seq("1.2.840.113554.1.2.2")
# Windows answers plaintext SOAP on HTTP after Negotiate/Kerberos/CredSSP with AllowUnencrypted=false
# with HTTP 500 (pywinrm#129, pywinrm#208, winrm4j#151 report exactly that; the event log says the
# service received an unencrypted message).
UNENCRYPTED_REFUSAL_STATUS = 500
LOGON_FAILURE = "the user name or password is incorrect"


class AuthenticationFailed(Exception):
    """One authentication attempt failed; the connection answers 401 with the challenge list again, or,
    when the mechanism has a final word for the client (a CredSSP TSRequest with an errorCode), with that."""

    def __init__(self, message: str, reply_header: Optional[tuple[str, str]] = None):
        super().__init__(message)
        self.reply_header = reply_header


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise AuthenticationFailed("the authorization token is not valid base64") from error


class Handshake(Protocol):
    """A multi-leg, connection-bound authentication (GSSAPI or CredSSP) in progress."""

    scheme: str
    complete: bool
    initiator: Optional[str]  # the authenticated name, once complete

    def step(self, token: bytes) -> Optional[bytes]:
        """Consumes one client token, returns the reply token. Raises AuthenticationFailed."""

    def cipher(self) -> MessageCipher: ...


class GssHandshake:
    """One GSSAPI acceptor context. Raw NTLMSSP tokens are accepted with NTLM-only credentials and
    answered raw (as Windows does); SPNEGO and raw krb5 tokens go to MIT's mechglue, which picks the
    mechanism from the token's OID."""

    def __init__(self, scheme: str, credentials: Optional[gss.Creds], tls: Optional[TlsInfo], settings: LabSettings):
        self.scheme = scheme
        self.complete = False
        self.initiator: Optional[str] = None
        self._credentials = credentials
        self._tls = tls
        self._settings = settings
        self._context: Optional[gss.SecurityContext] = None
        self._kerberos = False

    def _bindings_for(self, token: bytes) -> Optional[gss.ChannelBindings]:
        hardening = self._settings.cbt_hardening
        if self._tls is None or hardening == "None":
            return None
        ntlm = channel_binding.ntlm_message(token)
        if ntlm is not None and channel_binding.is_ntlm_authenticate(ntlm):
            if channel_binding.has_channel_bindings(ntlm):
                return channel_binding.gss_bindings(self._tls.server_cert_der)
            if hardening == "Strict":
                raise AuthenticationFailed("channel binding is required (CbtHardeningLevel Strict)")
            return None
        # Kerberos: MIT checks the authenticator's bindings hash only when the client sent one, and then
        # reports GSS_C_CHANNEL_BOUND_FLAG, which Strict requires once the context completes.
        return channel_binding.gss_bindings(self._tls.server_cert_der)

    def step(self, token: bytes) -> Optional[bytes]:
        bindings = self._bindings_for(token)
        try:
            result = gss.accept_sec_context(token, self._credentials, self._context, bindings)
        except gss.GSSError as error:
            raise AuthenticationFailed(f"{self.scheme} authentication failed: {error.gen_message()}") from error
        self._context = result.context
        if result.more_steps:
            return result.token
        self._kerberos = result.mech == KRB5_MECH
        bound = gss.RequirementFlag.channel_bound in result.flags
        if self._kerberos and self._tls is not None and self._settings.cbt_hardening == "Strict" and not bound:
            raise AuthenticationFailed("channel binding is required (CbtHardeningLevel Strict)")
        display = gss.display_name(result.initiator_name, name_type=False).name
        self.initiator = display.decode("utf-8", "replace").rstrip("\0")  # gss-ntlmssp counts its NUL
        self.complete = True
        return result.token

    def cipher(self) -> MessageCipher:
        assert self._context is not None and self.complete
        protocol = KERBEROS_PROTOCOL if self.scheme == KERBEROS else SPNEGO_PROTOCOL
        return GssCipher(self._context, protocol, self._kerberos)


class CredSSPCipher:
    """Adapts the CredSSP acceptor's per-record wrap/unwrap to the MIME framing (16 KiB chunks)."""

    protocol = CREDSSP_PROTOCOL
    chunk_size = CREDSSP_CHUNK

    def __init__(self, acceptor: CredSSPAcceptor):
        self._acceptor = acceptor

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        return self._acceptor.wrap(plaintext)

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        return self._acceptor.unwrap(header, data)


class CredSSPHandshake:
    scheme = CREDSSP

    def __init__(self, acceptor: CredSSPAcceptor):
        self.complete = False
        self.initiator: Optional[str] = None
        self._acceptor = acceptor

    def step(self, token: bytes) -> Optional[bytes]:
        try:
            reply, self.complete = self._acceptor.step(token)
        except CredSSPError as error:
            # A client of CredSSP version 3, 4 or 6+ gets the NTSTATUS in a final TSRequest.
            header = (("WWW-Authenticate", f"{CREDSSP} {base64.b64encode(error.reply_token).decode()}")
                      if error.reply_token else None)
            raise AuthenticationFailed(f"CredSSP authentication failed: {error}", header) from error
        if self.complete:
            self.initiator = self._acceptor.identity
        return reply

    def cipher(self) -> MessageCipher:
        return CredSSPCipher(self._acceptor)


def _starts_handshake(scheme: str, token: bytes) -> bool:
    """Whether a token opens a new context rather than continuing the one in progress."""
    if scheme == CREDSSP:  # a TLS handshake record (0x16) holding a ClientHello (type 1)
        return len(token) > 5 and token[0] == 0x16 and token[5] == 0x01
    if token.startswith(channel_binding.NTLM_SIGNATURE):
        return len(token) >= 12 and token[8] == 1  # NTLM NEGOTIATE
    return token[:1] == b"\x60"  # GSS InitialContextToken framing: SPNEGO NegTokenInit or raw krb5 AP-REQ


class Authority:
    """Process-wide state: the account table, the KDC, acceptor credentials. Implements LabAuthority."""

    def __init__(self, settings: LabSettings, workdir: str, server_cert_pem: str, server_key_pem: str,
                 ca_bundle_pem: str, client_ca_cert_pem: str, host_name: str):
        self.settings = settings
        self.host_name = host_name.lower()
        self._server_cert_pem = server_cert_pem
        self._server_key_pem = server_key_pem
        self.table = AccountTable()
        self.client_certificates = ClientCertificateMap(self.table, client_ca_cert_pem, ca_bundle_pem)
        self.accounts: list[Account] = self.table.accounts
        ntlm_user_file = os.path.join(workdir, "ntlm_users")
        self.table.write_ntlm_user_file(ntlm_user_file)
        self.kdc = LabKdc(workdir, self.table, self.host_name)
        self.kdc.start()
        try:
            self._ntlm_credentials, self._kerberos_credentials = self._acquire_acceptor_credentials(ntlm_user_file)
        except Exception:
            self.kdc.close()
            raise

    def _acquire_acceptor_credentials(self, ntlm_user_file: str) -> tuple[gss.Creds, gss.Creds]:
        """Points GSSAPI at the lab's realm and users, then acquires the NTLM and Kerberos acceptor
        credentials. The NTLM one is named after the lab host, so CHALLENGE messages carry its DNS name."""
        os.environ.update({
            "KRB5_CONFIG": self.kdc.krb5_conf,
            "KRB5_KTNAME": "FILE:" + self.kdc.keytab,
            "KRB5RCACHEDIR": self.kdc.directory,  # the replay cache stays in the lab's directory
            "NTLM_USER_FILE": ntlm_user_file,
            "NETBIOS_DOMAIN_NAME": DOMAIN,  # names gss-ntlmssp puts in its CHALLENGE target info
            "NETBIOS_COMPUTER_NAME": self.host_name.split(".")[0].upper(),
        })
        service_name = gss.import_name(f"HTTP@{self.host_name}".encode(), gss.NameType.hostbased_service)
        # Kerberos stays unnamed: any key in the keytab (HTTP/ and host/ SPNs) is accepted, as on Windows.
        return (gss.acquire_cred(service_name, mechs=[NTLM_MECH], usage="accept").creds,
                gss.acquire_cred(None, mechs=[KRB5_MECH], usage="accept").creds)

    def challenge_headers(self) -> list[tuple[str, str]]:
        settings = self.settings
        offered = []
        if settings.auth_negotiate:
            offered.append(NEGOTIATE)
        if settings.auth_kerberos:
            offered.append(KERBEROS)
        if settings.auth_basic:
            offered.append('Basic realm="WSMAN"')
        if settings.auth_credssp:
            offered.append(CREDSSP)
        return [("WWW-Authenticate", scheme) for scheme in offered]

    def start_handshake(self, scheme: str, token: bytes, tls: Optional[TlsInfo]) -> Handshake:
        if scheme == CREDSSP:
            return CredSSPHandshake(CredSSPAcceptor(self.accounts, self._server_cert_pem, self._server_key_pem))
        if scheme == KERBEROS:
            credentials: Optional[gss.Creds] = self._kerberos_credentials
        elif token.startswith(channel_binding.NTLM_SIGNATURE):
            credentials = self._ntlm_credentials
        else:
            credentials = None  # the default acceptor credential: every mechanism, SPNEGO included
        return GssHandshake(scheme, credentials, tls, self.settings)

    def connection(self, tls: Optional[TlsInfo]) -> "ConnectionSecurity":
        return ConnectionSecurity(self, tls)

    def describe(self) -> dict[str, object]:
        return {
            "accounts": self.table.describe(),
            "realm": REALM,
            "domain": DOMAIN,
            "kdc": self.kdc.address,
            "krb5_conf": self.kdc.krb5_conf,
            "spns": self.kdc.spns,
            "client_cert_user": f"{DOMAIN}\\{CLIENT_CERT_USER}",
            "client_cert_upn": f"{CLIENT_CERT_USER}@{REALM.lower()}",
            "kdc_startup_seconds": round(self.kdc.startup_seconds, 3),
        }

    def close(self) -> None:
        self.kdc.close()


class ConnectionSecurity:
    """Per-connection authentication and encryption state. Implements ConnectionAuth."""

    def __init__(self, authority: Authority, tls: Optional[TlsInfo]):
        self._authority = authority
        self._tls = tls
        self.identity: Optional[str] = None
        self._handshake: Optional[Handshake] = None
        self._cipher: Optional[MessageCipher] = None  # set while a session context is established
        self._seal_response = False

    def invalidate(self) -> None:
        self.identity = None
        self._handshake = None
        self._cipher = None
        self._seal_response = False

    def _refuse(self, reason: str, reply_header: Optional[tuple[str, str]] = None) -> AuthOutcome:
        self.invalidate()
        headers = [reply_header] if reply_header else self._authority.challenge_headers()
        return AuthOutcome("reject", 401, headers, message=reason)

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> AuthOutcome:
        authorization = _header(headers, "Authorization")
        if authorization is None:
            if self._cipher is not None:
                return AuthOutcome("ok", identity=self.identity)
            self.invalidate()
            return AuthOutcome("continue", 401, self._authority.challenge_headers())
        scheme, _, credentials = authorization.strip().partition(" ")
        try:
            if scheme.lower() == "basic":
                return self._basic(credentials)
            if scheme.lower() == CERTIFICATE_SCHEME:
                return self._certificate()
            canonical = {NEGOTIATE.lower(): NEGOTIATE, KERBEROS.lower(): KERBEROS, CREDSSP.lower(): CREDSSP}
            if scheme.lower() in canonical:
                return self._session_leg(canonical[scheme.lower()], credentials)
            return self._refuse(f"unsupported authorization scheme {scheme[:40]!r}")
        except AuthenticationFailed as failure:
            return self._refuse(str(failure), failure.reply_header)

    def _authenticated(self, account: Account, headers: Optional[list[tuple[str, str]]] = None) -> AuthOutcome:
        self.identity = account.qualified
        return AuthOutcome("ok", 200, headers or [], identity=self.identity)

    def _basic(self, credentials: str) -> AuthOutcome:
        settings = self._authority.settings
        if not settings.auth_basic:
            raise AuthenticationFailed("Basic authentication is disabled")
        if self._tls is None and not settings.allow_unencrypted:
            raise AuthenticationFailed("Basic authentication over HTTP needs AllowUnencrypted")
        try:
            user, separator, password = _decode_base64(credentials).decode("utf-8").partition(":")
        except UnicodeDecodeError as error:
            raise AuthenticationFailed("Basic credentials are not UTF-8") from error
        account = self._authority.table.verify(user, password) if separator else None
        if account is None:
            raise AuthenticationFailed(LOGON_FAILURE)
        self.invalidate()  # Basic is per request: it establishes no context for later requests
        return self._authenticated(account)

    def _certificate(self) -> AuthOutcome:
        if not self._authority.settings.auth_certificate:
            raise AuthenticationFailed("certificate authentication is disabled")
        if self._tls is None:
            raise AuthenticationFailed("certificate authentication needs HTTPS")
        if self._tls.peer_cert_der is None:
            raise AuthenticationFailed("no client certificate was presented")
        account = self._authority.client_certificates.account_for(self._tls.peer_cert_der)
        if account is None:
            raise AuthenticationFailed("the client certificate maps to no local account")
        self.invalidate()  # like Basic, the header rides on every request
        return self._authenticated(account)

    def _scheme_enabled(self, scheme: str) -> bool:
        settings = self._authority.settings
        if scheme == NEGOTIATE:
            return settings.auth_negotiate
        if scheme == KERBEROS:
            return settings.auth_kerberos
        # CredSSP runs its own TLS inside the HTTP headers, so it works (encrypted) on plain HTTP too.
        return settings.auth_credssp

    def _session_leg(self, scheme: str, credentials: str) -> AuthOutcome:
        if not self._scheme_enabled(scheme):
            raise AuthenticationFailed(f"{scheme} authentication is disabled")
        token = _decode_base64(credentials)
        if not token:
            raise AuthenticationFailed(f"{scheme} header without a token")
        handshake = self._handshake
        if _starts_handshake(scheme, token):  # also a client re-authenticating on this connection
            self.invalidate()
            handshake = self._handshake = self._authority.start_handshake(scheme, token, self._tls)
        elif handshake is None or handshake.scheme != scheme:
            raise AuthenticationFailed(f"{scheme} token continues no handshake on this connection")
        reply = handshake.step(token)
        reply_headers = [("WWW-Authenticate", f"{scheme} {base64.b64encode(reply).decode()}")] if reply else []
        if not handshake.complete:
            return AuthOutcome("continue", 401, reply_headers or [("WWW-Authenticate", scheme)])
        account = self._authority.table.lookup(handshake.initiator or "")
        if account is None:
            raise AuthenticationFailed(f"{handshake.initiator!r} is not a local account")
        self._handshake = None
        self._cipher = handshake.cipher()
        # The final token (Kerberos AP-REP, SPNEGO accept-completed) rides on the 200: mutual authentication.
        return self._authenticated(account, reply_headers)

    def decode_request(self, headers: Mapping[str, str], body: bytes) -> bytes:
        content_type = _header(headers, "Content-Type") or ""
        if not body:  # an authentication leg's empty POST: nothing to decrypt or to refuse
            self._seal_response = False
            return body
        if is_encrypted(content_type):
            if self._cipher is None:
                self.invalidate()
                raise RequestRejected(400, "an encrypted message needs a Negotiate, Kerberos or CredSSP context")
            try:
                plaintext = open_message(content_type, body, self._cipher)
            except RequestRejected:
                self.invalidate()
                raise
            self._seal_response = True
            return plaintext
        self._seal_response = False
        if self._cipher is not None and self._tls is None and not self._authority.settings.allow_unencrypted:
            self.invalidate()
            raise RequestRejected(UNENCRYPTED_REFUSAL_STATUS,
                                  "the WinRM service refuses unencrypted messages (AllowUnencrypted is false)")
        return body

    def encode_response(self, soap: bytes) -> tuple[str, bytes]:
        if self._seal_response and self._cipher is not None:
            return seal_message(soap, self._cipher)
        return SOAP_CONTENT_TYPE, soap


def create_authority(settings: LabSettings, workdir: str, server_cert_pem: str, server_key_pem: str,
                     ca_bundle_pem: str, client_ca_cert_pem: str, host_name: str) -> Authority:
    """Builds the lab's authentication authority: account table, NTLM user file and KDC realm under
    `workdir`, acceptor credentials. `close()` stops the KDC; the caller removes `workdir`."""
    return Authority(settings, workdir, server_cert_pem, server_key_pem, ca_bundle_pem, client_ca_cert_pem,
                     host_name)
