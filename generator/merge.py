"""Three-way decisions for one file: base (the repo's pristine render), ours (the repo), theirs (the new render).

Pure functions, plus `git merge-file` for the text merges; `update.py` applies them to a real repo.
"""

import difflib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import gitrepo
from generator.errors import GitError

# What --plan says will happen to a file.
CREATE, UPDATE, MERGE, CONFLICT, SKIP, DELETE = "create", "update", "merge", "conflict", "skip", "delete"
RENAME = "rename"
# What the update's summary says happened to a file.
UPDATED, ADDED, REMOVED, KEPT, CONFLICTED = "updated", "added", "removed", "kept", "conflicted"
RENAMED = "renamed"
EDITS_MOVED = "your edits moved with it"

USER_DELETED = "you deleted it and the template changed it: it stays deleted; --restore-deleted brings it back"
USER_EDITED_REMOVED = "you edited it and the template removed it: your file is kept"


@dataclass(frozen=True)
class FileEntry:
    """One line of a plan or of an update's summary."""

    path: str
    status: str
    note: str = ""


def planned(
    path: str, base: bytes | None, ours: bytes | None, theirs: bytes | None, *, restore_deleted: bool = False
) -> FileEntry | None:
    """Return what an update will do to `path`, or None when it leaves the file alone."""
    if theirs == base:
        if restore_deleted and ours is None and base is not None:
            return FileEntry(path, CREATE, "restored: you had deleted it")
        return None
    if ours == theirs:
        return None  # already as the new version has it
    if theirs is None:
        if ours is None:
            return None
        return FileEntry(path, DELETE) if ours == base else FileEntry(path, SKIP, USER_EDITED_REMOVED)
    if ours is None:
        if base is None:
            return FileEntry(path, CREATE)
        return FileEntry(path, CREATE, "restored: you had deleted it") if restore_deleted else FileEntry(
            path, SKIP, USER_DELETED
        )
    if ours == base:
        return FileEntry(path, UPDATE)
    if merges_cleanly(base or b"", ours, theirs):
        return FileEntry(path, MERGE, "the template's change merges with your edits")
    note = "you added a file here too" if base is None else "you and the template changed the same lines"
    return FileEntry(path, CONFLICT, note)


def planned_rename(
    path: str, source: str, base: bytes | None, ours: bytes | None, ours_here: bytes | None, theirs: bytes | None
) -> FileEntry | None:
    """Return what an update will do where the template renamed `source` to `path`; None: no plain rename.

    git's merge follows the rename: the user's file moves to `path`, with their edits merged into the
    template's version. That is no plain rename when the user deleted `source` or has a `path` of their own.
    """
    if base is None or ours is None or theirs is None or ours_here is not None:
        return None
    if ours == base:
        return FileEntry(path, RENAME, f"from {source}")
    if merges_cleanly(base, ours, theirs):
        return FileEntry(path, RENAME, f"from {source}; {EDITS_MOVED}")
    return FileEntry(path, CONFLICT, f"renamed from {source}; you and the template changed the same lines")


def renamed(path: str, source: str, base: bytes | None, before: bytes | None, conflict_note: str | None) -> FileEntry:
    """Return what an update did to a file the template renamed from `source` and git's merge moved to `path`."""
    if conflict_note is not None:
        return FileEntry(path, CONFLICTED, f"renamed from {source}; {conflict_note}")
    return FileEntry(path, RENAMED, f"from {source}" + (f"; {EDITS_MOVED}" if before != base else ""))


def outcome(
    path: str,
    base: bytes | None,
    before: bytes | None,
    after: bytes | None,
    theirs: bytes | None,
    conflict_note: str | None = None,
) -> FileEntry | None:
    """Return what an update did to `path`, from its content before and after, or None for an untouched file.

    `conflict_note` is set when the file is left in conflict, and says where the conflict is.
    """
    if conflict_note is not None:
        return FileEntry(path, CONFLICTED, conflict_note)
    if before is None and after is not None:
        return FileEntry(path, ADDED, "restored: you had deleted it" if base is not None else "")
    if before is not None and after is None:
        return FileEntry(path, REMOVED)
    if before != after:
        return FileEntry(path, UPDATED, "merged with your edits" if before != base else "")
    if theirs == base or before == theirs:
        return None
    if before is None:
        return FileEntry(path, KEPT, USER_DELETED if base is not None else "not created: the merge left it out")
    if before == base:  # nobody edited it, so "you edited it" would be untrue
        return FileEntry(path, KEPT, "left as it was: the merge did not apply the template's change")
    if theirs is None:
        return FileEntry(path, KEPT, USER_EDITED_REMOVED)
    return FileEntry(path, KEPT, "your version is kept")


def merges_cleanly(base: bytes, ours: bytes, theirs: bytes) -> bool:
    """Return whether git's three-way merge of one file leaves no conflict (binary files never merge)."""
    return _merge_file(base, ours, theirs)[0] == 0


def favouring_ours(path: str, base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes, bytes | None]:
    """Merge one file, resolving each conflict to our side; return it and the template's conflicting hunks.

    The hunks are a unified diff (the `.rej` file) that turns the returned file into the one whose
    conflicts were resolved to the template's side; None when nothing conflicted. A binary file
    cannot be merged: ours is returned with a one-line note in place of hunks.
    """
    conflicts, _ = _merge_file(base, ours, theirs)
    if conflicts < 0:
        return ours, b"The template changed this binary file too; its version is on the branch scaffold/pristine.\n"
    _, merged_ours = _merge_file(base, ours, theirs, "--ours")
    if conflicts == 0:
        return merged_ours, None
    _, merged_theirs = _merge_file(base, ours, theirs, "--theirs")
    return merged_ours, _unified_diff(path, merged_ours, merged_theirs)


def reject_file_text(path: str, hunks: bytes) -> bytes:
    """Return the text of `path`.rej: a line saying what it is, then the template's hunks as a patch."""
    header = (
        f"# scaffold update: the template's changes to {path} that conflict with yours. Your version was kept.\n"
        f"# Apply what you want by hand (or: git apply --reject {path}.rej), then delete this file.\n"
    )
    return header.encode() + hunks


def _unified_diff(path: str, old: bytes, new: bytes) -> bytes:
    diff = difflib.unified_diff(_lines(old), _lines(new), f"a/{path}", f"b/{path}", n=3)
    return "".join(diff).encode("utf-8", "surrogateescape")


def _lines(content: bytes) -> list[str]:
    lines = content.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _merge_file(base: bytes, ours: bytes, theirs: bytes, *options: str) -> tuple[int, bytes]:
    """Run `git merge-file -p`; return (conflict count, or -1 when it cannot merge, e.g. binary; the result)."""
    with tempfile.TemporaryDirectory(prefix="scaffold-merge-") as tmp:
        files = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(tmp) / name
            file.write_bytes(content)
            files.append(str(file))
        try:
            result = subprocess.run(
                ["git", "merge-file", "-p", "-q", *options, "-L", "yours", "-L", "base", "-L", "template", *files],
                cwd=tmp,
                env=gitrepo.hardened(os.environ),
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed; install git") from None
    if not 0 <= result.returncode < 128:  # 255: git cannot merge these files (binary ones)
        return -1, b""
    return result.returncode, result.stdout
