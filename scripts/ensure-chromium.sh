#!/usr/bin/env bash
# Installs Debian's headless browser and CJK fonts for the browser tests,
# only when one of them is missing (Playwright for Python drives this
# chromium; `playwright install` is never used: no internet on CI machines).
# Needs root (or sudo) and an apt mirror; does nothing when all is present.
set -euo pipefail

have_chromium() { command -v chromium >/dev/null 2>&1; }
have_cjk_font() {
    if command -v fc-list >/dev/null 2>&1; then
        fc-list :lang=zh 2>/dev/null | grep -qi 'noto.*cjk' && return 0
    fi
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'
}

if have_chromium && have_cjk_font; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "ensure-chromium: chromium or fonts-noto-cjk missing and not root; install them with: apt-get install chromium fonts-noto-cjk" >&2
        exit 1
    fi
fi

packages=()
have_chromium || packages+=(chromium)
have_cjk_font || packages+=(fonts-noto-cjk)
echo "ensure-chromium: installing ${packages[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" fontconfig >/dev/null
command -v fc-cache >/dev/null 2>&1 && $SUDO fc-cache -f >/dev/null 2>&1 || true
have_chromium || { echo "ensure-chromium: chromium still missing after apt-get" >&2; exit 1; }
echo "ensure-chromium: $(chromium --version 2>/dev/null || echo chromium installed)" >&2
