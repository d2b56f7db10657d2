"""`scaffold new`: collect the answers, render the template, and commit the pristine render."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.collect import Ask, collect_answers
from generator.config import OrgAnswers
from generator.destination import check_destination, put_in_place, relative_files, staging_for
from generator.errors import InvalidAnswerError, TemplateError
from generator.pristine import commit_pristine
from generator.questions import TemplateConfig, load_config
from generator.render import render
from generator.sources import TemplateSource, checkout


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
    trusted: bool = False
    org: OrgAnswers = field(default_factory=OrgAnswers)
    """The org config's default answers (pre-filled) and fixed answers (never asked)."""


@dataclass
class NewResult:
    """What `scaffold new` did (or, with --pretend, would do)."""

    dest: Path
    files: list[str]
    answers: dict[str, Any]
    version: str | None
    commit: str | None = None


def template_config(source: TemplateSource) -> TemplateConfig:
    """Load the questions of `source`, which must be on this machine."""
    if source.local_path is None:
        raise TemplateError(f"template {source.src!r} is not a folder on this machine")
    return load_config(source.local_path)


def create(request: NewRequest) -> NewResult:
    """Create the repo `request` describes; on any failure nothing is left at the destination."""
    check_destination(request.dest)
    given = dict(request.given)
    if given.setdefault("service_name", request.name) != request.name:
        raise InvalidAnswerError(
            f"service_name {given['service_name']!r} differs from the NAME argument {request.name!r}; "
            "accepted: the same name, or no --data service_name"
        )
    with checkout(request.source) as source:  # a git template: a clone at the version asked for
        config = template_config(source)
        answers = collect_answers(config, given, request.ask, request.org)
        if request.pretend:  # rendered in the system's temporary folder: nothing is written near the destination
            with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as tmp:
                render(source, config, Path(tmp) / "render", answers, trusted=request.trusted)
                return NewResult(request.dest, relative_files(Path(tmp) / "render"), answers, source.version)
        with staging_for(request.dest) as staging:
            render(source, config, staging, answers, trusted=request.trusted)
            files = relative_files(staging)
            commit = None
            if request.git_init:
                gitrepo.git(staging, "init", "-q")
                commit = commit_pristine(staging, source, message_title="Create")
            put_in_place(staging, request.dest)
    return NewResult(request.dest, files, answers, source.version, commit)
