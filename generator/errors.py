"""The one family of user-facing failures, each carrying its exit code and a one-line message."""


class ScaffoldError(Exception):
    """A failure to report to the user as one line, without a traceback."""

    exit_code = 2

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


class ConfigError(ScaffoldError):
    """An organisation config file that cannot be used; the message names the file, the key and the problem."""


class RefusedError(ScaffoldError):
    """An update or check that will not start because the repo is not in a state it can safely work on.

    Raised before anything is written, so the repo is exactly as it was.
    """
