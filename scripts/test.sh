#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, lint, types, widget, Python tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

echo "==> ruff"
.venv/bin/ruff check flask_copilot tests examples
echo "==> mypy"
.venv/bin/mypy
echo "==> imports flow one way (lint-imports)"
.venv/bin/lint-imports --no-cache
echo "==> protocol doc is current"
.venv/bin/python -m flask_copilot.protocol.doc --check docs/protocol.md

echo "==> widget: types, unit tests, size, committed bundle is current"
(cd widget && npm run --silent typecheck && npm test --silent && npm run --silent check-size \
  && npm run --silent check-bundle)

echo "==> pytest (tests/browser drives /usr/bin/chromium; it fails, not skips, when missing)"
COPILOT_BROWSER_REQUIRED=${COPILOT_BROWSER_REQUIRED:-1} .venv/bin/python -m pytest -p no:cacheprovider "$@"
