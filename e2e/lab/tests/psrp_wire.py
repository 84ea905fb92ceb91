"""A tiny, independent PSRP codec for the lab's tests (MS-PSRP 2.2.1 messages, 2.2.4 fragments).

It builds the few client messages the tests need (session capability, runspace pool init, a script
pipeline) and decodes what the server sends. It shares no code with the lab on purpose: the lab only
passes PSRP bytes through to pwsh, and this module checks what comes back.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass
from typing import Iterator, Sequence
from xml.sax.saxutils import escape

SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
CONNECT_RUNSPACEPOOL = 0x00010008
RUNSPACEPOOL_INIT_DATA = 0x0002100B
APPLICATION_PRIVATE_DATA = 0x00021009
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
PIPELINE_INPUT = 0x00041002
END_OF_PIPELINE_INPUT = 0x00041003
PIPELINE_OUTPUT = 0x00041004
ERROR_RECORD = 0x00041005
PIPELINE_STATE = 0x00041006

MESSAGE_NAMES = {
    0x00010002: "SESSION_CAPABILITY",
    0x00010004: "INIT_RUNSPACEPOOL",
    0x00010008: "CONNECT_RUNSPACEPOOL",
    0x0002100B: "RUNSPACEPOOL_INIT_DATA",
    0x00021009: "APPLICATION_PRIVATE_DATA",
    0x00021005: "RUNSPACEPOOL_STATE",
    0x00021006: "CREATE_PIPELINE",
    0x00041004: "PIPELINE_OUTPUT",
    0x00041005: "ERROR_RECORD",
    0x00041006: "PIPELINE_STATE",
    0x00041007: "DEBUG_RECORD",
    0x00041008: "VERBOSE_RECORD",
    0x00041009: "WARNING_RECORD",
    0x00041010: "PROGRESS_RECORD",
    0x00041011: "INFORMATION_RECORD",
    0x00041100: "PIPELINE_HOST_CALL",
    0x00021100: "RUNSPACEPOOL_HOST_CALL",
}

_FRAGMENT_HEADER = struct.Struct(">QQBI")
_MESSAGE_HEADER = struct.Struct("<II16s16s")
_TO_SERVER = 2
_BOM = "\ufeff"


@dataclass
class Message:
    destination: int
    message_type: int
    rpid: uuid.UUID
    pid: uuid.UUID
    data: str  # CLIXML without the BOM

    @property
    def name(self) -> str:
        return MESSAGE_NAMES.get(self.message_type, hex(self.message_type))

    def int_property(self, name: str) -> int:
        found = re.search(rf'<I32 N="{name}">(-?\d+)</I32>', self.data)
        assert found, f"{self.name} has no I32 {name}: {self.data[:200]}"
        return int(found.group(1))


def encode_message(message_type: int, rpid: uuid.UUID, pid: uuid.UUID, clixml: str, object_id: int) -> bytes:
    """One message as one fragment (start and end flags set); GUIDs in .NET byte order."""
    blob = _MESSAGE_HEADER.pack(_TO_SERVER, message_type, rpid.bytes_le, pid.bytes_le) + clixml.encode("utf-8")
    return _FRAGMENT_HEADER.pack(object_id, 0, 0x3, len(blob)) + blob


class MessageReader:
    """Reassembles fragments (possibly split across Receive streams) into messages, in order."""

    def __init__(self) -> None:
        self._pending = b""
        self._partial: dict[int, bytes] = {}

    def feed(self, data: bytes) -> Iterator[Message]:
        self._pending += data
        while len(self._pending) >= _FRAGMENT_HEADER.size:
            object_id, _fragment_id, flags, length = _FRAGMENT_HEADER.unpack_from(self._pending)
            end = _FRAGMENT_HEADER.size + length
            if len(self._pending) < end:
                return
            blob, self._pending = self._pending[_FRAGMENT_HEADER.size:end], self._pending[end:]
            collected = (b"" if flags & 0x1 else self._partial.get(object_id, b"")) + blob
            if not flags & 0x2:
                self._partial[object_id] = collected
                continue
            self._partial.pop(object_id, None)
            destination, message_type, rpid, pid = _MESSAGE_HEADER.unpack_from(collected)
            text = collected[_MESSAGE_HEADER.size:].decode("utf-8")
            yield Message(destination, message_type, uuid.UUID(bytes_le=rpid), uuid.UUID(bytes_le=pid), text.lstrip(_BOM))


def clixml_string(value: str) -> str:
    """MS-PSRP 2.2.5.3.2 string encoding for the characters tests use (XML escapes, C0 controls)."""
    escaped = escape(value).replace("_x", "_x005F_x")
    return re.sub(r"[\x00-\x1f]", lambda m: "_x%04X_" % ord(m.group(0)), escaped)


def _enum(name: str, ref_id: int, type_name: str, tn_ref: int, label: str, value: int, first_use: bool) -> str:
    names = (
        f'<TN RefId="{tn_ref}"><T>{type_name}</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>'
        if first_use
        else f'<TNRef RefId="{tn_ref}" />'
    )
    return f'<Obj N="{name}" RefId="{ref_id}">{names}<ToString>{label}</ToString><I32>{value}</I32></Obj>'


_NO_HOST = (
    '<MS><B N="_isHostNull">true</B><B N="_isHostUINull">true</B>'
    '<B N="_isHostRawUINull">true</B><B N="_useRunspaceHost">true</B></MS>'
)


def session_capability() -> str:
    return (
        '<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version>'
        '<Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>'
    )


def init_runspace_pool() -> str:
    return (
        '<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32>'
        + _enum("PSThreadOptions", 1, "System.Management.Automation.Runspaces.PSThreadOptions", 0, "Default", 0, True)
        + _enum("ApartmentState", 2, "System.Management.Automation.Runspaces.ApartmentState", 1, "Unknown", 2, True)
        + f'<Obj N="HostInfo" RefId="3">{_NO_HOST}</Obj><Nil N="ApplicationArguments" /></MS></Obj>'
    )


def create_pipeline(command: str, is_script: bool = True, arguments: Sequence[str] = (), no_input: bool = True) -> str:
    """A CREATE_PIPELINE running one command: a script, or a command name with positional string arguments.
    Errors stay on the error stream."""
    result_types = "System.Management.Automation.Runspaces.PipelineResultTypes"
    list_type = (
        "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, "
        "Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]"
    )
    merges = "".join(
        _enum(name, 9 + index, result_types, 3, "None", 0, False)
        for index, name in enumerate(("MergeError", "MergeWarning", "MergeVerbose", "MergeDebug", "MergeInformation"))
    )
    positional = "".join(
        f'<Obj RefId="{100 + index}"><MS><Nil N="N" /><S N="V">{clixml_string(value)}</S></MS></Obj>'
        for index, value in enumerate(arguments)
    )
    command = (
        f'<Obj RefId="5"><MS><S N="Cmd">{clixml_string(command)}</S><B N="IsScript">{"true" if is_script else "false"}</B>'
        '<Nil N="UseLocalScope" />'
        + _enum("MergeMyResult", 6, result_types, 3, "None", 0, True)
        + _enum("MergeToResult", 7, result_types, 3, "None", 0, False)
        + _enum("MergePreviousResults", 8, result_types, 3, "None", 0, False)
        + f'<Obj N="Args" RefId="14"><TNRef RefId="2" /><LST>{positional}</LST></Obj>{merges}</MS></Obj>'
    )
    return (
        f'<Obj RefId="0"><MS><B N="NoInput">{"true" if no_input else "false"}</B>'
        + _enum("ApartmentState", 1, "System.Management.Automation.Runspaces.ApartmentState", 0, "Unknown", 2, True)
        + _enum("RemoteStreamOptions", 2, "System.Management.Automation.Runspaces.RemoteStreamOptions", 1, "None", 0, True)
        + f'<B N="AddToHistory">false</B><Obj N="HostInfo" RefId="3">{_NO_HOST}</Obj>'
        + f'<Obj N="PowerShell" RefId="4"><MS><B N="IsNested">false</B><Nil N="ExtraCmds" />'
        + f'<Obj N="Cmds" RefId="15"><TN RefId="2"><T>{list_type}</T><T>System.Object</T></TN><LST>{command}</LST></Obj>'
        + '<Nil N="History" /><B N="RedirectShellErrorOutputPipe">false</B></MS></Obj>'
        + '<B N="IsNested">false</B></MS></Obj>'
    )


def creation_fragments(rpid: uuid.UUID) -> bytes:
    """creationXml payload: SESSION_CAPABILITY + INIT_RUNSPACEPOOL."""
    return encode_message(SESSION_CAPABILITY, rpid, uuid.UUID(int=0), session_capability(), 1) + encode_message(
        INIT_RUNSPACEPOOL, rpid, uuid.UUID(int=0), init_runspace_pool(), 2
    )


def pipeline_fragments(rpid: uuid.UUID, pid: uuid.UUID, command: str, object_id: int, is_script: bool = True, arguments: Sequence[str] = ()) -> bytes:
    return encode_message(CREATE_PIPELINE, rpid, pid, create_pipeline(command, is_script, arguments), object_id)


def connect_fragments(rpid: uuid.UUID, first_object_id: int) -> bytes:
    """connectXml payload: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL without min/max (a bare <S />)."""
    return encode_message(SESSION_CAPABILITY, rpid, uuid.UUID(int=0), session_capability(), first_object_id) + encode_message(
        CONNECT_RUNSPACEPOOL, rpid, uuid.UUID(int=0), "<S />", first_object_id + 1
    )
