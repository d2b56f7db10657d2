"""The service derives GOMEMLIMIT from a real cgroup memory limit, with the generator's own rule."""

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.new import NewRequest, create
from generator.quantities import MIB, derive_gomemlimit, format_go_bytes
from generator.sources import resolve
from tests.service import RunningService, build_service, free_port, get, service_env

pytestmark = pytest.mark.slow

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_cgroup() -> tuple[Path, str] | None:
    """Return (folder for a child cgroup, the file that sets its memory limit), or None where we cannot."""
    if os.geteuid() != 0:
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(",") and (CGROUP_ROOT / "memory").is_dir():
            return CGROUP_ROOT / "memory" / path.lstrip("/"), "memory.limit_in_bytes"
        if controllers == "" and (CGROUP_ROOT / "cgroup.controllers").is_file():
            parent = CGROUP_ROOT / path.lstrip("/")
            if "memory" in (parent / "cgroup.subtree_control").read_text().split():
                return parent, "memory.max"
    return None


@pytest.fixture
def memory_cgroup() -> Iterator[tuple[Path, str]]:
    found = _own_cgroup()
    if found is None:
        pytest.skip("needs root and a writable cgroup memory controller (v1 or v2 with memory delegated)")
    parent, limit_file = found
    child = parent / f"scaffold-test-{uuid.uuid4().hex[:8]}"
    try:
        child.mkdir()
    except OSError as error:
        pytest.skip(f"cannot create a memory cgroup under {parent}: {error}")
    try:
        yield child, limit_file
    finally:
        for _ in range(50):
            try:
                child.rmdir()
                break
            except OSError:  # the process may still be leaving the cgroup
                time.sleep(0.1)


@pytest.fixture(scope="module")
def service_binary(tmp_path_factory: pytest.TempPathFactory, go_env: dict[str, str]) -> Path:
    repo = tmp_path_factory.mktemp("cgroup") / "cg-svc"
    create(NewRequest(name="cg-svc", dest=repo, source=resolve(None), git_init=False))
    return build_service(repo, go_env)


def memory_limit_logged_in(
    cgroup: tuple[Path, str], limit: int, binary: Path, go_env: dict[str, str], **env: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Start the service inside `cgroup` limited to `limit` bytes; return its "memory limit" record and all logs."""
    folder, limit_file = cgroup
    (folder / limit_file).write_text(str(limit))
    # The shell moves itself into the cgroup, then becomes the service: the service starts inside it.
    script = f'echo $$ > {folder / "cgroup.procs"} && exec "$0"'
    service = RunningService(
        ["/bin/sh", "-c", script, str(binary)], service_env(go_env, PORT=str(free_port()), PPROF_ADDR="off", **env)
    )
    try:
        logged = service.wait_for_log("memory limit")
        service.wait_for_log("listening")
        assert service.stop() == 0
        return logged, service.logs
    finally:
        service.close()


@pytest.mark.parametrize("limit_mib", [128, 256, 1024])
def test_service_with_no_gomemlimit_derives_it_from_its_cgroup_limit(
    limit_mib: int, memory_cgroup: tuple[Path, str], service_binary: Path, go_env: dict[str, str]
) -> None:
    logged, _ = memory_limit_logged_in(memory_cgroup, limit_mib * MIB, service_binary, go_env)
    expected = derive_gomemlimit(limit_mib * MIB)
    assert logged["cgroup_limit"] == limit_mib * MIB
    assert logged["gomemlimit"] == expected
    assert logged["gomemlimit_human"] == format_go_bytes(expected)
    assert logged["source"] == "cgroup"


@pytest.mark.parametrize(
    ("gomemlimit", "expected_mib", "lowered"),
    [("1GiB", 224, True), ("200MiB", 200, False)],
    ids=["above-the-limit-is-lowered", "within-the-limit-is-kept"],
)
def test_a_set_gomemlimit_is_kept_only_within_what_the_cgroup_allows(
    gomemlimit: str,
    expected_mib: int,
    lowered: bool,
    memory_cgroup: tuple[Path, str],
    service_binary: Path,
    go_env: dict[str, str],
) -> None:
    logged, logs = memory_limit_logged_in(memory_cgroup, 256 * MIB, service_binary, go_env, GOMEMLIMIT=gomemlimit)
    assert logged["gomemlimit"] == expected_mib * MIB
    assert (logged["source"] == "env") is not lowered
    warned = any(r["level"] == "WARN" and "GOMEMLIMIT" in r["msg"] for r in logs)
    assert warned is lowered


def test_a_gomemlimit_left_behind_by_a_raised_limit_is_kept_with_a_warning_naming_both_figures(
    memory_cgroup: tuple[Path, str], service_binary: Path, go_env: dict[str, str]
) -> None:
    # 512Mi's figure, in a container whose limit was raised to 1Gi.
    stale = derive_gomemlimit(512 * MIB)
    logged, logs = memory_limit_logged_in(
        memory_cgroup, 1024 * MIB, service_binary, go_env, GOMEMLIMIT=format_go_bytes(stale)
    )
    assert (logged["gomemlimit"], logged["source"]) == (stale, "env")
    (warning,) = [r for r in logs if r["level"] == "WARN"]
    assert "far below" in warning["msg"]
    assert warning["gomemlimit"] == stale and warning["derived"] == derive_gomemlimit(1024 * MIB)
    assert warning["cgroup_limit"] == 1024 * MIB and "unset GOMEMLIMIT" in warning["fix"]


def test_a_pod_resized_in_place_gets_the_new_limit_without_a_restart(
    memory_cgroup: tuple[Path, str], service_binary: Path, go_env: dict[str, str]
) -> None:
    folder, limit_file = memory_cgroup
    (folder / limit_file).write_text(str(256 * MIB))
    script = f'echo $$ > {folder / "cgroup.procs"} && exec "$0"'
    env = service_env(go_env, PORT=str(free_port()), PPROF_ADDR="off", MEMLIMIT_REFRESH="100ms")
    service = RunningService(["/bin/sh", "-c", script, str(service_binary)], env)
    try:
        assert service.wait_for_log("memory limit")["gomemlimit"] == derive_gomemlimit(256 * MIB)
        metrics_addr = service.wait_for_log("metrics listening")["addr"]
        (folder / limit_file).write_text(str(512 * MIB))  # what the kubelet does for an in-place resize
        changed = service.wait_for_log("memory limit changed")
        assert changed["cgroup_limit"] == 512 * MIB and changed["previous_cgroup_limit"] == 256 * MIB
        assert (changed["gomemlimit"], changed["source"]) == (derive_gomemlimit(512 * MIB), "cgroup")
        # The runtime itself holds the new limit, as its own metric shows.
        _, body = get(f"http://{metrics_addr}/metrics")
        (line,) = [x for x in body.decode().splitlines() if x.startswith("go_gc_gomemlimit_bytes ")]
        assert float(line.split()[1]) == derive_gomemlimit(512 * MIB)
        assert service.stop() == 0
    finally:
        service.close()
