"""The WS-Management service: one authenticated SOAP request in, one SOAP response or fault out.

Handles WinRS shells (cmd and PowerShell endpoints), shell and command enumeration, transfer Get of the
WinRM configuration and of a shell, with Windows' faults and quotas. The listener owns HTTP and
authentication; this module sees plaintext SOAP and the caller's identity.

Invariants: every response carries RelatesTo = the request's MessageID; every failure, including an
unexpected exception, becomes a fault (HTTP 500), never a crash; no response exceeds the envelope size
the client allows (min of its MaxEnvelopeSize header and the service's MaxEnvelopeSizekb).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, TypeVar

from . import envelope as env
from .cmd_shell import CmdShell, parse_shell_options
from .contracts import LabSettings
from .envelope import (
    NS_ENUMERATION,
    NS_POWERSHELL,
    NS_SHELL,
    NS_WSMAN,
    WsmanFault,
    WsmanRequest,
    q,
    text,
)
from .host import HostEnvironment
from .psrp_bridge import PowerShellShell, decode_psrp_payload
from .shells import OutputBudget, Shell, ShellRegistry, stream_element

log = logging.getLogger("winrm_lab.wsman")
T = TypeVar("T")

TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
SHELL_ACTIONS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
RESOURCE_SHELL = NS_SHELL
RESOURCE_CMD = NS_SHELL + "/cmd"
RESOURCE_COMMAND = NS_SHELL + "/Command"
RESOURCE_CONFIG = env.NS_CONFIG
POWERSHELL_PREFIX = "http://schemas.microsoft.com/powershell/"
DEFAULT_ENVELOPE_BYTES = 153600  # what Windows assumes when a request names no MaxEnvelopeSize
DEFAULT_OPERATION_TIMEOUT_S = 60.0
# Room kept in a ReceiveResponse for its envelope, a CommandState with exit code and End markers.
_RECEIVE_RESERVE = 1024


@dataclass(frozen=True)
class Caller:
    identity: str  # e.g. LAB\alice
    client_ip: str


class WsmanService:
    def __init__(self, settings: LabSettings, host: HostEnvironment, machine: str):
        self.settings = settings
        self.host = host
        self.machine = machine
        self.shells = ShellRegistry(settings)
        self._operations: Counter[str] = Counter()
        self._operations_lock = threading.Lock()
        self._enumerations: dict[str, tuple[str, list[str]]] = {}  # context -> (owner, remaining items)
        self._enumerations_lock = threading.Lock()
        self._context_ids = itertools.count(1)
        self._handlers: dict[str, Callable[[WsmanRequest, Caller], bytes]] = {
            TRANSFER + "Create": self._create,
            TRANSFER + "Delete": self._delete,
            TRANSFER + "Get": self._get,
            SHELL_ACTIONS + "Command": self._command,
            SHELL_ACTIONS + "Send": self._send,
            SHELL_ACTIONS + "Receive": self._receive,
            SHELL_ACTIONS + "Signal": self._signal,
            SHELL_ACTIONS + "Disconnect": self._disconnect,
            SHELL_ACTIONS + "Reconnect": self._reconnect,
            SHELL_ACTIONS + "Connect": self._connect,
            ENUMERATION + "Enumerate": self._enumerate,
            ENUMERATION + "Pull": self._pull,
        }

    # ----- entry point -----
    def handle(self, soap: bytes, caller: Caller) -> tuple[int, bytes]:
        """Returns (HTTP status, SOAP envelope): 200 with a response, 500 with a fault."""
        relates_to: Optional[str] = None
        try:
            if len(soap) > self.settings.max_envelope_size_kb * 1024:
                raise WsmanFault(env.ENVELOPE_TOO_LARGE)
            request = env.parse_request(soap)
            relates_to = request.message_id
            handler = self._handlers.get(request.action)
            if handler is None:
                raise WsmanFault(env.ACTION_NOT_SUPPORTED, f"The action {request.action} is not supported.")
            with self._operation_slot(caller.identity):
                body = handler(request, caller)
            if len(body) > self._envelope_limit(request):
                raise WsmanFault(env.ENVELOPE_TOO_LARGE)
            return 200, body
        except WsmanFault as error:
            return 500, env.fault(error, relates_to, self.machine)
        except Exception as error:  # noqa: BLE001 - the service must answer, whatever went wrong
            log.exception("internal error while handling a request")
            return 500, env.fault(WsmanFault(env.PROVIDER_FAILURE, f"Internal error: {error}"), relates_to, self.machine)

    def fault_response(self, error: WsmanFault, soap: Optional[bytes] = None) -> bytes:
        """A fault outside normal processing (refused body, injected fault); relates to the request's
        MessageID when `soap` is given and readable."""
        relates_to = None
        if soap is not None:
            try:
                relates_to = env.parse_request(soap).message_id
            except WsmanFault:
                pass
        return env.fault(error, relates_to, self.machine)

    @contextmanager
    def _operation_slot(self, identity: str) -> Iterator[None]:
        """Counts the user's operations in progress (MaxConcurrentOperationsPerUser)."""
        with self._operations_lock:
            if self._operations[identity] >= self.settings.max_concurrent_operations_per_user:
                raise WsmanFault(env.QUOTA_MAX_OPERATIONS)
            self._operations[identity] += 1
        try:
            yield
        finally:
            with self._operations_lock:
                self._operations[identity] -= 1

    def close(self) -> None:
        self.shells.close_all()

    # ----- helpers -----
    def _envelope_limit(self, request: WsmanRequest) -> int:
        return min(request.max_envelope_size or DEFAULT_ENVELOPE_BYTES, self.settings.max_envelope_size_kb * 1024)

    def _timeout(self, request: WsmanRequest) -> float:
        # Windows rejects nothing here for the clients we test; clamp to MaxTimeoutms instead of faulting.
        requested = request.operation_timeout_s if request.operation_timeout_s is not None else DEFAULT_OPERATION_TIMEOUT_S
        return min(requested, self.settings.max_timeout_ms / 1000)

    def _shell_for(self, request: WsmanRequest, caller: Caller, any_resource: bool = False) -> Shell:
        shell_id = request.selectors.get("ShellId")
        if not shell_id:
            raise WsmanFault(env.UNEXPECTED_SELECTORS)
        shell = self.shells.find(shell_id, caller.identity)
        if not any_resource and shell.resource_uri.lower() != request.resource_uri.lower():
            raise WsmanFault(env.UNEXPECTED_SELECTORS)
        return shell

    def _on_shell(self, shell: Shell, operation: Callable[[], T]) -> T:
        shell.begin_operation()
        try:
            return operation()
        finally:
            shell.end_operation()

    # ----- transfer -----
    def _create(self, request: WsmanRequest, caller: Caller) -> bytes:
        resource = request.resource_uri
        spec = request.body_child(q(NS_SHELL, "Shell"))
        if spec is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Create request has no rsp:Shell body.")
        idle = spec.find(q(NS_SHELL, "IdleTimeOut"))
        try:
            idle_timeout_s = env.parse_duration(idle.text or "") if idle is not None else self.settings.idle_timeout_ms / 1000
        except ValueError as error:
            raise WsmanFault(env.INVALID_PARAMETER, "The IdleTimeOut is not a duration.") from error
        common = dict(
            resource_uri=resource,
            owner=caller.identity,
            client_ip=caller.client_ip,
            session_id=request.session_id,
            idle_timeout_s=idle_timeout_s,
        )
        if resource.lower() == RESOURCE_CMD.lower():
            shell: Shell = self._new_cmd_shell(request, spec, caller, common)
            self.shells.add(shell)
        elif resource.lower().startswith(POWERSHELL_PREFIX.lower()):
            powershell = self._new_powershell_shell(request, spec, caller, common)
            self.shells.add(powershell)
            try:
                powershell.start()
            except BaseException:
                self.shells.remove(powershell)  # a failed creation must not hold a quota slot
                raise
            shell = powershell
        else:
            raise WsmanFault(env.RESOURCE_NOT_FOUND, f"The resource URI {resource} was not found in the WS-Management catalog.")
        body = (
            f"<x:ResourceCreated><a:Address>{text(request.to)}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{text(resource)}</w:ResourceURI><w:SelectorSet>"
            f'<w:Selector Name="ShellId">{shell.shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            f"</x:ResourceCreated>{shell.shell_xml()}"
        )
        return env.response(TRANSFER + "CreateResponse", request.message_id, body)

    def _new_cmd_shell(self, request: WsmanRequest, spec: ET.Element, caller: Caller, common: dict[str, Any]) -> CmdShell:
        parse_shell_options(request)
        environment = self.host.environment(caller.identity)
        for variable in spec.iterfind(f"{q(NS_SHELL, 'Environment')}/{q(NS_SHELL, 'Variable')}"):
            if not variable.get("Name"):
                raise WsmanFault(env.INVALID_PARAMETER, "An environment variable has no name.")
            environment[variable.get("Name")] = variable.text or ""
        directory = spec.find(q(NS_SHELL, "WorkingDirectory"))
        working_directory = (directory.text or "").strip() if directory is not None else self.host.home(caller.identity)
        if not os.path.isdir(working_directory):
            raise WsmanFault(env.INVALID_PARAMETER, f"The working directory {working_directory!r} does not exist.")
        return CmdShell(
            shell_id=str(uuid.uuid4()).upper(),
            input_streams=(spec.findtext(q(NS_SHELL, "InputStreams")) or "stdin").strip(),
            output_streams=(spec.findtext(q(NS_SHELL, "OutputStreams")) or "stdout stderr").strip(),
            working_directory=working_directory,
            environment=environment,
            **common,
        )

    def _new_powershell_shell(self, request: WsmanRequest, spec: ET.Element, caller: Caller, common: dict[str, Any]) -> PowerShellShell:
        configuration = request.resource_uri[len(POWERSHELL_PREFIX):]
        argv = self.host.pwsh_argv(configuration)
        if argv is None:
            raise WsmanFault(
                env.RESOURCE_NOT_FOUND,
                f"The WS-Management service cannot process the request. Cannot find the {configuration} session configuration.",
            )
        protocol = request.options.get("protocolversion", "")
        if not protocol.startswith("2."):
            raise WsmanFault(env.INVALID_PARAMETER, "A PowerShell shell needs the protocolversion option with a 2.x version.")
        creation = spec.find(q(NS_POWERSHELL, "creationXml"))
        payload, _ = decode_psrp_payload("" if creation is None else creation.text or "", "creationXml")
        try:
            shell_id = str(uuid.UUID(spec.get("ShellId") or str(uuid.uuid4()))).upper()
        except ValueError as error:
            raise WsmanFault(env.INVALID_PARAMETER, "The ShellId is not a GUID.") from error
        return PowerShellShell(
            shell_id=shell_id,
            input_streams=(spec.findtext(q(NS_SHELL, "InputStreams")) or "stdin pr").strip(),
            output_streams=(spec.findtext(q(NS_SHELL, "OutputStreams")) or "stdout").strip(),
            creation=payload,
            pwsh_argv=argv,
            environment=self.host.environment(caller.identity),
            working_directory=self.host.home(caller.identity),
            **common,
        )

    def _delete(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        self.shells.remove(shell)
        shell.close()
        return env.response(TRANSFER + "DeleteResponse", request.message_id, "")

    def _get(self, request: WsmanRequest, caller: Caller) -> bytes:
        if request.resource_uri.lower() == RESOURCE_CONFIG.lower():
            return env.response(TRANSFER + "GetResponse", request.message_id, self._config_xml())
        if request.resource_uri.lower() == RESOURCE_SHELL.lower():
            shell = self._shell_for(request, caller, any_resource=True)
            return env.response(TRANSFER + "GetResponse", request.message_id, shell.shell_xml(with_usage=True))
        raise WsmanFault(env.RESOURCE_NOT_FOUND, f"The resource URI {request.resource_uri} was not found in the WS-Management catalog.")

    def _config_xml(self) -> str:
        s = self.settings
        flag = lambda value: "true" if value else "false"  # noqa: E731 - a local shorthand
        return (
            f'<cfg:Config xmlns:cfg="{env.NS_CONFIG}"><cfg:MaxEnvelopeSizekb>{s.max_envelope_size_kb}</cfg:MaxEnvelopeSizekb>'
            f"<cfg:MaxTimeoutms>{s.max_timeout_ms}</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
            "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests><cfg:Client><cfg:NetworkDelayms>5000</cfg:NetworkDelayms>"
            "<cfg:URLPrefix>wsman</cfg:URLPrefix><cfg:AllowUnencrypted>false</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>true</cfg:Basic>"
            "<cfg:Digest>true</cfg:Digest><cfg:Kerberos>true</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate>"
            "<cfg:Certificate>true</cfg:Certificate><cfg:CredSSP>false</cfg:CredSSP></cfg:Auth><cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP>"
            "<cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts><cfg:TrustedHosts></cfg:TrustedHosts></cfg:Client><cfg:Service>"
            "<cfg:RootSDDL>O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)</cfg:RootSDDL>"
            "<cfg:MaxConcurrentOperations>4294967295</cfg:MaxConcurrentOperations>"
            f"<cfg:MaxConcurrentOperationsPerUser>{s.max_concurrent_operations_per_user}</cfg:MaxConcurrentOperationsPerUser>"
            "<cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms><cfg:MaxConnections>300</cfg:MaxConnections>"
            "<cfg:MaxPacketRetrievalTimeSeconds>120</cfg:MaxPacketRetrievalTimeSeconds>"
            f"<cfg:AllowUnencrypted>{flag(s.allow_unencrypted)}</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>{flag(s.auth_basic)}</cfg:Basic>"
            f"<cfg:Kerberos>{flag(s.auth_kerberos)}</cfg:Kerberos><cfg:Negotiate>{flag(s.auth_negotiate)}</cfg:Negotiate>"
            f"<cfg:Certificate>{flag(s.auth_certificate)}</cfg:Certificate><cfg:CredSSP>{flag(s.auth_credssp)}</cfg:CredSSP>"
            f"<cfg:CbtHardeningLevel>{s.cbt_hardening}</cfg:CbtHardeningLevel></cfg:Auth><cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP>"
            "<cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts><cfg:IPv4Filter>*</cfg:IPv4Filter><cfg:IPv6Filter>*</cfg:IPv6Filter>"
            "<cfg:EnableCompatibilityHttpListener>false</cfg:EnableCompatibilityHttpListener>"
            "<cfg:EnableCompatibilityHttpsListener>false</cfg:EnableCompatibilityHttpsListener>"
            "<cfg:CertificateThumbprint></cfg:CertificateThumbprint><cfg:AllowRemoteAccess>true</cfg:AllowRemoteAccess></cfg:Service>"
            f"<cfg:Winrs><cfg:AllowRemoteShellAccess>true</cfg:AllowRemoteShellAccess><cfg:IdleTimeout>{s.idle_timeout_ms}</cfg:IdleTimeout>"
            "<cfg:MaxConcurrentUsers>2147483647</cfg:MaxConcurrentUsers><cfg:MaxShellRunTime>2147483647</cfg:MaxShellRunTime>"
            "<cfg:MaxProcessesPerShell>2147483647</cfg:MaxProcessesPerShell><cfg:MaxMemoryPerShellMB>2147483647</cfg:MaxMemoryPerShellMB>"
            f"<cfg:MaxShellsPerUser>{s.max_shells_per_user}</cfg:MaxShellsPerUser></cfg:Winrs></cfg:Config>"
        )

    # ----- shell operations -----
    def _command(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        command_id = self._on_shell(shell, lambda: shell.command(request))
        body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return env.response(SHELL_ACTIONS + "CommandResponse", request.message_id, body)

    def _send(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        self._on_shell(shell, lambda: shell.send(request))
        return env.response(SHELL_ACTIONS + "SendResponse", request.message_id, "<rsp:SendResponse/>")

    def _receive(self, request: WsmanRequest, caller: Caller) -> bytes:
        """With a wsmv:OperationID the Receive is a Robust Connections operation (MS-WSMV 3.1.4.1.39): its answer
        is remembered per shell and command, and a retransmission of the remembered OperationID gets that answer
        again instead of new output (the first one may have been lost with its connection). A retransmission of
        any other OperationID never produced an answer here, so it is executed like a new Receive."""
        shell = self._shell_for(request, caller)
        desired = request.body_child(f"{q(NS_SHELL, 'Receive')}/{q(NS_SHELL, 'DesiredStream')}")
        command_id = None if desired is None else (desired.get("CommandId") or "").upper() or None
        operation_id = request.operation_id
        if operation_id and request.retransmission:
            remembered = shell.remembered_receive(command_id, operation_id)
            if remembered is not None:
                return env.response(SHELL_ACTIONS + "ReceiveResponse", request.message_id, remembered, operation_id)
        skeleton = len(env.response(SHELL_ACTIONS + "ReceiveResponse", request.message_id, "<rsp:ReceiveResponse></rsp:ReceiveResponse>"))
        available = self._envelope_limit(request) - skeleton - _RECEIVE_RESERVE
        stream_markup = len(stream_element("stdout", str(uuid.UUID(int=0)), b"", end=True))
        if available < stream_markup + 64:
            raise WsmanFault(env.ENVELOPE_TOO_LARGE, "The MaxEnvelopeSize of the request leaves no room for output.")
        budget = OutputBudget(available, stream_markup)
        streams = self._on_shell(shell, lambda: shell.receive(request, budget, self._timeout(request)))
        body = f"<rsp:ReceiveResponse>{streams}</rsp:ReceiveResponse>"
        if operation_id:
            shell.remember_receive(command_id, operation_id, body)
        return env.response(SHELL_ACTIONS + "ReceiveResponse", request.message_id, body, operation_id)

    def _signal(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        self._on_shell(shell, lambda: shell.signal(request))
        return env.response(SHELL_ACTIONS + "SignalResponse", request.message_id, "<rsp:SignalResponse/>")

    def _disconnect(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        self._on_shell(shell, lambda: shell.disconnect(request))
        return env.response(SHELL_ACTIONS + "DisconnectResponse", request.message_id, "")

    def _reconnect(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        self._on_shell(shell, lambda: shell.reconnect(request))
        return env.response(SHELL_ACTIONS + "ReconnectResponse", request.message_id, "")

    def _connect(self, request: WsmanRequest, caller: Caller) -> bytes:
        shell = self._shell_for(request, caller)
        content = self._on_shell(shell, lambda: shell.connect(request))
        body = f"<rsp:ConnectResponse>{content}</rsp:ConnectResponse>" if content else "<rsp:ConnectResponse/>"
        return env.response(SHELL_ACTIONS + "ConnectResponse", request.message_id, body)

    # ----- enumeration -----
    def _enumerate(self, request: WsmanRequest, caller: Caller) -> bytes:
        spec = request.body_child(q(NS_ENUMERATION, "Enumerate"))
        if spec is None:
            raise WsmanFault(env.INVALID_PARAMETER, "The Enumerate request has no wsen:Enumerate body.")
        resource = request.resource_uri.lower()
        if resource == RESOURCE_SHELL.lower():
            items = [shell.shell_xml(with_usage=True) for shell in self.shells.owned_by(caller.identity)]
        elif resource == RESOURCE_COMMAND.lower():
            selector = spec.find(f"{q(NS_WSMAN, 'Filter')}/{q(NS_WSMAN, 'SelectorSet')}/{q(NS_WSMAN, 'Selector')}[@Name='ShellId']")
            if selector is None:
                raise WsmanFault(env.INVALID_PARAMETER, "Enumerating commands needs a SelectorFilter with the ShellId.")
            items = self.shells.find((selector.text or "").strip(), caller.identity).commands_xml()
        else:
            raise WsmanFault(env.RESOURCE_NOT_FOUND, f"The resource URI {request.resource_uri} cannot be enumerated.")
        optimized = spec.find(q(NS_WSMAN, "OptimizeEnumeration")) is not None
        batch = _max_elements(spec.findtext(q(NS_WSMAN, "MaxElements"))) if optimized else 0
        first, rest = items[:batch], items[batch:]
        context = self._store_enumeration(caller.identity, rest) if rest or not optimized else ""
        body = f"<n:EnumerateResponse><n:EnumerationContext>{context}</n:EnumerationContext>"
        if optimized:
            body += f"<w:Items>{''.join(first)}</w:Items>" + ("" if rest else "<w:EndOfSequence/>")
        return env.response(ENUMERATION + "EnumerateResponse", request.message_id, body + "</n:EnumerateResponse>")

    def _store_enumeration(self, owner: str, items: list[str]) -> str:
        context = f"uuid:{str(uuid.uuid4()).upper()}"
        with self._enumerations_lock:
            self._enumerations[context] = (owner, items)
        return context

    def _pull(self, request: WsmanRequest, caller: Caller) -> bytes:
        spec = request.body_child(q(NS_ENUMERATION, "Pull"))
        context = "" if spec is None else (spec.findtext(q(NS_ENUMERATION, "EnumerationContext")) or "").strip()
        with self._enumerations_lock:
            owner, items = self._enumerations.pop(context, (None, []))
        if owner != caller.identity:
            raise WsmanFault(env.INVALID_PARAMETER, "The enumeration context is not valid.")
        batch = _max_elements(spec.findtext(q(NS_ENUMERATION, "MaxElements")))
        first, rest = items[:batch], items[batch:]
        body = "<n:PullResponse>"
        if rest:
            body += f"<n:EnumerationContext>{self._store_enumeration(owner, rest)}</n:EnumerationContext>"
        body += f"<n:Items>{''.join(first)}</n:Items>" + ("" if rest else "<n:EndOfSequence/>") + "</n:PullResponse>"
        return env.response(ENUMERATION + "PullResponse", request.message_id, body)


def _max_elements(value: Optional[str]) -> int:
    """MaxElements of an Enumerate/Pull (default 1, as WS-Enumeration says)."""
    return int(value) if value and value.strip().isdigit() and int(value) > 0 else 1

