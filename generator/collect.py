"""Turn given answers, defaults and (optionally) prompts into a complete, validated set of answers.

The questions are answered in copier's order and with copier's meaning (questions.Session); scaffold adds
what copier does not have: org defaults and fixed answers, its own prompts, and a summary to confirm.
"""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from generator import copier_api
from generator.config import OrgAnswers
from generator.errors import EXIT_ACTION_NEEDED, ConfigError, InvalidAnswerError, ScaffoldError
from generator.questions import MASK, Question, Session, TemplateConfig

Ask = Callable[[Question, Any, Callable[[Any], str]], Any]
"""Asks one question: (question as shown, default, problem-of-a-candidate) -> the accepted answer."""

EXIT_NOT_CONFIRMED = EXIT_ACTION_NEEDED


@runtime_checkable
class Confirms(Protocol):
    """An `Ask` that also shows the summary of the answers after the last question and asks to go on."""

    def confirm(self, summary: Sequence[tuple[str, str]]) -> bool:
        """Show (name, value) rows; return whether to create the repo."""


def _check_keys(config: TemplateConfig, given: Mapping[str, Any]) -> None:
    askable = [q.key for q in config.questions if not q.computed]
    for key in given:
        question = config.question(key)
        if question is None or question.computed:
            raise InvalidAnswerError(
                f"answer key {key!r} is not a question of this template; accepted: {', '.join(askable)}"
            )


def check_given(config: TemplateConfig, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate answers given up front (`--data`, an answers file), before anything is asked or written.

    Each is checked where copier checks it: in question order, against the answers and defaults before it.
    """
    _check_keys(config, given)
    return _Run(config, given, None, OrgAnswers(), None, only_given=True).answers


def collect_answers(
    config: TemplateConfig,
    given: Mapping[str, Any],
    ask: "Ask | None" = None,
    org: OrgAnswers | None = None,
    *,
    dest: Path | None = None,
) -> dict[str, Any]:
    """Return an answer for every question that applies: given ones, else asked (when `ask`), else defaults.

    Computed questions (`when: false`) are left to the template. Without `ask` nothing ever waits on
    input, which is what CI needs. `org` answers replace the template's defaults (pre-filled when
    asked) and fix answers that are then never asked; a given answer that contradicts a fixed one is
    an error. `dest` is the repo's folder, which copier's `_folder_name` and `_copier_conf` name.
    """
    org = org or OrgAnswers()
    _check_keys(config, given)
    run = _Run(config, {**given, **fixed_answers(config, given, org)}, ask, org, dest)
    if run.asked and isinstance(ask, Confirms) and not ask.confirm(run.summary()):
        raise ScaffoldError("not created: the answers were not confirmed; nothing was written", EXIT_NOT_CONFIRMED)
    return run.answers


class _Run:
    """One pass over the questions, in copier's order, recording each answer as copier would."""

    def __init__(
        self,
        config: TemplateConfig,
        given: Mapping[str, Any],
        ask: "Ask | None",
        org: OrgAnswers,
        dest: Path | None,
        *,
        only_given: bool = False,
    ) -> None:
        self.config = config
        self.session = Session(config, dest, given)
        self.answers: dict[str, Any] = {}
        self.asked = False
        self.secrets = config.secret_keys
        with copier_api.prompt_phase():
            for question in config.questions:
                self._answer(question, given, ask, org, only_given)

    def _answer(
        self, question: Question, given: Mapping[str, Any], ask: "Ask | None", org: OrgAnswers, only_given: bool
    ) -> None:
        session = self.session
        if not session.applies(question):
            # copier leaves it out of the answers file, yet its default (a computed value) is in the context
            session.hide(question)
            self._record_default(question)
            return
        if question.key in given:
            value = given[question.key]
            message = session.problem(question, value, self.secrets)
            if message:
                raise InvalidAnswerError(message)
            self._keep(question, session.parse(question, value))
            return
        if only_given:
            self._record_default(question)
            return
        from_org = question.key in org.defaults
        default = self._org_default(question, org) if from_org else session.default(question)
        if not _asks(session, question):  # copier's `ask: false`: its default, never a prompt
            if default is not copier_api.MISSING:
                self._keep(question, default)
            return
        if ask is not None:
            shown = session.shown(question)
            value = ask(shown, None if default is copier_api.MISSING else default, self._problem_of(question))
            self._keep(question, session.parse(question, value))
            self.asked = True
            return
        if default is copier_api.MISSING:
            raise InvalidAnswerError(
                f"{question.key} has no default and no answer was given; accepted: --data {question.key}=VALUE"
            )
        message = session.problem(question, default, self.secrets)
        if message and from_org:
            raise ConfigError(f"config {org.origin}: defaults.{question.key}: {message}")
        if message:
            raise InvalidAnswerError(message)
        self._keep(question, default)

    def _org_default(self, question: Question, org: OrgAnswers) -> Any:
        value = org.default(question.key, self.answers)
        try:
            return self.session.parse(question, value)
        except InvalidAnswerError as error:
            raise ConfigError(f"config {org.origin}: defaults.{question.key}: {error.message}") from None

    def _record_default(self, question: Question) -> None:
        try:
            default = self.session.default(question)
        except InvalidAnswerError:
            return
        if default is not copier_api.MISSING:
            self.session.record(question, default)

    def _keep(self, question: Question, value: Any) -> None:
        self.session.record(question, value)
        self.answers[question.key] = value

    def _problem_of(self, question: Question) -> Callable[[Any], str]:
        return lambda candidate: self.session.problem(question, candidate, self.secrets)

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows: every answer, then the figures the template derives from them."""
        rows = []
        combined = self.session.answers.combined
        for question in self.config.questions:
            if question.computed:
                value = combined.get(question.key)
                if value is not None:
                    rows.append((question.key, f"{_text(value)} (derived)"))
            elif question.key in self.answers:
                rows.append((question.key, MASK if question.secret else _text(self.answers[question.key])))
        return rows


def _asks(session: Session, question: Question) -> bool:
    asked = session.copier_question(question)
    get_ask = getattr(asked, "get_ask", None)  # copier 9.19 added `ask:`; before it, every question is asked
    return bool(get_ask()) if get_ask is not None else True


def summary(config: TemplateConfig, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (name, value) rows: every answer, then the figures the template derives from them."""
    return _Run(config, answers, None, OrgAnswers(), None, only_given=True).summary()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def fixed_answers(config: TemplateConfig, given: Mapping[str, Any], org: OrgAnswers) -> dict[str, Any]:
    """Return the org's fixed answers to this template's questions; keys it does not ask are ignored.

    Raise InvalidAnswerError when a `given` answer contradicts one, ConfigError when one is not a valid answer.
    """
    fixed: dict[str, Any] = {}
    wanted = {k: v for k, v in org.fixed.items() if (q := config.question(k)) is not None and not q.computed}
    if not wanted:
        return fixed
    session = Session(config, None, {**given, **wanted})
    for key, value in wanted.items():
        question = config.question(key)
        assert question is not None
        message = session.problem(question, value, config.secret_keys)
        if message:
            raise ConfigError(f"config {org.origin}: fixed.{key}: {message}")
        answer = session.parse(question, value)
        if key in given and _parsed_or_none(session, question, given[key]) != answer:
            raise InvalidAnswerError(
                f"{key} is fixed to {answer!r} by the org config {org.origin}; accepted: no --data {key}, "
                f"or {key}={answer}"
            )
        fixed[key] = answer
    return fixed


def _parsed_or_none(session: Session, question: Question, value: Any) -> Any:
    try:
        return session.parse(question, value)
    except InvalidAnswerError:
        return None
