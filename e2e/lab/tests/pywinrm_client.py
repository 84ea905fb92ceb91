"""Runs Debian's pywinrm as an independent client in its own process (Debian's ntlm-auth needs MD4, which
OpenSSL 3 only offers once OPENSSL_CONF loads the legacy provider, before the process starts hashing).

stdin: JSON {"endpoint", "transport", "username", "password", "options": {Protocol keyword arguments},
             "actions": [{"send_message": text} | {"run_cmd": text} | {"run_ps": text}]}
stdout: JSON {"results": [...]} with one entry per action, or {"error": type name, "message": text}.
Use `run_pywinrm()` from the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
LEGACY_PROVIDER = "/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so"
OPENSSL_CONF_TEXT = f"""openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
module = {LEGACY_PROVIDER}
"""


def write_openssl_conf(directory: str) -> str:
    """An OpenSSL configuration activating the default and legacy providers (MD4 for NTLM)."""
    path = os.path.join(directory, "openssl-legacy.cnf")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(OPENSSL_CONF_TEXT)
    return path


def run_pywinrm(request: dict[str, Any], environment: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    """Runs one client session in a subprocess of /usr/bin/python3; `environment` adds to os.environ."""
    result = subprocess.run(
        ["/usr/bin/python3", os.path.abspath(__file__)], input=json.dumps(request), capture_output=True,
        text=True, timeout=timeout, env={**os.environ, **environment},
    )
    if result.returncode != 0:
        raise RuntimeError(f"pywinrm client crashed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def _session_actions(request: dict[str, Any]) -> list[Any]:
    import winrm
    from winrm.transport import Transport

    options = request.get("options", {})
    results: list[Any] = []
    session = winrm.Session(request["endpoint"], auth=(request.get("username"), request.get("password")),
                            transport=request["transport"], **options)
    for action in request["actions"]:
        (kind, argument), = action.items()
        if kind == "send_message":
            transport = Transport(endpoint=request["endpoint"], username=request.get("username"),
                                  password=request.get("password"), auth_method=request["transport"], **options)
            results.append(transport.send_message(argument).decode("utf-8"))
        else:
            response = session.run_cmd(argument) if kind == "run_cmd" else session.run_ps(argument)
            results.append({"stdout": response.std_out.decode("utf-8", "replace"),
                            "stderr": response.std_err.decode("utf-8", "replace"),
                            "status_code": response.status_code})
    return results


def main() -> None:
    request = json.load(sys.stdin)
    try:
        output: dict[str, Any] = {"results": _session_actions(request)}
    except Exception as error:  # reported to the test, which asserts on the failure kind
        output = {"error": type(error).__name__, "message": str(error)}
    json.dump(output, sys.stdout)


if __name__ == "__main__":
    main()
