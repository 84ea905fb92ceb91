"""Replays recorded client requests of real Windows sessions (captures/windows, from pypsrp's fixtures)
against the lab over Basic/HTTPS and checks that the lab answers with the same shape: the same actions,
body elements and selectors, the same stream names, and inside PSRP streams the same message types in
the same order, produced by the real pwsh.

GUIDs are substituted consistently: every GUID of a request (shell, command, session, message ids) maps
to a fresh one, and the ids the server assigns (cmd ShellId, CommandId) map to what the lab assigned.
The PSRP fragments are replayed byte for byte: their RPID/PID are in the recordings' old byte order,
which Windows ignored and the lab ignores too (it keys a pipeline by its WS-Man CommandId).
A recorded Receive is repeated, or skipped, when the lab delivers the same messages in more or fewer
responses than Windows did.
"""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

import psrp_wire
import pytest
import yaml
from wsman_client import NS, WsmanClient

pytestmark = pytest.mark.usefixtures("basic_auth")

# shared/ sits beside the repository (README.md); e2e/lab/tests/ is three levels below the repository root.
CAPTURES = Path(os.environ.get("WINRM_LAB_CAPTURES", Path(__file__).resolve().parents[4] / "shared" / "captures" / "windows"))
GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
RECEIVE_RESPONSE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse"
DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
# Windows PowerShell reports module-analysis progress ("Preparing modules for first use.") that pwsh does not.
HOST_NOISE = {"PROGRESS_RECORD"}
RECEIVE_DEADLINE_S = 60


def summarize(root: ET.Element, reader: Optional[psrp_wire.MessageReader]) -> tuple[list[str], bool]:
    """What one ReceiveResponse delivered, and whether its command finished. PSRP (reader given): the
    message types; cmd: stream names (with End markers) and the final state with its exit code."""
    streams = list(root.iterfind(".//rsp:Stream", NS))
    state = root.find(".//rsp:CommandState", NS)
    done = state is not None and state.get("State") == DONE
    if reader is not None:
        names = [m.name for s in streams for m in reader.feed(base64.b64decode(s.text or "")) if m.name not in HOST_NOISE]
        return names, done or "PIPELINE_STATE" in names
    items = [s.get("Name") + (" End" if s.get("End") else "") for s in streams if s.text or s.get("End")]
    return items + ([f"Done {state.findtext('rsp:ExitCode', namespaces=NS)}"] if done else []), done


def collapse(items: list[str]) -> list[str]:
    """Merges consecutive repeats (one cmd stream's chunks may be split differently); PSRP lists never repeat
    a type back to back in these scenarios except outputs, which the caller does not collapse."""
    return [item for index, item in enumerate(items) if index == 0 or items[index - 1] != item]


class Replay:
    def __init__(self, client: WsmanClient):
        self.client = client
        self.ids: dict[str, str] = {}  # recorded GUID (upper case) -> the one used against the lab
        self.expected: dict[str, list[str]] = {}  # per Receive target (recorded id): recorded summary
        self.actual: dict[str, list[str]] = {}
        self.finished: set[str] = set()
        self._readers: dict[tuple[str, str], psrp_wire.MessageReader] = {}

    def _substitute(self, request: str) -> str:
        request = re.sub(r"(<wsa:To>)[^<]*(</wsa:To>)", lambda m: m.group(1) + self.client.url + m.group(2), request)
        return GUID.sub(lambda m: self.ids.setdefault(m.group(0).upper(), str(uuid.uuid4()).upper()), request)

    def _post(self, request: str) -> ET.Element:
        status, body = self.client.post(request.encode())
        assert status == 200, body[:600]
        root = ET.fromstring(body)
        assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == re.search(r"<wsa:MessageID>([^<]+)<", request).group(1)
        return root

    def _reader(self, side: str, target: str) -> Optional[psrp_wire.MessageReader]:
        if not target.startswith("psrp:"):
            return None
        return self._readers.setdefault((side, target), psrp_wire.MessageReader())

    def exchange(self, recorded_request: str, recorded_response: str) -> None:
        expected = ET.fromstring(recorded_response)
        action = expected.findtext("s:Header/a:Action", namespaces=NS)
        if action == RECEIVE_RESPONSE:
            self._receive(recorded_request, expected)
            return
        actual = self._post(self._substitute(recorded_request))
        assert actual.findtext("s:Header/a:Action", namespaces=NS) == action
        assert [c.tag for c in actual.find("s:Body", NS)] == [c.tag for c in expected.find("s:Body", NS)]
        recorded_selectors = {s.get("Name"): s.text for s in expected.iterfind(".//s:Body//w:Selector", NS)}
        actual_selectors = {s.get("Name"): s.text for s in actual.iterfind(".//s:Body//w:Selector", NS)}
        assert recorded_selectors.keys() == actual_selectors.keys()
        # Ids the server chose: from now on the recorded ones stand for the lab's.
        pairs = list(zip(recorded_selectors.values(), actual_selectors.values()))
        pairs.append((expected.findtext(".//rsp:CommandId", namespaces=NS), actual.findtext(".//rsp:CommandId", namespaces=NS)))
        for recorded, assigned in pairs:
            if recorded and assigned:
                self.ids.setdefault(recorded.upper(), assigned)

    def _receive(self, recorded_request: str, expected: ET.Element) -> None:
        command = re.search(r'<rsp:DesiredStream CommandId="([^"]+)"', recorded_request)
        kind = "psrp" if "schemas.microsoft.com/powershell/" in recorded_request else "cmd"
        target = f"{kind}:{command.group(1).upper() if command else 'pool'}"
        items, _ = summarize(expected, self._reader("recorded", target))
        self.expected.setdefault(target, []).extend(items)
        actual = self.actual.setdefault(target, [])
        request = self._substitute(recorded_request)
        deadline = time.monotonic() + RECEIVE_DEADLINE_S
        while target not in self.finished and len(actual) < len(self.expected[target]):
            assert time.monotonic() < deadline, f"{target}: recorded {self.expected[target]}, lab sent {actual}"
            fresh = re.sub(r"<wsa:MessageID>[^<]+", f"<wsa:MessageID>uuid:{str(uuid.uuid4()).upper()}", request)
            items, done = summarize(self._post(fresh), self._reader("lab", target))
            actual.extend(items)
            if done:
                self.finished.add(target)


def _scenario(name: str) -> list[dict[str, Any]]:
    path = CAPTURES / f"{name}.yml"
    assert path.exists(), f"captures not found at {CAPTURES}: shared/ belongs beside the repository (or set WINRM_LAB_CAPTURES)"
    return yaml.safe_load(path.read_text())["messages"]


POOL_OPENING = ["SESSION_CAPABILITY", "APPLICATION_PRIVATE_DATA", "RUNSPACEPOOL_STATE"]


@pytest.mark.parametrize(
    "name, recorded",
    [
        ("test_winrs_standard", {"cmd:CF84C20A-0A35-43FA-AF78-0B4711DA5F30": ["stdout", "stdout End", "stderr End", "Done 0"]}),
        ("test_psrp_open_runspace", {"psrp:pool": POOL_OPENING}),
        (
            "test_psrp_run_protocol_version_2.3",
            {
                "psrp:pool": POOL_OPENING,
                "psrp:5312EA72-F75E-409A-8950-BE4CD921563C": ["DEBUG_RECORD", *["PIPELINE_OUTPUT"] * 4, "DEBUG_RECORD", "PIPELINE_STATE"],
            },
        ),
    ],
)
def test_replay_of_a_recorded_windows_session(lab: dict[str, Any], name: str, recorded: dict[str, list[str]]) -> None:
    client = WsmanClient(lab)
    replay = Replay(client)
    try:
        for exchange in _scenario(name):
            replay.exchange(exchange["request"], exchange["response"])
    finally:
        client.close()
    assert replay.expected == recorded  # what the recordings say, read by this test's own decoder
    for target, items in replay.expected.items():
        lab_items = replay.actual[target]
        if target.startswith("cmd:"):
            items, lab_items = collapse(items), collapse(lab_items)
        assert lab_items == items, target
