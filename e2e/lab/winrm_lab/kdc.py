"""A throwaway MIT Kerberos realm on 127.0.0.1: database, principals for the lab accounts and the lab
host's service principals, a keytab for the acceptor, and a `krb5kdc -n` serving TCP and UDP on one
free-chosen port. Everything lives under the caller's work directory."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from typing import Optional

from .accounts import REALM, AccountTable

KDC_BINARY = "/usr/sbin/krb5kdc"
KDB5_UTIL = "/usr/sbin/kdb5_util"
KADMIN_LOCAL = "/usr/sbin/kadmin.local"

# Windows KDCs issue AES and RC4 service keys; the lab's keytab carries all three so that a client
# asking for any of them finds a key.
KEYTAB_ENCTYPES = "aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal,arcfour-hmac:normal"
SERVICE_CLASSES = ("HTTP", "host")
START_TIMEOUT_S = 5.0
START_ATTEMPTS = 3
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class KdcError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """Runs in the KDC child before exec: the kernel sends it SIGTERM when its parent dies, so even a
    SIGKILLed lab leaves no KDC behind (close() remains the normal way to stop it). The "parent" is the
    thread that started the KDC: start it from a thread that lives as long as the lab (the main one)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _port_free_for_tcp_and_udp() -> int:
    """A port number currently free for both TCP and UDP on 127.0.0.1 (the KDC serves both on it,
    so a client's `kdc = 127.0.0.1:port` works whichever transport it tries first)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise KdcError("no port free for both TCP and UDP")


class LabKdc:
    """The realm LAB.TEST. Construct, then `start()`; `close()` stops and reaps the KDC process."""

    def __init__(self, workdir: str, accounts: AccountTable, host_name: str):
        self.directory = os.path.join(workdir, "kdc")
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self.accounts = accounts
        self.host_name = host_name.lower()
        self.krb5_conf = os.path.join(self.directory, "krb5.conf")
        self.kdc_conf = os.path.join(self.directory, "kdc.conf")
        self.keytab = os.path.join(self.directory, "http.keytab")
        self.log_file = os.path.join(self.directory, "kdc.log")
        self.port = 0
        self.spns = [f"{service}/{self.host_name}@{REALM}" for service in SERVICE_CLASSES]
        self.startup_seconds = 0.0
        self._process: Optional[subprocess.Popen[bytes]] = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _tool_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KRB5_CONFIG"] = self.krb5_conf
        env["KRB5_KDC_PROFILE"] = self.kdc_conf
        return env

    def _write_configuration(self) -> None:
        dns_domain = REALM.lower()
        host_mapping = "" if self.host_name.endswith("." + dns_domain) else f" {self.host_name} = {REALM}\n"
        with open(self.krb5_conf, "w", encoding="utf-8") as handle:
            handle.write(
                "[libdefaults]\n"
                f" default_realm = {REALM}\n"
                " dns_lookup_realm = false\n"
                " dns_lookup_kdc = false\n"
                " rdns = false\n"
                " dns_canonicalize_hostname = false\n"
                " ignore_acceptor_hostname = true\n"
                " forwardable = true\n"
                "[realms]\n"
                f" {REALM} = {{\n"
                f"  kdc = 127.0.0.1:{self.port}\n"
                " }\n"
                "[domain_realm]\n"
                f" .{dns_domain} = {REALM}\n"
                f" {dns_domain} = {REALM}\n"
                f"{host_mapping}"
            )
        with open(self.kdc_conf, "w", encoding="utf-8") as handle:
            handle.write(
                "[kdcdefaults]\n"
                f" kdc_listen = 127.0.0.1:{self.port}\n"
                f" kdc_tcp_listen = 127.0.0.1:{self.port}\n"
                "[realms]\n"
                f" {REALM} = {{\n"
                f"  database_name = {self.directory}/principal\n"
                f"  key_stash_file = {self.directory}/stash\n"
                f"  acl_file = {self.directory}/kadm5.acl\n"
                f"  kdc_listen = 127.0.0.1:{self.port}\n"
                f"  kdc_tcp_listen = 127.0.0.1:{self.port}\n"
                "  master_key_type = aes256-cts-hmac-sha1-96\n"
                "  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
                " arcfour-hmac:normal\n"
                "  max_life = 10h\n"
                "  max_renewable_life = 1d\n"
                " }\n"
                "[logging]\n"
                f" kdc = FILE:{self.log_file}\n"
            )

    def _create_database(self) -> None:
        env = self._tool_environment()
        master_password = os.urandom(16).hex()
        # -W: the realm is throwaway, so skip kdb5_util's strong-random wait.
        subprocess.run(
            [KDB5_UTIL, "create", "-s", "-W", "-r", REALM, "-P", master_password],
            env=env, check=True, capture_output=True, timeout=30,
        )
        commands = [f"addprinc -pw {account.password} {account.user}" for account in self.accounts.accounts]
        commands += [f"addprinc -randkey {spn}" for spn in self.spns]
        commands += [f"ktadd -k {self.keytab} -e {KEYTAB_ENCTYPES} {spn}" for spn in self.spns]
        result = subprocess.run(
            [KADMIN_LOCAL, "-r", REALM], input="\n".join(commands) + "\nquit\n",
            env=env, capture_output=True, text=True, timeout=30,
        )
        if result.returncode != 0 or not os.path.exists(self.keytab):
            raise KdcError(f"kadmin.local failed: {result.stderr.strip()}")

    def _wait_until_serving(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.01)
        return False

    def start(self) -> None:
        started = time.monotonic()
        self.port = _port_free_for_tcp_and_udp()
        self._write_configuration()
        self._create_database()
        for _ in range(START_ATTEMPTS):
            log = open(self.log_file, "ab")
            self._process = subprocess.Popen(
                [KDC_BINARY, "-n", "-r", REALM], env=self._tool_environment(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=_die_with_parent,
            )
            log.close()
            if self._wait_until_serving():
                self.startup_seconds = time.monotonic() - started
                return
            self._stop_process()
            # Lost the port to another process between probing and binding: move to a fresh one.
            self.port = _port_free_for_tcp_and_udp()
            self._write_configuration()
        raise KdcError(f"krb5kdc did not start; see {self.log_file}")

    def _stop_process(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def close(self) -> None:
        self._stop_process()
