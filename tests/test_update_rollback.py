"""An update whose git merge fails part way (a full disk): the rollback leaves the work tree, the index and
the untracked files exactly as they were, and when the rollback fails too, the advice printed works."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.new import NewRequest, create
from generator.sources import resolve
from tests.template_repos import make_git_template, release
from tests.template_versions import GIT_IDENTITY, git, insert_before, is_merging, repo_state

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'
NEW_FILE = "docs/SECURITY.md"

# git, except that `merge` writes its files, then loses the new file's index entry and fails as on a full
# disk; with FAULT_RESET set, `reset` fails the same way without running.
WRAPPER = """#!/bin/sh
sub=""
for arg in "$@"; do case "$arg" in -*) ;; *) sub=$arg; break ;; esac; done
if [ "$sub" = merge ] && [ "$(pwd -P)" = "$FAULT_REPO" ]; then
  "$REAL_GIT" "$@"
  "$REAL_GIT" rm -q --cached --ignore-unmatch "$NEW_FILE"
  echo "fatal: unable to write new index file: No space left on device" >&2
  exit 128
fi
if [ "$sub" = reset ] && [ -n "$FAULT_RESET" ] && [ "$(pwd -P)" = "$FAULT_REPO" ]; then
  echo "fatal: Unable to write new index file: No space left on device" >&2
  exit 128
fi
exec "$REAL_GIT" "$@"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    template = make_git_template(tmp_path / "template")

    def change(folder: Path) -> None:
        insert_before(folder / "template" / "Dockerfile.jinja", r"^ENTRYPOINT", LABEL)
        (folder / "template" / "docs").mkdir()
        (folder / "template" / NEW_FILE).write_text("Report problems privately.\n")

    release(template, "v2.0.0", change)
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(str(template), "v1.0.0")))
    (repo / ".git" / "info" / "exclude").write_text("local.env\n")
    (repo / "local.env").write_text("TOKEN=mine\n")  # an ignored file of the user's
    return repo


def run_update(repo: Path, wrapper: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **GIT_IDENTITY, **extra)
    if wrapper is not None:
        env.update(
            PATH=f"{wrapper}{os.pathsep}{os.environ['PATH']}", REAL_GIT=shutil.which("git") or "git",
            FAULT_REPO=str(repo.resolve()), NEW_FILE=NEW_FILE,
        )  # fmt: skip
    return subprocess.run([SCAFFOLD, "update"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def wrapper(tmp_path: Path) -> Path:
    folder = tmp_path / "wrapper"
    folder.mkdir()
    (folder / "git").write_text(WRAPPER)
    (folder / "git").chmod(0o755)
    return folder


def test_a_merge_cut_short_by_a_full_disk_is_rolled_back_to_exactly_the_files_before(repo: Path, wrapper: Path) -> None:
    before = repo_state(repo)

    run = run_update(repo, wrapper)

    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
    assert "No space left on device" in run.stderr and "is as it was before the update" in run.stderr
    assert repo_state(repo) == before  # files (untracked and ignored ones too), refs, HEAD, status
    assert not (repo / NEW_FILE).exists()
    again = run_update(repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (repo / NEW_FILE).is_file()


def test_when_the_rollback_fails_too_the_advice_printed_works_and_the_rerun_cleans_up(
    repo: Path, wrapper: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")

    run = run_update(repo, wrapper, FAULT_RESET="1")

    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and "putting" in run.stderr and "back failed too" in run.stderr
    advice = run.stderr.split("`")[1]
    assert advice == ("git merge --abort" if is_merging(repo) else f"git reset --hard {head[:12]}")
    subprocess.run(shlex.split(advice), cwd=repo, check=True, capture_output=True)  # the advice, as printed
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / NEW_FILE).exists()  # the untracked leftover of the cut-short merge

    again = run_update(repo)

    assert again.returncode == 0, again.stdout + again.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert (repo / "local.env").read_text() == "TOKEN=mine\n"
    assert (repo / NEW_FILE).read_text() == "Report problems privately.\n"
