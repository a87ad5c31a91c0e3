#!/usr/bin/env bash
# Make the project's virtual environment (.venv) with `python3 -m venv` and install
# exactly what uv.lock pins (runtime + dev extra, every file checked by hash), then
# renewer itself, editable.  Never touches the system interpreter: Debian 12 / Ubuntu
# 24.04 refuse `pip install` there (PEP 668, externally-managed-environment).
# uv comes from the lock too: pip installs the locked uv --require-hashes, then
# `uv sync --frozen` installs the rest (--inexact: pip stays in the venv).
# Usage: venv.sh check | venv.sh   (PYTHON and VENV from the Makefile).
set -euo pipefail
cd "${BASH_SOURCE[0]%/*}/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
PY_NEEDED="3.11"
# uv trusts the operating system's certificate store, as Debian's pip does (a TLS-inspecting
# proxy's CA installed there works for both); uv's default is its own bundled roots.
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"

log() { printf 'venv: %s\n' "$*"; }
die() { printf 'venv: ERROR: %s\n' "$*" >&2; exit 1; }

check_python() {
    local path version
    path="$(command -v "$PYTHON" 2>/dev/null)" \
        || die "${PYTHON} not found: renewer needs Python >= ${PY_NEEDED} (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python@3.12)"
    version="$("$path" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    "$path" -c "import sys; sys.exit(sys.version_info < (3, 11))" \
        || die "${path} is Python ${version}; renewer needs >= ${PY_NEEDED} (set PYTHON=python3.12 or similar)"
    # Debian and Ubuntu ship venv's ensurepip separately (python3-venv); without it
    # `python3 -m venv` stops half way with a long message.
    "$path" -c "import ensurepip, venv" 2>/dev/null \
        || die "${path} (Python ${version}) has no venv/ensurepip module: on Debian/Ubuntu install it as root with \`apt-get install -y python3-venv\` (or python${version}-venv)"
}

case "${1:-}" in
    check)
        check_python
        exit 0 ;;
    "") ;;
    *) die "usage: venv.sh [check]" ;;
esac

check_python
if [ ! -x "${VENV}/bin/python" ]; then
    log "python3 -m venv ${VENV} ($(command -v "$PYTHON"))"
    "$PYTHON" -m venv "$VENV"
fi
log "installing uv.lock's pins (runtime + dev) and renewer (editable) into ${VENV}"
"${VENV}/bin/python" scripts/lock.py uv-requirement > "${VENV}/uv-requirement.txt"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-hashes --no-deps -r "${VENV}/uv-requirement.txt"
UV_PROJECT_ENVIRONMENT="$VENV" "${VENV}/bin/uv" sync --quiet --frozen --inexact --extra dev --group build \
    --python "${VENV}/bin/python"
touch "${VENV}/.installed"
