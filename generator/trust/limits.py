"""How much a template may make scaffold do: render time, output size, nesting, YAML alias expansion.

A template (or an answers file, or an org config) that goes past a limit is refused in one line,
exit 2, before it can hang a terminal or CI or take the machine's memory. The defaults leave room for
any real template many times over; each can be changed through an environment variable.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from generator.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """The bounds a template's input and render are held to."""

    render_seconds: float = 300.0
    """Wall time one render of one template may take (copier rendering, tasks aside)."""
    files: int = 20_000
    """Files, folders and links in a template, and in what it renders."""
    bytes: int = 512 * 1024 * 1024
    """Total size of a template's files, and of what it renders."""
    depth: int = 64
    """Folders nested in a template or a render; links followed in a row."""
    yaml_nodes: int = 100_000
    """Nodes one copier.yml or answers file may hold once its aliases are expanded (a billion-laughs has 10^9)."""


ENVIRONMENT = {f.name: f"SCAFFOLD_LIMIT_{f.name.upper()}" for f in fields(Limits)}
"""The environment variable that changes each limit, e.g. SCAFFOLD_LIMIT_RENDER_SECONDS=600."""


def current(environ: Mapping[str, str] | None = None) -> Limits:
    """Return the limits in force: the defaults, changed by the SCAFFOLD_LIMIT_* environment variables."""
    environ = os.environ if environ is None else environ
    changes: dict[str, float | int] = {}
    for field in fields(Limits):
        text = environ.get(ENVIRONMENT[field.name])
        if text is None or not text.strip():
            continue
        kind = float if field.type in (float, "float") else int
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if not value > 0:
            raise ConfigError(
                f"{ENVIRONMENT[field.name]} {text[:40]!r} is not valid; accepted: a number above 0"
                + ("" if kind is float else " (whole)")
            )
        changes[field.name] = value
    return Limits(**changes)  # type: ignore[arg-type]


def size(n: int) -> str:
    """Return a byte count for a message: `512 MiB`, `3 KiB`, `17 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
