#!/usr/bin/env bash
# A separate virtualenv, .venv-ovirt, with the real `ansible` package (which bundles the ovirt.ovirt
# collection) and ovirtsdk4, for tests/compat/test_ovirt_collection.py. Kept out of the project's own
# virtualenv because the ansible package is large. Idempotent: a stamp file records what was installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV="${OVIRT_VENV:-.venv-ovirt}"
PACKAGES=(ansible==12.3.0 ovirt-engine-sdk-python==4.6.3)
STAMP="$VENV/.installed"

log() { printf 'ovirt-collection: %s\n' "$*" >&2; }

if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

if [[ "$(cat "$STAMP" 2>/dev/null || true)" != "${PACKAGES[*]}" ]]; then
  log "installing ${PACKAGES[*]} into $VENV"
  # pycurl (needed by ovirt-engine-sdk-python) must match libcurl's TLS backend when built from source.
  PYCURL_SSL_LIBRARY=openssl "$VENV/bin/python" -m pip install --quiet "${PACKAGES[@]}"
  printf '%s\n' "${PACKAGES[*]}" >"$STAMP"
fi
