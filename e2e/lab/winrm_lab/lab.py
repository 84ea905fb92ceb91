"""Assembles and runs the lab: PKI, authentication authority (KDC), WS-Man service, HTTP and HTTPS
listeners, admin endpoint, descriptor. Stopping undoes all of it: shells and their processes are
ended and reaped, the KDC stops, listeners close, the work directory and the descriptor disappear.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .admin import AdminApi, AdminServer
from .auth import create_authority
from .contracts import LabAuthority, LabSettings
from .descriptor import remove_descriptor, write_descriptor
from .faults import FaultPlan
from .host import HostEnvironment
from .pki import SERVER_CERT_NAMES, create_pki
from .server import TlsCertificates, WsmanListener
from .wsman import WsmanService

log = logging.getLogger("winrm_lab")

HOST_NAME = "win-lab.lab.test"


def default_pwsh() -> str:
    return os.environ.get("WINRM_LAB_PWSH") or os.path.expanduser("~/.dotnet/tools/pwsh")


@dataclass
class LabOptions:
    http_port: int = 0
    https_port: int = 0
    admin_port: int = 0
    server_cert: str = "chain"
    descriptor_path: Optional[str] = None  # default: descriptor.json in the work directory
    pwsh: str = field(default_factory=default_pwsh)
    settings: LabSettings = field(default_factory=LabSettings)


def _read(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


class Lab:
    def __init__(self, options: LabOptions):
        if options.server_cert not in SERVER_CERT_NAMES:
            raise ValueError(f"--server-cert is one of {', '.join(SERVER_CERT_NAMES)}")
        if not os.access(options.pwsh, os.X_OK):
            raise ValueError(f"PowerShell not found at {options.pwsh} (set WINRM_LAB_PWSH)")
        self.options = options
        self.settings = options.settings
        self.stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._authority: Optional[LabAuthority] = None
        self._service: Optional[WsmanService] = None
        self._listeners: list[WsmanListener] = []
        self._admin: Optional[AdminServer] = None
        self.workdir = tempfile.mkdtemp(prefix="winrm-lab-")
        self.descriptor_path = options.descriptor_path or os.path.join(self.workdir, "descriptor.json")
        self.descriptor: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        """Brings everything up and writes the descriptor last; on failure undoes what was started."""
        started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.descriptor["startup_seconds"] = round(time.monotonic() - started, 3)
        write_descriptor(self.descriptor_path, self.descriptor)
        return self.descriptor

    def _start(self) -> None:
        pki_dir, auth_dir = os.path.join(self.workdir, "pki"), os.path.join(self.workdir, "auth")
        os.makedirs(pki_dir)
        os.makedirs(auth_dir)
        pki = create_pki(pki_dir, HOST_NAME)
        chain = pki.server_certs["chain"]
        self._authority = create_authority(
            self.settings,
            auth_dir,
            _read(chain.cert_path),
            _read(chain.key_path),
            _read(pki.ca_bundle_path),
            _read(pki.issuing_ca_path),
            HOST_NAME,
        )
        host = HostEnvironment(self.workdir, self.options.pwsh)
        self._service = WsmanService(self.settings, host, HOST_NAME)
        faults = FaultPlan()
        certificates = TlsCertificates(pki, self.options.server_cert)
        http = WsmanListener("http", self.options.http_port, self._service, self._authority, self.settings, faults)
        https = WsmanListener("https", self.options.https_port, self._service, self._authority, self.settings, faults, certificates)
        self._listeners = [http, https]
        token = secrets.token_urlsafe(24)
        api = AdminApi(self.settings, faults, certificates, self._listeners, self._service.shells, self.request_stop)
        self._admin = AdminServer(api, token, self.options.admin_port)
        for listener in self._listeners:
            listener.start()
        self._admin.start()
        self.descriptor = {
            "http_url": f"http://127.0.0.1:{http.port}/wsman",
            "https_url": f"https://127.0.0.1:{https.port}/wsman",
            "http_port": http.port,
            "https_port": https.port,
            "host_name": HOST_NAME,
            "admin_url": f"http://127.0.0.1:{self._admin.port}",
            "admin_token": token,
            "ca_bundle": pki.ca_bundle_path,
            "root_ca": pki.root_ca_path,
            "issuing_ca": pki.issuing_ca_path,
            "server_cert": self.options.server_cert,
            "server_certs": {
                name: {"cert": cert.cert_path, "chain": cert.chain_path, "fingerprint_sha256": cert.fingerprint_sha256}
                for name, cert in pki.server_certs.items()
            },
            "client_cert": pki.client_cert_path,
            "client_key": pki.client_key_path,
            "configurations": host.configuration_names(),
            "workdir": self.workdir,
            "pwsh": self.options.pwsh,
            "pid": os.getpid(),
            **self._authority.describe(),
        }

    def request_stop(self) -> None:
        self.stopped.set()

    def stop(self) -> None:
        """Idempotent; safe after a partial start."""
        with self._stop_lock:
            self.stopped.set()
            if self._admin is not None:
                self._admin.stop()
                self._admin = None
            for listener in self._listeners:
                listener.stop()
            self._listeners = []
            if self._service is not None:
                self._service.close()
                self._service = None
            if self._authority is not None:
                self._authority.close()
                self._authority = None
            remove_descriptor(self.descriptor_path)
            shutil.rmtree(self.workdir, ignore_errors=True)
