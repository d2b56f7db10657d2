"""A template's own Jinja extension, as third-party copier templates ship them (tests/foreign_templates/webapp)."""

from jinja2 import Environment
from jinja2.ext import Extension


class ShoutExtension(Extension):
    """Adds the filter `shout`: upper case, dashes as spaces."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["shout"] = lambda text: str(text).replace("-", " ").upper()
