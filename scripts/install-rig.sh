#!/usr/bin/env bash
# Install the real servers used by the integration tests (tests/rig/):
#   - BIND 9 (named, named-checkconf, tsig-keygen, dig) from Debian's packages
#   - Pebble and pebble-challtestsrv, pinned, built with the machine's Go
# Idempotent: each step is skipped when its result is already there, so CI
# can run it on every build.  Run as root on Debian.  No pip installs here.
set -euo pipefail

PEBBLE_MODULE="github.com/letsencrypt/pebble/v2"
PEBBLE_VERSION="v2.10.3"

log() { printf 'install-rig: %s\n' "$*"; }
die() { printf 'install-rig: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get install is needed for BIND)"

# --- BIND ------------------------------------------------------------------
find_named() {
    command -v named 2>/dev/null && return 0
    for candidate in /usr/sbin/named /usr/local/sbin/named /sbin/named; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    return 1
}

if ! find_named >/dev/null; then
    log "named not found: installing bind9 bind9-utils dnsutils"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y bind9 bind9-utils dnsutils
fi
NAMED="$(find_named)" || die "named still missing after apt-get install"

# --- Go tools ----------------------------------------------------------------
GO="$(command -v go 2>/dev/null || true)"
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
fi
[ -n "$GO" ] || die "no Go toolchain found (PATH, /usr/local/go/bin); Pebble ${PEBBLE_VERSION} needs Go >= 1.25"
GOBIN_DIR="$("$GO" env GOPATH | cut -d: -f1)/bin"

# True if $1 exists and was built from PEBBLE_MODULE at PEBBLE_VERSION.
has_pinned_build() {
    [ -x "$1" ] && "$GO" version -m "$1" 2>/dev/null \
        | grep -Eq "^[[:space:]]+mod[[:space:]]+${PEBBLE_MODULE}[[:space:]]+${PEBBLE_VERSION}([[:space:]]|$)"
}

for tool in pebble pebble-challtestsrv; do
    if has_pinned_build "${GOBIN_DIR}/${tool}"; then
        log "${tool} ${PEBBLE_VERSION} already in ${GOBIN_DIR}"
    else
        log "go install ${PEBBLE_MODULE}/cmd/${tool}@${PEBBLE_VERSION}"
        "$GO" install "${PEBBLE_MODULE}/cmd/${tool}@${PEBBLE_VERSION}"
        has_pinned_build "${GOBIN_DIR}/${tool}" || die "${tool} not in ${GOBIN_DIR} after go install"
    fi
done

# --- Workflow linters (make lint-workflows) ----------------------------------
ACTIONLINT_VERSION="v1.7.12"
if ! command -v shellcheck >/dev/null 2>&1; then
    log "shellcheck not found: installing it (actionlint checks run: scripts with it)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y shellcheck || { apt-get update && apt-get install -y shellcheck; }
fi
if ! "$GO" version -m "${GOBIN_DIR}/actionlint" 2>/dev/null | grep -q "${ACTIONLINT_VERSION}"; then
    log "go install github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
    "$GO" install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi

# --- Report ------------------------------------------------------------------
log "named:               ${NAMED} ($("$NAMED" -v))"
log "named-checkconf:     $(command -v named-checkconf || echo /usr/bin/named-checkconf)"
log "pebble:              ${GOBIN_DIR}/pebble"
log "pebble-challtestsrv: ${GOBIN_DIR}/pebble-challtestsrv"
log "actionlint:          ${GOBIN_DIR}/actionlint"
log "the rig finds these via PATH, \$(go env GOPATH)/bin or /root/go/bin"
