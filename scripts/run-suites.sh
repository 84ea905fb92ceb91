#!/usr/bin/env bash
# Runs lint, typecheck, the vitest projects (unit, system, protocol, app) and the lab's own pytest suite,
# then prints one line `N passed, N failed, N skipped` summing them all. Lint and typecheck count as
# one check each. Exits non-zero when anything failed. Expects to run inside dbus-run-session.
set -uo pipefail
cd "$(dirname "$0")/.."

# An empty line (not empty input) unlocks a fresh login keyring with an empty password. The daemon runs in the
# foreground as this script's child, so it lives exactly as long as the tests: a daemonized one was once seen to
# vanish mid-run, and the daemon D-Bus then started in its place found the keyring locked. The tests start only
# once it owns the Secret Service name (before that, a client would make D-Bus start that locked daemon).
echo "" | gnome-keyring-daemon --unlock --foreground --components=secrets >/dev/null 2>&1 &
keyring_daemon=$!
for _ in $(seq 200); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.05
done

results=$(mktemp -d)
trap 'rm -rf "$results"; kill "$keyring_daemon" 2>/dev/null' EXIT
export PATH="$PATH:$HOME/.dotnet/tools"
# No Kerberos client in a test may look up a KDC through DNS: see the file.
export KRB5_CONFIG="$PWD/e2e/support/krb5-offline.conf"

check() { # name, command...
  local name=$1
  shift
  echo "== $name"
  if "$@"; then echo pass >"$results/check-$name"; else echo fail >"$results/check-$name"; fi
}

check lint npm run --silent lint
check typecheck npx tsc -b

echo "== vitest (unit, system, protocol, app)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || true

echo "== lab (pytest)"
(cd e2e/lab && /usr/bin/python3 -m pytest -p no:cacheprovider -q --junitxml="$results/lab.xml" tests) || true

node scripts/summarize-tests.js "$results"
