"""Interactive questions in the terminal, through questionary (the only module that imports it)."""

from collections.abc import Callable
from typing import Any

import questionary

from generator.errors import ScaffoldError
from generator.questions import Question


def ask(question: Question, default: Any, problem: Callable[[Any], str]) -> Any:
    """Ask `question` with `default` pre-filled, re-asking until `problem` finds nothing wrong."""
    message = question.help or question.key
    try:
        if question.choices:
            choices = [questionary.Choice(title=label, value=value) for label, value in question.choices.items()]
            selected = next((c for c in choices if c.value == default), None)
            return questionary.select(message, choices=choices, default=selected).unsafe_ask()
        if question.type == "bool":
            return questionary.confirm(message, default=bool(default)).unsafe_ask()
        prompt = questionary.password if question.secret else questionary.text
        return prompt(
            message,
            default="" if default is None else str(default),
            validate=lambda text: problem(text) or True,
        ).unsafe_ask()
    except KeyboardInterrupt:
        raise ScaffoldError("cancelled; nothing was written", exit_code=130) from None
