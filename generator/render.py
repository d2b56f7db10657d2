"""Rendering a template into a folder, through copier (the only module that renders with it)."""

from pathlib import Path
from typing import Any

import yaml

from generator.errors import TemplateError
from generator.questions import TemplateConfig
from generator.sources import TemplateSource

DEFAULT_ANSWERS_FILE = ".copier-answers.yml"
OWN_EXTENSION_PREFIX = "generator."


def answers_file_name(config: TemplateConfig) -> str:
    """Return the answers file path a template writes, relative to the rendered repo."""
    return str(config.settings.get("_answers_file") or DEFAULT_ANSWERS_FILE)


def describe_untrusted(config: TemplateConfig, limit: int = 3) -> str:
    """Describe in one line what a template would run on the user's machine ("" for nothing).

    That is its task commands, its migrations and its Jinja extensions other than scaffold's own.
    """

    def commands(items: Any) -> list[str]:
        found = []
        for item in items if isinstance(items, list) else [items]:
            command = item.get("command", item) if isinstance(item, dict) else item
            found.append(" ".join(map(str, command)) if isinstance(command, list) else str(command))
        return found

    def shown(texts: list[str]) -> str:
        more = f", and {len(texts) - limit} more" if len(texts) > limit else ""
        return ", ".join(f"`{' '.join(t.split())}`" for t in texts[:limit]) + more

    parts = []
    if config.settings.get("_tasks"):
        parts.append(f"tasks {shown(commands(config.settings['_tasks']))}")
    if config.settings.get("_migrations"):
        parts.append(f"migrations {shown(commands(config.settings['_migrations']))}")
    extensions = [str(e) for e in config.settings.get("_jinja_extensions") or []]
    foreign = [e for e in extensions if not e.startswith(OWN_EXTENSION_PREFIX)]
    if foreign:
        parts.append(f"Jinja extensions {shown(foreign)}")
    return "; ".join(parts)


def render(
    source: TemplateSource,
    config: TemplateConfig,
    dest: Path,
    answers: dict[str, Any],
    *,
    trusted: bool = False,
) -> None:
    """Render `source` with `answers` into `dest` (which may exist), asking nothing, and fix the answers file.

    The answers file records `source.recorded_src` and, for versioned sources, `source.version`.
    """
    from copier import run_copy
    from copier.errors import CopierError
    from jinja2 import TemplateError as JinjaError

    wanted = describe_untrusted(config)
    if wanted and not trusted and not source.bundled:
        raise TemplateError(
            f"template {source.recorded_src} wants to run code on this machine: {wanted}; "
            "refused: pass --trust, or list its source under `trusted` in the org config"
        )
    try:
        run_copy(
            source.src,
            dest,
            data=answers,
            vcs_ref=source.vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=True,
            skip_tasks=False,
        )
    except (CopierError, JinjaError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise TemplateError(f"template {source.recorded_src} could not be rendered: {first_line}") from None
    record_source(dest / answers_file_name(config), source)


def record_source(answers_file: Path, source: TemplateSource) -> None:
    """Rewrite `_src_path` (and `_commit`, for versioned sources) in a rendered answers file, keeping its header."""
    if not answers_file.is_file():
        return
    text = answers_file.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text) or {}
    internal = {"_commit": source.version or data.get("_commit"), "_src_path": source.recorded_src}
    merged = {k: v for k, v in internal.items() if v is not None}
    merged.update((k, v) for k, v in data.items() if k not in internal)
    answers_file.write_text(header + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), encoding="utf-8")


def read_answers_file(path: Path) -> dict[str, Any]:
    """Read an answers file (copier's format), returning its mapping; raise TemplateError when unreadable."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"answers file {path} cannot be read: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"answers file {path} is not a mapping of answers; accepted: copier's answers format")
    return data
