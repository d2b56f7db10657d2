"""The generated service's Prometheus metrics, scraped from their own listener and parsed by prometheus_client."""

import os
import re
import signal
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from generator.new import NewRequest, create
from generator.sources import resolve
from tests.service import LOOPBACK_V4, RunningService, build_service, free_port, get, listening_addresses, service_env

pytestmark = pytest.mark.slow

# What client_golang's default registry (Go and process collectors) exposes on Linux, with each
# family's type: dashboards and alerts for Go services are written against these.
CLIENT_GOLANG_FAMILIES = {
    "go_gc_duration_seconds": "summary",
    "go_goroutines": "gauge",
    "go_threads": "gauge",
    "go_info": "gauge",
    "go_memstats_alloc_bytes": "gauge",
    "go_memstats_alloc_bytes_total": "counter",
    "go_memstats_sys_bytes": "gauge",
    "go_memstats_mallocs_total": "counter",
    "go_memstats_frees_total": "counter",
    "go_memstats_heap_alloc_bytes": "gauge",
    "go_memstats_heap_sys_bytes": "gauge",
    "go_memstats_heap_idle_bytes": "gauge",
    "go_memstats_heap_inuse_bytes": "gauge",
    "go_memstats_heap_released_bytes": "gauge",
    "go_memstats_heap_objects": "gauge",
    "go_memstats_stack_inuse_bytes": "gauge",
    "go_memstats_stack_sys_bytes": "gauge",
    "go_memstats_mspan_inuse_bytes": "gauge",
    "go_memstats_mspan_sys_bytes": "gauge",
    "go_memstats_mcache_inuse_bytes": "gauge",
    "go_memstats_mcache_sys_bytes": "gauge",
    "go_memstats_buck_hash_sys_bytes": "gauge",
    "go_memstats_gc_sys_bytes": "gauge",
    "go_memstats_other_sys_bytes": "gauge",
    "go_memstats_next_gc_bytes": "gauge",
    "go_memstats_last_gc_time_seconds": "gauge",
    "go_gc_gogc_percent": "gauge",
    "go_gc_gomemlimit_bytes": "gauge",
    "go_sched_gomaxprocs_threads": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_virtual_memory_max_bytes": "gauge",
    "process_start_time_seconds": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
}
SERVICE_FAMILIES = {
    "http_requests_total": "counter",
    "http_requests_in_flight": "gauge",
    "http_request_duration_seconds": "histogram",
    "service_build_info": "gauge",
}
# The longest a request lasts by default (WRITE_TIMEOUT, past REQUEST_TIMEOUT's 25 s); the histogram
# must tell "cut at the deadline" apart from "a little under it".
REQUEST_DEADLINE_SECONDS = 30
# prometheus.io "Metric and label naming": base units only.
NON_BASE_UNITS = re.compile(
    r"_(milliseconds|microseconds|nanoseconds|minutes|hours|days|kilobytes|megabytes|gigabytes|kib|mib|gib|bits)(_|$)"
)
UNIT_WORDS = ("seconds", "bytes")


@pytest.fixture(scope="module")
def no_pprof_binary(tmp_path_factory: pytest.TempPathFactory, go_env: dict[str, str]) -> Path:
    dest = tmp_path_factory.mktemp("metrics") / "metrics-svc"
    create(NewRequest(name="metrics-svc", dest=dest, source=resolve(None), given={"enable_pprof": "false"}))
    return build_service(dest, go_env)


def exposed_name(family: Metric) -> str:
    """The family's name as the service wrote it: the parser drops a counter's _total."""
    return family.name + "_total" if family.type == "counter" else family.name


def start_time(pid: int) -> float:
    """The process's start time in seconds since the epoch, from the kernel's own figures."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    start_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
    btime = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    boot = int(btime.split()[1])
    return boot + start_ticks / os.sysconf("SC_CLK_TCK")


def scrape(url: str) -> tuple[str, dict[str, Metric]]:
    with urllib.request.urlopen(url, timeout=5) as response:
        content_type = response.headers["Content-Type"]
        text = response.read().decode()
    return content_type, {exposed_name(f): f for f in text_string_to_metric_families(text)}


def test_metrics_are_served_on_their_own_port_with_client_golangs_names_even_without_pprof(
    no_pprof_binary: Path, go_env: dict[str, str]
) -> None:
    port, metrics_port = free_port(), free_port()
    env = service_env(go_env, PORT=str(port), METRICS_ADDR=f":{metrics_port}", GOMEMLIMIT="300MiB")
    service = RunningService([str(no_pprof_binary)], env)
    try:
        assert service.wait_for_log("metrics listening")["addr"].endswith(f":{metrics_port}")
        base = f"http://127.0.0.1:{port}"
        for path in ("/", "/", "/livez", "/nowhere/12345"):
            get(base + path)
        content_type, families = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        started_at = start_time(service.process.pid)
        # Every interface, so that Prometheus reaches it through the pod's IP; the service's
        # own port does not serve it.
        assert LOOPBACK_V4 not in listening_addresses(service.process.pid, metrics_port)
        assert get(f"{base}/metrics")[0] == 404
        assert get(f"http://127.0.0.1:{metrics_port}/debug/pprof/")[0] == 404
    finally:
        service.stop()
        service.close()

    assert content_type.startswith("text/plain; version=0.0.4")
    kinds = {name: f.type for name, f in families.items()}
    assert kinds == CLIENT_GOLANG_FAMILIES | SERVICE_FAMILIES

    requests = {
        (s.labels["method"], s.labels["code"], s.labels["route"]): s.value
        for s in families["http_requests_total"].samples
        if s.name == "http_requests_total"
    }
    assert requests == {("GET", "200", "GET /{$}"): 2, ("GET", "200", "GET /livez"): 1, ("GET", "404", "unmatched"): 1}
    histogram = {
        (s.name, s.labels.get("le")): s.value
        for s in families["http_request_duration_seconds"].samples
        if s.labels["route"] == "GET /{$}"
    }
    assert histogram[("http_request_duration_seconds_count", None)] == 2
    assert histogram[("http_request_duration_seconds_bucket", "+Inf")] == 2
    bounds = [float(le) for (_, le) in histogram if le not in (None, "+Inf")]
    assert max(bounds) > REQUEST_DEADLINE_SECONDS

    def value(name: str) -> float:
        return float(families[name].samples[0].value)

    assert value("go_gc_gomemlimit_bytes") == 300 * 2**20  # GOMEMLIMIT, as no cgroup limit lowers it
    assert value("go_goroutines") >= 1 and value("go_threads") >= 1
    assert value("process_open_fds") >= 3 and value("process_max_fds") >= value("process_open_fds")
    assert value("process_resident_memory_bytes") > 2**20
    assert value("process_cpu_seconds_total") >= 0
    assert abs(value("process_start_time_seconds") - started_at) < 1  # what the kernel says
    (go_info,) = families["go_info"].samples
    assert go_info.value == 1 and go_info.labels["version"].startswith("go1.")
    (build,) = families["service_build_info"].samples
    assert build.value == 1 and build.labels["service"] == "metrics-svc"


def test_every_metric_follows_the_prometheus_naming_conventions(no_pprof_binary: Path, go_env: dict[str, str]) -> None:
    port, metrics_port = free_port(), free_port()
    service = RunningService(
        [str(no_pprof_binary)], service_env(go_env, PORT=str(port), METRICS_ADDR=f"127.0.0.1:{metrics_port}")
    )
    try:
        service.wait_for_log("metrics listening")
        get(f"http://127.0.0.1:{port}/items/secret-token-123")  # a raw path must never become a label value
        _, families = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        service.stop()
        service.close()

    problems = []
    for name, family in families.items():
        if not family.documentation.strip():
            problems.append(f"{name}: no HELP")
        if NON_BASE_UNITS.search(name):
            problems.append(f"{name}: not in base units (seconds, bytes)")
        if (family.type == "counter") != name.endswith("_total"):
            problems.append(f"{name}: a {family.type}; only counters, and all of them, end in _total")
        stem = name.removesuffix("_total")
        for unit in UNIT_WORDS:
            if f"_{unit}_" in stem + "_" and not stem.endswith(f"_{unit}"):
                problems.append(f"{name}: the unit {unit} is not the last word before _total")
        if family.type in ("histogram", "summary") and "duration" in name and not name.endswith("_seconds"):
            problems.append(f"{name}: a duration not in seconds")
        if name.endswith("_info") and (family.type != "gauge" or {s.value for s in family.samples} != {1}):
            problems.append(f"{name}: an info metric is a gauge of value 1")
        for sample in family.samples:
            for label, label_value in sample.labels.items():
                if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", label) or label.startswith("__"):
                    problems.append(f"{name}: label name {label!r}")
                if "secret-token-123" in label_value:
                    problems.append(f"{name}: the raw path in label {label}")
    assert problems == []


def test_metrics_can_be_turned_off(no_pprof_binary: Path, go_env: dict[str, str]) -> None:
    service = RunningService([str(no_pprof_binary)], service_env(go_env, PORT=str(free_port()), METRICS_ADDR="off"))
    try:
        service.wait_for_log("listening")
        assert service.stop() == 0
    finally:
        service.close()
    assert not any(r.get("msg") == "metrics listening" for r in service.logs)


def test_prometheus_can_still_scrape_while_the_service_drains(no_pprof_binary: Path, go_env: dict[str, str]) -> None:
    port, metrics_port = free_port(), free_port()
    env = service_env(go_env, PORT=str(port), METRICS_ADDR=f"127.0.0.1:{metrics_port}", SHUTDOWN_DRAIN="3s")
    service = RunningService([str(no_pprof_binary)], env)
    try:
        service.wait_for_log("metrics listening")
        get(f"http://127.0.0.1:{port}/")
        service.process.send_signal(signal.SIGTERM)
        service.wait_for_log("shutdown started")
        # The last scrape before the pod goes still sees what it served.
        _, families = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        served = {s.labels["route"]: s.value for s in families["http_requests_total"].samples}
        assert served.get("GET /{$}") == 1
        assert service.process.wait(timeout=30) == 0
    finally:
        service.close()
