"""The one family of user-facing failures, each carrying its exit code and a one-line message."""

from typing import Any

EXIT_OK = 0
EXIT_ACTION_NEEDED = 1  # a result the user has to act on: conflicts, a repo behind or drifted, template tests failing
EXIT_BAD_INPUT = 2  # the user's input or the template is at fault; the message says what is accepted
EXIT_BUG = 70  # sysexits.h EX_SOFTWARE: an internal software error
EXIT_CANCELLED = 130  # what a shell reports for a command ended by Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM (`timeout`, a cancelled CI job): what had begun was rolled back


class ScaffoldError(Exception):
    """A failure to report to the user as one line, without a traceback."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The one-line message shown to the user."""
        return str(self.args[0])


class InvalidAnswerError(ScaffoldError):
    """An answer that fails validation; the message names the value and what is accepted."""


class DestinationError(ScaffoldError):
    """A destination folder that cannot be written to without losing someone's files."""


class TemplateError(ScaffoldError):
    """A template that cannot be found, read or rendered."""


class TemplateRefusedError(TemplateError):
    """A template refused before it reached the user's folder: it tried what no template may do, or what needs
    consent the user did not give. The message names the file or setting and the rule.
    """


class GitError(ScaffoldError):
    """A git command that failed where scaffold needed it to succeed."""

    reason = ""
    """git's own reason, one line (e.g. "unable to access '...': Could not resolve host: github.com")."""


class ConfigError(ScaffoldError):
    """An organisation config file that cannot be used; the message names the file, the key and the problem."""


class RefusedError(ScaffoldError):
    """An update or check that will not start because the repo is not in a state it can safely work on.

    Raised before anything is written, so the repo is exactly as it was.
    """


class SecretAnswersNeeded(RefusedError):
    """An update that needs secret answers neither given nor readable from the repo's files; `keys` names them.

    On a terminal the command asks for them and runs the update again; elsewhere it is a refusal.
    """

    def __init__(self, message: str, keys: list[str]) -> None:
        super().__init__(message)
        self.keys = keys


def yaml_problem(error: Any) -> str:
    """Describe a PyYAML error in one line with its line and column, e.g. "line 2, column 7: expected ..."."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or (str(error).strip().splitlines() or [type(error).__name__])[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def unreadable_value(error: ValueError) -> str:
    """Describe in one line a value a YAML or TOML parser found but could not build, and what is accepted."""
    text = str(error).strip()
    if "integer string conversion" in text:  # Python refuses to convert strings of more than 4300 digits
        return "a number of more than 4300 digits; accepted: numbers of at most 4300 digits"
    reason = text.splitlines()[0] if text else type(error).__name__
    return f"{reason}; accepted: values of their YAML or TOML type (dates that exist, numbers Python can hold)"


def shown(value: Any, limit: int = 100) -> str:
    """Return `value` quoted for a one-line message: control characters escaped, cut to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]} ({len(str(value))} characters)"
