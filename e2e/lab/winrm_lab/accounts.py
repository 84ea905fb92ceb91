"""The lab host's local accounts: one table that Basic, NTLM (gss-ntlmssp's user file), Kerberos (the
KDC's principals), CredSSP and client-certificate mapping all read, so every scheme agrees on who is who."""

from __future__ import annotations

import os
import secrets
from typing import Optional

from .contracts import Account

DOMAIN = "LAB"  # NetBIOS domain, what NTLM and `LAB\alice` use
REALM = "LAB.TEST"  # Kerberos realm; lower-cased it is the DNS domain of the lab host

# The account a lab client certificate maps to (its SAN carries this account's UPN).
CLIENT_CERT_USER = "alice"


def _generated_password() -> str:
    # Letters and digits only, plus a fixed mixed-class prefix: the password travels through kadmin's
    # command parser and the `DOMAIN:user:password` NTLM file, neither of which quotes.
    return "Lab1-" + secrets.token_hex(8)


class AccountTable:
    """The accounts of this run. Passwords are generated per run and published in the descriptor."""

    def __init__(self, accounts: Optional[list[Account]] = None):
        self.accounts: list[Account] = accounts or [
            Account(DOMAIN, "alice", _generated_password()),
            Account(DOMAIN, "bob", _generated_password()),
        ]

    def lookup(self, name: str) -> Optional[Account]:
        """Finds the account a logon name denotes: `LAB\\alice`, `.\\alice`, `alice`, `alice@LAB.TEST`, and
        `alice@LAB` (how gss-ntlmssp displays an NTLM user); user and domain compared case-insensitively,
        as Windows does. Unknown names give None."""
        domain: Optional[str] = None
        user = name
        if "\\" in name:
            domain, user = name.split("\\", 1)
            if domain == ".":
                domain = DOMAIN
        elif "@" in name:
            user, suffix = name.rsplit("@", 1)
            if suffix.upper() not in (REALM, DOMAIN):
                return None
            domain = DOMAIN
        for account in self.accounts:
            if account.user.lower() != user.lower():
                continue
            if domain is None or domain.upper() == account.domain.upper():
                return account
        return None

    def verify(self, name: str, password: str) -> Optional[Account]:
        account = self.lookup(name)
        if account is None or not secrets.compare_digest(account.password.encode(), password.encode()):
            return None
        return account

    @staticmethod
    def upn(account: Account) -> str:
        return f"{account.user}@{REALM}"

    def write_ntlm_user_file(self, path: str) -> None:
        """Writes gss-ntlmssp's `DOMAIN:user:password` file (read through $NTLM_USER_FILE). Owner-only."""
        # NTLM logons in UPN form (`alice@LAB.TEST`, empty domain) cannot be served from this file:
        # gss-ntlmssp splits the name at '@' and then computes the NTLMv2 proof over another user name.
        lines = [f"{a.domain}:{a.user}:{a.password}\n" for a in self.accounts]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)

    def describe(self) -> list[dict[str, str]]:
        return [{"user": a.qualified, "upn": self.upn(a), "password": a.password} for a in self.accounts]
