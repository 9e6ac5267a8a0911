#!/usr/bin/env bash
# Every test: lint, the unit tests natively, the same tests inside Pyodide, and the
# end-to-end tests in Chromium. Installs what it needs first (Chromium from Debian,
# the Python packages into .venv) and builds the site. Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
# Debian's package lists: for Chromium, and for the pinned font packages the style tests fetch.
echo "== apt-get update"
$sudo_ apt-get update -qq
if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Chromium (Debian package) for the end-to-end tests"
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
fi

echo "== building the site (creates .venv and fetches pinned assets on the first run)"
python3 build.py --test-seams  # with web/testing/, the seams the e2e tests drive

stamp=.venv/.pynn-test-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== installing the test tools into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    echo "$want" > "$stamp"
fi
py=.venv/bin/python

status=0
run() { echo; echo "== $1"; shift; "$@" || status=1; }
run "ruff" $py -m ruff check .
lint=tests/lint
if [ ! "$lint/node_modules/.package-lock.json" -nt "$lint/package-lock.json" ]; then
    echo "== installing ESLint (npm ci, pinned by tests/lint/package-lock.json)"
    (cd "$lint" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
run "eslint (web/)" "$lint/node_modules/.bin/eslint" -c "$lint/eslint.config.mjs" web
run "type check of pynn/ (mypy, settings in pyproject.toml)" $py -m mypy
run "unit tests, native" $py -m pytest tests -q --ignore=tests/e2e --ignore=tests/pyodide
run "unit tests inside Pyodide (Node)" $py -m pytest tests/pyodide -q
run "end-to-end tests in Chromium" $py -m pytest tests/e2e -q --durations=12  # the slowest, to watch the 30-minute budget
echo
if [ $status = 0 ]; then echo "all test suites passed"; else echo "SOME TEST SUITES FAILED"; fi
exit $status
