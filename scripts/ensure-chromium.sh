#!/usr/bin/env bash
# Installs what the browser tests need from Debian when it is missing: headless Chromium
# (Playwright drives it through executable_path=/usr/bin/chromium; no browser is downloaded)
# and poppler-utils (pdftoppm, to look at the printed atlas PDF); and axe-core from npm.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then
  :
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} (Debian packages) for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing and not installable here (need root and apt-get): ${missing[*]}" >&2
  echo "the tests that need them will be skipped; install with: sudo apt-get install ${missing[*]}" >&2
fi
# axe-core (WCAG checks inside the pages) for the accessibility test, from the npm registry,
# into this checkout's node_modules/ (git-ignored); the test skips when it is missing.
if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
  npm install --no-save --no-audit --no-fund --silent axe-core@4 >/dev/null 2>&1 \
    || echo "axe-core could not be installed: the accessibility test will be skipped" >&2
fi
