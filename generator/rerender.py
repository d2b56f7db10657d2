"""Rendering an existing repo's template again: its recorded answers, its template, a fresh render aside.

`scaffold update` and `scaffold check` both start here: read what `.copier-answers.yml` records,
find the template to render (the installed bundled one, or a git template at a tag), work out the
answers (recorded ones, changed by `--data`, defaults for questions the version added), and render
into a temporary folder that never touches the repo.
"""

import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from generator import sources
from generator.answers_files import answers_file_of
from generator.checkouts import checkout
from generator.collect import check_given, collect_answers, fixed_answers
from generator.config import TRUST_KEY, OrgAnswers
from generator.errors import InvalidAnswerError, RefusedError, TemplateError
from generator.new import template_config
from generator.policy import fixed_only
from generator.questions import TemplateConfig, is_asked
from generator.render import read_answers_file, render
from generator.secret_answers import refuse_secret_names, secret_values, with_placeholders, with_values
from generator.snapshots import Snapshot, of_render
from generator.sources import TemplateSource
from generator.trust.consent import NO_CONSENT, Consent


@dataclass(frozen=True)
class Recorded:
    """What a generated repo's answers file says about how it was made."""

    answers_file: str
    """Its path relative to the repo, e.g. `.copier-answers.yml`."""
    src: str
    """`_src_path`: `bundled:go-service`, a folder or a git URL."""
    version: str | None
    """`_commit`: the template version the repo is on."""
    answers: dict[str, Any]
    """The answers, without copier's `_` keys."""


@dataclass(frozen=True)
class FreshRender:
    """A render of a template version for a repo's answers, in a temporary folder."""

    folder: Path
    source: TemplateSource
    """The version rendered (`source.version`) and what the answers file records (`source.recorded_src`)."""
    answers: dict[str, Any]
    files: Snapshot
    """The files git would commit from `folder`: the pristine render, each secret answer a placeholder."""
    secrets: frozenset[str] = frozenset()
    """The keys of the template's secret questions: never shown, never recorded."""
    values: Mapping[str, str] = field(default_factory=dict)
    """The secret answers `files` holds placeholders for (secret_answers), key -> the real value."""
    real: Snapshot | None = None
    """With `fresh_render(real=True)` and secret answers to fill in: the files rendered with the real values."""
    kept: frozenset[str] = frozenset()
    """The secret answers not given but read from the repo's files (`fresh_render`'s `secrets_kept`)."""

    def real_file(self, path: str) -> bytes | None:
        """Return `path` as the render with the real secret values has it (the pristine render's when it has none)."""
        return (self.real if self.real is not None else self.files).get(path)


def read_recorded(repo: Path, answers_file: str | None = None) -> Recorded:
    """Read the repo's answers file (by default the one found in it); raise RefusedError when missing or corrupt."""
    answers_file = answers_file or answers_file_of(repo)
    path = repo / answers_file
    restore = f"restore it with `git checkout -- {answers_file}`, or re-create the repo with scaffold new"
    if not path.is_file():
        raise RefusedError(
            f"{repo} has no {answers_file}, so its template and answers are unknown; accepted: a repo made by "
            "scaffold new (or copier)"
        )
    try:
        data = read_answers_file(path)
    except TemplateError as error:
        raise RefusedError(f"{answers_file} in {repo} is corrupt ({error.message}); {restore}") from None
    src = data.get("_src_path")
    if not isinstance(src, str) or not src.strip():
        raise RefusedError(f"{answers_file} in {repo} is corrupt (it has no _src_path); {restore}")
    commit = data.get("_commit")
    answers = {k: v for k, v in data.items() if not str(k).startswith("_")}
    return Recorded(answers_file, src, None if commit is None else str(commit), answers)


def source_for(recorded: Recorded, vcs_ref: str | None = None) -> TemplateSource:
    """Return the template to update a repo to: the installed bundled template, or its git template at `vcs_ref`.

    Without `vcs_ref`, a git template's newest version tag.
    """
    if recorded.src.startswith(sources.BUNDLED_PREFIX):
        if vcs_ref is not None:
            raise RefusedError(
                f"--vcs-ref applies to git-hosted templates, and this repo uses {recorded.src}, which ships with "
                "scaffold; accepted: no --vcs-ref (install a newer scaffold to get a newer template)"
            )
        return sources.bundled(recorded.src.removeprefix(sources.BUNDLED_PREFIX))
    return sources.resolve(recorded.src, vcs_ref)


def answers_for(
    config: TemplateConfig,
    recorded: Mapping[str, Any],
    data: Mapping[str, Any],
    org: OrgAnswers | None = None,
    repo: Path | None = None,
) -> dict[str, Any]:
    """Return the answers to render with: the recorded ones, changed by `data`, defaults for new questions.

    Recorded answers to questions the template no longer asks, or that no longer apply (`when`), are dropped.
    The org's fixed answers replace recorded ones; `data` that contradicts one is an InvalidAnswerError.
    Defaults see the `repo`'s `_folder_name` and `_external_data`, as copier's questions on update do.
    """
    check_given(config, data)
    policy = fixed_only(org)
    fixed_answers(config, data, policy)
    kept = {}
    for key, value in recorded.items():
        question = config.question(key)
        if question is not None and not question.computed and key not in policy.fixed:
            kept[key] = value
    try:
        answers = collect_answers(config, {**kept, **data}, org=policy, dest=repo)
    except InvalidAnswerError as error:
        raise InvalidAnswerError(
            f"{error.message} (the answer recorded in the answers file; change it with --data KEY=VALUE)"
        ) from None
    applies = {}
    for key, value in answers.items():
        question = config.question(key)
        if key in data or question is None or is_asked(question, answers):
            applies[key] = value
    return applies


@contextmanager
def fresh_render(
    source: TemplateSource,
    recorded: Recorded,
    data: Mapping[str, Any] | None = None,
    *,
    trusted: Consent | bool = NO_CONSENT,
    org: OrgAnswers | None = None,
    real: bool = False,
    secrets_kept: Callable[[frozenset[str]], Mapping[str, str]] | None = None,
    repo: Path | None = None,
) -> Iterator[FreshRender]:
    """Yield a render of `source` for the repo's recorded answers changed by `data`, removed afterwards.

    The render is a pristine one: each secret answer is rendered as its placeholder (secret_answers).
    With `real`, the template is rendered a second time with the real values (`FreshRender.real`),
    when it has secret answers. `secrets_kept`, given the template's secret questions, returns the
    values the repo holds for them: those `data` does not give are kept. `org`'s fixed answers win
    over the recorded ones. `trusted` is the user's consent, decided on the template as it renders;
    a bool is `--trust` alone. The render is for `repo`, as `copier update` renders into it:
    `_folder_name` is its folder's name and `_external_data` is read from its working tree.
    """
    if isinstance(trusted, bool):
        trusted = Consent(flag=trusted)
    with checkout(source) as local:
        config = template_config(local, trusted=trusted)
        secrets = config.secret_keys
        given = dict(data or {})
        held = secrets_kept(secrets) if secrets_kept is not None and secrets else {}
        kept = {k: v for k, v in held.items() if k in secrets and k not in given}
        org = org.for_template(source) if org is not None else None
        previous = recorded.answers
        if not same_template(source.recorded_src, recorded.src):
            # The org's `trusted` decided scaffold_trust for the recorded template, never for the one the
            # repo moves to: without an org config to decide again, CI's --trust does not follow the move.
            previous = {k: v for k, v in previous.items() if k != TRUST_KEY}
        answers = answers_for(config, previous, {**kept, **given}, org, repo)
        values = secret_values(secrets, answers)
        folder_name = repo.resolve().name if repo is not None else None
        with tempfile.TemporaryDirectory(prefix="scaffold-render-") as tmp:
            folder = Path(tmp) / "render"
            placeholders = frozenset(values)
            hidden = with_placeholders(answers, values, held)
            render(
                local, config, folder, hidden, trusted=trusted, placeholders=placeholders, folder_name=folder_name,
                external_root=repo,
            )  # fmt: skip
            version = local.version or _rendered_version(folder / recorded.answers_file)
            rendered = TemplateSource(src=local.src, recorded_src=source.recorded_src, version=version)
            real_files = None
            if real and values:
                render(
                    local, config, Path(tmp) / "real", with_values(answers, values, held), trusted=trusted,
                    folder_name=folder_name, external_root=repo,
                )  # fmt: skip
                real_files = of_render(Path(tmp) / "real")
            files = of_render(folder)
            refuse_secret_names(files, placeholders, source.recorded_src)
            yield FreshRender(folder, rendered, answers, files, secrets, values, real_files, frozenset(kept))


def _rendered_version(answers_file: Path) -> str | None:
    try:
        commit = read_answers_file(answers_file).get("_commit")
    except TemplateError:
        return None
    return None if commit is None else str(commit)


_DESCRIBED = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$")


def version_key(text: str | None) -> Version | None:
    """Return the PEP 440 version of a recorded template version, or None when it is not one.

    `git describe` output (`v1.2.0-3-gabc123`, a commit after a tag) counts as `1.2.0.post3+gabc123`.
    """
    if not text:
        return None
    described = _DESCRIBED.match(text)
    candidate = f"{described['tag']}.post{described['count']}+g{described['hash']}" if described else text
    return sources.parse_version(candidate)


def same_template(a: str, b: str) -> bool:
    """Return whether two `_src_path` values name the same template."""
    return a == b or sources.canonical(a) == sources.canonical(b)
