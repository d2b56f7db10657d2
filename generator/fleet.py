"""Many repos at once: `scaffold check` and `scaffold update` over a fleet, in parallel, never stopping at a failure.

Each repo runs in a worker process of its own (copier and plumbum change the process's working folder
while they clone, so threads would trip over each other). A repo that fails, is refused or crashes
gets a row saying so and the others carry on; the exit code is the worst of all the rows.

The org config takes part: a catalog entry's pinned `ref` is the version its repos are checked
against and updated to, and its `trusted` sources may run their tasks and migrations.
"""

import ctypes
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import checkouts, gitrepo
from generator.config import OrgConfig
from generator.errors import EXIT_BAD_INPUT, EXIT_BUG, EXIT_CANCELLED, EXIT_TERMINATED, RefusedError, ScaffoldError
from generator.repo_lock import git_dir_key
from generator.trust.consent import Consent

if TYPE_CHECKING:
    from generator.check import RepoReport
    from generator.sources import TemplateSource
    from generator.update import UpdateRequest

UP_TO_DATE, BEHIND, UPDATED, PLANNED, CONFLICTS, REFUSED, ERROR, BUG, INTERRUPTED = (
    "up to date",
    "behind",
    "updated",
    "planned",
    "conflicts",
    "refused",
    "error",
    "bug",
    "interrupted",
)
MAX_DEFAULT_JOBS = 8


@dataclass(frozen=True)
class FleetRow:
    """One repo's line of the summary: where it was, where it went (or could go), and how it ended."""

    repo: str
    from_version: str | None
    to_version: str | None
    result: str
    exit_code: int
    detail: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    """The full per-repo report (check's drift report, or update's file list), for `--json`."""

    def as_dict(self) -> dict[str, Any]:
        """Return the row as plain data, for `--json`: the summary fields, then the per-repo report's own."""
        summary = asdict(self)
        report = summary.pop("report")
        return {**summary, **{k: v for k, v in report.items() if k not in summary}}


@dataclass(frozen=True)
class UpdateOptions:
    """The `scaffold update` options applied to every repo of a fleet."""

    vcs_ref: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    conflict: str = "inline"
    plan: bool = False
    restore_deleted: bool = False
    trusted: bool = False


def repo_paths(paths: Iterable[Path], from_file: Path | None = None) -> list[Path]:
    """Return the repos named on the command line and in `from_file` (one path a line, `#` comments), once each.

    Two names of one repo (a symlink to it, a path with `..`) count once: the first is kept.

    Relative paths in the file are taken relative to the file's folder, so a list can live beside the repos.
    """
    found = list(paths)
    if from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ScaffoldError(f"--from-file {from_file} cannot be read: {error}") from None
        for line in lines:
            entry = line.split("#", 1)[0].strip()
            if entry:
                path = Path(entry).expanduser()
                found.append(path if path.is_absolute() else from_file.parent / path)
    unique: dict[Path, Path] = {}
    for path in found:  # one repo named twice (a symlink, `..`) is updated once: keyed by its real git folder
        unique.setdefault(git_dir_key(Path(os.path.abspath(path))), Path(os.path.abspath(path)))
    return list(unique.values())


def default_jobs(count: int) -> int:
    """Return how many repos to work on at once: one per CPU, at most MAX_DEFAULT_JOBS and at most `count`."""
    return max(1, min(count, os.cpu_count() or 1, MAX_DEFAULT_JOBS))


def run(
    paths: Sequence[Path],
    job: Callable[[Path], FleetRow],
    *,
    jobs: int | None = None,
    on_done: Callable[[FleetRow], None] | None = None,
) -> list[FleetRow]:
    """Run `job` (a picklable module-level function) on every repo, `jobs` at a time; rows come back in input order.

    The workers share one folder of template checkouts (see checkouts.shared), removed when all are done.

    `on_done` is called in this process as each repo finishes, for a progress display.
    """
    if not paths:
        return []
    workers = jobs if jobs is not None else default_jobs(len(paths))
    # one clone per template, one folder per version, for the whole run
    with sigterm_as_exit(), checkouts.shared() as folder:
        if workers <= 1:
            rows = []
            for path in paths:
                row = _guarded(job, path)
                rows.append(row)
                if on_done is not None:
                    on_done(row)
            return rows
        return _in_workers(paths, job, workers, folder, on_done)


def _in_workers(
    paths: Sequence[Path],
    job: Callable[[Path], FleetRow],
    count: int,
    folder: Path,
    on_done: Callable[[FleetRow], None] | None,
) -> list[FleetRow]:
    """Run `job` on every repo in `count` worker processes, each taking the next repo when it is free.

    The pool is scaffold's own, not concurrent.futures': that pool, when one worker dies, fails every repo
    in progress and cannot say which repo the dead one was on, nor how it died. Here a worker that dies
    takes only its repo with it, its row says why (`_died`), and a new worker takes the next repo.
    """
    results: dict[int, FleetRow] = {}
    pending = deque(enumerate(paths))
    busy: dict[_Worker, int] = {}
    idle: list[_Worker] = []
    # spawn, not fork: the parent may run threads (the progress display), and forking those is unsafe
    context = multiprocessing.get_context("spawn")
    try:
        while pending or busy:
            while pending and (idle or len(busy) < count):
                worker = idle.pop() if idle else _Worker(context, job, folder)
                index, path = pending.popleft()
                worker.give(path)
                busy[worker] = index
            ready = set(multiprocessing.connection.wait([w.ready for w in busy] + [w.process.sentinel for w in busy]))
            for worker in [w for w in busy if w.ready in ready or w.process.sentinel in ready]:
                index = busy.pop(worker)
                row = worker.row()
                if row is None:
                    worker.process.join()
                    row = _died(paths[index], worker.process.exitcode)
                elif worker.process.is_alive():
                    idle.append(worker)
                else:  # it gave its row, then was killed from outside: its next repo goes to a new worker
                    worker.process.join()
                results[index] = row
                if on_done is not None:
                    on_done(row)
    except BaseException:  # Ctrl-C, SIGTERM: the workers roll back their updates and stop, no waiting
        for worker in [*busy, *idle]:
            worker.process.terminate()
        raise
    for worker in idle:
        worker.stop()
    return [results[i] for i in range(len(paths))]


class _Worker:
    """One worker process of a fleet run and the pipe it takes repos and gives rows through."""

    def __init__(self, context: Any, job: Callable[[Path], FleetRow], folder: Path) -> None:
        self.ready, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, job, folder, os.getpid()), daemon=True)
        self.process.start()
        child.close()

    def give(self, path: Path) -> None:
        """Send the worker its next repo (a worker that died meanwhile is noticed by its sentinel)."""
        with suppress(OSError):
            self.ready.send(path)

    def row(self) -> FleetRow | None:
        """The row of the repo the worker was on, or None when it died before giving one."""
        try:
            return self.ready.recv() if self.ready.poll() else None
        except (EOFError, OSError):
            return None

    def stop(self) -> None:
        """End an idle worker: its pipe closes, it returns."""
        self.ready.close()
        self.process.join()


def _work(parent_end: Any, job: Callable[[Path], FleetRow], folder: Path, parent: int) -> None:
    """A worker process: take repos from the pipe and give back their rows, until the pipe closes."""
    _start_worker(folder, parent)
    try:
        while True:
            try:
                path = parent_end.recv()
            except EOFError:
                return
            parent_end.send(_guarded(job, path))
    except KeyboardInterrupt:  # Ctrl-C reaches the workers too: the job rolled back, the worker stops quietly
        os._exit(128 + signal.SIGINT)


STOPPED_BY = {
    EXIT_TERMINATED: "SIGTERM",
    128 + signal.SIGINT: "SIGINT",
    -signal.SIGTERM: "SIGTERM",
    -signal.SIGINT: "SIGINT",
}
"""Exit codes of a worker stopped by a signal a user sends: its handler exits 128 + signal, or the signal ends it."""


def _died(path: Path, exit_code: int | None) -> FleetRow:
    """The row of a repo whose worker process ended without giving one: interrupted when a user's stop signal ended
    it, else a bug (a crash, or a kill from outside such as the kernel's out-of-memory killer)."""
    from generator.failures import bug_detail

    if exit_code in STOPPED_BY:
        return _error_row(path, INTERRUPTED, EXIT_CANCELLED, f"stopped by {STOPPED_BY[exit_code]} before it finished")
    how = f"exit code {exit_code}"
    if exit_code is not None and exit_code < 0:
        try:
            how = f"killed by {signal.Signals(-exit_code).name}"
        except ValueError:  # a signal Python has no name for (a real-time one)
            how = f"killed by signal {-exit_code}"
    return _error_row(path, BUG, EXIT_BUG, bug_detail(f"the worker process on this repo died ({how})"))


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit for a while (main thread only): a terminated run stops its workers, cleans up.

    Also around a single repo's update: an update in progress then rolls back (update.py) as on Ctrl-C,
    instead of dying half merged; the exit code is 128 + SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    gitrepo.defer_sigterm_during_git()
    try:
        yield
    finally:
        gitrepo.defer_sigterm_during_git(False)
        signal.signal(signal.SIGTERM, previous)


def _start_worker(folder: Path, parent: int) -> None:
    """Set a worker process up: the run's checkout folder, and an end when its parent ends, however it ends.

    SIGTERM raises SystemExit, so an update in progress rolls back (update.py) and temporary folders
    go. On Linux the kernel sends SIGTERM when the parent dies, even by SIGKILL (prctl
    PR_SET_PDEATHSIG); elsewhere a thread watches the parent's pid.
    """
    global _worker_exit_code
    checkouts.use_folder(folder)
    _worker_exit_code = EXIT_TERMINATED
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    gitrepo.defer_sigterm_during_git()
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)


_worker_exit_code: int | None = None
"""Set in a worker process: the exit code it ends with when told to stop (SIGTERM) in the middle of a job."""


def _exit_on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second one must not cut the rollback short
    raise SystemExit(EXIT_TERMINATED)


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent() -> bool:
    """Ask Linux to send this process SIGTERM when its parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def _guarded(job: Callable[[Path], FleetRow], path: Path) -> FleetRow:
    """Run `job`, turning anything it raises into a row: one repo never stops the fleet.

    What `scaffold` on that one repo would report as a bug is a `bug` row with its exit code (70);
    the rest (the repo's, the template's or the user's problem) is an `error` row (2).
    """
    from generator.failures import bug_summary, debug_from_env, translate

    try:
        return job(path)
    except Exception as error:
        known = translate(error)
        if known is not None:
            return _error_row(path, ERROR, max(known.exit_code, EXIT_BAD_INPUT), known.message)
        if debug_from_env():
            traceback.print_exception(error, file=sys.stderr)
        return _error_row(path, BUG, EXIT_BUG, bug_summary(error))
    except SystemExit as stop:
        if _worker_exit_code is not None:  # a worker told to stop: its job cleaned up; the pool would carry on
            os._exit(stop.code if isinstance(stop.code, int) else _worker_exit_code)
        raise


def _error_row(path: Path, result: str, code: int, message: str) -> FleetRow:
    report = {"path": str(path), "status": result, "error": message}
    return FleetRow(str(path), None, None, result, code, message, report)


def exit_code(rows: Iterable[FleetRow]) -> int:
    """Return the worst exit code among the rows (0 when there are none)."""
    return max((row.exit_code for row in rows), default=0)


SCHEMA_VERSION = 1
"""The version of the JSON document `check --json` and `update --json` print (generator/schemas/report.schema.json)."""
REPORT_SCHEMA = Path(__file__).resolve().parent / "schemas" / "report.schema.json"


def to_json(command: str, rows: Sequence[FleetRow]) -> str:
    """Return results as the JSON document of `check --json` and `update --json`, for one repo or many.

    {"schema_version", "command", "exit_code", "counts", "repos": [one entry a repo]}; its JSON Schema
    is REPORT_SCHEMA, and docs/updating.md describes it.
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.result] = counts.get(row.result, 0) + 1
    document = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "exit_code": exit_code(rows),
        "counts": counts,
        "repos": [r.as_dict() for r in rows],
    }
    return json.dumps(document, indent=2)


# --- the per-repo jobs (module level, so worker processes can import them) --------------------------------------


def recorded_src(repo: Path, answers_file: str | None = None) -> str | None:
    """Return the template source `repo`'s answers file (by default the one found first) records, or None."""
    from generator.rerender import read_recorded

    try:
        return read_recorded(repo, answers_file).src
    except ScaffoldError:
        return None


def pinned_ref(org: OrgConfig, src: str | None) -> str | None:
    """Return the version the org config pins the template `src` to (a catalog entry's `ref`), if any."""
    if src is None:
        return None
    from generator.catalog import entry_src
    from generator.rerender import same_template

    for entry in org.templates.values():
        if entry.ref and same_template(entry_src(entry, org), src):
            return entry.ref
    return None


def pinned_source(repo: Path, org: OrgConfig, answers_file: str | None = None) -> "TemplateSource | None":
    """Return the template version the org pins `repo`'s template to, or None to use the newest one."""
    from generator.rerender import read_recorded, source_for

    pin = pinned_ref(org, recorded_src(repo, answers_file))
    return None if pin is None else source_for(read_recorded(repo, answers_file), pin)


def check_report(repo: Path, org: OrgConfig, trust: bool = False, answers_file: str | None = None) -> "RepoReport":
    """Check one repo (one of its templates) against the newest version of its template (or the org's pinned one).

    The template may run code when `trust` (--trust) is set or the org config trusts its source.
    """
    from generator.check import check_repo

    return check_repo(
        repo,
        pinned_source(repo, org, answers_file),
        trusted=Consent(trust, org.trusted),
        org=org.answers,
        answers_file=answers_file,
    )


def check_reports(repo: Path, org: OrgConfig, trust: bool = False) -> list["RepoReport"]:
    """Check each template applied to one repo, one report per answers file (one, for the usual repo)."""
    from generator.answers_files import find_answers_files

    names = find_answers_files(repo) if repo.is_dir() else []
    if len(names) < 2:
        return [check_report(repo, org, trust)]
    return [check_report(repo, org, trust, name) for name in names]


def check_job(repo: Path, org: OrgConfig, trust: bool = False) -> FleetRow:
    """Check one repo as `check_reports` does (each template applied to it), as a row of the fleet's summary."""
    names = _answers_files(repo)
    if len(names) < 2:
        return _check_row(repo, check_report(repo, org, trust))
    return _combined(repo, [(name, _check_row(repo, check_report(repo, org, trust, name))) for name in names])


def check_row(repo: Path, reports: Sequence["RepoReport"]) -> FleetRow:
    """Return the row of one repo checked as `check_reports` did: its report, or with several templates, all."""
    if len(reports) < 2:
        return _check_row(repo, reports[0])
    return _combined(repo, [(str(report.answers_file), _check_row(repo, report)) for report in reports])


def _check_row(repo: Path, report: "RepoReport") -> FleetRow:
    if report.error is not None:
        detail = report.error
    else:
        counts = ((len(report.outdated), "changed by the newest version"), (len(report.drifted), "edited here"))
        detail = ", ".join(f"{n} file{'s' if n != 1 else ''} {what}" for n, what in counts if n)
    return FleetRow(str(repo), report.version, report.newest, report.status, report.exit_code, detail, report.as_dict())


def update_request(
    repo: Path, options: UpdateOptions, org: OrgConfig, answers_file: str | None = None
) -> "UpdateRequest":
    """Return the update request for one repo (one of its templates): the options, with the org's pin and trust."""
    from generator.update import UpdateRequest

    src = recorded_src(repo, answers_file)
    return UpdateRequest(
        repo=repo,
        vcs_ref=options.vcs_ref or pinned_ref(org, src),
        data=dict(options.data),
        conflict=options.conflict,
        plan=options.plan,
        restore_deleted=options.restore_deleted,
        trusted=Consent(options.trusted, org.trusted),
        org=org.answers,
        answers_file=answers_file,
    )


def update_job(repo: Path, options: UpdateOptions, org: OrgConfig) -> FleetRow:
    """Update one repo, each template applied to it in turn, as `scaffold update` does on one repo.

    A refusal (not a repo, uncommitted changes, a merge in progress) becomes its row; conflicts in one
    template leave the next ones for the run after the user resolved them.
    """
    names = _answers_files(repo)
    if len(names) < 2:
        return _update_row(repo, options, org, None)
    rows: list[tuple[str, FleetRow]] = []
    for name in names:
        rows.append((name, _update_row(repo, options, org, name)))
        if rows[-1][1].exit_code:
            break
    return _combined(repo, rows)


def _answers_files(repo: Path) -> list[str]:
    from generator.answers_files import find_answers_files

    return find_answers_files(repo) if repo.is_dir() else []


def _combined(repo: Path, rows: list[tuple[str, FleetRow]]) -> FleetRow:
    """One row for a repo with several templates: the worst outcome, each template's in the detail."""
    worst = max((row for _, row in rows), key=lambda row: row.exit_code)
    changed = [row for _, row in rows if row.result != UP_TO_DATE]
    shown = worst if worst.exit_code or not changed else changed[0]
    detail = "; ".join(f"{name}: {row.result}" + (f" ({row.detail})" if row.detail else "") for name, row in rows)
    report = {"path": str(repo), "templates": [{"answers_file": name, **row.as_dict()} for name, row in rows]}
    first = rows[0][1]
    return FleetRow(str(repo), first.from_version, first.to_version, shown.result, worst.exit_code, detail, report)


def _update_row(repo: Path, options: UpdateOptions, org: OrgConfig, answers_file: str | None) -> FleetRow:
    from generator.update import update

    try:
        result = update(update_request(repo, options, org, answers_file))
    except RefusedError as error:
        return _error_row(repo, REFUSED, error.exit_code, error.message)
    files = [asdict(entry) for entry in result.files]
    report = {
        "path": str(repo),
        "template": result.template,
        "files": files,
        "merge_commit": result.merge_commit,
        "changed_answers": result.changed_answers,
    }
    if result.up_to_date:
        outcome, detail = UP_TO_DATE, ""
    elif result.planned:
        outcome, detail = PLANNED, f"{len(files)} files would change" + _conflict_note(result.conflicts)
    elif result.conflicts:
        outcome, detail = CONFLICTS, _conflict_note(result.conflicts).removeprefix(", ")
    else:
        commit = f", commit {result.merge_commit[:12]}" if result.merge_commit else ""
        outcome, detail = UPDATED, f"{len(files)} files{commit}"
    return FleetRow(str(repo), result.from_version, result.to_version, outcome, result.exit_code, detail, report)


def _conflict_note(conflicts: Sequence[Any]) -> str:
    if not conflicts:
        return ""
    names = [entry.path for entry in conflicts]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f", conflicts in {shown}"


def check_fleet(
    paths: Sequence[Path], org: OrgConfig, *, jobs: int | None = None, on_done: Callable[[FleetRow], None] | None = None
) -> list[FleetRow]:
    """Check every repo in `paths` in parallel."""
    return run(paths, partial(check_job, org=org), jobs=jobs, on_done=on_done)


def update_fleet(
    paths: Sequence[Path],
    options: UpdateOptions,
    org: OrgConfig,
    *,
    jobs: int | None = None,
    on_done: Callable[[FleetRow], None] | None = None,
) -> list[FleetRow]:
    """Update every repo in `paths` in parallel."""
    return run(paths, partial(update_job, options=options, org=org), jobs=jobs, on_done=on_done)
