"""Rendering a template into a folder, through copier (the only module that renders with it)."""

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from generator import copier_api, gitrepo
from generator.errors import TemplateError, TemplateRefusedError, unreadable_value, yaml_problem
from generator.failures import is_scaffold_bug
from generator.questions import MASK, TemplateConfig, answered
from generator.secret_answers import masked
from generator.sources import TemplateSource
from generator.trust import bounded_yaml
from generator.trust.budget import OutputBudget
from generator.trust.consent import MACHINE_FILTERS, NO_CONSENT, Consent, foreign_extensions, require_consent
from generator.trust.guard import NEVER, check_rendered, check_template_tree, inside_path
from generator.trust.limits import (
    Limits,
    MemoryLimitExceeded,
    RenderTimeout,
    bound_environment,
    deadline,
    memory_cap,
    paused,
    size,
    uncapped,
)
from generator.trust.limits import current as current_limits

DEFAULT_ANSWERS_FILE = ".copier-answers.yml"


def answers_file_name(config: TemplateConfig, answers: Mapping[str, Any] | None = None) -> str:
    """Return the answers file path a template writes, relative to the rendered repo.

    A templated `_answers_file` is rendered as copier renders it, with `answers` (when given).
    """
    name = str(config.settings.get("_answers_file") or DEFAULT_ANSWERS_FILE)
    if answers is None or "{" not in name:
        return name
    return answered(config, answers).render(name).strip()


def render(
    source: TemplateSource,
    config: TemplateConfig,
    dest: Path,
    answers: dict[str, Any],
    *,
    trusted: Consent = NO_CONSENT,
    folder_name: str | None = None,
    external_root: Path | None = None,
    placeholders: frozenset[str] = frozenset(),
) -> None:
    """Render `source` with `answers` into the empty folder `dest`, asking nothing.

    `placeholders` are the secret questions whose answers are placeholders (secret_answers): validated
    already as the real values, their validators are not run again on the placeholders.

    `folder_name` is the name of the repo's folder when `dest` is only where it is staged: copier's
    `_folder_name` is then that name, as in `copier copy` straight into the repo's folder. Likewise
    `external_root` is the repo whose files `_external_data` reads (an update's), when it is not `dest`;
    its paths must stay inside it.

    `trusted` is the user's consent to templates running code (tasks, migrations, their own Jinja
    extensions), decided here on `source`, the template that renders. What no template may do
    (trust.guard) is refused whatever the consent, before the render leaves `dest`. The answers file,
    written by copier in copier's format, records `source.recorded_src` and, for versioned sources,
    `source.version`. The render is held to trust.limits.
    """
    try:
        _render(source, config, dest, answers, trusted, folder_name, external_root, placeholders)
    except TemplateError as error:  # a task's failed command, a copier message: they may quote a secret answer
        secrets = [v for k, v in answers.items() if k in config.secret_keys and isinstance(v, str)]
        error.args = (masked(error.message, secrets, MASK),)
        raise


def _render(
    source: TemplateSource,
    config: TemplateConfig,
    dest: Path,
    answers: dict[str, Any],
    trusted: Consent,
    folder_name: str | None,
    external_root: Path | None,
    placeholders: frozenset[str],
) -> None:
    from jinja2 import TemplateError as JinjaError
    from jinja2.exceptions import SecurityError

    if folder_name and folder_name != dest.name:
        with tempfile.TemporaryDirectory(prefix=".scaffold-render-", dir=dest.parent) as tmp:
            named = Path(tmp) / folder_name
            render(
                source, config, named, answers, trusted=trusted, placeholders=placeholders, external_root=external_root
            )
            dest.mkdir(exist_ok=True)
            for entry in named.iterdir() if named.is_dir() else ():  # copier makes no folder for no file
                entry.rename(dest / entry.name)
        return
    require_consent(source, config, trusted)
    consent = trusted.covers(source)
    limits = current_limits()
    answers_file = answers_file_name(config, answers)
    inside_path("_answers_file", answers_file)
    if source.local_path is not None:
        check_template_tree(source.local_path, source.recorded_src)
    if config.folder == Path(source.src) and (config.trusted == consent or source.bundled):
        template = config.template()  # read once for the questions, with the extensions consent allows
    else:
        template = copier_api.template_of(Path(source.src), extensions=None if consent else tuple(_own(config)))
    budget = OutputBudget(source.recorded_src, limits)
    try:
        worker = copier_api.rendering_worker(
            template,
            dest,
            answers,
            recorded_src=source.recorded_src,
            recorded_version=source.version,
            answers_file=answers_file,
            trusted_url=str(template.url),
            external_root=external_root.resolve() if external_root is not None else None,
            admit=budget.admit,
            unvalidated=placeholders,
        )
        if not consent:
            for name in MACHINE_FILTERS:
                worker.jinja_env.filters.pop(name, None)
        _bound(worker, limits, budget)
        with _hardened_git_for_copier(), worker, deadline(limits.render_seconds), memory_cap(limits.memory):
            worker.run_copy()
    except RenderTimeout:
        raise TemplateRefusedError(
            f"template {source.recorded_src} took more than {limits.render_seconds:g} seconds to render; "
            "accepted: a template that renders in less (SCAFFOLD_LIMIT_RENDER_SECONDS)"
        ) from None
    except MemoryLimitExceeded:
        raise TemplateRefusedError(
            f"template {source.recorded_src} needed more than {size(limits.memory)} of memory to render; "
            "accepted: a smaller render, or a higher SCAFFOLD_LIMIT_MEMORY"
        ) from None
    except copier_api.ForbiddenPathError as error:
        raise TemplateRefusedError(
            f"template {source.recorded_src} is refused: {_first_line(error)}: it reads or writes outside the template "
            f"or the new repo ({NEVER})"
        ) from None
    except copier_api.UnsafeTemplateError as error:
        raise TemplateRefusedError(f"template {source.recorded_src} is refused: {_first_line(error)}") from None
    except SecurityError as error:  # the sandbox's bounds (trust.limits.bounded_binop) among them
        raise TemplateRefusedError(f"template {source.recorded_src} is refused: {_first_line(error)}") from None
    except (copier_api.CopierError, JinjaError) as error:
        raise TemplateError(f"template {source.recorded_src} could not be rendered: {_first_line(error)}") from None
    except (AssertionError, OSError, ValueError, TypeError, LookupError) as error:
        # copier's own failures on odd templates (a rendered file where a folder was, a name it cannot
        # write): the template, not scaffold, is what the user has to fix; what scaffold's own code
        # raised (its filters, its Worker overrides) is a bug, reported as one (failures.py)
        if is_scaffold_bug(error):
            raise
        raise TemplateError(
            f"template {source.recorded_src} could not be rendered: {_render_failure(error, dest)}"
        ) from None
    check_rendered(dest, source.recorded_src, limits)


def _bound(worker: Any, limits: Limits, budget: OutputBudget) -> None:
    """Hold `worker`'s render to `limits`: Jinja repetitions and powers too large to build are refused, text is
    refused once longer than the render may still write (`budget`), and the wall-time deadline pauses and the
    memory cap lifts while the template's tasks (which the user consented to) run."""
    env = worker.jinja_env
    env.__dict__["concat"] = budget.concat  # what Template.render joins the rendered pieces with, per instance
    bound_environment(limits, env)
    execute_tasks = worker._execute_tasks

    def execute_tasks_paused(tasks: Any) -> None:
        with paused(), uncapped():
            execute_tasks(tasks)

    worker.__dict__["_execute_tasks"] = execute_tasks_paused


def _own(config: TemplateConfig) -> list[str]:
    return [str(e) for e in config.settings.get("_jinja_extensions") or [] if str(e) not in foreign_extensions(config)]


@contextmanager
def _hardened_git_for_copier() -> Iterator[None]:
    """Force gitrepo.HARDENING on the git commands copier runs while it renders.

    copier runs git through plumbum, which copies the environment when it is first imported, so
    plumbum's own environment is changed too, not only os.environ.
    """
    from plumbum import local

    current = dict(local.env)
    changes = {k: v for k, v in gitrepo.hardened(current).items() if current.get(k) != v}
    with gitrepo.hardened_environ(), local.env(**changes):
        yield


def _render_failure(error: Exception, dest: Path) -> str:
    """Describe a library failure while rendering into `dest`, naming the file inside the new repo."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        name = Path(str(error.filename))
        root = dest.resolve()
        shown = name.relative_to(root).as_posix() if name.is_relative_to(root) else str(name)
        return f"{shown!r}: {error.strerror[0].lower()}{error.strerror[1:]}"
    if str(error).strip():
        return f"{type(error).__name__}: {_first_line(error)}"
    return f"copier stopped on one of its internal checks ({type(error).__name__}); the template needs fixing"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def read_answers_file(path: Path) -> dict[str, Any]:
    """Read an answers file (copier's format), returning its mapping; raise TemplateError when unreadable."""
    try:
        data = bounded_yaml.load(path.read_text(encoding="utf-8"), f"answers file {path}")
    except yaml.YAMLError as error:
        raise TemplateError(f"answers file {path} is not valid YAML: {yaml_problem(error)}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"answers file {path} cannot be read: {str(error).splitlines()[0]}") from None
    except ValueError as error:  # a value YAML cannot build: a date like 2024-13-45, an integer of over 4300 digits
        raise TemplateError(f"answers file {path} has a value that cannot be read: {unreadable_value(error)}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"answers file {path} is not a mapping of answers; accepted: copier's answers format")
    return data
