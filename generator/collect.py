"""Turn given answers, defaults and (optionally) prompts into a complete, validated set of answers."""

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from generator.answers import validate_answers
from generator.config import OrgAnswers
from generator.errors import EXIT_ACTION_NEEDED, ConfigError, InvalidAnswerError, ScaffoldError
from generator.questions import Question, TemplateConfig, convert, default_for, is_asked, problem

Ask = Callable[[Question, Any, Callable[[Any], str]], Any]
"""Asks one question: (question, default, problem-of-a-candidate) -> the accepted answer."""

EXIT_NOT_CONFIRMED = EXIT_ACTION_NEEDED


@runtime_checkable
class Confirms(Protocol):
    """An `Ask` that also shows the summary of the answers after the last question and asks to go on."""

    def confirm(self, summary: Sequence[tuple[str, str]]) -> bool:
        """Show (name, value) rows; return whether to create the repo."""


def check_given(config: TemplateConfig, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate answers given up front (`--data`, an answers file), before anything is asked or written."""
    askable = [q.key for q in config.questions if not q.computed]
    checked: dict[str, Any] = {}
    for key, value in given.items():
        question = config.question(key)
        if question is None or question.computed:
            raise InvalidAnswerError(
                f"answer key {key!r} is not a question of this template; accepted: {', '.join(askable)}"
            )
        message = problem(question, value, {**checked, **given}, config.secret_keys)
        if message:
            raise InvalidAnswerError(message)
        checked[key] = convert(question, value)
    return checked


def collect_answers(
    config: TemplateConfig, given: Mapping[str, Any], ask: Ask | None = None, org: OrgAnswers | None = None
) -> dict[str, Any]:
    """Return an answer for every question that applies: given ones, else asked (when `ask`), else defaults.

    Computed questions (`when: false`) are left to the template. Without `ask` nothing ever waits on
    input, which is what CI needs. `org` answers replace the template's defaults (pre-filled when
    asked) and fix answers that are then never asked; a given answer that contradicts a fixed one is
    an error.
    """
    org = org or OrgAnswers()
    answers = {**check_given(config, given), **fixed_answers(config, given, org)}
    asked = False
    for question in config.questions:
        if question.computed or question.key in answers:
            continue
        if not is_asked(question, answers):
            continue
        from_org = question.key in org.defaults
        default = convert(question, org.default(question.key, answers)) if from_org else default_for(question, answers)
        if ask is not None:
            value = ask(question, default, functools.partial(_problem_of, question, answers, config.secret_keys))
            answers[question.key] = convert(question, value)
            asked = True
            continue
        if default is None:
            raise InvalidAnswerError(
                f"{question.key} has no default and no answer was given; accepted: --data {question.key}=VALUE"
            )
        message = problem(question, default, answers, config.secret_keys)
        if message and from_org:
            raise ConfigError(f"config {org.origin}: defaults.{question.key}: {message}")
        if message:
            raise InvalidAnswerError(message)
        answers[question.key] = default
    # A given answer to a question that does not apply (pprof_port with enable_pprof=false) is left out,
    # as if never given: the template would otherwise still validate it.
    ordered = {q.key: answers[q.key] for q in config.questions if q.key in answers and is_asked(q, answers)}
    checked = validate_answers(ordered)
    if asked and isinstance(ask, Confirms) and not ask.confirm(summary(config, checked)):
        raise ScaffoldError("not created: the answers were not confirmed; nothing was written", EXIT_NOT_CONFIRMED)
    return checked


def summary(config: TemplateConfig, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (name, value) rows: every answer, then the figures the template derives from them."""
    rows = []
    for question in config.questions:
        if question.computed:
            value = default_for(question, answers)
            if value is not None:
                rows.append((question.key, f"{value} (derived)"))
        elif question.key in answers:
            rows.append((question.key, "********" if question.secret else _text(answers[question.key])))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _problem_of(question: Question, answers: Mapping[str, Any], secrets: frozenset[str], candidate: Any) -> str:
    return problem(question, candidate, answers, secrets)


def fixed_answers(config: TemplateConfig, given: Mapping[str, Any], org: OrgAnswers) -> dict[str, Any]:
    """Return the org's fixed answers to this template's questions; keys it does not ask are ignored.

    Raise InvalidAnswerError when a `given` answer contradicts one.
    """
    fixed: dict[str, Any] = {}
    for key, value in org.fixed.items():
        question = config.question(key)
        if question is None or question.computed:
            continue
        answer = convert(question, value)
        if key in given and convert(question, given[key]) != answer:
            raise InvalidAnswerError(
                f"{key} is fixed to {answer!r} by the org config {org.origin}; accepted: no --data {key}, "
                f"or {key}={answer}"
            )
        message = problem(question, answer, {**given, **fixed}, config.secret_keys)
        if message:
            raise ConfigError(f"config {org.origin}: fixed.{key}: {message}")
        fixed[key] = answer
    return fixed
