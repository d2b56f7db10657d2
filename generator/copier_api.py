"""The parts of copier scaffold relies on that copier does not publish, all in this one module.

copier's public API is `run_copy`, `run_recopy` and `run_update`, plus `Settings` and `Phase`. They
render and ask in one go, through copier's own prompts. scaffold asks the questions itself (80-column
prompts, a summary to confirm, control characters refused, org defaults), yet what a template means
must stay copier's: its question types, defaults, `when`, choices, validators, computed values,
extensions and answers file. So the questionnaire is driven through copier's own objects, named here
with the reason each is needed. Everything else in scaffold speaks plain data.

Every name below exists from the lowest copier pyproject.toml allows to the newest it was tested with
(tests/test_conformance_lowest_copier.py runs the conformance suite on the lowest).
"""

import copy
import functools
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from copier._main import Worker  # the only place copier builds its Jinja environment and render context
from copier._settings import SettingsModel  # the settings Worker takes (copier.Settings is a plain copy of it)
from copier._template import Template  # copier.yml read as copier reads it: `!include`, secrets, settings
from copier._types import MISSING  # what Question.get_default returns for "no default"
from copier._user_data import AnswersMap, Question  # the answers so far; one question's meaning
from copier.errors import CopierError, ForbiddenPathError, TaskError, UnsafeTemplateError, UserMessageError

__all__ = [
    "MISSING",
    "AnswersMap",
    "CopierError",
    "ForbiddenPathError",
    "Question",
    "TaskError",
    "Template",
    "UnsafeTemplateError",
    "UserMessageError",
    "choices",
    "migration_tasks",
    "migration_worker",
    "prompt_phase",
    "question",
    "questionnaire_worker",
    "render_context",
    "rendering_worker",
    "run_tasks",
    "start_answers",
    "task_commands",
    "template_of",
]


def template_of(folder: Path, *, extensions: tuple[str, ...] | None = None) -> Any:
    """Return copier's Template for the template in `folder`, a plain folder on this machine.

    `extensions` replaces the `_jinja_extensions` copier would import (without consent, a template's
    own extensions are never imported). copier has no public way to say so: its cached value is set.
    """
    template = Template(url=str(folder))
    # scaffold's checkouts are plain folders (checkouts.py clones and picks the version), so copier must not
    # take one for a repository to clone because of its name (a folder ending in `.git`) or run git on it
    template.__dict__["vcs"] = None
    if extensions is not None:
        template.__dict__["jinja_extensions"] = extensions
    return template


def settings(*, trusted_url: str | None = None) -> Any:
    """copier settings with no user defaults or trust read from the user's copier settings file.

    scaffold decides consent itself (trust.consent); once it has, the template's own URL is trusted, which
    is copier's public way to let tasks and extensions run while its `_external_data` path checks stay on.
    """
    return SettingsModel(trust={trusted_url} if trusted_url else set())


def questionnaire_worker(template: Any, dest: Path, *, data: Mapping[str, Any] | None = None) -> Any:
    """Return a copier Worker for `template` and `dest` that is never run: its Jinja environment and render
    context are what every question, default and message is rendered with.

    copier builds them only inside Worker (`jinja_env`, `_render_context`), with the template's loader (which
    copier-templates-extensions' loader needs), extensions, `_envops` and `_copier_conf`.
    """
    worker = Worker(src_path=str(template.url), dst_path=dest, data=dict(data or {}), settings=settings(), quiet=True)
    worker.__dict__["template"] = template  # the Template already read, with the extensions consent allows
    return worker


def start_answers(worker: Any, given: Mapping[str, Any]) -> None:
    """Give `worker` an empty AnswersMap holding the `given` answers and the template's `_external_data`.

    As copier's own questionnaire starts; the external data is read lazily by copier's private
    `Worker._external_data`, which also keeps its paths inside the destination (see `outside_git`).
    """
    worker.answers = AnswersMap(init=dict(given), external=outside_git(worker, worker._external_data()))


def outside_git(worker: Any, data: Any) -> Any:
    """Return `data`, `worker`'s lazily read `_external_data`, refusing each file whose path is at or under `.git`.

    copier keeps the paths inside the destination, whose `.git` is inside too: on an update its files
    (FETCH_HEAD, the config: a remote's URL with its token) would be read into the render. The path is rendered
    as copier's private `Worker._external_data` renders it, before copier reads the file.
    """
    from copier import Phase

    from generator.errors import TemplateRefusedError
    from generator.trust.guard import NEVER, is_git_name

    def checked(name: str, path: str) -> Callable[[], Any]:
        def load() -> Any:
            with Phase.use(Phase.UNDEFINED):
                rendered = str(worker._render_string(str(path)))
            if any(is_git_name(part) for part in Path(rendered.replace("\\", "/")).parts):
                raise TemplateRefusedError(
                    f"the template is refused: _external_data {name} reads {rendered}, at or under .git ({NEVER})"
                )
            return data[name]

        return load

    return type(data)({name: checked(name, path) for name, path in worker.template.external_data.items()})


def choices(question: Any) -> list[Any]:
    """copier's choices of `question`, rendered: questionary Choices (title, value, disabled reason).

    copier renders them (templated labels and values, dict and pair forms, `validator` inside a
    choice) only in its private `Question._formatted_choices`.
    """
    return list(question._formatted_choices) if question.choices else []


def render_context(worker: Any) -> dict[str, Any]:
    """Return copier's render context for the answers in `worker.answers` (private `Worker._render_context`)."""
    return dict(worker._render_context())


def question(worker: Any, key: str, details: Mapping[str, Any]) -> Any:
    """Return copier's Question `key` of `worker`'s template, in the context of the answers so far."""
    return Question(
        answers=worker.answers,
        context=render_context(worker),
        jinja_env=worker.jinja_env,
        settings=worker.settings,
        var_name=key,
        **details,
    )


def prompt_phase() -> Any:
    """Enter copier's prompt phase: `_copier_phase` is "prompt" while questions render, as in copier's own run."""
    from copier import Phase

    return Phase.use(Phase.PROMPT)


@functools.cache
def _recording_worker_class() -> Any:
    """copier's Worker, recording where the template really comes from, without the work that cannot change a render.

    Each override is a private copier method, needed because copier has no setting for it; the conformance
    suite (tests/test_conformance.py) checks that renders stay byte for byte copier's.
    """
    from pydantic import ConfigDict
    from pydantic.dataclasses import dataclass

    @dataclass(config=ConfigDict(extra="forbid"))
    class RecordingWorker(Worker):
        recorded_src: str = ""
        recorded_version: str | None = None
        external_root: Path | None = None
        admit: Any = None
        """Called with each path (relative to the render) and its size in bytes before copier writes it; may raise."""

        def _answers_to_remember(self) -> Mapping[str, Any]:
            # scaffold renders from a checkout (a plain folder) or from inside its own package, so copier would
            # record that folder; the answers file must name the template as the user gave it (and the version,
            # `git describe` of the checkout). copier's own answers-file template then writes it, so its bytes
            # stay copier's. There is no public setting for either value.
            remembered = dict(super()._answers_to_remember())
            head = {"_commit": self.recorded_version or remembered.get("_commit"), "_src_path": self.recorded_src}
            answers = {k: v for k, v in head.items() if v is not None}
            answers.update((k, v) for k, v in remembered.items() if k not in head)
            return answers

        @property
        def answers_relpath(self) -> Path:
            # copier renders the answers file name again for every path part it writes (a Jinja compile each);
            # scaffold passes it already rendered and checked (`answers_file`), which renders to itself. Jinja
            # still preprocesses it, as a compile would: copier's yield tag resets its state there between files.
            if self.answers_file is None:
                return Path(super().answers_relpath)
            self.jinja_env.preprocess(str(self.answers_file))
            return Path(self.answers_file)

        def _render_string(self, string: str, extra_context: Any = None) -> str:
            # copier compiles every path part and pattern with Jinja; most are plain names, which render to
            # themselves (extensions still preprocess them, as copier's own yield tag needs)
            text = str(self.jinja_env.preprocess(string))
            if _plain(self.jinja_env, text):
                return text
            return str(super()._render_string(string, extra_context))

        def _external_data(self) -> Any:
            # copier reads `_external_data` from its destination; an update renders aside (in a folder named as
            # the repo), yet its destination is the repo: a Worker for the repo, with this one's template, Jinja
            # environment and answers, reads it there, through copier's own check that its paths stay inside.
            # copier has no setting for where external data is read from.
            if self.external_root is None:
                return outside_git(self, super()._external_data())
            reader = Worker(
                src_path=self.src_path, dst_path=self.external_root, data=self.data, answers_file=self.answers_file,
                settings=self.settings, quiet=True,
            )  # fmt: skip
            reader.__dict__["template"] = self.template
            reader.__dict__["jinja_env"] = self.jinja_env
            reader.answers = AnswersMap(init=dict(self.data))
            return outside_git(reader, reader._external_data())

        def _render_allowed(self, dst_relpath: Path, *args: Any, **kwargs: Any) -> bool:
            # copier asks this before it writes each file (with its content), folder and link, and has no public
            # hook there: the one place a render's output can be counted before it reaches the disk (trust.budget)
            allowed = bool(super()._render_allowed(dst_relpath, *args, **kwargs))
            if allowed and self.admit is not None:
                contents = kwargs.get("expected_contents", b"")
                self.admit(Path(dst_relpath).as_posix(), len(contents) if isinstance(contents, bytes) else 0)
            return allowed

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            # scaffold renders only into a folder it has just made, which no git index tracks; copier's check
            # (a `git config` process per file) always ends without a change there
            return

    return RecordingWorker


def _plain(env: Any, text: str) -> bool:
    """Whether Jinja would render `text` as itself: no delimiter of `env`, no line prefix, no line break."""
    markers = (env.block_start_string, env.variable_start_string, env.comment_start_string, "\n", "\r")
    prefixes = (env.line_statement_prefix, env.line_comment_prefix)
    return not any(m in text for m in markers) and not any(p and p in text for p in prefixes)


def rendering_worker(
    template: Any,
    dest: Path,
    answers: Mapping[str, Any],
    *,
    recorded_src: str,
    recorded_version: str | None,
    answers_file: str,
    trusted_url: str | None,
    external_root: Path | None = None,
    admit: Callable[[str, int], None] | None = None,
    unvalidated: frozenset[str] = frozenset(),
) -> Any:
    """Return the Worker that renders `template` into `dest` with `answers`, asking nothing.

    `answers_file` is the answers file path scaffold has already rendered and checked. copier's own checks
    stay on (`unsafe` is never set); `trusted_url` is the template's URL once consent is given or not needed.
    `external_root` is the folder `_external_data` is read from when it is not `dest` (an update's repo).
    `admit` is called with each file, folder and link (its path in the render, its size) before it is written.
    The questions `unvalidated` are rendered without their validators (see below).
    """
    if unvalidated:
        # a pristine render holds a placeholder for each secret answer (secret_answers.py), and scaffold has
        # validated the real answer already; copier validates every given answer again as it renders, where a
        # placeholder fails a validator that wants a token's shape, or a secret's `choices`. copier has no setting
        # to skip it: the cached questions of a copy of the template lose those validators and choices.
        questions = {
            key: {k: v for k, v in spec.items() if k not in ("validator", "choices")} if key in unvalidated else spec
            for key, spec in template.questions_data.items()
        }
        template = copy.copy(template)
        template.__dict__["questions_data"] = questions
    worker = _recording_worker_class()(
        src_path=str(template.url),
        dst_path=dest,
        data=dict(answers),
        answers_file=Path(answers_file),
        settings=settings(trusted_url=trusted_url),
        defaults=True,
        overwrite=True,
        quiet=True,
        recorded_src=recorded_src,
        recorded_version=recorded_version,
        external_root=external_root,
        admit=admit,
    )
    worker.__dict__["template"] = template
    return worker


def migration_worker(
    folder: Path, dest: Path, *, version: str, pep440: Any, answers_file: str, data: Mapping[str, Any]
) -> Any:
    """Return a Worker that runs the migrations of the template version in `folder` in the repo `dest`, as
    `copier update` runs them there; it renders nothing. `data` are the update's answers.

    copier reads a template's version (`commit`, and its PEP 440 `version`) from its git checkout; scaffold's
    checkouts are plain folders and the bundled template has no git, so the version is given: `version` as
    recorded (`_commit`), `pep440` as copier parses it. Consent is decided before (trust.consent).
    """
    template = template_of(folder)
    template.__dict__["commit"] = version
    template.__dict__["version"] = pep440
    worker = Worker(
        src_path=str(template.url), dst_path=dest, data=dict(data), answers_file=Path(answers_file),
        settings=settings(trusted_url=str(template.url)), defaults=True, quiet=True,
    )  # fmt: skip
    worker.__dict__["template"] = template
    return worker


def migration_tasks(worker: Any, stage: str, version_from: str, pep440_from: Any) -> list[Any]:
    """Return the migrations of `worker`'s template that copier runs at `stage` ("before" or "after") of an
    update from `version_from`, selected by version as copier selects them (`Template.migration_tasks`).

    copier takes the version updated from from a Template of the old version, of which it reads only
    `commit` and `version`: one is made holding them, never read from disk.
    """
    old = Template(url=str(worker.template.url))
    old.__dict__["commit"] = version_from
    old.__dict__["version"] = pep440_from
    return list(worker.template.migration_tasks(stage, old))


def _update_operation() -> Any:
    """Set copier's current operation to "update" (its private `_operation`, which only run_update sets): tasks
    see it as `_copier_operation` and `COPIER_OPERATION`. Returns the token to reset it with."""
    from copier._main import _operation

    return _operation, _operation.set("update")


def task_commands(worker: Any, tasks: list[Any]) -> list[str]:
    """Return the commands of `tasks` that would run, rendered as copier's private `_execute_tasks` renders them
    (their `when`, then the command), for a preview: copier's own dry run prints them instead of returning them."""
    from copier import Phase
    from copier._tools import cast_to_bool

    found = []
    operation, token = _update_operation()
    try:
        with Phase.use(Phase.MIGRATE):
            for task in tasks:
                extra = {f"_{k}": v for k, v in task.extra_vars.items()} | {"_copier_operation": "update"}
                if not cast_to_bool(worker._render_value(task.condition, extra)):
                    continue
                if isinstance(task.cmd, str):
                    found.append(worker._render_string(task.cmd, extra))
                else:
                    found.append(shlex.join(worker._render_string(str(part), extra) for part in task.cmd))
    finally:
        operation.reset(token)
    return found


def run_tasks(worker: Any, tasks: list[Any]) -> None:
    """Run `tasks` in `worker`'s destination in the migrate phase of an update, with copier's private
    `_execute_tasks` (the only code that runs them); a failing one raises copier's TaskError."""
    from copier import Phase

    operation, token = _update_operation()
    try:
        with Phase.use(Phase.MIGRATE):
            worker._execute_tasks(tasks)
    finally:
        operation.reset(token)
