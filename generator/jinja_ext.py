"""The Jinja extension templates load through copier's `_jinja_extensions`.

It exposes scaffold's own rules as filters, so a figure such as GOMEMLIMIT is computed once, in
Python, and every file that shows it renders that one value.
"""

from typing import Any

from jinja2 import Environment, Undefined
from jinja2.ext import Extension

from generator.answers import problem_with
from generator.quantities import format_cores, gomemlimit_for, parse_cpu, parse_memory
from generator.version import scaffold_version


class ScaffoldExtension(Extension):
    """Adds the filters `gomemlimit`, `memory_bytes`, `cpu_cores`, `scaffold_invalid`, and `scaffold_version`.

    `scaffold_version` is the version of scaffold rendering the repo, which its CI pins.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["gomemlimit"] = lambda quantity: gomemlimit_for(str(quantity))
        environment.filters["memory_bytes"] = lambda quantity: parse_memory(str(quantity))
        environment.filters["cpu_cores"] = lambda quantity: format_cores(parse_cpu(str(quantity)))
        environment.filters["scaffold_invalid"] = _invalid
        environment.globals["scaffold_version"] = scaffold_version()


def _invalid(value: Any, key: str, port: Any = None) -> str:
    return problem_with(key, value, None if isinstance(port, Undefined) else port)
