"""Writing a rendered repo into place without ever overwriting a user's files or leaving half of one."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.answers import control_character
from generator.errors import DestinationError, shown


def check_destination(dest: Path) -> None:
    """Raise DestinationError unless `dest` is missing or an empty folder, under folders, named in plain text."""
    found = control_character(str(dest))
    if found is not None:
        raise DestinationError(
            f"destination {shown(str(dest))} contains the control character {found!r}; "
            "accepted: a path without newlines, tabs or other control characters"
        )
    if dest.is_file() or dest.is_symlink():
        raise DestinationError(f"destination {str(dest)!r} is a file; accepted: a new or empty folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise DestinationError(f"destination {str(dest)!r} exists and is not empty; accepted: a new or empty folder")
    blocking = next((p for p in dest.parents if p.exists() or p.is_symlink()), None)
    if blocking is not None and not blocking.is_dir():
        raise DestinationError(
            f"destination {str(dest)!r} is under {str(blocking)!r}, which is a file; accepted: a path under folders"
        )


@contextmanager
def staging_for(dest: Path) -> Iterator[Path]:
    """Yield an empty folder beside `dest` to render into; it is removed afterwards, whatever happens.

    Parents of `dest` that had to be created are removed again if nothing was put in place.
    """
    created: list[Path] = []
    try:
        created = _create_parents(dest.parent)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.scaffold-", dir=dest.parent))
    except OSError as error:
        _remove_empty(created)
        raise DestinationError(
            f"destination {str(dest)!r} cannot be created: {str(error.strerror).lower()}; "
            "accepted: a folder you can write to"
        ) from None
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the repo should get the usual mode
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not dest.exists():
            _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _create_parents(folder: Path) -> list[Path]:
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    for parent in reversed(missing):  # one at a time, so a failure leaves only what `missing` can clean up
        try:
            parent.mkdir()
        except OSError:
            _remove_empty(missing)
            raise
    return missing  # deepest first, so they can be removed in this order


def put_in_place(staging: Path, dest: Path) -> None:
    """Move everything rendered in `staging` to `dest` (missing or empty), re-checking it first."""
    check_destination(dest)
    if not dest.exists():
        staging.rename(dest)
        staging.mkdir()  # staging_for removes it
        return
    for entry in staging.iterdir():
        entry.rename(dest / entry.name)


def relative_files(root: Path) -> list[str]:
    """Return every file below `root` (outside .git), as sorted POSIX paths relative to it."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if (p.is_file() or p.is_symlink()) and ".git" not in p.relative_to(root).parts[:1]
    )
