"""A fleet run killed from outside (SIGKILL or SIGTERM to the parent): its workers stop, every repo is left
as it was or updated (never half merged), and no temporary checkout folder outlives the next run."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.new import NewRequest, create
from generator.sources import resolve
from tests.template_repos import make_git_template, release
from tests.template_versions import GIT_IDENTITY, git, insert_before, is_merging

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'


@pytest.fixture
def fleet(tmp_path: Path) -> list[Path]:
    """Four repos made from a git template at v1.0.0, whose v2.0.0 labels the image."""
    template = make_git_template(tmp_path / "template")
    release(template, "v2.0.0", lambda t: insert_before(t / "template" / "Dockerfile.jinja", r"^ENTRYPOINT", LABEL))
    repos = []
    for n in range(4):
        repo = tmp_path / f"svc{n}"
        create(NewRequest(name=f"svc{n}", dest=repo, source=resolve(str(template), "v1.0.0")))
        repos.append(repo)
    return repos


def descendants(pid: int) -> set[int]:
    """The live (not zombie) processes below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    live = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            live.add(pid)
    return live


def checkout_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("scaffold-checkouts-*"))


def slow_merges(bin_dir: Path) -> str:
    """A PATH whose `git` pauses a second before each merge, then runs the real git.

    It holds every update open long enough for a test to kill the run while updates are under way,
    however fast the machine (the pause is a window to act in, not a timing claim).
    """
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    real = shutil.which("git")
    wrapper.write_text(
        f'#!/bin/sh\nfor arg in "$@"; do [ "$arg" = merge ] && {{ sleep 1; break; }}; done\nexec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def start(args: list[str], tmp: Path, cwd: Path, path: str | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ, **GIT_IDENTITY, TMPDIR=str(tmp), PATH=path or os.environ["PATH"])
    return subprocess.Popen(
        [SCAFFOLD, *args], cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip


def wait_for(condition, limit: float = 240) -> bool:  # type: ignore[no-untyped-def]
    """Poll `condition` until it holds or `limit` seconds pass (a bound against hanging, not a timing claim)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_a_fleet_run_stops_its_workers_and_leaves_no_repo_half_merged(
    tmp_path: Path, fleet: list[Path], sig: signal.Signals
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = start(["update", *map(str, fleet), "--jobs", "2"], tmp, tmp_path, slow_merges(tmp_path / "bin"))
    journals = [repo / ".git" / "scaffold-update.json" for repo in fleet]
    workers: set[int] = set()

    def working() -> bool:
        workers.update(descendants(run.pid))
        return any(j.exists() for j in journals) or run.poll() is not None

    assert wait_for(working)
    assert run.poll() is None, "the run ended before any update started: nothing to kill"
    workers.update(descendants(run.pid))
    os.kill(run.pid, sig)
    run.communicate(timeout=240)

    assert wait_for(lambda: not alive(workers)), f"workers still running: {alive(workers)}"
    for repo in fleet:
        assert not is_merging(repo), repo
        assert git(repo, "status", "--porcelain", "--untracked-files=all") == "", repo
    if sig == signal.SIGTERM:
        assert checkout_folders(tmp) == []  # the parent cleaned up itself

    rerun = start(["update", *map(str, fleet), "--jobs", "2"], tmp, tmp_path)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, out + err
    assert checkout_folders(tmp) == []  # a killed run's folder is removed by the next run
    for repo in fleet:
        assert 'vendor="' in (repo / "Dockerfile").read_text()
        assert len([s for s in git(repo, "log", "--merges", "--format=%s").splitlines() if s.startswith("Update")]) == 1


def test_a_checkout_folder_of_a_running_run_is_left_alone(tmp_path: Path) -> None:
    from generator.checkouts import remove_leftovers, shared

    with shared() as folder:
        assert remove_leftovers(folder.parent) == []
        assert folder.is_dir()
    assert not folder.exists()
