"""What the user sees of multi-row results: rich tables for the catalog, template tests and fleet runs.

Tables go to stdout; they stay readable when piped (no colours, the width of a wide terminal).
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from generator.terminal_text import safe

if TYPE_CHECKING:
    from generator.authoring import AnswerSetResult
    from generator.catalog import CatalogRow
    from generator.fleet import FleetRow

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
            table.add_row(Text(result.name), Text(check.name), status, Text(safe(check.detail)))
    out = console()
    out.print(table)
    failed = [(r.name, c.name) for r in results for c in r.checks if not c.ok]
    for result in results:
        for check in result.checks:
            if not check.ok and check.output:
                lines = safe(check.output).splitlines()
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


_RESULT_STYLE = {
    "up to date": "green",
    "updated": "green",
    "planned": "cyan",
    "error": "bold red",
    "bug": "bold red",
    "interrupted": "red",
    "refused": "red",
}


def print_fleet(title: str, rows: "Sequence[FleetRow]", worst: int) -> None:
    """Print a fleet run's summary: one row per repo (from version, to version, result), then the counts."""
    table = Table(title=title, title_justify="left")
    for column in ("repo", "from version", "to version", "result", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = _RESULT_STYLE.get(row.result, "yellow")
        cells = (row.repo, row.from_version or "-", row.to_version or "-")
        table.add_row(*map(Text, cells), Text(row.result, style=style), Text(safe(row.detail)))
    out = console()
    out.print(table)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.result] = counts.get(row.result, 0) + 1
    summary = "; ".join(f"{result}: {n}" for result, n in counts.items())
    out.print(f"{len(rows)} repos ({summary}); exit code {worst}", markup=False, highlight=False)


@contextmanager
def fleet_progress(total: int, verb: str) -> "Iterator[Callable[[FleetRow], None]]":
    """Yield the callback a fleet run calls as each repo finishes: a progress bar on a terminal, else a log line.

    Both go to stderr, so `--json` on stdout stays clean.
    """
    err = Console(stderr=True)
    if not err.is_terminal:
        done = 0

        def log(row: "FleetRow") -> None:
            nonlocal done
            done += 1
            err.print(f"[{done}/{total}] {row.repo}: {row.result}", markup=False, highlight=False, soft_wrap=True)

        yield log
        return
    with Progress(
        SpinnerColumn(), TextColumn(f"{verb}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=err, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("", total=total)

        def advance(row: "FleetRow") -> None:
            progress.update(task, advance=1, description=f"{Path(row.repo).name}: {row.result}")

        yield advance
