"""WS-Man service scenarios against the running lab over Basic/HTTPS with a raw client: configuration Get,
enumeration, ownership, quotas, the OperationTimeout fault, cmd streams and signals, admin faults and
certificate switching."""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any, Iterator

import pytest
import winrm
from wsman_client import CMD, ENUMERATION, NS, SHELL, TRANSFER, Envelope, WsmanClient, WsmanError, account, stream_data

CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
ENUMERATE_BODY = '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>'


pytestmark = pytest.mark.usefixtures("basic_auth")


@pytest.fixture
def alice(lab: dict[str, Any]) -> Iterator[WsmanClient]:
    client = WsmanClient(lab, "alice")
    yield client
    client.close()


def test_config_get_reports_the_service_settings(lab, admin, alice: WsmanClient) -> None:
    root = alice.call(Envelope(TRANSFER + "Get", CONFIG))
    assert root.findtext("s:Header/a:Action", namespaces=NS) == TRANSFER + "GetResponse"
    config = root.find(".//cfg:Config", NS)
    assert config.findtext("cfg:MaxEnvelopeSizekb", namespaces=NS) == "500"
    assert config.findtext("cfg:Service/cfg:Auth/cfg:Basic", namespaces=NS) == "true"
    assert config.findtext("cfg:Service/cfg:Auth/cfg:CbtHardeningLevel", namespaces=NS) == "Relaxed"
    admin.settings(max_envelope_size_kb=150, max_shells_per_user=5)
    config = alice.call(Envelope(TRANSFER + "Get", CONFIG)).find(".//cfg:Config", NS)
    assert config.findtext("cfg:MaxEnvelopeSizekb", namespaces=NS) == "150"
    assert config.findtext("cfg:Winrs/cfg:MaxShellsPerUser", namespaces=NS) == "5"


def test_unknown_resource_and_action_are_faults(alice: WsmanClient) -> None:
    with pytest.raises(WsmanError) as error:
        alice.call(Envelope(TRANSFER + "Get", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"))
    assert error.value.code == 2150858752
    with pytest.raises(WsmanError) as error:
        alice.call(Envelope(TRANSFER + "Put", CONFIG))
    assert (error.value.code, error.value.subcode) == (2150858771, "a:ActionNotSupported")


def test_enumerate_get_and_ownership_of_shells(lab, alice: WsmanClient) -> None:
    shell_id = alice.create_cmd()
    bob = WsmanClient(lab, "bob")
    try:
        root = alice.call(Envelope(ENUMERATION + "Enumerate", SHELL, ENUMERATE_BODY))
        shells = {s.findtext("rsp:ShellId", namespaces=NS): s for s in root.iterfind(".//w:Items/rsp:Shell", NS)}
        assert shells[shell_id].findtext("rsp:State", namespaces=NS) == "Connected"
        assert shells[shell_id].findtext("rsp:Owner", namespaces=NS) == "LAB\\alice"
        assert root.find(".//w:EndOfSequence", NS) is not None
        got = alice.call(Envelope(TRANSFER + "Get", SHELL, selectors={"ShellId": shell_id}))
        assert got.findtext(".//rsp:Shell/rsp:ShellId", namespaces=NS) == shell_id
        # Another user neither sees nor touches alice's shell.
        others = bob.call(Envelope(ENUMERATION + "Enumerate", SHELL, ENUMERATE_BODY))
        assert shell_id not in [s.findtext("rsp:ShellId", namespaces=NS) for s in others.iterfind(".//rsp:Shell", NS)]
        for attempt in (lambda: bob.delete(CMD, shell_id), lambda: bob.command(CMD, shell_id, "true")):
            with pytest.raises(WsmanError) as error:
                attempt()
            assert error.value.code == 2150858843
    finally:
        bob.close()
        alice.delete(CMD, shell_id)
    with pytest.raises(WsmanError) as error:
        alice.call(Envelope(TRANSFER + "Get", SHELL, selectors={"ShellId": shell_id}))
    assert error.value.code == 2150858843


def test_max_shells_per_user_quota(admin, alice: WsmanClient) -> None:
    admin.settings(max_shells_per_user=1)
    first = alice.create_cmd()
    try:
        with pytest.raises(WsmanError) as error:
            alice.create_cmd()
        assert error.value.code == 2150859173
    finally:
        alice.delete(CMD, first)
    alice.delete(CMD, alice.create_cmd())  # the slot is free again


def test_empty_receive_times_out_with_the_operation_timeout_fault(alice: WsmanClient) -> None:
    shell_id = alice.create_cmd()
    try:
        command_id = alice.command(CMD, shell_id, "sleep 5")
        started = time.monotonic()
        with pytest.raises(WsmanError) as error:
            alice.receive(CMD, shell_id, command_id, timeout="PT1S")
        elapsed = time.monotonic() - started
        assert (error.value.code, error.value.subcode) == (2150858793, "w:TimedOut")
        assert 0.9 < elapsed < 3, elapsed
        alice.signal(CMD, shell_id, command_id, SHELL + "/signal/terminate")
    finally:
        alice.delete(CMD, shell_id)


def test_cmd_stdin_stdout_stderr_and_exit_code(alice: WsmanClient) -> None:
    shell_id = alice.create_cmd('<rsp:Environment><rsp:Variable Name="GREETING">bonjour &amp; salut</rsp:Variable></rsp:Environment>')
    try:
        out, err, code = alice.run_cmd(shell_id, 'cat; echo "$GREETING"; echo oops >&2; exit 7', stdin="é ünïcode\n".encode())
        assert out.decode() == "é ünïcode\nbonjour & salut\n"
        assert (err, code) == (b"oops\n", 7)
        out, _, code = alice.run_cmd(shell_id, "cmd.exe /c echo via cmd; powershell -NoProfile -Command '$env:WINRM_LAB_USER'")
        assert (out.decode().split(), code) == (["via", "cmd", "LAB\\alice"], 0)
    finally:
        alice.delete(CMD, shell_id)


def test_cmd_ctrl_c_interrupts_the_process_group(alice: WsmanClient) -> None:
    shell_id = alice.create_cmd()
    try:
        command_id = alice.command(CMD, shell_id, "trap 'echo interrupted; exit 130' INT; echo ready; while :; do sleep 0.1; done")
        root = alice.receive(CMD, shell_id, command_id)
        assert b"ready" in stream_data(root)
        alice.signal(CMD, shell_id, command_id, SHELL + "/signal/ctrl_c")
        out = b""
        for _ in range(20):
            root = alice.receive(CMD, shell_id, command_id)
            out += stream_data(root)
            state = root.find(".//rsp:CommandState", NS)
            if state.get("State").endswith("Done"):
                break
        assert out == b"interrupted\n" and state.findtext("rsp:ExitCode", namespaces=NS) == "130"
    finally:
        alice.delete(CMD, shell_id)


def test_large_cmd_output_respects_a_small_envelope(alice: WsmanClient) -> None:
    shell_id = alice.create_cmd()
    try:
        command_id = alice.command(CMD, shell_id, "head -c 300000 /dev/zero | tr '\\0' x")
        received, responses = b"", 0
        while True:
            root = alice.receive(CMD, shell_id, command_id, max_envelope=20000)
            size = len(ET.tostring(root))
            assert size <= 20000
            responses += 1
            received += stream_data(root)
            if root.find(".//rsp:CommandState", NS).get("State").endswith("Done"):
                break
        assert received == b"x" * 300000 and responses >= 15
    finally:
        alice.delete(CMD, shell_id)


def test_pywinrm_basic_over_https_validating_the_lab_ca(lab) -> None:
    entry = account(lab, "alice")
    session = winrm.Session(lab["https_url"], auth=(entry["user"], entry["password"]), transport="basic", ca_trust_path=lab["ca_bundle"])
    result = session.run_cmd("echo hi; echo err 1>&2; exit 3")
    assert (result.std_out, result.std_err, result.status_code) == (b"hi\n", b"err\n", 3)
    result = session.run_ps("$env:WINRM_LAB_USER")
    assert (result.std_out.strip(), result.status_code) == (b"LAB\\alice", 0)


def test_admin_faults_http_500_delay_and_drop(lab, admin, alice: WsmanClient) -> None:
    get_config = lambda: alice.call(Envelope(TRANSFER + "Get", CONFIG))  # noqa: E731
    admin.fault("http_500", count=2, code=2150858843)
    for _ in range(2):
        with pytest.raises(WsmanError) as error:
            get_config()
        assert error.value.code == 2150858843
    get_config()
    admin.fault("delay", delay_ms=600)
    started = time.monotonic()
    get_config()
    assert time.monotonic() - started >= 0.6
    admin.fault("drop")
    with pytest.raises((http.client.HTTPException, OSError)):
        get_config()
    get_config()  # a new connection works
    assert admin.invalidate_auth() >= 1  # alice's keep-alive connection is open


def _presented_certificate(lab: dict[str, Any]) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", lab["https_port"]), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def test_server_certificate_switch_applies_to_new_connections(lab, admin) -> None:
    fingerprint = lambda: hashlib.sha256(_presented_certificate(lab)).hexdigest()  # noqa: E731
    assert fingerprint() == lab["server_certs"]["chain"]["fingerprint_sha256"]
    for name in ("self_signed", "expired", "sha384"):
        admin.server_cert(name)
        assert fingerprint() == lab["server_certs"][name]["fingerprint_sha256"]
    admin.server_cert("self_signed")
    with pytest.raises(ssl.SSLCertVerificationError):
        WsmanClient(lab).call(Envelope(TRANSFER + "Get", CONFIG))


def test_idle_shells_expire(alice: WsmanClient) -> None:
    shell_id = alice.create_cmd("<rsp:IdleTimeOut>PT1S</rsp:IdleTimeOut>")
    got = alice.call(Envelope(TRANSFER + "Get", SHELL, selectors={"ShellId": shell_id}))
    assert got.findtext(".//rsp:IdleTimeOut", namespaces=NS) == "PT1.000S"
    time.sleep(2.5)  # the reaper looks once a second
    with pytest.raises(WsmanError) as error:
        alice.call(Envelope(TRANSFER + "Get", SHELL, selectors={"ShellId": shell_id}))
    assert error.value.code == 2150858843


def test_concurrent_operations_quota(lab, admin, alice: WsmanClient) -> None:
    shell_id = alice.create_cmd()
    command_id = alice.command(CMD, shell_id, "sleep 3")
    admin.settings(max_concurrent_operations_per_user=1)
    waiting = WsmanClient(lab, "alice")
    poll = threading.Thread(target=lambda: pytest.raises(WsmanError, waiting.receive, CMD, shell_id, command_id, timeout="PT2S"))
    poll.start()
    try:
        time.sleep(0.5)  # the long poll now holds alice's only operation slot
        with pytest.raises(WsmanError) as error:
            alice.call(Envelope(TRANSFER + "Get", CONFIG))
        assert error.value.code == 2150859174
    finally:
        poll.join()
        waiting.close()
    alice.delete(CMD, shell_id)  # the slot is free again
