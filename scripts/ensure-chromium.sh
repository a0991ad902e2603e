#!/usr/bin/env bash
# Installs what the browser tests need from Debian when it is missing: headless Chromium
# (Playwright drives it through executable_path=/usr/bin/chromium; no browser is downloaded)
# and poppler-utils (pdftoppm, to look at the printed atlas PDF).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} (Debian packages) for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing and not installable here (need root and apt-get): ${missing[*]}" >&2
  echo "the tests that need them will be skipped; install with: sudo apt-get install ${missing[*]}" >&2
fi
