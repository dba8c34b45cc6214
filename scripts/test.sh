#!/usr/bin/env bash
# The project's whole test run: lint, then pytest. Called by `make test` (and so by CI).
# Uses a PostgreSQL server for the storage tests when one answers (DATABASE_TEST_URL, else the
# local default 127.0.0.1:5432/test); those tests skip with a message where there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
if [ -z "${DATABASE_TEST_URL:-}" ] && "$venv/bin/python" - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
then
    export DATABASE_TEST_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
fi
# Tesseract and the fonts the screenshot tests draw with (apt-get as root; else one line says how,
# and those tests skip).
scripts/install-system-deps.sh --fonts
"$venv/bin/ruff" check .
"$venv/bin/mypy"
exec "$venv/bin/python" -m pytest "$@"
