#!/usr/bin/env bash
# Installs the browser the UI tests drive (test/support/browser.ts): Debian's Chromium, at
# /usr/bin/chromium. playwright-core drives it and never downloads a browser of its own. Does
# nothing when /usr/bin/chromium is already there.
#
#   sudo scripts/install-browser.sh
set -euo pipefail

have_chromium() { [ -x /usr/bin/chromium ]; }

if have_chromium; then
  echo "browser: chromium is installed"
  exit 0
fi

echo "browser: missing chromium"
if [ "$(id -u)" -ne 0 ]; then
  echo "browser: installing needs root. run: sudo scripts/install-browser.sh" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "browser: no apt-get here. Install Chromium with this system's package manager and set TRACETAPE_CHROMIUM to its binary." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  chromium >/dev/null

have_chromium || { echo "browser: installed chromium, but /usr/bin/chromium is still missing" >&2; exit 1; }
echo "browser: installed chromium $(dpkg-query -W -f='${Version}' chromium)"
