"""Git templates on this machine: one clone per template and one plain folder per version, shared across a fleet.

A git template is cloned (bare), its version resolved (`--vcs-ref`, else the newest version tag, else
the default branch), and that commit's files written to a plain folder without `.git`. copier renders
from the plain folder, so it does not clone the template a second time.

Alone, each checkout lives in a temporary folder removed afterwards. In a fleet run, the parent
process opens `shared()` before its workers start; every worker then takes its checkouts from that
folder, keyed by the template's canonical identity and the resolved commit, so each template is
cloned once and each version written once per run, whatever the number of repos. The folder is
removed when the run ends. What a checkout yields still records the template as the user named it
(`recorded_src`), so consent and the trust checks see the real template, never the cache.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from generator import gitrepo
from generator.errors import GitError, TemplateError
from generator.sources import TemplateSource, canonical, git_url, is_git_url, newest_tag
from generator.trust.guard import check_template_tree
from generator.trust.snapshot import take_snapshot

_shared_folder: Path | None = None
"""The fleet run's checkout folder in this process, set by `shared()` or, in a worker, by `use_folder`."""


def use_folder(folder: Path | None) -> None:
    """Make this process take its checkouts from `folder` (None: temporary ones); a worker pool's initializer."""
    global _shared_folder
    _shared_folder = folder


SHARED_PREFIX = "scaffold-checkouts-"
_RUN_LOCK = ".run.lock"
"""A file in each shared folder, locked by the run that uses the folder for as long as it runs."""


@contextmanager
def shared() -> Iterator[Path]:
    """Yield a folder for the checkouts of one fleet run, used by this process too; removed afterwards.

    A run that was killed (SIGKILL) cannot remove its folder: the next run removes it, knowing it for
    a dead run's because no process holds its lock any more.
    """
    remove_leftovers()
    previous = _shared_folder
    folder = Path(tempfile.mkdtemp(prefix=SHARED_PREFIX))
    try:
        with _locked(folder / _RUN_LOCK):  # held until the folder is gone
            use_folder(folder)
            try:
                yield folder
            finally:
                use_folder(previous)
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers(parent: Path | None = None) -> list[Path]:
    """Remove the shared checkout folders of runs that ended without removing them; return those removed."""
    try:
        import fcntl
    except ImportError:  # no flock: a leftover cannot be told from a running run's folder
        return []
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{SHARED_PREFIX}*"):
        lock = folder / _RUN_LOCK
        try:
            handle = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:  # no lock file: not a folder of this kind, or a run that is just starting
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its run is still going
        finally:
            os.close(handle)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@contextmanager
def checkout(source: TemplateSource) -> Iterator[TemplateSource]:
    """Yield `source` as a folder on this machine, at the version it asks for.

    A git template yields its version's files in a plain folder, with `vcs_ref` the resolved commit
    and `version` what `git describe --tags --always` says (what copier records as `_commit`); it
    keeps `recorded_src`. A local folder yields a private snapshot of it (trust.snapshot), whose links
    the guard has checked: what renders is what was checked, whatever changes in the folder meanwhile.
    Bundled templates, which ship inside scaffold, are yielded unchanged.
    """
    if not source.is_git:
        if source.vcs_ref is not None:
            raise TemplateError(
                f"--vcs-ref {source.vcs_ref} needs a git template, and {source.recorded_src} is not one; "
                "accepted: no --vcs-ref, or a git URL or local git repository as the template"
            )
        if source.bundled or source.local_path is None:
            yield source
            return
        with tempfile.TemporaryDirectory(prefix="scaffold-template-") as tmp:  # mode 0700: private
            snapshot = Path(tmp) / "template"
            take_snapshot(source.local_path, snapshot, source.recorded_src)
            check_template_tree(snapshot, source.recorded_src)
            yield replace(source, src=str(snapshot))
        return
    if _shared_folder is not None:
        checked_out = _checked_out(_shared_folder / _key(source), source)
        check_template_tree(Path(checked_out.src), source.recorded_src)
        yield checked_out
        return
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as tmp:
        checked_out = _checked_out(Path(tmp), source)
        check_template_tree(Path(checked_out.src), source.recorded_src)
        yield checked_out


def _key(source: TemplateSource) -> str:
    return hashlib.sha256(canonical(source.recorded_src).encode()).hexdigest()[:24]


def _checked_out(folder: Path, source: TemplateSource) -> TemplateSource:
    """Clone `source` into `folder` (once) and write the version it asks for (once); return it as a plain folder."""
    folder.mkdir(parents=True, exist_ok=True)
    clone = folder / "clone.git"
    with _locked(folder / "lock"):
        if not clone.is_dir():
            _clone(source, folder, clone)
        tags = _git(clone, "tag", "--list").stdout.split()
        ref = source.vcs_ref or newest_tag(tags) or "HEAD"
        commit = _resolve_commit(clone, ref)
        if commit is None:
            newest = newest_tag(tags)
            raise TemplateError(
                f"template {source.recorded_src} has no version {ref!r}; accepted: a tag, branch or commit"
                + (f" (newest tag: {newest})" if newest else " (it has no tags)")
            )
        files = folder / commit
        if not files.is_dir():
            _write_files(clone, commit, folder, files)
        version = _git(clone, "describe", "--tags", "--always", commit).stdout.strip()
    return replace(source, src=str(files), vcs_ref=commit, version=version)


def _clone(source: TemplateSource, folder: Path, clone: Path) -> None:
    url = git_url(source.src) if is_git_url(source.src) else str(Path(source.src).expanduser().resolve())
    partial = Path(tempfile.mkdtemp(prefix="clone-", dir=folder))
    try:
        gitrepo.git(folder, "clone", "--quiet", "--bare", "--", url, str(partial))
    except GitError as error:
        raise TemplateError(
            f"template {source.recorded_src} cannot be cloned: {error.reason or error.message}; accepted: a git "
            "repository this machine can reach and read (check its name, the network and your git credentials)"
        ) from None
    _settle(partial, clone)


def _write_files(clone: Path, commit: str, folder: Path, files: Path) -> None:
    """Write the files of `commit` (modes and symlinks as committed) to the new folder `files`."""
    partial = Path(tempfile.mkdtemp(prefix="files-", dir=folder))
    index = {"GIT_INDEX_FILE": str(partial) + ".index"}
    try:
        _git(clone, "read-tree", commit, env=index)
        _git(clone, f"--work-tree={partial}", "checkout-index", "--all", "--force", env=index)
    finally:
        Path(index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    _settle(partial, files)


def _settle(partial: Path, final: Path) -> None:
    """Move a finished folder to its place; when another worker got there first (no lock), keep theirs."""
    try:
        partial.rename(final)
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(partial, ignore_errors=True)


def _resolve_commit(clone: Path, ref: str) -> str | None:
    if ref.startswith("-") or re.search(r"\s", ref):
        return None
    found = _git(clone, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return found.stdout.strip() if found.returncode == 0 else None


def _git(
    clone: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run git on the bare clone, named explicitly (scaffold's git never discovers a bare repository)."""
    return gitrepo.git(clone, f"--git-dir={clone}", *args, env=env, check=check)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` while workers of the same run reach for the same template."""
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): concurrent workers may clone twice, each into its own folder
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
