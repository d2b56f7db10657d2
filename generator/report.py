"""What the user sees of multi-row results: rich tables for the catalog, template tests and fleet runs.

Tables go to stdout; they stay readable when piped (no colours, the width of a wide terminal).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from generator.authoring import AnswerSetResult
    from generator.catalog import CatalogRow

_OUTPUT_LINES = 40
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow"}


def console() -> Console:
    """Return the console tables are printed on (wide when not a terminal, so rows do not wrap in CI logs)."""
    out = Console()
    return out if out.is_terminal else Console(width=200, no_color=True)


def print_catalog(rows: "Sequence[CatalogRow]") -> None:
    """Print `scaffold templates`: one row per template, its source, pinned and newest versions, description."""
    table = Table(title="Templates", title_justify="left")
    for column in ("name", "source", "pinned", "newest", "description"):
        table.add_column(column, overflow="fold")
    for row in rows:
        name = f"{row.name} (default)" if row.default else row.name
        newest = row.newest or ("?" if row.problem else "-")
        table.add_row(*map(Text, (name, row.source, row.pinned or "-", newest, row.description)))
    out = console()
    out.print(table)
    for row in rows:
        if row.problem:
            out.print(f"{row.name}: {row.problem}", markup=False, highlight=False)


def print_template_tests(results: "Sequence[AnswerSetResult]") -> None:
    """Print `scaffold template test`: one row per answer set and check, then a one-line verdict."""
    table = Table(title="Template test", title_justify="left")
    for column in ("answer set", "check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        for check in result.checks:
            status = Text(check.status, style=_STYLE[check.status])
            table.add_row(Text(result.name), Text(check.name), status, Text(check.detail))
    out = console()
    out.print(table)
    failed = [(r.name, c.name) for r in results for c in r.checks if not c.ok]
    for result in results:
        for check in result.checks:
            if not check.ok and check.output:
                lines = check.output.splitlines()
                shown = "\n".join(lines[:_OUTPUT_LINES]) + (
                    f"\n... {len(lines) - _OUTPUT_LINES} more lines" if len(lines) > _OUTPUT_LINES else ""
                )
                out.print(f"--- {check.name} ({result.name}) ---\n{shown}", markup=False, highlight=False)
    if failed:
        named = ", ".join(f"{check} ({answer_set})" for answer_set, check in failed)
        out.print(f"FAILED: {named}", markup=False, highlight=False)
    else:
        sets = f"{len(results)} answer set{'' if len(results) == 1 else 's'}"
        out.print(f"PASSED: {sets}, every check", markup=False, highlight=False)
