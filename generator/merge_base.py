"""The merge base of an update: the pristine render of the release the answers file records, with its answers.

The answers file says which release a branch holds and with which answers, whoever wrote it last
(a `scaffold update` merged with a merge commit, squashed or rebased, or a plain `copier update`).
Its pristine render is found, in this order:

1. in the history of HEAD: a pristine commit (pristine.py) whose answers file matches;
2. anywhere else in the repo (`scaffold/pristine`, a remote's copy of it, an update branch);
3. rendered again, for the recorded answers, when the template still has that release (a git
   template's tag, or the bundled template when the installed scaffold is that release), as
   `scaffold adopt` does;
4. failing all three (the bundled template of an older scaffold, not installed), the newest
   pristine commit of the history, as before: the merge may then repeat changes the branch has.

Merge ancestry never decides which release is applied: a squash merge leaves the history without
the pristine commit, yet the answers file says the release is there.
"""

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator import gitrepo
from generator.errors import ScaffoldError
from generator.pristine import (
    TEMPLATE_TRAILER,
    VERSION_TRAILER,
    PristineCommit,
    commit_message,
    commit_render,
    contained_pristine,
    pristine_history,
    render_tree,
)
from generator.rerender import Recorded, fresh_render, same_template
from generator.secret_answers import same_answers
from generator.snapshots import Snapshot, of_commit
from generator.sources import BUNDLED_PREFIX, TemplateSource, bundled, resolve
from generator.trust.consent import Consent

HISTORY, ELSEWHERE, RENDERED, NEWEST = "history", "elsewhere", "rendered", "newest pristine"


@dataclass(frozen=True)
class MergeBase:
    """The pristine render an update merges from, and where it was found."""

    commit: PristineCommit
    found: str
    """HISTORY, ELSEWHERE (another ref), RENDERED (rendered again) or NEWEST (the fallback)."""

    @property
    def sha(self) -> str:
        """The pristine commit's id."""
        return self.commit.sha


def matches(content: bytes | None, recorded: Recorded) -> bool:
    """Return whether an answers file's `content` records the same template, release and answers as `recorded`."""
    if content is None:
        return False
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        return False
    if not isinstance(data, dict):
        return False
    src, commit = data.get("_src_path"), data.get("_commit")
    answers = {k: v for k, v in data.items() if not str(k).startswith("_")}
    return (
        isinstance(src, str)
        and same_template(src, recorded.src)
        and (None if commit is None else str(commit)) == recorded.version
        and same_answers(answers, recorded.answers)
    )


def recorded_pristine(repo: Path, recorded: Recorded, history: list[PristineCommit]) -> MergeBase | None:
    """Return the pristine commit of the recorded release and answers, from `history` (HEAD's) or any other ref."""
    answers = (repo / recorded.answers_file).read_bytes()
    contents = gitrepo.read_objects(repo, [f"{p.sha}:{recorded.answers_file}" for p in history])
    for pristine, content in zip(history, contents, strict=True):
        if content == answers or matches(content, recorded):
            return MergeBase(pristine, HISTORY)
    known = {p.sha for p in history}
    others = [p for p in _pristine_elsewhere(repo) if p.sha not in known]
    contents = gitrepo.read_objects(repo, [f"{p.sha}:{recorded.answers_file}" for p in others])
    for pristine, content in zip(others, contents, strict=True):
        if content == answers or matches(content, recorded):
            return MergeBase(pristine, ELSEWHERE)
    return None


def _pristine_elsewhere(repo: Path) -> list[PristineCommit]:
    """Return the pristine commits reachable from any ref (branches, remotes' branches), newest first.

    Only whole pristine chains count: a commit with the trailers whose parents are pristine commits down
    to a first render. A squashed or rebased copy has a user's commit as parent, so it never counts.
    """
    log = gitrepo.git(
        repo, "log", "--all", "--topo-order", f"--grep=^{VERSION_TRAILER}: ",
        f"--format=%H%x1f%P%x1f%(trailers:key={TEMPLATE_TRAILER},valueonly,separator=%x2C)"
        f"%x1f%(trailers:key={VERSION_TRAILER},valueonly,separator=%x2C)%x1e",
        check=False,
    )  # fmt: skip
    if log.returncode != 0:
        return []
    found: list[tuple[str, list[str], str, str]] = []
    for record in log.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 4 and fields[0] and fields[2].strip() and fields[3].strip():
            found.append((fields[0], fields[1].split(), fields[2].strip(), fields[3].strip()))
    chain: dict[str, bool] = {}
    for sha, parents, _, _ in reversed(found):
        chain[sha] = not parents or (len(parents) == 1 and chain.get(parents[0], False))
    return [PristineCommit(sha, template, version) for sha, _, template, version in found if chain[sha]]


def release_source(recorded: Recorded) -> TemplateSource | None:
    """Return the template at the release the answers file records, or None when it cannot be rendered here.

    A git template has its tags; the bundled template only the installed scaffold's release.
    """
    if recorded.version is None:
        return None
    try:
        if recorded.src.startswith(BUNDLED_PREFIX):
            source = bundled(recorded.src.removeprefix(BUNDLED_PREFIX))
            return source if source.version == recorded.version else None
        return resolve(recorded.src, recorded.version)
    except ScaffoldError:
        return None


def rendered_again(
    repo: Path, recorded: Recorded, *, trusted: Consent | bool, env: Mapping[str, str] | None = None
) -> PristineCommit | None:
    """Render the recorded release for the recorded answers and commit it with no parent; None if it cannot be.

    `env` may send the new objects to a scratch store (pristine.scratch_objects), for previews.
    """
    source = release_source(recorded)
    if source is None:
        return None
    try:
        with fresh_render(source, recorded, trusted=trusted, repo=repo) as again:
            if again.source.version != recorded.version:
                return None
            tree = render_tree(repo, again.folder, again.files, env)
            message = commit_message("Render again", again.source)
            sha = _commit_tree(repo, tree, message, env)
            return PristineCommit(sha, again.source.recorded_src, again.source.version or "")
    except ScaffoldError:
        return None


def _commit_tree(repo: Path, tree: str, message: str, env: Mapping[str, str] | None) -> str:
    if env is None:
        return commit_render(repo, tree, None, message)
    with tempfile.TemporaryDirectory(prefix="scaffold-message-") as tmp:
        message_file = Path(tmp) / "message"
        message_file.write_text(message, encoding="utf-8")
        return gitrepo.git(repo, "commit-tree", tree, "-F", str(message_file), env=env).stdout.strip()


def merge_base(
    repo: Path,
    recorded: Recorded,
    history: list[PristineCommit],
    *,
    trusted: Consent | bool = False,
    env: Mapping[str, str] | None = None,
) -> MergeBase:
    """Return the pristine render the branch holds according to its answers file (see the module's docstring).

    `history` is HEAD's pristine history (not empty). A render made again is committed (to `env`'s store).
    """
    found = recorded_pristine(repo, recorded, history)
    if found is not None:
        return found
    again = rendered_again(repo, recorded, trusted=trusted, env=env)
    if again is not None:
        return MergeBase(again, RENDERED)
    answers = (repo / recorded.answers_file).read_bytes()
    newest = contained_pristine(repo, history, recorded.answers_file, answers, recorded.version)
    assert newest is not None  # the history is not empty
    return MergeBase(newest, NEWEST)


def base_files(
    repo: Path, recorded: Recorded, *, trusted: Consent | bool = False, same_release: Snapshot | None = None
) -> Snapshot | None:
    """Return the files of the pristine render the repo's answers file records (for `check`), or None if unknown.

    Nothing is written to the repo: a render made again is read from its folder. `same_release` is a
    render of the recorded release for the recorded answers the caller already has, used before rendering.
    """
    history = pristine_history(repo, answers_file=recorded.answers_file) if gitrepo.is_repo(repo) else []
    if history:
        found = recorded_pristine(repo, recorded, history)
        if found is not None:
            return of_commit(repo, found.sha)
    if same_release is not None:
        return same_release
    source = release_source(recorded)
    if source is not None:
        try:
            with fresh_render(source, recorded, trusted=trusted, repo=repo) as again:
                if again.source.version == recorded.version:
                    return again.files
        except ScaffoldError:
            pass
    if not history:
        return None
    answers = (repo / recorded.answers_file).read_bytes()
    newest = contained_pristine(repo, history, recorded.answers_file, answers, recorded.version)
    return None if newest is None else of_commit(repo, newest.sha)


def head_holding(repo: Path, base: str, env: Mapping[str, str] | None = None) -> str:
    """Return HEAD, or when HEAD's history lacks the merge base `base`, a commit with HEAD's tree that has it.

    git merges from the best common ancestor. After a squash or rebase merge, or a `copier update`,
    HEAD's history lacks the pristine render its answers file records (or holds an older one), so the
    merge is made from a commit whose parents are HEAD and `base`, with HEAD's files: the same three
    sides `copier update` merges. The commit is a device for the merge only; it never stays in the history.
    """
    head = gitrepo.head(repo)
    if gitrepo.git(repo, "merge-base", "--is-ancestor", base, head, check=False).returncode == 0:
        return head
    message = "Merge base for scaffold update: the pristine render the answers file records\n"
    return gitrepo.git(
        repo, "commit-tree", f"{head}^{{tree}}", "-p", head, "-p", base, "-m", message, env=env
    ).stdout.strip()
