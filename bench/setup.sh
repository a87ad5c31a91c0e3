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

# lego v5 as a library (bench/lego): the CLI's module cannot be fetched here (the module
# proxy refuses ~40 of its DNS providers' dependencies), its core packages build.
if [ ! -x "$WORK/bin/legobench" ] \
    || [ -n "$(find lego -newer "$WORK/bin/legobench" -name '*.go*')" ]; then
    if (cd lego && go build -o "../$WORK/bin/legobench" .) >"$WORK/lego-build.log" 2>&1; then
        echo "setup: legobench (lego v5 library) built"
    else
        echo "setup: bench/lego did not build (see bench/$WORK/lego-build.log);" \
             "the benchmark runs without lego" >&2
    fi
fi
for tool in pebble named; do
    command -v "$tool" >/dev/null || [ -x "$HOME/go/bin/$tool" ] \
        || echo "setup: $tool missing: run make setup (scripts/install-rig.sh)" >&2
done
exit 0
