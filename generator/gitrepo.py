"""The git commands scaffold runs, with an identity fallback for users who never configured one.

Every git command scaffold starts (and, through `hardened_environ` and render.py, every one copier
starts while it renders) runs with the settings in `HARDENING` forced on the command-line level of git's config, so
that nothing a repository's own config or files could name is executed: no hooks, no fsmonitor
command, no `ext::` transport, no implicit bare repository found inside a rendered folder.
"""

import functools
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from generator.errors import GitError

FALLBACK_NAME = "scaffold"
FALLBACK_EMAIL = "scaffold@localhost"

HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),  # no hook runs: pre-commit, post-checkout, reference-transaction, ...
    ("core.fsmonitor", "false"),  # a repository's config could name any command as its fsmonitor
    ("protocol.ext.allow", "never"),  # `ext::` URLs run commands
    ("protocol.file.allow", "user"),  # a template's submodules may not clone folders of this machine
    ("safe.bareRepository", "explicit"),  # a rendered folder holding HEAD/objects/refs is not a repository
)
"""Config forced on every git command scaffold runs, at the precedence of `git -c`."""


def hardened(environ: Mapping[str, str]) -> dict[str, str]:
    """Return `environ` plus GIT_CONFIG_COUNT/KEY/VALUE entries that force `HARDENING` (kept after any already set)."""
    env = dict(environ)
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    for key, value in HARDENING:
        env[f"GIT_CONFIG_KEY_{count}"] = key
        env[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_MERGE_AUTOEDIT"] = "no"
    return env


@contextmanager
def hardened_environ() -> Iterator[None]:
    """Force `HARDENING` on the git commands that code in this process starts itself (copier's), for a while."""
    saved = dict(os.environ)
    os.environ.update(hardened(os.environ))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def git(
    cwd: Path,
    *args: str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd` and return the finished process; raise GitError when it fails and check is set.

    `env` adds variables (e.g. GIT_INDEX_FILE) to the environment git runs in; `input_text` is its stdin.
    """
    try:
        with _sigterm_deferred():
            result = subprocess.run(
                ["git", *args], cwd=cwd, env={**_env(cwd), **(env or {})}, capture_output=True, text=True,
                check=False, input=input_text,
            )  # fmt: skip
    except FileNotFoundError:
        raise GitError("git is not installed; install git or pass --no-git") from None
    if check and result.returncode != 0:
        reason = git_reason(result.stderr or result.stdout)
        error = GitError(f"git {_subcommand(args)} failed in {cwd}: {reason}")
        error.reason = reason
        raise error
    return result


def git_reason(output: str) -> str:
    """git's own reason for a failure, in one line: its first `fatal:` or `error:` line, else its last line.

    The first such line is the cause ("'x' does not appear to be a git repository"); later ones are its
    consequences ("Could not read from remote repository").

    The prefix is dropped, so the reason reads inside a sentence: "unable to access '...': Could not resolve host".
    """
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return "git gave no reason"
    flagged = [line for line in lines if line.startswith(("fatal:", "error:"))]
    reason = flagged[0] if flagged else lines[-1]
    for prefix in ("fatal:", "error:"):
        reason = reason.removeprefix(prefix)
    return reason.strip()


def _subcommand(args: Sequence[str]) -> str:
    """The git command's name (`commit`, `clone`), never the whole command line with scaffold's own arguments."""
    return next((arg for arg in args if not arg.startswith("-")), "")


_defer_sigterm = False


def defer_sigterm_during_git(defer: bool = True) -> None:
    """Make SIGTERM wait for the git command scaffold is running to end, in this process (until called with False).

    For processes that turn SIGTERM into a clean stop (fleet workers): Python would otherwise kill the
    git command it waits for, which can leave `.git/index.lock` behind and the repo half merged.
    """
    global _defer_sigterm
    _defer_sigterm = defer


@contextmanager
def _sigterm_deferred() -> Iterator[None]:
    if not _defer_sigterm or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _env(cwd: Path) -> dict[str, str]:
    env = hardened(os.environ)
    needed = {key for key, variables in _IDENTITY.items() if not all(env.get(v) for v in variables)}
    configured = _configured(cwd, frozenset(needed)) if needed else frozenset()
    for key in needed - configured:
        for variable in _IDENTITY[key]:
            env.setdefault(variable, _FALLBACK[key])
    return env


_IDENTITY = {
    "user.name": ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"),
    "user.email": ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"),
}
_FALLBACK = {"user.name": FALLBACK_NAME, "user.email": FALLBACK_EMAIL}


@functools.lru_cache(maxsize=64)  # asked before every git command: once per folder is enough
def _configured(cwd: Path, keys: frozenset[str]) -> frozenset[str]:
    """Return which of `keys` (user.name, user.email) git's config sets for `cwd`, in one `git config` process."""
    where = cwd if cwd.is_dir() else Path.cwd()
    pattern = "^(" + "|".join(sorted(key.replace(".", "\\.") for key in keys)) + ")$"
    result = subprocess.run(
        ["git", "config", "--get-regexp", pattern], cwd=where, env=hardened(os.environ), capture_output=True, text=True
    )
    found = (line.partition(" ") for line in result.stdout.splitlines())
    return frozenset(key.lower() for key, _, value in found if value.strip()) & keys


def is_repo(path: Path) -> bool:
    """Return whether `path` is the top of a git work tree."""
    if not (path / ".git").exists():
        return False
    result = git(path, "rev-parse", "--show-toplevel", check=False)
    return result.returncode == 0 and Path(result.stdout.strip()).resolve() == path.resolve()


def is_clean(path: Path) -> bool:
    """Return whether the work tree at `path` has no uncommitted or untracked changes."""
    return git(path, "status", "--porcelain").stdout.strip() == ""


def head(path: Path) -> str:
    """Return the commit id HEAD points to."""
    return git(path, "rev-parse", "HEAD").stdout.strip()


def tree_modes(cwd: Path, *ls_tree_args: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the git mode of each path `git ls-tree -z ARGS` lists (e.g. `-r TREE`, or `REV -- PATH...`)."""
    listing = git(cwd, "ls-tree", "-z", *ls_tree_args, env=env).stdout
    modes = {}
    for entry in listing.split("\0"):
        meta, _, path = entry.partition("\t")
        if path:
            modes[path] = meta.split()[0]
    return modes


def tree_with(cwd: Path, tree: str, changes: Mapping[str, bytes | None], env: Mapping[str, str] | None = None) -> str:
    """Return the tree `tree` with each file of `changes` (path -> content; None: removed) written into it.

    A changed file keeps its mode in `tree` (a new one is a plain file). The blobs are written to the object
    store `env` names (a scratch store: pristine.scratch_objects), through a private index.
    """
    if not changes:
        return tree
    modes = tree_modes(cwd, "--full-tree", tree, "--", *changes, env=env)
    with tempfile.TemporaryDirectory(prefix="scaffold-index-") as tmp:
        index_env = {**(env or {}), "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(cwd, "read-tree", tree, env=index_env)
        blob_file = Path(tmp) / "blob"
        lines = []
        for path, content in sorted(changes.items()):
            if content is None:
                lines.append(f"0 {'0' * 40}\t{path}")
                continue
            blob_file.write_bytes(content)
            blob = git(cwd, "hash-object", "-w", "--no-filters", str(blob_file), env=index_env).stdout.strip()
            lines.append(f"{modes.get(path, '100644')} {blob}\t{path}")
        git(cwd, "update-index", "-z", "--index-info", env=index_env, input_text="\0".join(lines) + "\0")
        return git(cwd, "write-tree", env=index_env).stdout.strip()


def read_objects(cwd: Path, names: Sequence[str], env: Mapping[str, str] | None = None) -> list[bytes | None]:
    """Return the contents of the git objects `names` (`HEAD:go.mod`, `:2:main.go`, a blob id); None if missing.

    `env` adds variables, e.g. a scratch object store (pristine.scratch_objects).
    """
    if not names:
        return []
    request = "".join(f"{name}\n" for name in names).encode()
    try:
        result = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=cwd,
            env={**hardened(os.environ), **(env or {})},
            input=request,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed; install git") from None
    if result.returncode != 0:
        raise GitError(f"git cat-file --batch failed in {cwd}: {result.stderr.decode(errors='replace').strip()}")
    contents: list[bytes | None] = []
    out, at = result.stdout, 0
    for _ in names:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if header[-1] in (b"missing", b"ambiguous"):
            contents.append(None)
            continue
        size = int(header[2])
        contents.append(out[at : at + size])
        at += size + 1  # the content is followed by a newline
    return contents
