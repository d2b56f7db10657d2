"""The generated service's request path against a plain standard-library chain: requests per second through
each, driven by wrk on loopback, their per-request cost and allocations from `go test -bench`, and the time from
process start to the first /readyz 200.

The plain chain (benchmarks/plainchain/plainchain.go) is what a team would write by hand with the standard library
alone: what server.Handler does with the service's defaults (request ID, trace and span IDs, both in every log
line, the route recorded where routing happens, an access line through slog's JSON handler, body limit,
http.TimeoutHandler, panic recovery), each in its most direct form; its package comment lists what it leaves out.
A benchmark-only main package is added to a freshly rendered repo, with the plain chain as internal/plainchain
(never part of what scaffold generates): it serves the service's own routes three times from one process, through
server.Handler, through the plain chain and bare, so all runs share the binary, the Go runtime and the machine's
state. Neither chain has metrics (they are measured in internal/metrics). Logs go to /dev/null through each
chain's logger. Each round runs all three with the same wrk settings, the order rotated every round, so that none
always runs on a machine another just warmed or loaded; the ratio is the median of the rounds' own ratios. Around
each wrk run the server process's CPU time (user + system, from /proc) is read, and divided by the requests wrk
completed. The Go benchmarks run in the same way: the package's test binary, built once, runs one chain's
benchmark per round, in turns; besides the time per request it reports, the CPU time (user + system) the run took
is divided by its requests. Other work on a shared machine disturbs these CPU figures less than it disturbs
elapsed times.
"""

from __future__ import annotations

import os
import re
import resource
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
PLAIN_CHAIN = Path(__file__).parent / "plainchain"
BENCH_MAIN = f"""package main

import (
	"log/slog"
	"net/http"
	"os"

	"{MODULE}/internal/config"
	"{MODULE}/internal/health"
	"{MODULE}/internal/logging"
	"{MODULE}/internal/plainchain"
	"{MODULE}/internal/server"
)

// Serves the service's routes through server.Handler on os.Args[1], through the plain chain on
// os.Args[2] and bare on os.Args[3].
func main() {{
	logger := logging.New(os.Stdout, new(slog.LevelVar), "bench")
	readiness := new(health.Readiness)
	readiness.Set(true)
	routes := server.Routes("bench", readiness)
	handlers := []http.Handler{{
		server.Handler(routes, server.Options{{
			Logger: logger, RequestTimeout: config.DefaultRequestTimeout, MaxBodyBytes: config.DefaultMaxBodyBytes,
		}}),
		plainchain.Handler(routes, plainchain.NewLogger(os.Stdout, "bench"),
			config.DefaultRequestTimeout, config.DefaultMaxBodyBytes),
		routes,
	}}
	errs := make(chan error)
	for i, h := range handlers {{
		srv := server.New(h, logger.Handler(), config.DefaultWriteTimeout)
		srv.Addr = os.Args[i+1]
		go func() {{ errs <- srv.ListenAndServe() }}()
	}}
	panic(<-errs)
}}
"""
CHAINS = ("generated", "plain", "bare")


@dataclass(frozen=True)
class GoBench:
    """One `go test -bench` result: elapsed time, CPU time (user + system), bytes and allocations per request."""

    ns_per_op: float
    cpu_ns_per_op: float
    bytes_per_op: int
    allocs_per_op: int


@dataclass(frozen=True)
class HTTPFigures:
    """Requests per second of each wrk run and `go test -bench` results, per chain; start-to-ready seconds."""

    path: str
    connections: int
    duration_s: int
    chained_rps: list[float]
    plain_rps: list[float]
    bare_rps: list[float]
    server_cpu_us: dict[str, list[float]]
    """Per chain, per wrk round: the server process's CPU time (user + system) per request served, in µs."""
    go_bench: dict[str, list[GoBench]]
    ready_s: list[float]

    @property
    def round_ratios(self) -> list[float]:
        """Each round's generated-chain req/s over its plain-chain req/s."""
        return [c / p for c, p in zip(self.chained_rps, self.plain_rps, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of the rounds' ratios: above 1 the generated chain is faster than the plain one."""
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


def _wrk(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """Drive `url` with wrk; return its requests per second and how many requests it completed."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"^\s*(\d+) requests in", out, re.M)
    if not rate or not done:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out}")
    return float(rate.group(1)), int(done.group(1))


def _process_cpu_s(pid: int) -> float:
    """The CPU time (user + system) process `pid` has used so far, from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _build(repo: Path, env: dict[str, str], package: str, out: Path) -> None:
    subprocess.run(["go", "build", "-o", str(out), package], cwd=repo, env=env, check=True)


_BENCH_LINE = re.compile(r"^Benchmark(\w+)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op", re.M)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _go_bench(test_binary: Path, env: dict[str, str], chain: str, requests: int) -> GoBench:
    """Run the one Go benchmark of `chain` for `requests` requests with the plainchain test binary; parse its line."""
    cpu_before = _children_cpu_s()
    out = subprocess.run(
        [str(test_binary), "-test.run", "^$", "-test.bench", f"^Benchmark{chain.capitalize()}$", "-test.benchmem",
         f"-test.benchtime={requests}x"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu_s = _children_cpu_s() - cpu_before
    found = _BENCH_LINE.search(out)
    if not found:
        raise RuntimeError(f"go test -bench printed no result for {chain}:\n{out}")
    ran = int(found.group(2))
    return GoBench(float(found.group(3)), cpu_s * 1e9 / ran, int(found.group(4)), int(found.group(5)))


def _add_plain_chain(repo: Path) -> None:
    """Copy the plain chain and the side-by-side Go benchmarks into the rendered repo."""
    target = repo / "internal" / "plainchain"
    target.mkdir()
    for source in PLAIN_CHAIN.glob("*.go"):
        (target / source.name).write_text(source.read_text().replace("github.com/example/bench-svc", MODULE))
    (repo / "cmd" / "benchserver").mkdir()
    (repo / "cmd" / "benchserver" / "main.go").write_text(BENCH_MAIN)


def measure(env: dict[str, str], quick: bool, log: Callable[[str], None]) -> HTTPFigures:
    """Build the repo's service and the three-handler server, then time them; needs wrk on PATH."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk; tests/run.sh does as root)")
    rounds, seconds, starts, connections = (2, 2, 3, 16) if quick else (9, 6, 20, 32)
    warm_up, requests = (1, 20_000) if quick else (3, 200_000)
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-http-") as tmp:
        repo = Path(tmp) / NAME
        create(NewRequest(name=NAME, dest=repo, source=resolve(None), git_init=False))
        _add_plain_chain(repo)
        service, bench, chains_test = Path(tmp) / "service", Path(tmp) / "benchserver", Path(tmp) / "chains.test"
        _build(repo, env, f"./cmd/{NAME}", service)
        _build(repo, env, "./cmd/benchserver", bench)
        compile_tests = ["go", "test", "-c", "-o", str(chains_test), "./internal/plainchain"]
        subprocess.run(compile_tests, cwd=repo, env=env, check=True)

        ready: list[float] = []
        log(f"http: start to first /readyz 200, {starts} starts")
        for _ in range(starts):
            port = _free_port()
            run_env = {**env, "PORT": str(port), "PPROF_ADDR": "off", "METRICS_ADDR": "127.0.0.1:0"}
            started = time.monotonic()
            process = subprocess.Popen([str(service)], env=run_env, stdout=subprocess.DEVNULL)
            try:
                _wait_ready(f"http://127.0.0.1:{port}/readyz", started + 10)
                ready.append(time.monotonic() - started)
            finally:
                process.kill()
                process.wait()

        log(f"http: go test -bench, {rounds} rounds, the chains in turns")
        go_bench: dict[str, list[GoBench]] = {chain: [] for chain in CHAINS}
        for turn in range(rounds):
            for chain in CHAINS[turn % 3 :] + CHAINS[: turn % 3]:
                go_bench[chain].append(_go_bench(chains_test, env, chain, requests))

        ports = {chain: _free_port() for chain in CHAINS}
        server = subprocess.Popen(
            [str(bench), *(f"127.0.0.1:{ports[chain]}" for chain in CHAINS)], env=env, stdout=subprocess.DEVNULL
        )
        rps: dict[str, list[float]] = {chain: [] for chain in CHAINS}
        cpu_us: dict[str, list[float]] = {chain: [] for chain in CHAINS}
        try:
            for port in ports.values():
                _wait_ready(f"http://127.0.0.1:{port}/readyz", time.monotonic() + 10)
            log(f"http: wrk GET / through each chain, {rounds} rounds of {seconds} s each, in turns")
            for port in ports.values():
                _wrk(f"http://127.0.0.1:{port}/", connections, warm_up)
            for turn in range(rounds):
                for chain in CHAINS[turn % 3 :] + CHAINS[: turn % 3]:
                    cpu_before = _process_cpu_s(server.pid)
                    rate, done = _wrk(f"http://127.0.0.1:{ports[chain]}/", connections, seconds)
                    rps[chain].append(rate)
                    cpu_us[chain].append((_process_cpu_s(server.pid) - cpu_before) * 1e6 / done)
        finally:
            server.kill()
            server.wait()
    return HTTPFigures(
        "GET /", connections, seconds, rps["generated"], rps["plain"], rps["bare"], cpu_us, go_bench, ready
    )
