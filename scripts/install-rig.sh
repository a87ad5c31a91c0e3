#!/usr/bin/env bash
# The servers and tools outside Python, for the two entry points of the README:
#
#   install-rig.sh check demo   prerequisites of `make demo`, one clear line per problem
#   install-rig.sh check test   prerequisites of `make test` (adds Debian packages)
#   install-rig.sh demo         Pebble + pebble-challtestsrv, `go install`ed into the
#                               user's $(go env GOPATH)/bin: no root, no apt
#   install-rig.sh test         the above, plus BIND (apt, as root), shellcheck (apt),
#                               actionlint, step-ca and step (go install) and the Azure CLI
#                               (PyPI, own venv in .local/azcli) for the tests and the linters
#
# Idempotent: each step is skipped when its result is already there, so CI can run it
# on every build.  No pip installs here (scripts/venv.sh makes the project's .venv).
set -euo pipefail

PEBBLE_MODULE="github.com/letsencrypt/pebble/v2"
PEBBLE_VERSION="v2.10.3"
# The `go` directive of pebble v2.10.3's go.mod: the oldest Go that builds it.
GO_NEEDED="1.25.0"
ACTIONLINT_VERSION="v1.7.12"
# step-ca, the rig's second ACME server, and the step CLI whose `step ca init` sets it up.
# Pure Go builds (CGO_ENABLED=0), as Smallstep documents for `go install`.
STEPCA_MODULE="github.com/smallstep/certificates"
STEPCLI_MODULE="github.com/smallstep/cli"
STEPCA_VERSION="v0.30.2"
# The real Azure CLI, for tests/integration/test_azure_setup.py's parser check: its own
# venv (its azure-* pins clash with renewer's), made with the project venv's uv.
AZURE_CLI_VERSION="2.91.0"
ROOT="$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)"
# command the tests run -> the Debian package that ships it (Debian 12 / Ubuntu 24.04).
DEBIAN_PACKAGES=(
    "named:bind9"
    "tsig-keygen:bind9"
    "named-checkconf:bind9-utils"
    "dig:bind9-dnsutils"
    "shellcheck:shellcheck"
    "nginx:nginx-light"  # renewer verify's endpoint tests (tests/rig/nginx.py)
    "pdns_server:pdns-server"  # the powerdns provider's real server (tests/rig/powerdns.py)
    "/usr/lib/*/pdns/libgsqlite3backend.so:pdns-backend-sqlite3"  # a file, not a command
)

# Where to look after PATH (tests point these elsewhere to model a bare machine).
GO_FALLBACK="${RIG_GO_FALLBACK:-/usr/local/go/bin/go}"
SBIN_DIRS="${RIG_SBIN_DIRS:-/usr/sbin /usr/local/sbin /sbin}"
# RIG_FS_ROOT prefixes the file checks (a library, not a command) the same way.

log() { printf 'install-rig: %s\n' "$*"; }
die() { printf 'install-rig: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Go --------------------------------------------------------------------------
find_go() {
    command -v go 2>/dev/null && return 0
    [ -x "$GO_FALLBACK" ] && { echo "$GO_FALLBACK"; return 0; }
    return 1
}

# version_ge A B: true if dotted version A >= B (1.25 == 1.25.0).
version_ge() {
    local IFS=.
    # shellcheck disable=SC2206
    local a=($1) b=($2) i
    for i in 0 1 2; do
        local x="${a[i]:-0}" y="${b[i]:-0}"
        x="${x%%[!0-9]*}" y="${y%%[!0-9]*}"
        if [ "${x:-0}" -gt "${y:-0}" ]; then return 0; fi
        if [ "${x:-0}" -lt "${y:-0}" ]; then return 1; fi
    done
    return 0
}

go_version() {
    # `go env GOVERSION` prints e.g. go1.26.8 (or go1.25rc1); strip the prefix and suffixes.
    local raw
    raw="$("$1" env GOVERSION 2>/dev/null || "$1" version | awk '{print $3}')"
    raw="${raw#go}"
    echo "${raw%%[!0-9.]*}"
}

# Fails with one line saying what to do when Go is missing or too old for Pebble.
check_go() {
    local go have toolchain
    go="$(find_go)" || die "Go not found (PATH, ${GO_FALLBACK}): Pebble ${PEBBLE_VERSION} is built with \`go install\` and needs Go >= ${GO_NEEDED}; install it from https://go.dev/dl (Debian 12's golang-go is 1.19, too old) and put its bin/ on PATH"
    have="$(go_version "$go")"
    if version_ge "$have" "$GO_NEEDED"; then
        return 0
    fi
    if version_ge "$have" "1.21"; then
        toolchain="$("$go" env GOTOOLCHAIN 2>/dev/null || true)"
        case "$toolchain" in
            auto | *+auto | path | *+path)
                log "Go ${have} (${go}) is older than the Go ${GO_NEEDED} Pebble ${PEBBLE_VERSION} needs; GOTOOLCHAIN=${toolchain}: go fetches go${GO_NEEDED} itself"
                return 0 ;;
        esac
        die "Go ${have} (${go}) is older than the Go ${GO_NEEDED} Pebble ${PEBBLE_VERSION} needs; Go >= 1.21 can fetch its own toolchain: run with GOTOOLCHAIN=auto (e.g. \`GOTOOLCHAIN=auto make demo\`, GOTOOLCHAIN is now '${toolchain:-unset}'), or install Go >= ${GO_NEEDED} from https://go.dev/dl"
    fi
    die "Go ${have} (${go}) is older than the Go ${GO_NEEDED} Pebble ${PEBBLE_VERSION} needs, and older than 1.21, so it cannot fetch a newer toolchain itself (GOTOOLCHAIN): install Go >= ${GO_NEEDED} from https://go.dev/dl (Debian 12's golang-go is 1.19)"
}

# --- Debian packages ---------------------------------------------------------------
find_command() {
    command -v "$1" 2>/dev/null && return 0
    local dir
    for dir in $SBIN_DIRS; do
        [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
    done
    return 1
}

# Prints the Debian packages whose commands are missing, space-separated, deduplicated.
missing_packages() {
    local entry missing=()
    for entry in "${DEBIAN_PACKAGES[@]}"; do
        local wanted="${entry%%:*}" present=0
        if [ "${wanted#/}" != "$wanted" ]; then
            compgen -G "${RIG_FS_ROOT:-}${wanted}" >/dev/null && present=1
        else
            find_command "$wanted" >/dev/null && present=1
        fi
        if [ "$present" -eq 0 ]; then
            case " ${missing[*]:-} " in
                *" ${entry#*:} "*) ;;
                *) missing+=("${entry#*:}") ;;
            esac
        fi
    done
    echo "${missing[*]:-}"
}

check_packages() {
    local missing
    missing="$(missing_packages)"
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" -eq 0 ]; then
        log "will apt-get install: ${missing}"
        return 0
    fi
    die "make test needs Debian packages that are not installed: ${missing}; as root run \`apt-get install -y ${missing}\` (or run make test as root, which installs them). make demo needs none of them."
}

install_packages() {
    local missing
    missing="$(missing_packages)"
    [ -n "$missing" ] || return 0
    check_packages
    log "apt-get install -y ${missing}"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # word splitting intended: a list of package names
    apt-get install -y $missing || { apt-get update && apt-get install -y $missing; }
    missing="$(missing_packages)"
    [ -z "$missing" ] || die "still missing after apt-get install: ${missing}"
}

# --- go install --------------------------------------------------------------------
# True if $1 exists and was built from module $2 at version $3.
has_pinned_build() {
    [ -x "$1" ] && "$GO" version -m "$1" 2>/dev/null \
        | grep -Eq "^[[:space:]]+mod[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

go_install() { # module package version
    local binary="${GOBIN_DIR}/${2##*/}"
    if has_pinned_build "$binary" "$1" "$3"; then
        log "${2##*/} $3 already in ${GOBIN_DIR}"
        return 0
    fi
    log "go install $2@$3 (into ${GOBIN_DIR})"
    CGO_ENABLED="${CGO_ENABLED:-0}" "$GO" install "$2@$3"
    has_pinned_build "$binary" "$1" "$3" || die "${binary} missing after go install"
}

install_go_tools() {
    check_go
    GO="$(find_go)"
    GOBIN_DIR="$("$GO" env GOBIN)"
    [ -n "$GOBIN_DIR" ] || GOBIN_DIR="$("$GO" env GOPATH | cut -d: -f1)/bin"
    go_install "$PEBBLE_MODULE" "${PEBBLE_MODULE}/cmd/pebble" "$PEBBLE_VERSION"
    go_install "$PEBBLE_MODULE" "${PEBBLE_MODULE}/cmd/pebble-challtestsrv" "$PEBBLE_VERSION"
    log "pebble:              ${GOBIN_DIR}/pebble"
    log "pebble-challtestsrv: ${GOBIN_DIR}/pebble-challtestsrv"
}

install_azure_cli() {
    local dir="${ROOT}/.local/azcli" venv="${VENV:-.venv}"
    case "$venv" in /*) ;; *) venv="${ROOT}/${venv}" ;; esac
    if [ -x "${dir}/bin/az" ] && "${dir}/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('azure-cli') != '${AZURE_CLI_VERSION}')" 2>/dev/null; then
        log "azure-cli ${AZURE_CLI_VERSION} already in ${dir}"
        return 0
    fi
    [ -x "${venv}/bin/uv" ] || die "${venv}/bin/uv missing: run make venv first"
    log "azure-cli ${AZURE_CLI_VERSION} into ${dir} (its own venv)"
    rm -rf "$dir"
    "${venv}/bin/uv" venv --quiet --python "${venv}/bin/python" "$dir"
    UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}" "${venv}/bin/uv" pip install --quiet \
        --python "${dir}/bin/python" "azure-cli==${AZURE_CLI_VERSION}"
}

case "${1:-test} ${2:-}" in
    "check demo")
        check_go ;;
    "check test")
        check_go
        check_packages ;;
    "demo ")
        install_go_tools
        log "the rig finds these via PATH or \$(go env GOPATH)/bin" ;;
    "test ")
        install_packages
        install_go_tools
        go_install github.com/rhysd/actionlint github.com/rhysd/actionlint/cmd/actionlint \
            "$ACTIONLINT_VERSION"
        go_install "$STEPCA_MODULE" "${STEPCA_MODULE}/cmd/step-ca" "$STEPCA_VERSION"
        go_install "$STEPCLI_MODULE" "${STEPCLI_MODULE}/cmd/step" "$STEPCA_VERSION"
        install_azure_cli
        NAMED="$(find_command named)"
        log "named:               ${NAMED} ($("$NAMED" -v))"
        log "actionlint:          ${GOBIN_DIR}/actionlint"
        log "step-ca, step:       ${GOBIN_DIR}/step-ca, ${GOBIN_DIR}/step"
        log "the rig finds these via PATH, \$(go env GOPATH)/bin or /usr/sbin" ;;
    *)
        die "usage: install-rig.sh [check] demo|test" ;;
esac
