"""Interrupted updates of a template with a secret answer, and the user's obvious next step.

Between its `git merge` and its own commit, an update still has work to do in the repo: fill the
secret answers' values back in where the merge saw placeholders (secret_merge), and run the
template's `after` migrations. A wrapper named `git`, first on PATH, stops scaffold at one git
command (SIGKILL, SIGTERM or SIGINT to its parent):

- killed after the merge, the user commits it by hand: the rerun refuses that commit (it holds the
  placeholder, not the secret) and names the reset that undoes it; then the update ends as an
  uninterrupted one;
- killed right after its own merge commit: that commit is complete, the rerun finds the repo up to date;
- killed once it wrote a secret's file with the placeholder, before HEAD moved: the rerun gives the value back;
- SIGTERM to a single `scaffold update`, Ctrl-C or SIGTERM during the merge of `scaffold apply` or
  `adopt`: the repo is put back; SIGTERM (acted on once the running git command ends) as they set their
  pristine branch, during adopt's commit or once their commit is made: the repo and its branches are put back too;
- `scaffold apply` killed in its merge: the rerun says how to undo it (`git merge --abort`, `git branch -D`),
  not to commit it.
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.template_repos import git, release

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
TOKEN = "S3cr3tT0ken"
COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja

service_name:
  type: str
  default: svc

api_token:
  type: str
  secret: true
  default: changeme
"""


def after_git(condition: str, then: str) -> str:
    """A script to put first on PATH as `git`: it runs the real git, then, when the shell test `condition`
    on git's arguments holds, runs `then` (which stops scaffold, its parent), and exits as git did."""
    return f'#!/bin/sh\n"$REAL_GIT" "$@"\nstatus=$?\nif {condition}; then {then}; fi\nexit $status\n'


KILL = 'kill -9 "$PPID"; sleep 5'  # the sleep: scaffold dies before this git returns to it


# The update-ref that points HEAD back at the user's commit, once the merge is made and before the
# secrets are filled in.
HEAD_PUT_BACK = '[ "$1" = update-ref ] && [ "$3" = "scaffold update" ] && [ "$4" = HEAD ]'
# Kill scaffold (the parent) right after it.
WRAPPER = after_git(HEAD_PUT_BACK, KILL)


def secret_template(path: Path) -> Path:
    """A template whose `secret.conf` holds a secret answer, tagged v1; v2 changes the line after it."""
    (path / "template").mkdir(parents=True)
    (path / "copier.yml").write_text(COPIER_YML)
    (path / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n{{ _copier_answers|to_nice_yaml -}}\n"
    )
    (path / "template" / "secret.conf.jinja").write_text("token = {{ api_token }}\nlevel = 1\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "v1")
    git(path, "tag", "v1")

    def change(t: Path) -> None:
        (t / "template" / "secret.conf.jinja").write_text("token = {{ api_token }}\nlevel = 2\n")

    release(path, "v2", change)
    return path


def scaffold(cwd: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, REAL_GIT=shutil.which("git") or "git")
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    return subprocess.run([SCAFFOLD, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def made_at_v1(tmp_path: Path) -> Path:
    """Make `svc` from the secret template at v1, with the secret given; return the repo."""
    template = secret_template(tmp_path / "template")
    made = scaffold(tmp_path, "new", "svc", "-t", str(template), "--vcs-ref", "v1", "--defaults",
                    "--data", f"api_token={TOKEN}")  # fmt: skip
    assert made.returncode == 0, made.stderr
    return tmp_path / "svc"


def git_wrapper(tmp_path: Path, script: str) -> str:
    """Write `script` as an executable named `git` in a folder of its own; return the folder, for PATH."""
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    (wrapper / "git").write_text(script)
    (wrapper / "git").chmod(0o755)
    return str(wrapper)


def test_committing_the_merge_of_a_killed_update_is_refused_until_undone_and_the_secret_survives(
    tmp_path: Path,
) -> None:
    repo = made_at_v1(tmp_path)
    wrapper = git_wrapper(tmp_path, WRAPPER)

    killed = scaffold(repo, "update", "--vcs-ref", "v2", path=wrapper)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert "scaffold-secret-api_token" in (repo / "secret.conf").read_text()  # the state the kill left
    git(repo, "commit", "-q", "--no-edit")  # git allows it: no conflicts

    again = scaffold(repo, "update", "--vcs-ref", "v2")
    assert again.returncode == 2, again.stdout + again.stderr
    assert "git reset --hard" in again.stderr, again.stderr
    assert "secret" in again.stderr, again.stderr
    reset = again.stderr.split("`git reset --hard ", 1)[1].split("`", 1)[0]
    git(repo, "reset", "-q", "--hard", reset)

    done = scaffold(repo, "update", "--vcs-ref", "v2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 2\n"
    assert git(repo, "status", "--porcelain") == ""
    checked = scaffold(repo, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


TERM_WRAPPER = after_git(HEAD_PUT_BACK, 'kill -TERM "$PPID"')


def test_a_single_update_stopped_by_sigterm_after_its_merge_puts_the_repo_back(tmp_path: Path) -> None:
    # `timeout`, a cancelled CI job or a service manager stop an update with SIGTERM: as with Ctrl-C,
    # nothing is left half done (the merge, the placeholders where the secret was), and the rerun updates.
    repo = made_at_v1(tmp_path)
    (repo / "notes.txt").write_text("our notes\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "Our notes")
    head, pristine = git(repo, "rev-parse", "HEAD", "scaffold/pristine").split()
    wrapper = git_wrapper(tmp_path, TERM_WRAPPER)

    stopped = scaffold(repo, "update", "--vcs-ref", "v2", path=wrapper)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stdout + stopped.stderr
    assert git(repo, "rev-parse", "HEAD", "scaffold/pristine").split() == [head, pristine]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 1\n"

    done = scaffold(repo, "update", "--vcs-ref", "v2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 2\n"


CHECKOUT_WRAPPER = after_git('[ "$1" = checkout ] && [ ! -e "$MARK" ]', ': > "$MARK"; ' + KILL)


def test_an_update_killed_once_it_hid_the_secrets_gives_them_back_on_the_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first file an update writes in the work tree is a secret's file, with the placeholder in place
    # of the value, for its merge. Killed right then, HEAD has not moved: the rerun gives the value back
    # (it must not refuse the file as an uncommitted change the user would then commit or stash).
    repo = made_at_v1(tmp_path)
    wrapper = git_wrapper(tmp_path, CHECKOUT_WRAPPER)
    monkeypatch.setenv("MARK", str(tmp_path / "killed-once"))
    killed = scaffold(repo, "update", "--vcs-ref", "v2", path=wrapper)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert "scaffold-secret-api_token" in (repo / "secret.conf").read_text()  # the state the kill left

    again = scaffold(repo, "update", "--vcs-ref", "v2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 2\n"
    assert git(repo, "status", "--porcelain") == ""


INT_WRAPPER = after_git('[ "$1" = merge ] && [ ! -e "$MARK" ]', ': > "$MARK"; kill -"$SIGNAL" "$PPID"')

CI_COPIER_YML = """\
_answers_file: .copier-answers.ci.yml
_templates_suffix: .jinja

ci_token:
  type: str
  secret: true
  default: changeme
"""


def ci_template(path: Path) -> Path:
    """A second template (its own answers file, a secret `ci_token` in `ci.conf`), tagged v1, for `scaffold apply`."""
    path.mkdir()
    (path / "copier.yml").write_text(CI_COPIER_YML)
    (path / "{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers|to_nice_yaml -}}\n")
    (path / "ci.conf.jinja").write_text("ci_token = {{ ci_token }}\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "v1")
    git(path, "tag", "v1")
    return path


def copier_made(tmp_path: Path) -> Path:
    """Make `svc` from the secret template at v1 with plain `copier copy`, committed (not adopted); return it."""
    template = secret_template(tmp_path / "template")
    repo = tmp_path / "svc"
    made = subprocess.run(
        [str(Path(sys.executable).parent / "copier"), "copy", "--defaults", "--vcs-ref", "v1", "--data",
         f"api_token={TOKEN}", str(template), str(repo)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "made by copier")
    return repo


@pytest.mark.parametrize(("sent", "code"), [("INT", 130), ("TERM", 128 + signal.SIGTERM)])
def test_ctrl_c_or_sigterm_during_the_merge_of_scaffold_apply_puts_the_repo_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: str, code: int
) -> None:
    # Exit 130 (143) means nothing was written: not a merge left in progress with the secret's placeholder.
    repo = made_at_v1(tmp_path)
    ci = ci_template(tmp_path / "ci")
    head = git(repo, "rev-parse", "HEAD").strip()
    wrapper = git_wrapper(tmp_path, INT_WRAPPER)

    monkeypatch.setenv("MARK", str(tmp_path / "interrupted-once"))
    monkeypatch.setenv("SIGNAL", sent)
    stopped = scaffold(repo, "apply", "--template", str(ci), "--data", "ci_token=C1T0ken", path=wrapper)
    assert stopped.returncode == code, stopped.stdout + stopped.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "branch", "--list", "scaffold/pristine-ci") == ""

    applied = scaffold(repo, "apply", "--template", str(ci), "--data", "ci_token=C1T0ken")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (repo / "ci.conf").read_text() == "ci_token = C1T0ken\n"


COMMIT_WRAPPER = after_git('[ "$1" = commit ]', KILL)


def test_an_update_killed_just_after_its_own_commit_is_done_and_the_rerun_says_so(tmp_path: Path) -> None:
    # The update's merge commit is complete (values filled in): the rerun must not take it for a
    # hand-made commit of an unfinished merge and advise resetting it.
    repo = made_at_v1(tmp_path)
    wrapper = git_wrapper(tmp_path, COMMIT_WRAPPER)

    killed = scaffold(repo, "update", "--vcs-ref", "v2", path=wrapper)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    merged = git(repo, "rev-parse", "HEAD").strip()

    again = scaffold(repo, "update", "--vcs-ref", "v2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stdout, again.stdout
    assert git(repo, "rev-parse", "HEAD").strip() == merged
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 2\n"


@pytest.mark.parametrize(("sent", "code"), [("INT", 130), ("TERM", 128 + signal.SIGTERM)])
def test_ctrl_c_or_sigterm_during_the_merge_of_scaffold_adopt_leaves_no_merge_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: str, code: int
) -> None:
    repo = copier_made(tmp_path)
    head = git(repo, "rev-parse", "HEAD").strip()
    wrapper = git_wrapper(tmp_path, INT_WRAPPER)
    monkeypatch.setenv("MARK", str(tmp_path / "interrupted-once"))
    monkeypatch.setenv("SIGNAL", sent)

    stopped = scaffold(repo, "adopt", "--trust", path=wrapper)

    assert stopped.returncode == code, stopped.stdout + stopped.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    adopted = scaffold(repo, "adopt", "--trust")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert (repo / "secret.conf").read_text() == f"token = {TOKEN}\nlevel = 1\n"


TERM_AT_COMMIT_WRAPPER = """#!/bin/sh
if [ "$1" = commit ]; then kill -TERM "$PPID"; fi
exec "$REAL_GIT" "$@"
"""


def test_sigterm_during_the_commit_of_scaffold_adopt_leaves_the_repo_as_it_was(tmp_path: Path) -> None:
    # scaffold lets a running git command finish before it acts on SIGTERM: here that is adopt's own commit,
    # and exit 143 says the repo is as it was, so that commit must be undone too.
    repo = copier_made(tmp_path)
    head = git(repo, "rev-parse", "HEAD").strip()
    wrapper = git_wrapper(tmp_path, TERM_AT_COMMIT_WRAPPER)

    stopped = scaffold(repo, "adopt", path=wrapper)

    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stdout + stopped.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    adopted = scaffold(repo, "adopt")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr


KILL_AT_MERGE_WRAPPER = after_git('[ "$1" = merge ]', KILL)


def test_the_rerun_of_an_apply_killed_in_its_merge_says_how_to_undo_it_not_to_commit_it(tmp_path: Path) -> None:
    # The merge holds the secret's placeholder: committing it, as the usual "merge in progress" refusal
    # suggests, would put the placeholder on the branch. The refusal says what undoes it, in one line.
    repo = made_at_v1(tmp_path)
    ci = ci_template(tmp_path / "ci")
    wrapper = git_wrapper(tmp_path, KILL_AT_MERGE_WRAPPER)
    killed = scaffold(repo, "apply", "--template", str(ci), "--data", "ci_token=C1T0ken", path=wrapper)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr

    rerun = scaffold(repo, "apply", "--template", str(ci), "--data", "ci_token=C1T0ken")

    assert rerun.returncode == 2, rerun.stdout + rerun.stderr
    assert rerun.stderr == (
        f"error: an interrupted scaffold apply or adopt left its merge in progress in {repo}; undo it with "
        "`git merge --abort && git branch -D scaffold/pristine-ci` (a commit of it would miss what that command "
        "had still to write), then run it again\n"
    )
    subprocess.run("git merge --abort && git branch -D scaffold/pristine-ci", shell=True, cwd=repo, check=True)
    applied = scaffold(repo, "apply", "--template", str(ci), "--data", "ci_token=C1T0ken")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (repo / "ci.conf").read_text() == "ci_token = C1T0ken\n"


TERM_AFTER_WRAPPER = """#!/bin/sh
"$REAL_GIT" "$@"
status=$?
[ "$1" = commit ] && : > "$MARK.committed"
if [ "$1" = "$AFTER" ] && { [ -z "$ONCE_COMMITTED" ] || [ -e "$MARK.committed" ]; } && [ ! -e "$MARK" ]; then
  : > "$MARK"; kill -TERM "$PPID"
fi
exit $status
"""


@pytest.mark.parametrize("command", ["apply", "adopt"])
@pytest.mark.parametrize(("after", "once_committed"), [("update-ref", ""), ("rev-parse", "yes")])
def test_sigterm_after_any_git_command_of_apply_or_adopt_leaves_the_repo_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, after: str, once_committed: str
) -> None:
    # Exit 143 says the repo is as it was: also when SIGTERM (acted on once the running git command ends)
    # comes as the pristine branch is set, or once the command's commit is made.
    if command == "apply":
        repo = made_at_v1(tmp_path)
        args = ["apply", "--template", str(ci_template(tmp_path / "ci")), "--data", "ci_token=C1T0ken"]
    else:
        repo = copier_made(tmp_path)
        args = ["adopt"]
    head = git(repo, "rev-parse", "HEAD").strip()
    branches = git(repo, "branch", "--list", "scaffold/*")
    wrapper = git_wrapper(tmp_path, TERM_AFTER_WRAPPER)
    monkeypatch.setenv("MARK", str(tmp_path / "stopped"))
    monkeypatch.setenv("AFTER", after)
    monkeypatch.setenv("ONCE_COMMITTED", once_committed)

    stopped = scaffold(repo, *args, path=wrapper)

    assert (tmp_path / "stopped").exists()
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stdout + stopped.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "branch", "--list", "scaffold/*") == branches
    again = scaffold(repo, *args)
    assert again.returncode == 0, again.stdout + again.stderr
