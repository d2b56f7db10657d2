"""`scaffold update --diff`: the content diff an update would make, per file, with nothing written (no git objects)."""

from pathlib import Path

import pytest

from generator.new import NewRequest, create
from generator.sources import resolve
from tests.cli import scaffold
from tests.template_repos import add_file, edit, make_git_template, release
from tests.template_versions import commit_all, git, repo_state

OLD_LINE, NEW_LINE, LOCAL_LINE = "# Build output\n", "# Build output (go build -o bin/)\n", "# Our build output\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git template: v1.0.0, then v1.1.0 changing a .gitignore line and adding a file."""
    path = make_git_template(tmp_path_factory.mktemp("diff") / "template")

    def change(t: Path) -> None:
        edit("template/.gitignore", OLD_LINE, NEW_LINE)(t)
        add_file("template/docs/RUNBOOK.md", "# Runbook\n\nPage the owner.\n")(t)

    release(path, "v1.1.0", change)
    return path


def generated(template: Path, dest: Path) -> Path:
    create(NewRequest(name="svc", dest=dest, source=resolve(str(template), "v1.0.0")))
    return dest


def objects(repo: Path) -> set[str]:
    """Every object in the repo's object store (loose and packed)."""
    listed = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(listed.split())


def file_diffs(diff: str) -> dict[str, str]:
    """Split a unified diff into its per-file parts, by the path after `b/`, without index lines."""
    parts: dict[str, str] = {}
    for part in diff.split("diff --git ")[1:]:
        header, _, body = part.partition("\n")
        lines = [line for line in body.splitlines() if not line.startswith("index ")]
        parts[header.split(" b/", 1)[1]] = "\n".join(lines)
    return parts


def test_diff_shows_what_update_then_commits_and_writes_nothing(template: Path, tmp_path: Path) -> None:
    repo = generated(template, tmp_path / "svc")
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nOur notes.\n")
    commit_all(repo, "Local edit")
    before, stored = repo_state(repo), objects(repo)
    code, out, err = scaffold(repo, "update", "--diff")
    assert code == 0, err
    assert (repo_state(repo), objects(repo)) == (before, stored)  # no file, ref, index entry or git object
    shown = file_diffs(out)
    assert sorted(shown) == [".copier-answers.yml", ".gitignore", "docs/RUNBOOK.md"]  # not the user's README
    assert f"-{OLD_LINE.strip()}\n+{NEW_LINE.strip()}" in shown[".gitignore"]
    assert "-_commit: v1.0.0\n+_commit: v1.1.0" in shown[".copier-answers.yml"]
    assert "new file mode 100644" in shown["docs/RUNBOOK.md"] and "+Page the owner." in shown["docs/RUNBOOK.md"]
    code, _, err = scaffold(repo, "update")
    assert code == 0, err
    committed = git(repo, "diff", "--no-color", "--find-renames", "HEAD^1", "HEAD")
    assert file_diffs(committed) == shown  # exactly the change the update made


def test_diff_of_a_conflicting_update_shows_the_markers_and_exits_0(template: Path, tmp_path: Path) -> None:
    repo = generated(template, tmp_path / "svc")
    gitignore = repo / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace(OLD_LINE, LOCAL_LINE))
    commit_all(repo, "Our own build line")
    before = repo_state(repo)
    code, out, err = scaffold(repo, "update", "--diff")
    assert code == 0, err
    assert repo_state(repo) == before
    hunk = file_diffs(out)[".gitignore"]
    assert f"+<<<<<<< HEAD\n {LOCAL_LINE.strip()}\n+=======\n+{NEW_LINE.strip()}\n+>>>>>>> " in hunk


def test_diff_of_an_up_to_date_repo_says_so_and_diff_takes_one_repo(template: Path, tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(str(template), "v1.1.0")))
    code, out, _ = scaffold(repo, "update", "--diff")
    assert (code, out.strip()) == (0, f"{repo} is up to date with {template} v1.1.0; nothing to do.")
    code, _, err = scaffold(tmp_path, "update", "--diff", str(repo), str(repo.parent / "other"))
    assert (code, err.strip()) == (
        2,
        "error: --diff shows one repo at a time (2 given); accepted: one PATH, or --plan for many repos",
    )
