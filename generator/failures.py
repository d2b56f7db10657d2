"""The one boundary where any failure becomes one line on stderr and a documented exit code.

Exit codes: 0 done; 1 a result the user has to act on (update conflicts, check behind or drifted,
template tests failing); 2 bad input or a failure scaffold can explain (the message names the
value and what is accepted); 70 a bug in scaffold; 130 cancelled (Ctrl-C). A failure always leaves
nothing half-written, so the line is all the user needs; the traceback of a bug is shown only
with `scaffold --debug` or SCAFFOLD_DEBUG=1.

Errors of the libraries scaffold runs (copier, Jinja, YAML, the file system) are translated here,
not where they are raised, so the rest of the package speaks only ScaffoldError. Library modules are
looked up in sys.modules rather than imported: an error cannot come from a library not yet loaded,
and `scaffold --help` stays fast.

Whose fault an error is follows from what was raised and where, not from which frames it passed
through: an exception other than ScaffoldError raised by scaffold's own code (`raised_by_scaffold`)
is a bug, even when copier called that code (scaffold's Jinja filters, its Worker overrides).
"""

import errno
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from generator.errors import (
    EXIT_BAD_INPUT,
    EXIT_BUG,
    EXIT_CANCELLED,
    ScaffoldError,
    TemplateError,
    shown,
    unreadable_value,
    yaml_problem,
)
from generator.terminal_text import safe_line

DEBUG_ENV = "SCAFFOLD_DEBUG"
_STAGING = re.compile(r"^.*/scaffold-new-[^/]+/repo/")  # destination.staging_for's folder

_OS_ACCEPTED = {
    errno.EEXIST: "a path whose parents are folders (or missing), not files",
    errno.ENOTDIR: "a path whose parents are folders (or missing), not files",
    errno.EISDIR: "a file, not a folder",
    errno.ENOENT: "a path whose parent folders exist or can be created",
    errno.EACCES: "a place you are allowed to write to",
    errno.EPERM: "a place you are allowed to write to",
    errno.EROFS: "a folder on a writable file system",
    errno.ENOSPC: "a file system with free space",
    errno.EDQUOT: "a file system with free space",
    errno.ENAMETOOLONG: "names of at most 255 bytes and paths of at most 4096",
    errno.ELOOP: "a path without a symlink loop",
}


def first_line(text: str) -> str:
    """Return the first non-blank line of `text`, stripped ("" when there is none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def translate(error: BaseException) -> ScaffoldError | None:
    """Return the one-line ScaffoldError that explains `error`, or None when it is a bug in scaffold."""
    if isinstance(error, ScaffoldError):
        return error
    if isinstance(error, KeyboardInterrupt):
        return ScaffoldError("cancelled; nothing was written", exit_code=EXIT_CANCELLED)
    if isinstance(error, EOFError):
        return ScaffoldError(
            "standard input closed before every question was answered; nothing was written; "
            "accepted: a terminal, or --defaults with --data KEY=VALUE"
        )
    if _is_instance(error, "yaml", "YAMLError"):
        return TemplateError(f"not valid YAML: {yaml_problem(error)}")
    if _is_instance(error, "jinja2", "TemplateError"):
        return TemplateError(f"the template cannot be rendered: {_describe(error)}; the template needs fixing")
    if isinstance(error, ValueError) and (_raised_inside("yaml", error) or _raised_inside("tomllib", error)):
        return TemplateError(f"a YAML or TOML file has a value that cannot be read: {unreadable_value(error)}")
    if is_scaffold_bug(error):
        return None
    if _raised_inside("copier", error):
        # copier checks answers and paths with plain ValueError/TypeError/OSError: a template or answer problem
        reason = _os_problem(error) if isinstance(error, OSError) and error.strerror else _describe(error)
        return TemplateError(f"the template cannot be rendered: {reason}")
    if isinstance(error, OSError) and error.strerror:
        accepted = _OS_ACCEPTED.get(error.errno or 0)
        return ScaffoldError(f"{_os_problem(error)}; accepted: {accepted}" if accepted else _os_problem(error))
    return None


_STDLIB = tuple({os.path.join(sysconfig.get_paths()[name], "") for name in ("stdlib", "platstdlib")})
_SCAFFOLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
_BUNDLED_TEMPLATES = os.path.join(_SCAFFOLD, "templates", "")  # where the wheel puts the bundled template


def is_scaffold_bug(error: BaseException) -> bool:
    """Whether `error` is a bug in scaffold: raised by scaffold's own code, and neither a ScaffoldError
    nor a refusal of the operating system (a full disk, a folder it may not write to).
    """
    if isinstance(error, ScaffoldError) or (isinstance(error, OSError) and error.strerror):
        return False
    return raised_by_scaffold(error)


def raised_by_scaffold(error: BaseException) -> bool:
    """Whether scaffold's own code raised `error`, whoever called that code (copier calls its filters).

    The innermost frame outside the standard library decides (Python's own functions raise for the
    code that called them wrongly). A template's Jinja code is the template's, even for the template
    the wheel bundles inside the package.
    """
    for frame, _ in reversed(list(traceback.walk_tb(error.__traceback__))):
        name = frame.f_code.co_filename
        if _in_stdlib(name):
            continue
        template_code = "__jinja_template__" in frame.f_globals or "__jinja_exception__" in frame.f_globals
        return name.startswith(_SCAFFOLD) and not name.startswith(_BUNDLED_TEMPLATES) and not template_code
    return False


def _in_stdlib(filename: str) -> bool:
    if filename.startswith("<frozen "):
        return True
    return filename.startswith(_STDLIB) and f"{os.sep}site-packages{os.sep}" not in filename


def _os_problem(error: OSError) -> str:
    if error.filename is None:
        return str(error.strerror).lower()
    # inside the staging folder the repo is rendered in, name the path as it will be in the repo
    path = _STAGING.sub("", str(error.filename))
    return f"{shown(path)}: {str(error.strerror).lower()}"


def _is_instance(error: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(error, cls)


def _raised_inside(package: str, error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any(f"{os.sep}{package}{os.sep}" in frame.filename for frame in frames)


def _describe(error: BaseException) -> str:
    text = first_line(str(error)).rstrip(".")
    lineno = getattr(error, "lineno", None)
    where = f" (line {lineno})" if isinstance(lineno, int) and text else ""
    return f"{text}{where}" if text else type(error).__name__


def bug_line(error: BaseException) -> str:
    """The one line shown for an unexpected error: what happened, where to report it, how to see more."""
    return (
        f"{bug_summary(error)} with the command you ran (`scaffold --debug ...` or {DEBUG_ENV}=1 shows the traceback)"
    )


def bug_summary(error: BaseException) -> str:
    """What happened and where to report it, e.g. "unexpected KeyError: 'x'; this is a bug in scaffold, please ..."."""
    return bug_detail(f"unexpected {type(error).__name__}: {first_line(str(error)) or 'no message'}")


def bug_detail(what: str) -> str:
    """`what` happened, said to be a bug in scaffold, with where to report it."""
    return f"{what}; this is a bug in scaffold, please report it {_report_to()}"


def _report_to() -> str:
    from importlib import metadata

    try:
        urls = metadata.metadata("scaffold").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for label, _, url in (entry.partition(", ") for entry in urls):
        if label.lower() in ("issues", "bug tracker", "bug-tracker"):
            return f"at {url}"
    return "to the team that maintains your scaffold installation"


def debug_from_env() -> bool:
    """Whether SCAFFOLD_DEBUG asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def report(error: BaseException, debug: bool) -> int:
    """Print `error` as one line on stderr (and, for a bug in debug mode, its traceback); return the exit code."""
    known = translate(error)
    if known is not None:
        typer.echo(f"error: {_one_line(known.message)}", err=True)
        return known.exit_code
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    typer.echo(f"error: {_one_line(bug_line(error))}", err=True)
    return EXIT_BUG


def _one_line(text: str) -> str:
    return safe_line(text)  # errors quote template file names and settings: escapes shown, length bounded


class ReportingGroup(TyperGroup):
    """The root command group: every failure below it ends as one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; translate what it raises (ctx knows whether --debug was given)."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as error:
            debug = bool(ctx.params.get("debug")) or debug_from_env()
            raise typer.Exit(report(error, debug)) from None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; usage errors become one line too (with where to read the help)."""
        from generator.completion import with_shell

        args = with_shell(list(sys.argv[1:] if args is None else args))  # `--show-completion` alone: this shell
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            code = report(KeyboardInterrupt(), debug=False)
        except typer.TyperException as error:
            code = _usage_error(error)
        except (Exception, KeyboardInterrupt) as error:
            code = report(error, debug_from_env())
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_error(error: Any) -> int:
    """Print a click usage error (bad option, missing or extra argument) as one line; return its exit code."""
    if type(error).__name__ == "NoArgsIsHelpError":  # `scaffold` alone: the help is the answer
        error.show()
        return int(error.exit_code)
    ctx = getattr(error, "ctx", None)
    hint = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    typer.echo(f"error: {_one_line(error.format_message()).rstrip('.')}{hint}", err=True)
    return int(getattr(error, "exit_code", EXIT_BAD_INPUT))
