"""The simulated Windows host's side of process creation: per-user home directories (the profile
directory a shell starts in), the environment shells and PowerShell get, `cmd`/`powershell` stand-ins
on PATH, and the PowerShell session configurations (endpoints) the lab offers.

Invariants: everything lives under the lab's work directory; the authenticated identity reaches every
process as WINRM_LAB_USER; the restricted endpoint is enforced by pwsh itself (a RestrictedRemoteServer
session configuration file, i.e. the same mechanism as JEA), not by the lab.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Optional

DEFAULT_CONFIGURATION = "Microsoft.PowerShell"
RESTRICTED_CONFIGURATION = "Lab.Restricted"

# What the restricted endpoint exposes besides RestrictedRemoteServer's defaults (Get-Command,
# Get-FormatData, Get-Help, Measure-Object, Out-Default, Select-Object, Clear-Host, Exit-PSSession).
_RESTRICTED_SESSION_FILE = """@{{
SchemaVersion = '2.0.0.0'
GUID = '{guid}'
Description = 'WinRM lab restricted endpoint (JEA-like): NoLanguage, a few visible commands'
SessionType = 'RestrictedRemoteServer'
LanguageMode = 'NoLanguage'
VisibleCmdlets = 'Get-Date', 'Get-Item'
VisibleProviders = 'Environment'
}}
"""

_CMD_STAND_IN = r"""#!/bin/sh
# cmd.exe stand-in: `cmd /c <command line>` runs the command line with /bin/sh; other arguments go to /bin/sh.
# Alone it is an interactive prompt like cmd.exe's over WinRS: `<directory>>` on stdout before each line read
# from stdin (CR LF or LF), each line run by this shell (so `cd` and variables persist), ctrl_c stops the
# running command and not the prompt (cmd.exe also drops the rest of the line), `exit N` ends it with N.
case "$1" in /c|/C|/k|/K) shift; exec /bin/sh -c "$*" ;; esac
[ $# -gt 0 ] && exec /bin/sh "$@"
cr=$(printf '\r')
trap 'echo' INT
while printf '%s>' "$PWD" && IFS= read -r line; do
  eval "${line%"$cr"}"
done
"""

_PWSH_STAND_IN = """#!/bin/sh
# powershell.exe stand-in: the lab's PowerShell 7.
exec '{pwsh}' "$@"
"""

# Variables a dotnet application host needs to find its runtime, passed through from the lab's own environment.
_PASSED_THROUGH = re.compile(r"^(DOTNET_\w+|SSL_CERT_\w+)$")


class HostEnvironment:
    def __init__(self, workdir: str, pwsh: str):
        self.pwsh = pwsh
        self.bin_dir = os.path.join(workdir, "bin")
        self.homes_dir = os.path.join(workdir, "home")
        os.makedirs(self.bin_dir)
        os.makedirs(self.homes_dir)
        for name in ("cmd", "cmd.exe"):
            self._write_executable(name, _CMD_STAND_IN)
        for name in ("powershell", "powershell.exe", "pwsh.exe"):
            self._write_executable(name, _PWSH_STAND_IN.format(pwsh=pwsh.replace("'", "'\\''")))
        os.symlink(pwsh, os.path.join(self.bin_dir, "pwsh"))
        restricted_file = os.path.join(workdir, "lab-restricted.pssc")
        with open(restricted_file, "w", encoding="utf-8") as handle:
            handle.write(_RESTRICTED_SESSION_FILE.format(guid=uuid.uuid4()))
        self._configurations = {
            DEFAULT_CONFIGURATION.lower(): [],
            RESTRICTED_CONFIGURATION.lower(): ["-ConfigurationFile", restricted_file],
        }

    def _write_executable(self, name: str, content: str) -> None:
        path = os.path.join(self.bin_dir, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(path, 0o755)

    @staticmethod
    def _split_identity(identity: str) -> tuple[str, str]:
        domain, _, user = identity.rpartition("\\")
        return domain, user

    def home(self, identity: str) -> str:
        """The user's profile directory (created on first use), like C:\\Users\\<user>."""
        _, user = self._split_identity(identity)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", user.lower()) or "_"
        path = os.path.join(self.homes_dir, safe)
        os.makedirs(path, exist_ok=True)
        return path

    def environment(self, identity: str) -> dict[str, str]:
        domain, user = self._split_identity(identity)
        environment = {name: value for name, value in os.environ.items() if _PASSED_THROUGH.match(name)}
        environment.update(
            {
                "PATH": f"{self.bin_dir}:/usr/local/bin:/usr/bin:/bin",
                "HOME": self.home(identity),
                "USER": user,
                "USERNAME": user,
                "USERDOMAIN": domain,
                "LANG": "C.UTF-8",
                "WINRM_LAB_USER": identity,
                "POWERSHELL_TELEMETRY_OPTOUT": "1",
                "POWERSHELL_UPDATECHECK": "Off",
            }
        )
        return environment

    def pwsh_argv(self, configuration: str) -> Optional[list[str]]:
        """The command line of a runspace pool's server for an endpoint name; None if no such endpoint."""
        extra = self._configurations.get(configuration.lower())
        if extra is None:
            return None
        return [self.pwsh, "-s", "-NoLogo", "-NoProfile", *extra]

    def configuration_names(self) -> list[str]:
        return [DEFAULT_CONFIGURATION, RESTRICTED_CONFIGURATION]
