"""PowerShell runspace pools over WinRS, bridged to a real `pwsh -s` per pool (PROTOCOL.md §13).

WS-Man operations map onto pwsh's out-of-process packets: Create -> spawn pwsh + pool Data (creationXml as
is), Command -> Command + Data, Send -> Data (`pr` -> PromptResponse), `powershell/signal/crtl_c` -> Signal,
any other signal -> Close, Delete -> Close every pipeline, Close the pool, EOF. Receive drains what pwsh
pushed, re-fragmenting only when a fragment does not fit the client's envelope.

Invariants:
- at most one packet per PSGuid is unacknowledged: the next packet for that guid waits for the ack,
  as pwsh's own client does; a blank line is never written (pwsh exits on one);
- a pipeline's pwsh guid is the PID inside its CREATE_PIPELINE message, because pwsh routes output by
  that PID; the WS-Man CommandId stays what the client chose (Windows does not compare the two either);
- Disconnect/Reconnect/Connect have no out-of-process equivalent: pwsh keeps running and its output
  stays queued; Connect is answered by the lab from what pwsh said when the pool was created
  (pwsh -s ignores CONNECT_RUNSPACEPOOL on an open pool, and a second SESSION_CAPABILITY closes it).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import logging
import re
import struct
import subprocess
import threading
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Callable, Optional

from . import envelope as env
from .envelope import NS_POWERSHELL, NS_SHELL, WsmanFault, WsmanRequest, attribute, q
from .shells import STATE_DONE, STATE_RUNNING, OutputBudget, Shell, stream_element

log = logging.getLogger("winrm_lab.psrp")

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
STOP_SIGNAL = "powershell/signal/crtl_c"  # sic: the spelling MS-PSRP and the Windows plugin use
ACK_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 10.0

SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
CONNECT_RUNSPACEPOOL = 0x00010008
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
RUNSPACEPOOL_INIT_DATA = 0x0002100B
PIPELINE_STATE = 0x00041006
_TERMINAL_PIPELINE_STATES = {3, 4, 5}  # Stopped, Completed, Failed
_POOL_OPENED = 2
_FINAL_POOL_STATES = {3, 5}  # Closed, Broken

_FRAGMENT_HEADER = struct.Struct(">QQBI")  # ObjectId, FragmentId, flags, BlobLength (big-endian)
_MESSAGE_HEADER = struct.Struct("<II16s16s")  # Destination, MessageType, RPID, PID (little-endian)
_START, _END = 0x1, 0x2
_TO_CLIENT = 1
_BOM = b"\xef\xbb\xbf"
_DATA_LINE = re.compile(r"^<Data Stream='(\w+)' PSGuid='([0-9a-fA-F-]{36})'>([A-Za-z0-9+/=]*)</Data>$")
_ACK_LINE = re.compile(r"^<(DataAck|CommandAck|SignalAck|CloseAck) PSGuid='([0-9a-fA-F-]{36})' />$")


@dataclass
class Fragment:
    object_id: int
    fragment_id: int
    start: bool
    end: bool
    blob: bytes

    def message_type(self) -> Optional[int]:
        """The message type, readable in a start fragment (its blob begins with the message header)."""
        if self.start and len(self.blob) >= 8:
            return struct.unpack_from("<I", self.blob, 4)[0]
        return None


def split_fragments(data: bytes) -> list[Fragment]:
    """Parses concatenated PSRP fragments; raises ValueError when a length lies or bytes are left over."""
    fragments, offset = [], 0
    while offset < len(data):
        if len(data) - offset < _FRAGMENT_HEADER.size:
            raise ValueError("truncated fragment header")
        object_id, fragment_id, flags, length = _FRAGMENT_HEADER.unpack_from(data, offset)
        offset += _FRAGMENT_HEADER.size
        if length > len(data) - offset:
            raise ValueError("fragment length exceeds the data")
        fragments.append(Fragment(object_id, fragment_id, bool(flags & _START), bool(flags & _END), data[offset:offset + length]))
        offset += length
    return fragments


def encode_fragment(object_id: int, fragment_id: int, start: bool, end: bool, blob: bytes) -> bytes:
    return _FRAGMENT_HEADER.pack(object_id, fragment_id, (_START if start else 0) | (_END if end else 0), len(blob)) + blob


def server_message(message_type: int, rpid: bytes, clixml: str) -> bytes:
    """A message the lab itself sends to the client, shaped like pwsh's (UTF-8 BOM before the CLIXML)."""
    return _MESSAGE_HEADER.pack(_TO_CLIENT, message_type, rpid, bytes(16)) + _BOM + clixml.encode("utf-8")


def decode_psrp_payload(value: str, what: str) -> tuple[bytes, list[Fragment]]:
    """Base64 text of whole PSRP fragments, as creationXml, Arguments and Send streams carry it."""
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
        fragments = split_fragments(data)
    except (binascii.Error, ValueError) as error:
        raise WsmanFault(env.INVALID_PARAMETER, f"The {what} is not base64 of PSRP fragments: {error}.") from error
    if not fragments:
        raise WsmanFault(env.INVALID_PARAMETER, f"The {what} is empty.")
    return data, fragments


def _whole_messages(fragments: list[Fragment], what: str) -> list[tuple[int, bytes, str]]:
    """(message type, RPID bytes, CLIXML) of each complete message; creationXml and connectXml carry whole ones."""
    messages, partial = [], {}
    for fragment in fragments:
        blob = (b"" if fragment.start else partial.pop(fragment.object_id, b"")) + fragment.blob
        if not fragment.end:
            partial[fragment.object_id] = blob
            continue
        if len(blob) < _MESSAGE_HEADER.size:
            raise WsmanFault(env.INVALID_PARAMETER, f"The {what} holds a message without a header.")
        _, message_type, rpid, _ = _MESSAGE_HEADER.unpack_from(blob)
        messages.append((message_type, rpid, blob[_MESSAGE_HEADER.size:].decode("utf-8", "replace").lstrip("\ufeff")))
    if partial:
        raise WsmanFault(env.INVALID_PARAMETER, f"The {what} ends inside a message.")
    return messages


class FragmentQueue:
    """Server fragments waiting for Receive. Fragment ids are assigned when a fragment leaves, so one that
    must be split to fit an envelope becomes several consecutive fragments of the same object."""

    def __init__(self) -> None:
        self._items: deque[Fragment] = deque()
        self._next_fragment_id: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def push(self, fragment: Fragment) -> None:
        self._items.append(fragment)  # its fragment_id is ignored: ids are assigned on the way out

    def take(self, budget: OutputBudget) -> list[bytes]:
        """Whole fragments while they fit; a first fragment larger than the budget is split."""
        taken: list[bytes] = []
        while self._items:
            item = self._items[0]
            room = budget.max_payload() - _FRAGMENT_HEADER.size
            if room <= 0 or (len(item.blob) > room and taken):
                break
            piece, rest = item.blob[:room], item.blob[room:]
            fragment_id = 0 if item.start else self._next_fragment_id[item.object_id]
            self._next_fragment_id[item.object_id] = fragment_id + 1
            is_last_piece = not rest
            encoded = encode_fragment(item.object_id, fragment_id, item.start, item.end and is_last_piece, piece)
            if is_last_piece:
                self._items.popleft()
                if item.end:
                    self._next_fragment_id.pop(item.object_id, None)
            else:
                self._items[0] = Fragment(item.object_id, 0, False, item.end, rest)
            budget.spend(len(encoded))
            taken.append(encoded)
        return taken


class _MessageWatch:
    """Reassembles only the server messages the bridge must understand (capability, states)."""

    def __init__(self, interesting: set[int]):
        self._interesting = interesting
        self._partial: dict[int, bytes] = {}

    def feed(self, fragment: Fragment) -> Optional[tuple[int, str]]:
        if fragment.start:
            if fragment.message_type() not in self._interesting:
                return None
            blob = fragment.blob
        elif fragment.object_id in self._partial:
            blob = self._partial.pop(fragment.object_id) + fragment.blob
        else:
            return None
        if not fragment.end:
            self._partial[fragment.object_id] = blob
            return None
        _, message_type, _, _ = _MESSAGE_HEADER.unpack_from(blob)
        return message_type, blob[_MESSAGE_HEADER.size:].decode("utf-8", "replace").lstrip("\ufeff")


def _int_property(clixml: str, name: str) -> Optional[int]:
    found = re.search(rf'<I32 N="{name}">(-?\d+)</I32>', clixml)
    return int(found.group(1)) if found else None


class PwshProcess:
    """One `pwsh -s` and its line protocol: packets out (one outstanding per PSGuid), acks and data in."""

    def __init__(self, argv: list[str], environment: dict[str, str], cwd: str, on_data: Callable[[str, list[Fragment]], None], on_exit: Callable[[], None]):
        self._on_data = on_data
        self._on_exit = on_exit
        self._acks: Counter[tuple[str, str]] = Counter()
        self._ack_arrived = threading.Condition()
        self._write_lock = threading.Lock()
        self._guid_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guid_locks_lock = threading.Lock()
        self.exited = False
        self.stderr_tail: deque[str] = deque(maxlen=20)
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, cwd=cwd)
        except OSError as error:
            raise WsmanFault(env.PROVIDER_FAILURE, f"PowerShell could not be started: {error}") from error
        self._reader = threading.Thread(target=self._read_stdout, name=f"pwsh-{self.process.pid}-out", daemon=True)
        self._reader.start()
        threading.Thread(target=self._read_stderr, name=f"pwsh-{self.process.pid}-err", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_stdout(self) -> None:
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            data = _DATA_LINE.match(line)
            if data:
                try:
                    fragments = split_fragments(base64.b64decode(data.group(3)))
                except (binascii.Error, ValueError):
                    log.warning("pwsh %d sent undecodable data: %.200s", self.pid, line)
                    continue
                self._on_data(data.group(2).lower(), fragments)
                continue
            ack = _ACK_LINE.match(line)
            if ack:
                with self._ack_arrived:
                    self._acks[(ack.group(1), ack.group(2).lower())] += 1
                    self._ack_arrived.notify_all()
            else:
                log.warning("pwsh %d sent an unexpected line: %.200s", self.pid, line)
        with self._ack_arrived:
            self.exited = True
            self._ack_arrived.notify_all()
        self._on_exit()

    def _read_stderr(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.stderr_tail.append(line)

    def _guid_lock(self, guid: str) -> threading.Lock:
        with self._guid_locks_lock:
            return self._guid_locks[guid]

    def _exchange(self, guid: str, packet: str, ack: str, timeout_s: float = ACK_TIMEOUT_S) -> None:
        """Writes one packet line and waits for its ack; packets of one guid are strictly sequential."""
        with self._guid_lock(guid):
            with self._write_lock:
                if self.exited:
                    raise WsmanFault(env.SHELL_ENDED)
                try:
                    self.process.stdin.write(packet.encode("ascii") + b"\n")
                    self.process.stdin.flush()
                except (BrokenPipeError, ValueError, OSError) as error:
                    raise WsmanFault(env.SHELL_ENDED) from error
            with self._ack_arrived:
                arrived = self._ack_arrived.wait_for(lambda: self._acks[(ack, guid)] > 0 or self.exited, timeout_s)
                if self._acks[(ack, guid)] > 0:
                    self._acks[(ack, guid)] -= 1
                    return
            if not arrived:
                raise WsmanFault(env.PROVIDER_FAILURE, f"PowerShell did not acknowledge a {packet.split()[0][1:]} packet in time.")
            raise WsmanFault(env.SHELL_ENDED)

    def data(self, guid: str, payload: bytes, prompt_response: bool = False) -> None:
        stream = "PromptResponse" if prompt_response else "Default"
        encoded = base64.b64encode(payload).decode("ascii")
        self._exchange(guid, f"<Data Stream='{stream}' PSGuid='{guid}'>{encoded}</Data>", "DataAck")

    def command(self, guid: str) -> None:
        self._exchange(guid, f"<Command PSGuid='{guid}' />", "CommandAck")

    def signal(self, guid: str) -> None:
        self._exchange(guid, f"<Signal PSGuid='{guid}' />", "SignalAck")

    def close(self, guid: str, timeout_s: float) -> None:
        self._exchange(guid, f"<Close PSGuid='{guid}' />", "CloseAck", timeout_s)

    def terminate(self) -> None:
        """Ends stdin (pwsh exits on EOF), waits, kills if needed, and reaps the process."""
        with self._write_lock:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)


@dataclass
class Pipeline:
    command_id: str  # what the client calls it (WS-Man)
    pwsh_guid: str  # what pwsh calls it (the PID of its CREATE_PIPELINE), lower-case
    queue: FragmentQueue
    watch: _MessageWatch
    finished: bool = False


class PowerShellShell(Shell):
    """A runspace pool whose server is one pwsh process."""

    def __init__(self, *, creation: bytes, pwsh_argv: list[str], environment: dict[str, str], working_directory: str, **shell_fields):
        super().__init__(**shell_fields)
        messages = _whole_messages(split_fragments(creation), "creationXml")
        types = [m[0] for m in messages]
        if SESSION_CAPABILITY not in types or INIT_RUNSPACEPOOL not in types:
            raise WsmanFault(env.INVALID_PARAMETER, "The creationXml must carry SESSION_CAPABILITY and INIT_RUNSPACEPOOL.")
        init = next(m for m in messages if m[0] == INIT_RUNSPACEPOOL)
        self._rpid = init[1]  # echoed in the lab's own messages, in the client's byte order
        self._min_runspaces = _int_property(init[2], "MinRunspaces") or 1
        self._max_runspaces = _int_property(init[2], "MaxRunspaces") or 1
        self._creation = creation
        self._pwsh_argv = pwsh_argv
        self._environment = environment
        self._working_directory = working_directory
        self._pool_queue = FragmentQueue()
        self._pool_watch = _MessageWatch({SESSION_CAPABILITY, RUNSPACEPOOL_STATE})
        self._server_capability: Optional[str] = None
        self._pool_state: Optional[int] = None
        self._pipelines: dict[str, Pipeline] = {}  # by CommandId
        self._by_pwsh_guid: dict[str, Pipeline] = {}
        self._lab_object_ids = itertools.count(1 << 48)  # ids of the lab's own messages, apart from pwsh's
        self._process: Optional[PwshProcess] = None

    # ----- process lifecycle -----
    def start(self) -> None:
        """Spawns pwsh and hands it the creationXml; returns once pwsh acknowledged it."""
        self._process = PwshProcess(self._pwsh_argv, self._environment, self._working_directory, self._on_data, self._on_exit)
        try:
            self._process.data(ZERO_GUID, self._creation)
        except WsmanFault as error:
            detail = " | ".join(self._process.stderr_tail)
            self.close()
            raise WsmanFault(env.PROVIDER_FAILURE, f"PowerShell failed to open the runspace pool: {error.message} {detail}".strip()) from error

    def process_id(self) -> Optional[int]:
        return self._process.pid if self._process else None

    def _on_data(self, guid: str, fragments: list[Fragment]) -> None:
        with self.changed:
            if guid == ZERO_GUID:
                for fragment in fragments:
                    self._pool_queue.push(fragment)
                    seen = self._pool_watch.feed(fragment)
                    if seen and seen[0] == SESSION_CAPABILITY and self._server_capability is None:
                        self._server_capability = seen[1]
                    elif seen and seen[0] == RUNSPACEPOOL_STATE:
                        self._pool_state = _int_property(seen[1], "RunspaceState")
            else:
                pipeline = self._by_pwsh_guid.get(guid)
                if pipeline is None:
                    log.warning("pwsh sent data for unknown pipeline %s; dropped", guid)
                    return
                for fragment in fragments:
                    pipeline.queue.push(fragment)
                    seen = pipeline.watch.feed(fragment)
                    if seen and _int_property(seen[1], "PipelineState") in _TERMINAL_PIPELINE_STATES:
                        pipeline.finished = True
            self.changed.notify_all()

    def _on_exit(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _require_process(self) -> PwshProcess:
        if self._process is None or self._process.exited:
            raise WsmanFault(env.SHELL_ENDED)
        return self._process

    # ----- WinRS operations -----
    def command_ids(self) -> list[str]:
        with self.changed:
            return list(self._pipelines)

    def commands_xml(self) -> list[str]:
        with self.changed:
            return [
                f"<rsp:Command><rsp:CommandId>{p.command_id}</rsp:CommandId><rsp:CommandLine></rsp:CommandLine>"
                f"<rsp:CommandState>{STATE_DONE if p.finished else STATE_RUNNING}</rsp:CommandState></rsp:Command>"
                for p in self._pipelines.values()
            ]

    def describe(self) -> dict[str, object]:
        described = super().describe()
        with self.changed:
            described["pipelines"] = [
                {"command_id": p.command_id, "psrp_pid": p.pwsh_guid, "finished": p.finished} for p in self._pipelines.values()
            ]
        return described

    def _find(self, command_id: Optional[str]) -> Pipeline:
        with self.changed:
            pipeline = self._pipelines.get((command_id or "").upper())
        if pipeline is None:
            raise WsmanFault(env.UNKNOWN_COMMAND)
        return pipeline

    def command(self, request: WsmanRequest) -> str:
        self.require_connected()
        process = self._require_process()
        line = request.body_child(q(NS_SHELL, "CommandLine"))
        arguments = [] if line is None else line.findall(q(NS_SHELL, "Arguments"))
        if len(arguments) != 1:
            raise WsmanFault(env.INVALID_PARAMETER, "A PowerShell command carries exactly one Arguments element.")
        payload, fragments = decode_psrp_payload(arguments[0].text or "", "command arguments")
        first = fragments[0]
        if first.message_type() != CREATE_PIPELINE or len(first.blob) < _MESSAGE_HEADER.size:
            raise WsmanFault(env.INVALID_PARAMETER, "The command arguments must start with a CREATE_PIPELINE message.")
        pwsh_guid = str(uuid.UUID(bytes_le=first.blob[24:40]))
        if pwsh_guid == ZERO_GUID:
            raise WsmanFault(env.INVALID_PARAMETER, "The CREATE_PIPELINE message has no pipeline id.")
        command_id = (line.get("CommandId") or pwsh_guid).upper()
        pipeline = Pipeline(command_id, pwsh_guid, FragmentQueue(), _MessageWatch({PIPELINE_STATE}))
        with self.changed:
            if command_id in self._pipelines or pwsh_guid in self._by_pwsh_guid:
                raise WsmanFault(env.ALREADY_EXISTS)
            self._pipelines[command_id] = pipeline
            self._by_pwsh_guid[pwsh_guid] = pipeline
        try:
            process.command(pwsh_guid)
            process.data(pwsh_guid, payload)
        except WsmanFault:
            self._forget(pipeline)
            raise
        return command_id

    def send(self, request: WsmanRequest) -> None:
        self.require_connected()
        process = self._require_process()
        streams = request.body.findall(f"{q(NS_SHELL, 'Send')}/{q(NS_SHELL, 'Stream')}")
        if not streams:
            raise WsmanFault(env.INVALID_PARAMETER, "The Send request has no stream.")
        for stream in streams:
            name = stream.get("Name")
            if name not in ("stdin", "pr"):
                raise WsmanFault(env.INVALID_PARAMETER, f"The shell has no input stream {name!r}.")
            payload, _ = decode_psrp_payload(stream.text or "", "stream data")
            command_id = stream.get("CommandId")
            guid = self._find(command_id).pwsh_guid if command_id else ZERO_GUID
            process.data(guid, payload, prompt_response=name == "pr")

    def receive(self, request: WsmanRequest, budget: OutputBudget, timeout_s: float) -> str:
        self.require_connected()
        desired = request.body.find(f"{q(NS_SHELL, 'Receive')}/{q(NS_SHELL, 'DesiredStream')}")
        if desired is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Receive request has no DesiredStream.")
        command_id = desired.get("CommandId")
        pipeline = self._find(command_id) if command_id else None
        queue = pipeline.queue if pipeline else self._pool_queue
        process = self._process
        with self.changed:
            self.wait_until(lambda: bool(queue) or (pipeline is not None and pipeline.finished) or process is None or process.exited, timeout_s)
            parts = [stream_element("stdout", pipeline.command_id if pipeline else None, fragment) for fragment in queue.take(budget)]
            if pipeline is not None and pipeline.finished and not queue:
                parts.append(
                    f"<rsp:CommandState CommandId={attribute(pipeline.command_id)} State={attribute(STATE_DONE)}>"
                    "<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>"
                )
            if not parts:
                raise WsmanFault(env.ENVELOPE_TOO_LARGE if queue else env.SHELL_ENDED)
        return "".join(parts)

    def signal(self, request: WsmanRequest) -> None:
        process = self._require_process()
        element = request.body_child(q(NS_SHELL, "Signal"))
        code_element = None if element is None else element.find(q(NS_SHELL, "Code"))
        if code_element is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Signal request has no code.")
        pipeline = self._find(element.get("CommandId"))
        if (code_element.text or "").strip() == STOP_SIGNAL:
            process.signal(pipeline.pwsh_guid)
            return
        # Like the Windows plugin: any other code on a command closes it.
        process.close(pipeline.pwsh_guid, ACK_TIMEOUT_S)
        self._forget(pipeline)

    def _forget(self, pipeline: Pipeline) -> None:
        with self.changed:
            self._pipelines.pop(pipeline.command_id, None)
            self._by_pwsh_guid.pop(pipeline.pwsh_guid, None)
            self.changed.notify_all()

    def disconnect(self, request: WsmanRequest) -> None:
        self._require_process()
        idle = request.body.find(f"{q(NS_SHELL, 'Disconnect')}/{q(NS_SHELL, 'IdleTimeOut')}")
        try:
            idle_timeout_s = env.parse_duration(idle.text or "") if idle is not None else None
        except ValueError as error:
            raise WsmanFault(env.INVALID_PARAMETER, "The Disconnect IdleTimeOut is not a duration.") from error
        self.mark_disconnected(idle_timeout_s)

    def reconnect(self, request: WsmanRequest) -> None:
        self._require_process()
        with self.changed:
            if self.state != "Disconnected":
                raise WsmanFault(env.INVALID_PARAMETER, "The shell is not disconnected.")
            if self.session_id and request.session_id != self.session_id:
                raise WsmanFault(env.SESSION_ID_MISMATCH)
        self.mark_connected(request.session_id)

    def connect(self, request: WsmanRequest) -> str:
        self._require_process()
        element = request.body_child(q(NS_SHELL, "Connect"))
        if element is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Connect request has no rsp:Connect body.")
        if element.get("CommandId"):
            self.require_connected()
            self._find(element.get("CommandId"))
            return ""
        protocol = request.options.get("protocolversion", "")
        if not protocol.startswith("2."):
            raise WsmanFault(env.INVALID_PARAMETER, "Connect needs the protocolversion option (2.x).")
        connect_xml = element.find(q(NS_POWERSHELL, "connectXml"))
        _, fragments = decode_psrp_payload("" if connect_xml is None else connect_xml.text or "", "connectXml")
        types = [m[0] for m in _whole_messages(fragments, "connectXml")]
        if SESSION_CAPABILITY not in types or CONNECT_RUNSPACEPOOL not in types:
            raise WsmanFault(env.INVALID_PARAMETER, "The connectXml must carry SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL.")
        with self.changed:
            if self.state != "Disconnected":
                raise WsmanFault(env.SHELL_CONNECTED_ELSEWHERE)
            if self._server_capability is None or self._pool_state != _POOL_OPENED:
                raise WsmanFault(env.INVALID_PARAMETER, "The runspace pool is not open.")
            init_data = (
                f'<Obj RefId="0"><MS><I32 N="MinRunspaces">{self._min_runspaces}</I32>'
                f'<I32 N="MaxRunspaces">{self._max_runspaces}</I32></MS></Obj>'
            )
            response = b"".join(
                encode_fragment(next(self._lab_object_ids), 0, True, True, server_message(kind, self._rpid, clixml))
                for kind, clixml in ((SESSION_CAPABILITY, self._server_capability), (RUNSPACEPOOL_INIT_DATA, init_data))
            )
            opened = server_message(RUNSPACEPOOL_STATE, self._rpid, f'<Obj RefId="0"><MS><I32 N="RunspaceState">{_POOL_OPENED}</I32></MS></Obj>')
            self._pool_queue.push(Fragment(next(self._lab_object_ids), 0, True, True, opened))
        self.mark_connected(request.session_id)
        return (
            f"<rsp:InputStreams>{self.input_streams}</rsp:InputStreams><rsp:OutputStreams>{self.output_streams}</rsp:OutputStreams>"
            f'<connectResponseXml xmlns="{NS_POWERSHELL}">{base64.b64encode(response).decode("ascii")}</connectResponseXml>'
        )

    def close(self) -> None:
        with self.changed:
            if self.closed:
                return
            self.closed = True
            pipelines = list(self._pipelines.values())
            self.changed.notify_all()
        process = self._process
        if process is None:
            return
        try:
            for pipeline in pipelines:
                process.close(pipeline.pwsh_guid, CLOSE_TIMEOUT_S)
            process.close(ZERO_GUID, CLOSE_TIMEOUT_S)
        except WsmanFault as error:
            log.info("pwsh %d did not close cleanly (%s); ending it", process.pid, error.message)
        process.terminate()
