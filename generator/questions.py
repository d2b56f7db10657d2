"""A template's questions, read from its copier.yml, with defaults and validators rendered by Jinja."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment

from generator.answers import parse_bool, validate_answer
from generator.errors import InvalidAnswerError, TemplateError, shown, yaml_problem
from generator.jinja_ext import ScaffoldExtension
from generator.trust import bounded_yaml
from generator.trust.consent import MACHINE_FILTERS, OWN_EXTENSIONS


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
    multiselect: bool = False
    """Several of the choices may be picked; the answer is a list."""
    env: SandboxedEnvironment | None = field(default=None, compare=False, repr=False)
    """The Jinja environment its defaults, `when` and validator render in (the template's own filters)."""

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

    @property
    def secret_keys(self) -> frozenset[str]:
        """The keys of the secret questions: their answers are never shown or recorded."""
        return frozenset(q.key for q in self.questions if q.secret)


def load_config(template_dir: Path, *, trusted: bool = False) -> TemplateConfig:
    """Read the copier.yml (or copier.yaml) of the template in `template_dir`.

    Its questions render in an environment like copier's: the filters copier always has, scaffold's own,
    and the template's `_jinja_extensions`, which are imported only when `trusted` (they run Python).
    """
    path = next((template_dir / n for n in ("copier.yml", "copier.yaml") if (template_dir / n).is_file()), None)
    if path is None:
        raise TemplateError(f"template {template_dir} has no copier.yml")
    try:
        data = bounded_yaml.load(path.read_text(encoding="utf-8"), str(path)) or {}
    except yaml.YAMLError as error:
        raise TemplateError(f"{path} is not valid YAML: {yaml_problem(error)}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path} is not a mapping of questions and settings; accepted: a copier.yml")
    settings = {k: v for k, v in data.items() if k.startswith("_")}
    env = _environment(settings, trusted)
    questions = [_question(k, v, env) for k, v in data.items() if not k.startswith("_")]
    listed = {str(k) for k in settings.get("_secret_questions") or []}  # copier's other way to mark secrets
    questions = [replace(q, secret=True) if q.key in listed else q for q in questions]
    return TemplateConfig(questions=questions, settings=settings)


def _question(key: str, spec: Any, env: SandboxedEnvironment) -> Question:
    if not isinstance(spec, dict):  # copier's short form: `key: default`
        return Question(key=key, type=_type_of(spec), default=spec, env=env)
    choices = spec.get("choices") or {}
    if isinstance(choices, list):
        choices = dict(_choice(c) for c in choices)
    choices = {label: (c.get("value") if isinstance(c, dict) else c) for label, c in choices.items()}
    return Question(
        key=key,
        type=spec.get("type") or _type_of(spec.get("default")),
        help=str(spec.get("help") or ""),
        default=spec.get("default"),
        choices=dict(choices),
        when=spec.get("when", True),
        validator=str(spec.get("validator") or ""),
        secret=bool(spec.get("secret", False)),
        multiselect=bool(spec.get("multiselect", False)),
        env=env,
    )


def _choice(choice: Any) -> tuple[str, Any]:
    """A list choice: a plain value, or copier's `[label, value]` pair."""
    if isinstance(choice, list) and len(choice) == 2:
        return str(choice[0]), choice[1]
    return str(choice), choice


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the same documents, 30 times faster

_COPIER_EXTENSIONS = ("jinja2_ansible_filters.AnsibleCoreFiltersExtension",)  # what copier always loads


def _environment(settings: Mapping[str, Any], trusted: bool) -> SandboxedEnvironment:
    foreign = [str(e) for e in settings.get("_jinja_extensions") or [] if str(e) not in OWN_EXTENSIONS]
    extensions: list[Any] = [*_COPIER_EXTENSIONS, ScaffoldExtension]
    if trusted:
        extensions.extend(foreign)
    envops = settings.get("_envops") or {}
    delimiters = ("_start", "_end", "_prefix")  # the envops that change how copier.yml's own Jinja reads
    options = {k: v for k, v in envops.items() if k.endswith(delimiters)}
    try:
        env = SandboxedEnvironment(extensions=extensions, **options)
    except (ImportError, AttributeError) as error:
        raise TemplateError(
            f"the template's Jinja extensions {', '.join(foreign)} cannot be loaded ({error}); "
            "accepted: extensions installed beside scaffold"
        ) from None
    if not trusted:
        for name in MACHINE_FILTERS:
            env.filters.pop(name, None)
    return env


def render_value(value: Any, answers: Mapping[str, Any], env: SandboxedEnvironment | None = None) -> Any:
    """Render a Jinja string (a default, a `when`) against the answers given so far."""
    if isinstance(value, list):
        return [render_value(v, answers, env) for v in value]
    if not isinstance(value, str) or "{" not in value:
        return value
    env = env or _environment({}, trusted=False)
    try:
        return env.from_string(value).render(**answers)
    except JinjaError as error:
        reason = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else type(error).__name__
        raise TemplateError(
            f"the template's copier.yml value {shown(value)} cannot be rendered: {reason}{_trust_hint(error)}; "
            "accepted: Jinja using the answers before it and scaffold's filters"
        ) from None


def _trust_hint(error: JinjaError) -> str:
    unknown = str(error).startswith(("No filter named", "No test named"))
    return " (a template's own Jinja extensions are loaded only with --trust)" if unknown else ""


def is_asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Return whether `question` applies, given the answers so far (its `when`)."""
    when = render_value(question.when, answers, question.env)
    if isinstance(when, str):
        return when.strip().lower() not in ("", "false", "no", "0", "off", "none")
    return bool(when)


def convert(question: Question, value: Any) -> Any:
    """Convert a typed or rendered answer to the question's type (int, float, bool or str).

    A multiselect answer is a list (a YAML list when typed, e.g. `[api, worker]`), each item converted.
    """
    if question.multiselect:
        items = _yaml_list(question, value)
        single = Question(key=question.key, type=question.type)
        return [convert(single, item) for item in items]
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
    if question.type in ("json", "yaml"):
        return _yaml(question, value) if isinstance(value, str) else value
    return str(value)


def _yaml(question: Question, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise InvalidAnswerError(f"{question.key} {text!r} is not valid; accepted: {question.type} text") from None


def _yaml_list(question: Question, value: Any) -> list[Any]:
    parsed = _yaml(question, value) if isinstance(value, str) else value
    if parsed is None:
        return []
    if isinstance(parsed, tuple | list):
        return list(parsed)
    if isinstance(parsed, str | int | float | bool):
        return [parsed]
    raise InvalidAnswerError(f"{question.key} {value!r} is not valid; accepted: a YAML list of choices, e.g. [a, b]")


def default_for(question: Question, answers: Mapping[str, Any]) -> Any:
    """Return the question's default rendered against the answers so far, converted to its type."""
    if question.default is None:
        return None
    return convert(question, render_value(question.default, answers, question.env))


MASK = "********"


def problem(
    question: Question, value: Any, answers: Mapping[str, Any], secrets: Collection[str] = frozenset()
) -> str:
    """Return the one-line problem with `value` as an answer to `question`, or "" when it is acceptable.

    No secret answer is ever repeated in the message: neither this question's, when it is secret, nor
    those of the `secrets` keys a template validator could show (it is rendered again with them masked).
    """
    hidden = {*secrets, question.key} if question.secret else set(secrets)
    message = _problem(question, value, answers, hidden)
    if question.key not in hidden or not message:
        return message
    spellings = {shown(value), repr(value)} | ({str(value)} if len(str(value)) >= 4 else set())
    for text in sorted(spellings, key=len, reverse=True):
        message = message.replace(text, repr(MASK))
    return message


def _stars(value: Any) -> str:
    return "*" * len(value) if isinstance(value, str) and value else MASK


def _problem(question: Question, value: Any, answers: Mapping[str, Any], hidden: Collection[str]) -> str:
    try:
        converted = validate_answer(question.key, convert(question, value))
    except InvalidAnswerError as error:
        return error.message
    picked = converted if question.multiselect else [converted]
    if question.choices and any(item not in question.choices.values() for item in picked):
        accepted = ", ".join(str(v) for v in question.choices.values())
        several = " (a YAML list of them)" if question.multiselect else ""
        return f"{question.key} {shown(value)} is not one of the choices; accepted: {accepted}{several}"
    if question.validator:
        context = {**answers, question.key: converted}
        message = str(render_value(question.validator, context, question.env)).strip()
        if message and any(key in context for key in hidden):
            # stars of the same length, so that the validator's own conditions (a minimum length) still hold
            masked = {k: (_stars(v) if k in hidden else v) for k, v in context.items()}
            shown_message = str(render_value(question.validator, masked, question.env)).strip()
            return shown_message or f"{question.key}: the template's validator refused the answer"
        if message:
            return message
    return ""
