"""Interactive questions in the terminal, through questionary (the only module that imports it)."""

import json
import shutil
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import questionary
import yaml

from generator.errors import EXIT_CANCELLED, ScaffoldError
from generator.questions import Question
from generator.terminal_text import safe

PROBLEM_STYLE = "fg:ansired"
CANCELLED = "cancelled; nothing was written"


class TerminalPrompts:
    """Asks each question in the terminal, then shows a summary of the answers to confirm."""

    def __call__(self, question: Question, default: Any, problem: Callable[[Any], str]) -> Any:
        """Ask `question` with `default` pre-filled; after an answer `problem` refuses, say why and ask again.

        The problem is printed below the answer, wrapped to the terminal's width, rather than in
        the prompt's one-line toolbar, which cuts it at the edge of the terminal.
        """
        while True:
            answer = _ask_once(question, default)
            message = problem(answer)
            if not message:
                return answer
            questionary.print(wrap(safe(message)), style=PROBLEM_STYLE)  # a template's validator wrote it
            default = answer  # ask again with what was typed, to be corrected rather than retyped

    def confirm(self, summary: Sequence[tuple[str, str]]) -> bool:
        """Show the answers (and the figures derived from them) as a table; return whether to go on."""
        questionary.print(format_summary(summary))
        try:
            return bool(questionary.confirm("Create the repo with these answers?", default=True).unsafe_ask())
        except KeyboardInterrupt:
            raise ScaffoldError(CANCELLED, exit_code=EXIT_CANCELLED) from None


def _ask_once(question: Question, default: Any) -> Any:
    message = safe(question.help or question.key)
    try:
        if question.choices or question.disabled:
            picked = default if isinstance(default, list) else [default]
            choices = [
                questionary.Choice(title=safe(label), value=value, checked=question.multiselect and value in picked)
                for label, value in question.choices.items()
            ]
            disabled = question.disabled.items()
            choices += [questionary.Choice(title=safe(label), disabled=safe(why)) for label, why in disabled]
            if question.multiselect:
                return questionary.checkbox(message, choices=choices).unsafe_ask()
            selected = next((c for c in choices if c.value == default and not c.disabled), None)
            return questionary.select(message, choices=choices, default=selected).unsafe_ask()
        if question.type == "bool":
            return questionary.confirm(message, default=bool(default)).unsafe_ask()
        prompt = questionary.password if question.secret else questionary.text
        return prompt(message, default=default_text(question, default)).unsafe_ask()
    except KeyboardInterrupt:
        raise ScaffoldError(CANCELLED, exit_code=EXIT_CANCELLED) from None


def default_text(question: Question, default: Any) -> str:
    """The default pre-filled in a text prompt: YAML and JSON answers as copier shows them, others as text."""
    if default is None:
        return ""
    if question.type == "json" and not isinstance(default, str):
        return json.dumps(default)
    if question.type == "yaml" and not isinstance(default, str):
        return yaml.safe_dump(default, default_flow_style=True, width=2147483647).strip()
    return str(default)


def terminal_width() -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    return shutil.get_terminal_size((80, 24)).columns


def wrap(message: str, width: int | None = None) -> str:
    """Wrap a one-line message to the terminal's width, continuation lines indented under its start."""
    columns = max(20, (width or terminal_width()) - 1)
    return textwrap.fill(f"✗ {message}", width=columns, subsequent_indent="  ", break_on_hyphens=False)


def format_summary(summary: Sequence[tuple[str, str]], width: int | None = None) -> str:
    """Lay out (name, value) rows as a two-column table that fits the terminal; long values wrap."""
    name_width = max((len(name) for name, _ in summary), default=0)
    columns = max(40, (width or terminal_width()) - 1)
    value_width = max(20, columns - name_width - 4)
    lines = ["", "Summary:"]
    for name, value in summary:
        wrapped = textwrap.wrap(safe(value), width=value_width, break_on_hyphens=False) or [""]
        lines.append(f"  {name.ljust(name_width)}  {wrapped[0]}")
        lines.extend(f"  {'':{name_width}}  {more}" for more in wrapped[1:])
    return "\n".join(lines)
