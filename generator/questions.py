"""A template's questions, read from its copier.yml, with defaults and validators rendered by Jinja."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment

from generator.answers import parse_bool, validate_answer
from generator.errors import InvalidAnswerError, TemplateError, shown, yaml_problem
from generator.jinja_ext import ScaffoldExtension


@dataclass(frozen=True)
class Question:
    """One question of a template, as declared in copier.yml."""

    key: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: dict[str, Any] = field(default_factory=dict)
    """Label shown to the user -> value recorded."""
    when: Any = True
    validator: str = ""
    secret: bool = False

    @property
    def computed(self) -> bool:
        """Whether this is a derived value (`when: false`) that is never asked."""
        return self.when is False


@dataclass(frozen=True)
class TemplateConfig:
    """The parts of a copier.yml scaffold needs to know about."""

    questions: list[Question]
    settings: dict[str, Any]

    def question(self, key: str) -> Question | None:
        """Return the question called `key`, if the template asks it."""
        return next((q for q in self.questions if q.key == key), None)


def load_config(template_dir: Path) -> TemplateConfig:
    """Read the copier.yml (or copier.yaml) of the template in `template_dir`."""
    path = next((template_dir / n for n in ("copier.yml", "copier.yaml") if (template_dir / n).is_file()), None)
    if path is None:
        raise TemplateError(f"template {template_dir} has no copier.yml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise TemplateError(f"{path} is not valid YAML: {yaml_problem(error)}") from None
    settings = {k: v for k, v in data.items() if k.startswith("_")}
    questions = [_question(k, v) for k, v in data.items() if not k.startswith("_")]
    return TemplateConfig(questions=questions, settings=settings)


def _question(key: str, spec: Any) -> Question:
    if not isinstance(spec, dict):  # copier's short form: `key: default`
        return Question(key=key, type=_type_of(spec), default=spec)
    choices = spec.get("choices") or {}
    if isinstance(choices, list):
        choices = {str(c): c for c in choices}
    return Question(
        key=key,
        type=spec.get("type") or _type_of(spec.get("default")),
        help=str(spec.get("help") or ""),
        default=spec.get("default"),
        choices=dict(choices),
        when=spec.get("when", True),
        validator=str(spec.get("validator") or ""),
        secret=bool(spec.get("secret", False)),
    )


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(extensions=[ScaffoldExtension])


def render_value(value: Any, answers: Mapping[str, Any]) -> Any:
    """Render a Jinja string (a default, a `when`) against the answers given so far."""
    if not isinstance(value, str) or "{" not in value:
        return value
    try:
        return _environment().from_string(value).render(**answers)
    except JinjaError as error:
        reason = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else type(error).__name__
        raise TemplateError(
            f"the template's copier.yml value {shown(value)} cannot be rendered: {reason}; "
            "accepted: Jinja using the answers before it and scaffold's filters"
        ) from None


def is_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Return whether `question` applies, given the answers so far (its `when`)."""
    when = render_value(question.when, answers)
    if isinstance(when, str):
        return when.strip().lower() not in ("", "false", "no", "0", "off", "none")
    return bool(when)


def convert(question: Question, value: Any) -> Any:
    """Convert a typed or rendered answer to the question's type (int, float, bool or str)."""
    try:
        if question.type == "int":
            return int(str(value).strip())
        if question.type == "float":
            return float(str(value).strip())
    except ValueError:
        validate_answer(question.key, value)  # a question scaffold knows says precisely what it accepts
        kind = "a whole number, such as 8080" if question.type == "int" else "a number, such as 0.5"
        raise InvalidAnswerError(f"{question.key} {shown(value)} is not valid; accepted: {kind}") from None
    if question.type == "bool":
        return parse_bool(question.key, value)
    return value if question.type in ("json", "yaml") else str(value)


def default_for(question: Question, answers: Mapping[str, Any]) -> Any:
    """Return the question's default rendered against the answers so far, converted to its type."""
    if question.default is None:
        return None
    return convert(question, render_value(question.default, answers))


def problem(question: Question, value: Any, answers: Mapping[str, Any]) -> str:
    """Return the one-line problem with `value` as an answer to `question`, or "" when it is acceptable."""
    try:
        converted = validate_answer(question.key, convert(question, value))
    except InvalidAnswerError as error:
        return error.message
    if question.choices and converted not in question.choices.values():
        accepted = ", ".join(str(v) for v in question.choices.values())
        return f"{question.key} {shown(value)} is not one of the choices; accepted: {accepted}"
    if question.validator:
        message = str(render_value(question.validator, {**answers, question.key: converted})).strip()
        if message:
            return message
    return ""
