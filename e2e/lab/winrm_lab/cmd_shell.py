"""The WinRS cmd shell (resource .../windows/shell/cmd): each command runs as `/bin/sh -c "<command> <args>"`
(or directly with WINRS_SKIP_CMD_SHELL) in the shell's working directory and environment, with stdin fed by
Send and stdout/stderr streamed to Receive in arrival order.

Invariants: every command runs in its own process group, so ctrl_c reaches the whole pipeline and
terminate/close kill everything it started; a command is Done only when its process has exited and both
output pipes reached EOF, and Done is reported in the Receive that hands out its last bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
import queue
import signal
import subprocess
import threading
import uuid
from collections import deque
from typing import Optional

from . import envelope as env
from .envelope import NS_SHELL, FaultKind, WsmanFault, WsmanRequest, attribute, q, text
from .shells import STATE_DONE, STATE_RUNNING, OutputBudget, Shell, stream_element

SIGNAL_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/"
_READ_CHUNK = 64 * 1024
_FILE_NOT_FOUND = FaultKind(2147942402, "s:Receiver", "w:InternalError", None, "The system cannot find the file specified.")
_CODE_PAGE_NOT_SUPPORTED = FaultKind(2150859072, "s:Sender", "w:InvalidParameter", None, "The code page is not supported.")
# Signal codes (lower-cased, MS-WSMV names them in lower case, pypsrp sends `Terminate`) -> what the lab does.
_INTERRUPTS = {"ctrl_c": signal.SIGINT, "ctrl_break": signal.SIGQUIT}


def parse_shell_options(request: WsmanRequest) -> None:
    """Validates the cmd-specific Create options (the code page is accepted but output stays UTF-8)."""
    code_page = request.options.get("WINRS_CODEPAGE")
    if code_page is not None and not code_page.isdigit():
        raise WsmanFault(_CODE_PAGE_NOT_SUPPORTED)


def decode_base64(value: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise WsmanFault(env.INVALID_PARAMETER, "The stream data is not valid base64.") from error


class CmdCommand:
    """One running (or finished) command of a cmd shell. Output and state are guarded by the shell's `changed`."""

    def __init__(self, shell: CmdShell, command_id: str, command_line: str, argv: list[str]):
        self.shell = shell
        self.command_id = command_id
        self.command_line = command_line
        self.output: deque[tuple[str, bytes]] = deque()
        self.exit_code: Optional[int] = None
        self._stdin_queue: queue.Queue[Optional[bytes]] = queue.Queue()
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=shell.working_directory,
                env=shell.environment,
                start_new_session=True,  # own process group: signals reach the whole pipeline
            )
        except OSError as error:
            raise WsmanFault(_FILE_NOT_FOUND, f"{_FILE_NOT_FOUND.message} ({argv[0]}: {error.strerror})") from error
        self._threads = [
            threading.Thread(target=self._read, args=(self.process.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, "stderr"), daemon=True),
            threading.Thread(target=self._write_stdin, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        threading.Thread(target=self._wait_for_exit, daemon=True).start()

    @property
    def done(self) -> bool:
        return self.exit_code is not None

    def _read(self, pipe, stream_name: str) -> None:
        while True:
            chunk = os.read(pipe.fileno(), _READ_CHUNK)
            if not chunk:
                break
            with self.shell.changed:
                self.output.append((stream_name, chunk))
                self.shell.changed.notify_all()
        pipe.close()

    def _write_stdin(self) -> None:
        stdin = self.process.stdin
        while True:
            data = self._stdin_queue.get()
            try:
                if data is None:
                    stdin.close()
                    return
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return  # the process no longer reads its stdin; drop what the client sends

    def _wait_for_exit(self) -> None:
        code = self.process.wait()
        for thread in self._threads[:2]:
            thread.join()
        with self.shell.changed:
            # A process killed by a signal reports 128 + signal number, as sh does for its children.
            self.exit_code = code if code >= 0 else 128 - code
            self.shell.changed.notify_all()

    def feed_stdin(self, data: bytes, end: bool) -> None:
        if data:
            self._stdin_queue.put(data)
        if end:
            self._stdin_queue.put(None)

    def interrupt(self, signal_number: int) -> None:
        try:
            os.killpg(self.process.pid, signal_number)
        except ProcessLookupError:
            pass  # already gone (the signal after Done in the recorded winrs flow)

    def kill(self) -> None:
        self.interrupt(signal.SIGKILL)
        self._stdin_queue.put(None)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def command_xml(self) -> str:
        state = STATE_DONE if self.done else STATE_RUNNING
        return (
            f"<rsp:Command><rsp:CommandId>{self.command_id}</rsp:CommandId>"
            f"<rsp:CommandLine>{text(self.command_line)}</rsp:CommandLine><rsp:CommandState>{state}</rsp:CommandState></rsp:Command>"
        )


class CmdShell(Shell):
    def __init__(self, *, working_directory: str, environment: dict[str, str], **shell_fields):
        super().__init__(**shell_fields)
        self.working_directory = working_directory
        self.environment = environment
        self._commands: dict[str, CmdCommand] = {}

    def command_ids(self) -> list[str]:
        with self.changed:
            return list(self._commands)

    def commands_xml(self) -> list[str]:
        with self.changed:
            return [c.command_xml() for c in self._commands.values()]

    def _find(self, command_id: Optional[str]) -> CmdCommand:
        with self.changed:
            command = self._commands.get((command_id or "").upper())
        if command is None:
            raise WsmanFault(env.UNKNOWN_COMMAND)
        return command

    def command(self, request: WsmanRequest) -> str:
        self.require_connected()
        line = request.body_child(q(NS_SHELL, "CommandLine"))
        executable = None if line is None else line.find(q(NS_SHELL, "Command"))
        if executable is None or not (executable.text or "").strip():
            raise WsmanFault(env.INVALID_PARAMETER, "The command line has no command.")
        arguments = [(a.text or "") for a in line.iterfind(q(NS_SHELL, "Arguments"))]
        command_id = (line.get("CommandId") or str(uuid.uuid4())).upper()
        command_text = " ".join([executable.text.strip(), *arguments])
        if request.options.get("WINRS_SKIP_CMD_SHELL", "").lower() == "true":
            argv = [executable.text.strip(), *arguments]
        else:
            argv = ["/bin/sh", "-c", command_text]
        with self.changed:
            if command_id in self._commands:
                raise WsmanFault(env.ALREADY_EXISTS)
        command = CmdCommand(self, command_id, command_text, argv)
        with self.changed:
            self._commands[command_id] = command
        return command_id

    def send(self, request: WsmanRequest) -> None:
        self.require_connected()
        streams = request.body.findall(f"{q(NS_SHELL, 'Send')}/{q(NS_SHELL, 'Stream')}")
        if not streams:
            raise WsmanFault(env.INVALID_PARAMETER, "The Send request has no stream.")
        for stream in streams:
            if stream.get("Name") not in self.input_streams.split():
                raise WsmanFault(env.INVALID_PARAMETER, f"The shell has no input stream {stream.get('Name')!r}.")
            data = decode_base64(stream.text or "")
            self._find(stream.get("CommandId")).feed_stdin(data, (stream.get("End") or "").lower() == "true")

    def receive(self, request: WsmanRequest, budget: OutputBudget, timeout_s: float) -> str:
        self.require_connected()
        desired = request.body.find(f"{q(NS_SHELL, 'Receive')}/{q(NS_SHELL, 'DesiredStream')}")
        if desired is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Receive request has no DesiredStream.")
        command = self._find(desired.get("CommandId"))
        names = (desired.text or "").split() or self.output_streams.split()
        with self.changed:
            self.wait_until(lambda: command.done or any(n in names for n, _ in command.output), timeout_s)
            parts = self._drain(command, names, budget)
            if command.done and not any(n in names for n, _ in command.output):
                parts += [stream_element(name, command.command_id, b"", end=True) for name in names]
                parts.append(
                    f"<rsp:CommandState CommandId={attribute(command.command_id)} State={attribute(STATE_DONE)}>"
                    f"<rsp:ExitCode>{command.exit_code}</rsp:ExitCode></rsp:CommandState>"
                )
            else:
                parts.append(f"<rsp:CommandState CommandId={attribute(command.command_id)} State={attribute(STATE_RUNNING)}></rsp:CommandState>")
        return "".join(parts)

    @staticmethod
    def _drain(command: CmdCommand, names: list[str], budget: OutputBudget) -> list[str]:
        """Moves queued output of the desired streams into stream elements, merging consecutive chunks of
        one stream and splitting a chunk that does not fit; chunks of other streams keep their place."""
        parts: list[str] = []
        kept: deque[tuple[str, bytes]] = deque()
        while command.output:
            name, chunk = command.output.popleft()
            if name not in names:
                kept.append((name, chunk))
                continue
            while command.output and command.output[0][0] == name and len(chunk) < budget.max_payload():
                chunk += command.output.popleft()[1]
            room = budget.max_payload()
            if room == 0:
                kept.append((name, chunk))
                break
            if len(chunk) > room:
                chunk, rest = chunk[:room], chunk[room:]
                command.output.appendleft((name, rest))
            budget.spend(len(chunk))
            parts.append(stream_element(name, command.command_id, chunk))
        kept.extend(command.output)
        command.output.clear()
        command.output.extend(kept)
        return parts

    def signal(self, request: WsmanRequest) -> None:
        element = request.body_child(q(NS_SHELL, "Signal"))
        code_element = None if element is None else element.find(q(NS_SHELL, "Code"))
        if code_element is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Signal request has no code.")
        command = self._find(element.get("CommandId"))
        code = (code_element.text or "").strip()
        name = code[len(SIGNAL_PREFIX):].lower() if code.startswith(SIGNAL_PREFIX) else ""
        if name in _INTERRUPTS:
            command.interrupt(_INTERRUPTS[name])
        elif name == "terminate":
            command.kill()
            with self.changed:
                self._commands.pop(command.command_id, None)
                self.changed.notify_all()
        else:
            raise WsmanFault(env.INVALID_PARAMETER, f"The signal code {code!r} is not supported by the cmd shell.")

    def close(self) -> None:
        with self.changed:
            if self.closed:
                return
            self.closed = True
            commands = list(self._commands.values())
            self._commands.clear()
            self.changed.notify_all()
        for command in commands:
            command.kill()
