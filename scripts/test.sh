#!/usr/bin/env bash
# `npm test`: vitest with a real Secret Service for the keyring tests. Without a session bus (CI, SSH, a
# container) it starts a private dbus session with an unlocked gnome-keyring in a throwaway HOME, as
# ../shared/ENV.md describes, so the secrets tests talk to a real keyring rather than a fake.
set -euo pipefail
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${OUTPOST_TEST_IN_KEYRING:-}" ] \
  && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  HOME="$(mktemp -d)"
  XDG_RUNTIME_DIR="$(mktemp -d)"
  chmod 700 "$XDG_RUNTIME_DIR"
  export HOME XDG_RUNTIME_DIR OUTPOST_TEST_IN_KEYRING=1
  exec dbus-run-session -- bash -c \
    'echo -n outpost-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec npx vitest run "$@"' \
    _ "$@"
fi
exec npx vitest run "$@"
