"""The seams between the lab's parts: the WinRM service settings, the account table, and the
interface the HTTP listener uses to authenticate a connection and to encrypt its messages.

The listener (server.py) owns sockets and HTTP; the authentication package (auth.py, credssp.py,
kdc.py, encryption.py) owns every security decision. Neither reaches into the other's internals.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Optional, Protocol


@dataclass
class LabSettings:
    """WinRM service settings a test can change at run time (admin endpoint). Defaults are Windows'."""

    allow_unencrypted: bool = False
    auth_basic: bool = False
    auth_negotiate: bool = True
    auth_kerberos: bool = True
    auth_credssp: bool = False
    auth_certificate: bool = False
    cbt_hardening: str = "Relaxed"  # None | Relaxed | Strict
    max_envelope_size_kb: int = 500
    max_timeout_ms: int = 60000
    max_shells_per_user: int = 30
    max_concurrent_operations_per_user: int = 1500
    idle_timeout_ms: int = 7200000

    def update(self, changes: Mapping[str, object]) -> None:
        """Applies a partial update; unknown names and wrong types raise ValueError."""
        known = {f.name: f for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}")
            expected = type(getattr(self, name))
            if type(value) is not expected:
                raise ValueError(f"setting {name!r} takes {expected.__name__}, got {type(value).__name__}")
            if name == "cbt_hardening" and value not in ("None", "Relaxed", "Strict"):
                raise ValueError("cbt_hardening is one of None, Relaxed, Strict")
            setattr(self, name, value)


@dataclass(frozen=True)
class Account:
    domain: str  # NetBIOS domain, e.g. LAB
    user: str  # e.g. alice
    password: str

    @property
    def qualified(self) -> str:
        return f"{self.domain}\\{self.user}"


@dataclass(frozen=True)
class TlsInfo:
    """What the listener knows of the TLS layer of one connection (None on plain HTTP)."""

    server_cert_der: bytes  # the certificate this listener presented (channel bindings, CredSSP)
    peer_cert_der: Optional[bytes]  # the client certificate, when the client sent one


@dataclass
class AuthOutcome:
    """The listener's instruction after an authentication step.

    kind: 'continue' -> answer `status` (401) with `headers` and an empty body; the client sends the next leg.
          'ok'       -> the request is authenticated as `identity`; process its body (which may be empty:
                        then answer 200 with `headers` and an empty body).
          'reject'   -> answer `status` with `headers` and `message` as text/plain; the context is gone.
    """

    kind: str
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    identity: Optional[str] = None
    message: str = ""


class RequestRejected(Exception):
    """A request body the security layer refuses (plaintext where encryption is required, a bad
    signature, a Length= mismatch). The listener answers `status` and keeps no context when `drop_context`."""

    def __init__(self, status: int, message: str, drop_context: bool = True):
        super().__init__(message)
        self.status = status
        self.drop_context = drop_context


class ConnectionAuth(Protocol):
    """Per-TCP-connection security state. One instance lives as long as its keep-alive connection."""

    identity: Optional[str]

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> AuthOutcome:
        """Called for every request. Uses the Authorization header when present; without one, a connection
        whose context is established is 'ok', anything else gets 'continue' with the 401 challenge list."""

    def decode_request(self, headers: Mapping[str, str], body: bytes) -> bytes:
        """Returns the plaintext SOAP of an authenticated request: unwraps multipart/encrypted bodies,
        enforces AllowUnencrypted for plaintext bodies on plain HTTP. Raises RequestRejected."""

    def encode_response(self, soap: bytes) -> tuple[str, bytes]:
        """Returns (content_type, body) for a SOAP response: encrypted when the request was."""

    def invalidate(self) -> None:
        """Forgets the security context (the admin's forced re-authentication)."""


class LabAuthority(Protocol):
    """Process-wide authentication state: accounts, the KDC, acceptor credentials."""

    def connection(self, tls: Optional[TlsInfo]) -> ConnectionAuth: ...

    def describe(self) -> dict:
        """The descriptor fields this authority contributes: accounts, realm, KDC, krb5.conf, SPNs."""

    def close(self) -> None: ...
