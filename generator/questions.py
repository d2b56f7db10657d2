"""A template's questions, as copier reads, renders and checks them.

copier decides what a question means (its type, default, `when`, choices, validator, secrecy); this module
asks copier (through copier_api) and adds scaffold's own layer: answers never hold control characters,
messages are one line naming the value and what is accepted, and secret answers are never repeated.
"""

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateError as JinjaError
from jinja2.exceptions import SecurityError

from generator import copier_api
from generator.answers import parse_bool, reject_control_characters, validate_answer
from generator.errors import (
    InvalidAnswerError,
    TemplateError,
    TemplateRefusedError,
    shown,
    unreadable_value,
    yaml_problem,
)
from generator.trust import bounded_yaml
from generator.trust.consent import MACHINE_FILTERS, OWN_EXTENSIONS
from generator.trust.guard import NEVER
from generator.trust.limits import MemoryLimitExceeded, RenderTimeout, bound_environment, deadline, memory_cap, size
from generator.trust.limits import current as current_limits

MASK = "********"


@dataclass(frozen=True)
class Question:
    """One question of a template, as declared in copier.yml (`spec` is copier's own mapping for it).

    `help`, `type` and `choices` are as copier shows them when the question is asked (rendered against the
    answers so far); they are plain copier.yml values on the questions of `TemplateConfig.questions`.
    """

    key: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: dict[str, Any] = field(default_factory=dict)
    """Label shown to the user -> value recorded (the choices that can be picked now)."""
    disabled: dict[str, str] = field(default_factory=dict)
    """Label -> why it cannot be picked now (copier's `validator` inside a choice)."""
    when: Any = True
    validator: str = ""
    secret: bool = False
    multiselect: bool = False
    """Several of the choices may be picked; the answer is a list."""
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def computed(self) -> bool:
        """Whether this is a derived value (`when: false`) that is never asked."""
        return self.when is False


@dataclass(frozen=True)
class TemplateConfig:
    """A template's questions and settings (keys with their leading `_`), read by copier from `folder`."""

    questions: list[Question]
    settings: dict[str, Any]
    folder: Path | None = None
    trusted: bool = False
    _templates: list[Any] = field(default_factory=list, compare=False, repr=False)
    """copier's Template, read once (the first call of `template`)."""

    def question(self, key: str) -> Question | None:
        """Return the question called `key`, if the template asks it."""
        return next((q for q in self.questions if q.key == key), None)

    @property
    def secret_keys(self) -> frozenset[str]:
        """The keys of the secret questions: their answers are never shown or recorded."""
        return frozenset(q.key for q in self.questions if q.secret)

    def template(self) -> Any:
        """Return copier's Template for this folder, importing the template's own extensions only when trusted."""
        if self.folder is None:
            raise TemplateError("this template has no folder on this machine")
        if not self._templates:
            extensions = None if self.trusted else _own_extensions(self.settings)
            self._templates.append(copier_api.template_of(self.folder, extensions=extensions))
        return self._templates[0]


def _own_extensions(settings: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(e) for e in settings.get("_jinja_extensions") or [] if str(e) in OWN_EXTENSIONS)


def load_config(template_dir: Path, *, trusted: bool = False) -> TemplateConfig:
    """Read the copier.yml (or copier.yaml) of the template in `template_dir`, as copier reads it.

    Its questions later render in copier's environment for the template: the filters copier always has,
    and the template's `_jinja_extensions`, which are imported only when `trusted` (they run Python);
    scaffold's own extension counts as the template's.
    """
    if not any((template_dir / n).is_file() for n in ("copier.yml", "copier.yaml")):
        raise TemplateError(f"template {template_dir} has no copier.yml")
    template = copier_api.template_of(template_dir)
    try:
        for name in ("copier.yml", "copier.yaml"):  # bounded before copier's own loader expands any alias
            if (template_dir / name).is_file():
                bounded_yaml.measure_config(template_dir / name, template_dir)
        settings = {f"_{k}": v for k, v in template.config_data.items()}
        questions_data = dict(template.questions_data)
    except yaml.YAMLError as error:
        raise TemplateError(f"{template_dir / 'copier.yml'} is not valid YAML: {yaml_problem(error)}") from None
    except (copier_api.CopierError, ValueError, TypeError, OSError) as error:
        huge = isinstance(error, ValueError) and "integer string conversion" in str(error)  # over 4300 digits
        reason = unreadable_value(error) if huge and isinstance(error, ValueError) else _first_line(error)
        raise TemplateError(f"template {template_dir}: copier.yml cannot be read: {reason}") from None
    questions = [_declared(str(k), v) for k, v in questions_data.items()]
    config = TemplateConfig(questions=questions, settings=settings, folder=template_dir, trusted=trusted)
    if trusted:
        config._templates.append(template)  # the one just read imports every extension, as trusted allows
    return config


def _declared(key: str, spec: Mapping[str, Any]) -> Question:
    choices = spec.get("choices") or {}
    if isinstance(choices, list):
        choices = dict(_choice(c) for c in choices)
    if not isinstance(choices, dict):
        choices = {}  # templated choices: known only when asked
    return Question(
        key=key,
        type=str(spec.get("type") or _type_of(spec.get("default"))),
        help=str(spec.get("help") or ""),
        default=spec.get("default"),
        choices={str(label): (c.get("value") if isinstance(c, dict) else c) for label, c in choices.items()},
        when=spec.get("when", True),
        validator=str(spec.get("validator") or ""),
        secret=bool(spec.get("secret", False)),
        multiselect=bool(spec.get("multiselect", False)),
        spec=dict(spec),
    )


def _type_of(default: Any) -> str:
    """The type copier gives a question that names none: its default's, else yaml."""
    name = type(default).__name__
    return name if name in ("bool", "int", "float", "str") else "yaml"


def _choice(choice: Any) -> tuple[str, Any]:
    if isinstance(choice, list | tuple) and len(choice) == 2:
        return str(choice[0]), choice[1]
    return str(choice), choice


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


class Session:
    """The questions of one template for one destination, answered in order as copier answers them.

    Answers go into copier's AnswersMap, so every later default, `when`, choice and validator sees them (and
    the computed values before it) exactly as in `copier copy`.
    """

    def __init__(self, config: TemplateConfig, dest: Path | None = None, given: Mapping[str, Any] | None = None):
        self.config = config
        self.worker = copier_api.questionnaire_worker(config.template(), dest or Path("scaffold-render"), data=given)
        copier_api.start_answers(self.worker, given or {})
        try:
            env = self.worker.jinja_env
        except (copier_api.CopierError, ImportError, AttributeError) as error:
            raise TemplateError(
                f"the template's Jinja extensions {', '.join(map(str, config.settings.get('_jinja_extensions') or []))}"
                f" cannot be loaded ({_first_line(error)}); accepted: extensions installed beside scaffold"
            ) from None
        if not config.trusted:
            for name in MACHINE_FILTERS:
                env.filters.pop(name, None)
        bound_environment(current_limits(), env)  # defaults, validators and messages render here

    @property
    def env(self) -> Any:
        """copier's Jinja environment for the template."""
        return self.worker.jinja_env

    @property
    def answers(self) -> Any:
        """copier's AnswersMap of this session."""
        return self.worker.answers

    def copier_question(self, question: Question) -> Any:
        """copier's Question for `question`, in the context of the answers so far."""
        with _template_errors(question.key):
            return copier_api.question(self.worker, question.key, question.spec)

    def applies(self, question: Question) -> bool:
        """Whether `question` applies given the answers so far (its `when`)."""
        with _template_errors(question.key):
            return bool(self.copier_question(question).get_when())

    def default(self, question: Question) -> Any:
        """The question's default for the answers so far, as copier casts it; copier_api.MISSING when none."""
        asked = self.copier_question(question)
        with _template_errors(question.key):
            try:
                return asked.get_default()
            except copier_api.ForbiddenPathError:
                raise
            except ValueError as error:  # copier validates defaults; scaffold reports them as answers
                raise InvalidAnswerError(_problem_text(question, error)) from None

    def shown(self, question: Question) -> Question:
        """`question` as it is asked now: help, type and choices rendered."""
        asked = self.copier_question(question)
        with _template_errors(question.key):
            choices = copier_api.choices(asked)
            type_name = asked.get_type_name()
            help_text = str(asked.render_value(asked.help)) if asked.help else ""
        return Question(
            key=question.key,
            type=type_name,
            help=help_text,
            default=question.default,
            choices={str(c.title): c.value for c in choices if not c.disabled},
            disabled={str(c.title): str(c.disabled) for c in choices if c.disabled},
            when=question.when,
            validator=question.validator,
            secret=question.secret,
            multiselect=question.multiselect,
            spec=question.spec,
        )

    def parse(self, question: Question, value: Any) -> Any:
        """Return `value` as copier would record it for `question`; raise InvalidAnswerError with one line."""
        asked = self.copier_question(question)
        lines = bool(asked.get_multiline())  # the template asks for several lines of text
        reject_control_characters(question.key, value, lines=lines)
        try:
            parsed = asked.parse_answer(value)
        except copier_api.ForbiddenPathError as error:
            raise _refusal(error) from None
        except (ValueError, TypeError, KeyError, copier_api.CopierError) as error:
            raise InvalidAnswerError(self._cast_problem(question, asked, value, error)) from None
        for item in parsed if isinstance(parsed, list) else [parsed]:
            reject_control_characters(question.key, item, lines=lines)
        return parsed

    def _cast_problem(self, question: Question, asked: Any, value: Any, error: BaseException) -> str:
        # copier refused the value; a question scaffold knows (same key as the bundled template's) says
        # more precisely what it accepts
        try:
            validate_answer(question.key, value)
        except InvalidAnswerError as known:
            return known.message
        if asked.choices:
            choices = copier_api.choices(asked)
            refused = next((c for c in choices if c.disabled and str(c.value) == str(value)), None)
            if refused is not None:
                return f"{question.key} {shown(value)} cannot be picked: {refused.disabled}"
            accepted = ", ".join(str(c.value) for c in choices if not c.disabled)
            several = " (a YAML list of them)" if question.multiselect else ""
            return f"{question.key} {shown(value)} is not one of the choices; accepted: {accepted}{several}"
        kind = asked.get_type_name()
        if kind in ("int", "float"):
            accepted = "a whole number, such as 8080" if kind == "int" else "a number, such as 0.5"
            return f"{question.key} {shown(value)} is not valid; accepted: {accepted}"
        if kind == "bool":
            parse_bool(question.key, value)
        return f"{question.key} {shown(value)} is not valid; accepted: {kind} text ({_first_line(error)})"

    def problem(self, question: Question, value: Any, secrets: Collection[str] = frozenset()) -> str:
        """Return the one-line problem with `value` as an answer to `question`, or "" when it is acceptable.

        No secret answer is ever repeated in the message: neither this question's, when it is secret, nor
        those of the `secrets` keys a template validator could show (it is rendered again with them masked).
        """
        hidden = {*secrets, question.key} if question.secret else set(secrets)
        message = self._problem(question, value, hidden)
        if question.key not in hidden or not message:
            return message
        spellings = {shown(value), repr(value)} | ({str(value)} if len(str(value)) >= 4 else set())
        for text in sorted(spellings, key=len, reverse=True):
            message = message.replace(text, repr(MASK))
        return message

    def _problem(self, question: Question, value: Any, hidden: Collection[str]) -> str:
        try:
            parsed = self.parse(question, value)
        except InvalidAnswerError as error:
            return error.message
        asked = self.copier_question(question)
        message = self._validator_message(asked, question, parsed, {})
        if message and (set(hidden) & (set(self.answers.combined) | {question.key})):
            masked = {k: _stars(v) for k, v in self.answers.combined.items() if k in hidden}
            if question.key in hidden:
                masked[question.key] = _stars(parsed)
            shown_message = self._validator_message(asked, question, parsed, masked)
            return shown_message or f"{question.key}: the template's validator refused the answer"
        return message

    def _validator_message(self, asked: Any, question: Question, parsed: Any, masked: Mapping[str, Any]) -> str:
        if not asked.validator:
            return ""
        with _template_errors(question.key):
            return str(asked.render_value(asked.validator, {question.key: parsed, **masked})).strip()

    def record(self, question: Question, value: Any) -> None:
        """Record `value` (already parsed) as the answer to `question`, as copier does."""
        self.answers.user[question.key] = value

    def hide(self, question: Question) -> None:
        """Leave `question`'s answer out of the answers file (its `when` is false), as copier does."""
        self.answers.hide(question.key)

    def render(self, text: str, extra: Mapping[str, Any] | None = None) -> str:
        """Render `text` (a message, a file name) in copier's context for the answers so far."""
        with _template_errors("message"):
            template = self.env.from_string(text)
            return str(template.render({**copier_api.render_context(self.worker), **(extra or {})}))


def _refusal(error: BaseException) -> TemplateRefusedError:
    return TemplateRefusedError(
        f"the template is refused: {_first_line(error)}: it reads or writes outside the template or the new repo "
        f"({NEVER})"
    )


@contextmanager
def _template_errors(key: str) -> Iterator[None]:
    """Report a failure of the template's own Jinja or copier.yml (not of the answer) as a TemplateError."""
    limits = current_limits()
    try:
        # the render's deadline and memory cap do not cover the questions, which render before it starts
        with deadline(limits.render_seconds), memory_cap(limits.memory):
            yield
    except InvalidAnswerError:
        raise
    except RenderTimeout:
        raise TemplateRefusedError(
            f"the template is refused at {key} of copier.yml: it took more than {limits.render_seconds:g} seconds "
            "to render; accepted: a template that renders in less (SCAFFOLD_LIMIT_RENDER_SECONDS)"
        ) from None
    except MemoryLimitExceeded:
        raise TemplateRefusedError(
            f"the template is refused at {key} of copier.yml: it needed more than {size(limits.memory)} of memory "
            "to render; accepted: a smaller render, or a higher SCAFFOLD_LIMIT_MEMORY"
        ) from None
    except copier_api.ForbiddenPathError as error:
        raise _refusal(error) from None
    except SecurityError as error:  # the sandbox's bounds (trust.limits) among them: refused, as in a file
        raise TemplateRefusedError(f"the template is refused at {key} of copier.yml: {_first_line(error)}") from None
    except (JinjaError, copier_api.CopierError, OverflowError, RecursionError) as error:
        # OverflowError: the sandbox's range limit; RecursionError: a macro calling itself
        unknown = str(error).startswith(("No filter named", "No test named"))
        hint = " (a template's own Jinja extensions are loaded only with --trust)" if unknown else ""
        raise TemplateError(
            f"the template's copier.yml cannot be rendered at {key}: {_first_line(error)}{hint}; "
            "accepted: Jinja using the answers before it and the template's filters"
        ) from None


def _problem_text(question: Question, error: BaseException) -> str:
    text = _first_line(error)
    prefix = f"Validation error for question '{question.key}': "
    return text.removeprefix(prefix)


def _stars(value: Any) -> str:
    return "*" * len(value) if isinstance(value, str) and value else MASK


def answered(config: TemplateConfig, answers: Mapping[str, Any], dest: Path | None = None) -> Session:
    """Return a session holding `answers` (already checked) and every default and computed value copier would add."""
    session = Session(config, dest, answers)
    for question in config.questions:
        _answer_quietly(session, question, answers)
    return session


def template_message(
    config: TemplateConfig, key: str, dest: Path, answers: Mapping[str, Any] | None = None
) -> str | None:
    """Return the template's message `key` (`_message_after_copy`, ...) rendered as copier shows it, else None.

    With `answers` (already masked: it is printed), in their context; without, as copier renders the messages
    it shows before any question is answered (`_message_before_copy`, `_message_before_update`): with none.
    None too when the message renders empty.
    """
    message = config.settings.get(key)
    if not message:
        return None
    session = Session(config, dest) if answers is None else answered(config, answers, dest)
    return session.render(str(message)).strip() or None


def is_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Return whether `question` can apply to a repo with `answers`: False only for a literal `when: false`.

    Answers collected by collect_answers hold only the questions that applied (copier's `when`, rendered
    in copier's context); this tells them from computed values.
    """
    return question.when is not False and str(question.when).strip().lower() not in ("false", "no", "0", "off")


def _answer_quietly(session: Session, question: Question, answers: Mapping[str, Any]) -> None:
    """Record what copier would for `question` given `answers`: the given value, else its default (if any)."""
    try:
        applies = session.applies(question)
        if not applies:
            session.hide(question)
        value = answers[question.key] if question.key in answers and applies else session.default(question)
    except (InvalidAnswerError, TemplateError):
        return
    if value is not copier_api.MISSING:
        session.record(question, value)
