"""The organisation config: a TOML file with a template catalog, default answers and fixed answers.

It is found through `--config`, then the `SCAFFOLD_CONFIG` environment variable, then
`config.toml` in the user config folder (platformdirs). Every problem with it is reported as one
line naming the file, the key and the problem (exit code 2).
"""

import os
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.answers import (
    KNOWN_KEYS,
    SCAFFOLD_PINS_ACCEPTED,
    SCAFFOLD_SOURCE_ACCEPTED,
    validate_answer,
)
from generator.errors import ConfigError, InvalidAnswerError, TemplateError, unreadable_value
from generator.trust.identity import TrustEntry, trust_entry

if TYPE_CHECKING:
    from generator.sources import TemplateSource

ENV_VAR = "SCAFFOLD_CONFIG"
FILE_NAME = "config.toml"
APP_NAME = "scaffold"

TOP_LEVEL_KEYS = ("default_template", "templates", "defaults", "fixed", "trusted", "ci")
ENTRY_KEYS = ("src", "ref", "description")
CI_KEYS = ("scaffold_source", "scaffold_pins")
TRUST_KEY = "scaffold_trust"
"""The never-asked question whose answer makes the workflows pass --trust: decided by `trusted`, never set directly."""
_RETIRED_CI_KEY = "scaffold_package"  # asked by earlier versions of the bundled template
_CATALOG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
Fail = Callable[[str, str], ConfigError]
_TABLE = re.compile(r"^\s*\[\[?([^\]=]*)")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"'-]+)\s*=")


@dataclass(frozen=True)
class CatalogEntry:
    """One named template of the catalog (`[templates.NAME]`)."""

    name: str
    src: str
    ref: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CiSettings:
    """Where the generated repos' CI installs scaffold from (`[ci]`): the org's decision, never asked of a team.

    Both values are answers of the template's never-asked questions of the same names, which the
    workflows render.
    """

    scaffold_source: str
    """A package index (`https://.../simple`) or scaffold's git repository (`git+https://...`, `git+ssh://...`)."""
    scaffold_pins: str
    """An https URL of the org's pip requirements file: the scaffold release it allows and every dependency,
    pinned by version and hash (for an index) or by commit (for git)."""

    def as_answers(self) -> dict[str, str]:
        """The settings as the template's answers."""
        return {"scaffold_source": self.scaffold_source, "scaffold_pins": self.scaffold_pins}


@dataclass(frozen=True)
class OrgAnswers:
    """Answers an organisation sets for every repo: defaults (pre-filled, still asked) and fixed (never asked)."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Values may hold `{key}` placeholders, filled from the answers given before them."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""
    """The config file they come from, named in messages."""
    trusted: tuple[TrustEntry, ...] | None = None
    """The org config's `trusted` entries, which decide `scaffold_trust`; None without an org config."""

    def for_template(self, source: "TemplateSource") -> "OrgAnswers":
        """Return these answers with `scaffold_trust` fixed for `source`: whether `trusted` admits it.

        Only a template that asks `scaffold_trust` takes it (fixed answers to other questions are ignored).
        Without an org config nothing is fixed: a repo keeps its recorded answer (CI's own update has no config).
        """
        if self.trusted is None:
            return self
        from generator.trust.consent import org_admits

        fixed = {**self.fixed, TRUST_KEY: org_admits(source, self.trusted)}
        return OrgAnswers(self.defaults, fixed, self.origin, self.trusted)

    def default(self, key: str, answers: Mapping[str, Any]) -> Any:
        """Return the org default for `key`, its placeholders filled from `answers`; ConfigError if one is missing."""
        value = self.defaults[key]
        if not isinstance(value, str):
            return value
        missing = [name for name in placeholders(value) if name not in answers]
        if missing:
            raise ConfigError(
                f"config {self.origin}: defaults.{key}: placeholder {{{missing[0]}}} is not an answer known before "
                f"{key}; accepted: one of {', '.join('{' + k + '}' for k in answers) or 'no placeholders'}"
            )
        return value.format_map({k: answers[k] for k in placeholders(value)})


@dataclass(frozen=True)
class OrgConfig:
    """A parsed organisation config; `OrgConfig()` is the empty one used when there is no file."""

    path: Path | None = None
    default_template: str | None = None
    templates: dict[str, CatalogEntry] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    trusted: tuple[TrustEntry, ...] = ()
    """Template sources allowed to run code (tasks, migrations, Jinja extensions, `template test`'s Go build).

    An entry ending in `/` trusts every source under it: `gh:acme/` every repository acme owns.
    """
    ci: CiSettings | None = None
    """Where CI installs scaffold from; None when the org has not said (the workflows then fail saying so)."""

    @property
    def answers(self) -> OrgAnswers:
        """The default and fixed answers, ready for collecting answers; the `[ci]` settings count as fixed."""
        fixed = {**self.fixed, **(self.ci.as_answers() if self.ci else {})}
        trusted = self.trusted if self.path is not None else None
        return OrgAnswers(self.defaults, fixed, str(self.path or ""), trusted)


def find(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the config file to use: `explicit`, else $SCAFFOLD_CONFIG, else the user config file, else None.

    A file named by `--config` or the environment variable must exist; the user config file is optional.
    """
    environ = os.environ if environ is None else environ
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config {explicit} (from --config): the file does not exist; accepted: a TOML file")
        return explicit
    from_env = environ.get(ENV_VAR, "").strip()
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise ConfigError(f"config {path} (from ${ENV_VAR}): the file does not exist; accepted: a TOML file")
        return path
    user_file = user_config_path()
    return user_file if user_file.is_file() else None


def user_config_path() -> Path:
    """Return where the user config file lives on this platform, e.g. ~/.config/scaffold/config.toml."""
    from platformdirs import user_config_path as platform_config_path

    return platform_config_path(APP_NAME, appauthor=False) / FILE_NAME


def load(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> OrgConfig:
    """Find and parse the config file (see `find`); return the empty config when there is none."""
    path = find(explicit, environ)
    return OrgConfig() if path is None else parse_file(path)


def parse_file(path: Path) -> OrgConfig:
    """Read and validate the config file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config {path}: the file cannot be read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config {path}: {_syntax_problem(text, str(error))}") from None
    except ValueError as error:  # a value the parser cannot build, e.g. an integer of over 4300 digits
        raise ConfigError(f"config {path}: a value cannot be read: {unreadable_value(error)}") from None
    return parse(data, path)


def _syntax_problem(text: str, message: str) -> str:
    """Name the key on the line a TOML syntax error points at, when the line has one."""
    found = _TOML_LINE.search(message)
    if found is None:
        return f"TOML syntax error: {message}"
    lines = text.splitlines()
    number = int(found.group(1))
    table = ""
    for line in lines[: number - 1]:
        header = _TABLE.match(line)
        if header:
            table = header.group(1).strip()
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    header, key = _TABLE.match(line), _KEY.match(line)
    if header:
        where = f"[{header.group(1).strip()}]: "
    elif key:
        where = f"{table + '.' if table else ''}{key.group(1).strip()}: "
    else:
        where = ""
    return f"{where}TOML syntax error: {message}"


def parse(data: Mapping[str, Any], path: Path) -> OrgConfig:
    """Validate parsed TOML `data` from the file `path`, raising ConfigError at the first problem."""

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"config {path}: {key}: {problem}")

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise fail(key, f"unknown key; accepted: {', '.join(TOP_LEVEL_KEYS)}")
    templates = _catalog(data.get("templates", {}), fail)
    defaults = _answers("defaults", data.get("defaults", {}), fail, allow_placeholders=True)
    fixed = _answers("fixed", data.get("fixed", {}), fail, allow_placeholders=False)
    for key in defaults:
        if key in fixed:
            raise fail(f"defaults.{key}", "is also in [fixed], which always wins; accepted: the key in one table only")
    default_template = data.get("default_template")
    if default_template is not None:
        default_template = _string("default_template", default_template, fail, "a template name or source")
        if default_template not in templates and not _looks_like_source(default_template):
            names = ", ".join(templates) or "none defined"
            raise fail(
                "default_template",
                f"{default_template!r} is not in the catalog; accepted: a [templates] name ({names}), "
                "a bundled template name, a folder or a git URL",
            )
    trusted = data.get("trusted", [])
    if not isinstance(trusted, list) or not all(isinstance(t, str) and t.strip() for t in trusted):
        raise fail("trusted", f"{_describe(trusted)} is not valid; accepted: a list of template sources (strings)")
    try:
        entries = tuple(trust_entry(text, path.parent) for text in trusted)
    except TemplateError as error:
        raise fail("trusted", error.message) from None
    ci = _ci(data.get("ci"), fail)
    for table, answers in (("defaults", defaults), ("fixed", fixed)):
        for key in answers:
            if key in CI_KEYS:
                raise fail(f"{table}.{key}", f"is an org setting of CI; accepted: [ci] {key} = ...")
            if key == TRUST_KEY:
                raise fail(
                    f"{table}.{key}",
                    "is decided by `trusted` (true for the templates it admits); accepted: the template's source "
                    "in trusted = [...]",
                )
    _refuse_unasked(path, templates, default_template, {"defaults": defaults, "fixed": fixed}, fail)
    return OrgConfig(
        path=path,
        default_template=default_template,
        templates=templates,
        defaults=defaults,
        fixed=fixed,
        trusted=entries,
        ci=ci,
    )


def _ci(value: Any, fail: Fail) -> CiSettings | None:
    """Validate the `[ci]` table: both keys, a source that is an index or git URL, pins at an https URL."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail("ci", f"{_describe(value)} is not valid; accepted: a table with {' and '.join(CI_KEYS)}")
    for key in value:
        if key not in CI_KEYS:
            raise fail(f"ci.{key}", f"unknown key; accepted: {', '.join(CI_KEYS)}")
    accepted = {"scaffold_source": SCAFFOLD_SOURCE_ACCEPTED, "scaffold_pins": SCAFFOLD_PINS_ACCEPTED}
    settings = {}
    for key, what in accepted.items():
        if key not in value:
            raise fail(f"ci.{key}", f"missing; accepted: {what}")
        text = value[key]
        if not isinstance(text, str) or not text.strip():
            raise fail(f"ci.{key}", f"{_describe(text)} is not valid; accepted: {what}")
        try:
            settings[key] = validate_answer(key, text)
        except InvalidAnswerError as error:
            raise fail(f"ci.{key}", error.message) from None
    return CiSettings(**settings)


def _refuse_unasked(
    path: Path,
    templates: Mapping[str, CatalogEntry],
    default_template: str | None,
    tables: Mapping[str, Mapping[str, Any]],
    fail: Fail,
) -> None:
    """Refuse a [defaults] or [fixed] key that no template of the catalog (nor a bundled one) asks.

    Skipped while the catalog holds a template whose questions cannot be read here (a remote git URL).
    """
    if not any(tables.values()):
        return
    from generator.asked_keys import asked_by
    from generator.sources import BUNDLED_PREFIX, bundled_names

    named = [(relative_source(entry.src, path), entry.ref) for entry in templates.values()]
    if default_template is not None and default_template not in templates:
        named.append((relative_source(default_template, path), None))
    named += [(BUNDLED_PREFIX + name, None) for name in bundled_names()]
    asked = asked_by(named)
    if asked.unread:
        return
    for table, answers in tables.items():
        for key in answers:
            if key not in asked.keys and key == _RETIRED_CI_KEY:
                raise fail(
                    f"{table}.{key}",
                    "is no longer a question: where CI installs scaffold from is the [ci] table; "
                    "accepted: [ci] scaffold_source and scaffold_pins",
                )
            if key not in asked.keys:
                raise fail(
                    f"{table}.{key}",
                    f"no catalog template asks it (read: {', '.join(asked.read)}); accepted: "
                    + ", ".join(sorted(k for k in asked.keys if k not in (*CI_KEYS, TRUST_KEY))),
                )


def relative_source(src: str, config_file: Path | None) -> str:
    """Return a catalog source with a relative folder taken relative to the config file `config_file`."""
    from generator.sources import BUNDLED_PREFIX, bundled_names, is_git_url

    if is_git_url(src) or src in bundled_names() or src.startswith(BUNDLED_PREFIX):
        return src
    folder = Path(src).expanduser()
    if not folder.is_absolute() and config_file is not None:
        folder = config_file.parent / folder
    return str(folder)


def _catalog(value: Any, fail: Fail) -> dict[str, CatalogEntry]:
    if not isinstance(value, dict):
        raise fail("templates", f"{_describe(value)} is not valid; accepted: a table of [templates.NAME] tables")
    entries = {}
    for name, spec in value.items():
        where = f"templates.{name}"
        if not _CATALOG_NAME.match(name):
            raise fail(where, "the name is not valid; accepted: letters, digits, '.', '_' and '-'")
        if not isinstance(spec, dict):
            raise fail(where, f"{_describe(spec)} is not valid; accepted: a table with src, ref and description")
        for key in spec:
            if key not in ENTRY_KEYS:
                raise fail(f"{where}.{key}", f"unknown key; accepted: {', '.join(ENTRY_KEYS)}")
        if "src" not in spec:
            raise fail(f"{where}.src", "missing; accepted: a template source (bundled name, folder or git URL)")
        src = _string(f"{where}.src", spec["src"], fail, "a template source (bundled name, folder or git URL)")
        ref = spec.get("ref")
        if ref is not None:
            ref = _string(f"{where}.ref", ref, fail, "a git tag, branch or commit")
        description = _string(f"{where}.description", spec.get("description", ""), fail, "a string", empty=True)
        entries[name] = CatalogEntry(name=name, src=src, ref=ref, description=description)
    return entries


def _answers(table: str, value: Any, fail: Fail, *, allow_placeholders: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        accepted = 'a table of answers, e.g. memory_limit = "512Mi"'
        raise fail(table, f"{_describe(value)} is not valid; accepted: {accepted}")
    answers = {}
    for key, answer in value.items():
        where = f"{table}.{key}"
        if isinstance(answer, dict | list) or not isinstance(answer, str | int | float | bool):
            raise fail(where, f"{_describe(answer)} is not valid; accepted: a string, number or boolean")
        if isinstance(answer, str):
            try:
                names = placeholders(answer)
            except ValueError as error:
                accepted = "{key} placeholders, {{ for a literal brace"
                raise fail(where, f"{answer!r} is not valid: {error}; accepted: {accepted}") from None
            if names and not allow_placeholders:
                raise fail(where, f"{answer!r} has placeholders; accepted: a plain value ([fixed] answers are literal)")
            if names:
                answers[key] = answer
                continue
        if key in KNOWN_KEYS:
            try:
                answer = validate_answer(key, answer)
            except InvalidAnswerError as error:
                raise fail(where, error.message) from None
        answers[key] = answer
    return answers


def placeholders(text: str) -> list[str]:
    """Return the `{key}` placeholders in `text`; raise ValueError for a malformed or non-name placeholder."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} is not an answer name")
        names.append(name)
    return names


def _string(key: str, value: Any, fail: Fail, accepted: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise fail(key, f"{_describe(value)} is not valid; accepted: {accepted}")
    return value


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    kinds[dict] = "a table"
    kind = next((name for kind, name in kinds.items() if type(value) is kind), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    return f"{value!r} ({kind})" if not isinstance(value, str) else repr(value)


def _looks_like_source(text: str) -> bool:
    from generator.sources import bundled_names

    return text in bundled_names() or "/" in text or ":" in text or text.startswith((".", "~"))
