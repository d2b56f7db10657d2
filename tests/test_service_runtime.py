"""The generated service, built and run for real: probes, pprof on loopback only, graceful shutdown."""

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import RenderRepo
from tests.service import LOOPBACK_V4, RunningService, build_service, free_port, get, listening_addresses, service_env

pytestmark = pytest.mark.slow


@pytest.fixture
def service_binary(render_repo: RenderRepo, go_env: dict[str, str]) -> Path:
    return build_service(render_repo("probe-svc"), go_env)


def test_service_answers_probes_serves_pprof_on_localhost_only_and_drains_on_sigterm(
    service_binary: Path, go_env: dict[str, str], tmp_path: Path
) -> None:
    port, pprof_port = free_port(), free_port()
    env = service_env(go_env, PORT=str(port), PPROF_ADDR=f"127.0.0.1:{pprof_port}")
    service = RunningService([str(service_binary)], env)
    try:
        listening = service.wait_for_log("listening")
        assert listening["addr"].endswith(f":{port}")
        assert service.wait_for_log("debug listening")["addr"] == f"127.0.0.1:{pprof_port}"
        assert service.wait_for_log("memory limit")["gomaxprocs"] >= 1

        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/livez")[0] == 200
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/readyz")[0] == 200

        # pprof: on its own listener, bound to loopback only, and absent from the public one.
        assert get(f"http://127.0.0.1:{pprof_port}/debug/pprof/")[0] == 200
        assert get(f"{base}/debug/pprof/")[0] == 404
        assert listening_addresses(service.process.pid, pprof_port) == {LOOPBACK_V4}
        pprof = subprocess.run(
            ["go", "tool", "pprof", "-top", f"http://127.0.0.1:{pprof_port}/debug/pprof/profile?seconds=1"],
            env={**go_env, "PPROF_TMPDIR": str(tmp_path), "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert pprof.returncode == 0, pprof.stderr
        assert "Type: cpu" in pprof.stdout + pprof.stderr

        started = time.monotonic()
        service.process.send_signal(signal.SIGTERM)
        service.wait_for_log("shutdown started")
        assert get(f"{base}/readyz")[0] == 503  # out of the load balancer while draining
        assert get(f"{base}/livez")[0] == 200  # but still alive, so it is not restarted
        assert service.process.wait(timeout=20) == 0
        assert time.monotonic() - started >= 2  # the drain delay was honoured
        service.wait_for_log("shutdown complete")
    finally:
        service.close()


def test_a_pooled_client_gets_every_answer_through_sigterm(service_binary: Path, go_env: dict[str, str]) -> None:
    port = free_port()
    service = RunningService([str(service_binary)], service_env(go_env, PORT=str(port), PPROF_ADDR="off"))
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(4)]
    try:
        service.wait_for_log("listening")
        for connection in connections:  # a pool of kept-alive connections, idle after one request
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            assert response.status == 200 and response.getheader("Connection") != "close"

        service.process.send_signal(signal.SIGTERM)
        service.wait_for_log("shutdown started")
        time.sleep(0.5)  # the connections sit idle into the 2 s drain, as a client's pool does
        for connection in connections:
            # Sent on a connection the server cut, this would raise RemoteDisconnected: http.client never retries.
            connection.request("GET", "/")
            response = connection.getresponse()
            body = json.loads(response.read())
            assert response.status == 200 and body == {"service": "probe-svc"}
            assert response.getheader("Connection") == "close"  # so the client moves to another instance

        assert service.process.wait(timeout=20) == 0
        service.wait_for_log("shutdown complete")
        access = [line for line in service.logs if line.get("msg") == "request"]
        assert [(line["route"], line["status"]) for line in access] == [("GET /{$}", 200)] * 8
    finally:
        for connection in connections:
            connection.close()
        service.close()


def test_pprof_can_be_turned_off_at_run_time(service_binary: Path, go_env: dict[str, str]) -> None:
    port = free_port()
    service = RunningService([str(service_binary)], service_env(go_env, PORT=str(port), PPROF_ADDR="off"))
    try:
        service.wait_for_log("listening")
        assert not any(r.get("msg") == "debug listening" for r in service.logs)
        assert service.stop() == 0
    finally:
        service.close()


def test_healthcheck_flag_reports_the_running_service(service_binary: Path, go_env: dict[str, str]) -> None:
    port = free_port()
    env = service_env(go_env, PORT=str(port), PPROF_ADDR="off")
    down = subprocess.run([str(service_binary), "-healthcheck"], env=env, capture_output=True, timeout=30, check=False)
    assert down.returncode == 1
    service = RunningService([str(service_binary)], env)
    try:
        service.wait_for_log("listening")
        up = subprocess.run(
            [str(service_binary), "-healthcheck"], env=env, capture_output=True, timeout=30, check=False
        )
        assert up.returncode == 0
    finally:
        service.stop()
        service.close()


def test_bad_settings_stop_the_service_with_a_message_naming_them(service_binary: Path, go_env: dict[str, str]) -> None:
    env = service_env(go_env, PORT="http", LOG_LEVEL="LOUD")
    result = subprocess.run([str(service_binary)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert "PORT" in result.stderr and "LOG_LEVEL" in result.stderr
    assert os.path.basename(service_binary) in result.stderr


def test_time_budgets_that_disagree_stop_the_service_naming_them(service_binary: Path, go_env: dict[str, str]) -> None:
    # A request deadline equal to the write timeout would leave no time to send the 503.
    env = service_env(go_env, PORT="0", REQUEST_TIMEOUT="4s", WRITE_TIMEOUT="4s")
    result = subprocess.run([str(service_binary)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert 'WRITE_TIMEOUT="4s"' in result.stderr and "REQUEST_TIMEOUT" in result.stderr
    assert result.stdout == ""  # stopped before it logged or listened


def test_a_debug_address_beyond_loopback_stops_the_service_with_one_line_naming_the_opt_in(
    service_binary: Path, go_env: dict[str, str]
) -> None:
    env = service_env(go_env, PORT=str(free_port()), PPROF_ADDR=":6060")
    result = subprocess.run([str(service_binary)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert result.stdout == ""  # it stopped before logging anything
    (line,) = result.stderr.splitlines()
    assert 'PPROF_ADDR=":6060"' in line and "PPROF_ALLOW_REMOTE=true" in line


def test_a_bad_flag_prints_usage_once_on_stderr_and_exits_2(service_binary: Path, go_env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(service_binary), "-verbose"], env=service_env(go_env), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("-verbose") == 1 and "-healthcheck" in result.stderr


def test_make_run_passes_sigterm_to_the_service(render_repo: RenderRepo, go_env: dict[str, str]) -> None:
    repo = render_repo("make-run-svc", enable_pprof="false")
    port = free_port()
    toolchain = {k: go_env[k] for k in ("GOTOOLCHAIN", "GOPROXY", "GOFLAGS", "GOCACHE", "GOPATH")}
    env = {**service_env(go_env, PORT=str(port), SHUTDOWN_DRAIN="0s"), **toolchain, "VERSION": "v9.9.9"}
    make = RunningService(["make", "--no-print-directory", "run"], env, cwd=repo)
    try:
        starting = make.wait_for_log("starting", timeout=300)  # make builds the binary first
        make.wait_for_log("listening")
        assert starting["build"]["version"] == "v9.9.9"
        make.process.send_signal(signal.SIGTERM)  # to make, as a process manager or `kill` would
        make.wait_for_log("shutdown complete")
        make.process.wait(timeout=30)
    finally:
        make.close()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the service outlived make"
