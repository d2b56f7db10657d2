"""The pristine renders a repo went through, kept in its own git history for later three-way merges.

Every render scaffold makes is committed, untouched by the user, on the branch `scaffold/pristine`.
`scaffold new` makes that commit the first commit of the repo; `scaffold update` adds the next
pristine render on top of the previous one and merges it, so git always has the right merge base,
and the old template version never needs to be found again. Each pristine commit also carries
trailers, so the history can be found again after a clone that did not fetch the branch.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import gitrepo
from generator.sources import TemplateSource

PRISTINE_BRANCH = "scaffold/pristine"
TEMPLATE_TRAILER = "Scaffold-Template"
VERSION_TRAILER = "Scaffold-Template-Version"


def commit_message(title: str, source: TemplateSource) -> str:
    """Return the message of a pristine commit, with the trailers that identify it."""
    version = source.version or "unversioned"
    return (
        f"{title} from template {source.recorded_src} {version}\n\n"
        f"Pristine render by scaffold; the branch {PRISTINE_BRANCH} keeps these for updates.\n\n"
        f"{TEMPLATE_TRAILER}: {source.recorded_src}\n{VERSION_TRAILER}: {version}\n"
    )


def commit_pristine(repo: Path, source: TemplateSource, message_title: str) -> str:
    """Commit everything in the fresh repo `repo` as its first commit and point the pristine branch at it."""
    gitrepo.git(repo, "add", "-A")
    gitrepo.git(repo, "commit", "-q", "--no-verify", "-m", commit_message(message_title, source))
    gitrepo.git(repo, "branch", PRISTINE_BRANCH)
    return gitrepo.head(repo)


@dataclass(frozen=True)
class PristineCommit:
    """A commit holding a pristine render, as its trailers describe it."""

    sha: str
    template: str
    version: str


_FIELD, _RECORD = "\x1f", "\x1e"


def newest_pristine(repo: Path, rev: str = "HEAD") -> PristineCommit | None:
    """Return the newest pristine commit in the history of `rev`, found by its trailers, or None.

    The branch is not needed: every update merges its pristine commit, so the history holds them all,
    even in a fresh clone that never fetched `scaffold/pristine`. A commit counts only when it is the
    first render or was merged in (a merge's second parent), and its parents are pristine commits
    down to the first render, so a squashed or rebased copy of a pristine commit (its trailers, but
    the user's files) is never taken as a merge base.
    """
    log = gitrepo.git(
        repo,
        "log",
        rev,
        "--topo-order",
        f"--grep=^{VERSION_TRAILER}: ",
        f"--format=%H{_FIELD}%P{_FIELD}%(trailers:key={TEMPLATE_TRAILER},valueonly,separator=%x2C)"
        f"{_FIELD}%(trailers:key={VERSION_TRAILER},valueonly,separator=%x2C){_RECORD}",
        check=False,
    )
    if log.returncode != 0:
        return None
    found: list[tuple[str, list[str], str, str]] = []
    for record in log.stdout.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 4 and fields[0] and fields[2].strip() and fields[3].strip():
            found.append((fields[0], fields[1].split(), fields[2].strip(), fields[3].strip()))
    chain: dict[str, bool] = {}
    for sha, parents, _, _ in reversed(found):  # oldest first, so parents are decided before children
        chain[sha] = not parents or (len(parents) == 1 and chain.get(parents[0], False))
    merged = _merged_side_parents(repo, rev)
    for sha, parents, template, version in found:
        if chain[sha] and (not parents or sha in merged):
            return PristineCommit(sha, template, version)
    return None


def _merged_side_parents(repo: Path, rev: str) -> set[str]:
    """Return the commits that merges in the history of `rev` brought in (their second and later parents)."""
    log = gitrepo.git(repo, "log", rev, "--merges", "--format=%P", check=False)
    return {sha for line in log.stdout.splitlines() for sha in line.split()[1:]}


def commit_render(repo: Path, render_dir: Path, parent: str | None, message: str) -> str:
    """Commit the files of `render_dir` as the child of the pristine commit `parent`; return the new commit.

    With `parent` None the commit starts a pristine history of its own (`scaffold adopt`).

    Neither the user's work tree nor their index is touched: the tree is built in a temporary index,
    with the render folder as the work tree, so every file the render no longer has is gone from it.
    No branch moves; see `point_branch`.
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        gitrepo.git(repo, f"--work-tree={render_dir}", "add", "--all", env=env)
        tree = gitrepo.git(repo, "write-tree", env=env).stdout.strip()
        message_file = Path(tmp) / "message"
        message_file.write_text(message, encoding="utf-8")
        parents = ["-p", parent] if parent else []
        return gitrepo.git(repo, "commit-tree", tree, *parents, "-F", str(message_file)).stdout.strip()


def branch_tip(repo: Path) -> str | None:
    """Return the commit `scaffold/pristine` points to, or None when the branch is missing."""
    ref = f"refs/heads/{PRISTINE_BRANCH}^{{commit}}"
    result = gitrepo.git(repo, "rev-parse", "--verify", "--quiet", ref, check=False)
    return result.stdout.strip() or None


def point_branch(repo: Path, sha: str | None) -> None:
    """Point `scaffold/pristine` at `sha` (creating the branch if needed), or delete it when `sha` is None."""
    if sha is None:
        gitrepo.git(repo, "update-ref", "-d", f"refs/heads/{PRISTINE_BRANCH}", check=False)
    else:
        gitrepo.git(repo, "update-ref", "-m", "scaffold update", f"refs/heads/{PRISTINE_BRANCH}", sha)
