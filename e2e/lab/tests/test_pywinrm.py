"""Debian's pywinrm 0.3.0 (with requests-ntlm, requests-kerberos) as an independent client of the running
lab: every authentication scheme it speaks, with and without message encryption, and the refusals a
Windows host gives. Each client session runs in its own process (see pywinrm_client.py)."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from pywinrm_client import run_pywinrm, write_openssl_conf

CMD = "echo hi; echo err 1>&2; exit 3"
WHOAMI_PS = "$env:WINRM_LAB_USER"
WHOAMI_SH = "printf '%s\\n' \"$WINRM_LAB_USER\""  # not echo: dash's echo reads `\a` in LAB\alice


@pytest.fixture(scope="module")
def client_env(lab: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The client processes' environment: OpenSSL with MD4, the lab realm, and a ticket cache holding
    alice's TGT (kinit with the password on stdin)."""
    directory = str(tmp_path_factory.mktemp("pywinrm"))
    alice = account(lab, "alice")
    environment = {
        "OPENSSL_CONF": write_openssl_conf(directory),
        "KRB5_CONFIG": lab["krb5_conf"],
        "KRB5CCNAME": "FILE:" + os.path.join(directory, "ccache"),
    }
    subprocess.run(["kinit", alice["upn"]], input=alice["password"] + "\n", text=True, check=True,
                   capture_output=True, env={**os.environ, **environment}, timeout=30)
    return environment


def account(lab: dict[str, Any], user: str) -> dict[str, str]:
    return next(a for a in lab["accounts"] if a["user"].lower() == f"lab\\{user}")


def session(lab: dict[str, Any], endpoint: str, transport: str, actions: list[dict[str, str]],
            user: str = "alice", **options: Any) -> dict[str, Any]:
    alice = account(lab, user)
    username = alice["upn"] if transport == "kerberos" else alice["user"]
    if endpoint.startswith("https"):
        options.setdefault("ca_trust_path", lab["ca_bundle"])
    if transport == "kerberos":
        options.setdefault("kerberos_hostname_override", lab["host_name"])
    return {"endpoint": endpoint, "transport": transport, "username": username,
            "password": options.pop("password", alice["password"]), "options": options, "actions": actions}


def check_cmd_and_identity(result: dict[str, Any], identity: str = "LAB\\alice") -> None:
    assert "error" not in result, result
    cmd, whoami = result["results"]
    assert (cmd["stdout"].strip(), cmd["stderr"].strip(), cmd["status_code"]) == ("hi", "err", 3)
    assert whoami["stdout"].strip() == identity and whoami["status_code"] == 0


def test_ntlm_over_http_with_message_encryption(lab, client_env) -> None:
    request = session(lab, lab["http_url"], "ntlm", [{"run_cmd": CMD}, {"run_ps": WHOAMI_PS}],
                      message_encryption="always")
    check_cmd_and_identity(run_pywinrm(request, client_env))


def test_ntlm_over_https_with_channel_binding_under_strict(lab, admin, client_env) -> None:
    admin.settings(cbt_hardening="Strict")
    bound = session(lab, lab["https_url"], "ntlm", [{"run_cmd": CMD}, {"run_cmd": WHOAMI_SH}])
    check_cmd_and_identity(run_pywinrm(bound, client_env))
    unbound = session(lab, lab["https_url"], "ntlm", [{"run_cmd": CMD}], send_cbt=False)
    assert run_pywinrm(unbound, client_env)["error"] == "InvalidCredentialsError"


def test_kerberos_over_http_without_encryption_and_over_https(lab, admin, client_env) -> None:
    admin.settings(allow_unencrypted=True)
    request = session(lab, lab["http_url"], "kerberos", [{"run_cmd": CMD}, {"run_cmd": WHOAMI_SH}],
                      message_encryption="never")
    check_cmd_and_identity(run_pywinrm(request, client_env))
    request = session(lab, lab["https_url"], "kerberos", [{"run_cmd": CMD}, {"run_cmd": WHOAMI_SH}])
    check_cmd_and_identity(run_pywinrm(request, client_env))


def test_basic_over_https_validating_the_lab_ca(lab, admin, client_env) -> None:
    admin.settings(auth_basic=True)
    request = session(lab, lab["https_url"], "basic", [{"run_cmd": CMD}, {"run_cmd": WHOAMI_SH}],
                      user="bob")
    check_cmd_and_identity(run_pywinrm(request, client_env), "LAB\\bob")


def test_certificate_auth_maps_the_client_certificate_to_alice(lab, admin, client_env) -> None:
    admin.settings(auth_certificate=True)
    request = session(lab, lab["https_url"], "certificate", [{"run_cmd": CMD}, {"run_cmd": WHOAMI_SH}],
                      cert_pem=lab["client_cert"], cert_key_pem=lab["client_key"])
    request["username"] = request["password"] = None
    check_cmd_and_identity(run_pywinrm(request, client_env))


@pytest.mark.parametrize("case", ["plaintext after NTLM on HTTP", "wrong password", "Basic disabled"])
def test_refusals(lab, client_env, case: str) -> None:
    if case == "plaintext after NTLM on HTTP":
        request = session(lab, lab["http_url"], "ntlm", [{"run_cmd": CMD}], message_encryption="never")
        expected = ("WinRMTransportError", "500")
    elif case == "wrong password":
        request = session(lab, lab["http_url"], "ntlm", [{"run_cmd": CMD}], message_encryption="always",
                          password="not-the-password")
        expected = ("InvalidCredentialsError", "rejected")
    else:
        request = session(lab, lab["https_url"], "basic", [{"run_cmd": CMD}])
        expected = ("InvalidCredentialsError", "rejected")
    result = run_pywinrm(request, client_env)
    assert result.get("error") == expected[0] and expected[1] in result["message"], result
