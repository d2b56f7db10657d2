"""Running a generated service's binary in tests: start it, read its JSON logs, talk to it, stop it."""

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_service(repo: Path, go_env: dict[str, str]) -> Path:
    """Build the repo's service binary into bin/ and return its path."""
    name = repo.name
    binary = repo / "bin" / name
    run(["go", "build", "-o", str(binary), f"./cmd/{name}"], cwd=repo, env=go_env)
    return binary


class RunningService:
    """A started service process whose JSON log lines are collected as they arrive."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.logs: list[dict[str, Any]] = []
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):  # make, for one, echoes its commands first
                self._lines.put(json.loads(line))

    def wait_for_log(self, message: str, timeout: float = 15) -> dict[str, Any]:
        """Return the first log record with `message`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        for record in self.logs:
            if record.get("msg") == message:
                return record
        while time.monotonic() < deadline:
            try:
                record = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self._lines.empty():
                    break
                continue
            self.logs.append(record)
            if record.get("msg") == message:
                return record
        stderr = self.process.stderr.read() if self.process.poll() is not None and self.process.stderr else ""
        raise AssertionError(f"no {message!r} log line within {timeout}s; logs: {self.logs}; stderr: {stderr}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and return the exit code (killing the process if it outlives `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise

    def close(self) -> None:
        """Make sure the process is gone."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """GET `url` and return (status, body); HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def listening_addresses(pid: int, port: int) -> set[str]:
    """Return the local IPv4/IPv6 addresses on which process `pid`'s network namespace listens on `port`."""
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK_V4 = "0100007F"


def service_env(go_env: dict[str, str], **overrides: str) -> dict[str, str]:
    """An environment for the service: no GOMEMLIMIT unless asked for, short drain and timeouts that agree.

    The metrics listener takes a free loopback port, so services that tests run side by side do
    not compete for the default one.
    """
    env = {k: v for k, v in os.environ.items() if k != "GOMEMLIMIT"}
    env.update(
        PATH=go_env["PATH"],
        REQUEST_TIMEOUT="3s",
        WRITE_TIMEOUT="4s",
        SHUTDOWN_DRAIN="2s",
        SHUTDOWN_TIMEOUT="5s",
        METRICS_ADDR="127.0.0.1:0",
    )
    env.update(overrides)
    return env
