#!/usr/bin/env bash
# Prepare a development machine: Debian build/runtime packages (when root) and
# the project's virtualenv in .venv. Idempotent; a second run does nothing heavy.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
STAMP="$VENV/.installed"

# Debian packages needed to build libvirt-python, lxml and ovirt-engine-sdk-python,
# to run the test suite (PostgreSQL server, sshd, libvirtd), QEMU lab hosts (QEMU, qemu-img, the
# libvirtd QEMU driver, tini as each host's init, iproute2 for their bridges), the benchmarks (wrk) and the
# browser tests of the administration portal (chromium, driven by the playwright Python package).
DEB_PACKAGES=(
  libvirt-dev pkg-config libxml2-dev libxslt1-dev libcurl4-openssl-dev libssl-dev
  libvirt-daemon postgresql openssh-server gcc python3-dev wrk
  qemu-system-x86 qemu-utils libvirt-daemon-driver-qemu libvirt-clients tini iproute2
  chromium
)

log() { printf 'setup: %s\n' "$*" >&2; }

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEB_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
fi

if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  else
    log "WARNING: missing Debian packages (not root, not installing): ${missing[*]}"
    log "         run: sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
fi

if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

# -nt is also true when the stamp does not exist yet.
if [[ pyproject.toml -nt "$STAMP" ]]; then
  log "installing the project into $VENV (pip install -e .[test])"
  # pycurl (needed by ovirt-engine-sdk-python) must match libcurl's TLS backend
  # when it is compiled from source.
  PYCURL_SSL_LIBRARY=openssl "$VENV/bin/python" -m pip install -e '.[test]'
  touch "$STAMP"
fi

# The collection's bytecode, as an installed package has it: the controller imports the collection's code through
# Python's source loader, which uses it (plugins/plugin_utils/bytecode.py); stale or missing files are recompiled.
"$VENV/bin/python" -m compileall -q plugins

# The real ovirt.ovirt collection (inside the `ansible` package) in .venv-ovirt, for the compat tests.
if [[ "${VDC_SETUP_OVIRT:-1}" != "0" ]]; then
  bash scripts/ovirt-collection.sh
fi
