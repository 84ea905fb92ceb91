"""`python -m winrm_lab`: starts the lab, prints where everything is, runs until SIGTERM/SIGINT or the
admin endpoint's /shutdown, then stops cleanly and exits 0."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .contracts import LabSettings
from .lab import Lab, LabOptions
from .pki import SERVER_CERT_NAMES


def parse_arguments(argv: list[str]) -> LabOptions:
    parser = argparse.ArgumentParser(prog="winrm_lab", description="A Windows WinRM host on 127.0.0.1, built from real parts.")
    parser.add_argument("--http-port", type=int, default=0, help="HTTP listener port (default: free-chosen)")
    parser.add_argument("--https-port", type=int, default=0, help="HTTPS listener port (default: free-chosen)")
    parser.add_argument("--admin-port", type=int, default=0, help="control endpoint port (default: free-chosen)")
    parser.add_argument("--descriptor", help="where to write the JSON descriptor (default: in the work directory)")
    parser.add_argument("--enable-basic", action="store_true", help="Service/Auth/Basic=true")
    parser.add_argument("--enable-credssp", action="store_true", help="Service/Auth/CredSSP=true")
    parser.add_argument("--enable-certificate", action="store_true", help="Service/Auth/Certificate=true")
    parser.add_argument("--allow-unencrypted", action="store_true", help="Service/AllowUnencrypted=true")
    parser.add_argument("--cbt", choices=("None", "Relaxed", "Strict"), default="Relaxed", help="Service/Auth/CbtHardeningLevel")
    parser.add_argument("--server-cert", choices=SERVER_CERT_NAMES, default="chain", help="certificate the HTTPS listener presents")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if arguments.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    settings = LabSettings(
        auth_basic=arguments.enable_basic,
        auth_credssp=arguments.enable_credssp,
        auth_certificate=arguments.enable_certificate,
        allow_unencrypted=arguments.allow_unencrypted,
        cbt_hardening=arguments.cbt,
    )
    return LabOptions(
        http_port=arguments.http_port,
        https_port=arguments.https_port,
        admin_port=arguments.admin_port,
        server_cert=arguments.server_cert,
        descriptor_path=arguments.descriptor,
        settings=settings,
    )


def main(argv: list[str]) -> int:
    options = parse_arguments(argv)
    try:
        lab = Lab(options)
    except ValueError as error:
        print(f"winrm_lab: {error}", file=sys.stderr)
        return 2
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: lab.request_stop())
    descriptor = lab.start()
    accounts = ", ".join(f"{a['user']} / {a['password']}" for a in descriptor.get("accounts", []))
    print(
        f"WinRM lab ready in {descriptor['startup_seconds']:.2f} s (pid {descriptor['pid']})\n"
        f"  HTTP   {descriptor['http_url']}\n"
        f"  HTTPS  {descriptor['https_url']}  (host name {descriptor['host_name']}, certificate {descriptor['server_cert']})\n"
        f"  admin  {descriptor['admin_url']}  (header X-Lab-Token: {descriptor['admin_token']})\n"
        f"  realm  {descriptor.get('realm')}  KDC {descriptor.get('kdc')}  krb5.conf {descriptor.get('krb5_conf')}\n"
        f"  accounts  {accounts}\n"
        f"  CA bundle {descriptor['ca_bundle']}\n"
        f"  descriptor {lab.descriptor_path}",
        flush=True,
    )
    try:
        lab.stopped.wait()
    finally:
        lab.stop()
    print("WinRM lab stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
