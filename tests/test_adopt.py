"""`scaffold adopt`: repos made by plain `copier copy`, or by hand, brought under `scaffold update`."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli import scaffold
from tests.template_repos import edit, git, make_git_template, release
from tests.template_versions import work_tree


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return make_git_template(tmp_path / "template", "v1.0.0")


def copier_copy(template: Path, dest: Path, name: str) -> Path:
    """Make a repo the way a team without scaffold does: plain copier, then git."""
    copier = Path(sys.executable).parent / "copier"
    subprocess.run(
        [
            str(copier),
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            "v1.0.0",
            "-d",
            f"service_name={name}",
            str(template),
            str(dest),
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent)),
    )
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Made with copier")
    return dest


def test_a_copier_made_repo_is_adopted_on_its_recorded_version_and_then_updates_cleanly(
    tmp_path: Path, template: Path
) -> None:
    repo = copier_copy(template, tmp_path / "orders", "orders")
    main_go = repo / "cmd" / "orders" / "main.go"
    main_go.write_text(main_go.read_text() + "\n// Our own note.\n")
    git(repo, "commit", "-q", "-am", "Our edit")
    code, _, err = scaffold(tmp_path, "update", str(repo))
    assert code == 2 and "no pristine render" in err  # why adopt exists
    files_before = work_tree(repo)

    code, out, err = scaffold(tmp_path, "adopt", str(repo))

    assert code == 0, err
    assert "merge base: the recorded version" in out
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "diff", "HEAD~1", "HEAD", "--stat") == ""  # no file changed
    assert work_tree(repo) == files_before
    code, out, _ = scaffold(tmp_path, "check", str(repo))
    assert code == 0 and "modified  cmd/orders/main.go  (seeded" in out, out

    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL team="orders"\nENTRYPOINT'))
    code, out, err = scaffold(tmp_path, "update", str(repo))

    assert code == 0, out + err
    assert 'LABEL team="orders"' in (repo / "Dockerfile").read_text()
    assert main_go.read_text().endswith("// Our own note.\n")
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    code, _, err = scaffold(tmp_path, "adopt", str(repo))
    assert code == 2 and "already under scaffold update" in err


def test_a_hand_made_repo_is_adopted_on_the_current_version_with_its_differences_as_its_own_edits(
    tmp_path: Path, template: Path
) -> None:
    repo = copier_copy(template, tmp_path / "billing", "billing")
    (repo / ".copier-answers.yml").unlink()  # as if written by hand: no record of any template
    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "# Hand-made.\n")
    git(repo, "commit", "-q", "-am", "By hand")
    code, _, err = scaffold(tmp_path, "adopt", str(repo))
    assert code == 2 and "has no copier answers file" in err and "--template" in err

    code, out, err = scaffold(tmp_path, "adopt", str(repo), "--template", str(template))

    assert code == 0, err
    assert "merge base: the current version" in out and "added .copier-answers.yml" in out
    review = next(line for line in out.splitlines() if "review them with: " in line).split("review them with: ")[1]
    shown = subprocess.run(shlex.split(review), cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "+# Hand-made." in shown  # the command it names shows the repo's own edits
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["service_name"], answers["_commit"]) == ("billing", "v1.0.0")
    assert dockerfile.read_text().endswith("# Hand-made.\n")
    code, out, _ = scaffold(tmp_path, "check", str(repo))
    assert code == 1 and "modified  Dockerfile" in out, out  # reviewable: an owned file differs from the render

    release(template, "v1.1.0", edit("template/.editorconfig", "root = true", "root = true\n# v1.1.0"))
    code, out, err = scaffold(tmp_path, "update", str(repo))
    assert code == 0, out + err
    assert "# v1.1.0" in (repo / ".editorconfig").read_text()
    assert dockerfile.read_text().endswith("# Hand-made.\n")


def test_adopt_refuses_a_folder_that_is_not_a_git_repo(tmp_path: Path, template: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(template / "template" / "internal", plain)

    code, _, err = scaffold(tmp_path, "adopt", str(plain), "--template", str(template))

    assert code == 2 and "is not a git repository" in err
    assert not (plain / ".copier-answers.yml").exists()
