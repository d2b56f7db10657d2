"""Rendering a template into a folder, through copier (the only module that renders with it)."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from generator import gitrepo
from generator.errors import TemplateError, TemplateRefusedError, unreadable_value, yaml_problem
from generator.questions import TemplateConfig
from generator.sources import TemplateSource
from generator.trust import bounded_yaml
from generator.trust.consent import MACHINE_FILTERS, NO_CONSENT, Consent, foreign_extensions, require_consent
from generator.trust.guard import NEVER, check_rendered, check_template_tree, inside_path
from generator.trust.limits import Limits, RenderTimeout, bounded_binop, deadline, paused, size
from generator.trust.limits import current as current_limits

DEFAULT_ANSWERS_FILE = ".copier-answers.yml"


def answers_file_name(config: TemplateConfig) -> str:
    """Return the answers file path a template writes, relative to the rendered repo."""
    return str(config.settings.get("_answers_file") or DEFAULT_ANSWERS_FILE)


def render(
    source: TemplateSource,
    config: TemplateConfig,
    dest: Path,
    answers: dict[str, Any],
    *,
    trusted: Consent = NO_CONSENT,
) -> None:
    """Render `source` with `answers` into the empty folder `dest`, asking nothing, and fix the answers file.

    `trusted` is the user's consent to templates running code (tasks, migrations, their own Jinja
    extensions), decided here on `source`, the template that renders. What no template may do
    (trust.guard) is refused whatever the consent, before the render leaves `dest`. The answers file
    records `source.recorded_src` and, for versioned sources, `source.version`.
    """
    from copier.errors import CopierError, ForbiddenPathError, UnsafeTemplateError
    from jinja2 import TemplateError as JinjaError
    from jinja2.exceptions import SecurityError

    require_consent(source, config, trusted)
    inside_path("_answers_file", answers_file_name(config))
    limits = current_limits()
    if source.local_path is not None:
        check_template_tree(source.local_path, source.recorded_src)
    try:
        worker = _guarded_worker_class()(
            src_path=source.src,
            dst_path=dest,
            data=answers,
            vcs_ref=source.vcs_ref,
            settings=_no_user_settings(),
            defaults=True,
            overwrite=True,
            quiet=True,
            consent=trusted.covers(source),
            foreign_extensions=tuple(foreign_extensions(config)),
            limits=limits,
        )
        with _hardened_git_for_copier(), worker, deadline(limits.render_seconds):
            worker.run_copy()
    except RenderTimeout:
        raise TemplateRefusedError(
            f"template {source.recorded_src} took more than {limits.render_seconds:g} seconds to render; "
            "accepted: a template that renders in less (SCAFFOLD_LIMIT_RENDER_SECONDS)"
        ) from None
    except ForbiddenPathError as error:
        raise TemplateRefusedError(
            f"template {source.recorded_src} is refused: {_first_line(error)}: it reads or writes outside the template "
            f"or the new repo ({NEVER})"
        ) from None
    except UnsafeTemplateError as error:
        raise TemplateRefusedError(f"template {source.recorded_src} is refused: {_first_line(error)}") from None
    except SecurityError as error:  # the sandbox's bounds (trust.limits.bounded_binop) among them
        raise TemplateRefusedError(f"template {source.recorded_src} is refused: {_first_line(error)}") from None
    except (CopierError, JinjaError) as error:
        raise TemplateError(f"template {source.recorded_src} could not be rendered: {_first_line(error)}") from None
    except (AssertionError, OSError, ValueError, TypeError, LookupError) as error:
        # copier's own failures on odd templates (a rendered file where a folder was, a name it cannot
        # write): the template, not scaffold, is what the user has to fix
        raise TemplateError(
            f"template {source.recorded_src} could not be rendered: {_render_failure(error, dest)}"
        ) from None
    check_rendered(dest, source.recorded_src, limits)
    record_source(dest / answers_file_name(config), source)


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


@functools.cache
def _guarded_worker_class() -> Any:
    """Return copier's Worker with its safety checks kept on, told what scaffold has decided itself.

    copier's `unsafe=True` would also switch off its checks on `_external_data` paths, so it is never
    used: consent (scaffold's decision, made on the template's identity) admits tasks and the template's
    Jinja extensions; scaffold's own extension needs none; the answers file name must stay inside the
    new repo and outside `.git`, checked as copier renders it and before it is written.
    """
    from copier._main import Worker
    from copier.errors import UnsafeTemplateError
    from pydantic import ConfigDict
    from pydantic.dataclasses import dataclass

    @dataclass(config=ConfigDict(extra="forbid"))
    class GuardedWorker(Worker):
        consent: bool = False
        foreign_extensions: tuple[str, ...] = ()
        limits: Limits = field(default_factory=Limits)
        written: int = 0
        """Bytes rendered so far, held to `limits.bytes` as they are written, not only once the render ends."""
        rendering_answers_relpath: Path | None = None
        """The answers file path while the files render, when the answers can no longer change."""

        @functools.cached_property
        def jinja_env(self) -> Any:
            env = super().jinja_env
            if not self.consent:
                for name in MACHINE_FILTERS:
                    env.filters.pop(name, None)
            env.intercepted_binops = frozenset({"*", "**"})
            # the sandbox calls its environment's call_binop for intercepted operators: one per instance here
            bounded = functools.partial(_bounded_call_binop, self.limits)
            setattr(env, "call_binop", bounded)  # noqa: B010 - an instance attribute, which mypy cannot type
            return env

        def _execute_tasks(self, tasks: Any) -> None:
            with paused():  # tasks run with consent; the wall-time bound is for rendering
                super()._execute_tasks(tasks)

        def _render_file(self, src_relpath: Path, dst_relpath: Path, *args: Any, **kwargs: Any) -> None:
            super()._render_file(src_relpath, dst_relpath, *args, **kwargs)
            written = Path(self.dst_path, dst_relpath)
            self.written += written.lstat().st_size if written.is_file() and not written.is_symlink() else 0
            if self.written > self.limits.bytes:
                raise TemplateRefusedError(
                    f"template renders more than {size(self.limits.bytes)} (at {dst_relpath.as_posix()}); "
                    f"accepted: a smaller render (SCAFFOLD_LIMIT_BYTES) ({NEVER})"
                )

        def _check_unsafe(self, mode: str) -> None:
            if self.consent:
                return
            features = ["jinja_extensions"] if self.foreign_extensions else []
            if self.template.tasks and not self.skip_tasks:
                features.append("tasks")
            if features:
                raise UnsafeTemplateError(features)

        @property
        def answers_relpath(self) -> Path:
            if self.rendering_answers_relpath is not None:
                return self.rendering_answers_relpath
            path = Path(super().answers_relpath)
            inside_path("_answers_file", str(path))
            return path

        def _render_template(self) -> None:
            # copier renders the answers file name again for every path part it writes (a Jinja
            # compile each); the answers are final by now, so it is rendered and checked once
            self.rendering_answers_relpath = self.answers_relpath
            try:
                super()._render_template()
            finally:
                self.rendering_answers_relpath = None

        def _render_string(self, string: str, extra_context: Any = None) -> str:
            # copier compiles every path part and pattern with Jinja; most are plain names, which
            # render to themselves (extensions still preprocess them, as copier's own yield tag needs)
            text = str(self.jinja_env.preprocess(string))
            if _plain(self.jinja_env, text):
                return text
            return str(super()._render_string(string, extra_context))

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            # scaffold renders only into a folder it has just made, which no git index tracks, where
            # copier's check (a `git config` process per file) always ends without a change
            return

    return GuardedWorker


def _bounded_call_binop(limits: Limits, context: Any, operator: str, left: Any, right: Any) -> Any:
    return bounded_binop(limits, operator, left, right)


def _plain(env: Any, text: str) -> bool:
    """Whether Jinja would render `text` as itself: no delimiter of `env`, no line prefix, no line break."""
    markers = (env.block_start_string, env.variable_start_string, env.comment_start_string, "\n", "\r")
    prefixes = (env.line_statement_prefix, env.line_comment_prefix)
    return not any(m in text for m in markers) and not any(p and p in text for p in prefixes)


def _no_user_settings() -> Any:
    """copier settings with no defaults and no trust from the user's copier settings file: scaffold decides both."""
    from copier._settings import SettingsModel

    return SettingsModel()


def record_source(answers_file: Path, source: TemplateSource) -> None:
    """Rewrite `_src_path` (and `_commit`, for versioned sources) in a rendered answers file, keeping its header."""
    if not answers_file.is_file():
        return
    text = answers_file.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = bounded_yaml.load(text, str(answers_file)) or {}
    internal = {"_commit": source.version or data.get("_commit"), "_src_path": source.recorded_src}
    merged = {k: v for k, v in internal.items() if v is not None}
    merged.update((k, v) for k, v in data.items() if k not in internal)
    answers_file.write_text(header + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), encoding="utf-8")


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
