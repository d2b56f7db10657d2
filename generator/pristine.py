"""The pristine renders a repo went through, kept in its own git history for later three-way merges.

Every render scaffold makes is committed, untouched by the user, on the branch `scaffold/pristine`.
`scaffold new` makes that commit the first commit of the repo (with secret answers, which a pristine
render holds as placeholders, the parent of the first commit, which fills them in: secret_answers.py);
`scaffold update` adds the next pristine render on top of the previous one and merges it, so git
always has the right merge base, and the old template version never needs to be found again. Each
pristine commit also carries trailers, so the history can be found again after a clone that did not
fetch the branch.
"""

import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
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


def commit_filled_in(repo: Path, pristine: str) -> str:
    """Commit everything in the fresh repo `repo` as the child of its pristine commit `pristine`: the secrets filled in.

    A template with secret answers has its pristine render hold placeholders (secret_answers); the
    render with the real values is the user's first commit, on top of it, so the next update merges
    from the placeholders and the user's branch alone holds the secrets.
    """
    gitrepo.git(repo, "update-ref", "HEAD", pristine)  # the unborn branch HEAD names starts at the pristine render
    gitrepo.git(repo, "add", "-A")
    message = (
        "Fill in the secret answers\n\n"
        f"The pristine render (branch {PRISTINE_BRANCH}) holds a placeholder for each secret answer; "
        "this commit puts the real values in.\n"
    )
    gitrepo.git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    return gitrepo.head(repo)


@dataclass(frozen=True)
class PristineCommit:
    """A commit holding a pristine render, as its trailers describe it."""

    sha: str
    template: str
    version: str


_FIELD, _RECORD = "\x1f", "\x1e"


def newest_pristine(repo: Path, rev: str = "HEAD", answers_file: str | None = None) -> PristineCommit | None:
    """Return the newest pristine commit in the history of `rev` (of one template: see `pristine_history`), or None."""
    history = pristine_history(repo, rev, answers_file)
    return history[0] if history else None


def pristine_history(repo: Path, rev: str = "HEAD", answers_file: str | None = None) -> list[PristineCommit]:
    """Return the pristine commits in the history of `rev`, found by their trailers, newest first.

    With `answers_file`, only the renders of the template that writes it: a repo with several
    templates applied has one pristine chain per answers file, and each merges from its own.

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
        return []
    found: list[tuple[str, list[str], str, str]] = []
    for record in log.stdout.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 4 and fields[0] and fields[2].strip() and fields[3].strip():
            found.append((fields[0], fields[1].split(), fields[2].strip(), fields[3].strip()))
    chain: dict[str, bool] = {}
    for sha, parents, _, _ in reversed(found):  # oldest first, so parents are decided before children
        chain[sha] = not parents or (len(parents) == 1 and chain.get(parents[0], False))
    merged = _merged_side_parents(repo, rev)
    history = [
        PristineCommit(sha, template, version)
        for sha, parents, template, version in found
        if chain[sha] and (not parents or sha in merged)
    ]
    if answers_file is None or not history:
        return history
    has_file = gitrepo.read_objects(repo, [f"{p.sha}:{answers_file}" for p in history])
    return [p for p, content in zip(history, has_file, strict=True) if content is not None]


def contained_pristine(
    repo: Path, history: list[PristineCommit], answers_file: str, answers: bytes | None, version: str | None
) -> PristineCommit | None:
    """Return the pristine commit whose render the branch really contains, among `history` (newest first).

    A pristine commit can be in the history without its changes: a merge that was abandoned and then
    committed as it stood. The branch's own answers file says which render it holds, since an update
    always leaves it exactly as the pristine render has it: the newest pristine commit with the same
    answers file (`answers`, its content), else the newest of the recorded `version`, else (an answers
    file another tool rewrote, e.g. `copier update`) the newest pristine commit.
    """
    if not history:
        return None
    recorded = gitrepo.read_objects(repo, [f"{p.sha}:{answers_file}" for p in history])
    for pristine, content in zip(history, recorded, strict=True):
        if answers is not None and content == answers:
            return pristine
    return next((p for p in history if version is not None and p.version == version), history[0])


def _merged_side_parents(repo: Path, rev: str) -> set[str]:
    """Return the commits that merges in the history of `rev` brought in (their second and later parents)."""
    log = gitrepo.git(repo, "log", rev, "--merges", "--format=%P", check=False)
    return {sha for line in log.stdout.splitlines() for sha in line.split()[1:]}


def render_tree(repo: Path, render_dir: Path, files: Iterable[str], env: Mapping[str, str] | None = None) -> str:
    """Write the git tree of `files` (paths below `render_dir`) into `repo`'s objects; return its id.

    Neither the user's work tree nor their index is touched: the tree is built in a temporary index,
    with the render folder as the work tree. The files are named one by one and added with --force,
    so the repo's own ignore rules (`.git/info/exclude`, `core.excludesFile`) cannot leave any out:
    the tree is exactly the render. `env` can send the objects elsewhere (see `scratch_objects`).
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-index-") as tmp:
        listing = Path(tmp) / "files"
        listing.write_bytes(b"".join(f"{path}\0".encode() for path in files))
        index_env = {**(env or {}), "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        gitrepo.git(
            repo,
            "--literal-pathspecs",
            f"--work-tree={render_dir}",
            "add",
            "--force",
            f"--pathspec-from-file={listing}",
            "--pathspec-file-nul",
            env=index_env,
        )
        return gitrepo.git(repo, "write-tree", env=index_env).stdout.strip()


def commit_render(repo: Path, tree: str, parent: str | None, message: str) -> str:
    """Commit the render `tree` as the child of the pristine commit `parent`; return the new commit.

    With `parent` None the commit starts a pristine history of its own (`scaffold adopt`).

    If that commit is already in the history of HEAD (the same render, merged before but abandoned,
    committed in the same second), a note in the message makes it a new commit, so that git merges
    it from `parent` again rather than finding it already merged. No branch moves; see `point_branch`.
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-message-") as tmp:
        message_file = Path(tmp) / "message"
        message_file.write_text(message, encoding="utf-8")
        parents = ["-p", parent] if parent else []
        sha = gitrepo.git(repo, "commit-tree", tree, *parents, "-F", str(message_file)).stdout.strip()
        if gitrepo.git(repo, "merge-base", "--is-ancestor", sha, "HEAD", check=False).returncode != 0:
            return sha
        title, _, rest = message.partition("\n")
        message_file.write_text(f"{title}\n\nApplied again: an earlier merge of this render did not keep it.\n{rest}")
        return gitrepo.git(repo, "commit-tree", tree, *parents, "-F", str(message_file)).stdout.strip()


@contextmanager
def scratch_objects(repo: Path) -> Iterator[dict[str, str]]:
    """Yield the environment that makes git write new objects to a temporary store, reading `repo`'s too.

    `--plan` promises no git objects: its trees go there and are removed afterwards.
    """
    objects = gitrepo.git(repo, "rev-parse", "--path-format=absolute", "--git-path", "objects").stdout.strip()
    with tempfile.TemporaryDirectory(prefix="scaffold-objects-") as tmp:
        yield {"GIT_OBJECT_DIRECTORY": tmp, "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects}


def template_renames(repo: Path, base: str, tree: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the files the template renamed between the pristine commit `base` and the render `tree`, old -> new.

    git's own rename detection (`diff-tree -M`), the one its merge uses to carry your edits to the new path.
    """
    out = gitrepo.git(repo, "diff-tree", "-r", "-z", "-M", "--name-status", base, tree, env=env).stdout
    fields = out.split("\0")
    renames: dict[str, str] = {}
    at = 0
    while at < len(fields) and fields[at]:
        status = fields[at]
        if status.startswith(("R", "C")):
            if status.startswith("R"):
                renames[fields[at + 1]] = fields[at + 2]
            at += 3
        else:
            at += 2
    return renames


def applied_branch(answers_file: str) -> str:
    """Return the pristine branch of a template applied next to another one (`scaffold apply`), by its answers file.

    `.copier-answers.ci.yml` -> `scaffold/pristine-ci`; the repo's first template keeps `scaffold/pristine`.
    """
    stem = re.sub(r"\.ya?ml$", "", answers_file).replace(".copier-answers", "").replace("copier-answers", "")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "answers"
    return f"{PRISTINE_BRANCH}-{slug}"


def branch_for(repo: Path, answers_file: str) -> str:
    """Return the pristine branch of the template of `answers_file`: its own if `apply` made one, else the usual."""
    own = applied_branch(answers_file)
    return own if branch_tip(repo, own) is not None else PRISTINE_BRANCH


def branch_tip(repo: Path, branch: str = PRISTINE_BRANCH) -> str | None:
    """Return the commit `branch` (by default `scaffold/pristine`) points to, or None when it is missing."""
    ref = f"refs/heads/{branch}^{{commit}}"
    result = gitrepo.git(repo, "rev-parse", "--verify", "--quiet", ref, check=False)
    return result.stdout.strip() or None


def point_branch(repo: Path, sha: str | None, branch: str = PRISTINE_BRANCH) -> None:
    """Point `branch` at `sha` (creating the branch if needed), or delete it when `sha` is None."""
    if sha is None:
        gitrepo.git(repo, "update-ref", "-d", f"refs/heads/{branch}", check=False)
    else:
        gitrepo.git(repo, "update-ref", "-m", "scaffold update", f"refs/heads/{branch}", sha)


@contextmanager
def undone_unless_done(repo: Path, branch: str = PRISTINE_BRANCH) -> Iterator[None]:
    """Run a block that merges a pristine render into the repo; if it raises or is interrupted, put the repo back.

    The merge is aborted, HEAD reset to where it was and `branch` pointed where it was (deleted if it was
    not there). SIGTERM is acted on once the running git command ends, so each step of the block may be
    the last: its commit made, its branch moved; all of it is undone (the tree was clean: see refusals).
    """
    before, tip = gitrepo.head(repo), branch_tip(repo, branch)
    try:
        yield
    except BaseException:  # Ctrl-C and SIGTERM too: exit 130 or 143 means nothing was written
        gitrepo.git(repo, "merge", "--abort", check=False)
        gitrepo.git(repo, "reset", "--quiet", "--hard", before, check=False)
        point_branch(repo, tip, branch)
        raise
