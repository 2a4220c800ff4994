#!/usr/bin/env bash
# Set up everything the demo and the tests need, on a fresh clone: a virtualenv with
# the pinned Python packages, this package installed editable, the widget's npm
# packages, and Debian's Chromium for the browser tests (never `playwright install`).
# Idempotent: a second run only checks. SKIP_WIDGET=1 / SKIP_BROWSER=1 skip parts.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements-dev.sha
want=$(cat requirements-dev.txt setup.py | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing Python packages"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

if [ "${SKIP_WIDGET:-0}" != "1" ]; then
  if [ ! -f widget/node_modules/.package-lock.json ] ||
     [ widget/package-lock.json -nt widget/node_modules/.package-lock.json ]; then
    echo "==> installing widget npm packages"
    (cd widget && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if [ "${SKIP_BROWSER:-0}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (Debian package) for the browser tests"
  apt_install="apt-get update -qq && apt-get install -y -qq chromium"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive sh -c "$apt_install"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive sh -c "$apt_install"
  else
    echo "warning: /usr/bin/chromium is missing and this user cannot apt-get install it;" \
      "the browser tests need it (as root: apt-get install -y chromium)" >&2
  fi
fi
