"""The answers a template asks for: validation of each value and of the set as a whole.

Keys here are scaffold's public interface (`--data`, answers files, org defaults).
"""

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from generator.errors import InvalidAnswerError, shown
from generator.quantities import (
    MEMORY_ACCEPTED,
    SMALLEST_MEMORY_LIMIT,
    QuantityError,
    parse_cpu,
    parse_memory,
)

SUPPORTED_GO_VERSIONS = ("1.27", "1.26", "1.25")
RUNTIME_IMAGES = ("distroless", "scratch", "alpine")
LOWEST_PORT = 1024  # a non-root process cannot bind below this without extra capabilities
HIGHEST_PORT = 65535

_PORT = re.compile(r"[0-9]{1,5}")
_SERVICE_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MODULE_ELEMENT = re.compile(r"[A-Za-z0-9_.~+-]+")
# Control (newline, tab, NUL, ESC), format (bidi overrides, zero-width), lone surrogates, line and
# paragraph separators: characters that break a file or hide what is really in it.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _service_name(value: Any) -> str:
    text = str(value)
    if not _SERVICE_NAME.fullmatch(text):
        raise InvalidAnswerError(
            f"service_name {shown(text)} is not valid; accepted: 1-63 lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-' (a Go binary name and a DNS-1123 label)"
        )
    return text


def _module_path(value: Any) -> str:
    text = str(value)
    elements = text.split("/")
    if (
        not text
        or len(text) > 255
        or any(not _MODULE_ELEMENT.fullmatch(e) or e.startswith(".") or e.endswith(".") for e in elements)
        or not re.fullmatch(r"[a-z0-9.-]+", elements[0])
    ):
        raise InvalidAnswerError(
            f"module_path {shown(text)} is not a valid Go module path; accepted: slash-separated elements of "
            "letters, digits and '._~+-', a lowercase first element, such as github.com/acme/my-service"
        )
    return text


def _description(value: Any) -> str:
    text = str(value).strip()
    if not text or "\n" in text or len(text) > 200 or '"' in text or "`" in text:
        raise InvalidAnswerError(
            f"description {shown(text)} is not valid; "
            "accepted: one line of 1-200 characters without quotes or backticks"
        )
    return text


def _go_version(value: Any) -> str:
    text = str(value).strip()
    if text not in SUPPORTED_GO_VERSIONS:
        raise InvalidAnswerError(
            f"go_version {shown(text)} is not supported; accepted: {', '.join(SUPPORTED_GO_VERSIONS)}"
        )
    return text


def _port(key: str, value: Any) -> int:
    text = str(value).strip()
    # ASCII digits only, and few: str.isdigit() takes '²', and int() refuses more than 4300 digits
    if not _PORT.fullmatch(text) or not LOWEST_PORT <= int(text) <= HIGHEST_PORT:
        raise InvalidAnswerError(
            f"{key} {shown(text)} is not valid; accepted: a whole number from {LOWEST_PORT} to {HIGHEST_PORT} "
            "(the service runs as a non-root user)"
        )
    return int(text)


def parse_bool(key: str, value: Any) -> bool:
    """Parse a yes/no answer (true/false, yes/no, y/n, 1/0, on/off) for the question `key`."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidAnswerError(f"{key} {shown(value)} is not valid; accepted: true or false (yes/no, 1/0)")


def _memory_limit(value: Any) -> str:
    text = str(value).strip()
    try:
        size = parse_memory(text)
    except QuantityError as error:
        raise InvalidAnswerError(str(error)) from None
    if size < SMALLEST_MEMORY_LIMIT:
        raise InvalidAnswerError(
            f"memory_limit {shown(text)} is below 64Mi, too small for a Go service; accepted: {MEMORY_ACCEPTED}"
        )
    return text


def _cpu_limit(value: Any) -> str:
    text = str(value).strip()
    try:
        parse_cpu(text)
    except QuantityError as error:
        raise InvalidAnswerError(str(error)) from None
    return text


def _runtime_image(value: Any) -> str:
    text = str(value).strip()
    if text not in RUNTIME_IMAGES:
        raise InvalidAnswerError(f"runtime_image {shown(text)} is not valid; accepted: {', '.join(RUNTIME_IMAGES)}")
    return text


# The CI settings are rendered into workflow YAML and shell: no spaces, quotes, backslashes or `$`
# (which would open a GitHub Actions expression).
_URL_TAIL = r"[^\s\"'\\`$]+"
_SCAFFOLD_SOURCE = re.compile(rf"(https://|git\+https://|git\+ssh://){_URL_TAIL}")
_SCAFFOLD_PINS = re.compile(rf"https://{_URL_TAIL}")
SCAFFOLD_SOURCE_ACCEPTED = "a package index URL (https://...) or a git URL (git+https://... or git+ssh://...)"
SCAFFOLD_PINS_ACCEPTED = "an https:// URL of a pip requirements file"


def _url(key: str, pattern: re.Pattern[str], accepted: str, value: Any) -> str:
    """An org's CI setting: empty (not set) or a URL that is safe to render into a workflow."""
    text = str(value).strip()
    if text and not pattern.fullmatch(text):
        raise InvalidAnswerError(f"{key} {shown(text)} is not valid; accepted: {accepted}")
    return text


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "service_name": _service_name,
    "module_path": _module_path,
    "description": _description,
    "go_version": _go_version,
    "port": lambda value: _port("port", value),
    "enable_pprof": lambda value: parse_bool("enable_pprof", value),
    "pprof_port": lambda value: _port("pprof_port", value),
    "memory_limit": _memory_limit,
    "cpu_limit": _cpu_limit,
    "runtime_image": _runtime_image,
}

KNOWN_KEYS = tuple(_VALIDATORS)
"""The questions a service developer answers."""

# The org's settings (the org config's [ci] table), recorded as answers nobody is asked.
_ORG_SETTINGS: dict[str, Callable[[Any], Any]] = {
    "scaffold_source": lambda value: _url("scaffold_source", _SCAFFOLD_SOURCE, SCAFFOLD_SOURCE_ACCEPTED, value),
    "scaffold_pins": lambda value: _url("scaffold_pins", _SCAFFOLD_PINS, SCAFFOLD_PINS_ACCEPTED, value),
}


def control_character(text: str) -> str | None:
    """Return the first control character in `text` (newline, tab, NUL, ESC, a bidi override...), if any."""
    return next((c for c in text if unicodedata.category(c) in _CONTROL_CATEGORIES), None)


def reject_control_characters(key: str, value: Any, *, lines: bool = False) -> None:
    """Raise InvalidAnswerError when a text answer holds a control character (newline, tab, NUL, ESC...).

    Answers end up in file names, Go source, YAML and shell lines, where such a character either
    breaks the file or hides what is really there. With `lines` (a question the template declares
    `multiline`, which asks for several lines) newlines are text.
    """
    found = control_character(value.replace("\n", "") if lines else value) if isinstance(value, str) else None
    if found is not None:
        accepted = "lines of text" if lines else "one line of text"
        raise InvalidAnswerError(
            f"{key} {shown(value)} contains the control character {found!r}; "
            f"accepted: {accepted} without tabs or other control characters"
        )


def validate_answer(key: str, value: Any) -> Any:
    """Return `value` normalised for `key` (ports as int, flags as bool), or raise InvalidAnswerError.

    Text answers never hold control characters; otherwise, keys scaffold does not know (a custom
    template's own questions) are returned unchanged.
    """
    reject_control_characters(key, value)
    validator = _VALIDATORS.get(key) or _ORG_SETTINGS.get(key)
    return validator(value) if validator else value


def problem_with(key: str, value: Any, port: Any = None) -> str:
    """Return the one-line problem with an answer, or "" when it is fine (for copier validators)."""
    try:
        normalised = validate_answer(key, value)
        if key == "pprof_port" and port not in (None, "") and normalised == validate_answer("port", port):
            return f"pprof_port {shown(normalised)} is the same as port; accepted: a port other than {port}"
    except InvalidAnswerError as error:
        return error.message
    return ""
