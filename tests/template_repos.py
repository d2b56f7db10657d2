"""Git-hosted templates for tests: the bundled template copied into a git repo, released as tags.

As copier's own tests do: copy a template to a temporary folder, `git init`, commit and tag it. A
`gh:OWNER/REPO` shorthand is pointed at a local bare repo through `url.<base>.insteadOf` in a git
config of the test's own (GIT_CONFIG_GLOBAL), so no network is needed and no product code changes.
"""

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.sources import bundled_templates_dir

GIT_ENV = {
    "GIT_AUTHOR_NAME": "template maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.com",
    "GIT_COMMITTER_NAME": "template maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.com",
}


def git(cwd: Path, *args: str) -> str:
    import os

    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **GIT_ENV}
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}: {result.stderr}"
    return result.stdout


def make_git_template(path: Path, tag: str | None = "v1.0.0", source: Path | None = None) -> Path:
    """Copy a template (by default the bundled one) to `path` as a git repo with one commit, tagged `tag`."""
    source = source or bundled_templates_dir() / "go-service"
    shutil.copytree(source, path, ignore=shutil.ignore_patterns("__pycache__"))
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "First version")
    if tag:
        git(path, "tag", tag)
    return path


def release(template: Path, tag: str, change: Callable[[Path], None]) -> None:
    """Apply `change` to the template folder, commit it and tag it `tag`."""
    change(template)
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", f"Release {tag}")
    git(template, "tag", tag)


@contextlib.contextmanager
def copier_yml(template: Path) -> Iterator[dict[str, Any]]:
    """Yield the template's copier.yml as a mapping to change; write it back, in its key order, after the block."""
    path = template / "copier.yml"
    config = yaml.safe_load(path.read_text())
    yield config
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    """Return a change that replaces `old` with `new` in the template file `relative`."""

    def change(template: Path) -> None:
        path = template / relative
        text = path.read_text()
        assert old in text, f"{old!r} is not in {relative}"
        path.write_text(text.replace(old, new, 1))

    return change


def add_file(relative: str, content: str) -> Callable[[Path], None]:
    """Return a change that adds the template file `relative`."""

    def change(template: Path) -> None:
        path = template / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)

    return change


def bare_clone(template: Path, bare: Path) -> Path:
    """Publish `template` (with its tags) as the bare repo `bare`, as a git host would hold it."""
    git(template.parent, "clone", "-q", "--bare", str(template), str(bare))
    return bare


def publish(template: Path, bare: Path) -> None:
    """Push the template's new commits and tags to its bare repo."""
    git(template, "push", "-q", "--tags", str(bare), "HEAD:refs/heads/" + _branch(bare))


def _branch(bare: Path) -> str:
    return git(bare, "symbolic-ref", "--short", "HEAD").strip()


def alias_github(monkeypatch: pytest.MonkeyPatch, config_dir: Path, owner_repo: str, bare: Path) -> None:
    """Make `gh:OWNER/REPO` (https://github.com/OWNER/REPO.git) clone from the local bare repo `bare`."""
    config = config_dir / "gitconfig"
    existing = config.read_text() if config.is_file() else ""
    config.write_text(
        existing + f'[url "{bare.resolve().as_uri()}"]\n\tinsteadOf = https://github.com/{owner_repo}.git\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
