"""`scaffold update` and `check` on odd repo states: abandoned merges, git operations half done, ignored files,
hand-edited answers, a failing commit signer, a repo last updated by copier, template renames.

Real git repos; where nothing may change, the files, refs, HEAD and status are compared byte for byte.
"""

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator.check import check_repo
from generator.new import NewRequest, create
from generator.sources import TemplateSource, resolve
from generator.update import UpdateRequest, update
from tests.cli import scaffold
from tests.conftest import RenderRepo
from tests.template_repos import make_git_template, release
from tests.template_versions import (
    append,
    commit_all,
    git,
    insert_before,
    is_merging,
    repo_state,
    template_file,
    work_tree,
)

TEMPLATE_LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'
RENDERED_LABEL = 'LABEL org.opencontainers.image.vendor="my-service"'
USER_LABEL = 'LABEL team="payments"\n'


def label_in_dockerfile(template: Path) -> None:
    insert_before(template_file(template, "Dockerfile.jinja"), r"^ENTRYPOINT", TEMPLATE_LABEL)


@pytest.fixture
def repo(render_repo: RenderRepo) -> Path:
    return render_repo("my-service")


def refused(repo: Path, *args: str) -> str:
    """Run `scaffold update` expecting a refusal with nothing changed; return its one-line message."""
    before = repo_state(repo)
    code, out, err = scaffold(repo, "update", *args)
    assert code == 2, out + err
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert repo_state(repo) == before
    return err


def test_a_release_committed_without_its_changes_is_offered_again_and_check_says_behind(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    insert_before(repo / "Dockerfile", r"^ENTRYPOINT", USER_LABEL)
    commit_all(repo, "Label the image")
    installed(new_version(label_in_dockerfile))
    code, _, _ = scaffold(repo, "update")
    assert code == 1 and is_merging(repo)
    git(repo, "checkout", "HEAD", "--", ".")  # the user keeps their side of everything, answers file included
    git(repo, "commit", "--quiet", "--no-edit")
    assert RENDERED_LABEL not in (repo / "Dockerfile").read_text()

    report = check_repo(repo)

    assert report.status == "behind, drifted"  # behind: the release is not in the branch
    assert {f.path: f.status for f in report.drifted} == {"Dockerfile": "modified+outdated"}
    code, out, _ = scaffold(repo, "update")
    assert code == 1, out  # offered again: the same conflict, not "up to date"
    assert "conflicted  Dockerfile" in out and RENDERED_LABEL in (repo / "Dockerfile").read_text()


def test_a_stale_index_lock_is_refused_before_anything_is_written(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("")

    message = refused(repo, "--data", "memory_limit=1Gi")

    assert "index.lock exists" in message and "delete that file" in message


@pytest.mark.parametrize("how", ["gitignore", "info-exclude"])
def test_an_ignored_file_where_the_release_adds_one_is_refused_by_name_then_the_update_settles(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None], how: str
) -> None:
    if how == "gitignore":
        append(repo / ".gitignore", "local.env\n")
        commit_all(repo, "Keep local settings out of git")
    else:
        append(repo / ".git" / "info" / "exclude", "local.env\n")
    (repo / "local.env").write_text("TOKEN=secret\n")
    installed(new_version(lambda t: template_file(t, "local.env").write_text("PORT=8080\n")))

    message = refused(repo)

    assert "where the update would write: local.env;" in message
    (repo / "local.env").rename(repo.parent / "local.env.mine")
    code, out, _ = scaffold(repo, "update")
    assert code == 0 and "added    local.env" in out, out
    assert (repo / "local.env").read_text() == "PORT=8080\n"
    assert scaffold(repo, "update")[1].endswith("nothing to do.\n")
    report = check_repo(repo)
    assert not report.behind  # settled; the edited .gitignore (a seeded file) is the only local change
    assert report.drifted == []
    assert [f.path for f in report.seeded_edits] == ([".gitignore"] if how == "gitignore" else [])


def test_files_excluded_through_info_exclude_still_land_in_the_pristine_render_so_updates_settle(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    append(repo / ".git" / "info" / "exclude", "*.md\n")
    installed(new_version(lambda t: template_file(t, "SECURITY.md").write_text("Report problems privately.\n")))

    first = update(UpdateRequest(repo=repo))
    head = git(repo, "rev-parse", "HEAD")
    second = update(UpdateRequest(repo=repo))

    assert first.merge_commit is not None and (repo / "SECURITY.md").is_file()
    assert second.up_to_date and git(repo, "rev-parse", "HEAD") == head
    assert check_repo(repo).status == "up to date"


def test_rej_refuses_to_overwrite_an_existing_rej_file_and_leaves_everything_as_it_was(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    insert_before(repo / "Dockerfile", r"^ENTRYPOINT", USER_LABEL)
    append(repo / ".gitignore", "*.rej\n")
    commit_all(repo, "Label the image")
    (repo / "Dockerfile.rej").write_text("my own notes\n")
    installed(new_version(label_in_dockerfile))
    journal = repo / ".git" / "scaffold-update.json"

    message = refused(repo, "--conflict", "rej")

    assert "Dockerfile.rej already exists" in message and "is as it was before the update" in message
    assert not journal.exists() and git(repo, "branch", "--list", "scaffold/pristine").strip()


def _rebase_stopped_at_edit(repo: Path) -> None:
    append(repo / "README.md", "More.\n")
    commit_all(repo, "More docs")
    env = dict(os.environ, GIT_SEQUENCE_EDITOR="sed -i 1s/^pick/edit/")
    subprocess.run(["git", "rebase", "-i", "HEAD~1"], cwd=repo, env=env, check=True, capture_output=True)


def _conflicting_pick(repo: Path, command: str) -> None:
    git(repo, "switch", "--quiet", "-c", "other")
    append(repo / "README.md", "Theirs.\n")
    commit_all(repo, "Theirs")
    git(repo, "switch", "--quiet", "-")
    append(repo / "README.md", "Ours.\n")
    commit_all(repo, "Ours")
    if command == "am":
        patch = git(repo, "format-patch", "-1", "other", "--stdout")
        subprocess.run(["git", "am"], cwd=repo, input=patch, text=True, capture_output=True, check=False)
    elif command == "revert":
        subprocess.run(["git", "revert", "--no-edit", "HEAD~1"], cwd=repo, capture_output=True, check=False)
        append(repo / "README.md", "again\n")
        commit_all(repo, "Again")
        subprocess.run(["git", "revert", "--no-edit", "HEAD~1"], cwd=repo, capture_output=True, check=False)
    else:
        subprocess.run(["git", command, "other"], cwd=repo, capture_output=True, check=False)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("detached", "has a detached HEAD"),
        ("rebase-edit", "a rebase is in progress"),
        ("cherry-pick", "a cherry-pick is in progress"),
        ("revert", "a revert is in progress"),
        ("am", "a `git am` is in progress"),
        ("bisect", "a bisect is in progress"),
        ("merge", "a merge is in progress"),
    ],
)
def test_a_git_operation_half_done_or_a_detached_head_is_refused(repo: Path, case: str, expected: str) -> None:
    if case == "detached":
        git(repo, "checkout", "--quiet", "--detach")
    elif case == "rebase-edit":
        _rebase_stopped_at_edit(repo)
        assert git(repo, "status", "--porcelain") == ""  # a clean tree: only the rebase is in the way
    elif case == "bisect":
        git(repo, "bisect", "start")
    else:
        _conflicting_pick(repo, case)

    assert expected in refused(repo, "--data", "memory_limit=1Gi")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"_commit": "banana"}, "_commit 'banana' in .copier-answers.yml"),
        ({"_commit": None}, "has no _commit"),
        ({"_src_path": "gh:someone/other-template"}, "is not the template its history was rendered from"),
        ({"service_name": None}, "lacks the answer(s) service_name"),
    ],
    ids=["commit-banana", "no-commit", "src-path-edited", "answer-missing"],
)
def test_answers_that_contradict_the_history_are_refused(
    repo: Path, answers: dict[str, str | None], expected: str
) -> None:
    path = repo / ".copier-answers.yml"
    data = yaml.safe_load(path.read_text())
    for key, value in answers.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    commit_all(repo, "Edit the answers by hand")

    assert expected in refused(repo)


def test_update_template_moves_the_repo_to_another_template_explicitly(tmp_path: Path, repo: Path) -> None:
    other = make_git_template(tmp_path / "other-template")
    release(other, "v1.1.0", lambda t: template_file(t, "CODEOWNERS").write_text("* @platform\n"))
    fresh = tmp_path / "fresh" / "my-service"
    create(NewRequest(name="my-service", dest=fresh, source=resolve(str(other), "v1.1.0"), git_init=False))

    code, out, err = scaffold(repo, "update", "--template", str(other), "--vcs-ref", "v1.1.0")

    assert code == 0, out + err
    assert work_tree(repo) == work_tree(fresh)
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (str(other.resolve()), "v1.1.0")
    code, out, _ = scaffold(repo, "update", "--vcs-ref", "v1.1.0")
    assert code == 0 and out.endswith("nothing to do.\n"), out
    assert check_repo(repo, resolve(str(other), "v1.1.0")).status == "up to date"


def test_a_failing_commit_signer_is_refused_with_the_repo_exactly_as_it_was(repo: Path) -> None:
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "false")
    journal = repo / ".git" / "scaffold-update.json"

    message = refused(repo, "--data", "memory_limit=1Gi")

    assert "failed" in message and not journal.exists()


def test_an_update_after_copier_update_merges_the_answers_file_without_a_conflict(tmp_path: Path) -> None:
    template = make_git_template(tmp_path / "template")
    release(template, "v2.0.0", label_in_dockerfile)
    release(template, "v3.0.0", lambda t: template_file(t, "SECURITY.md").write_text("Privately.\n"))
    repo = tmp_path / "my-service"
    create(NewRequest(name="my-service", dest=repo, source=resolve(str(template), "v1.0.0")))
    from copier import run_update

    run_update(str(repo), vcs_ref="v2.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True)
    commit_all(repo, "copier update to v2.0.0")

    for _ in range(2):  # and once more: nothing left to conflict on
        code, out, err = scaffold(repo, "update", "--vcs-ref", "v3.0.0")
        assert code == 0, out + err
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v3.0.0" and (repo / "SECURITY.md").is_file()
    assert (repo / "Dockerfile").read_text().count(RENDERED_LABEL) == 1
    assert git(repo, "status", "--porcelain") == ""


def test_plan_and_summary_say_a_renamed_file_took_your_edits_with_it(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    append(repo / ".editorconfig", "# ours\n")
    commit_all(repo, "Our editor settings")

    def rename(template: Path) -> None:
        (template / "template" / "config").mkdir()
        template_file(template, ".editorconfig").rename(template_file(template, "config/editorconfig"))

    installed(new_version(rename))

    code, plan, _ = scaffold(repo, "update", "--plan")
    assert code == 0
    assert "  rename  config/editorconfig  (from .editorconfig; your edits moved with it)" in plan
    assert ".editorconfig " not in plan.replace("from .editorconfig;", "")
    code, out, _ = scaffold(repo, "update")
    assert code == 0, out
    assert "renamed  config/editorconfig  (from .editorconfig; your edits moved with it)" in out
    assert "removed" not in out
    assert (repo / "config" / "editorconfig").read_text().endswith("# ours\n")
    assert not (repo / ".editorconfig").exists()
