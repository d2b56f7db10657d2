"""Lines fitted to the terminal: broken between words at its width, never in the middle of one.

Pure functions of the text and a width, so the prompts and the summaries `scaffold new` prints wrap
the same way, and tests can check them at any width without a terminal.
"""

import shutil
import textwrap

QMARK_WIDTH = 2
"""questionary's "? " before a question, and the indent that lines up the lines after it."""


def terminal_width() -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    return shutil.get_terminal_size((80, 24)).columns


def wrap_line(line: str, width: int, indent: str = "  ") -> list[str]:
    """Break `line` between words so no piece is wider than `width`; later pieces keep its indent plus `indent`.

    A word longer than the width (a long URL or path) is left whole rather than cut.
    """
    columns = max(20, width - 1)  # the last column: some terminals wrap as soon as it is written
    if len(line) <= columns:
        return [line]
    lead = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line,
        width=columns,
        initial_indent="",
        subsequent_indent=lead + indent,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [line]


def wrap_text(text: str, width: int) -> str:
    """Wrap every line of `text` with `wrap_line`."""
    return "\n".join(piece for line in text.splitlines() for piece in wrap_line(line, width))


def fit_question(text: str, after: str, width: int) -> str:
    """Return a question's text laid out for a prompt shown as "? TEXT AFTER" in `width` columns.

    The text breaks between words, its later lines indented under its start; AFTER (the hint such
    as "(Use arrow keys)", or the pre-filled default) moves to a line of its own when it does not
    fit after the last line, so neither is cut in the middle.
    """
    columns = max(20, width - 1)
    lines = textwrap.wrap(text, width=columns - QMARK_WIDTH, break_on_hyphens=False) or [""]
    message = ("\n" + " " * QMARK_WIDTH).join(lines)
    if after and QMARK_WIDTH + len(lines[-1]) + 1 + len(after) > columns:
        message += "\n "  # questionary adds one space after the text: AFTER starts under it
    return message


def fit_choice(title: str, width: int, margin: int = 4) -> str:
    """Return a choice's title broken between words to fit after the pointer column of a list."""
    columns = max(20, width - 1) - margin
    return ("\n" + " " * margin).join(textwrap.wrap(title, width=columns, break_on_hyphens=False) or [title])
