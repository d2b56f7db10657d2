"""One update of a repo at a time: real `scaffold update` processes started together, a lock held by another
process, and a fleet list naming one repo twice (once through a symlink)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.new import NewRequest, create
from generator.repo_lock import lock_path
from generator.sources import resolve
from tests.report_schema import report_json
from tests.template_repos import make_git_template, release
from tests.template_versions import GIT_IDENTITY, git, insert_before, is_merging, repo_state

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'
HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo made from a git template at v1.0.0, whose v2.0.0 labels the image."""
    template = make_git_template(tmp_path / "template")
    release(template, "v2.0.0", lambda t: insert_before(t / "template" / "Dockerfile.jinja", r"^ENTRYPOINT", LABEL))
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(str(template), "v1.0.0")))
    return repo


def run_scaffold(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SCAFFOLD, *args], cwd=cwd, env=dict(os.environ, **GIT_IDENTITY), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def update_merges(repo: Path) -> list[str]:
    return [line for line in git(repo, "log", "--format=%s", "--merges").splitlines() if line.startswith("Update")]


def test_an_update_while_another_holds_the_repo_is_refused_with_one_line_and_changes_nothing(repo: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path(repo))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        before = repo_state(repo)
        second = run_scaffold("update", cwd=repo)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 2, out + err
        assert out == "" and err.count("\n") == 1
        assert err.startswith("error: another scaffold update of") and "wait for it to finish" in err
        assert repo_state(repo) == before
    finally:
        holder.communicate("", timeout=30)
    after = run_scaffold("update", cwd=repo)  # the lock went with its holder
    out, err = after.communicate(timeout=300)
    assert after.returncode == 0, out + err
    assert out.startswith("Updated ")


def test_two_updates_started_together_apply_the_release_exactly_once(repo: Path) -> None:
    runs = [run_scaffold("update", cwd=repo) for _ in range(2)]
    outcomes = [(run.wait(timeout=300), *run.communicate()) for run in runs]

    updated = [out for code, out, _ in outcomes if code == 0 and out.startswith("Updated ")]
    assert len(updated) == 1, outcomes
    other = next(outcome for outcome in outcomes if not outcome[1].startswith("Updated "))
    assert other[0] in (0, 2), outcomes
    if other[0] == 2:  # it ran while the first held the repo
        assert "another scaffold update of" in other[2] and other[2].count("\n") == 1
    else:  # it started after the first had finished
        assert "is up to date with" in other[1]
    assert len(update_merges(repo)) == 1
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v2.0.0"
    assert 'vendor="svc"' in (repo / "Dockerfile").read_text()
    assert not is_merging(repo) and git(repo, "status", "--porcelain") == ""


def test_a_fleet_list_naming_one_repo_twice_through_a_symlink_updates_it_once(tmp_path: Path, repo: Path) -> None:
    (tmp_path / "alias").symlink_to(repo, target_is_directory=True)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo}\nalias\n{repo}/../svc\n")

    run = run_scaffold("update", "--from-file", str(listing), "--json", "--jobs", "2", cwd=tmp_path)
    out, err = run.communicate(timeout=600)

    assert run.returncode == 0, out + err
    rows = report_json(out)["repos"]
    assert [Path(row["repo"]) for row in rows] == [repo]
    assert rows[0]["result"] == "updated"
    assert len(update_merges(repo)) == 1
