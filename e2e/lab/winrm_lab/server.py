"""The WinRM listeners: HTTP and HTTPS on 127.0.0.1, path /wsman, HTTP/1.1 keep-alive, one thread and one
ConnectionAuth per TCP connection (authentication is connection-bound, as with HTTP.sys).

Per request: authenticate -> decode (unwrap encryption) -> WS-Man service -> encode (wrap) -> respond.
Invariants: a body is read only when its Content-Length is present and within the envelope limit plus
encryption slack, so a client cannot make the lab read unbounded data; a short body closes the
connection; any exception of a request ends in an HTTP error, never in a dead listener.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
import time
import weakref
from http.server import BaseHTTPRequestHandler
from typing import Iterator, Mapping, Optional

from . import envelope as env
from .contracts import ConnectionAuth, LabAuthority, LabSettings, RequestRejected, TlsInfo
from .envelope import WsmanFault
from .faults import FaultPlan
from .pki import LabPki
from .wsman import Caller, WsmanService

log = logging.getLogger("winrm_lab.server")

WSMAN_PATH = "/wsman"
IDLE_CONNECTION_TIMEOUT_S = 120  # HTTP.sys' default idle keep-alive timeout
_BODY_READ_TIMEOUT_S = 30
SHUTDOWN_POLL_S = 0.05  # how often serve_forever checks for shutdown: bounds the stop time


def encryption_slack(limit: int) -> int:
    """Bytes an encrypted body may carry beyond its SOAP envelope: MIME framing, signatures and, for
    CredSSP, one TLS record trailer per 16 KiB chunk."""
    return limit // 10 + 16384


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive names (what ConnectionAuth receives)."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self._values = {name.lower(): value for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class TlsCertificates:
    """One server TLS context per lab server certificate; new connections get the selected one."""

    def __init__(self, pki: LabPki, selected: str):
        self._contexts: dict[str, tuple[ssl.SSLContext, bytes]] = {}
        for name, cert in pki.server_certs.items():
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(cert.chain_path, cert.key_path)
            # Client certificates are optional (certificate authentication) and must chain to the lab CA.
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(pki.ca_bundle_path)
            self._contexts[name] = (context, cert.der)
        self._lock = threading.Lock()
        self.select(selected)

    def select(self, name: str) -> None:
        if name not in self._contexts:
            raise ValueError(f"unknown server certificate {name!r}; one of {', '.join(self._contexts)}")
        with self._lock:
            self.selected = name

    def current(self) -> tuple[ssl.SSLContext, bytes]:
        with self._lock:
            return self._contexts[self.selected]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, listener: "WsmanListener", port: int):
        self.listener = listener
        super().__init__(("127.0.0.1", port), _WsmanHandler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # Failed TLS handshakes and vanished clients end here; they are the client's business, not a lab failure.
        log.debug("connection from %s dropped", client_address[0], exc_info=True)


class _WsmanHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = IDLE_CONNECTION_TIMEOUT_S
    # Headers and body leave in separate writes; without TCP_NODELAY Nagle holds the body back until the
    # client's delayed ACK (40 ms on Linux), which would put a floor under every round trip HTTP.sys has not.
    disable_nagle_algorithm = True
    server: _Server

    # ----- connection -----
    def setup(self) -> None:
        listener = self.server.listener
        self.tls: Optional[TlsInfo] = None
        if listener.certificates is not None:
            context, server_der = listener.certificates.current()
            self.request.settimeout(_BODY_READ_TIMEOUT_S)
            try:
                self.request = context.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError) as error:
                log.info("TLS handshake with %s failed: %s", self.client_address[0], error)
                self.request.close()
                raise ConnectionAbortedError from error
            self.tls = TlsInfo(server_cert_der=server_der, peer_cert_der=self.request.getpeercert(binary_form=True))
        super().setup()
        self.auth: ConnectionAuth = listener.authority.connection(self.tls)
        listener.track(self)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, socket.timeout, ssl.SSLError, OSError) as error:
            log.debug("connection from %s ended: %s", self.client_address[0], error)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.listener.untrack(self)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.client_address[0], format % args)

    # ----- responses -----
    def _respond(self, status: int, headers: list[tuple[str, str]], body: bytes, *, close: bool = False, drop: bool = False) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close or drop:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if drop:
            # The armed fault: half of the response, then the connection goes away.
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _respond_text(self, status: int, message: str, headers: Optional[list[tuple[str, str]]] = None, close: bool = False) -> None:
        self._respond(status, [*(headers or []), ("Content-Type", "text/plain; charset=utf-8")], message.encode(), close=close)

    # ----- methods -----
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(405, [("Allow", "POST")], b"", close=True)

    do_PUT = do_DELETE = do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        listener = self.server.listener
        if self.path.split("?", 1)[0].lower() != WSMAN_PATH:
            self._respond(404, [], b"", close=True)
            return
        body = self._read_body(listener)
        if body is None:
            return
        headers = Headers(list(self.headers.items()))
        try:
            self._process(listener, headers, body)
        except RequestRejected as rejected:
            if rejected.drop_context:
                self.auth = listener.authority.connection(self.tls)
            self._respond_text(rejected.status, str(rejected))
        except Exception:  # noqa: BLE001 - a broken request must not take the connection thread down silently
            log.exception("request from %s failed", self.client_address[0])
            self._respond_text(500, "internal error of the lab", close=True)

    def _read_body(self, listener: "WsmanListener") -> Optional[bytes]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._respond(411, [], b"", close=True)
            return None
        declared = self.headers.get("Content-Length")
        if declared is None:
            self._respond(411, [], b"", close=True)
            return None
        if not declared.strip().isdigit():
            self._respond_text(400, "bad Content-Length", close=True)
            return None
        length = int(declared)
        limit = listener.settings.max_envelope_size_kb * 1024
        if length > limit + encryption_slack(limit):
            # Refused without reading: the unread body makes the connection unusable, so close it.
            fault = listener.service.fault_response(WsmanFault(env.ENVELOPE_TOO_LARGE))
            self._respond(500, [("Content-Type", "application/soap+xml;charset=UTF-8")], fault, close=True)
            return None
        self.connection.settimeout(_BODY_READ_TIMEOUT_S)
        body = self.rfile.read(length)
        self.connection.settimeout(IDLE_CONNECTION_TIMEOUT_S)
        if len(body) != length:
            self._respond_text(400, "the body is shorter than its Content-Length", close=True)
            return None
        return body

    def _process(self, listener: "WsmanListener", headers: Headers, body: bytes) -> None:
        outcome = self.auth.authenticate(headers, body)
        if outcome.kind == "continue":
            self._respond(outcome.status, outcome.headers, b"")
            return
        if outcome.kind == "reject":
            self._respond_text(outcome.status, outcome.message, outcome.headers)
            return
        if not body:
            self._respond(200, outcome.headers, b"")
            return
        soap = self.auth.decode_request(headers, body)
        delay = listener.faults.take_delay_s()
        if delay:
            time.sleep(delay)
        injected = listener.faults.take_http_500()
        if injected is not None:
            status, answer = 500, listener.service.fault_response(injected, soap)
        else:
            status, answer = listener.service.handle(soap, Caller(outcome.identity or "", self.client_address[0]))
        content_type, payload = self.auth.encode_response(answer)
        self._respond(status, [*outcome.headers, ("Content-Type", content_type)], payload, drop=listener.faults.take_drop())


class WsmanListener:
    """One listening socket (HTTP, or HTTPS when `certificates` is given) serving the WS-Man service."""

    def __init__(
        self,
        name: str,
        port: int,
        service: WsmanService,
        authority: LabAuthority,
        settings: LabSettings,
        faults: FaultPlan,
        certificates: Optional[TlsCertificates] = None,
    ):
        self.name = name
        self.service = service
        self.authority = authority
        self.settings = settings
        self.faults = faults
        self.certificates = certificates
        self._connections: "weakref.WeakSet[_WsmanHandler]" = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        self._server = _Server(self, port)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(SHUTDOWN_POLL_S,), name=f"{name}-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def track(self, handler: _WsmanHandler) -> None:
        with self._connections_lock:
            self._connections.add(handler)

    def untrack(self, handler: _WsmanHandler) -> None:
        with self._connections_lock:
            self._connections.discard(handler)

    def invalidate_all(self) -> int:
        """Forces re-authentication on every open connection; returns how many there were."""
        with self._connections_lock:
            handlers = list(self._connections)
        for handler in handlers:
            handler.auth.invalidate()
        return len(handlers)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._connections_lock:
            handlers = list(self._connections)
        for handler in handlers:
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
