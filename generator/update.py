"""`scaffold update`: bring a generated repo to a newer template version with a real three-way merge.

The repo's own history holds the pristine render of every template version it went through (see
pristine.py), so an update needs neither the old template nor the network: it renders the new
version for the repo's answers, commits that render on `scaffold/pristine` as the child of the last
pristine commit, and `git merge`s it. git's merge base is then the previous pristine render, so the
template's changes are applied, the user's edits are kept, and overlapping edits conflict.
docs/updating.md describes the mechanism for users.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.config import OrgAnswers
from generator.errors import GitError, RefusedError
from generator.merge import (
    ADDED,
    CONFLICTED,
    KEPT,
    REMOVED,
    UPDATED,
    FileEntry,
    favouring_ours,
    outcome,
    planned,
    reject_file_text,
)
from generator.ownership import hold_skipped, ownership_of_template
from generator.pristine import (
    PRISTINE_BRANCH,
    branch_tip,
    commit_message,
    commit_render,
    newest_pristine,
    point_branch,
)
from generator.rerender import FreshRender, fresh_render, read_recorded, same_template, source_for, version_key
from generator.snapshots import Snapshot, of_commit, of_folder
from generator.sources import TemplateSource

INLINE, REJ = "inline", "rej"
CONFLICT_STYLES = (INLINE, REJ)
_SUMMARY_ORDER = (UPDATED, ADDED, REMOVED, KEPT, CONFLICTED)


@dataclass
class UpdateRequest:
    """What the user asked `scaffold update` for."""

    repo: Path
    source: TemplateSource | None = None
    """The template version to update to; None: the installed bundled one, or the git template at `vcs_ref`."""
    vcs_ref: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """Answers to change, e.g. {"memory_limit": "1Gi"}."""
    conflict: str = INLINE
    """`inline`: conflict markers in the file; `rej`: your version kept, the template's hunks in FILE.rej."""
    plan: bool = False
    restore_deleted: bool = False
    """Bring back the template files the user deleted (by default they stay deleted)."""
    trusted: bool = False
    org: OrgAnswers | None = None
    """The org's fixed answers, which win over recorded ones and which `data` may not contradict."""


@dataclass
class UpdateResult:
    """What `scaffold update` did, or with `plan`, would do, file by file."""

    repo: Path
    template: str
    from_version: str | None
    to_version: str | None
    files: list[FileEntry] = field(default_factory=list)
    """The plan's actions (create, update, merge, conflict, skip, delete), else the summary's outcomes."""
    planned: bool = False
    up_to_date: bool = False
    merge_commit: str | None = None
    """The merge commit, when the update ended without conflicts."""
    pristine_commit: str | None = None
    changed_answers: dict[str, Any] = field(default_factory=dict)
    conflict_style: str = INLINE

    @property
    def conflicts(self) -> list[FileEntry]:
        """The files left in conflict (or, for a plan, that would be)."""
        return [f for f in self.files if f.status in (CONFLICTED, "conflict")]

    @property
    def exit_code(self) -> int:
        """1 when an update left conflicts to resolve, else 0 (a plan always 0)."""
        return 1 if self.conflicts and not self.planned else 0


def update(request: UpdateRequest) -> UpdateResult:
    """Update the repo `request.repo`; raise RefusedError, before writing anything, when it is not safe to."""
    repo = request.repo
    refuse_unless_ready(repo)
    recorded = read_recorded(repo)
    source = request.source or source_for(recorded, request.vcs_ref)
    if not same_template(source.recorded_src, recorded.src):
        raise RefusedError(
            f"{repo} was made from template {recorded.src}, not {source.recorded_src}; accepted: its own template"
        )
    base = newest_pristine(repo)
    if base is None:
        raise RefusedError(
            f"{repo} has no pristine render in its history (the commit scaffold new makes, with a "
            "Scaffold-Template-Version trailer), so there is nothing to merge from; accepted: a repo made by "
            "scaffold new with git, cloned with its full history"
        )
    with fresh_render(source, recorded, request.data, trusted=request.trusted, org=request.org) as rendered:
        _refuse_downgrade(repo, recorded.version, rendered.source.version, source.bundled)
        base_files = of_commit(repo, base.sha)
        owners = ownership_of_template(Path(rendered.source.src))
        fresh = replace(rendered, files=hold_skipped(rendered.folder, rendered.files, base_files, owners))
        paths = sorted(set(base_files) | set(fresh.files))
        ours = of_commit(repo, "HEAD", paths)
        result = UpdateResult(
            repo=repo,
            template=recorded.src,
            from_version=recorded.version,
            to_version=fresh.source.version,
            planned=request.plan,
            changed_answers={k: v for k, v in fresh.answers.items() if recorded.answers.get(k) != v},
            conflict_style=request.conflict,
        )
        if request.plan:
            for path in paths:
                entry = planned(
                    path, base_files.get(path), ours.get(path), fresh.files.get(path),
                    restore_deleted=request.restore_deleted,
                )
                if entry is not None:
                    result.files.append(entry)
            result.up_to_date = fresh.files == base_files and not result.files
            return result
        deleted = _user_deleted(base_files, ours, fresh.files) if request.restore_deleted else []
        if fresh.files == base_files:
            result.up_to_date = not deleted
            if deleted:
                _restore_without_merge(repo, base.sha, deleted)
                result.merge_commit = gitrepo.head(repo)
                result.files = [FileEntry(p, ADDED, "restored: you had deleted it") for p in deleted]
            return result
        _merge(request, result, fresh, base.sha, base_files, deleted)
        return result


def refuse_unless_ready(repo: Path) -> None:
    """Raise RefusedError unless `repo` is the top of a git repo with commits, no merge going on, all committed."""
    if not repo.is_dir():
        raise RefusedError(f"{repo} is not a folder; accepted: the folder of a repo made by scaffold new")
    if not gitrepo.is_repo(repo):
        raise RefusedError(
            f"{repo} is not a git repository (or not its top folder), and scaffold update merges with git; "
            "accepted: the top folder of a repo made by scaffold new"
        )
    if gitrepo.git(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        raise RefusedError(f"{repo} has no commits yet; accepted: a repo made by scaffold new")
    if _merging(repo):
        raise RefusedError(
            f"a merge is in progress in {repo} (an earlier update's conflicts?); finish it with `git commit` "
            "or undo it with `git merge --abort`, then update again"
        )
    dirty = [line[3:] for line in gitrepo.git(repo, "status", "--porcelain").stdout.splitlines() if line.strip()]
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise RefusedError(
            f"{repo} has uncommitted changes ({dirty[0]}{more}); commit or stash them, then update again"
        )
    branch = gitrepo.git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if branch == PRISTINE_BRANCH:
        raise RefusedError(f"{repo} has {PRISTINE_BRANCH} checked out; accepted: your own branch (git switch main)")


def _refuse_downgrade(repo: Path, current: str | None, target: str | None, bundled: bool) -> None:
    now, then = version_key(current), version_key(target)
    if now is not None and then is not None and then < now:
        accepted = f"scaffold {current} or later installed" if bundled else f"--vcs-ref {current} or a later tag"
        raise RefusedError(
            f"{repo} is on template version {current}, newer than {target}: refusing to downgrade; accepted: {accepted}"
        )


def _merging(repo: Path) -> bool:
    return gitrepo.git(repo, "rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False).returncode == 0


def _user_deleted(base: Snapshot, ours: Snapshot, theirs: Snapshot) -> list[str]:
    return sorted(p for p in theirs if p in base and p not in ours)


def _merge(
    request: UpdateRequest,
    result: UpdateResult,
    fresh: FreshRender,
    base_sha: str,
    base_files: Snapshot,
    deleted: list[str],
) -> None:
    """Commit the fresh render on the pristine branch and merge it; fill `result` with what happened."""
    repo = request.repo
    pristine_sha = commit_render(repo, fresh.folder, base_sha, commit_message("Update", fresh.source))
    before = gitrepo.head(repo)
    old_tip = branch_tip(repo)
    point_branch(repo, pristine_sha)
    merge = gitrepo.git(
        repo, "merge", "--no-ff", "--no-commit", "--no-verify", "-m", _merge_message(result), PRISTINE_BRANCH,
        check=False,
    )
    if merge.returncode != 0 and not _merging(repo):
        point_branch(repo, old_tip)
        detail = (merge.stderr or merge.stdout).strip().splitlines()
        raise GitError(f"git merge failed in {repo}: {detail[-1] if detail else 'no output'}; nothing was changed")
    notes = _settle_conflicts(repo, request.conflict, keep_deleted=not request.restore_deleted)
    if deleted:
        gitrepo.git(repo, "checkout", pristine_sha, "--", *deleted)
    if not notes:
        gitrepo.git(repo, "commit", "--quiet", "--no-edit", "--no-verify")
        result.merge_commit = gitrepo.head(repo)
    result.pristine_commit = pristine_sha
    result.files = _summary(repo, before, base_files, fresh.files, notes)


def _merge_message(result: UpdateResult) -> str:
    changed = ", ".join(f"{k}={v}" for k, v in result.changed_answers.items())
    return (
        f"Update from template {result.template} {result.from_version} to {result.to_version}\n\n"
        f"Merges the pristine render of {result.to_version} (branch {PRISTINE_BRANCH}): the template's changes "
        "since the last update, with your edits kept."
        + (f"\nChanged answers: {changed}." if changed else "")
        + f"\n\nScaffold-Update: {result.from_version} -> {result.to_version}\n"
    )


def _settle_conflicts(repo: Path, style: str, *, keep_deleted: bool) -> dict[str, str]:
    """Resolve what the update decides by itself; return {path: where its conflict is} for what is left.

    A file the user deleted stays deleted; a file the user edited and the template removed is kept;
    with `rej`, a file changed on both sides keeps the user's lines and gets its template hunks in FILE.rej.
    """
    notes: dict[str, str] = {}
    for path, stages in sorted(_unmerged(repo).items()):
        if stages == {1, 3}:  # deleted by the user, changed by the template
            if keep_deleted:
                gitrepo.git(repo, "rm", "--quiet", "--force", "--", path)
        elif stages == {1, 2}:  # edited by the user, removed by the template
            gitrepo.git(repo, "add", "--", path)
        elif {2, 3} <= stages and style == REJ:
            base, ours, theirs = gitrepo.read_objects(repo, [f":1:{path}", f":2:{path}", f":3:{path}"])
            merged, hunks = favouring_ours(path, base or b"", ours or b"", theirs or b"")
            (repo / path).write_bytes(merged)
            gitrepo.git(repo, "add", "--", path)
            if hunks is not None:
                (repo / f"{path}.rej").write_bytes(reject_file_text(path, hunks))
                notes[path] = f"your version kept; the template's conflicting change is in {path}.rej"
        elif {2, 3} <= stages:
            notes[path] = "conflict markers in the file: resolve them, then git add it"
        else:
            notes[path] = "git could not merge it; see git status"
    return notes


def _unmerged(repo: Path) -> dict[str, set[int]]:
    stages: dict[str, set[int]] = {}
    for entry in gitrepo.git(repo, "ls-files", "--unmerged", "-z").stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if path and len(fields) == 3:
            stages.setdefault(path, set()).add(int(fields[2]))
    return stages


def _restore_without_merge(repo: Path, pristine_sha: str, paths: list[str]) -> None:
    gitrepo.git(repo, "checkout", pristine_sha, "--", *paths)
    gitrepo.git(
        repo, "commit", "--quiet", "--no-verify", "-m",
        f"Restore {len(paths)} template file(s) deleted earlier\n\nBrought back by scaffold update --restore-deleted.",
    )


def _summary(
    repo: Path, before: str, base: Snapshot, theirs: Snapshot, notes: dict[str, str]
) -> list[FileEntry]:
    """Say what happened to each file the template changed or the merge touched, from the files themselves."""
    touched = gitrepo.git(repo, "diff", "--name-only", "--no-renames", "-z", before).stdout.split("\0")
    template_changed = {p for p in set(base) | set(theirs) if base.get(p) != theirs.get(p)}
    paths = sorted({p for p in touched if p} | template_changed | set(notes))
    old = of_commit(repo, before, paths)
    new = of_folder(repo, [p for p in paths if p not in notes])
    entries = [
        entry
        for path in paths
        if (entry := outcome(path, base.get(path), old.get(path), new.get(path), theirs.get(path), notes.get(path)))
    ]
    return sorted(entries, key=lambda e: (_SUMMARY_ORDER.index(e.status), e.path))


def format_result(result: UpdateResult) -> str:
    """Return the per-file summary of an update (or the plan) as the command prints it."""
    move = f"{result.template} {result.from_version} -> {result.to_version}"
    if result.up_to_date:
        return f"{result.repo} is up to date with {result.template} {result.to_version}; nothing to do."
    if result.planned:
        head = f"Plan for {result.repo}: {move} (nothing written):"
    elif result.conflicts:
        left = len(result.conflicts)
        head = f"Updated {result.repo}: {move}, with {left} conflict(s) left; the merge is in progress:"
    else:
        commit = f" (merge commit {result.merge_commit[:12]})" if result.merge_commit else ""
        head = f"Updated {result.repo}: {move}{commit}:"
    width = max((len(f.status) for f in result.files), default=0)
    lines = [head]
    lines.extend(f"  {f.status:<{width}}  {f.path}" + (f"  ({f.note})" if f.note else "") for f in result.files)
    if result.changed_answers:
        lines.append("  answers changed: " + ", ".join(f"{k}={v}" for k, v in result.changed_answers.items()))
    counts: dict[str, int] = {}
    for entry in result.files:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    lines.append(f"{len(result.files)} files: " + (", ".join(f"{n} {s}" for s, n in counts.items()) or "no changes"))
    if result.conflicts and not result.planned:
        if result.conflict_style == REJ:
            lines.append("Next: apply or discard each .rej file and delete it, then `git commit`;")
        else:
            lines.append("Next: resolve the conflict markers, `git add` the files, then `git commit`;")
        lines.append("  or undo the whole update with `git merge --abort`.")
    return "\n".join(lines)
