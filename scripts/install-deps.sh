#!/usr/bin/env bash
# Installs what the tests and the lab need on a Debian machine: system packages, PowerShell 7.6.9
# (the lab's engine) and the npm dependencies. Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  chromium
  krb5-kdc krb5-admin-server krb5-user
  gss-ntlmssp
  python3-gssapi python3-pyasn1 python3-cryptography
  python3-winrm python3-requests-ntlm python3-requests-kerberos
  gnome-keyring dbus dbus-bin dbus-x11 libsecret-tools
  openssl
  tinyproxy-bin
  python3-pytest python3-yaml
)

missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  echo "install-deps: installing Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  # krb5-admin-server and krb5-kdc ask for a realm on install; the lab writes its own config.
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the KDC services on install; the lab runs its own throwaway realm, so stop the packaged ones.
for svc in krb5-kdc krb5-admin-server; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

pwsh_bin="$HOME/.dotnet/tools/pwsh"
if [ ! -x "$pwsh_bin" ] || ! "$pwsh_bin" -NoLogo -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx '7.6.9'; then
  echo "install-deps: installing PowerShell 7.6.9 as a dotnet global tool"
  dotnet tool uninstall --global PowerShell >/dev/null 2>&1 || true
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet tool install --global PowerShell --version 7.6.9 >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
