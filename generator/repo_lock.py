"""One command that writes a repo's history at a time (`update`, `apply`, `adopt`): an advisory lock in its git folder.

Two updates of one repo at once (two terminals, a fleet list naming the repo twice, a person's run
beside a fleet run) would merge the same release twice or interleave their git commands; an `apply`
or `adopt` beside them would commit onto a branch an update is moving. The lock
is `flock(2)` on `scaffold-update.lock` in the repo's common git folder: the kernel releases it when
its holder exits, however it exits, so a killed update never leaves a stale lock behind. The file
itself stays; its presence means nothing.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator import gitrepo
from generator.errors import RefusedError

LOCK_NAME = "scaffold-update.lock"
WAIT_SECONDS = 2.0
"""How long a second update waits for the first before it refuses."""


def lock_path(repo: Path) -> Path:
    """Return the lock file of `repo` (in its common git folder, shared by its worktrees)."""
    common = gitrepo.git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()
    return Path(common) / LOCK_NAME


@contextmanager
def locked(repo: Path, command: str = "update", wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock of `repo` for `command`; wait up to `wait` seconds for another holder, then raise RefusedError."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): updates are not serialised there
        yield
        return
    path = lock_path(repo)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RefusedError(
                        f"another scaffold update, apply or adopt of {repo} is running (it holds {path}); "
                        f"wait for it to finish, then {command} again"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def git_dir_key(path: Path) -> Path:
    """Return the real path of the git folder of the repo at `path` (else of `path`), to tell two names of one repo.

    Read from the file system, without running git: `.git` is the folder, or a file naming it (`gitdir: ...`).
    """
    dot_git = path / ".git"
    try:
        if dot_git.is_file():
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return Path(os.path.realpath(target if target.is_absolute() else path / target))
        if dot_git.is_dir():
            return Path(os.path.realpath(dot_git))
    except OSError:
        pass
    return Path(os.path.realpath(path))
