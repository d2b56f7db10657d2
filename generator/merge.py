"""Three-way decisions for one file: base (the repo's pristine render), ours (the repo), theirs (the new render).

Pure functions, plus `git merge-file` for the text merges; `update.py` applies them to a real repo.
"""

import difflib
import os
import subprocess
import tempfile
from collections.abc import Mapping
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


# How the update settles a path git's merge left in conflict, by its index stages (1 base, 2 yours, 3 template).
SETTLE_REMOVE, SETTLE_KEEP, SETTLE_REJ, SETTLE_MARKERS, SETTLE_UNRESOLVED = "remove", "keep", "rej", "markers", "other"
MARKERS_NOTE = "conflict markers in the file: resolve them, then git add it"
UNRESOLVED_NOTE = "git could not merge it; see git status"


def settlement(stages: set[int], rej: bool, restore_deleted: bool) -> str:
    """Return how the update settles a conflicted path: the one rule for the update and its plan.

    Deleted by the user and changed by the template: it stays deleted (unless `restore_deleted`).
    Edited by the user and removed by the template: the user's file stays. Changed on both sides:
    the user's lines with the template's hunks in a `.rej` file (`rej`), else conflict markers.
    """
    if stages == {1, 3} and not restore_deleted:
        return SETTLE_REMOVE
    if stages == {1, 2}:
        return SETTLE_KEEP
    if {2, 3} <= stages:
        return SETTLE_REJ if rej else SETTLE_MARKERS
    return SETTLE_UNRESOLVED


def rej_note(path: str) -> str:
    """The summary's note for a file whose template hunks went to `path`.rej."""
    return f"your version kept; the template's conflicting change is in {path}.rej"


def summarize(
    old: Mapping[str, bytes],
    new: Mapping[str, bytes],
    touched: set[str],
    base: Mapping[str, bytes],
    theirs: Mapping[str, bytes],
    notes: Mapping[str, str],
    renames: Mapping[str, str],
    user_renames: Mapping[str, str] | None = None,
) -> list[FileEntry]:
    """Say what an update did to each file: from HEAD before (`old`) and the files after (`new`).

    `touched` are the paths the merge changed; the template's own changes and the conflicts (`notes`)
    are listed too. A file the template renamed, and git's merge moved, is one line at its new path.
    A file the user renamed (`user_renames`, old -> new) is told at its new path only: git's merge
    carries the template's change there, and the old path is no deletion to bring back.
    """
    template_changed = {p for p in set(base) | set(theirs) if base.get(p) != theirs.get(p)}
    paths = sorted({p for p in touched if p} | template_changed | set(notes))
    entries: dict[str, FileEntry] = {}
    folded: set[str] = set()
    for source, path in renames.items():
        moved = old.get(source) is not None and new.get(source) is None and old.get(path) is None
        if moved and (path in notes or new.get(path) is not None):
            entries[path] = renamed(path, source, base.get(source), old.get(source), notes.get(path))
            folded.add(source)
    moved_away = {p for p, to in (user_renames or {}).items() if old.get(p) is None and p not in notes}
    for path in paths:
        if path in entries or path in folded or (path in moved_away and new.get(path) is None):
            continue
        entry = outcome(path, base.get(path), old.get(path), new.get(path), theirs.get(path), notes.get(path))
        if entry is not None:
            entries[path] = entry
    return sorted(entries.values(), key=lambda e: (SUMMARY_ORDER.index(e.status), e.path))


SUMMARY_ORDER = (UPDATED, ADDED, RENAMED, REMOVED, KEPT, CONFLICTED)
_AS_PLANNED = {ADDED: CREATE, REMOVED: DELETE, KEPT: SKIP, CONFLICTED: CONFLICT, RENAMED: RENAME}


def as_planned(entry: FileEntry) -> FileEntry:
    """Word a summary line as a plan line: `updated` -> `update` (or `merge` with your edits), `added` -> `create`..."""
    if entry.status == UPDATED:
        if entry.note:
            return FileEntry(entry.path, MERGE, "the template's change merges with your edits")
        return FileEntry(entry.path, UPDATE)
    return FileEntry(entry.path, _AS_PLANNED[entry.status], entry.note)


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
