"""Shell completion: `--show-completion [SHELL]` and `--install-completion [SHELL]` for bash, zsh and fish.

typer's own two options take no shell: they detect the running one (and print bash's script for any
other, or fail under dash). scaffold declares the options itself, honours the shell it is given, and
detects it only when none is, through the login shell ($SHELL) when the running one has no completion.
The scripts and installers are typer's, reached through its private `_completion_shared` module: this
module is the only place that does, so a typer upgrade touches one file.
"""

import os
from pathlib import Path

from generator.errors import ScaffoldError

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "scaffold"
COMPLETE_VAR = "_SCAFFOLD_COMPLETE"
DETECT = "auto"
"""The value the options take when given no shell: the current one."""
OPTIONS = ("--install-completion", "--show-completion")


def chosen_shell(value: str) -> str:
    """Return the shell to complete for: `value` when named (checked), else the running shell, else $SHELL."""
    if value != DETECT:
        if value not in SHELLS:
            raise ScaffoldError(f"shell {value!r} has no completion here; accepted: {', '.join(SHELLS)}")
        return value
    running = _running_shell()
    if running in SHELLS:
        return running
    login = Path(os.environ.get("SHELL", "")).name
    if login in SHELLS:
        return login
    raise ScaffoldError(
        f"cannot tell which shell to complete for (running: {running or 'unknown'}, $SHELL: {login or 'unset'}); "
        f"accepted: name it, e.g. --show-completion bash ({', '.join(SHELLS)})"
    )


def _running_shell() -> str:
    import shellingham  # type: ignore[import-untyped]  # typer's own dependency for the same question

    try:
        name, _ = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        return ""
    return str(name).lower()


def register() -> None:
    """Answer the shell's completion requests (`_SCAFFOLD_COMPLETE=complete_bash`) as typer's scripts ask them."""
    from typer._completion_classes import completion_init

    completion_init()


def script(shell: str) -> str:
    """Return the completion script for `shell` (bash, zsh or fish), to source or install."""
    from typer._completion_shared import get_completion_script

    register()
    return str(get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell))


def install(shell: str) -> Path:
    """Install the completion script for `shell` where that shell reads it; return the file written."""
    from typer._completion_shared import install as typer_install

    register()
    _, path = typer_install(shell=shell, prog_name=PROG_NAME, complete_var=COMPLETE_VAR)
    return Path(path)


def with_shell(args: list[str]) -> list[str]:
    """Return `args` with DETECT after a completion option given no shell, as `--show-completion` alone means.

    click would read such an optional value itself (`flag_value`); the parser typer ships does not.
    """
    out: list[str] = []
    for index, arg in enumerate(args):
        out.append(arg)
        following = args[index + 1] if index + 1 < len(args) else None
        if arg in OPTIONS and (following is None or following.startswith("-")):
            out.append(DETECT)
    return out


def act(option: str, value: str) -> str:
    """Do what `--show-completion` or `--install-completion` asks for the shell `value`; return what to print."""
    shell = chosen_shell(value)
    if option == "--show-completion":
        return script(shell)
    return f"{shell} completion installed in {install(shell)}; it takes effect in a new terminal."
