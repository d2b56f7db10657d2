"""The generated service's request path: requests per second through the full middleware chain against the
same binary's bare mux, driven by wrk on loopback, and the time from process start to the first /readyz 200.

A benchmark-only main package is added to a freshly rendered repo (never part of what scaffold generates): it
serves the service's own routes twice from one process, once wrapped in server.Handler (request ID, trace
context, deadline, access log, metrics, panic recovery) and once bare, so both runs share the binary, the
Go runtime and the machine's state. The logs go to /dev/null through the service's own logger, set up as the
service sets it up by default (access lines written together at most ACCESS_LOG_DELAY apart). Both
handlers are warmed up, then each round runs both with the same wrk settings, the order swapped every round
(chain first, then bare first) so that neither always runs on a machine the other just warmed or loaded.
The ratio is the median of the rounds' own ratios: a round's two runs are seconds apart, so a slow spell of
the shared machine moves both.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.new import NewRequest, create
from generator.sources import resolve

NAME = "bench-svc"
MODULE = f"github.com/example/{NAME}"
BENCH_MAIN = f"""package main

import (
	"log/slog"
	"os"

	"{MODULE}/internal/buildinfo"
	"{MODULE}/internal/config"
	"{MODULE}/internal/health"
	"{MODULE}/internal/logging"
	"{MODULE}/internal/metrics"
	"{MODULE}/internal/server"
)

// Serves the service's routes with the middleware chain on os.Args[1] and bare on os.Args[2],
// logging as the service does by default.
func main() {{
	logger := logging.New(logging.NewOutput(os.Stdout, config.DefaultAccessLogDelay), new(slog.LevelVar), "bench")
	readiness := new(health.Readiness)
	readiness.Set(true)
	registry := metrics.New("bench", buildinfo.Read("bench"))
	chained := server.New(server.Handler(server.Routes("bench", readiness), logger, registry), logger.Handler())
	chained.Addr = os.Args[1]
	bare := server.New(server.Routes("bench", readiness), logger.Handler())
	bare.Addr = os.Args[2]
	go func() {{ panic(bare.ListenAndServe()) }}()
	panic(chained.ListenAndServe())
}}
"""


@dataclass(frozen=True)
class HTTPFigures:
    """Requests per second of each run, per handler, and the start-to-ready times in seconds."""

    path: str
    connections: int
    duration_s: int
    chained_rps: list[float]
    bare_rps: list[float]
    ready_s: list[float]

    @property
    def round_ratios(self) -> list[float]:
        """Each round's chained req/s over its bare req/s."""
        return [c / b for c, b in zip(self.chained_rps, self.bare_rps, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of the rounds' ratios."""
        return statistics.median(self.round_ratios)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.001)
    raise RuntimeError(f"{url} did not answer 200 in time")


def _wrk(url: str, connections: int, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out}")
    return float(found.group(1))


def _build(repo: Path, env: dict[str, str], package: str, out: Path) -> None:
    subprocess.run(["go", "build", "-o", str(out), package], cwd=repo, env=env, check=True)


def measure(env: dict[str, str], quick: bool, log: Callable[[str], None]) -> HTTPFigures:
    """Build the repo's service and the two-handler server, then time them; needs wrk on PATH."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk; tests/run.sh does as root)")
    rounds, seconds, starts, connections = (2, 3, 5, 16) if quick else (10, 6, 20, 32)
    warm_up = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-http-") as tmp:
        repo = Path(tmp) / NAME
        create(NewRequest(name=NAME, dest=repo, source=resolve(None), git_init=False))
        (repo / "cmd" / "benchserver").mkdir()
        (repo / "cmd" / "benchserver" / "main.go").write_text(BENCH_MAIN)
        service, bench = Path(tmp) / "service", Path(tmp) / "benchserver"
        _build(repo, env, f"./cmd/{NAME}", service)
        _build(repo, env, "./cmd/benchserver", bench)

        ready: list[float] = []
        log(f"http: start to first /readyz 200, {starts} starts")
        for _ in range(starts):
            port = _free_port()
            run_env = {**env, "PORT": str(port), "PPROF_ADDR": "off"}
            started = time.monotonic()
            process = subprocess.Popen([str(service)], env=run_env, stdout=subprocess.DEVNULL)
            try:
                _wait_ready(f"http://127.0.0.1:{port}/readyz", started + 10)
                ready.append(time.monotonic() - started)
            finally:
                process.kill()
                process.wait()

        chained_port, bare_port = _free_port(), _free_port()
        server = subprocess.Popen(
            [str(bench), f"127.0.0.1:{chained_port}", f"127.0.0.1:{bare_port}"], env=env, stdout=subprocess.DEVNULL
        )
        chained: list[float] = []
        bare: list[float] = []
        try:
            for port in (chained_port, bare_port):
                _wait_ready(f"http://127.0.0.1:{port}/readyz", time.monotonic() + 10)
            log(f"http: wrk GET / through the chain and bare, {rounds} rounds of {seconds} s each, in turns")
            for port in (chained_port, bare_port):
                _wrk(f"http://127.0.0.1:{port}/", connections, warm_up)
            for turn in range(rounds):
                order = (chained_port, bare_port) if turn % 2 == 0 else (bare_port, chained_port)
                runs = {port: _wrk(f"http://127.0.0.1:{port}/", connections, seconds) for port in order}
                chained.append(runs[chained_port])
                bare.append(runs[bare_port])
        finally:
            server.kill()
            server.wait()
    return HTTPFigures("GET /", connections, seconds, chained, bare, ready)
