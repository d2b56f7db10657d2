"""`scaffold update --plan`: what the update will do to each file, worked out from the very merge it will make.

git's `merge-tree` runs the update's merge (git's own merge, on the same three sides, with the same
rename detection) with every new object in a scratch store; the update's rules for what git leaves
in conflict (merge.settlement) are applied to the result; and the lines are derived from the files
before and after exactly as the update's summary is (merge.summarize), then worded as a plan. A
preview and the update therefore agree on renames on both sides, submodule paths, files the user
moved, and repos a `copier update` brought forward.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator import gitrepo
from generator.errors import GitError
from generator.merge import (
    MARKERS_NOTE,
    SETTLE_KEEP,
    SETTLE_MARKERS,
    SETTLE_REJ,
    SETTLE_REMOVE,
    UNRESOLVED_NOTE,
    FileEntry,
    as_planned,
    favouring_ours,
    rej_note,
    settlement,
    summarize,
)
from generator.snapshots import Snapshot, of_commit


@dataclass(frozen=True)
class PlannedMerge:
    """What the update would do: its lines, worded as a plan, and the tree of the files it would leave."""

    files: list[FileEntry]
    tree: str
    """In the scratch store: the work tree after the update (conflict markers where `inline` leaves them)."""


def planned_merge(
    repo: Path,
    head: str,
    theirs_commit: str,
    scratch: Mapping[str, str],
    *,
    base: Snapshot,
    theirs: Snapshot,
    scaffold_writes: Iterable[str],
    rej: bool,
    restore_deleted: bool,
    renames: Mapping[str, str],
    moved: Mapping[str, str],
) -> "PlannedMerge":
    """Return the plan of merging the pristine commit `theirs_commit` (in `scratch`) into `head`.

    `base` and `theirs` are the files of the merge base and of the new render; `scaffold_writes` are
    the paths the update sets to the render's content whatever the merge says (the answers file, and
    with --restore-deleted the files the user deleted); `moved` the user's renames since the merge base.
    """
    merge = gitrepo.git(
        repo, "merge-tree", "--write-tree", "--no-messages", "-z", head, theirs_commit, env=scratch, check=False
    )
    if merge.returncode not in (0, 1):
        raise GitError(f"git merge-tree failed in {repo}: {merge.stderr.strip() or 'no output'}")
    tree, stages, blobs = _parse(merge.stdout)
    after = of_commit(repo, tree, env=scratch)
    for path in scaffold_writes:
        stages.pop(path, None)
        if path in theirs:
            after[path] = theirs[path]
    notes: dict[str, str] = {}
    sides = gitrepo.read_objects(
        repo, [blobs.get((path, stage), "0" * 40) for path in sorted(stages) for stage in (1, 2, 3)], scratch
    )
    for at, path in enumerate(sorted(stages)):
        rule = settlement(stages[path], rej, restore_deleted)
        base_side, ours_side, theirs_side = sides[3 * at : 3 * at + 3]
        if rule == SETTLE_REMOVE:
            after.pop(path, None)
        elif rule == SETTLE_KEEP and ours_side is not None:
            after[path] = ours_side
        elif rule == SETTLE_REJ:
            merged, hunks = favouring_ours(path, base_side or b"", ours_side or b"", theirs_side or b"")
            after[path] = merged
            if hunks is not None:
                notes[path] = rej_note(path)
        else:
            notes[path] = MARKERS_NOTE if rule == SETTLE_MARKERS else UNRESOLVED_NOTE
    outcome_tree = _tree_of(repo, tree, after, scratch)
    changed = gitrepo.git(repo, "diff-tree", "-r", "-z", "--name-only", "--no-renames", head, tree, env=scratch)
    touched = {p for p in changed.stdout.split("\0") if p} | set(stages) | set(scaffold_writes)
    paths = touched | {p for p in set(base) | set(theirs) if base.get(p) != theirs.get(p)} | set(renames)
    old = of_commit(repo, head, paths, env=scratch)
    touched = {p for p in touched if old.get(p) != after.get(p) or p in notes}
    new = {p: after[p] for p in paths if p in after and p not in notes}
    entries = [as_planned(entry) for entry in summarize(old, new, touched, base, theirs, notes, renames, moved)]
    return PlannedMerge(entries, outcome_tree)


def _tree_of(repo: Path, merged_tree: str, after: Snapshot, scratch: Mapping[str, str]) -> str:
    """Return the tree of the files the update leaves (`after`), built from `merged_tree` in the scratch store."""
    current = of_commit(repo, merged_tree, env=scratch)
    changes = {p: after.get(p) for p in set(current) | set(after) if current.get(p) != after.get(p)}
    return gitrepo.tree_with(repo, merged_tree, changes, scratch)


def _parse(output: str) -> tuple[str, dict[str, set[int]], dict[tuple[str, int], str]]:
    """Read `merge-tree --write-tree -z` output: the tree, each conflicted path's stages, and their blobs."""
    fields = output.split("\0")
    tree = fields[0].strip()
    stages: dict[str, set[int]] = {}
    blobs: dict[tuple[str, int], str] = {}
    for field in fields[1:]:
        if not field:
            break  # the end of the conflicted-file list
        meta, _, path = field.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and path:
            stages.setdefault(path, set()).add(int(parts[2]))
            blobs[(path, int(parts[2]))] = parts[1]
    return tree, stages, blobs
