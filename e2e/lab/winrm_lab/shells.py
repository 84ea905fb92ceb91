"""What every WinRS shell has in common (cmd shells and PowerShell runspace pools): identity and ownership,
the connected/disconnected state, the long-poll wait of Receive, the response-size budget, and the
registry that enforces per-user quotas and idle expiry.

Invariants: a shell is visible only to its owner (another user gets the same fault as for an unknown id);
a shell's `changed` condition is notified whenever output, command state or connection state changes,
so every waiting Receive re-checks.
"""

from __future__ import annotations

import base64
import threading
import time
from abc import ABC, abstractmethod
from typing import Callable, Optional

from . import envelope as env
from .contracts import LabSettings
from .envelope import WsmanFault, WsmanRequest, attribute, format_duration, text

STATE_DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
STATE_RUNNING = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"


class OutputBudget:
    """Bytes a ReceiveResponse may still spend on `rsp:Stream` elements without exceeding the envelope
    limit: `available` is what is left after the response skeleton, each stream element costs its fixed
    markup plus the base64 of its payload."""

    def __init__(self, available: int, stream_markup: int):
        self.available = available
        self.stream_markup = stream_markup

    def max_payload(self) -> int:
        """Raw bytes one more stream element can carry (0: none fits)."""
        return max(0, (self.available - self.stream_markup) // 4 * 3)

    def spend(self, payload_length: int) -> None:
        self.available -= self.stream_markup + (payload_length + 2) // 3 * 4


def stream_element(name: str, command_id: Optional[str], payload: bytes, end: bool = False) -> str:
    command = f" CommandId={attribute(command_id)}" if command_id else ""
    end_attribute = ' End="true"' if end else ""
    return f'<rsp:Stream Name={attribute(name)}{command}{end_attribute}>{base64.b64encode(payload).decode("ascii")}</rsp:Stream>'


def _run_time(seconds: float) -> str:
    whole = int(seconds)
    return f"P{whole // 86400}DT{whole % 86400 // 3600}H{whole % 3600 // 60}M{whole % 60}S"


class Shell(ABC):
    """One WinRS shell. Subclasses implement the shell operations; this class keeps the shared state."""

    def __init__(
        self,
        shell_id: str,
        resource_uri: str,
        owner: str,
        client_ip: str,
        session_id: Optional[str],
        idle_timeout_s: float,
        input_streams: str,
        output_streams: str,
    ):
        self.shell_id = shell_id
        self.resource_uri = resource_uri
        self.owner = owner
        self.client_ip = client_ip
        self.session_id = session_id
        self.idle_timeout_s = idle_timeout_s
        self.input_streams = input_streams
        self.output_streams = output_streams
        self.state = "Connected"
        self.closed = False
        self.changed = threading.Condition()
        self._created = time.monotonic()
        self._last_activity = self._created
        self._active_operations = 0
        # Bumped by Disconnect so that a Receive waiting across it fails instead of returning to nobody.
        self._connection_epoch = 0
        # Robust Connections: per CommandId (None: the shell itself), the OperationID of the last Receive that named
        # one and the rsp:ReceiveResponse content it was answered with, to answer a retransmission of it again.
        self._last_receives: dict[Optional[str], tuple[str, str]] = {}

    # ----- bookkeeping used by the service -----
    def begin_operation(self) -> None:
        with self.changed:
            self._active_operations += 1
            self._last_activity = time.monotonic()

    def end_operation(self) -> None:
        with self.changed:
            self._active_operations -= 1
            self._last_activity = time.monotonic()

    def idle_expired(self, now: float) -> bool:
        with self.changed:
            return self._active_operations == 0 and now - self._last_activity > self.idle_timeout_s

    def require_connected(self) -> None:
        if self.state != "Connected":
            raise WsmanFault(env.SHELL_DISCONNECTED)

    def wait_until(self, ready: Callable[[], bool], timeout_s: float) -> None:
        """Blocks (holding `changed` on return) until `ready()` or raises the OperationTimeout fault.
        Must be called with `changed` held. Fails if the shell is closed or disconnected meanwhile."""
        epoch = self._connection_epoch
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.closed:
                raise WsmanFault(env.SHELL_ENDED)
            if self._connection_epoch != epoch:
                raise WsmanFault(env.STREAM_DISCONNECTED)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WsmanFault(env.OPERATION_TIMED_OUT)
            self.changed.wait(remaining)

    def mark_disconnected(self, idle_timeout_s: Optional[float]) -> None:
        with self.changed:
            self.require_connected()
            self.state = "Disconnected"
            self._connection_epoch += 1
            if idle_timeout_s is not None:
                self.idle_timeout_s = idle_timeout_s
            self.changed.notify_all()

    def mark_connected(self, session_id: Optional[str]) -> None:
        with self.changed:
            self.state = "Connected"
            self.session_id = session_id
            self.changed.notify_all()

    def remember_receive(self, command_id: Optional[str], operation_id: str, content: str) -> None:
        with self.changed:
            self._last_receives[command_id] = (operation_id, content)

    def remembered_receive(self, command_id: Optional[str], operation_id: str) -> Optional[str]:
        """The content the last Receive for `command_id` was answered with, if it carried `operation_id`."""
        with self.changed:
            remembered = self._last_receives.get(command_id)
        return remembered[1] if remembered is not None and remembered[0] == operation_id else None

    # ----- description -----
    def process_id(self) -> Optional[int]:
        return None

    def shell_xml(self, with_usage: bool = False) -> str:
        """The rsp:Shell element of CreateResponse, Get and Enumerate."""
        elapsed = _run_time(time.monotonic() - self._created)
        idle = _run_time(time.monotonic() - self._last_activity)
        pid = self.process_id()
        parts = [
            f"<rsp:ShellId>{text(self.shell_id)}</rsp:ShellId>",
            f"<rsp:ResourceUri>{text(self.resource_uri)}</rsp:ResourceUri>",
            f"<rsp:Owner>{text(self.owner)}</rsp:Owner>",
            f"<rsp:ClientIP>{text(self.client_ip)}</rsp:ClientIP>",
            f"<rsp:ProcessId>{pid}</rsp:ProcessId>" if pid else "",
            f"<rsp:IdleTimeOut>{format_duration(self.idle_timeout_s)}</rsp:IdleTimeOut>",
            f"<rsp:InputStreams>{text(self.input_streams)}</rsp:InputStreams>",
            f"<rsp:OutputStreams>{text(self.output_streams)}</rsp:OutputStreams>",
            "<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut><rsp:Locale>en-US</rsp:Locale>"
            "<rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression</rsp:CompressionMode>"
            "<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode>",
            f"<rsp:State>{self.state}</rsp:State>",
            f"<rsp:ShellRunTime>{elapsed}</rsp:ShellRunTime><rsp:ShellInactivity>{idle}</rsp:ShellInactivity>",
            f"<rsp:ChildProcesses>{len(self.command_ids())}</rsp:ChildProcesses>" if with_usage else "",
        ]
        return f'<rsp:Shell xmlns:rsp="{env.NS_SHELL}">{"".join(parts)}</rsp:Shell>'

    def describe(self) -> dict[str, object]:
        """What the admin endpoint's GET /shells reports."""
        return {
            "shell_id": self.shell_id,
            "resource_uri": self.resource_uri,
            "owner": self.owner,
            "state": self.state,
            "process_id": self.process_id(),
            "commands": self.command_ids(),
        }

    # ----- operations -----
    @abstractmethod
    def command_ids(self) -> list[str]: ...

    @abstractmethod
    def commands_xml(self) -> list[str]:
        """rsp:Command elements for the enumeration of this shell's commands."""

    @abstractmethod
    def command(self, request: WsmanRequest) -> str:
        """Starts a command; returns its CommandId."""

    @abstractmethod
    def send(self, request: WsmanRequest) -> None: ...

    @abstractmethod
    def receive(self, request: WsmanRequest, budget: OutputBudget, timeout_s: float) -> str:
        """Returns the children of rsp:ReceiveResponse (streams, command state), waiting up to timeout_s."""

    @abstractmethod
    def signal(self, request: WsmanRequest) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Ends every process of the shell and reaps it; idempotent."""

    def disconnect(self, request: WsmanRequest) -> None:
        raise WsmanFault(env.ACTION_NOT_SUPPORTED, "This shell does not support disconnection.")

    def reconnect(self, request: WsmanRequest) -> None:
        raise WsmanFault(env.ACTION_NOT_SUPPORTED, "This shell does not support reconnection.")

    def connect(self, request: WsmanRequest) -> str:
        raise WsmanFault(env.ACTION_NOT_SUPPORTED, "This shell does not support connection from another client.")


class ShellRegistry:
    """All live shells of the lab, by upper-case ShellId, with per-user quotas and idle expiry."""

    def __init__(self, settings: LabSettings):
        self._settings = settings
        self._lock = threading.Lock()
        self._shells: dict[str, Shell] = {}
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._expire_idle_shells, name="shell-reaper", daemon=True)
        self._reaper.start()

    def add(self, shell: Shell) -> None:
        """Registers a shell before its process starts, so concurrent creations count against the quota."""
        with self._lock:
            if shell.shell_id in self._shells:
                raise WsmanFault(env.ALREADY_EXISTS)
            owned = sum(1 for s in self._shells.values() if s.owner == shell.owner)
            if owned >= self._settings.max_shells_per_user:
                raise WsmanFault(env.QUOTA_MAX_SHELLS)
            self._shells[shell.shell_id] = shell

    def find(self, shell_id: str, owner: str) -> Shell:
        with self._lock:
            shell = self._shells.get(shell_id.upper())
        if shell is None or shell.owner != owner:
            raise WsmanFault(env.UNEXPECTED_SELECTORS)
        return shell

    def remove(self, shell: Shell) -> None:
        with self._lock:
            if self._shells.get(shell.shell_id) is shell:
                del self._shells[shell.shell_id]

    def owned_by(self, owner: str) -> list[Shell]:
        with self._lock:
            return [s for s in self._shells.values() if s.owner == owner]

    def all(self) -> list[Shell]:
        with self._lock:
            return list(self._shells.values())

    def _expire_idle_shells(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for shell in self.all():
                if shell.idle_expired(now):
                    self.remove(shell)
                    shell.close()

    def close_all(self) -> None:
        self._stop.set()
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        threads = [threading.Thread(target=shell.close, daemon=True) for shell in shells]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
