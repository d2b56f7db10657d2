"""Running the scaffold command line in tests, from a given folder, as a user would."""

from contextlib import chdir
from pathlib import Path

from typer.testing import CliRunner

from generator.cli import app

runner = CliRunner()


def scaffold(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `scaffold ARGS` in `cwd` and return (exit code, stdout, stderr)."""
    with chdir(cwd):
        result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
