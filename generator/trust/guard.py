"""What no template may do, trusted or not: write at or under `.git`, or read or write outside the new repo.

No legitimate template needs either, and both let a template run commands on the user's machine
(a `.git/config` naming an fsmonitor, hooks, a gitfile pointing elsewhere) or take their files. The
checks here run on names before copier writes them and on every render before anything reaches the
user's folder; copier's own path checks (file names, `_subdirectory`, `_external_data`, symlinks
read from the template) stay on beneath them.
"""

import os
import stat
import unicodedata
from pathlib import Path, PurePosixPath

from generator.errors import TemplateRefusedError
from generator.trust.limits import Limits, current, size

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


def check_rendered(root: Path, template: str, limits: Limits | None = None) -> None:
    """Raise TemplateError if the render in `root` has a `.git` entry, a link out of it, or a git repository.

    Also refused: FIFOs, devices and sockets, links in a loop, and a render past `limits` (files, size, nesting).
    Called on every render before git or the user's folder ever sees it.
    """
    limits = limits or current()
    top = root.resolve()
    count = total = 0

    def refuse(path: Path, rule: str) -> TemplateRefusedError:
        where = path.relative_to(root).as_posix()
        return TemplateRefusedError(f"template {template} renders {shown_path(where)}: {rule} ({NEVER})")

    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if len(here.relative_to(root).parts) >= limits.depth and dirs:
            raise refuse(here / dirs[0], f"folders nested more than {limits.depth} deep (SCAFFOLD_LIMIT_DEPTH)")
        for name in dirs + files:
            path = here / name
            if is_git_name(name):
                raise refuse(path, "nothing may be written at or under .git")
            problem = _link_problem(path, top, "the new repo") or _link_into_git(path, top)
            if problem is not None:
                raise refuse(path, problem)
            info = path.lstat()
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                raise refuse(path, "not a file, folder or link (a FIFO, device or socket)")
            count, total = count + 1, total + (info.st_size if stat.S_ISREG(info.st_mode) else 0)
            if count > limits.files:
                raise refuse(path, f"more than {limits.files} files, folders and links (SCAFFOLD_LIMIT_FILES)")
            if total > limits.bytes:
                raise refuse(path, f"more than {size(limits.bytes)} in all (SCAFFOLD_LIMIT_BYTES)")
        if _is_bare_repo(dirs, files):
            raise refuse(here / "HEAD", "a git repository (HEAD, objects, refs) inside the new repo")
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]


def check_template_tree(folder: Path, template: str, limits: Limits | None = None) -> None:
    """Raise TemplateRefusedError if a link in the template's folder points outside it (its own `.git` aside).

    copier would either follow such a link, reading the user's files into the new repo, or copy it, leaving
    a link out of the new repo; both are refused before copier starts, as are links in a loop and
    folders nested past `limits`. Only names and links are read here, never a file's content.
    """
    limits = limits or current()
    root = folder.resolve()
    for here, dirs, files in os.walk(root):
        if Path(here) == root and ".git" in dirs:
            dirs.remove(".git")  # the template's own repository, which copier never renders
        where_here = Path(here).relative_to(root)
        if len(where_here.parts) >= limits.depth and dirs:
            at = shown_path(where_here.as_posix())
            raise TemplateRefusedError(
                f"template {template} nests folders more than {limits.depth} deep (at {at}); "
                f"accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH) ({NEVER})"
            )
        for name in dirs + files:
            path = Path(here) / name
            problem = _link_problem(path, root, "the template")
            if problem is not None:
                where = path.relative_to(root).as_posix()
                raise TemplateRefusedError(f"template {template} has {shown_path(where)}, {problem} ({NEVER})")
        dirs[:] = [d for d in dirs if not (Path(here) / d).is_symlink()]


def _link_problem(path: Path, root: Path, inside: str) -> str | None:
    """Describe what is wrong with the link `path` (absolute, out of `root`, or in a loop), or None when it is fine."""
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    if os.path.isabs(target):
        return f"a link to {shown_path(target)}, outside {inside}"
    try:
        resolved = (path.parent / target).resolve(strict=False)
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop of links
        return f"a link to {shown_path(target)} in a loop of links"
    if not resolved.is_relative_to(root):
        return f"a link to {shown_path(target)}, outside {inside}"
    return None


def _link_into_git(path: Path, root: Path) -> str | None:
    """Describe the link `path` when it leads at or under a `.git` inside `root` (the new repo), else None.

    The render has no `.git` yet; once scaffold makes the repo, whatever writes through such a link writes
    git's config or hooks. Called only on links `_link_problem` found inside `root`.
    """
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    where = (path.parent / target).resolve(strict=False).relative_to(root)
    if any(is_git_name(part) for part in where.parts):
        return f"a link to {shown_path(target)}; nothing may be written at or under .git"
    return None


def shown_path(path: str, limit: int = 160) -> str:
    """Return a path for a one-line message: control characters escaped, cut in the middle past `limit` characters."""
    text = path.encode("unicode_escape").decode("ascii") if not path.isprintable() else path
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]} ({len(path)} characters)"


def _is_bare_repo(dirs: list[str], files: list[str]) -> bool:
    """Whether git could take the folder itself for a repository: a HEAD beside objects, refs or commondir.

    git only checks that `objects` and `refs` exist (a file will do), so their kind is not looked at.
    """
    names = set(dirs) | set(files)
    return "HEAD" in names and bool(names & {"objects", "refs", "commondir"})
