"""What no template may do, trusted or not: write at or under `.git`, or read or write outside the new repo.

No legitimate template needs either, and both let a template run commands on the user's machine
(a `.git/config` naming an fsmonitor, hooks, a gitfile pointing elsewhere) or take their files. The
checks here run on names before copier writes them and on every render before anything reaches the
user's folder; copier's own path checks (file names, `_subdirectory`, `_external_data`, symlinks
read from the template) stay on beneath them.
"""

import os
import unicodedata
from pathlib import Path, PurePosixPath

from generator.errors import TemplateRefusedError

NEVER = "refused, trusted or not"


def is_git_name(name: str) -> bool:
    """Return whether a path component is, or could be taken by some file system as, `.git`.

    Case-insensitive file systems fold `.GIT`, HFS+ ignores zero-width characters, Windows drops trailing
    dots and spaces and reads `.git::$INDEX_ALLOCATION` as `.git`, and `GIT~1` is its short name.
    """
    visible = "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) != "Cf")
    folded = visible.split(":", 1)[0].casefold().rstrip(". ")  # NTFS: `.git::$INDEX_ALLOCATION` is `.git`
    return folded in (".git", "git~1")


def inside_path(what: str, value: str) -> PurePosixPath:
    """Return `value` as a relative path inside the new repo, outside `.git`; raise TemplateRefusedError naming `what`.

    `what` names where the value comes from, e.g. `_answers_file` or `answer set name`.
    """
    text = str(value)
    path = PurePosixPath(text.replace("\\", "/"))
    if not text.strip() or path.is_absolute() or ".." in path.parts or text.startswith("~"):
        raise TemplateRefusedError(f"{what} {text!r} points outside the new repo; accepted: a path inside it ({NEVER})")
    if any(is_git_name(part) for part in path.parts):
        raise TemplateRefusedError(f"{what} {text!r} is at or under .git; accepted: a path outside .git ({NEVER})")
    return path


def check_rendered(root: Path, template: str) -> None:
    """Raise TemplateError if the render in `root` has a `.git` entry, a link out of it, or a git repository.

    Called on every render before git or the user's folder ever sees it.
    """

    def refuse(path: Path, rule: str) -> TemplateRefusedError:
        where = path.relative_to(root).as_posix()
        return TemplateRefusedError(f"template {template} renders {where}: {rule} ({NEVER})")

    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in dirs + files:
            path = here / name
            if is_git_name(name):
                raise refuse(path, "nothing may be written at or under .git")
            target = _link_out_of(path, root.resolve())
            if target is not None:
                raise refuse(path, f"a link to {target}, outside the new repo")
        if _is_bare_repo(dirs, files):
            raise refuse(here / "HEAD", "a git repository (HEAD, objects, refs) inside the new repo")
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]


def check_template_tree(folder: Path, template: str) -> None:
    """Raise TemplateRefusedError if a link in the template's folder points outside it (its own `.git` aside).

    copier would either follow such a link, reading the user's files into the new repo, or copy it, leaving
    a link out of the new repo; both are refused before copier starts.
    """
    root = folder.resolve()
    for here, dirs, files in os.walk(root):
        if Path(here) == root and ".git" in dirs:
            dirs.remove(".git")  # the template's own repository, which copier never renders
        for name in dirs + files:
            path = Path(here) / name
            target = _link_out_of(path, root)
            if target is not None:
                where = path.relative_to(root).as_posix()
                raise TemplateRefusedError(
                    f"template {template} has {where}, a link to {target}, outside the template ({NEVER})"
                )
        dirs[:] = [d for d in dirs if not (Path(here) / d).is_symlink()]


def _link_out_of(path: Path, root: Path) -> str | None:
    """Return the target of the link `path` when it is absolute or leads out of `root` (resolved), else None."""
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    return target if os.path.isabs(target) or not (path.parent / target).resolve().is_relative_to(root) else None


def _is_bare_repo(dirs: list[str], files: list[str]) -> bool:
    """Whether git could take the folder itself for a repository: a HEAD beside objects, refs or commondir.

    git only checks that `objects` and `refs` exist (a file will do), so their kind is not looked at.
    """
    names = set(dirs) | set(files)
    return "HEAD" in names and bool(names & {"objects", "refs", "commondir"})
