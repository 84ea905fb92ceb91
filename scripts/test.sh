#!/usr/bin/env bash
# The test command of the README (`npm test`): installs what is missing, then runs every suite
# inside a private D-Bus session with an unlocked gnome-keyring (the OS keychain the app uses).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec dbus-run-session -- bash scripts/run-suites.sh "$@"
