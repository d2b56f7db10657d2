"""`scaffold apply`: render one more template into an existing repo, next to the template(s) it already has.

copier lets several templates share a repo, each with its own answers file (the template's
`_answers_file`, e.g. `.copier-answers.ci.yml`). scaffold keeps each one's pristine renders in a
chain of its own: the applied template's render is committed with no parent, on its own branch
(`scaffold/pristine-ci`), and merged in; `scaffold update` then merges each template from its own
base, so one template's update never touches the other's files.

The templates must not share files: a file both would write has no single owner to merge from,
so apply refuses it, writing nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.answers_files import find_answers_files
from generator.config import OrgAnswers
from generator.errors import RefusedError, TemplateError
from generator.pristine import (
    applied_branch,
    commit_message,
    commit_render,
    point_branch,
    render_tree,
    undone_unless_done,
)
from generator.refusals import first_few, refuse_unless_ready, refuse_unless_repo
from generator.repo_lock import locked
from generator.rerender import FreshRender, Recorded, fresh_render
from generator.secret_merge import SecretMerge, fill_work_tree, secret_merge
from generator.sources import TemplateSource
from generator.template_meta import DEFAULT_NAME_QUESTION
from generator.trust.consent import NO_CONSENT, Consent


@dataclass
class ApplyRequest:
    """What the user asked `scaffold apply` for."""

    repo: Path
    source: TemplateSource
    data: dict[str, Any] = field(default_factory=dict)
    trusted: Consent = NO_CONSENT
    """The user's consent, decided on the template to apply when it renders."""
    org: OrgAnswers | None = None


@dataclass
class ApplyResult:
    """What `scaffold apply` did."""

    repo: Path
    template: str
    version: str | None
    answers_file: str
    branch: str
    files: list[str]
    pristine_commit: str
    merge_commit: str


def apply(request: ApplyRequest) -> ApplyResult:
    """Render `request.source` into the repo and merge it; raise RefusedError, writing nothing, when not safe.

    It holds the repo's lock (repo_lock) as `update` does: another command writing the repo waits briefly, then
    one of them is refused.
    """
    refuse_unless_repo(request.repo)
    with locked(request.repo, "apply"):
        return _locked_apply(request)


def _locked_apply(request: ApplyRequest) -> ApplyResult:
    repo = request.repo
    refuse_unless_ready(repo)
    recorded = Recorded(".copier-answers.yml", request.source.recorded_src, None, {DEFAULT_NAME_QUESTION: repo.name})
    with fresh_render(
        request.source, recorded, request.data, trusted=request.trusted, org=request.org, real=True, repo=repo
    ) as fresh:
        answers_file = _answers_file_of(fresh)
        if (repo / answers_file).exists():
            raise RefusedError(
                f"{repo} already has {answers_file}, so template {fresh.source.recorded_src} is applied; "
                f"accepted: scaffold update --answers-file {answers_file}"
            )
        _refuse_shared_files(repo, list(fresh.files))
        branch = applied_branch(answers_file)
        if gitrepo.git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).stdout.strip():
            raise RefusedError(f"{repo} already has the branch {branch}; accepted: delete it (git branch -D {branch})")
        message = commit_message("Apply", fresh.source)
        pristine = commit_render(repo, render_tree(repo, fresh.folder, fresh.files), None, message)
        merge = _merge(repo, pristine, branch, fresh.source, answers_file, secret_merge(repo, fresh, {}))
    template, version = fresh.source.recorded_src, fresh.source.version
    return ApplyResult(repo, template, version, answers_file, branch, sorted(fresh.files), pristine, merge)


def _answers_file_of(fresh: FreshRender) -> str:
    found = [name for name in find_answers_files(fresh.folder) if name in fresh.files]
    if len(found) != 1:
        raise TemplateError(
            f"template {fresh.source.recorded_src} rendered {len(found)} answers files, so its answers cannot be "
            "told apart; accepted: a template that writes one (copier's _answers_file)"
        )
    return found[0]


def _refuse_shared_files(repo: Path, files: list[str]) -> None:
    """Refuse when the repo already has a file (or a file where a folder goes) that the template would write."""
    taken: list[str] = []
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            target = repo.joinpath(*parts[:depth])
            last = depth == len(parts)
            if (target.is_symlink() or target.exists()) and (last or not target.is_dir()):
                taken.append("/".join(parts[:depth]))
                break
    if taken:
        raise RefusedError(
            f"{repo} already has {first_few(taken)}, which the template would write too; accepted: "
            "templates that write separate files (move or remove those, or make them in one template)"
        )


def _merge(
    repo: Path, pristine: str, branch: str, source: TemplateSource, answers_file: str, secrets: SecretMerge | None
) -> str:
    """Merge the render into the repo's branch (nothing is shared, so the merge adds files); undo it if git fails.

    The pristine render holds placeholders for the secret answers (`secrets`): the merge fills them in.
    """
    message = (
        f"Apply template {source.recorded_src} {source.version or 'unversioned'}\n\n"
        f"Merges its pristine render (branch {branch}); scaffold update keeps it up to date through {answers_file}.\n"
    )
    with undone_unless_done(repo, branch):
        point_branch(repo, pristine, branch)
        gitrepo.git(
            repo, "merge", "--quiet", "--no-ff", "--no-commit", "--no-verify", "--allow-unrelated-histories",
            "-m", message, branch,
        )  # fmt: skip
        if secrets is not None:
            fill_work_tree(repo, secrets, secrets.rendered, ())
        gitrepo.git(repo, "commit", "--quiet", "--no-edit", "--no-verify")
        merged = gitrepo.head(repo)
    return merged
