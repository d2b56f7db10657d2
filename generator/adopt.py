"""`scaffold adopt`: bring a repo made by plain copier, or by hand, under `scaffold update`.

`update` merges from the pristine render a repo went through (pristine.py). A repo scaffold did not
make has none, so adopt makes one and records it in the repo's history, changing none of its files:

- a repo made by copier whose recorded version (`_commit`) can still be rendered: the render of that
  version is the merge base, so the next update applies exactly the template's changes since then;
- otherwise (a hand-made repo, or a version that is gone): a render of the current template version
  for the given answers is the base, the repo's files count as the team's edits on top of it, and
  the first update (`scaffold update --plan`, `check`) shows each difference for review.

The render is committed with no parent and merged with git's `ours` strategy, so the repo's tree
stays as it was (plus the answers file, when it had none).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.answers_files import find_answers_files
from generator.config import OrgAnswers
from generator.errors import RefusedError, ScaffoldError, SecretAnswersNeeded
from generator.pristine import (
    PRISTINE_BRANCH,
    commit_message,
    commit_render,
    newest_pristine,
    point_branch,
    render_tree,
    undone_unless_done,
)
from generator.refusals import refuse_unless_ready, refuse_unless_repo
from generator.repo_lock import locked
from generator.rerender import FreshRender, Recorded, fresh_render, read_recorded, source_for
from generator.secret_answers import current_values
from generator.snapshots import of_commit
from generator.sources import BUNDLED_PREFIX, TemplateSource
from generator.template_meta import DEFAULT_NAME_QUESTION
from generator.trust.consent import NO_CONSENT, Consent

RECORDED, CURRENT = "recorded version", "current version"


@dataclass
class AdoptRequest:
    """What the user asked `scaffold adopt` for."""

    repo: Path
    source: TemplateSource | None = None
    """The template, for a repo without an answers file (or to replace the one it records)."""
    data: dict[str, Any] = field(default_factory=dict)
    trusted: Consent = NO_CONSENT
    """The user's consent, decided on the template that renders (given, or the one the repo records)."""
    org: OrgAnswers | None = None


@dataclass
class AdoptResult:
    """What `scaffold adopt` did."""

    repo: Path
    template: str
    version: str | None
    base: str
    """RECORDED (the version the repo was made from) or CURRENT (the newest: the repo's files are edits)."""
    pristine_commit: str
    merge_commit: str
    added_answers_file: str | None = None


def adopt(request: AdoptRequest) -> AdoptResult:
    """Record a pristine render in the repo's history so `update` can merge; raise RefusedError when not safe.

    It holds the repo's lock (repo_lock) as `update` does.
    """
    refuse_unless_repo(request.repo)
    with locked(request.repo, "adopt"):
        return _locked_adopt(request)


def _locked_adopt(request: AdoptRequest) -> AdoptResult:
    repo = request.repo
    refuse_unless_ready(repo)
    if newest_pristine(repo) is not None:
        raise RefusedError(f"{repo} is already under scaffold update (it has a pristine render); nothing to adopt")
    recorded = _recorded(repo, request.source)
    source, base = _base_source(recorded, request.source)
    answers = recorded.answers or {DEFAULT_NAME_QUESTION: repo.resolve().name}  # as `scaffold new NAME` would
    at = _as_recorded(recorded, answers, base)
    rendered = partial(fresh_render, source, at, trusted=request.trusted, org=request.org, repo=repo)
    with rendered(request.data) as fresh:
        held = _secrets_held(repo, fresh, request.data)
        if not held:
            return _record(repo, recorded.answers_file, fresh, base)
    with rendered({**held, **request.data}) as fresh:  # with the values read: another answer may hold them
        return _record(repo, recorded.answers_file, fresh, base)


def _record(repo: Path, answers_file: str, fresh: FreshRender, base: str) -> AdoptResult:
    """Commit `fresh` as the pristine render and merge it into the branch keeping every file."""
    message = commit_message("Adopt", fresh.source)
    pristine = commit_render(repo, render_tree(repo, fresh.folder, fresh.files), None, message)
    rendered = answers_file if answers_file in fresh.files else None
    added = None if (repo / answers_file).is_file() or rendered is None else rendered
    merge = _merge_keeping_files(repo, pristine, added, fresh.source, base)
    return AdoptResult(repo, fresh.source.recorded_src, fresh.source.version, base, pristine, merge, added)


def _secrets_held(repo: Path, fresh: FreshRender, data: Mapping[str, Any]) -> dict[str, str]:
    """Return the secret answers not in `data` that the repo's files hold; refuse when one of them is unknown.

    Secret answers are not recorded. The pristine render holds a placeholder for each (secret_answers),
    and for its value wherever another answer holds it (a default built from it): a value not known
    would reach the pristine branch there. So each is read where the render with placeholders `fresh`
    has its placeholder in a file the repo has as rendered, or must be given, as for `scaffold update`.
    """
    asked = sorted(k for k in fresh.values if k not in data)
    held = current_values(of_commit(repo, "HEAD", list(fresh.files)), fresh.files, asked) if asked else {}
    missing = [k for k in asked if k not in held]
    if missing:
        given = " ".join(f"--data {k}=VALUE" for k in missing)
        raise SecretAnswersNeeded(
            f"{repo}: the secret answer {', '.join(missing)} is not recorded and no file of the repo tells it; "
            f"accepted: {given} (the value the repo uses)",
            missing,
        )
    return held


def _recorded(repo: Path, source: TemplateSource | None) -> Recorded:
    if find_answers_files(repo):
        return read_recorded(repo)
    if source is None:
        raise RefusedError(
            f"{repo} has no copier answers file, so its template is unknown; accepted: --template SRC "
            "(and --data KEY=VALUE for its answers)"
        )
    return Recorded(".copier-answers.yml", source.recorded_src, None, {})


def _base_source(recorded: Recorded, given: TemplateSource | None) -> tuple[TemplateSource, str]:
    """The template version to take as the base: the recorded one when it can be rendered, else the current one."""
    if given is not None:
        return given, CURRENT
    if recorded.version is None:
        return source_for(recorded), CURRENT
    try:
        at_version = source_for(recorded, recorded.version) if not _bundled(recorded) else source_for(recorded)
    except ScaffoldError:
        return source_for(recorded), CURRENT
    if _bundled(recorded) and at_version.version != recorded.version:
        return at_version, CURRENT  # the installed scaffold bundles another version
    return at_version, RECORDED


def _bundled(recorded: Recorded) -> bool:
    return recorded.src.startswith(BUNDLED_PREFIX)


def _as_recorded(recorded: Recorded, answers: Mapping[str, Any], base: str) -> Recorded:
    version = recorded.version if base == RECORDED else None
    return Recorded(recorded.answers_file, recorded.src, version, dict(answers))


def _merge_keeping_files(repo: Path, pristine: str, added: str | None, source: TemplateSource, base: str) -> str:
    """Merge the pristine commit with the `ours` strategy (the repo's files unchanged), adding the answers file.

    `scaffold/pristine` then points at it. Any interruption puts HEAD and the branch back.
    """
    what = "the render of the version it was made from" if base == RECORDED else "a render of the current version"
    message = (
        f"Adopt under scaffold: template {source.recorded_src} {source.version or 'unversioned'}\n\n"
        f"Merges {what} (branch {PRISTINE_BRANCH}) without changing any file, so scaffold update has a merge base."
        + ("" if base == RECORDED else " The repo's differences from it count as its own edits.")
        + "\n"
    )
    with undone_unless_done(repo):
        gitrepo.git(
            repo, "merge", "--quiet", "--no-ff", "--no-commit", "--no-verify", "-s", "ours",
            "--allow-unrelated-histories", pristine,
        )  # fmt: skip
        if added is not None:
            gitrepo.git(repo, "checkout", pristine, "--", added)
        gitrepo.git(repo, "commit", "--quiet", "--no-verify", "-m", message)
        merged = gitrepo.head(repo)
        point_branch(repo, pristine)
    return merged
