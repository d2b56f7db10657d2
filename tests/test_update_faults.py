"""`scaffold update` killed (SIGKILL) just before and just after each git command it runs in the repo.

A wrapper named `git`, first on PATH, counts the git commands the scaffold process (a real
subprocess) runs in the repo and, at the chosen one, SIGKILLs its parent (scaffold) before running
it or after it has run. Commands outside the repo (copier's, in the render folder; the merge of one
file in a temporary folder) and the `git config --get` identity probes cannot change the repo, so a
kill around them leaves the same state as a kill after the repo command before them.

After each kill the test takes the user's obvious next step: with a merge in progress, commit it if
git allows (`git commit`) or else `git merge --abort`; then `scaffold update` again, and, if that
leaves conflicts, resolve them as the uninterrupted run's were resolved. The final tree must equal
the uninterrupted update's, and the user's own files (committed or ignored) must never change.

A kill around a read-only command (rev-parse, status, log, cat-file, ...) leaves the repo as a kill
after the last writing command before it does, so by default only the commands that write are
swept; SCAFFOLD_FAULT_SWEEP=all sweeps every command. States that a kill leaves identically (the
same files, index, trees and merge state) are recovered once.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.new import NewRequest, create
from generator.sources import resolve
from generator.update_journal import JOURNAL_NAME
from tests.template_repos import make_git_template, release
from tests.template_versions import GIT_IDENTITY, append, commit_all, git, insert_before, repo_state, work_tree

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
USER_LABEL = 'LABEL team="payments"\n'
TEMPLATE_LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'
USER_FILE = "notes/ours.md"
IGNORED_FILE = "local.env"
READ_ONLY = {
    "rev-parse",
    "status",
    "symbolic-ref",
    "log",
    "cat-file",
    "ls-tree",
    "ls-files",
    "diff-tree",
    "diff",
    "merge-base",
}

WRAPPER = """#!/bin/sh
# Count the git commands run on $FAULT_REPO; at number $FAULT_AT, kill the parent (scaffold) before or
# after running it, or fail it without running it. Not counted: config reads, and commands that only
# happen to start there (copier's `git version` and clone, a bare `git init` in a temporary folder).
sub=""
for arg in "$@"; do case "$arg" in -*) ;; *) sub=$arg; break ;; esac; done
case "$sub" in config|version|clone|init) exec "$REAL_GIT" "$@" ;; esac
if [ "$(pwd -P)" = "$FAULT_REPO" ]; then
  n=$(($(cat "$FAULT_COUNT" 2>/dev/null || echo 0) + 1))
  echo "$n" > "$FAULT_COUNT"
  echo "$*" | head -n 1 >> "$FAULT_LOG"
  if [ "$n" = "$FAULT_AT" ] && [ "$FAULT_WHEN" = before ]; then kill -9 "$PPID"; exit 137; fi
  if [ "$n" = "$FAULT_AT" ] && [ "$FAULT_WHEN" = fail ]; then echo "fatal: injected failure" >&2; exit 128; fi
  "$REAL_GIT" "$@"
  status=$?
  if [ "$n" = "$FAULT_AT" ] && [ "$FAULT_WHEN" = after ]; then kill -9 "$PPID"; fi
  exit $status
fi
exec "$REAL_GIT" "$@"
"""


@dataclass(frozen=True)
class Scenario:
    """A prepared repo (copied for each run), the options of its update, and the uninterrupted outcome."""

    prepared: Path
    args: tuple[str, ...]
    wrapper_dir: Path
    final: tuple[dict[str, bytes], str]
    commands: list[str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git template released as v1.0.0, and v2.0.0 with a Dockerfile label, a new file and a removed one."""
    path = make_git_template(tmp_path_factory.mktemp("template") / "go-service")

    def change(folder: Path) -> None:
        insert_before(folder / "template" / "Dockerfile.jinja", r"^ENTRYPOINT", TEMPLATE_LABEL)
        (folder / "template" / "SECURITY.md").write_text("Report problems privately.\n")
        (folder / "template" / ".editorconfig").unlink()

    release(path, "v2.0.0", change)
    return path


def _run_scaffold(
    scenario_dir: Path, repo: Path, args: tuple[str, ...], at: int = 0, when: str = "none"
) -> subprocess.CompletedProcess[str]:
    count, log = repo.parent / "count", repo.parent / "log"
    count.unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    env = dict(
        os.environ,
        **GIT_IDENTITY,
        PATH=f"{scenario_dir}{os.pathsep}{os.environ['PATH']}",
        REAL_GIT=shutil.which("git") or "git",
        FAULT_REPO=str(repo.resolve()),
        FAULT_COUNT=str(count),
        FAULT_LOG=str(log),
        FAULT_AT=str(at),
        FAULT_WHEN=when,
    )
    return subprocess.run(
        [SCAFFOLD, "update", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _resolve(repo: Path) -> None:
    """Resolve what an update left as the user would: keep both sides of markers, apply each .rej; commit."""
    for rej in sorted(repo.rglob("*.rej")):
        git(repo, "apply", str(rej.relative_to(repo)))
        rej.unlink()
    for path in git(repo, "diff", "--name-only", "--diff-filter=U").split():
        lines = (repo / path).read_text().splitlines(keepends=True)
        (repo / path).write_text("".join(line for line in lines if line[:7] not in ("<<<<<<<", "=======", ">>>>>>>")))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-edit")


def _final(repo: Path) -> tuple[dict[str, bytes], str]:
    """The outcome to compare: every file, and HEAD's tree with its merged pristine render's tree."""
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not _merging(repo)
    return work_tree(repo), git(repo, "rev-parse", "HEAD^{tree}", "HEAD^2^{tree}")


def _merging(repo: Path) -> bool:
    return (repo / ".git" / "MERGE_HEAD").exists()


def _fingerprint(repo: Path) -> str:
    """What a kill left, without commit ids (which hold timestamps): files, index, trees, merge state, .rej."""
    parts = [
        repr(sorted(work_tree(repo).items())),
        git(repo, "ls-files", "--stage"),
        git(repo, "rev-parse", "HEAD^{tree}", *(["MERGE_HEAD^{tree}"] if _merging(repo) else [])),
        str((repo / ".git" / JOURNAL_NAME).exists()),
    ]
    refs = git(repo, "for-each-ref", "--format=%(refname)").split()
    parts.append(git(repo, "rev-parse", *(f"{ref}^{{tree}}" for ref in refs)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _prepare(root: Path, template: Path, conflicting: bool) -> Path:
    repo = root / "my-service"
    create(NewRequest(name="my-service", dest=repo, source=resolve(str(template), "v1.0.0")))
    (repo / "notes").mkdir()
    (repo / USER_FILE).write_text("# Our own notes\n")
    append(repo / ".gitignore", f"{IGNORED_FILE}\n")
    (repo / IGNORED_FILE).write_text("TOKEN=secret\n")
    if conflicting:
        insert_before(repo / "Dockerfile", r"^ENTRYPOINT", USER_LABEL)
    commit_all(repo, "Our changes")
    return repo


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Iterator[dict[str, Scenario]]:
    """The four updates under test, each prepared once and run once without faults."""
    made: dict[str, Scenario] = {}
    for conflicting in (False, True):
        for style in ("inline", "rej"):
            name = f"{'conflicting' if conflicting else 'clean'}-{style}"
            root = tmp_path_factory.mktemp(name)
            wrapper_dir = root / "bin"
            wrapper_dir.mkdir()
            (wrapper_dir / "git").write_text(WRAPPER)
            (wrapper_dir / "git").chmod(0o755)
            prepared = _prepare(root / "prepared", template, conflicting)
            args = ("--vcs-ref", "v2.0.0", "--conflict", style)
            reference = _copy(prepared, root / "reference")
            done = _run_scaffold(wrapper_dir, reference, args)
            assert done.returncode == (1 if conflicting else 0), done.stdout + done.stderr
            commands = (reference.parent / "log").read_text().split("\n")[:-1]  # not splitlines: \x1e is in one
            if conflicting:
                _resolve(reference)
            made[name] = Scenario(prepared, args, wrapper_dir, _final(reference), commands)
    yield made


def _copy(prepared: Path, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    dest = where / prepared.name
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(prepared, dest, symlinks=True)
    return dest


def _user_files(repo: Path) -> dict[str, bytes]:
    return {name: (repo / name).read_bytes() for name in (USER_FILE, IGNORED_FILE)}


@pytest.mark.parametrize("name", ["clean-inline", "clean-rej", "conflicting-inline", "conflicting-rej"])
def test_a_kill_before_or_after_any_git_command_loses_nothing_once_the_user_reruns(
    tmp_path: Path, scenarios: dict[str, Scenario], name: str
) -> None:
    scenario = scenarios[name]
    expected_user_files = _user_files(scenario.prepared)
    recovered: set[str] = set()
    sweep_all = os.environ.get("SCAFFOLD_FAULT_SWEEP") == "all"
    points = [at for at, command in enumerate(scenario.commands, 1) if sweep_all or _writes(command)]
    for at in points:
        for when in ("before", "after"):
            repo = _copy(scenario.prepared, tmp_path / "run")
            run = _run_scaffold(scenario.wrapper_dir, repo, scenario.args, at, when)
            where = f"killed {when} git command {at} ({scenario.commands[at - 1]})"
            assert run.returncode == -signal.SIGKILL, f"{where}: {run.stdout}{run.stderr}"
            assert _user_files(repo) == expected_user_files, where
            state = _fingerprint(repo)
            if state in recovered:
                continue
            recovered.add(state)
            if _merging(repo):
                unmerged = git(repo, "ls-files", "--unmerged")
                if unmerged:
                    git(repo, "merge", "--abort")
                else:  # git allows the commit: what the user did
                    if any(repo.rglob("*.rej")):
                        _resolve(repo)
                    else:
                        git(repo, "commit", "--quiet", "--no-edit")
            again = _run_scaffold(scenario.wrapper_dir, repo, scenario.args)
            assert again.returncode in (0, 1), f"{where}, then rerun: {again.stdout}{again.stderr}"
            if again.returncode == 1:
                _resolve(repo)
            assert _final(repo) == scenario.final, where
            assert _user_files(repo) == expected_user_files, where
    swept = {_subcommand(scenario.commands[at - 1]) for at in points}
    assert {"commit-tree", "update-ref", "merge", "checkout"} <= swept, swept  # every step that changes the repo
    assert len(recovered) > 3  # kills at different points leave different states, each recovered from


@pytest.mark.parametrize("name", ["clean-rej", "conflicting-rej"])
def test_a_failing_git_command_that_writes_leaves_the_repo_exactly_as_it_was(
    tmp_path: Path, scenarios: dict[str, Scenario], name: str
) -> None:
    scenario = scenarios[name]
    writes = [at for at, command in enumerate(scenario.commands, 1) if _writes(command)]
    assert len(writes) >= 6, scenario.commands
    for at in writes:
        repo = _copy(scenario.prepared, tmp_path / "run")
        before = repo_state(repo)
        run = _run_scaffold(scenario.wrapper_dir, repo, scenario.args, at, "fail")
        where = f"git command {at} ({scenario.commands[at - 1]}) failed"
        assert run.returncode == 2, f"{where}: {run.stdout}{run.stderr}"
        assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
        assert "injected failure" in run.stderr, where
        assert repo_state(repo) == before, where
        assert not (repo / ".git" / JOURNAL_NAME).exists(), where


def _subcommand(command: str) -> str:
    return next(word for word in command.split() if not word.startswith("-"))


def _writes(command: str) -> bool:
    return _subcommand(command) not in READ_ONLY
