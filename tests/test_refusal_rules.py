"""The states `scaffold update` refuses to start from (generator/refusals.py), each pinned on a tiny git repo.

No template is rendered: the repos hold a file or two, and pristine commits are plain commits with
scaffold's trailers. tests/test_update_states.py drives the same refusals through real updates.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.errors import RefusedError, TemplateRefusedError
from generator.merge_base import HISTORY, NEWEST, MergeBase
from generator.pristine import PRISTINE_BRANCH, PristineCommit, scratch_objects
from generator.refusals import (
    first_few,
    refuse_missing_answers,
    refuse_other_template,
    refuse_overwriting_untracked,
    refuse_unknown_base,
    refuse_unless_ready,
    refuse_unless_repo,
    usable_history,
)
from generator.rerender import Recorded

ANSWERS = ".copier-answers.yml"
A = "https://github.com/acme/a.git"
B = "https://github.com/acme/b.git"


IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def git(repo: Path, *args: str, env: dict[str, str] | None = None, input_text: str | None = None) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **IDENTITY, **(env or {})}
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env, input=input_text
    )
    return done.stdout.strip()


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def pristine_message(template: str, version: str) -> str:
    return f"Render\n\nScaffold-Template: {template}\nScaffold-Template-Version: {version}\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo on `main` whose one commit is a pristine render of template A 1.0.0 (made once per module)."""
    repo = tmp_path_factory.mktemp("made") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(
        repo, pristine_message(A, "1.0.0"), {ANSWERS: f"_commit: 1.0.0\n_src_path: {A}\nname: svc\n", "a.txt": "a\n"}
    )
    return repo


@pytest.fixture
def repo(made: Path, tmp_path: Path) -> Path:
    """A copy of `made` for one test to change."""
    return Path(shutil.copytree(made, tmp_path / "repo", symlinks=True))


def refusal(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(RefusedError) as raised:
        call(*args, **kwargs)  # type: ignore[operator]
    assert "\n" not in raised.value.message
    return raised.value.message


def recorded(version: str | None = "1.0.0", src: str = A, **answers: object) -> Recorded:
    return Recorded(ANSWERS, src, version, dict(answers))


# --- where the repo is


def test_a_path_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")

    message = refusal(refuse_unless_repo, tmp_path / "file")

    assert message == f"{tmp_path / 'file'} is not a folder; accepted: the folder of a repo made by scaffold new"


def test_a_folder_that_is_not_the_top_of_a_git_repo_is_refused(tmp_path: Path, repo: Path) -> None:
    (repo / "sub").mkdir()

    for folder in (tmp_path / "plain", repo / "sub"):
        folder.mkdir(exist_ok=True)
        message = refusal(refuse_unless_repo, folder)
        assert message.startswith(f"{folder} is not a git repository (or not its top folder)")
        assert message.endswith("accepted: the top folder of a repo made by scaffold new")
    refuse_unless_repo(repo)


# --- whether git is ready for a merge


def test_a_clean_repo_on_a_branch_is_ready(repo: Path) -> None:
    refuse_unless_ready(repo)


def test_a_repo_without_commits_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")

    assert (
        refusal(refuse_unless_ready, tmp_path)
        == f"{tmp_path} has no commits yet; accepted: a repo made by scaffold new"
    )


def test_a_folder_that_is_not_a_repo_is_refused_before_anything_else(tmp_path: Path) -> None:
    assert "is not a git repository" in refusal(refuse_unless_ready, tmp_path)


def test_an_index_lock_is_refused_naming_the_file_to_delete(repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    lock.write_text("")

    assert refusal(refuse_unless_ready, repo) == (
        f"{lock} exists: another git command is running in {repo}, or one was killed; "
        "if none is running, delete that file, then update again"
    )


@pytest.mark.parametrize(
    ("state", "what", "finish", "abort"),
    [
        ("rebase-merge/", "a rebase", "git rebase --continue", "git rebase --abort"),
        ("rebase-apply/applying", "a `git am`", "git am --continue", "git am --abort"),
        ("rebase-apply/", "a rebase", "git rebase --continue", "git rebase --abort"),
        ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue", "git cherry-pick --abort"),
        ("REVERT_HEAD", "a revert", "git revert --continue", "git revert --abort"),
        ("sequencer/", "a cherry-pick or revert", "git cherry-pick --continue", "git cherry-pick --abort"),
        ("BISECT_START", "a bisect", "git bisect good/bad", "git bisect reset"),
        ("MERGE_HEAD", "a merge", "resolve the conflicts and `git commit`", "git merge --abort"),
    ],
)
def test_a_git_operation_in_progress_is_refused_saying_how_to_finish_or_abort_it(
    repo: Path, state: str, what: str, finish: str, abort: str
) -> None:
    path = repo / ".git" / state
    if state.endswith("/"):
        path.mkdir()
    else:
        path.parent.mkdir(exist_ok=True)
        path.write_text(git(repo, "rev-parse", "HEAD") + "\n")

    assert refusal(refuse_unless_ready, repo) == (
        f"{what} is in progress in {repo}; finish it ({finish}) or abort it ({abort}), then update again"
    )


def test_a_git_operation_is_found_in_a_linked_worktree_too(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "other", str(linked))
    (Path(git(linked, "rev-parse", "--absolute-git-dir")) / "MERGE_HEAD").write_text(git(repo, "rev-parse", "HEAD"))

    assert refusal(refuse_unless_ready, linked).startswith(f"a merge is in progress in {linked};")
    refuse_unless_ready(repo)  # the main worktree has no merge going on


@pytest.mark.parametrize(
    ("files", "named"),
    [
        ({"a.txt": "edited\n"}, "a.txt"),
        ({"b": "", "e": ""}, "b and 1 more"),
        ({"b": "", "c/d": "", "c/e": ""}, "b and 2 more"),  # each new file counts, not its new folder
    ],
)
def test_uncommitted_changes_are_refused_naming_the_first_and_how_many_more(
    repo: Path, files: dict[str, str], named: str
) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text(text)

    assert refusal(refuse_unless_ready, repo) == (
        f"{repo} has uncommitted changes ({named}); commit or stash them, then update again"
    )


def test_untracked_files_are_uncommitted_changes_even_where_the_users_config_hides_them(repo: Path) -> None:
    git(repo, "config", "status.showUntrackedFiles", "no")
    (repo / "new").mkdir()
    (repo / "new" / "notes.txt").write_text("mine\n")

    assert "has uncommitted changes (new/notes.txt);" in refusal(refuse_unless_ready, repo)


def test_a_detached_head_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")

    assert refusal(refuse_unless_ready, repo) == (
        f"{repo} has a detached HEAD, and an update commits a merge on a branch; "
        "accepted: a branch checked out (git switch main)"
    )


def test_a_detached_head_is_told_to_switch_to_a_branch_the_repo_has(repo: Path) -> None:
    # git init's default branch is master on many machines: `git switch main` would fail there
    git(repo, "branch", "-q", "-m", "main", "master")
    git(repo, "branch", "-q", PRISTINE_BRANCH)
    git(repo, "checkout", "-q", "--detach")

    assert refusal(refuse_unless_ready, repo).endswith("accepted: a branch checked out (git switch master)")
    git(repo, "switch", "-q", PRISTINE_BRANCH)
    assert refusal(refuse_unless_ready, repo).endswith("accepted: your own branch (git switch master)")


@pytest.mark.parametrize(
    ("branches", "named"),
    [
        (["trunk"], "trunk"),  # scaffold/pristine sorts before it, and is never the user's branch
        (["alpha", "main"], "main"),  # main first when the repo has one
        ([], "main"),  # no branch of the user's own (a tag is no branch): main, as git init names it
    ],
)
def test_the_branch_a_refusal_names_is_one_of_the_users_own(repo: Path, branches: list[str], named: str) -> None:
    git(repo, "branch", "-q", PRISTINE_BRANCH)
    git(repo, "tag", "a-tag")
    for branch in branches:
        if branch != "main":  # the repo's own branch already
            git(repo, "branch", "-q", branch)
    git(repo, "checkout", "-q", "--detach")
    if "main" not in branches:
        git(repo, "branch", "-q", "-D", "main")

    assert refusal(refuse_unless_ready, repo).endswith(f"accepted: a branch checked out (git switch {named})")


def start_render_merge(repo: Path, branch: str | None, message: str) -> str:
    """Begin, as apply and adopt do, a merge of an unrelated commit (`message`) that `branch` points at."""
    git(repo, "switch", "-q", "--orphan", "render")
    commit(repo, message, {"ci.conf": "ci\n"})
    render = git(repo, "rev-parse", "HEAD")
    git(repo, "switch", "-q", "main")
    git(repo, "branch", "-q", "-D", "render")
    if branch is not None:
        git(repo, "branch", "-q", branch, render)
    git(repo, "merge", "--quiet", "--no-ff", "--no-commit", "--allow-unrelated-histories", render)
    return render


@pytest.mark.parametrize(
    ("branch", "undo"),
    [
        ("scaffold/pristine-ci", "git merge --abort && git branch -D scaffold/pristine-ci"),  # apply's branch
        (None, "git merge --abort"),  # adopt points scaffold/pristine only once its merge is committed
        ("mine", "git merge --abort"),  # only scaffold's own branches are named for deletion
    ],
)
def test_a_merge_of_a_pristine_render_left_by_apply_or_adopt_is_refused_naming_the_undo(
    repo: Path, branch: str | None, undo: str
) -> None:
    git(repo, "branch", "-q", "scaffold/pristine-other")  # a scaffold branch elsewhere is left alone
    start_render_merge(repo, branch, pristine_message(B, "2.0.0"))

    assert refusal(refuse_unless_ready, repo) == (
        f"an interrupted scaffold apply or adopt left its merge in progress in {repo}; undo it with `{undo}` "
        "(a commit of it would miss what that command had still to write), then run it again"
    )


def test_a_merge_of_an_unrelated_commit_that_is_no_pristine_render_is_an_ordinary_merge(repo: Path) -> None:
    start_render_merge(repo, "scaffold/pristine-ci", "Import the CI files\n\nScaffold-Template: not a version\n")

    assert refusal(refuse_unless_ready, repo).startswith(f"a merge is in progress in {repo}; finish it")


def test_a_merge_head_naming_no_commit_is_an_ordinary_merge_in_progress(repo: Path) -> None:
    (repo / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")  # left by a crash, or written by another tool

    assert refusal(refuse_unless_ready, repo).startswith(f"a merge is in progress in {repo}; finish it")


def test_a_merge_of_a_pristine_commit_with_parents_is_an_ordinary_merge(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "update")
    commit(repo, pristine_message(A, "2.0.0"), {"a.txt": "a2\n"})
    git(repo, "switch", "-q", "main")
    commit(repo, "Ours", {"b.txt": "b\n"})
    git(repo, "merge", "--quiet", "--no-ff", "--no-commit", "update")

    assert refusal(refuse_unless_ready, repo).startswith(f"a merge is in progress in {repo}; finish it")


def test_the_pristine_branch_checked_out_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", PRISTINE_BRANCH)

    assert refusal(refuse_unless_ready, repo) == (
        f"{repo} has {PRISTINE_BRANCH} checked out; accepted: your own branch (git switch main)"
    )


# --- which template version the branch contains


def test_history_without_a_pristine_render_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    commit(tmp_path, "Plain commit", {ANSWERS: "_commit: 1.0.0\n"})

    message = refusal(usable_history, tmp_path, recorded())

    assert message == (
        f"{tmp_path} has no pristine render in its history (the commit scaffold new makes, with a "
        "Scaffold-Template-Version trailer), so there is nothing to merge from; accepted: a repo made by "
        "scaffold new with git, cloned with its full history, or one made by copier copy or by hand once "
        "`scaffold adopt` has recorded its pristine render"
    )


def test_the_pristine_render_of_another_template_applied_beside_is_no_history_for_this_one(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    commit(tmp_path, pristine_message(B, "2.0.0"), {".copier-answers.ci.yml": f"_src_path: {B}\n"})
    commit(tmp_path, "Answers of A, without a render", {ANSWERS: f"_commit: 1.0.0\n_src_path: {A}\n"})

    assert "has no pristine render in its history" in refusal(usable_history, tmp_path, recorded())


def test_an_answers_file_without_commit_is_refused_listing_the_versions_the_history_holds(repo: Path) -> None:
    render = git(repo, "rev-parse", "HEAD")
    for step in (1, 2):  # two updates to 1.1.0 (the same version twice: named once), each merging its render
        git(repo, "checkout", "-q", "--detach", render)
        render = commit(repo, pristine_message(A, "1.1.0"), {f"b{step}.txt": "b\n"})
        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--no-ff", "-m", "Merge", render)

    message = refusal(usable_history, repo, recorded(version=None))

    assert message == (
        f"{ANSWERS} in {repo} has no _commit, so the template version the repo is on is unknown; "
        "accepted: one of the versions its history holds (1.1.0, 1.0.0); restore it with `git checkout`"
    )


def test_usable_history_is_the_pristine_history_of_the_answers_file(repo: Path) -> None:
    (history,) = usable_history(repo, recorded())

    assert (history.sha, history.template, history.version) == (git(repo, "rev-parse", "HEAD"), A, "1.0.0")


HISTORY_OF_A = [PristineCommit("2" * 40, A, "1.1.0"), PristineCommit("1" * 40, A, "1.0.0")]


def base(found: str, template: str = A) -> MergeBase:
    return MergeBase(PristineCommit("2" * 40, template, "1.1.0"), found)


def test_a_commit_that_is_no_version_of_a_bundled_template_is_refused_when_only_the_newest_render_remains() -> None:
    bundled = recorded("9.9.9", src="bundled:go-service")
    history = [PristineCommit("2" * 40, "bundled:go-service", v) for v in ("1.1.0", "1.0.0", "1.1.0")]

    message = refusal(refuse_unknown_base, Path("/r"), bundled, history, base(NEWEST, "bundled:go-service"))

    assert message == (
        f"_commit '9.9.9' in {ANSWERS} of /r is not a version of template bundled:go-service; "
        "accepted: one of the versions its history holds (1.1.0, 1.0.0)"
    )


def test_a_commit_that_is_no_version_at_all_is_refused_for_a_git_template_too() -> None:
    message = refusal(refuse_unknown_base, Path("/r"), recorded("not a version"), HISTORY_OF_A, base(NEWEST))

    assert message.startswith(f"_commit 'not a version' in {ANSWERS} of /r is not a version of template {A};")


def test_a_git_templates_newer_release_is_accepted_as_copier_update_may_have_moved_on() -> None:
    refuse_unknown_base(Path("/r"), recorded("1.2.0"), HISTORY_OF_A, base(NEWEST))


def test_a_version_the_history_holds_or_a_base_found_in_history_is_accepted() -> None:
    bundled = "bundled:go-service"
    history = [PristineCommit("2" * 40, bundled, "1.1.0"), PristineCommit("1" * 40, bundled, "1.0.0")]

    refuse_unknown_base(Path("/r"), recorded("1.0.0", src=bundled), history, base(NEWEST, bundled))
    refuse_unknown_base(Path("/r"), recorded("9.9.9", src=bundled), history, base(HISTORY, bundled))


def test_a_src_path_other_than_the_base_template_is_refused_unless_moving() -> None:
    message = refusal(refuse_unknown_base, Path("/r"), recorded("1.0.0", src=B), HISTORY_OF_A, base(HISTORY))

    assert message == (
        f"_src_path {B} in {ANSWERS} of /r is not the template its history was rendered from ({A}); "
        f"accepted: {A}, or move the repo with scaffold update --template SRC"
    )
    refuse_unknown_base(Path("/r"), recorded("1.0.0", src=B), HISTORY_OF_A, base(HISTORY), moving=True)
    refuse_unknown_base(Path("/r"), recorded("1.0.0", src=A.removesuffix(".git")), HISTORY_OF_A, base(HISTORY))


# --- which template the repo was made from


def test_a_src_path_naming_a_template_the_history_never_rendered_is_refused(repo: Path) -> None:
    history = [PristineCommit("2" * 40, A, "1.1.0"), PristineCommit("1" * 40, "https://example.com/c.git", "1.0")]

    message = refusal(refuse_other_template, repo, recorded(src=B), history)

    assert message == (
        f"_src_path {B} in {ANSWERS} of {repo} is not the template its history was rendered from ({A}); "
        f"accepted: {A}, or move the repo with scaffold update --template SRC"
    )


def test_any_template_of_the_history_or_no_history_at_all_is_accepted(repo: Path) -> None:
    older = [PristineCommit("2" * 40, B, "2.0.0"), PristineCommit("1" * 40, A, "1.0.0")]

    refuse_other_template(repo, recorded(src=A), older)  # an older render of A: the repo moved away and back
    refuse_other_template(repo, recorded(src="https://GitHub.com/acme/a"), older[:1] + older)
    refuse_other_template(repo, recorded(src=B), [])


def test_the_template_of_the_local_pristine_branch_is_accepted(repo: Path) -> None:
    # a squash-merged `update --template B`: only the pristine branch holds B's render
    git(repo, "checkout", "-q", "--orphan", "render-b")
    sha = commit(repo, pristine_message(B, "2.0.0"), {ANSWERS: f"_commit: 2.0.0\n_src_path: {B}\n"})
    git(repo, "checkout", "-q", "main")
    history = [PristineCommit("1" * 40, A, "1.0.0")]
    assert "is not the template its history" in refusal(refuse_other_template, repo, recorded(src=B), history)

    git(repo, "branch", PRISTINE_BRANCH, sha)

    refuse_other_template(repo, recorded(src=B), history)
    other = "https://example.com/c.git"
    assert refusal(refuse_other_template, repo, recorded(src=other), history).startswith(f"_src_path {other} in")


def test_a_template_applied_beside_another_is_found_on_its_own_pristine_branch(repo: Path) -> None:
    ci = ".copier-answers.ci.yml"
    git(repo, "checkout", "-q", "--orphan", "render-ci")
    sha = commit(repo, pristine_message(B, "2.0.0"), {ci: f"_commit: 2.0.0\n_src_path: {B}\n"})
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "scaffold/pristine-ci", sha)  # `scaffold apply` made it; there is no scaffold/pristine
    history = [PristineCommit("1" * 40, A, "1.0.0")]

    refuse_other_template(repo, Recorded(ci, B, "2.0.0", {}), history)


def test_a_render_of_that_template_for_another_answers_file_does_not_count(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "render-b")
    git(repo, "rm", "-rfq", ".")
    sha = commit(repo, pristine_message(B, "2.0.0"), {".copier-answers.ci.yml": f"_src_path: {B}\n"})
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", PRISTINE_BRANCH, sha)

    message = refusal(refuse_other_template, repo, recorded(src=B), [PristineCommit("1" * 40, A, "1.0.0")])

    assert message.startswith(f"_src_path {B} in {ANSWERS} of {repo} is not the template its history")


# --- answers the answers file lost


@pytest.fixture
def rendered_with(repo: Path) -> PristineCommit:
    sha = commit(
        repo,
        pristine_message(A, "1.1.0"),
        {ANSWERS: f"_commit: 1.1.0\n_src_path: {A}\nname: svc\nport: 8080\ntier: gold\n"},
    )
    return PristineCommit(sha, A, "1.1.0")


def test_answers_the_render_had_and_the_answers_file_lacks_are_refused(
    repo: Path, rendered_with: PristineCommit
) -> None:
    short = rendered_with.sha[:12]

    message = refusal(refuse_missing_answers, repo, recorded(name="svc"), rendered_with, [])

    assert message == (
        f"{ANSWERS} in {repo} lacks the answer(s) port, tier it was rendered with; "
        f"accepted: restore them (git checkout {short} -- {ANSWERS} has them), or give them with --data port=VALUE"
    )


def test_answers_given_on_the_command_line_count_and_copiers_own_keys_are_not_answers(
    repo: Path, rendered_with: PristineCommit
) -> None:
    refuse_missing_answers(repo, recorded(name="svc", port=1), rendered_with, ["tier"])
    assert "the answer(s) tier it" in refusal(
        refuse_missing_answers, repo, recorded(name="svc"), rendered_with, ["port"]
    )


@pytest.mark.parametrize("content", ["- a list\n", "[unclosed\n", ""])
def test_an_old_answers_file_that_is_no_mapping_refuses_nothing(repo: Path, content: str) -> None:
    sha = commit(repo, "Old", {ANSWERS: content})

    refuse_missing_answers(repo, recorded(), PristineCommit(sha, A, "1.0.0"), [])


def test_an_old_answers_file_that_is_a_yaml_bomb_is_refused_naming_it_and_its_commit(repo: Path) -> None:
    sha = commit(repo, "Old", {ANSWERS: "name: &x [*x]\n"})

    with pytest.raises(TemplateRefusedError) as raised:
        refuse_missing_answers(repo, recorded(), PristineCommit(sha, A, "1.0.0"), [])

    assert raised.value.message.startswith(f"{ANSWERS} of {sha[:12]} has a YAML alias that contains itself;")


def test_a_render_in_a_scratch_object_store_is_read_from_it(repo: Path) -> None:
    with scratch_objects(repo) as env:
        blob = git(repo, "hash-object", "-w", "--stdin", env=env, input_text="name: svc\nport: 1\n")
        tree = git(repo, "mktree", env=env, input_text=f"100644 blob {blob}\t{ANSWERS}\n")
        sha = git(repo, "commit-tree", "-m", "Render", tree, env=env)
        assert subprocess.run(["git", "cat-file", "-e", sha], cwd=repo).returncode != 0  # not in the repo itself

        message = refusal(refuse_missing_answers, repo, recorded(name="svc"), PristineCommit(sha, A, "1.0.0"), [], env)

    assert "lacks the answer(s) port it was rendered with" in message


def test_a_render_without_the_answers_file_refuses_nothing(repo: Path) -> None:
    git(repo, "rm", "-q", ANSWERS)
    sha = commit(repo, "No answers", {})

    refuse_missing_answers(repo, recorded(), PristineCommit(sha, A, "1.0.0"), [])


# --- files git does not track where the update writes


@pytest.fixture
def with_ignored(repo: Path) -> Path:
    commit(repo, "Layout", {".gitignore": "build/\n*.log\nlinks/\n", "src/main.go": "package main\n"})
    (repo / "build").mkdir()
    (repo / "build" / "out").write_text("binary")
    (repo / "app.log").write_text("log")
    return repo


def test_an_ignored_file_where_the_update_writes_is_refused(with_ignored: Path) -> None:
    message = refusal(refuse_overwriting_untracked, with_ignored, ["src/main.go", "build/out", "README.md"])

    assert message == (
        f"{with_ignored} has files git does not track (ignored) where the update would write: build/out; "
        "move them out of the way (or commit them), then update again"
    )


def test_an_ignored_file_where_the_update_needs_a_folder_is_refused(with_ignored: Path) -> None:
    message = refusal(refuse_overwriting_untracked, with_ignored, ["app.log/inner.txt"])

    assert "where the update would write: app.log;" in message


def test_a_dangling_link_in_the_way_is_refused(with_ignored: Path) -> None:
    (with_ignored / "links").mkdir()
    (with_ignored / "links" / "gone").symlink_to(with_ignored / "nowhere")

    assert "would write: links/gone;" in refusal(refuse_overwriting_untracked, with_ignored, ["links/gone"])


def test_tracked_files_new_files_and_new_files_in_an_ignored_folder_are_not_in_the_way(with_ignored: Path) -> None:
    refuse_overwriting_untracked(with_ignored, ["src/main.go", "src/new.go", "build/new/x", "new/dir/file"])


def test_a_tracked_folder_the_update_turns_into_a_file_is_not_in_the_way(with_ignored: Path) -> None:
    commit(with_ignored, "Nested", {"src/pkg/deep/x.go": "package deep\n"})

    refuse_overwriting_untracked(with_ignored, ["src", "src/pkg", "src/pkg/deep"])


def test_an_ignored_file_behind_a_tracked_link_is_in_the_way(with_ignored: Path) -> None:
    (with_ignored / "out").symlink_to("build")
    commit(with_ignored, "Link", {})

    assert "would write: out/out;" in refusal(refuse_overwriting_untracked, with_ignored, ["out/out"])


def test_many_files_in_the_way_are_named_three_and_counted(with_ignored: Path) -> None:
    for name in ("a.log", "b.log", "c.log"):
        (with_ignored / name).write_text("")

    message = refusal(refuse_overwriting_untracked, with_ignored, ["c.log", "app.log", "b.log", "a.log", "build/out"])

    assert "would write: a.log, app.log, b.log and 2 more;" in message


def test_first_few_names_three_without_duplicates_and_counts_the_rest() -> None:
    assert first_few(["a", "b", "a", "c"]) == "a, b, c"
    assert first_few(["a", "b", "c", "d", "e", "b"]) == "a, b, c and 2 more"
    assert first_few(["a", "b", "c", "d"]) == "a, b, c and 1 more"
    assert first_few([]) == ""


def test_a_repo_whose_path_holds_a_line_break_is_looked_at_like_any_other(made: Path, tmp_path: Path) -> None:
    repo = Path(shutil.copytree(made, tmp_path / "line\nbreak", symlinks=True))
    refuse_unless_ready(repo)  # ready: each git path is read whole

    (repo / ".git" / "MERGE_HEAD").write_text(git(repo, "rev-parse", "HEAD"))
    with pytest.raises(RefusedError) as raised:  # the message names the path as it is, line break included
        refuse_unless_ready(repo)
    assert raised.value.message.startswith(f"a merge is in progress in {repo}; finish it")
