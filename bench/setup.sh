#!/usr/bin/env bash
# Idempotent: installs the peers and plotting into bench/.work/ (gitignored), never into
# the project's environment.  The rig itself (Pebble, BIND) comes from `make setup`
# (scripts/install-rig.sh).  A peer that cannot be installed is reported, not fatal.
set -u
cd "$(dirname "$0")"
WORK=.work
mkdir -p "$WORK/bin"

if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
if ! "$WORK/venv/bin/certbot" --version >/dev/null 2>&1 \
    || ! "$WORK/venv/bin/python" -c 'import matplotlib, certbot_dns_rfc2136' 2>/dev/null; then
    "$WORK/venv/bin/pip" install -q --upgrade certbot certbot-dns-rfc2136 matplotlib \
        || echo "setup: pip install of certbot/matplotlib failed" >&2
fi
"$WORK/venv/bin/certbot" --version 2>/dev/null || echo "setup: certbot not available" >&2

# lego v5: the main package is the module root (there is no cmd/lego in v5).
if [ ! -x "$WORK/bin/lego" ]; then
    if GOBIN="$PWD/$WORK/bin" go install github.com/go-acme/lego/v5@latest >"$WORK/lego-install.log" 2>&1; then
        echo "setup: lego installed"
    else
        echo "setup: lego v5 could not be installed (see bench/$WORK/lego-install.log);" \
             "the benchmark runs without it" >&2
    fi
fi
for tool in pebble named; do
    command -v "$tool" >/dev/null || [ -x "$HOME/go/bin/$tool" ] \
        || echo "setup: $tool missing: run make setup (scripts/install-rig.sh)" >&2
done
exit 0
