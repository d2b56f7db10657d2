"""The Jinja extension templates load through copier's `_jinja_extensions`.

It exposes scaffold's own rules as filters, so a figure such as GOMEMLIMIT is computed once, in
Python, and every file that shows it renders that one value.
"""

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, Undefined
from jinja2.ext import Extension

from generator.answers import problem_with
from generator.errors import InvalidAnswerError
from generator.quantities import QuantityError, format_cores, gomemlimit_for, parse_cpu, parse_memory
from generator.version import scaffold_version


class ScaffoldExtension(Extension):
    """Adds the filters `gomemlimit`, `memory_bytes`, `cpu_cores`, `scaffold_invalid`, and `scaffold_version`.

    `scaffold_version` is the version of scaffold rendering the repo, which its CI pins.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["gomemlimit"] = _quantity_filter(gomemlimit_for)
        environment.filters["memory_bytes"] = _quantity_filter(parse_memory)
        environment.filters["cpu_cores"] = _quantity_filter(lambda text: format_cores(parse_cpu(text)))
        environment.filters["scaffold_invalid"] = _invalid
        environment.globals["scaffold_version"] = scaffold_version()


def _quantity_filter(rule: Callable[[str], Any]) -> Callable[[Any], Any]:
    """Wrap a quantity rule as a filter: a quantity it refuses is the answer's (or the template's) to fix, exit 2."""

    def quantity_filter(quantity: Any) -> Any:
        try:
            return rule(str(quantity))
        except QuantityError as error:
            raise InvalidAnswerError(str(error)) from None

    return quantity_filter


def _invalid(value: Any, key: str, port: Any = None) -> str:
    return problem_with(key, value, None if isinstance(port, Undefined) else port)
