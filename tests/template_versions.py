"""Helpers for update and check tests: later versions of the bundled template, git, and the Go checks.

A "new template version" is a copy of the bundled template, edited, rendered through a TemplateSource
that records `bundled:go-service` and a higher version, exactly what a newer scaffold would install.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.version import Version

from generator.sources import TemplateSource, bundled_templates_dir
from generator.version import scaffold_version
from tests import tools
from tests.conftest import run

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def later_version(steps: int = 1) -> str:
    """Return a version `steps` minor releases after the installed scaffold's (the template version of new repos)."""
    now = Version(scaffold_version())
    return f"{now.major}.{now.minor + steps}.0"


def template_copy(root: Path, name: str) -> Path:
    """Copy the bundled go-service template (copier.yml and template/) to root/name and return it."""
    dest = root / name
    shutil.copytree(bundled_templates_dir() / "go-service", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def as_version(template: Path, version: str) -> TemplateSource:
    """Return the template folder `template` as the bundled template at `version`."""
    return TemplateSource(src=str(template), recorded_src="bundled:go-service", version=version)


def template_file(template: Path, name: str) -> Path:
    """Return a file of the template's tree, e.g. `Dockerfile.jinja`."""
    return template / "template" / name


def insert_before(path: Path, pattern: str, text: str) -> None:
    """Insert `text` (whole lines) before the first line matching the regex `pattern`; fail if there is none."""
    lines = path.read_text().splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if re.match(pattern, line)), None)
    assert at is not None, f"no line matching {pattern!r} in {path}"
    lines[at:at] = [text]
    path.write_text("".join(lines))


def append(path: Path, text: str) -> None:
    """Append `text` to a file."""
    path.write_text(path.read_text() + text)


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` as a configured test user, failing the test when it fails; return its stdout."""
    env = dict(os.environ, **GIT_IDENTITY)
    return run(["git", *args], cwd=repo, env=env).stdout


def commit_all(repo: Path, message: str) -> None:
    """Commit every change in the work tree, as a user would after editing."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


def work_tree(repo: Path) -> dict[str, bytes]:
    """Return every file of the repo outside .git, path -> content."""
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def repo_state(repo: Path) -> tuple[dict[str, bytes], str, str, str]:
    """Return what must not change when nothing is written: files, refs, HEAD, and git status."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)") if (repo / ".git").exists() else ""
    head = git(repo, "rev-parse", "HEAD") if (repo / ".git").exists() else ""
    status = git(repo, "status", "--porcelain") if (repo / ".git").exists() else ""
    return work_tree(repo), refs, head, status


def assert_go_repo_passes(repo: Path, go_env: dict[str, str]) -> None:
    """Assert that the repo builds, vets, tests and its Dockerfile passes hadolint."""
    run(["go", "build", "./..."], cwd=repo, env=go_env)
    run(["go", "vet", "./..."], cwd=repo, env=go_env)
    run(["go", "test", "./..."], cwd=repo, env=go_env)
    path = os.pathsep.join([go_env.get("PATH", ""), str(Path(sys.executable).parent)])
    hadolint = tools.require("hadolint", path=path)
    run([hadolint, "Dockerfile"], cwd=repo)


def is_merging(repo: Path) -> bool:
    """Whether a merge is in progress in `repo`."""
    return (
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "MERGE_HEAD"], cwd=repo, capture_output=True, check=False
        ).returncode
        == 0
    )
