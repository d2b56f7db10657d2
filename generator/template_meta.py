"""What a template tells scaffold about itself: the `_scaffold` block of its copier.yml.

```yaml
_scaffold:
  name_question: project_slug   # the question `scaffold new NAME` answers (default: service_name)
  owned: [Dockerfile, ".github/**"]   # the template's files: updates land, a local edit is drift
  seeded: ["cmd/**", README.md]       # the team's files from the first commit: edits are not drift
```

copier ignores settings it does not know, so the block costs plain copier nothing. Every key is optional.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.errors import TemplateError

BLOCK = "_scaffold"
DEFAULT_NAME_QUESTION = "service_name"
KEYS = ("name_question", "owned", "seeded")


@dataclass(frozen=True)
class TemplateMeta:
    """The `_scaffold` block, checked."""

    name_question: str = DEFAULT_NAME_QUESTION
    owned: tuple[str, ...] = ()
    """Glob patterns (gitignore style) of the files the template owns."""
    seeded: tuple[str, ...] = ()
    """Glob patterns of the files the template only seeds."""


def meta_of(settings: Mapping[str, Any], where: str = "copier.yml") -> TemplateMeta:
    """Return the `_scaffold` block of a template's settings; raise TemplateError naming a bad key or value."""
    block = settings.get(BLOCK) or {}
    if not isinstance(block, dict):
        raise TemplateError(f"{where}: {BLOCK} is not a mapping; accepted: keys {', '.join(KEYS)}")
    for key in block:
        if key not in KEYS:
            raise TemplateError(f"{where}: {BLOCK}.{key} is not a known key; accepted: {', '.join(KEYS)}")
    name = block.get("name_question", DEFAULT_NAME_QUESTION)
    if not isinstance(name, str) or not name.strip():
        raise TemplateError(f"{where}: {BLOCK}.name_question {name!r} is not valid; accepted: a question's name")
    return TemplateMeta(name, _patterns(block, "owned", where), _patterns(block, "seeded", where))


def _patterns(block: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = block.get(key) or []
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise TemplateError(f"{where}: {BLOCK}.{key} is not valid; accepted: a list of glob patterns such as 'cmd/**'")
    return tuple(value)
