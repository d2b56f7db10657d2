"""A template's `_migrations`, run around `scaffold update` as `copier update` runs them.

copier selects a template's migrations by version (one with `version: v2.0.0` runs on an update from
below v2.0.0 to v2.0.0 or later), renders them with the update's answers and runs them in the repo,
with STAGE, VERSION_FROM, VERSION_TO, VERSION_CURRENT (and their PEP 440 forms) in the environment:
the `before` ones before the update's merge, the `after` ones after it. Running them needs consent
(trust.consent): an update that would run one without it is refused before anything is written.
"""

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import copier_api, gitrepo
from generator.errors import TemplateError, TemplateRefusedError
from generator.questions import MASK
from generator.rerender import FreshRender, Recorded, version_key
from generator.secret_answers import masked
from generator.trust.consent import HOW_TO_CONSENT, Consent

BEFORE, AFTER = "before", "after"
STAGES = (BEFORE, AFTER)


@dataclass
class Migrations:
    """The migrations an update from `recorded` to a fresh render runs, by stage, and how to run them."""

    template: str
    """The template as the user knows it, for messages."""
    worker: Any = None
    answers: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, list[Any]] = field(default_factory=dict)
    """copier's tasks selected by version, by stage (their `when` is decided as they run)."""
    secret_values: tuple[str, ...] = ()
    """The update's secret answers: a rendered command may hold one, and is printed with each masked."""

    def __bool__(self) -> bool:
        return any(self.tasks.values())

    def commands(self, stage: str) -> list[str]:
        """Return the commands that run at `stage`, rendered (for a preview and the update's summary)."""
        if not self.tasks.get(stage):
            return []
        self._answer(stage)
        return [self._shown(command) for command in copier_api.task_commands(self.worker, self.tasks[stage])]

    def run(self, repo: Path, stage: str) -> None:
        """Run the migrations of `stage` in `repo`; on failure remove the untracked files they made and raise
        TemplateError naming the command and its exit status (the template's failure: exit 2)."""
        if not self.tasks.get(stage):
            return
        before = untracked(repo)
        try:
            self._answer(stage)
            copier_api.run_tasks(self.worker, self.tasks[stage])
        except copier_api.TaskError as error:
            _remove_new_untracked(repo, before)
            command = error.cmd if isinstance(error.cmd, str) else shlex.join(map(str, error.cmd))
            shown = self._shown(" ".join(command.split()))
            raise TemplateError(
                f"migration `{shown}` of template {self.template} failed with exit status {error.returncode}"
            ) from None
        except OSError as error:  # e.g. its working_directory does not exist
            _remove_new_untracked(repo, before)
            reason = self._shown(str(error))
            raise TemplateError(f"a migration of template {self.template} could not run: {reason}") from None

    def _shown(self, text: str) -> str:
        return masked(text, self.secret_values, MASK)

    def _answer(self, stage: str) -> None:
        # copier runs `before` migrations before it asks anything (no answers in their context) and `after`
        # ones with the update's answers and external data
        if stage == AFTER:
            copier_api.start_answers(self.worker, self.answers)
        else:
            self.worker.answers = copier_api.AnswersMap()


def for_update(repo: Path, recorded: Recorded, fresh: FreshRender, consent: Consent) -> Migrations:
    """Return the migrations an update of `repo` from its `recorded` version to `fresh` runs.

    Raise TemplateRefusedError, naming them, when there are some and `consent` does not cover the template.
    """
    found = Migrations(fresh.source.recorded_src)
    pep440_from, pep440_to = version_key(recorded.version), version_key(fresh.source.version)
    if recorded.version is None or fresh.source.version is None or pep440_from is None or pep440_to is None:
        return found  # copier runs migrations only between two versions it can compare
    found.worker = copier_api.migration_worker(
        Path(fresh.source.src), repo, version=fresh.source.version, pep440=pep440_to,
        answers_file=recorded.answers_file, data=fresh.answers,
    )  # fmt: skip
    found.answers = dict(fresh.answers)
    found.secret_values = tuple(v for k, v in fresh.answers.items() if k in fresh.secrets and isinstance(v, str) and v)
    found.tasks = {
        stage: copier_api.migration_tasks(found.worker, stage, recorded.version, pep440_from) for stage in STAGES
    }
    if found and not consent.covers(fresh.source):
        tasks = [*found.tasks[BEFORE], *found.tasks[AFTER]]  # a migration is a task of each stage
        raw = [t.cmd if isinstance(t.cmd, str) else shlex.join(map(str, t.cmd)) for t in tasks]
        shown = ", ".join(f"`{' '.join(c.split())}`" for c in dict.fromkeys(raw))
        raise TemplateRefusedError(
            f"template {fresh.source.recorded_src} wants to run code on this machine: migrations {shown}; "
            f"refused: {HOW_TO_CONSENT}"
        )
    return found


def untracked(repo: Path) -> set[str]:
    """Return the untracked files of `repo` that git does not ignore."""
    listed = gitrepo.git(repo, "ls-files", "--others", "--exclude-standard", "-z").stdout.split("\0")
    return {p for p in listed if p}


def changed(repo: Path) -> set[str]:
    """Return the paths whose files differ from HEAD's, untracked files (not ignored) included."""
    listed = gitrepo.git(repo, "diff", "--name-only", "--no-renames", "-z", "HEAD").stdout.split("\0")
    return {p for p in listed if p} | untracked(repo)


def _remove_new_untracked(repo: Path, before: set[str]) -> None:
    for path in sorted(untracked(repo) - before):
        file = repo / path
        file.unlink(missing_ok=True)
        for folder in file.parents:  # folders the migration made for it, now empty
            if folder == repo or any(folder.iterdir()):
                break
            folder.rmdir()


def commit_before_merge(repo: Path, parent: str) -> str | None:
    """Commit what the `before` migrations changed in `repo` as a child of `parent`; None when they changed nothing.

    The commit is the side the update merges into (HEAD points to it during the merge only), so their
    changes count as the repo's own; the update's merge commit holds them, and `git merge --abort` undoes them.
    """
    gitrepo.git(repo, "add", "--all")
    tree = gitrepo.git(repo, "write-tree").stdout.strip()
    if tree == gitrepo.git(repo, "rev-parse", f"{parent}^{{tree}}").stdout.strip():
        return None
    message = "Migrations before scaffold update\n"
    return gitrepo.git(repo, "commit-tree", tree, "-p", parent, "-m", message).stdout.strip()


def stage_after_merge(repo: Path, untracked_before: set[str]) -> None:
    """Stage what the `after` migrations changed, so the update's commit holds it (or, with conflicts left, the
    merge in progress does). Files in conflict stay unstaged (staging one would mark it resolved), and so do
    the untracked files that were there before the migrations ran (the update's `.rej` files)."""
    listed = gitrepo.git(repo, "ls-files", "--modified", "--others", "--exclude-standard", "-z").stdout.split("\0")
    unmerged = {e.partition("\t")[2] for e in gitrepo.git(repo, "ls-files", "-u", "-z").stdout.split("\0") if e}
    paths = sorted({p for p in listed if p and p not in unmerged and p not in untracked_before})
    if paths:
        gitrepo.git(repo, "--literal-pathspecs", "add", "--all", "--", *paths)
