"""PowerShell runspace pools through the lab against real pwsh: identity, the restricted endpoint, stop,
output larger than the envelope, disconnect/reconnect and connect from another client."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, Iterator

import psrp_wire
import pytest
from wsman_client import NS, POWERSHELL, SHELL, TRANSFER, ENUMERATION, Envelope, PowerShellPool, WsmanClient, WsmanError, outputs

ENUMERATE_BODY = '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>'


pytestmark = pytest.mark.usefixtures("basic_auth")


@pytest.fixture(scope="module")
def client(lab: dict[str, Any]) -> Iterator[WsmanClient]:
    client = WsmanClient(lab, "alice")
    yield client
    client.close()


@pytest.fixture(scope="module")
def pool(basic_auth, client: WsmanClient) -> Iterator[PowerShellPool]:
    """One runspace pool shared by the tests that do not change its connection state."""
    pool = client.create_pwsh()
    yield pool
    pool.delete()


def test_pipeline_runs_as_the_authenticated_user(pool: PowerShellPool) -> None:
    messages = pool.run("$env:WINRM_LAB_USER; $PSVersionTable.PSVersion.ToString(); 'ünï' + [char]::ConvertFromUtf32(0x1F600)")
    assert outputs(messages)[0] == "LAB\\alice"
    assert outputs(messages)[1].startswith("7.")
    assert outputs(messages)[2] == "ünï_xD83D__xDE00_"  # CLIXML escapes each UTF-16 surrogate (MS-PSRP 2.2.5.3.2)
    assert messages[-1].name == "PIPELINE_STATE" and messages[-1].int_property("PipelineState") == 4


def test_errors_and_failed_pipelines_come_back_from_pwsh(pool: PowerShellPool) -> None:
    messages = pool.run("Write-Error 'soft'; 'after'; throw 'hard'")
    names = [m.name for m in messages]
    assert names[:2] == ["ERROR_RECORD", "PIPELINE_OUTPUT"] and "soft" in messages[0].data
    assert messages[-1].int_property("PipelineState") == 5 and "hard" in messages[-1].data


def test_stop_signal_stops_a_running_pipeline(client: WsmanClient, pool: PowerShellPool) -> None:
    command_id = pool.start("'started'; Start-Sleep -Seconds 30; 'never'")
    reader = psrp_wire.MessageReader()
    assert outputs(pool.receive_until("PIPELINE_OUTPUT", command_id, reader)) == ["started"]
    started = time.monotonic()
    client.signal(pool.resource, pool.shell_id, command_id, "powershell/signal/crtl_c")
    messages = pool.receive_until("PIPELINE_STATE", command_id, reader)
    assert messages[-1].int_property("PipelineState") == 3  # Stopped
    assert time.monotonic() - started < 10
    client.signal(pool.resource, pool.shell_id, command_id, SHELL + "/signal/terminate")
    with pytest.raises(WsmanError) as error:
        client.receive(pool.resource, pool.shell_id, command_id, streams="stdout")
    assert error.value.code == 2150858843  # the command is gone


def test_output_larger_than_the_envelope_is_refragmented(client: WsmanClient, pool: PowerShellPool) -> None:
    command_id = pool.start("'x' * 100000; 'end'")
    reader, messages = psrp_wire.MessageReader(), []
    while not any(m.name == "PIPELINE_STATE" for m in messages):
        root = client.receive(pool.resource, pool.shell_id, command_id, streams="stdout", max_envelope=16384)
        assert len(base64.b64decode(root.findtext(".//rsp:Stream", namespaces=NS) or "")) < 16384
        for stream in root.iterfind(".//rsp:Stream", NS):
            messages.extend(reader.feed(base64.b64decode(stream.text or "")))
    assert outputs(messages) == ["x" * 100000, "end"]
    client.signal(pool.resource, pool.shell_id, command_id, SHELL + "/signal/terminate")


def test_restricted_endpoint_refuses_scripts_and_hides_commands(client: WsmanClient) -> None:
    restricted = client.create_pwsh("Lab.Restricted")
    try:
        failed = restricted.run("Get-Date")
        assert failed[-1].int_property("PipelineState") == 5 and "no-language mode" in failed[-1].data
        allowed = restricted.run("Get-Item", is_script=False, arguments=["env:WINRM_LAB_USER"])
        assert allowed[-1].int_property("PipelineState") == 4 and "LAB\\alice" in allowed[0].data
        hidden = restricted.run("Get-Process", is_script=False)
        assert hidden[-1].int_property("PipelineState") == 5 and "Get-Process" in hidden[-1].data
    finally:
        restricted.delete()


def test_unknown_endpoint_and_missing_protocol_version_are_faults(client: WsmanClient) -> None:
    rpid = uuid.uuid4()
    creation = base64.b64encode(psrp_wire.creation_fragments(rpid)).decode()
    body = f'<rsp:Shell ShellId="{rpid}"><creationXml xmlns="{NS["ps"]}">{creation}</creationXml></rsp:Shell>'
    with pytest.raises(WsmanError) as error:
        client.call(Envelope(TRANSFER + "Create", POWERSHELL + "No.Such.Endpoint", body, options={"protocolversion": "2.3"}))
    assert error.value.code == 2150858752
    with pytest.raises(WsmanError) as error:
        client.call(Envelope(TRANSFER + "Create", POWERSHELL + "Microsoft.PowerShell", body))
    assert error.value.code == 2150858810


def _shell_state(client: WsmanClient, shell_id: str) -> str:
    root = client.call(Envelope(ENUMERATION + "Enumerate", SHELL, ENUMERATE_BODY))
    states = {s.findtext("rsp:ShellId", namespaces=NS): s.findtext("rsp:State", namespaces=NS) for s in root.iterfind(".//rsp:Shell", NS)}
    return states[shell_id]


def test_disconnect_keeps_pwsh_running_and_reconnect_resumes_output(lab, client: WsmanClient) -> None:
    pool = client.create_pwsh()
    try:
        command_id = pool.start("'before'; Start-Sleep -Milliseconds 1500; 'after'")
        reader = psrp_wire.MessageReader()
        assert outputs(pool.receive_until("PIPELINE_OUTPUT", command_id, reader)) == ["before"]
        client.call(Envelope(SHELL + "/Disconnect", pool.resource, "<rsp:Disconnect/>", selectors={"ShellId": pool.shell_id}))
        assert _shell_state(client, pool.shell_id) == "Disconnected"
        with pytest.raises(WsmanError) as error:
            client.receive(pool.resource, pool.shell_id, command_id, streams="stdout")
        assert error.value.code == 2150859204
        time.sleep(2)  # 'after' is produced while nobody is connected
        other = WsmanClient(lab, "alice")  # same user, another client session id
        with pytest.raises(WsmanError) as error:
            other.call(Envelope(SHELL + "/Reconnect", pool.resource, selectors={"ShellId": pool.shell_id}))
        assert error.value.code == 2150859206
        other.close()
        client.call(Envelope(SHELL + "/Reconnect", pool.resource, selectors={"ShellId": pool.shell_id}))
        assert _shell_state(client, pool.shell_id) == "Connected"
        messages = pool.receive_until("PIPELINE_STATE", command_id, reader)
        assert outputs(messages) == ["after"] and messages[-1].int_property("PipelineState") == 4
    finally:
        pool.delete()


def test_connect_from_a_new_client_gets_the_pool_and_its_pipeline(lab, client: WsmanClient) -> None:
    pool = client.create_pwsh()
    try:
        command_id = pool.start("Start-Sleep -Milliseconds 1000; 'made while disconnected'")
        client.call(Envelope(SHELL + "/Disconnect", pool.resource, "<rsp:Disconnect/>", selectors={"ShellId": pool.shell_id}))
        newcomer = WsmanClient(lab, "alice")
        connect_xml = base64.b64encode(psrp_wire.connect_fragments(pool.rpid, 50)).decode()
        root = newcomer.call(
            Envelope(SHELL + "/Connect", pool.resource, f'<rsp:Connect><connectXml xmlns="{NS["ps"]}">{connect_xml}</connectXml></rsp:Connect>',
                     selectors={"ShellId": pool.shell_id}, options={"protocolversion": "2.3"})
        )
        response = base64.b64decode(root.findtext(".//ps:connectResponseXml", namespaces=NS))
        init = list(psrp_wire.MessageReader().feed(response))
        assert [m.name for m in init] == ["SESSION_CAPABILITY", "RUNSPACEPOOL_INIT_DATA"]
        assert init[1].int_property("MaxRunspaces") == 1 and init[0].rpid == pool.rpid
        adopted = PowerShellPool(newcomer, pool.resource, pool.rpid)
        adopted.shell_id = pool.shell_id
        state = adopted.receive_until("RUNSPACEPOOL_STATE")[-1]
        assert state.int_property("RunspaceState") == 2
        newcomer.call(Envelope(SHELL + "/Connect", pool.resource, f'<rsp:Connect CommandId="{command_id}"/>', selectors={"ShellId": pool.shell_id}))
        messages = adopted.receive_until("PIPELINE_STATE", command_id, psrp_wire.MessageReader())
        assert outputs(messages) == ["made while disconnected"]
        adopted.run("'the pool still works'")
        adopted.delete()
        newcomer.close()
    except BaseException:
        pool.delete()
        raise
