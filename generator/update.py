"""`scaffold update`: bring a generated repo to a newer template version with a real three-way merge.

The repo's own history holds the pristine render of every template version it went through (see
pristine.py), so an update needs neither the old template nor the network: it renders the new
version for the repo's answers, commits that render on `scaffold/pristine` as the child of the last
pristine commit, and `git merge`s it. git's merge base is then the previous pristine render, so the
template's changes are applied, the user's edits are kept, and overlapping edits conflict.
docs/updating.md describes the mechanism for users.
"""

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from generator import gitrepo, migrations, update_journal
from generator.config import OrgAnswers
from generator.errors import EXIT_ACTION_NEEDED, EXIT_OK, GitError, RefusedError, ScaffoldError, SecretAnswersNeeded
from generator.merge import (
    ADDED,
    CONFLICTED,
    MARKERS_NOTE,
    SETTLE_KEEP,
    SETTLE_MARKERS,
    SETTLE_REJ,
    SETTLE_REMOVE,
    UNRESOLVED_NOTE,
    FileEntry,
    favouring_ours,
    rej_note,
    reject_file_text,
    settlement,
    summarize,
)
from generator.merge_base import MergeBase, head_holding, merge_base
from generator.migrations import AFTER, BEFORE, STAGES, Migrations
from generator.ownership import hold_skipped, ownership_of_template
from generator.pristine import (
    PristineCommit,
    branch_for,
    branch_tip,
    commit_message,
    commit_render,
    point_branch,
    render_tree,
    scratch_objects,
    template_renames,
)
from generator.questions import MASK, load_config, template_message
from generator.refusals import (
    refuse_missing_answers,
    refuse_other_template,
    refuse_overwriting_untracked,
    refuse_unknown_base,
    refuse_unless_ready,
    refuse_unless_repo,
    usable_history,
)
from generator.repo_lock import locked
from generator.rerender import (
    FreshRender,
    Recorded,
    fresh_render,
    read_recorded,
    same_template,
    source_for,
    version_key,
)
from generator.secret_answers import fill, holds_placeholder, shown_answers
from generator.secret_merge import SecretMerge, fill_work_tree, hidden_head, secret_merge, values_held
from generator.snapshots import Snapshot, of_commit, of_folder
from generator.sources import TemplateSource
from generator.trust.consent import Consent
from generator.update_diff import content_diff
from generator.update_journal import Journal
from generator.update_plan import planned_merge

INLINE, REJ = "inline", "rej"
CONFLICT_STYLES = (INLINE, REJ)


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
    trusted: Consent | bool = False
    """The user's consent (a Consent, or --trust alone), decided on the template as it renders."""
    org: OrgAnswers | None = None
    """The org's fixed answers, which win over recorded ones and which `data` may not contradict."""
    move: bool = False
    """`source` is another template the user moves the repo to (`--template`), not the one its history has."""
    diff: bool = False
    """Also compute the content diff the update would make (see update_diff); like `plan`, nothing is written."""
    answers_file: str | None = None
    """The answers file of the template to update (a repo can have several); None: the one found first."""
    say: Callable[[str], None] | None = None
    """Shows the new version's `_message_before_update` once the update is about to write (as copier shows
    it before updating); None: it is only returned in `UpdateResult.messages` (a fleet shows none)."""

    @property
    def consent(self) -> Consent:
        """The user's consent (`trusted` as a Consent)."""
        return self.trusted if isinstance(self.trusted, Consent) else Consent(flag=self.trusted)


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
    diff: str | None = None
    """With `UpdateRequest.diff`: the unified diff from HEAD to what the update would leave."""
    migrations: list[tuple[str, str]] = field(default_factory=list)
    """The template's migrations the update ran (or, for a plan, would run): (stage, command)."""
    messages: tuple[str | None, str | None] = (None, None)
    """The new version's `_message_before_update` and `_message_after_update`, rendered as copier shows them."""

    @property
    def conflicts(self) -> list[FileEntry]:
        """The files left in conflict (or, for a plan, that would be)."""
        return [f for f in self.files if f.status in (CONFLICTED, "conflict")]

    @property
    def exit_code(self) -> int:
        """1 when an update left conflicts to resolve, else 0 (a plan always 0)."""
        return EXIT_ACTION_NEEDED if self.conflicts and not self.planned else EXIT_OK


def update(request: UpdateRequest) -> UpdateResult:
    """Update the repo `request.repo`; raise RefusedError, before writing anything, when it is not safe to.

    Once the merge has started, any failure of scaffold's own puts the repo back as it was (HEAD,
    index, work tree, refs) before the error is raised; only real content conflicts are left to the user.
    One update of a repo runs at a time (repo_lock): another one waits briefly, then is refused.
    """
    refuse_unless_repo(request.repo)
    with locked(request.repo, "update"):
        return _locked_update(request)


def _locked_update(request: UpdateRequest) -> UpdateResult:
    repo = request.repo
    refuse_unless_ready(repo)
    recorded = read_recorded(repo, request.answers_file)
    history = usable_history(repo, recorded)
    if not request.move:  # before anything is fetched or rendered, as check does
        refuse_other_template(repo, recorded, history)
    source = request.source or source_for(recorded, request.vcs_ref)
    if not request.move and not same_template(source.recorded_src, recorded.src):
        raise RefusedError(
            f"{repo} was made from template {recorded.src}, not {source.recorded_src}; accepted: its own template, "
            "or move the repo with scaffold update --template SRC"
        )
    preview = request.plan or request.diff
    with scratch_objects(repo) if preview else nullcontext(None) as scratch:
        base = merge_base(repo, recorded, history, trusted=request.trusted, env=scratch)
        refuse_unknown_base(repo, recorded, history, base, moving=request.move)
        refuse_missing_answers(repo, recorded, base.commit, request.data, scratch)
        kept = partial(values_held, repo, base.sha, scratch)
        with fresh_render(
            source,
            recorded,
            request.data,
            trusted=request.trusted,
            org=request.org,
            real=True,
            secrets_kept=kept,
            repo=repo,
        ) as rendered:
            if not request.move:
                _refuse_downgrade(repo, recorded.version, rendered.source.version, source.bundled)
            if not preview:
                _refuse_unknown_secrets(repo, rendered, request.data)
            return _update_from(request, recorded, base, rendered, scratch)


def _refuse_unknown_secrets(repo: Path, fresh: FreshRender, data: Mapping[str, Any]) -> None:
    """Refuse an update that would render a secret question's default over the value the repo uses.

    Secret answers are never recorded: the update keeps the value the repo's files hold where the
    pristine render has its placeholder (`fresh.kept`); one it cannot read there must be given.
    """
    missing = sorted(k for k in fresh.secrets if k in fresh.answers and k not in data and k not in fresh.kept)
    if missing:
        given = " ".join(f"--data {k}=VALUE" for k in missing)
        raise SecretAnswersNeeded(
            f"{repo}: the secret answer {', '.join(missing)} is not recorded, and the update would write the "
            f"template's default over the repo's value; accepted: {given} (the value the repo uses, or a new one)",
            missing,
        )


def _holding_secrets(fresh: FreshRender, base: Snapshot) -> list[str]:
    """Return the files that hold the answer to a secret question (whose diff would show it), in either render."""
    return sorted(
        {p for p, c in fresh.files.items() if fresh.real_file(p) != c or holds_placeholder(c, fresh.secrets)}
        | {p for p, c in base.items() if holds_placeholder(c, fresh.secrets)}
    )


def _update_from(
    request: UpdateRequest,
    recorded: Recorded,
    base: MergeBase,
    rendered: FreshRender,
    scratch: Mapping[str, str] | None,
) -> UpdateResult:
    """Plan, preview or apply the update from the merge base `base` to the fresh render `rendered`."""
    repo = request.repo
    base_files = of_commit(repo, base.sha, env=scratch)
    owners = ownership_of_template(Path(rendered.source.src))
    base_links = [p for p, mode in gitrepo.tree_modes(repo, "-r", base.sha, env=scratch).items() if mode == "120000"]
    held = hold_skipped(rendered.folder, rendered.files, base_files, owners, base_links)
    fresh = replace(rendered, files=held, real=_held_real(rendered, held))
    paths = sorted(set(base_files) | set(fresh.files))
    ours = of_commit(repo, "HEAD", paths)
    result = UpdateResult(
        repo=repo,
        template=fresh.source.recorded_src if request.move else recorded.src,
        from_version=recorded.version,
        to_version=fresh.source.version,
        planned=request.plan or request.diff,
        changed_answers={
            k: v
            for k, v in shown_answers(fresh.answers, fresh.secrets, MASK).items()
            if k not in fresh.secrets and recorded.answers.get(k) != fresh.answers[k]
        },
        conflict_style=request.conflict,
    )
    migrating = migrations.for_update(repo, recorded, fresh, request.consent)
    if migrating and scratch is not None:  # a preview says which would run, and runs none
        result.migrations = [(stage, command) for stage in STAGES for command in migrating.commands(stage)]
    moved = template_renames(repo, base.sha, "HEAD", scratch)  # the team's renames, as git's merge finds them
    deleted = _user_deleted(base_files, ours, fresh.files, moved) if request.restore_deleted else []
    secrets = secret_merge(repo, fresh, base_files, scratch)
    if scratch is not None:
        tree = render_tree(repo, fresh.folder, fresh.files, scratch)
        renames = template_renames(repo, base.sha, tree, scratch)
        theirs = gitrepo.git(
            repo, "commit-tree", tree, "-p", base.sha, "-m", commit_message("Update", fresh.source), env=scratch
        ).stdout.strip()
        holding = head_holding(repo, base.sha, scratch)
        if secrets is not None:
            holding, _ = hidden_head(repo, holding, secrets, base_files, scratch)
        if fresh.files != base_files or deleted:
            head = "HEAD" if holding == gitrepo.head(repo) else holding  # "HEAD" labels the markers, as git merge does
            planned = planned_merge(
                repo, head, theirs, scratch, base=base_files, theirs=fresh.files,
                scaffold_writes=[recorded.answers_file, *deleted], rej=request.conflict == REJ,
                restore_deleted=request.restore_deleted, renames=renames, moved=moved,
            )  # fmt: skip
            result.files = planned.files
            if request.diff:
                result.diff = content_diff(repo, planned.tree, scratch, _holding_secrets(fresh, base_files), head)
        elif request.diff:
            result.diff = ""
        result.up_to_date = fresh.files == base_files and not result.files
        return result
    written = [p for p in fresh.files if fresh.files[p] != base_files.get(p)] + deleted
    refuse_overwriting_untracked(repo, written)
    result.messages = _messages(request, fresh)
    if request.say is not None and result.messages[0]:
        request.say(result.messages[0])
    if fresh.files == base_files:
        result.up_to_date = not deleted
        if deleted:
            _restore_without_merge(repo, base.sha, deleted, secrets)
            result.merge_commit = gitrepo.head(repo)
            result.files = [FileEntry(p, ADDED, "restored: you had deleted it") for p in deleted]
        return result
    _merge(request, result, fresh, base.commit, base_files, deleted, recorded.answers_file, moved, secrets, migrating)
    return result


def _messages(request: UpdateRequest, fresh: FreshRender) -> tuple[str | None, str | None]:
    """The new version's messages before and after an update: the first without answers, as copier renders it."""
    config = load_config(Path(fresh.source.src), trusted=request.consent.covers(fresh.source))
    shown = shown_answers(fresh.answers, fresh.secrets, MASK)
    return (
        template_message(config, "_message_before_update", request.repo),
        template_message(config, "_message_after_update", request.repo, shown),
    )


def _held_real(rendered: FreshRender, held: Snapshot) -> Snapshot | None:
    """Return the render with the real secret values, its `_skip_if_exists` files held back as in `held`.

    Otherwise the secret merge would take such a file, which the template changed, from the real render.
    """
    if rendered.real is None:
        return None
    real = dict(rendered.real)
    real.update((p, fill(c, rendered.values)) for p, c in held.items() if c != rendered.files.get(p) and p in real)
    return real


def _refuse_downgrade(repo: Path, current: str | None, target: str | None, bundled: bool) -> None:
    now, then = version_key(current), version_key(target)
    if now is not None and then is not None and then < now:
        accepted = f"scaffold {current} or later installed" if bundled else f"--vcs-ref {current} or a later tag"
        raise RefusedError(
            f"{repo} is on template version {current}, newer than {target}: refusing to downgrade; accepted: {accepted}"
        )


def _merging(repo: Path) -> bool:
    return gitrepo.git(repo, "rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False).returncode == 0


def _user_deleted(base: Snapshot, ours: Snapshot, theirs: Snapshot, moved: Mapping[str, str]) -> list[str]:
    """The template files the user deleted (not those they renamed: bringing one back would duplicate it)."""
    return sorted(p for p in theirs if p in base and p not in ours and p not in moved)


def _merge(
    request: UpdateRequest,
    result: UpdateResult,
    fresh: FreshRender,
    base: PristineCommit,
    base_files: Snapshot,
    deleted: list[str],
    answers_file: str,
    moved: Mapping[str, str],
    secrets: SecretMerge | None,
    migrating: Migrations,
) -> None:
    """Commit the fresh render on the pristine branch and merge it; fill `result` with what happened.

    The template's migrations run in the repo: the `before` ones before the merge, the `after` ones after it.

    A journal in the git folder records the starting point until the update is done, so a killed
    update can be told from the user's work on the next run (see update_journal). With `secrets`,
    the merge is made from the branch's files with their secrets as placeholders (secret_merge).
    """
    repo = request.repo
    tree = render_tree(repo, fresh.folder, fresh.files)
    pristine_sha = commit_render(repo, tree, base.sha, commit_message("Update", fresh.source))
    renames = template_renames(repo, base.sha, pristine_sha)
    before = gitrepo.head(repo)
    holding = head_holding(repo, base.sha)
    hidden: list[str] = []
    if secrets is not None:
        holding, hidden = hidden_head(repo, holding, secrets, base_files)
    branch = branch_for(repo, answers_file)
    at_head = set(gitrepo.git(repo, "ls-tree", "-r", "-z", "--name-only", "HEAD").stdout.split("\0"))
    finishing = ["fill the secret answers back in"] if secrets is not None else []
    finishing += ["run the template's after migrations"] if migrating and migrating.commands(AFTER) else []
    journal = Journal(
        before, branch_tip(repo, branch), pristine_sha, branch=branch, holding=None if holding == before else holding,
        added=sorted(p for p in fresh.files if p not in at_head), finishing=finishing,
    )  # fmt: skip
    journal_file = update_journal.journal_path(repo)
    try:
        update_journal.write(journal_file, journal)
    except OSError as error:  # e.g. a full disk: nothing has changed yet
        journal_file.with_name(journal_file.name + ".tmp").unlink(missing_ok=True)
        raise GitError(f"cannot write {journal_file} ({error.strerror}); {repo} is unchanged") from None
    try:
        notes = _apply(request, result, journal, journal_file, deleted, answers_file, secrets, hidden, migrating)
    except BaseException as error:
        _roll_back(repo, journal, error)
        journal_file.unlink(missing_ok=True)
        if isinstance(error, ScaffoldError):
            raise type(error)(f"{error.message}; {repo} is as it was before the update", error.exit_code) from None
        if isinstance(error, OSError):  # e.g. a .rej file on a full disk
            raise GitError(f"{error}; {repo} is as it was before the update") from None
        raise
    journal_file.unlink(missing_ok=True)
    result.pristine_commit = pristine_sha
    result.files = _summary(repo, before, base_files, fresh.files, notes, renames, moved, secrets)


def _apply(
    request: UpdateRequest,
    result: UpdateResult,
    journal: Journal,
    journal_file: Path,
    deleted: list[str],
    answers_file: str,
    secrets: SecretMerge | None,
    hidden: list[str],
    migrating: Migrations,
) -> dict[str, str]:
    """Merge the pristine commit and settle what scaffold decides; commit unless conflicts are left.

    `hidden` are the files whose secrets the merge sees as placeholders (secret_merge.hidden_head):
    they are in the work tree so for the merge, and get the values filled in after it. The `before`
    migrations' changes are committed on the side merged into (HEAD points there during the merge
    only), the `after` ones' are staged with the merge: either way they are part of the update.
    """
    repo = request.repo
    point_branch(repo, journal.pristine, journal.branch)
    into = journal.holding  # the merge base git chooses, and secrets as placeholders (hidden_head)
    if migrating:
        result.migrations = [(BEFORE, command) for command in migrating.commands(BEFORE)]
        migrating.run(repo, BEFORE)
        changed = migrations.changed(repo)
        as_merged = [p for p in hidden if p not in changed]  # what the migrations changed, the merge sees as is
        if journal.holding is not None and as_merged:
            gitrepo.git(repo, "checkout", journal.holding, "--", *as_merged)
        into = migrations.commit_before_merge(repo, into or journal.head) or into
    elif journal.holding is not None and hidden:
        gitrepo.git(repo, "checkout", journal.holding, "--", *hidden)
    if into is not None:
        gitrepo.git(repo, "update-ref", "-m", "scaffold update: merge base", "HEAD", into, journal.head)
    merge = gitrepo.git(
        repo,
        "merge",
        "--no-ff",
        "--no-commit",
        "--no-verify",
        "-m",
        _merge_message(result, journal.branch),
        journal.branch,
        check=False,
    )
    if into is not None:  # the merge commit's first parent is the user's commit, as always
        gitrepo.git(repo, "update-ref", "-m", "scaffold update", "HEAD", journal.head, into)
    if merge.returncode not in (0, 1) or (merge.returncode == 1 and not _merging(repo)):  # 1: conflicts
        detail = (merge.stderr or merge.stdout).strip().splitlines()
        raise GitError(f"git merge failed in {repo}: {detail[-1] if detail else 'no output'}")
    # The answers file is scaffold's to write: the new render's, whoever (copier or scaffold) wrote the last one.
    gitrepo.git(repo, "checkout", journal.pristine, "--", answers_file, *deleted)
    with_values = (lambda text: fill(text, secrets.values)) if secrets is not None else None
    notes = _settle_conflicts(repo, request.conflict, request.restore_deleted, journal, journal_file, with_values)
    if secrets is not None:
        paths = set(secrets.rendered) | set(hidden) | set(_unmerged(repo))
        fill_work_tree(repo, secrets, paths, _unmerged(repo))
    if migrating:
        result.migrations += [(AFTER, command) for command in migrating.commands(AFTER)]
        left = migrations.untracked(repo)
        migrating.run(repo, AFTER)
        migrations.stage_after_merge(repo, left)
    if not notes:
        journal.finishing = []  # all done: from here, whoever commits the merge commits the whole update
        update_journal.write(journal_file, journal)
        gitrepo.git(repo, "commit", "--quiet", "--no-edit", "--no-verify")
        result.merge_commit = gitrepo.head(repo)
        if result.merge_commit == journal.head:
            raise GitError(f"git commit of the update's merge left HEAD where it was in {repo}")
    return notes


def _merge_message(result: UpdateResult, branch: str) -> str:
    changed = ", ".join(f"{k}={v}" for k, v in result.changed_answers.items())
    return (
        f"Update from template {result.template} {result.from_version} to {result.to_version}\n\n"
        f"Merges the pristine render of {result.to_version} (branch {branch}): the template's changes "
        "since the last update, with your edits kept."
        + (f"\nChanged answers: {changed}." if changed else "")
        + f"\n\nScaffold-Update: {result.from_version} -> {result.to_version}\n"
    )


def _settle_conflicts(
    repo: Path,
    style: str,
    restore_deleted: bool,
    journal: Journal,
    journal_file: Path,
    with_values: Callable[[bytes], bytes] | None = None,
) -> dict[str, str]:
    """Resolve what the update decides by itself; return {path: where its conflict is} for what is left.

    A file the user deleted stays deleted; a file the user edited and the template removed is kept;
    with `rej`, a file changed on both sides keeps the user's lines and gets its template hunks in FILE.rej.
    The `.rej` files are written first and the files staged last, in one command: until then git
    refuses to commit, so a commit can never drop the template's change without its `.rej`.
    `with_values` fills the secret answers into a `.rej` file's hunks (secret_merge).
    """
    notes: dict[str, str] = {}
    removed: list[str] = []
    staged: list[str] = []
    both: list[str] = []
    for path, stages in sorted(_unmerged(repo).items()):
        rule = settlement(stages, style == REJ, restore_deleted)
        if rule == SETTLE_REMOVE:
            removed.append(path)
        elif rule == SETTLE_KEEP:
            staged.append(path)
        elif rule == SETTLE_REJ:
            both.append(path)
        else:
            notes[path] = MARKERS_NOTE if rule == SETTLE_MARKERS else UNRESOLVED_NOTE
    sides = gitrepo.read_objects(repo, [f":{stage}:{path}" for path in both for stage in (1, 2, 3)])
    merged: dict[str, bytes] = {}
    for at, path in enumerate(both):
        base, ours, theirs = sides[3 * at : 3 * at + 3]
        merged[path], hunks = favouring_ours(path, base or b"", ours or b"", theirs or b"")
        if hunks is None:
            continue
        rej = repo / f"{path}.rej"
        if rej.exists() or rej.is_symlink():
            raise RefusedError(
                f"{path}.rej already exists in {repo}, where the template's conflicting change would go; "
                "move it out of the way, then update again"
            )
        text = reject_file_text(path, hunks)
        update_journal.write_rej(repo, journal_file, journal, f"{path}.rej", with_values(text) if with_values else text)
        notes[path] = rej_note(path)
    for path, content in merged.items():
        (repo / path).write_bytes(content)
    if removed:
        gitrepo.git(repo, "rm", "--quiet", "--force", "--", *removed)
    if staged or merged:
        gitrepo.git(repo, "add", "--", *staged, *merged)
    return notes


def _unmerged(repo: Path) -> dict[str, set[int]]:
    stages: dict[str, set[int]] = {}
    for entry in gitrepo.git(repo, "ls-files", "--unmerged", "-z").stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if path and len(fields) == 3:
            stages.setdefault(path, set()).add(int(fields[2]))
    return stages


def _restore_without_merge(repo: Path, pristine_sha: str, paths: list[str], secrets: SecretMerge | None) -> None:
    gitrepo.git(repo, "checkout", pristine_sha, "--", *paths)
    if secrets is not None:
        fill_work_tree(repo, secrets, paths, ())
    gitrepo.git(
        repo,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Restore {len(paths)} template file(s) deleted earlier\n\nBrought back by scaffold update --restore-deleted.",
    )


def _roll_back(repo: Path, journal: Journal, error: BaseException) -> None:
    """Put the repo back as the update found it: HEAD, index, work tree, `scaffold/pristine`; no `.rej` left."""
    try:
        gitrepo.git(repo, "reset", "--quiet", "--hard", journal.head)
        update_journal.remove_leftovers(repo, journal)
        point_branch(repo, journal.pristine_before, journal.branch)
    except (ScaffoldError, OSError) as failed:
        reason = error.message if isinstance(error, ScaffoldError) else str(error) or type(error).__name__
        detail = failed.message if isinstance(failed, ScaffoldError) else str(failed)
        raise GitError(f"{reason}; putting {repo} back failed too ({detail}): {_undo_advice(repo, journal)}") from None


def _undo_advice(repo: Path, journal: Journal) -> str:
    """Say how to undo what is left, with a command that works in the state the repo is in now."""
    again = "then run scaffold update again (it removes what the update left)"
    if _merging(repo):
        return f"run `git merge --abort`, {again}"
    return f"run `git reset --hard {journal.head[:12]}` (HEAD when the update started), {again}"


def _summary(
    repo: Path,
    before: str,
    base: Snapshot,
    theirs: Snapshot,
    notes: dict[str, str],
    renames: dict[str, str],
    moved: Mapping[str, str],
    secrets: SecretMerge | None = None,
) -> list[FileEntry]:
    """Say what happened to each file the template changed or the merge touched, from the files themselves.

    Files holding secrets are compared as the merge saw them, their values as placeholders (secret_merge).
    """
    touched = set(gitrepo.git(repo, "diff", "--name-only", "--no-renames", "-z", before).stdout.split("\0"))
    template_changed = {p for p in set(base) | set(theirs) if base.get(p) != theirs.get(p)}
    paths = sorted({p for p in touched if p} | template_changed | set(notes))
    old = of_commit(repo, before, paths)
    new = of_folder(repo, [p for p in paths if p not in notes])
    if secrets is not None:
        old, new = secrets.in_placeholders(old), secrets.in_placeholders(new)
    return summarize(old, new, touched, base, theirs, notes, renames, moved)


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
    verb = "would run" if result.planned else "ran"
    lines.extend(f"  {verb} the template's {stage} migration `{command}`" for stage, command in result.migrations)
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
