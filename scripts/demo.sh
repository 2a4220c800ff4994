#!/usr/bin/env bash
# The demo: a host page with the copilot embedded, scripted assistant, no API key.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_WIDGET=1 SKIP_BROWSER=1 scripts/bootstrap.sh
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
echo "==> open http://$HOST:$PORT/"
exec .venv/bin/flask-copilot run examples.demo.app:app --mode "${MODE:-threading}" \
  --host "$HOST" --port "$PORT"
