"""What a running `scaffold update` has written, kept in the repo's git folder until it finishes.

An update that is killed (SIGKILL, a power cut) cannot clean up after itself. Its journal lets the
next run tell its leftovers from the user's files: once the user has undone the interrupted merge
(`git merge --abort`), the next update removes the `.rej` files it wrote, if they are unchanged, and
the untracked files it created, if they still hold the render's content, gives back the files it
checked out with their secrets as placeholders (secret_merge), if unchanged, and points
`scaffold/pristine` back where it was. Nothing else is ever touched on the journal's word.
"""

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from generator import gitrepo
from generator.errors import RefusedError
from generator.pristine import PRISTINE_BRANCH, branch_tip, point_branch

JOURNAL_NAME = "scaffold-update.json"


@dataclass
class Journal:
    """The state an update started from, and the files it wrote outside git."""

    head: str
    """The commit HEAD was on."""
    pristine_before: str | None
    """Where `scaffold/pristine` pointed (None: the branch was missing)."""
    pristine: str
    """The pristine commit the update merges."""
    rej: dict[str, str] = field(default_factory=dict)
    """The `.rej` files written, path -> sha256 of their content."""
    branch: str = PRISTINE_BRANCH
    """The pristine branch the update moved (a template applied next to another has its own)."""
    holding: str | None = None
    added: list[str] = field(default_factory=list)
    """The paths the update may create that HEAD lacked: an untracked file there holding the render's content
    after the update was undone is the update's leftover (a merge cut short wrote it, then lost its index entry)."""
    """The commit HEAD points to during the merge when HEAD's history lacks the merge base (merge_base.head_holding)."""
    finishing: list[str] = field(default_factory=list)
    """What the update still does in the repo after its merge, which a `git commit` of the merge by hand would miss
    (fill the secret answers back in, run the after migrations): said when such a commit is refused."""


def journal_path(repo: Path) -> Path:
    """Return where the journal of an update of `repo` lives (inside its git folder)."""
    where = gitrepo.git(repo, "rev-parse", "--path-format=absolute", "--git-path", JOURNAL_NAME).stdout.strip()
    return Path(where)


def write(path: Path, journal: Journal) -> None:
    """Write the journal atomically, so that it is either the old or the new one after a kill."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(asdict(journal), indent=2), encoding="utf-8")
    os.replace(partial, path)


def write_rej(repo: Path, path: Path, journal: Journal, rel: str, content: bytes) -> None:
    """Record the `.rej` file `rel` in the journal, then write it, so a kill never leaves one unrecorded."""
    journal.rej[rel] = hashlib.sha256(content).hexdigest()
    write(path, journal)
    (repo / rel).write_bytes(content)


def remove_rej(repo: Path, journal: Journal) -> None:
    """Delete the `.rej` files the update wrote that are still as it wrote them."""
    for rel, digest in journal.rej.items():
        file = repo / rel
        if file.is_file() and not file.is_symlink() and hashlib.sha256(file.read_bytes()).hexdigest() == digest:
            file.unlink()


def remove_leftovers(repo: Path, journal: Journal) -> None:
    """Delete what an undone update left outside git: its unchanged `.rej` files and untracked files it created.

    An untracked file at one of `journal.added` counts only while it holds exactly the pristine render's content.
    """
    remove_rej(repo, journal)
    if not journal.added:
        return
    wanted = set(journal.added)
    others = gitrepo.git(repo, "ls-files", "--others", "-z").stdout.split("\0")
    untracked = sorted(p for p in others if p in wanted)
    rendered = gitrepo.read_objects(repo, [f"{journal.pristine}:{p}" for p in untracked])
    for path, content in zip(untracked, rendered, strict=True):
        file = repo / path
        if content is None or not file.is_file() or file.is_symlink() or file.read_bytes() != content:
            continue
        file.unlink()
        for folder in file.parents:  # folders the update made for it, now empty
            if folder == repo or any(folder.iterdir()):
                break
            folder.rmdir()


def _restore_hidden(repo: Path, journal: Journal) -> None:
    """Give back the files the update checked out with their secrets as placeholders (secret_merge.hidden_head).

    Only a file still exactly as the update wrote it (the holding commit's content) is restored to HEAD's.
    """
    assert journal.holding is not None
    out = gitrepo.git(repo, "diff-tree", "-r", "-z", "--name-only", "--no-renames", journal.head, journal.holding)
    paths = [p for p in out.stdout.split("\0") if p]
    written = gitrepo.read_objects(repo, [f"{journal.holding}:{p}" for p in paths])
    ours = [p for p, c in zip(paths, written, strict=True) if c is not None and _holds(repo / p, c)]
    if ours:
        gitrepo.git(repo, "checkout", journal.head, "--", *ours)


def _holds(file: Path, content: bytes) -> bool:
    return file.is_file() and not file.is_symlink() and file.read_bytes() == content


def _commits_the_merge(repo: Path, commit: str, journal: Journal) -> bool:
    """Whether `commit` is the interrupted update's merge, committed by hand (HEAD's commit, or the holding one's)."""
    parents = gitrepo.git(repo, "log", "-1", "--format=%P", commit).stdout.split()
    starts = {journal.head} | ({journal.holding} if journal.holding else set())
    return len(parents) == 2 and parents[0] in starts and parents[1] == journal.pristine


def recover(repo: Path) -> None:
    """Deal with the journal of an earlier update of `repo` that was interrupted, if there is one.

    While its merge is still in progress, refuse and say how to undo it. Once it is undone (HEAD is
    where the interrupted update started), remove its leftovers. If the user committed it instead,
    the journal is simply dropped: the next update finds what the branch contains from its history;
    unless the update still had work to do after its merge (`journal.finishing`: the merged files
    hold the secrets' placeholders, the after migrations never ran): while HEAD is that commit,
    refuse and say how to undo it.
    """
    path = journal_path(repo)
    if not path.is_file():
        return
    try:
        journal = Journal(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        path.unlink()
        return
    merging = gitrepo.git(repo, "rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False).stdout.strip()
    if merging == journal.pristine:
        raise RefusedError(
            f"an earlier scaffold update of {repo} was interrupted and its merge is still in progress; "
            "undo it with `git merge --abort`, then update again"
        )
    if merging:
        return  # someone else's merge: the usual refusal says so
    now = gitrepo.head(repo)
    if journal.finishing and _commits_the_merge(repo, now, journal):
        raise RefusedError(
            f"an earlier scaffold update of {repo} was interrupted, and its merge was committed ({now[:12]}) before "
            f"the update could {' and '.join(journal.finishing)}; undo that commit with "
            f"`git reset --hard {journal.head[:12]}`, then update again"
        )
    if journal.holding is not None and now == journal.holding:  # journal.head's files, secrets maybe as placeholders
        gitrepo.git(repo, "update-ref", "-m", "scaffold update: undo", "HEAD", journal.head, journal.holding)
        now = journal.head
    if now == journal.head:
        if journal.holding is not None:  # also killed after writing the files with placeholders, before HEAD moved
            _restore_hidden(repo, journal)
        remove_leftovers(repo, journal)
        if branch_tip(repo, journal.branch) == journal.pristine:
            point_branch(repo, journal.pristine_before, journal.branch)
    path.unlink()
