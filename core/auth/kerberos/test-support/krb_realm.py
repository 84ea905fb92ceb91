"""A throwaway MIT realm for the TypeScript Kerberos client's interop tests: the lab's LabKdc (helper-2's
e2e/lab/winrm_lab/kdc.py) on 127.0.0.1, plus principals that exercise what the client must handle.

Run by /usr/bin/python3 with PYTHONPATH=e2e/lab and a work directory as the only argument. Prints one JSON
line (realm, KDC address, krb5.conf, keytab, host names, passwords), then serves until stdin reaches EOF.

Principals (all LAB.TEST): alice (AES256+AES128+RC4 keys, pre-authentication required), bob (the same
keys, no pre-authentication: the KDC answers the first AS-REQ), aes128 (AES128 key only), rc4 (RC4 key
only), and services HTTP/ + host/ on the lab host, host/ only on the fallback host (so HTTP/ is unknown),
none on the unknown host.
"""

import json
import os
import secrets
import subprocess
import sys

from winrm_lab.accounts import REALM, AccountTable
from winrm_lab.contracts import Account
from winrm_lab.kdc import KADMIN_LOCAL, LabKdc

HOST = "win-lab.lab.test"
FALLBACK_HOST = "fallback.lab.test"
UNKNOWN_HOST = "nowhere.lab.test"


def password() -> str:
    return "Krb1-" + secrets.token_hex(8)


def kadmin(kdc: LabKdc, commands: list[str]) -> None:
    env = dict(os.environ, KRB5_CONFIG=kdc.krb5_conf, KRB5_KDC_PROFILE=kdc.kdc_conf)
    result = subprocess.run([KADMIN_LOCAL, "-r", REALM], input="\n".join(commands) + "\nquit\n",
                            env=env, capture_output=True, text=True, timeout=30)
    if result.returncode != 0 or "error" in result.stderr.lower():
        raise RuntimeError(f"kadmin.local: {result.stderr.strip()}")


def main() -> None:
    workdir = sys.argv[1]
    passwords = {name: password() for name in ("alice", "bob", "aes128", "rc4")}
    accounts = AccountTable([Account("LAB", name, passwords[name]) for name in ("alice", "bob")])
    kdc = LabKdc(workdir, accounts, HOST)
    kdc.start()
    try:
        kadmin(kdc, [
            "modprinc +requires_preauth alice",
            f"addprinc +requires_preauth -e aes128-cts-hmac-sha1-96:normal -pw {passwords['aes128']} aes128",
            f"addprinc +requires_preauth -e arcfour-hmac:normal -pw {passwords['rc4']} rc4",
            f"addprinc -randkey host/{FALLBACK_HOST}",
            f"ktadd -k {kdc.keytab} host/{FALLBACK_HOST}",
        ])
        print(json.dumps({
            "realm": REALM,
            "kdc": kdc.address,
            "krb5Conf": kdc.krb5_conf,
            "keytab": kdc.keytab,
            "directory": kdc.directory,
            "host": HOST,
            "fallbackHost": FALLBACK_HOST,
            "unknownHost": UNKNOWN_HOST,
            "passwords": passwords,
        }), flush=True)
        sys.stdin.read()
    finally:
        kdc.close()


if __name__ == "__main__":
    main()
