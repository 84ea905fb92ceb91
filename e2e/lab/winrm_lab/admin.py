"""The lab's control endpoint: a second HTTP listener on 127.0.0.1 with JSON endpoints for tests.

Every request must carry the per-run random token in `X-Lab-Token` (given in the descriptor); there is no
other authentication, which is acceptable because it only listens on loopback.

    GET  /settings          -> the WinRM service settings (LabSettings)
    POST /settings          {name: value, ...} -> partial update, returns the new settings
    POST /settings/reset    -> back to the settings the lab started with
    GET  /faults            -> armed faults
    POST /faults            {"kind": "drop"|"http_500"|"delay", "count": n|null, "delay_ms": n, "code": n, "message": s}
    POST /faults/invalidate-auth -> forget every connection's security context (forces re-authentication)
    DELETE /faults          -> disarm everything
    GET  /server-cert       -> {"selected": name, "available": [...]}
    POST /server-cert       {"name": "chain"|"self_signed"|"expired"|"sha384"} -> new HTTPS connections present it
    GET  /shells            -> every live shell (id, owner, resource, state, process id, commands)
    POST /shutdown          -> stops the lab (answers first)
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

from .contracts import LabSettings
from .faults import FaultPlan
from .server import SHUTDOWN_POLL_S, TlsCertificates, WsmanListener
from .shells import ShellRegistry

log = logging.getLogger("winrm_lab.admin")

TOKEN_HEADER = "X-Lab-Token"
_MAX_BODY = 64 * 1024


class AdminApi:
    """The state the endpoints act on; kept apart from HTTP so it reads as the list of operations."""

    def __init__(
        self,
        settings: LabSettings,
        faults: FaultPlan,
        certificates: TlsCertificates,
        listeners: list[WsmanListener],
        shells: ShellRegistry,
        request_shutdown: Callable[[], None],
    ):
        self.settings = settings
        self.initial_settings = dataclasses.replace(settings)
        self.faults = faults
        self.certificates = certificates
        self.initial_certificate = certificates.selected
        self.listeners = listeners
        self.shells = shells
        self.request_shutdown = request_shutdown
        self._routes: dict[tuple[str, str], Callable[[Any], Any]] = {
            ("GET", "/settings"): lambda _: dataclasses.asdict(self.settings),
            ("POST", "/settings"): self._update_settings,
            ("POST", "/settings/reset"): self._reset_settings,
            ("GET", "/faults"): lambda _: self.faults.describe(),
            ("POST", "/faults"): lambda body: dataclasses.asdict(self.faults.arm(_object(body))),
            ("POST", "/faults/invalidate-auth"): lambda _: {"invalidated": sum(l.invalidate_all() for l in self.listeners)},
            ("DELETE", "/faults"): lambda _: self.faults.clear() or [],
            ("GET", "/server-cert"): lambda _: self._certificate_state(),
            ("POST", "/server-cert"): self._select_certificate,
            ("GET", "/shells"): lambda _: [shell.describe() for shell in self.shells.all()],
            ("POST", "/shutdown"): lambda _: self._shutdown(),
        }

    def route(self, method: str, path: str) -> Optional[Callable[[Any], Any]]:
        return self._routes.get((method, path))

    def _update_settings(self, body: Any) -> dict[str, Any]:
        self.settings.update(_object(body))
        return dataclasses.asdict(self.settings)

    def _reset_settings(self, _: Any) -> dict[str, Any]:
        self.settings.update(dataclasses.asdict(self.initial_settings))
        return dataclasses.asdict(self.settings)

    def _certificate_state(self) -> dict[str, Any]:
        return {"selected": self.certificates.selected, "initial": self.initial_certificate}

    def _select_certificate(self, body: Any) -> dict[str, Any]:
        name = _object(body).get("name")
        if not isinstance(name, str):
            raise ValueError("name is a string")
        self.certificates.select(name)
        return self._certificate_state()

    def _shutdown(self) -> dict[str, Any]:
        # After the response is written: the handler thread must not wait for its own server to stop.
        threading.Timer(0.1, self.request_shutdown).start()
        return {"stopping": True}


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


class _AdminHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WinRMLabAdmin/1"
    sys_version = ""
    timeout = 60
    server: "AdminServer"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("admin %s", format % args)

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self) -> None:
        api = self.server.api
        length_text = self.headers.get("Content-Length", "0")
        if not length_text.isdigit() or int(length_text) > _MAX_BODY:
            self.close_connection = True
            self._reply(400, {"error": "Content-Length must be present and at most 64 KiB"})
            return
        raw = self.rfile.read(int(length_text))
        if not hmac.compare_digest(self.headers.get(TOKEN_HEADER, ""), self.server.token):
            self._reply(403, {"error": f"missing or wrong {TOKEN_HEADER}"})
            return
        handler = api.route(self.command, self.path.split("?", 1)[0])
        if handler is None:
            self._reply(404, {"error": f"no endpoint {self.command} {self.path}"})
            return
        try:
            body = json.loads(raw) if raw.strip() else None
            self._reply(200, handler(body))
        except (ValueError, json.JSONDecodeError) as error:
            self._reply(400, {"error": str(error)})

    do_GET = do_POST = do_DELETE = _dispatch


class AdminServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, api: AdminApi, token: str, port: int = 0):
        self.api = api
        self.token = token
        super().__init__(("127.0.0.1", port), _AdminHandler)
        self.port: int = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, args=(SHUTDOWN_POLL_S,), name="admin-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
