#!/usr/bin/env bash
# Installs Debian's HAProxy (the load balancer of `make cluster`) when it is
# missing, as scripts/ensure-chromium.sh does for Chromium. Needs root (or
# sudo) and an apt mirror; does nothing when haproxy is already on the PATH.
# Only the binary is used: `make cluster` runs its own haproxy in the
# foreground with a generated configuration; Debian's haproxy service, which
# the package enables, is stopped again so that it holds no port.
set -euo pipefail

have_haproxy() { command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; }

if have_haproxy; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "ensure-haproxy: haproxy missing and not root; install it with: apt-get install haproxy" >&2
        exit 1
    fi
fi

echo "ensure-haproxy: installing haproxy (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d 101: the package's service is not started by the install.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1
fi
status=0
$SUDO apt-get install -y -qq --no-install-recommends haproxy >/dev/null || status=$?
[ -n "$created_policy" ] && $SUDO rm -f "$policy"
[ "$status" -eq 0 ] || { echo "ensure-haproxy: apt-get install haproxy failed" >&2; exit 1; }
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then
    $SUDO systemctl stop haproxy || true
fi
have_haproxy || { echo "ensure-haproxy: haproxy still missing after apt-get" >&2; exit 1; }
echo "ensure-haproxy: $( (haproxy -v 2>/dev/null || /usr/sbin/haproxy -v) | head -1)" >&2
