"""The git commands scaffold runs, with an identity fallback for users who never configured one."""

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from generator.errors import GitError

FALLBACK_NAME = "scaffold"
FALLBACK_EMAIL = "scaffold@localhost"


def git(
    cwd: Path, *args: str, check: bool = True, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd` and return the finished process; raise GitError when it fails and check is set.

    `env` adds variables (e.g. GIT_INDEX_FILE) to the environment git runs in.
    """
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env={**_env(cwd), **(env or {})}, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed; install git or pass --no-git") from None
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {detail[-1] if detail else 'no output'}")
    return result


def _env(cwd: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if not _configured(cwd, "user.name"):
        env.setdefault("GIT_AUTHOR_NAME", FALLBACK_NAME)
        env.setdefault("GIT_COMMITTER_NAME", FALLBACK_NAME)
    if not _configured(cwd, "user.email"):
        env.setdefault("GIT_AUTHOR_EMAIL", FALLBACK_EMAIL)
        env.setdefault("GIT_COMMITTER_EMAIL", FALLBACK_EMAIL)
    return env


def _configured(cwd: Path, key: str) -> bool:
    where = cwd if cwd.is_dir() else Path.cwd()
    result = subprocess.run(["git", "config", "--get", key], cwd=where, capture_output=True, text=True, check=False)
    return bool(result.stdout.strip())


def is_repo(path: Path) -> bool:
    """Return whether `path` is the top of a git work tree."""
    if not (path / ".git").exists():
        return False
    result = git(path, "rev-parse", "--show-toplevel", check=False)
    return result.returncode == 0 and Path(result.stdout.strip()).resolve() == path.resolve()


def is_clean(path: Path) -> bool:
    """Return whether the work tree at `path` has no uncommitted or untracked changes."""
    return git(path, "status", "--porcelain").stdout.strip() == ""


def head(path: Path) -> str:
    """Return the commit id HEAD points to."""
    return git(path, "rev-parse", "HEAD").stdout.strip()


def read_objects(cwd: Path, names: Sequence[str]) -> list[bytes | None]:
    """Return the contents of the git objects `names` (`HEAD:go.mod`, `:2:main.go`, a blob id); None if missing."""
    if not names:
        return []
    request = "".join(f"{name}\n" for name in names).encode()
    try:
        result = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=cwd, input=request, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed; install git") from None
    if result.returncode != 0:
        raise GitError(f"git cat-file --batch failed in {cwd}: {result.stderr.decode(errors='replace').strip()}")
    contents: list[bytes | None] = []
    out, at = result.stdout, 0
    for _ in names:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if header[-1] in (b"missing", b"ambiguous"):
            contents.append(None)
            continue
        size = int(header[2])
        contents.append(out[at : at + size])
        at += size + 1  # the content is followed by a newline
    return contents
