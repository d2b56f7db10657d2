"""`scaffold new`: collect the answers, render the template, and commit the pristine render."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.checkouts import checkout
from generator.collect import Ask, collect_answers
from generator.config import OrgAnswers
from generator.destination import check_destination, put_in_place, relative_files, staging_for
from generator.errors import InvalidAnswerError, TemplateError
from generator.interrupts import point_of_no_return
from generator.pristine import (
    commit_filled_in,
    commit_message,
    commit_pristine,
    commit_render,
    point_branch,
    render_tree,
)
from generator.questions import MASK, TemplateConfig, load_config, template_message
from generator.render import render
from generator.secret_answers import refuse_secret_names, secret_values, shown_answers, with_placeholders
from generator.sources import TemplateSource
from generator.template_meta import meta_of
from generator.trust.consent import NO_CONSENT, Consent
from generator.trust.guard import check_template_tree


@dataclass
class NewRequest:
    """What the user asked `scaffold new` for."""

    name: str
    dest: Path
    source: TemplateSource
    given: dict[str, Any] = field(default_factory=dict)
    """Answers from an answers file and `--data`, the latter winning."""
    ask: Ask | None = None
    """Asks the questions not given; None renders the defaults without waiting on input."""
    pretend: bool = False
    git_init: bool = True
    trusted: Consent = NO_CONSENT
    """The user's consent (--trust, trusted entries), decided on the template when it is loaded and rendered."""
    org: OrgAnswers = field(default_factory=OrgAnswers)
    """The org config's default answers (pre-filled) and fixed answers (never asked)."""
    say: Callable[[str], None] | None = None
    """Shows the template's `_message_before_copy` before the questions, as copier does; None shows nothing."""


@dataclass
class NewResult:
    """What `scaffold new` did (or, with --pretend, would do)."""

    dest: Path
    files: list[str]
    answers: dict[str, Any]
    version: str | None
    commit: str | None = None
    message: str | None = None
    """The template's `_message_after_copy`, rendered; None when it has none."""


def template_config(source: TemplateSource, *, trusted: Consent | bool = NO_CONSENT) -> TemplateConfig:
    """Load the questions of `source`, a folder on this machine (its own Jinja extensions when consent covers it).

    A bool `trusted` is `--trust` alone.
    """
    if isinstance(trusted, bool):
        trusted = Consent(flag=trusted)
    if source.local_path is None:
        raise TemplateError(f"template {source.src!r} is not a folder on this machine")
    if not source.bundled:  # no byte of the template is read before its links are known to stay inside
        check_template_tree(source.local_path, source.recorded_src)
    try:
        return load_config(source.local_path, trusted=trusted.covers(source))
    except TemplateError as error:  # name the template as the user knows it, not its private snapshot or checkout
        error.args = (error.message.replace(str(source.local_path), source.recorded_src),)
        raise


def with_name(config: TemplateConfig, given: dict[str, Any], name: str) -> dict[str, Any]:
    """Return `given` with NAME as the answer to the template's name question, when it has one.

    The question is `_scaffold.name_question` (default `service_name`); a template without it gets
    NAME as the destination folder only.
    """
    key = meta_of(config.settings).name_question
    question = config.question(key)
    if question is None or question.computed:
        return dict(given)
    if given.setdefault(key, name) != name:
        raise InvalidAnswerError(
            f"{key} {given[key]!r} differs from the NAME argument {name!r}; accepted: the same name, or no --data {key}"
        )
    return dict(given)


def message_after_copy(config: TemplateConfig, answers: dict[str, Any], dest: Path) -> str | None:
    """Return the template's `_message_after_copy` rendered for `answers` and `dest`, or None when it has none."""
    shown = shown_answers(answers, config.secret_keys, MASK)  # printed: no secret
    return template_message(config, "_message_after_copy", dest, shown)


def files_rendered(folder: Path, source: TemplateSource) -> list[str]:
    """Return the files rendered into `folder`; a render of no file is refused, as a repo of nothing is no repo."""
    files = relative_files(folder)
    if not files:
        raise TemplateError(
            f"template {source.recorded_src} renders no files with these answers; accepted: a template whose "
            "folder (or _subdirectory) holds files to render"
        )
    return files


def create(request: NewRequest) -> NewResult:
    """Create the repo `request` describes; on any failure nothing is left at the destination."""
    if not request.name.strip():
        raise InvalidAnswerError(
            f"NAME {request.name!r} is empty; accepted: the new service's name, e.g. `scaffold new payments`"
        )
    check_destination(request.dest)
    with checkout(request.source) as source:  # a git template: a clone at the version asked for
        config = template_config(source, trusted=request.trusted)
        given = with_name(config, dict(request.given), request.name)
        before = template_message(config, "_message_before_copy", request.dest) if request.say else None
        if request.say and before:
            request.say(before)
        answers = collect_answers(config, given, request.ask, request.org.for_template(source), dest=request.dest)
        message = message_after_copy(config, answers, request.dest)
        folder_name = request.dest.resolve().name  # `.` names the folder it is, as copier would
        if request.pretend:  # rendered in the system's temporary folder: nothing is written near the destination
            with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as tmp:
                folder = Path(tmp) / "render"
                render(source, config, folder, answers, trusted=request.trusted, folder_name=folder_name)
                files = files_rendered(folder, source)
                values = secret_values(config.secret_keys, answers)
                refuse_secret_names(files, values, source.recorded_src, values)
                return NewResult(request.dest, files, answers, source.version, message=message)
        values = secret_values(config.secret_keys, answers) if request.git_init else {}
        with staging_for(request.dest) as staging, tempfile.TemporaryDirectory(prefix="scaffold-pristine-") as tmp:
            pristine = Path(tmp) / "render"
            if values:  # first: the real render's tasks run last, so what they set outside the repo is the value
                _placeholder_render(source, config, pristine, answers, values, folder_name, request.trusted)
            render(source, config, staging, answers, trusted=request.trusted, folder_name=folder_name)
            files = files_rendered(staging, source)
            commit = None
            if request.git_init:
                gitrepo.git(staging, "init", "-q")
                if values:
                    commit = commit_filled_in(staging, _commit_placeholders(staging, pristine, source))
                else:
                    commit = commit_pristine(staging, source, message_title="Create")
            point_of_no_return()  # a Ctrl-C from here lets the repo finish moving into place: never half a repo
            put_in_place(staging, request.dest)
    return NewResult(request.dest, files, answers, source.version, commit, message)


def _placeholder_render(
    source: TemplateSource,
    config: TemplateConfig,
    folder: Path,
    answers: dict[str, Any],
    values: dict[str, str],
    folder_name: str,
    trusted: Consent,
) -> None:
    """Render the template into `folder` (in the system's temporary folder), a placeholder for each secret answer."""
    placeholders = frozenset(values)
    answers = with_placeholders(answers, values)
    render(source, config, folder, answers, trusted=trusted, folder_name=folder_name, placeholders=placeholders)
    refuse_secret_names(files_rendered(folder, source), placeholders, source.recorded_src)


def _commit_placeholders(repo: Path, folder: Path, source: TemplateSource) -> str:
    """Commit the placeholder render in `folder` as the pristine render of the fresh repo `repo`: it holds no secret."""
    tree = render_tree(repo, folder, files_rendered(folder, source))
    pristine = commit_render(repo, tree, None, commit_message("Create", source))
    point_branch(repo, pristine)
    return pristine
