"""`scaffold template show`: a template's questions as a table of key, type, default and help.

What a user can pass with `--data KEY=VALUE` (or an answers file), read from the template's copier.yml.
"""

import textwrap
from collections.abc import Sequence

from generator.questions import Question, TemplateConfig

HEADER = ("key", "type", "default", "help")


def rows(config: TemplateConfig, name_question: str | None = None) -> list[tuple[str, str, str, str]]:
    """Return (key, type, default, help) for each question asked; choices are named in the help."""
    found = []
    for question in config.questions:
        if question.computed:
            continue
        default = _default(question)
        if question.key == name_question:
            default = "the NAME argument"
        text = question.help
        if question.choices:
            text = f"{text} (one of: {', '.join(str(v) for v in question.choices.values())})".strip()
        found.append((question.key, question.type, default, text))
    return found


def derived(config: TemplateConfig) -> list[str]:
    """Return the keys never asked (`when: false`): values derived from the answers, or fixed by an org."""
    return [question.key for question in config.questions if question.computed]


def _default(question: Question) -> str:
    if question.secret:
        return "(secret)"
    if question.default is None:
        return "(none: required)"
    if isinstance(question.default, bool):
        return "yes" if question.default else "no"
    return str(question.default)


def format_table(table: Sequence[tuple[str, str, str, str]], width: int) -> str:
    """Lay the rows out in aligned columns; the help column wraps to fit `width`."""
    lines = []
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(3)]
    indent = sum(widths) + 2 + 3 * 2
    help_width = max(20, width - 1 - indent)
    for row in [HEADER, *table]:
        head = "  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  "
        wrapped = textwrap.wrap(row[3], width=help_width, break_on_hyphens=False) or [""]
        lines.append((head + wrapped[0]).rstrip())
        lines.extend(" " * indent + more for more in wrapped[1:])
    return "\n".join(lines)
