"""Robust Connections for Receive (MS-WSMV 3.1.4.1.39) with the raw client: a Receive whose response is cut by the
`drop` fault is retransmitted with the same OperationID marked mustUnderstand="true", and the lab answers with the
response it already produced, so output dequeued into the lost response arrives exactly once."""

from __future__ import annotations

import base64
import http.client
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Iterator, Optional

import pytest
from wsman_client import CMD, DONE, NS, SHELL, Envelope, WsmanClient

pytestmark = pytest.mark.usefixtures("basic_auth")


@pytest.fixture
def alice(lab: dict[str, Any]) -> Iterator[WsmanClient]:
    client = WsmanClient(lab, "alice")
    yield client
    client.close()


@pytest.fixture
def shell_id(alice: WsmanClient) -> Iterator[str]:
    created = alice.create_cmd()
    yield created
    alice.delete(CMD, created)


def receive_envelope(shell_id: str, command_id: str, operation_id: str = "") -> Envelope:
    body = f'<rsp:Receive><rsp:DesiredStream CommandId="{command_id}">stdout stderr</rsp:DesiredStream></rsp:Receive>'
    return Envelope(SHELL + "/Receive", CMD, body, selectors={"ShellId": shell_id}, operation_id=operation_id,
                    options={"WSMAN_CMDSHELL_OPTION_KEEPALIVE": "True"})


def new_operation_id() -> str:
    return f"uuid:{str(uuid.uuid4()).upper()}"


def stdout_of(root: ET.Element) -> bytes:
    return b"".join(base64.b64decode(s.text or "") for s in root.iterfind(".//rsp:Stream[@Name='stdout']", NS))


def finished(root: ET.Element) -> bool:
    state = root.find(".//rsp:CommandState", NS)
    return state is not None and state.get("State") == DONE


def operation_header(root: ET.Element) -> tuple[Optional[str], Optional[str]]:
    return root.findtext("s:Header/p:OperationID", namespaces=NS), root.findtext("s:Header/p:SequenceId", namespaces=NS)


def receive_rest(alice: WsmanClient, shell_id: str, command_id: str) -> bytes:
    """Everything the command still prints, each Receive a new operation, until it is done."""
    out = bytearray()
    for _ in range(50):
        root = alice.call(receive_envelope(shell_id, command_id, new_operation_id()))
        out.extend(stdout_of(root))
        if finished(root):
            return bytes(out)
    raise AssertionError("the command did not finish")


def test_a_retransmission_after_a_dropped_response_gets_the_same_output_exactly_once(admin, alice: WsmanClient, shell_id: str) -> None:
    command_id = alice.command(CMD, shell_id, "echo first; sleep 1; echo second")
    lost = receive_envelope(shell_id, command_id, new_operation_id())
    admin.fault("drop")
    with pytest.raises((http.client.HTTPException, OSError)):
        alice.call(lost)  # the lab has dequeued "first" into this response
    lost.retransmission = True
    again = alice.call(lost)
    assert stdout_of(again) == b"first\n"
    assert operation_header(again) == (lost.operation_id, "1")
    # A second retransmission is answered from the same memory, not with new output.
    assert stdout_of(alice.call(lost)) == b"first\n"
    assert receive_rest(alice, shell_id, command_id) == b"second\n"


def test_a_retransmission_of_an_unknown_operation_executes_like_a_new_receive(alice: WsmanClient, shell_id: str) -> None:
    command_id = alice.command(CMD, shell_id, "echo one; sleep 0.5; echo two")
    operation_id = new_operation_id()
    first = alice.call(receive_envelope(shell_id, command_id, operation_id))
    assert (stdout_of(first), operation_header(first)) == (b"one\n", (operation_id, "1"))
    unknown = receive_envelope(shell_id, command_id, new_operation_id())
    unknown.retransmission = True
    answer = alice.call(unknown)
    assert stdout_of(answer) != b"one\n"
    assert stdout_of(answer) + (b"" if finished(answer) else receive_rest(alice, shell_id, command_id)) == b"two\n"


def test_a_receive_without_operation_id_gets_no_robust_headers(alice: WsmanClient, shell_id: str) -> None:
    command_id = alice.command(CMD, shell_id, "echo plain")
    root = alice.call(receive_envelope(shell_id, command_id))
    assert operation_header(root) == (None, None)
    assert stdout_of(root) + (b"" if finished(root) else receive_rest(alice, shell_id, command_id)) == b"plain\n"
