"""One command writing a repo at a time: real `scaffold update` processes started together, a lock held by another
process (for `update`, `apply` and `adopt`), and a fleet list naming one repo twice (once through a symlink)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.new import NewRequest, create
from generator.repo_lock import lock_path
from generator.sources import resolve
from tests.hostile_templates import benign_template, git_template
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
        assert err.startswith(f"error: another scaffold update, apply or adopt of {repo} is running (it holds ")
        assert err.endswith("; wait for it to finish, then update again\n"), err
        assert repo_state(repo) == before
    finally:
        holder.communicate("", timeout=30)
    after = run_scaffold("update", cwd=repo)  # the lock went with its holder
    out, err = after.communicate(timeout=300)
    assert after.returncode == 0, out + err
    assert out.startswith("Updated ")


def held(lock: Path) -> subprocess.Popen[str]:
    """Another process holding the lock file `lock` until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def small_templates(root: Path) -> tuple[Path, Path]:
    """Two small git templates that fit in one repo: a service, and a CI template with its own answers file."""
    service = git_template(benign_template(root / "service"))
    ci = benign_template(root / "ci")
    (ci / "copier.yml").write_text("_answers_file: .copier-answers.ci.yml\nrunner:\n  type: str\n  default: ubuntu\n")
    (ci / "README.md.jinja").unlink()
    (ci / "ci").mkdir()
    (ci / "ci" / "pipeline.yml.jinja").write_text("runs-on: {{ runner }}\n")
    return service, git_template(ci)


@pytest.mark.parametrize("command", ["apply", "adopt"])
def test_apply_and_adopt_while_another_process_holds_the_repo_are_refused_with_one_line(
    tmp_path: Path, command: str
) -> None:
    service, ci = small_templates(tmp_path / "templates")
    if command == "apply":  # a repo made by scaffold, to which a second template is applied
        repo = tmp_path / "shop"
        create(NewRequest(name="shop", dest=repo, source=resolve(str(service), "v1.0.0")))
        args = ("apply", "--template", str(ci), str(repo))
    else:  # a repo made by hand, brought under scaffold update
        repo = tmp_path / "plain"
        repo.mkdir()
        (repo / "README.md").write_text("# made by hand\n")
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "By hand")
        args = ("adopt", str(repo), "--template", str(service))
    env = dict(os.environ, **GIT_IDENTITY)
    holder = held(lock_path(repo))
    try:
        before = repo_state(repo)
        refused = subprocess.run([SCAFFOLD, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stdout == "" and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr.startswith(f"error: another scaffold update, apply or adopt of {repo} is running")
        assert refused.stderr.endswith(f"; wait for it to finish, then {command} again\n"), refused.stderr
        assert repo_state(repo) == before
    finally:
        holder.communicate("", timeout=30)
    done = subprocess.run([SCAFFOLD, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr  # the lock was all that stood in the way
    assert repo_state(repo) != before


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
