"""The one rule for a tool a test needs (go, hadolint, node, actionlint, podman...) and does not find.

The README's test command (tests/run.sh) installs every tool the suite uses, so a missing tool is a
failure that names what to install, never a silent skip. The one exception: a tool only root can
install (apt and global npm packages), on a developer's machine where tests/run.sh ran without root,
skips with the same message. With CI=true nothing is excused: a CI job that lacks a tool fails.
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether the tests run in CI (CI=true, as GitHub Actions and most CI services set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(what: str, install_hint: str, *, installed_as_root: bool = False) -> NoReturn:
    """Fail the test because `what` is missing, saying how to install it (skip instead: see the module docstring)."""
    who = " when run as root" if installed_as_root else ""
    message = f"{what} is missing: {install_hint} (tests/run.sh installs it{who})"
    if installed_as_root and os.geteuid() != 0 and not in_ci():
        pytest.skip(message)
    pytest.fail(message)


def require_tool(name: str, install_hint: str, *, path: str | None = None, installed_as_root: bool = False) -> str:
    """Return the path of the command `name` (looked up on `path`, else PATH); fail the test when it is missing."""
    found = shutil.which(name, path=path)
    if found is None:
        missing(name, install_hint, installed_as_root=installed_as_root)
    return found


def require_npm_package(name: str, install_hint: str) -> Path:
    """Return the folder of the globally installed npm package `name` (run with node); fail when it is missing."""
    require_tool("node", "apt-get install nodejs", installed_as_root=True)
    npm = require_tool("npm", "apt-get install npm", installed_as_root=True)
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    module = Path(root) / name
    if not root or not module.is_dir():
        missing(f"the npm package {name}", install_hint, installed_as_root=True)
    return module
