"""SOAP 1.2 / WS-Management envelopes: parsing requests safely and writing responses and faults in the
shape Windows uses (prefixes s, a, x, w, n, p, rsp, f as in the recorded responses of captures/windows).

Parsing invariants: the body must be UTF-8; any markup declaration other than comments and CDATA
(DOCTYPE, ENTITY, ...) is refused before the XML parser sees the text, so no entity can expand;
every malformed request becomes a WsmanFault, never another exception.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional
from xml.sax.saxutils import escape, quoteattr

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
NS_POWERSHELL = "http://schemas.microsoft.com/powershell"

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

# Header elements the service understands; any other header marked mustUnderstand gets a MustUnderstand fault.
UNDERSTOOD_HEADERS = frozenset(
    f"{{{ns}}}{name}"
    for ns, name in [
        (NS_ADDRESSING, "Action"),
        (NS_ADDRESSING, "To"),
        (NS_ADDRESSING, "MessageID"),
        (NS_ADDRESSING, "ReplyTo"),
        (NS_ADDRESSING, "FaultTo"),
        (NS_WSMAN, "ResourceURI"),
        (NS_WSMAN, "MaxEnvelopeSize"),
        (NS_WSMAN, "OperationTimeout"),
        (NS_WSMAN, "Locale"),
        (NS_WSMAN, "OptionSet"),
        (NS_WSMAN, "SelectorSet"),
        (NS_WSMAN, "RequestEPR"),
        (NS_WSMV, "DataLocale"),
        (NS_WSMV, "SessionId"),
        (NS_WSMV, "OperationID"),
        (NS_WSMV, "SequenceId"),
    ]
)

_RESPONSE_NAMESPACES = (
    f'xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" xmlns:x="{NS_TRANSFER}" xmlns:w="{NS_WSMAN}" '
    f'xmlns:n="{NS_ENUMERATION}" xmlns:rsp="{NS_SHELL}" xmlns:p="{NS_WSMV}"'
)
# A markup declaration that is neither a comment nor a CDATA section: DOCTYPE, ENTITY, ELEMENT, ...
_DECLARATION = re.compile(r"<!(?!--|\[CDATA\[)")
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?$")
_MAX_DURATION_S = 2147483.647  # the largest timeout Windows reports (MaxIdleTimeOut)


@dataclass(frozen=True)
class FaultKind:
    """One WSManFault as Windows reports it: SOAP code, subcode, optional FaultDetail URI, WinRM error code."""

    code: int
    soap_code: str
    subcode: Optional[str]
    detail: Optional[str]
    message: str


_DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
INVALID_XML = FaultKind(2150858819, "s:Sender", "w:SchemaValidationError", None, "The WS-Management service cannot process the request because the XML is invalid.")
MISSING_HEADER = FaultKind(2150858769, "s:Sender", "a:MessageInformationHeaderRequired", None, "The WS-Management service cannot process the request because a required SOAP header is missing.")
INVALID_HEADER = FaultKind(2150858767, "s:Sender", "a:InvalidMessageInformationHeader", None, "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers.")
MUST_UNDERSTAND = FaultKind(2150858768, "s:MustUnderstand", None, None, "The WS-Management service cannot process a SOAP header in the request that is marked as mustUnderstand by the client.")
ACTION_NOT_SUPPORTED = FaultKind(2150858771, "s:Sender", "a:ActionNotSupported", _DETAIL + "ActionMismatch", "The WS-Management service cannot process the request because the action is not supported for the resource.")
RESOURCE_NOT_FOUND = FaultKind(2150858752, "s:Sender", "a:DestinationUnreachable", _DETAIL + "InvalidResourceURI", "The WS-Management service cannot process the request. The resource URI was not found.")
UNEXPECTED_SELECTORS = FaultKind(2150858843, "s:Sender", "w:InvalidSelectors", _DETAIL + "UnexpectedSelectors", "The WS-Management service cannot process the request because the request contained invalid selectors for the resource.")
UNKNOWN_COMMAND = FaultKind(2150858843, "s:Sender", "w:InvalidSelectors", _DETAIL + "UnexpectedSelectors", "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier.")
INVALID_PARAMETER = FaultKind(2150858810, "s:Sender", "w:InvalidParameter", None, "The WS-Management service cannot process the request because a parameter of the request is invalid.")
INVALID_TIMEOUT = FaultKind(2150858881, "s:Sender", "w:InvalidHeader", None, "The WS-Management service cannot process the request because the OperationTimeout header is invalid.")
ENVELOPE_TOO_LARGE = FaultKind(2150858824, "s:Sender", "w:EncodingLimit", _DETAIL + "MaxEnvelopeSize", "The request or the response exceeds the maximum envelope size.")
OPERATION_TIMED_OUT = FaultKind(2150858793, "s:Receiver", "w:TimedOut", None, "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ")
QUOTA_MAX_SHELLS = FaultKind(2150859173, "s:Receiver", "w:QuotaLimit", None, "The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent shells, which has been exceeded.")
QUOTA_MAX_OPERATIONS = FaultKind(2150859174, "s:Receiver", "w:QuotaLimit", None, "The WS-Management service cannot process the request. This user is allowed a maximum number of concurrent operations, which has been exceeded.")
ALREADY_EXISTS = FaultKind(2150858803, "s:Sender", "w:AlreadyExists", None, "The WS-Management service cannot create the resource because it already exists.")
SHELL_DISCONNECTED = FaultKind(2150859204, "s:Sender", "w:InvalidSelectors", None, "The request cannot be processed because the shell is disconnected.")
STREAM_DISCONNECTED = FaultKind(2150859230, "s:Receiver", "w:InternalError", None, "The shell was disconnected while the operation was in progress.")
SESSION_ID_MISMATCH = FaultKind(2150859206, "s:Sender", "w:InvalidParameter", None, "The shell cannot be reconnected: the client session id differs from the one that disconnected it.")
SHELL_CONNECTED_ELSEWHERE = FaultKind(2150859213, "s:Sender", "w:InvalidParameter", None, "The shell is connected to a different client and cannot be connected.")
SHELL_ENDED = FaultKind(2150858843, "s:Sender", "w:InvalidSelectors", _DETAIL + "UnexpectedSelectors", "The shell's process has ended; the shell no longer exists.")
PROVIDER_FAILURE = FaultKind(2150858755, "s:Receiver", "w:InternalError", None, "The WS-Management service cannot process the request. The WMI provider returned an error.")


class WsmanFault(Exception):
    def __init__(self, kind: FaultKind, message: Optional[str] = None, not_understood: Optional[str] = None):
        super().__init__(message or kind.message)
        self.kind = kind
        self.message = message or kind.message
        self.not_understood = not_understood  # Clark name of the header of a MustUnderstand fault


@dataclass
class WsmanRequest:
    action: str
    resource_uri: str
    message_id: str
    to: str
    session_id: Optional[str]
    operation_timeout_s: Optional[float]
    max_envelope_size: Optional[int]
    # Robust Connections (MS-WSMV 3.1.4.1.39): the client's wsmv:OperationID, and whether it marked the request as a
    # retransmission of the one that carried the same id (mustUnderstand="true").
    operation_id: Optional[str] = None
    retransmission: bool = False
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    body: ET.Element = field(default_factory=lambda: ET.Element(f"{{{NS_SOAP}}}Body"))

    def body_child(self, tag: str) -> Optional[ET.Element]:
        return self.body.find(tag)


def q(namespace: str, name: str) -> str:
    """Clark notation, as ElementTree names elements."""
    return f"{{{namespace}}}{name}"


def parse_duration(text: str) -> float:
    """xs:duration as WS-Man uses it (PT20S, PT60.000S, P0DT0H1M2S) in seconds; raises ValueError."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"not a duration: {text!r}")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return min(days * 86400 + hours * 3600 + minutes * 60 + seconds, _MAX_DURATION_S)


def format_duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _is_true(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def parse_request(soap: bytes) -> WsmanRequest:
    """Parses and validates a request envelope's header; the body is returned as an element."""
    try:
        text = soap.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WsmanFault(INVALID_XML, "The request is not valid UTF-8.") from error
    if _DECLARATION.search(text):
        raise WsmanFault(INVALID_XML, "The WS-Management service cannot process the request because the XML contains a DTD or a markup declaration.")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise WsmanFault(INVALID_XML, f"The WS-Management service cannot process the request because the XML is invalid: {error}.") from error
    if root.tag != q(NS_SOAP, "Envelope"):
        raise WsmanFault(INVALID_XML, "The request is not a SOAP 1.2 envelope.")
    header = root.find(q(NS_SOAP, "Header"))
    body = root.find(q(NS_SOAP, "Body"))
    if header is None or body is None:
        raise WsmanFault(INVALID_XML, "The SOAP envelope needs a Header and a Body.")

    for child in header:
        if child.tag not in UNDERSTOOD_HEADERS and _is_true(child.get(q(NS_SOAP, "mustUnderstand"))):
            raise WsmanFault(MUST_UNDERSTAND, not_understood=child.tag)

    def text_of(namespace: str, name: str) -> Optional[str]:
        element = header.find(q(namespace, name))
        return None if element is None else (element.text or "").strip()

    message_id = text_of(NS_ADDRESSING, "MessageID")
    action = text_of(NS_ADDRESSING, "Action")
    if not message_id or not action:
        raise WsmanFault(MISSING_HEADER, "The request needs the wsa:Action and wsa:MessageID headers.")
    request = WsmanRequest(
        action=action,
        resource_uri=text_of(NS_WSMAN, "ResourceURI") or "",
        message_id=message_id,
        to=text_of(NS_ADDRESSING, "To") or "",
        session_id=text_of(NS_WSMV, "SessionId"),
        operation_timeout_s=None,
        max_envelope_size=None,
        body=body,
    )
    operation = header.find(q(NS_WSMV, "OperationID"))
    if operation is not None:
        request.operation_id = (operation.text or "").strip()
        request.retransmission = _is_true(operation.get(q(NS_SOAP, "mustUnderstand")))
    timeout = text_of(NS_WSMAN, "OperationTimeout")
    if timeout is not None:
        try:
            request.operation_timeout_s = parse_duration(timeout)
        except ValueError as error:
            raise WsmanFault(INVALID_TIMEOUT) from error
    envelope_size = text_of(NS_WSMAN, "MaxEnvelopeSize")
    if envelope_size is not None:
        if not envelope_size.isdigit() or int(envelope_size) == 0:
            raise WsmanFault(INVALID_HEADER, "The MaxEnvelopeSize header must be a positive number of bytes.")
        request.max_envelope_size = int(envelope_size)
    for selector in header.iterfind(f"{q(NS_WSMAN, 'SelectorSet')}/{q(NS_WSMAN, 'Selector')}"):
        request.selectors[selector.get("Name", "")] = (selector.text or "").strip()
    for option in header.iterfind(f"{q(NS_WSMAN, 'OptionSet')}/{q(NS_WSMAN, 'Option')}"):
        request.options[option.get("Name", "")] = (option.text or "").strip()
    return request


def new_message_id() -> str:
    return f"uuid:{str(uuid.uuid4()).upper()}"


def text(value: str) -> str:
    """Character data for a response element."""
    return escape(value)


def attribute(value: str) -> str:
    """A quoted attribute value for a response element."""
    return quoteattr(value)


def response(action: str, relates_to: str, body: str, operation_id: Optional[str] = None) -> bytes:
    """A response envelope (Windows' header order: Action, MessageID, To, RelatesTo), with the request's OperationID
    and SequenceId 1 (its only response message) when the service answers it as a Robust Connections operation."""
    operation = (
        f'<p:OperationID s:mustUnderstand="false">{text(operation_id)}</p:OperationID>'
        '<p:SequenceId s:mustUnderstand="false">1</p:SequenceId>'
        if operation_id
        else ""
    )
    return (
        f'<s:Envelope xml:lang="en-US" {_RESPONSE_NAMESPACES}><s:Header>'
        f"<a:Action>{text(action)}</a:Action><a:MessageID>{new_message_id()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To><a:RelatesTo>{text(relates_to)}</a:RelatesTo>{operation}"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode("utf-8")


def fault(error: WsmanFault, relates_to: Optional[str], machine: str) -> bytes:
    """A SOAP fault with a WSManFault detail; the listener sends it with HTTP 500."""
    kind = error.kind
    header_extra = ""
    if error.not_understood:
        namespace, _, local = error.not_understood[1:].partition("}")
        header_extra = f'<s:NotUnderstood qname="nu:{local}" xmlns:nu={attribute(namespace)}/>'
    relates = f"<a:RelatesTo>{text(relates_to)}</a:RelatesTo>" if relates_to else ""
    subcode = f"<s:Subcode><s:Value>{kind.subcode}</s:Value></s:Subcode>" if kind.subcode else ""
    detail = f"<w:FaultDetail>{kind.detail}</w:FaultDetail>" if kind.detail else ""
    message = text(error.message)
    return (
        f'<s:Envelope xml:lang="en-US" {_RESPONSE_NAMESPACES}><s:Header>'
        f"<a:Action>{FAULT_ACTION}</a:Action><a:MessageID>{new_message_id()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>{relates}{header_extra}</s:Header><s:Body><s:Fault>"
        f"<s:Code><s:Value>{kind.soap_code}</s:Value>{subcode}</s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{message}</s:Text></s:Reason>'
        f'<s:Detail>{detail}<f:WSManFault xmlns:f="{NS_FAULT}" Code="{kind.code}" Machine={attribute(machine)}>'
        f"<f:Message>{message}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"
    ).encode("utf-8")
