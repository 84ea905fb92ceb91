"""Shared fixtures: one lab per test session, started as `python -m winrm_lab` (as users and the app's
tests start it), and an admin client that puts every setting, fault and certificate back after a test."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

LAB_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(LAB_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Starts the lab, yields its parsed descriptor; on teardown stops it with SIGTERM and checks that it
    exits 0 within a few seconds, closes its ports and removes its work directory."""
    directory = tmp_path_factory.mktemp("lab")
    descriptor_path = directory / "descriptor.json"
    log_path = directory / "lab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "winrm_lab", "--descriptor", str(descriptor_path)],
            cwd=LAB_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not descriptor_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the lab did not start (exit {process.poll()}):\n{log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    descriptor = json.loads(descriptor_path.read_text())
    yield descriptor
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the lab did not stop within {STOP_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")
    assert code == 0, log_path.read_text(errors="replace")
    ports = [descriptor["http_port"], descriptor["https_port"], int(descriptor["admin_url"].rsplit(":", 1)[1])]
    assert not any(_port_open(port) for port in ports), "a lab port is still open after stop"
    assert not os.path.exists(descriptor["workdir"]), "the lab left its work directory behind"
    assert not descriptor_path.exists(), "the lab left its descriptor behind"


class AdminClient:
    """The lab's control endpoint (see winrm_lab/admin.py)."""

    def __init__(self, descriptor: dict[str, Any]):
        self._url = descriptor["admin_url"]
        self._token = descriptor["admin_token"]

    def request(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self._url + path, data=data, method=method, headers={"X-Lab-Token": self._token})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def settings(self, **changes: Any) -> dict[str, Any]:
        return self.request("POST", "/settings", changes) if changes else self.request("GET", "/settings")

    def fault(self, kind: str, **options: Any) -> dict[str, Any]:
        return self.request("POST", "/faults", {"kind": kind, **options})

    def invalidate_auth(self) -> int:
        return self.request("POST", "/faults/invalidate-auth")["invalidated"]

    def server_cert(self, name: str) -> dict[str, Any]:
        return self.request("POST", "/server-cert", {"name": name})

    def shells(self) -> list[dict[str, Any]]:
        return self.request("GET", "/shells")

    def snapshot(self) -> tuple[dict[str, Any], str]:
        return self.settings(), self.request("GET", "/server-cert")["selected"]

    def restore(self, snapshot: tuple[dict[str, Any], str]) -> None:
        """Back to a snapshot's settings and certificate, with no fault armed."""
        settings, certificate = snapshot
        self.request("POST", "/settings", settings)
        self.request("DELETE", "/faults")
        self.server_cert(certificate)


@pytest.fixture
def admin(lab: dict[str, Any]) -> Iterator[AdminClient]:
    """The control endpoint; whatever a test changes is undone after it (back to the state before it)."""
    client = AdminClient(lab)
    snapshot = client.snapshot()
    yield client
    client.restore(snapshot)


@pytest.fixture(scope="module")
def basic_auth(lab: dict[str, Any]) -> Iterator[None]:
    """Basic authentication enabled for a whole test module (module-scoped fixtures may rely on it)."""
    client = AdminClient(lab)
    snapshot = client.snapshot()
    client.settings(auth_basic=True)
    yield
    client.restore(snapshot)
