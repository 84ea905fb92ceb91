"""A small, independent WS-Man client for the lab's tests: raw SOAP over one keep-alive HTTPS connection
(Basic auth, the lab CA validated), plus helpers for cmd shells and PowerShell pipelines on top of
psrp_wire. It writes its own envelopes so the tests do not trust any of the lab's code."""

from __future__ import annotations

import base64
import http.client
import itertools
import re
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import psrp_wire

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
    "ps": "http://schemas.microsoft.com/powershell",
}
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CMD = SHELL + "/cmd"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
POWERSHELL = "http://schemas.microsoft.com/powershell/"
DONE = SHELL + "/CommandState/Done"


class WsmanError(Exception):
    """An HTTP 500 answer: a SOAP fault with its WSManFault code."""

    def __init__(self, root: ET.Element):
        self.root = root
        fault = root.find(".//f:WSManFault", NS)
        self.code = int(fault.get("Code")) if fault is not None else None
        self.subcode = root.findtext(".//s:Subcode/s:Value", namespaces=NS)
        self.reason = root.findtext(".//s:Reason/s:Text", namespaces=NS) or ""
        super().__init__(f"WSManFault {self.code} {self.subcode}: {self.reason}")


def tls_context(lab: dict[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=lab["ca_bundle"])


def account(lab: dict[str, Any], user: str) -> dict[str, str]:
    return next(a for a in lab["accounts"] if a["user"].lower() == f"lab\\{user}")


def basic_header(lab: dict[str, Any], user: str) -> str:
    entry = account(lab, user)
    return "Basic " + base64.b64encode(f"{entry['user']}:{entry['password']}".encode()).decode()


@dataclass
class Envelope:
    action: str
    resource: str
    body: str = ""
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    timeout: str = "PT20S"
    max_envelope: int = 512000
    session_id: str = ""
    message_id: str = field(default_factory=lambda: f"uuid:{str(uuid.uuid4()).upper()}")
    operation_id: str = ""  # a Robust Connections wsmv:OperationID (uuid:…), sent when given
    retransmission: bool = False  # marks the OperationID mustUnderstand="true"

    def render(self, to: str) -> bytes:
        must_comply = ' MustComply="true"'
        options = "".join(
            f'<w:Option Name="{name}"{must_comply if name == "protocolversion" else ""}>{escape(value)}</w:Option>'
            for name, value in self.options.items()
        )
        selectors = "".join(f'<w:Selector Name="{name}">{value}</w:Selector>' for name, value in self.selectors.items())
        return (
            f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:p="{NS["p"]}" xmlns:rsp="{NS["rsp"]}" '
            f'xmlns:n="{NS["n"]}"><s:Header><a:Action s:mustUnderstand="true">{self.action}</a:Action>'
            f'<w:MaxEnvelopeSize s:mustUnderstand="true">{self.max_envelope}</w:MaxEnvelopeSize>'
            f"<a:MessageID>{self.message_id}</a:MessageID><w:OperationTimeout>{self.timeout}</w:OperationTimeout>"
            f'<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
            f'<w:ResourceURI s:mustUnderstand="true">{self.resource}</w:ResourceURI>'
            + (f'<p:SessionId s:mustUnderstand="false">{self.session_id}</p:SessionId>' if self.session_id else "")
            + (
                f'<p:OperationID s:mustUnderstand="{str(self.retransmission).lower()}">{self.operation_id}</p:OperationID>'
                if self.operation_id
                else ""
            )
            + f"<a:To>{to}</a:To>"
            + (f'<w:OptionSet s:mustUnderstand="true">{options}</w:OptionSet>' if options else "")
            + (f"<w:SelectorSet>{selectors}</w:SelectorSet>" if selectors else "")
            + f"</s:Header><s:Body>{self.body}</s:Body></s:Envelope>"
        ).encode()


class WsmanClient:
    def __init__(self, lab: dict[str, Any], user: str = "alice", session_id: Optional[str] = None):
        self.lab = lab
        self.url = lab["https_url"]
        self.authorization = basic_header(lab, user)
        self.session_id = session_id or f"uuid:{str(uuid.uuid4()).upper()}"
        self._object_ids = itertools.count(1)
        self._connection: Optional[http.client.HTTPSConnection] = None

    def _connect(self) -> http.client.HTTPSConnection:
        if self._connection is None:
            parts = urlsplit(self.url)
            self._connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=tls_context(self.lab), timeout=60)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def post(self, body: bytes, headers: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
        connection = self._connect()
        all_headers = {"Authorization": self.authorization, "Content-Type": "application/soap+xml;charset=UTF-8", **(headers or {})}
        try:
            connection.request("POST", "/wsman", body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise

    def call(self, envelope: Envelope) -> ET.Element:
        envelope.session_id = envelope.session_id or self.session_id
        status, body = self.post(envelope.render(self.url))
        root = ET.fromstring(body)
        assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == envelope.message_id
        if status == 500:
            raise WsmanError(root)
        assert status == 200, (status, body[:500])
        return root

    # ----- shells -----
    def create_cmd(self, body_extra: str = "", options: Optional[dict[str, str]] = None) -> str:
        body = f"<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>{body_extra}</rsp:Shell>"
        root = self.call(Envelope(TRANSFER + "Create", CMD, body, options=options or {"WINRS_CODEPAGE": "65001"}))
        return root.findtext(".//w:Selector[@Name='ShellId']", namespaces=NS)

    def command(self, resource: str, shell_id: str, command: str, arguments: Sequence[str] = ()) -> str:
        args = "".join(f"<rsp:Arguments>{escape(a)}</rsp:Arguments>" for a in arguments)
        body = f"<rsp:CommandLine><rsp:Command>{escape(command)}</rsp:Command>{args}</rsp:CommandLine>"
        root = self.call(Envelope(SHELL + "/Command", resource, body, selectors={"ShellId": shell_id}))
        return root.findtext(".//rsp:CommandId", namespaces=NS)

    def send(self, resource: str, shell_id: str, data: bytes, command_id: Optional[str] = None, stream: str = "stdin", end: bool = False) -> None:
        command = f' CommandId="{command_id}"' if command_id else ""
        end_attribute = ' End="true"' if end else ""
        body = f'<rsp:Send><rsp:Stream Name="{stream}"{command}{end_attribute}>{base64.b64encode(data).decode()}</rsp:Stream></rsp:Send>'
        self.call(Envelope(SHELL + "/Send", resource, body, selectors={"ShellId": shell_id}))

    def receive(self, resource: str, shell_id: str, command_id: Optional[str] = None, streams: str = "stdout stderr", timeout: str = "PT20S", max_envelope: int = 512000) -> ET.Element:
        command = f' CommandId="{command_id}"' if command_id else ""
        body = f"<rsp:Receive><rsp:DesiredStream{command}>{streams}</rsp:DesiredStream></rsp:Receive>"
        return self.call(
            Envelope(SHELL + "/Receive", resource, body, selectors={"ShellId": shell_id}, timeout=timeout, max_envelope=max_envelope,
                     options={"WSMAN_CMDSHELL_OPTION_KEEPALIVE": "True"})
        )

    def signal(self, resource: str, shell_id: str, command_id: str, code: str) -> None:
        body = f'<rsp:Signal CommandId="{command_id}"><rsp:Code>{code}</rsp:Code></rsp:Signal>'
        self.call(Envelope(SHELL + "/Signal", resource, body, selectors={"ShellId": shell_id}))

    def delete(self, resource: str, shell_id: str) -> None:
        self.call(Envelope(TRANSFER + "Delete", resource, selectors={"ShellId": shell_id}))

    def run_cmd(self, shell_id: str, command: str, stdin: Optional[bytes] = None, deadline_s: float = 30) -> tuple[bytes, bytes, int]:
        command_id = self.command(CMD, shell_id, command)
        if stdin is not None:
            self.send(CMD, shell_id, stdin, command_id, end=True)
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            root = self.receive(CMD, shell_id, command_id)
            for stream in root.iterfind(".//rsp:Stream", NS):
                (out if stream.get("Name") == "stdout" else err).extend(base64.b64decode(stream.text or ""))
            state = root.find(".//rsp:CommandState", NS)
            if state is not None and state.get("State") == DONE:
                return bytes(out), bytes(err), int(state.findtext("rsp:ExitCode", namespaces=NS))
        raise AssertionError("the command did not finish")

    # ----- PowerShell -----
    def create_pwsh(self, configuration: str = "Microsoft.PowerShell") -> "PowerShellPool":
        pool = PowerShellPool(self, POWERSHELL + configuration, uuid.uuid4())
        creation = base64.b64encode(psrp_wire.creation_fragments(pool.rpid)).decode()
        body = (
            f'<rsp:Shell ShellId="{str(pool.rpid).upper()}"><rsp:InputStreams>stdin pr</rsp:InputStreams>'
            f'<rsp:OutputStreams>stdout</rsp:OutputStreams><creationXml xmlns="{NS["ps"]}">{creation}</creationXml></rsp:Shell>'
        )
        root = self.call(Envelope(TRANSFER + "Create", pool.resource, body, options={"protocolversion": "2.3"}))
        pool.shell_id = root.findtext(".//w:Selector[@Name='ShellId']", namespaces=NS)
        pool.receive_until("RUNSPACEPOOL_STATE")
        return pool

    def next_object_id(self) -> int:
        return next(self._object_ids) + 100


class PowerShellPool:
    def __init__(self, client: WsmanClient, resource: str, rpid: uuid.UUID):
        self.client = client
        self.resource = resource
        self.rpid = rpid
        self.shell_id = ""
        self.reader = psrp_wire.MessageReader()
        self.messages: list[psrp_wire.Message] = []

    def receive_until(self, name: str, command_id: Optional[str] = None, reader: Optional[psrp_wire.MessageReader] = None, deadline_s: float = 60) -> list[psrp_wire.Message]:
        """Receives (pool or pipeline) until a message called `name` arrives; returns all received."""
        reader = reader or self.reader
        received: list[psrp_wire.Message] = []
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            root = self.client.receive(self.resource, self.shell_id, command_id, streams="stdout")
            for stream in root.iterfind(".//rsp:Stream", NS):
                received.extend(reader.feed(base64.b64decode(stream.text or "")))
            if any(m.name == name for m in received):
                return received
        raise AssertionError(f"no {name} within {deadline_s} s; got {[m.name for m in received]}")

    def start(self, command: str, is_script: bool = True, arguments: Sequence[str] = ()) -> str:
        pid = uuid.uuid4()
        payload = psrp_wire.pipeline_fragments(self.rpid, pid, command, self.client.next_object_id(), is_script, arguments)
        body = (
            f'<rsp:CommandLine CommandId="{str(pid).upper()}"><rsp:Command></rsp:Command>'
            f"<rsp:Arguments>{base64.b64encode(payload).decode()}</rsp:Arguments></rsp:CommandLine>"
        )
        root = self.client.call(Envelope(SHELL + "/Command", self.resource, body, selectors={"ShellId": self.shell_id}))
        return root.findtext(".//rsp:CommandId", namespaces=NS)

    def run(self, command: str, is_script: bool = True, arguments: Sequence[str] = ()) -> list[psrp_wire.Message]:
        """Runs a pipeline to its final state, releases it (signal terminate), returns its messages."""
        command_id = self.start(command, is_script, arguments)
        messages = self.receive_until("PIPELINE_STATE", command_id, psrp_wire.MessageReader())
        self.client.signal(self.resource, self.shell_id, command_id, SHELL + "/signal/terminate")
        return messages

    def delete(self) -> None:
        self.client.delete(self.resource, self.shell_id)


def stream_data(root: ET.Element) -> bytes:
    """The decoded payload of every rsp:Stream of a ReceiveResponse, in order."""
    return b"".join(base64.b64decode(stream.text or "") for stream in root.iterfind(".//rsp:Stream", NS))


def outputs(messages: list[psrp_wire.Message]) -> list[str]:
    """The text of each PIPELINE_OUTPUT primitive string (<S>…</S>)."""
    return [re.sub(r"^<S>(.*)</S>$", r"\1", m.data, flags=re.S) for m in messages if m.name == "PIPELINE_OUTPUT"]
