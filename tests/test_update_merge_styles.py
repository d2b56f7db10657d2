"""The update loop as organisations run it: an update merged by merge commit, squash or rebase, or a plain
`copier update` in between; the next `scaffold update` must end exactly where `copier update` ends.

A git-hosted template with tags, as copier's own tests make one. Each test takes a repo made from
v1.0.0 with the team's edits, brings it to v2.0.0 one way, checks it, then updates it to v3.0.0 with
scaffold and, in a clone, with plain copier, and compares the two work trees.
"""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli import scaffold
from tests.template_repos import add_file, edit, git, make_git_template, release
from tests.template_versions import GIT_IDENTITY, append, commit_all, is_merging, work_tree

TITLE = 'LABEL org.opencontainers.image.title="{{ service_name }}"\n'
VENDOR_V2 = 'LABEL org.opencontainers.image.vendor="acme"\n'
VENDOR_V3 = 'LABEL org.opencontainers.image.vendor="acme corp"\n'
MAIN_GO = "cmd/orders/main.go"


def remove(relative: str):  # type: ignore[no-untyped-def]
    def change(template: Path) -> None:
        (template / relative).unlink()

    return change


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """v1.0.0: the bundled template; v2.0.0 adds a label and a runbook and drops .editorconfig."""
    template = make_git_template(tmp_path / "acme-template", "v1.0.0")
    release(
        template,
        "v2.0.0",
        lambda t: (
            edit("template/Dockerfile.jinja", TITLE, TITLE + VENDOR_V2)(t),
            add_file("template/docs/RUNBOOK.md", "# Runbook\n\nPage the owners.\n")(t),
            remove("template/.editorconfig")(t),
        ),
    )
    return template


def release_v3(template: Path) -> None:
    """v3.0.0 rewrites the line v2.0.0 added, and drops the runbook and .dockerignore."""
    release(
        template,
        "v3.0.0",
        lambda t: (
            edit("template/Dockerfile.jinja", VENDOR_V2, VENDOR_V3)(t),
            remove("template/docs/RUNBOOK.md")(t),
            remove("template/.dockerignore")(t),
        ),
    )


def new_repo(tmp_path: Path, template: Path) -> Path:
    code, _, err = scaffold(tmp_path, "new", "orders", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 0, err
    repo = tmp_path / "orders"
    git(repo, "branch", "-M", "main")
    append(repo / MAIN_GO, "\n// Owned by the orders team.\n")
    append(repo / "README.md", "\nAsk #orders.\n")
    commit_all(repo, "Our edits")
    return repo


def scaffold_update_pr(repo: Path) -> str:
    """Run `scaffold update --vcs-ref v2.0.0` on a branch of its own, as the update workflow does."""
    git(repo, "switch", "-q", "-c", "scaffold/update")
    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0")
    assert code == 0, out + err
    git(repo, "switch", "-q", "main")
    return "scaffold/update"


def to_v2(repo: Path, style: str) -> None:
    """Bring `repo`'s main branch to v2.0.0 the way `style` says."""
    if style == "copier":
        from copier import run_update

        run_update(str(repo), vcs_ref="v2.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True)
        commit_all(repo, "copier update to v2.0.0")
        return
    branch = scaffold_update_pr(repo)
    if style == "merge":
        git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", branch)
    elif style == "squash":
        git(repo, "merge", "-q", "--squash", branch)
        git(repo, "commit", "-q", "-m", "Update template to v2.0.0 (#1)")
    else:  # rebase: the pull request's commits replayed one by one, merge commits dropped, as GitHub does
        git(repo, "switch", "-q", "-c", "rebased", branch)
        git(repo, "rebase", "-q", "main")
        git(repo, "switch", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "rebased")
        git(repo, "branch", "-q", "-D", "rebased")
    git(repo, "branch", "-q", "-D", branch)  # GitHub deletes the branch once merged


def fresh_clone(repo: Path, dest: Path) -> Path:
    """Clone only `main`, as CI's checkout does: no scaffold/pristine, no update branch."""
    subprocess.run(["git", "clone", "-q", "--single-branch", "--branch", "main", str(repo), str(dest)], check=True)
    return dest


def answers(repo: Path) -> dict[str, object]:
    data = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


def without_git(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {path: content for path, content in tree.items() if not path.startswith(".git/")}


def update_both_ways(tmp_path: Path, repo: Path) -> tuple[Path, Path, str]:
    """Update `repo` to v3.0.0 with scaffold, and a clone of it with plain copier; return both and scaffold's output."""
    by_copier = tmp_path / "by-copier"
    subprocess.run(["git", "clone", "-q", str(repo), str(by_copier)], check=True, env={**GIT_IDENTITY})
    code, planned, err = scaffold(repo, "update", "--plan")
    assert code == 0, planned + err
    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    as_planned = {"updated": "update", "added": "create", "removed": "delete", "kept": "skip", "renamed": "rename"}
    predicted = sorted(tuple(line.split()[:2]) for line in planned.splitlines()[1:-1])
    assert predicted == sorted((as_planned[s], p) for s, p in (line.split()[:2] for line in out.splitlines()[1:-1]))
    from copier import run_update

    run_update(str(by_copier), vcs_ref="v3.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True)
    return repo, by_copier, out


@pytest.mark.parametrize("style", ["merge", "squash", "rebase", "copier"])
def test_after_any_merge_style_the_next_update_ends_where_copier_update_ends(
    tmp_path: Path, template: Path, style: str
) -> None:
    origin = new_repo(tmp_path, template)
    to_v2(origin, style)
    repo = fresh_clone(origin, tmp_path / "ci-clone")

    code, out, _ = scaffold(repo, "check")
    assert code == 0, out
    assert "up to date" in out and "newest v2.0.0" in out

    release_v3(template)
    updated, by_copier, out = update_both_ways(tmp_path, repo)

    assert not is_merging(updated)
    assert without_git(work_tree(updated)) == without_git(work_tree(by_copier))
    dockerfile = (updated / "Dockerfile").read_text()
    assert 'vendor="acme corp"' in dockerfile and "<<<<<<<" not in dockerfile
    assert not (updated / "docs" / "RUNBOOK.md").exists() and not (updated / ".dockerignore").exists()
    summary = {tuple(line.split()[:2]) for line in out.splitlines()[1:]}
    assert {("removed", "docs/RUNBOOK.md"), ("removed", ".dockerignore")} <= summary
    assert "Owned by the orders team." in (updated / MAIN_GO).read_text()
    assert answers(updated)["_commit"] == "v3.0.0"
    code, out, _ = scaffold(updated, "check")
    assert code == 0 and "up to date" in out, out


def test_right_after_a_squash_merge_check_says_up_to_date_and_update_has_nothing_to_do(
    tmp_path: Path, template: Path
) -> None:
    repo = new_repo(tmp_path, template)
    to_v2(repo, "squash")
    head = git(repo, "rev-parse", "HEAD")

    code, out, _ = scaffold(repo, "check")
    assert code == 0 and "up to date (template" in out, out
    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    assert "is up to date with" in out
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_squash_merged_update_in_the_same_clone_takes_its_base_from_the_pristine_branch(
    tmp_path: Path, template: Path
) -> None:
    repo = new_repo(tmp_path, template)
    to_v2(repo, "squash")
    pristine_v2 = git(repo, "rev-parse", "scaffold/pristine").strip()
    squashed = git(repo, "rev-parse", "HEAD").strip()
    release_v3(template)

    updated, by_copier, _ = update_both_ways(tmp_path, repo)

    assert without_git(work_tree(updated)) == without_git(work_tree(by_copier))
    assert git(repo, "rev-parse", "scaffold/pristine^").strip() == pristine_v2
    parents = git(repo, "rev-list", "--parents", "-1", "HEAD").split()[1:]
    assert parents == [squashed, git(repo, "rev-parse", "scaffold/pristine").strip()]  # no helper commit stays
