"""Snapshots: the files of a commit, a work tree or a fresh render, as path -> content, for three-way comparisons.

Paths are POSIX and relative to the repo's top; a symlink's content is its target. File modes are
not compared: git's own merge takes care of them.
"""

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from generator import gitrepo
from generator.errors import GitError

Snapshot = dict[str, bytes]


def of_commit(
    repo: Path, rev: str, paths: Iterable[str] | None = None, env: Mapping[str, str] | None = None
) -> Snapshot:
    """Return the files of commit `rev` (only those among `paths`, when given); `env` may name a scratch store."""
    listing = gitrepo.git(repo, "ls-tree", "-r", "-z", "--full-tree", rev, env=env).stdout
    wanted = None if paths is None else set(paths)
    blobs: dict[str, str] = {}
    for entry in listing.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and (wanted is None or path in wanted):
            blobs[path] = fields[2]
    contents = gitrepo.read_objects(repo, list(blobs.values()), env)
    return {path: content for path, content in zip(blobs, contents, strict=True) if content is not None}


def of_folder(root: Path, paths: Iterable[str]) -> Snapshot:
    """Return the files among `paths` that exist below `root` (a work tree), read from disk."""
    snapshot: Snapshot = {}
    for path in paths:
        content = _read(root / path)
        if content is not None:
            snapshot[path] = content
    return snapshot


def of_render(root: Path) -> Snapshot:
    """Return the files of a fresh render that git would commit: all of them except those its .gitignore ignores."""
    return of_folder(root, committable_files(root))


def committable_files(root: Path) -> list[str]:
    """Return the files below `root` that `git add --all` would add, as sorted POSIX paths."""
    with tempfile.TemporaryDirectory(prefix="scaffold-list-") as tmp:
        git_dir = Path(tmp) / "list.git"
        try:
            env = gitrepo.hardened(os.environ)
            subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], env=env, check=True, capture_output=True)
            listed = subprocess.run(
                ["git", f"--git-dir={git_dir}", f"--work-tree={root}", "ls-files", "-o", "--exclude-standard", "-z"],
                cwd=root,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError) as error:
            raise GitError(f"git cannot list the files of {root}: {error}") from None
    return sorted(path for path in listed.split("\0") if path)


def _read(path: Path) -> bytes | None:
    if path.is_symlink():
        return os.readlink(path).encode()
    if path.is_file():
        return path.read_bytes()
    return None
