"""The generated repo's own Dockerfile, built with podman and run under a memory limit, behaves as promised.

For each case a repo is rendered with `scaffold new`, its Dockerfile is built against local stand-ins
of the base images its FROM lines name (by tag: a stand-in cannot carry the registry's digest), and
the image runs with `--memory` equal to the memory_limit answer, read-only like the Kubernetes
manifest, its port published on 127.0.0.1 only.
"""

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from podman_sandbox import Podman, ensure_sidecar, ensure_standins, json_records
from prometheus_client.parser import text_string_to_metric_families

from generator.new import NewRequest, create
from generator.quantities import derive_gomemlimit, format_go_bytes, parse_memory
from generator.sources import resolve

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("podman")]

CASES = {
    "defaults": {},
    "distroless-64Mi": {"runtime_image": "distroless", "memory_limit": "64Mi"},
    "scratch-128Mi": {"runtime_image": "scratch", "memory_limit": "128Mi"},
}
START_TIMEOUT = 30.0
HTTP_TIMEOUT = 3.0


@dataclass(frozen=True)
class Built:
    """An image built from a freshly rendered repo, and the figures the repo promises."""

    case: str
    repo: Path
    image: str
    answers: dict[str, Any]
    limit_bytes: int
    grace_seconds: int

    @property
    def gomemlimit(self) -> int:
        return derive_gomemlimit(self.limit_bytes)


@dataclass(frozen=True)
class Running:
    """A container of a Built image, with its HTTP port published on 127.0.0.1."""

    id: str
    url: str
    pprof_host_port: int


def _grace_seconds(repo: Path) -> int:
    for doc in yaml.safe_load_all((repo / "deploy" / "kubernetes.yaml").read_text()):
        if doc and doc.get("kind") == "Deployment":
            return int(doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])
    raise AssertionError("deploy/kubernetes.yaml has no Deployment with terminationGracePeriodSeconds")


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def built(
    request: pytest.FixtureRequest, podman: Podman, goroot: Path, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    case = request.param
    repo = tmp_path_factory.mktemp(case) / "e2e-svc"
    create(NewRequest(name="e2e-svc", dest=repo, source=resolve(None), given=dict(CASES[case]), git_init=False))
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    image = f"localhost/scaffold-e2e/{case.lower()}:latest"
    with podman.exclusive():  # another worker may be building the same case: it then hits the cache
        ensure_standins(podman, (repo / "Dockerfile").read_text(), goroot)
        podman.build(repo, image)
    # The image stays until the podman fixture empties the store: another worker may be running it.
    return Built(case, repo, image, answers, parse_memory(answers["memory_limit"]), _grace_seconds(repo))


def _start(podman: Podman, built: Built, *extra: str) -> Running:
    port, pprof_port = built.answers["port"], built.answers["pprof_port"]
    container = podman(
        "run", "-d", "--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges",
        f"--memory={built.limit_bytes}b", "--memory-swap", f"{built.limit_bytes}b",
        "-p", f"127.0.0.1::{port}", "-p", f"127.0.0.1::{pprof_port}",
        *extra, built.image,
    ).stdout.strip()  # fmt: skip
    try:
        host_port = _host_port(podman, container, port)
        running = Running(container, f"http://127.0.0.1:{host_port}", _host_port(podman, container, pprof_port))
        ready = lambda: _status(running.url + "/readyz") == 200  # noqa: E731
        _wait_until(ready, f"{built.case}: /readyz to answer 200", podman, container)
    except BaseException:
        podman.remove_container(container)
        raise
    return running


def _host_port(podman: Podman, container: str, port: int) -> int:
    mapping = podman("port", container, f"{port}/tcp").stdout.strip().splitlines()[0]
    host, _, host_port = mapping.rpartition(":")
    assert host == "127.0.0.1", f"port {port} is published on {host}, not only on 127.0.0.1"
    return int(host_port)


@pytest.fixture(scope="module")
def service(podman: Podman, built: Built) -> Iterator[Running]:
    running = _start(podman, built)
    try:
        yield running
    finally:
        podman.remove_container(running.id)


def _status(url: str) -> int | None:
    """Return the HTTP status `url` answers with, or None when nothing answers over HTTP."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError):
        return None


def _wait_until(check: Callable[[], bool], what: str, podman: Podman, container: str, timeout: float = START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    logs = podman("logs", container, check=False).stdout
    raise AssertionError(f"gave up after {timeout:.0f}s waiting for {what}; container logs:\n{logs}")


def _log_records(podman: Podman, container: str) -> list[dict[str, Any]]:
    return json_records(podman("logs", container).stdout)


def _record(podman: Podman, container: str, msg: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def logged() -> bool:
        found[:] = [r for r in _log_records(podman, container) if r.get("msg") == msg]
        return bool(found)

    _wait_until(logged, f"a {msg!r} log line", podman, container)
    return found[0]


def _inside(podman: Podman, container: str, *command: str) -> tuple[int, str]:
    """Run a busybox command in `container`'s network namespace (its own image has no shell)."""
    with podman.exclusive():
        sidecar = ensure_sidecar(podman)
    result = podman(
        "run", "--rm", "--network", f"container:{container}", sidecar, *command,
        check=False, timeout=30,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_healthz_and_readyz_answer_200_on_the_port_published_on_localhost(service: Running) -> None:
    assert _status(service.url + "/healthz") == 200
    assert _status(service.url + "/readyz") == 200
    assert _status(service.url + "/livez") == 200


def test_pprof_answers_inside_the_container_but_not_from_outside(
    podman: Podman, built: Built, service: Running
) -> None:
    pprof_port, port = built.answers["pprof_port"], built.answers["port"]
    code, output = _inside(podman, service.id, "wget", "-q", "-O", "-", f"http://127.0.0.1:{pprof_port}/debug/pprof/")
    assert code == 0 and "goroutine" in output, f"pprof is not serving on the container's loopback:\n{output}"

    assert _status(f"http://127.0.0.1:{service.pprof_host_port}/debug/pprof/") is None, (
        "pprof answered through a published port"
    )
    address = podman("inspect", "--format", "{{.NetworkSettings.IPAddress}}", service.id).stdout.strip()
    assert address, "the container has no IP address on podman's network"
    assert _status(f"http://{address}:{port}/livez") == 200, "the container's address is not reachable at all"
    assert _status(f"http://{address}:{pprof_port}/debug/pprof/") is None, "pprof answered on the container's address"


def test_the_process_runs_as_the_non_root_user_65532(podman: Podman, service: Running) -> None:
    pid = podman("inspect", "--format", "{{.State.Pid}}", service.id).stdout.strip()
    status = Path(f"/proc/{pid}/status").read_text()
    ids = {line.split(":")[0]: line.split()[1:] for line in status.splitlines() if line.startswith(("Uid:", "Gid:"))}
    assert ids == {"Uid": ["65532"] * 4, "Gid": ["65532"] * 4}, status


def test_the_image_sets_no_gomemlimit_and_the_service_derives_the_generators_from_the_cgroup(
    podman: Podman, built: Built, service: Running
) -> None:
    record = _record(podman, service.id, "memory limit")
    assert (record["source"], record["cgroup_limit"]) == ("cgroup", built.limit_bytes)
    assert record["gomemlimit"] == built.gomemlimit
    assert record["gomemlimit_human"] == format_go_bytes(built.gomemlimit)
    assert "GOMEMLIMIT" not in (built.repo / "Dockerfile").read_text()


def test_a_gomemlimit_far_below_the_containers_is_kept_with_a_warning_naming_both(podman: Podman, built: Built) -> None:
    stale = built.gomemlimit // 2 // (1 << 20) * (1 << 20)  # as when the limit was doubled and GOMEMLIMIT forgotten
    running = _start(podman, built, f"--env=GOMEMLIMIT={format_go_bytes(stale)}")
    try:
        records = _log_records(podman, running.id)
    finally:
        podman.remove_container(running.id)
    record = next(r for r in records if r.get("msg") == "memory limit")
    assert (record["source"], record["gomemlimit"]) == ("env", stale)
    warning = next(r for r in records if r.get("level") == "WARN" and "far below" in r.get("msg", ""))
    assert warning["derived"] == built.gomemlimit and warning["gomemlimit"] == stale, warning


def test_sigterm_turns_readyz_503_then_exits_0_after_a_logged_shutdown_within_the_grace_period(
    podman: Podman, built: Built
) -> None:
    running = _start(podman, built)
    try:
        started = time.monotonic()
        podman("kill", "--signal", "TERM", running.id)
        _wait_until(lambda: _status(running.url + "/readyz") == 503, "/readyz to answer 503", podman, running.id, 5)
        assert _status(running.url + "/livez") == 200, "the service stopped serving before draining"
        exit_code = int(podman("wait", running.id, timeout=built.grace_seconds + 5).stdout.strip())
        elapsed = time.monotonic() - started
        state = podman("inspect", "--format", "{{.State.OOMKilled}}", running.id).stdout.strip()
        messages = [r.get("msg") for r in _log_records(podman, running.id)]
    finally:
        podman.remove_container(running.id)
    assert exit_code == 0 and state == "false"
    assert elapsed < built.grace_seconds, f"shutdown took {elapsed:.1f}s, over the {built.grace_seconds}s grace period"
    assert "shutdown started" in messages and "shutdown complete" in messages, messages
    assert messages.index("shutdown started") < messages.index("shutdown complete")
    assert messages[-1] == "shutdown complete", messages


def test_prometheus_on_the_pod_network_scrapes_the_metrics_port_and_sees_the_derived_memory_limit(
    podman: Podman, built: Built, service: Running
) -> None:
    metrics_port = int(_record(podman, service.id, "metrics listening")["addr"].rpartition(":")[2])
    address = podman("inspect", "--format", "{{.NetworkSettings.IPAddress}}", service.id).stdout.strip()
    with urllib.request.urlopen(f"http://{address}:{metrics_port}/metrics", timeout=HTTP_TIMEOUT) as response:
        families = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
    # The limit the runtime holds inside the container: the one derived from its cgroup.
    assert families["go_gc_gomemlimit_bytes"].samples[0].value == built.gomemlimit
    assert families["process_resident_memory_bytes"].samples[0].value < built.limit_bytes
