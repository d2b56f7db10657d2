"""A private copy of a local template folder, taken without following a single link: what renders is what was checked.

A template folder belongs to someone else and may change while scaffold runs: a folder swapped for a
link to the user's files between the check and the read would feed those files to the render. So a
folder template is copied first, into a private folder (0700) of the system's temporary folder,
through file descriptors opened with O_NOFOLLOW relative to their parent's: a link is copied as a
link (and judged by the guard like any other), never followed, and an entry that changes kind while
it is copied is refused. FIFOs, devices and sockets are refused (reading a FIFO would hang), and so
is a template past the limits on files, size and nesting.
"""

import errno
import os
import stat
from pathlib import Path

from generator.errors import TemplateRefusedError
from generator.trust.guard import NEVER
from generator.trust.limits import Limits, current, size

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20
# What reading an entry raises when it changed kind (or went) between the listing and the read:
# ENXIO is what opening a socket (or a device with no driver) raises where a file was listed.
_CHANGED = frozenset({errno.ELOOP, errno.ENOTDIR, errno.ENOENT, errno.EINVAL, errno.ENXIO})


class _Budget:
    def __init__(self, template: str, limits: Limits) -> None:
        self.template, self.limits, self.files, self.bytes = template, limits, 0, 0

    def count(self, where: str) -> None:
        self.files += 1
        if self.files > self.limits.files:
            raise TemplateRefusedError(
                f"template {self.template} has more than {self.limits.files} files, folders and links (at {where}); "
                "accepted: fewer (SCAFFOLD_LIMIT_FILES)"
            )

    def add(self, n: int, where: str) -> None:
        self.bytes += n
        if self.bytes > self.limits.bytes:
            raise TemplateRefusedError(
                f"template {self.template} is larger than {size(self.limits.bytes)} (at {where}); "
                "accepted: a smaller template (SCAFFOLD_LIMIT_BYTES)"
            )


def take_snapshot(folder: Path, into: Path, template: str, limits: Limits | None = None) -> None:
    """Copy the template folder `folder` (its own `.git` aside) to the new folder `into`, following no link.

    Raise TemplateRefusedError, naming the path and the rule (never a file's content), for a FIFO,
    device or socket, an entry that changes kind while it is copied, or a template past `limits`.
    """
    budget = _Budget(template, limits or current())
    try:
        root = os.open(folder, _DIRECTORY & ~os.O_NOFOLLOW)  # the folder the user named may itself be a link
    except OSError as error:
        raise TemplateRefusedError(f"template {template} cannot be read: {str(error.strerror).lower()}") from None
    try:
        _copy_folder(root, into, "", 0, budget)
    finally:
        os.close(root)


def _copy_folder(fd: int, into: Path, where: str, depth: int, budget: _Budget) -> None:
    if depth > budget.limits.depth:
        raise TemplateRefusedError(
            f"template {budget.template} nests folders more than {budget.limits.depth} deep (at {where}); "
            f"accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH) ({NEVER})"
        )
    os.mkdir(into, 0o700)
    with os.scandir(fd) as listing:
        names = sorted(entry.name for entry in listing)
    for name in names:
        if depth == 0 and name == ".git":
            continue  # the template's own repository, which copier never renders
        path = f"{where}/{name}" if where else name
        budget.count(path)
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            target = os.readlink(name, dir_fd=fd) if stat.S_ISLNK(info.st_mode) else None
        except OSError as error:  # ENOENT: gone since it was listed; EINVAL: no longer a link when read as one
            if error.errno in _CHANGED:
                raise _changed(budget.template, path) from None
            raise _unreadable(budget.template, path, error) from None
        if target is not None:
            os.symlink(target, into / name)
        elif stat.S_ISDIR(info.st_mode):
            sub = _open(name, fd, _DIRECTORY, path, budget.template)
            try:
                _copy_folder(sub, into / name, path, depth + 1, budget)
            finally:
                os.close(sub)
            os.chmod(into / name, stat.S_IMODE(info.st_mode) | 0o700)
        elif stat.S_ISREG(info.st_mode):
            _copy_file(name, fd, into / name, path, budget)
        else:
            raise TemplateRefusedError(
                f"template {budget.template} has {path}, {_kind(info.st_mode)}; "
                f"accepted: files, folders and links ({NEVER})"
            )


def _copy_file(name: str, fd: int, target: Path, where: str, budget: _Budget) -> None:
    source = _open(name, fd, _FILE, where, budget.template)
    try:
        info = os.fstat(source)
        if not stat.S_ISREG(info.st_mode):  # swapped for a FIFO or device after it was listed
            raise _changed(budget.template, where)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            while chunk := os.read(source, _CHUNK):
                budget.add(len(chunk), where)
                os.write(out, chunk)
        finally:
            os.close(out)
        os.chmod(target, stat.S_IMODE(info.st_mode) | 0o600)
    finally:
        os.close(source)


def _open(name: str, fd: int, flags: int, where: str, template: str) -> int:
    try:
        return os.open(name, flags, dir_fd=fd)
    except OSError as error:  # ELOOP/ENOTDIR/ENXIO: it became a link, or another kind of entry, since it was listed
        if error.errno in _CHANGED:
            raise _changed(template, where) from None
        raise _unreadable(template, where, error) from None


def _changed(template: str, where: str) -> TemplateRefusedError:
    return TemplateRefusedError(
        f"template {template} changed while scaffold copied it ({where}); "
        "accepted: a template folder nothing writes to while scaffold reads it"
    )


def _unreadable(template: str, where: str, error: OSError) -> TemplateRefusedError:
    return TemplateRefusedError(
        f"template {template} cannot be read at {where}: {str(error.strerror).lower()}; "
        "accepted: a template whose files and folders scaffold may read"
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "an entry that is not a file, folder or link"
