"""Malformed input gets a prompt fault or HTTP error and the lab stays up: bad XML, an entity bomb,
unknown actions and mustUnderstand headers, oversized bodies, garbage base64, lying lengths."""

from __future__ import annotations

import base64
import socket
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Iterator

import pytest
from wsman_client import CMD, NS, POWERSHELL, SHELL, TRANSFER, Envelope, WsmanClient, WsmanError, basic_header, tls_context

pytestmark = pytest.mark.usefixtures("basic_auth")
QUICK_S = 3.0
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"


@pytest.fixture(scope="module")
def client(lab: dict[str, Any], basic_auth) -> Iterator[WsmanClient]:
    client = WsmanClient(lab)
    yield client
    client.close()


def _fault_of(client: WsmanClient, body: bytes) -> tuple[int, ET.Element, float]:
    started = time.monotonic()
    status, answer = client.post(body)
    return status, ET.fromstring(answer), time.monotonic() - started


def _code(root: ET.Element) -> int:
    return int(root.find(".//f:WSManFault", NS).get("Code"))


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = connection.recv(65536)
        except (ssl.SSLError, ConnectionError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _raw_exchange(lab: dict[str, Any], head: bytes, body: bytes = b"") -> tuple[bytes, float]:
    """Sends raw bytes on a fresh TLS connection and reads until the lab closes it."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", lab["https_port"]), timeout=10) as raw:
        with tls_context(lab).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(head + body)
            answer = _read_all(tls)
    return answer, time.monotonic() - started


def test_malformed_xml(client: WsmanClient) -> None:
    status, root, elapsed = _fault_of(client, b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Header>")
    assert (status, _code(root), elapsed < QUICK_S) == (500, 2150858819, True)


def test_entity_bomb_is_refused_before_parsing(client: WsmanClient) -> None:
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};">' for i in range(1, 12))
    bomb = f'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e0 "lol">{entities}]><s>&e11;</s>'.encode()
    status, root, elapsed = _fault_of(client, bomb)
    assert (status, _code(root), elapsed < QUICK_S) == (500, 2150858819, True)


def test_unknown_action_and_unknown_must_understand_header(client: WsmanClient) -> None:
    with pytest.raises(WsmanError) as error:
        client.call(Envelope("http://example.invalid/NoSuchAction", CMD))
    assert error.value.code == 2150858771
    envelope = Envelope(TRANSFER + "Get", CONFIG).render(client.url).replace(
        b"</s:Header>", b'<x:Odd xmlns:x="urn:odd" s:mustUnderstand="true">1</x:Odd></s:Header>'
    )
    status, root, _ = _fault_of(client, envelope)
    assert status == 500 and root.findtext(".//s:Code/s:Value", namespaces=NS) == "s:MustUnderstand"
    assert root.find("s:Header/s:NotUnderstood", NS).get("qname").endswith(":Odd")


def test_body_over_the_envelope_limit_is_refused_unread(lab: dict[str, Any]) -> None:
    head = (
        f"POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {basic_header(lab, 'alice')}\r\n"
        "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 100000000\r\n\r\n"
    ).encode()
    answer, elapsed = _raw_exchange(lab, head, b"<s:Envelope")
    assert answer.startswith(b"HTTP/1.1 500") and b'Code="2150858824"' in answer and elapsed < QUICK_S


def test_envelope_just_over_the_service_limit_is_a_fault(client: WsmanClient) -> None:
    padding = "<!-- " + "p" * 520_000 + " -->"
    envelope = Envelope(TRANSFER + "Get", CONFIG).render(client.url).replace(b"<s:Body>", f"<s:Body>{padding}".encode())
    status, root, _ = _fault_of(client, envelope)
    assert (status, _code(root)) == (500, 2150858824)


def test_lying_content_length_gets_an_error_quickly(lab: dict[str, Any], client: WsmanClient) -> None:
    head = (
        f"POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {basic_header(lab, 'alice')}\r\n"
        "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 5000\r\n\r\n"
    ).encode()
    # Plain HTTP makes a half close easy (the body is read before authentication on either listener).
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", lab["http_port"]), timeout=10) as plain:
        plain.sendall(head + b"<s:Envelope/>")
        plain.shutdown(socket.SHUT_WR)
        answer = _read_all(plain)
    assert answer.startswith(b"HTTP/1.1 400") and time.monotonic() - started < QUICK_S, answer[:200]
    # Over TLS the client just goes away mid-body; the next client is served as usual.
    with socket.create_connection(("127.0.0.1", lab["https_port"]), timeout=10) as raw:
        with tls_context(lab).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(head + b"<s:Envelope/>")
    assert client.call(Envelope(TRANSFER + "Get", CONFIG)) is not None


def test_missing_content_length_and_wrong_path(lab: dict[str, Any]) -> None:
    answer, _ = _raw_exchange(lab, f"POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: {basic_header(lab, 'alice')}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 411")
    answer, _ = _raw_exchange(lab, b"POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404")


def test_garbage_base64_in_send_and_in_creation_xml(client: WsmanClient) -> None:
    shell_id = client.create_cmd()
    try:
        command_id = client.command(CMD, shell_id, "cat")
        body = f'<rsp:Send><rsp:Stream Name="stdin" CommandId="{command_id}">@@not base64!!</rsp:Stream></rsp:Send>'
        with pytest.raises(WsmanError) as error:
            client.call(Envelope(SHELL + "/Send", CMD, body, selectors={"ShellId": shell_id}))
        assert error.value.code == 2150858810
    finally:
        client.delete(CMD, shell_id)
    for creation in ("@@not base64!!", base64.b64encode(b"\x00" * 10 + b"not fragments").decode()):
        body = f'<rsp:Shell ShellId="{uuid.uuid4()}"><creationXml xmlns="{NS["ps"]}">{creation}</creationXml></rsp:Shell>'
        with pytest.raises(WsmanError) as error:
            client.call(Envelope(TRANSFER + "Create", POWERSHELL + "Microsoft.PowerShell", body, options={"protocolversion": "2.3"}))
        assert error.value.code == 2150858810


def test_the_lab_is_still_up(client: WsmanClient) -> None:
    root = client.call(Envelope(TRANSFER + "Get", CONFIG))
    assert root.find(".//cfg:MaxEnvelopeSizekb", NS) is not None
