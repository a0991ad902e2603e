#!/usr/bin/env bash
# Installs Debian's headless Chromium for the browser tests when it is missing.
# Playwright drives it through executable_path=/usr/bin/chromium; no browser is downloaded.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium (Debian package) for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium is missing and cannot be installed here (need root and apt-get):" >&2
  echo "browser tests will be skipped; install it with: sudo apt-get install chromium" >&2
fi
