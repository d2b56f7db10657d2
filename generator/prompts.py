"""Interactive questions in the terminal, through questionary (the only module that imports it)."""

import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import questionary
import yaml

from generator.errors import EXIT_CANCELLED, ScaffoldError
from generator.questions import Question
from generator.terminal_text import safe
from generator.wrapping import fit_choice, fit_question, terminal_width

PROBLEM_STYLE = "fg:ansired"
CANCELLED = "cancelled; nothing was written"
SELECT_HINT = "(Use arrow keys)"
CHECKBOX_HINT = "(Use arrow keys to move, <space> to select, <a> to toggle, <i> to invert)"


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
        message = fit_question("Create the repo with these answers?", "(Y/n) ", terminal_width())
        try:
            return bool(questionary.confirm(message, default=True).unsafe_ask())
        except KeyboardInterrupt:
            raise ScaffoldError(CANCELLED, exit_code=EXIT_CANCELLED) from None


def _ask_once(question: Question, default: Any) -> Any:
    text = safe(question.help or question.key)
    width = terminal_width()
    try:
        if question.choices or question.disabled:
            picked = default if isinstance(default, list) else [default]
            choices = [
                questionary.Choice(
                    title=fit_choice(safe(label), width), value=value, checked=question.multiselect and value in picked
                )
                for label, value in question.choices.items()
            ]
            choices += [
                questionary.Choice(title=fit_choice(safe(label), width), disabled=safe(why))
                for label, why in question.disabled.items()
            ]
            # after the answer is picked, its title follows the question: keep room for the longest
            widest = max((str(c.title).split("\n")[0] for c in choices), key=len, default="")
            if question.multiselect:
                message = fit_question(text, max(CHECKBOX_HINT, widest, key=len), width)
                return questionary.checkbox(message, choices=choices).unsafe_ask()
            selected = next((c for c in choices if c.value == default and not c.disabled), None)
            message = fit_question(text, max(SELECT_HINT, widest, key=len), width)
            return questionary.select(message, choices=choices, default=selected, instruction=SELECT_HINT).unsafe_ask()
        if question.type == "bool":
            hint = "(Y/n) " if default else "(y/N) "
            return questionary.confirm(fit_question(text, hint, width), default=bool(default)).unsafe_ask()
        prompt = questionary.password if question.secret else questionary.text
        shown = default_text(question, default)
        return prompt(fit_question(text, "" if question.secret else shown, width), default=shown).unsafe_ask()
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
