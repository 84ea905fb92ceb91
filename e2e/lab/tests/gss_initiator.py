"""A small independent WinRM-over-HTTP authentication client built on python3-gssapi's *initiator* side
(MIT krb5 and gss-ntlmssp), with WinRM message encryption as Windows frames it: Kerberos through
wrap_iov with TOKEN + DATA buffers (60-byte header for AES), NTLM as 16-byte signature + sealed data.
The MIME framing comes from the lab's encryption module (its own tests pin it to the documented bytes);
the cryptography is the initiator's."""

from __future__ import annotations

import base64
import http.client
import ssl
import struct
from typing import Any, Optional
from urllib.parse import urlsplit

import gssapi
import gssapi.raw as gss

from winrm_lab import encryption
from winrm_lab.channel_binding import tls_server_end_point
from wsman_client import CMD, NS, TRANSFER, Envelope, WsmanClient

KRB5 = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
NTLM = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
SOAP_TYPE = "application/soap+xml;charset=UTF-8"
CMD_SHELL_BODY = ("<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
                  "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>")
FLAGS = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.confidentiality
         | gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.out_of_sequence_detection)


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def challenges(self) -> list[str]:
        return self.headers.get_all("WWW-Authenticate") or []


def ntlm_credentials(user: str, password: str, mech: gssapi.OID = NTLM) -> gssapi.Credentials:
    """A password credential for raw NTLM, or for SPNEGO restricted to NTLM: MIT's SPNEGO handed a bare
    NTLM credential falls back to the default ones (and so to Kerberos when a ticket is cached)."""
    name = gssapi.Name(user, gssapi.NameType.user)
    creds = gss.acquire_cred_with_password(name, password.encode(), mechs=[mech], usage="initiate").creds
    if mech == SPNEGO:
        gss.set_neg_mechs(creds, [NTLM])
    return gssapi.Credentials(creds)


class WinRMConnection:
    """One keep-alive connection (HTTP or HTTPS, CA-validated) to a WinRM-like endpoint."""

    def __init__(self, url: str, ca_file: Optional[str] = None, client_cert: Optional[tuple[str, str]] = None):
        parts = urlsplit(url)
        self.url = url
        self.path = parts.path or "/wsman"
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=ca_file)
            context.check_hostname = False  # the lab is addressed as 127.0.0.1; its certificate names the host
            if client_cert is not None:
                context.load_cert_chain(*client_cert)
            self.http: http.client.HTTPConnection = http.client.HTTPSConnection(parts.hostname, parts.port,
                                                                                 context=context, timeout=30)
        else:
            self.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.http.connect()
        self.context: Optional[gssapi.SecurityContext] = None
        self.protocol = encryption.SPNEGO_PROTOCOL

    def post(self, body: bytes = b"", headers: Optional[dict[str, str]] = None) -> Response:
        self.http.request("POST", self.path, body=body, headers={"Content-Length": str(len(body)), **(headers or {})})
        answer = self.http.getresponse()
        return Response(answer.status, answer.headers, answer.read())

    def channel_bindings(self) -> gss.ChannelBindings:
        certificate = self.http.sock.getpeercert(binary_form=True)
        return gss.ChannelBindings(application_data=tls_server_end_point(certificate))

    def authenticate(self, mech: gssapi.OID, scheme: str = "Negotiate", target: str = "HTTP@win-lab.lab.test",
                     creds: Optional[gssapi.Credentials] = None,
                     bindings: Optional[gss.ChannelBindings] = None) -> Response:
        """Runs the legs on this connection; returns the last response (200 when authenticated). The final
        token of a 200 (AP-REP, SPNEGO accept-completed) is fed to the context: mutual authentication."""
        self.context = gssapi.SecurityContext(name=gssapi.Name(target, gssapi.NameType.hostbased_service),
                                              usage="initiate", mech=mech, creds=creds, flags=FLAGS,
                                              channel_bindings=bindings)
        self.protocol = encryption.KERBEROS_PROTOCOL if scheme == "Kerberos" else encryption.SPNEGO_PROTOCOL
        token = self.context.step()
        while True:
            response = self.post(headers={"Authorization": f"{scheme} {base64.b64encode(token).decode()}"})
            offered = [c for c in response.challenges() if c.startswith(scheme + " ")]
            if response.status == 200:
                if offered:
                    self.context.step(base64.b64decode(offered[0].split(" ", 1)[1]))
                assert self.context.complete, "the 200 did not complete the initiator's context"
                return response
            if response.status != 401 or not offered:
                return response
            token = self.context.step(base64.b64decode(offered[0].split(" ", 1)[1]))

    # -- message encryption (this object is the client's MessageCipher) ------------------------------

    chunk_size = None

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        assert self.context is not None
        if self.context.mech == NTLM:
            sealed = self.context.wrap(plaintext, True).message
            return sealed[:16], sealed[16:]
        iov = gss.IOV(gss.IOVBufferType.header, plaintext, std_layout=False)
        gss.wrap_iov(self.context, iov, confidential=True)
        return bytes(iov[0].value), bytes(iov[1].value)

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        assert self.context is not None
        return self.context.unwrap(header + data).message

    def exchange(self, soap: bytes) -> tuple[bytes, Response, Optional[bytes]]:
        """Sends `soap` encrypted; returns the request body sent, the response and its decrypted body
        (None when the response is not encrypted)."""
        content_type, body = encryption.seal_message(soap, self)
        response = self.post(body, {"Content-Type": content_type})
        reply_type = response.headers.get("Content-Type", "")
        if encryption.is_encrypted(reply_type):  # SOAP faults (HTTP 500) come back encrypted too
            return body, response, encryption.open_message(reply_type, response.body, self)
        return body, response, None


class SecuredWsmanClient(WsmanClient):
    """wsman_client's WS-Man operations carried by a WinRMConnection: encrypted with its security context
    (`encrypt`), or as plaintext SOAP with `per_request` headers (Basic, certificate)."""

    def __init__(self, lab: dict[str, Any], connection: WinRMConnection, encrypt: bool = True,
                 per_request: Optional[dict[str, str]] = None):
        super().__init__(lab)
        self.url = connection.url
        self.connection = connection
        self.encrypt = encrypt
        self.per_request = per_request or {}

    def post(self, body: bytes, headers: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
        if self.encrypt:
            _, response, plaintext = self.connection.exchange(body)
            return response.status, plaintext if plaintext is not None else response.body
        response = self.connection.post(body, {"Content-Type": SOAP_TYPE, **self.per_request, **(headers or {})})
        return response.status, response.body

    def owner_of_new_shell(self) -> str:
        """Creates a cmd shell and deletes it again; returns the Owner the lab recorded (the identity)."""
        root = self.call(Envelope(TRANSFER + "Create", CMD, CMD_SHELL_BODY))
        shell_id = root.findtext(".//w:Selector[@Name='ShellId']", namespaces=NS)
        self.delete(CMD, shell_id)
        return root.findtext(".//rsp:Owner", namespaces=NS)


def header_length(body: bytes) -> int:
    """The 4-byte little-endian signature length of the first encrypted part of a body."""
    marker = b"application/octet-stream\r\n"
    return struct.unpack_from("<I", body, body.index(marker) + len(marker))[0]
