"""Writing a rendered repo into place without ever overwriting a user's files or leaving half of one."""

import errno
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


STAGING_PREFIX = "scaffold-new-"
"""The private folder (0700, in the system's temporary folder) a repo is staged in before it moves into place."""


@contextmanager
def staging_for(dest: Path) -> Iterator[Path]:
    """Yield an empty folder to render into, in a private folder of the system's temporary folder.

    Nothing is made beside or inside `dest` while the template renders, so a render the guard has not
    checked yet is never where an editor's or a shell prompt's git integration looks. The private
    folder is removed afterwards, whatever happens; `put_in_place` moves the checked result.
    """
    _require_writable(dest)
    private = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))  # mode 0700: no other user or tool looks inside
    try:
        staging = private / "repo"
        staging.mkdir()  # the usual mode (umask): it becomes the repo when it moves into place
        yield staging
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _require_writable(dest: Path) -> None:
    """Raise DestinationError when the folder `dest` would be made in (or is) cannot be written to."""
    nearest = next((p for p in [dest, *dest.parents] if p.exists()), None)
    if nearest is not None and not os.access(nearest, os.W_OK | os.X_OK):
        raise DestinationError(
            f"destination {str(dest)!r} cannot be created: permission denied; accepted: a folder you can write to"
        )


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _create_parents(folder: Path) -> list[Path]:
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    for parent in reversed(missing):  # one at a time, so a failure leaves only what `missing` can clean up
        try:
            parent.mkdir()
        except OSError as error:
            _remove_empty(missing)
            raise DestinationError(
                f"destination {str(folder)!r} cannot be created: {str(error.strerror).lower()}; "
                "accepted: a folder you can write to"
            ) from None
    return missing  # deepest first, so they can be removed in this order


def put_in_place(staging: Path, dest: Path) -> None:
    """Move everything rendered in `staging` to `dest` (missing or empty), re-checking it first.

    A missing `dest` is the staged folder, renamed (copied when the destination is on another file
    system). An existing empty `dest` (`.`, a mount point) keeps its own inode, mode and owner: the
    entries move into it. On any failure, Ctrl-C included, what was moved is removed again, and so
    are the parent folders made for it.
    """
    check_destination(dest)
    created = _create_parents(dest.parent)
    try:
        if dest.exists():
            _move_entries(staging, dest)
        else:
            _move_folder(staging, dest)
    except BaseException:
        _remove_empty(created)
        raise


def _move_folder(staging: Path, dest: Path) -> None:
    try:
        staging.rename(dest)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        _copy(staging, dest)
    else:
        staging.mkdir()  # staging_for removes it


def _copy(entry: Path, target: Path) -> None:
    """Copy `entry` (a folder, file or link, as it is) to the new path `target`; remove what was copied on failure."""
    if target.exists() or target.is_symlink():
        raise FileExistsError(errno.EEXIST, "File exists", str(target))  # never someone else's
    try:
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target, follow_symlinks=False)
    except BaseException:
        _remove(target)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _move_entries(staging: Path, dest: Path) -> None:
    moved: list[Path] = []
    try:
        for entry in sorted(staging.iterdir()):
            target = dest / entry.name
            try:
                entry.rename(target)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                _copy(entry, target)
            moved.append(target)
    except BaseException:
        for target in moved:
            _remove(target)
        raise


def relative_files(root: Path) -> list[str]:
    """Return every file below `root` (outside .git), as sorted POSIX paths relative to it."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if (p.is_file() or p.is_symlink()) and ".git" not in p.relative_to(root).parts[:1]
    )
