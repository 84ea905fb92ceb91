#!/usr/bin/env bash
# Runs lint, typecheck, the vitest projects (unit, system, protocol, app) and the lab's own pytest suite,
# then prints one line `N passed, N failed, N skipped` summing them all. Lint and typecheck count as
# one check each. Exits non-zero when anything failed. Expects to run inside dbus-run-session.
set -uo pipefail
cd "$(dirname "$0")/.."

# An empty line (not empty input) unlocks a fresh login keyring with an empty password.
echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
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
