"""The service derives GOMEMLIMIT from a real cgroup memory limit, with the generator's own rule."""

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.quantities import MIB, derive_gomemlimit, format_go_bytes
from tests.conftest import RenderRepo
from tests.service import RunningService, build_service, free_port, service_env

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


def start_in_cgroup(binary: Path, cgroup: Path, env: dict[str, str]) -> RunningService:
    # The shell moves itself into the cgroup, then becomes the service: the service starts inside it.
    script = f'echo $$ > {cgroup / "cgroup.procs"} && exec "$0"'
    return RunningService(["/bin/sh", "-c", script, str(binary)], env)


@pytest.mark.parametrize("limit_mib", [128, 256, 1024])
def test_service_with_no_gomemlimit_derives_it_from_its_cgroup_limit(
    limit_mib: int, memory_cgroup: tuple[Path, str], render_repo: RenderRepo, go_env: dict[str, str]
) -> None:
    cgroup, limit_file = memory_cgroup
    (cgroup / limit_file).write_text(str(limit_mib * MIB))
    binary = build_service(render_repo("cg-svc"), go_env)
    service = start_in_cgroup(binary, cgroup, service_env(go_env, PORT=str(free_port()), PPROF_ADDR="off"))
    try:
        logged = service.wait_for_log("memory limit")
        expected = derive_gomemlimit(limit_mib * MIB)
        assert logged["cgroup_limit"] == limit_mib * MIB
        assert logged["gomemlimit"] == expected
        assert logged["gomemlimit_human"] == format_go_bytes(expected)
        assert logged["source"] == "cgroup"
        service.wait_for_log("listening")
        assert service.stop() == 0
    finally:
        service.close()


def test_gomemlimit_above_the_cgroup_limit_is_lowered_with_a_warning(
    memory_cgroup: tuple[Path, str], render_repo: RenderRepo, go_env: dict[str, str]
) -> None:
    cgroup, limit_file = memory_cgroup
    (cgroup / limit_file).write_text(str(256 * MIB))
    binary = build_service(render_repo("cg-svc"), go_env)
    env = service_env(go_env, PORT=str(free_port()), PPROF_ADDR="off", GOMEMLIMIT="1GiB")
    service = start_in_cgroup(binary, cgroup, env)
    try:
        logged = service.wait_for_log("memory limit")
        assert logged["gomemlimit"] == derive_gomemlimit(256 * MIB) == 224 * MIB
        assert logged["source"] != "env"
        assert any(r["level"] == "WARN" and "GOMEMLIMIT" in r["msg"] for r in service.logs)
        assert service.stop() == 0
    finally:
        service.close()


def test_gomemlimit_within_the_cgroup_limit_is_kept(
    memory_cgroup: tuple[Path, str], render_repo: RenderRepo, go_env: dict[str, str]
) -> None:
    cgroup, limit_file = memory_cgroup
    (cgroup / limit_file).write_text(str(256 * MIB))
    binary = build_service(render_repo("cg-svc"), go_env)
    env = service_env(go_env, PORT=str(free_port()), PPROF_ADDR="off", GOMEMLIMIT="100MiB")
    service = start_in_cgroup(binary, cgroup, env)
    try:
        logged = service.wait_for_log("memory limit")
        assert (logged["gomemlimit"], logged["source"]) == (100 * MIB, "env")
        assert service.stop() == 0
    finally:
        service.close()
