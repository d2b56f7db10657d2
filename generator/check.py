"""`scaffold check`: for CI, whether generated repos are on the newest template version and which files drifted.

Each file the template produces is compared three ways: the repo's work tree, the pristine render
of the version the repo is on (from its git history, as `scaffold update` uses it), and a fresh
render of the newest version for the repo's answers. Nothing is written to the repo.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from generator import gitrepo
from generator.config import OrgAnswers
from generator.errors import EXIT_ACTION_NEEDED, EXIT_BAD_INPUT, EXIT_OK, ScaffoldError
from generator.merge_base import base_files, recorded_pristine
from generator.ownership import OWNED, SKIPPED, ownership_of_template
from generator.policy import fixed_violations
from generator.pristine import pristine_history
from generator.refusals import refuse_other_template
from generator.rerender import FreshRender, fresh_render, read_recorded, same_template, source_for, version_key
from generator.secret_answers import holds_placeholder, same_but_secrets
from generator.secret_merge import values_held
from generator.snapshots import Snapshot, of_commit, of_folder
from generator.sources import TemplateSource
from generator.trust.consent import NO_CONSENT, Consent

UNCHANGED = "unchanged"
"""Exactly what the newest template version produces for the repo's answers."""
MODIFIED = "modified"
"""Edited in the repo; the template has not changed it since the repo's version."""
OUTDATED = "outdated"
"""Untouched in the repo, but the newest template version has it different (or new, or removed)."""
MODIFIED_OUTDATED = "modified+outdated"
"""Edited in the repo, and changed by the template too: an update will merge it."""
DELETED = "deleted"
"""Deleted in the repo, though the template still has it."""
DIFFERS = "differs"
"""Not what the newest version produces; without the repo's history, whether it was edited is unknown."""
MISSING = "missing"
"""Not in the repo, though the newest version produces it; without history, whether it was deleted is unknown."""
PLACEHOLDER = "placeholder"
"""Holds a secret answer's placeholder where the repo's value belongs: a pristine commit's line reached the
branch (an update pull request merged by rebase replays the pristine commits, not the merge that fills them in)."""

_LOCAL_CHANGES = (MODIFIED, MODIFIED_OUTDATED, DELETED, DIFFERS, MISSING)


@dataclass(frozen=True)
class FileDrift:
    """One template file of a repo and how it compares."""

    path: str
    status: str
    ownership: str = OWNED
    """`owned` (a local edit is drift), `seeded` or `skip-if-exists` (the team's file: edits are information)."""


@dataclass
class RepoReport:
    """The state of one generated repo."""

    path: str
    answers_file: str | None = None
    """The answers file of the template checked (a repo can have several, one report each)."""
    template: str | None = None
    version: str | None = None
    newest: str | None = None
    files: list[FileDrift] = field(default_factory=list)
    """Every file the template produces or produced, with its status."""
    base_known: bool = True
    """Whether the pristine render of the repo's version was found, so edits and template changes are told apart."""
    error: str | None = None
    policy: list[str] = field(default_factory=list)
    """The org's fixed answers the repo's answers contradict, one line each."""
    conflict_markers: list[str] = field(default_factory=list)
    """Tracked files holding conflict markers (e.g. committed by an update pull request left unresolved)."""

    @property
    def behind(self) -> bool:
        """Whether a newer template version is available, or the newest one would change files."""
        now, newest = version_key(self.version), version_key(self.newest)
        return (now is not None and newest is not None and now < newest) or bool(self.outdated)

    @property
    def drifted(self) -> list[FileDrift]:
        """The owned files changed in the repo: edited or deleted (or, without history, different or missing)."""
        return [
            f for f in self.files if (f.status in _LOCAL_CHANGES and f.ownership == OWNED) or f.status == PLACEHOLDER
        ]

    @property
    def seeded_edits(self) -> list[FileDrift]:
        """The seeded files the team changed: information, never drift."""
        return [f for f in self.files if f.status in _LOCAL_CHANGES and f.ownership != OWNED]

    @property
    def outdated(self) -> list[FileDrift]:
        """The files the newest template version changes (those copier never rewrites excepted)."""
        return [f for f in self.files if f.status in (OUTDATED, MODIFIED_OUTDATED) and f.ownership != SKIPPED]

    @property
    def status(self) -> str:
        """`error`, `up to date`, or what is wrong: `behind`, `drifted`, `fixed answers differ`, `conflict markers`."""
        if self.error is not None:
            return "error"
        flags = (
            ("behind", self.behind),
            ("drifted", bool(self.drifted)),
            ("fixed answers differ", bool(self.policy)),
            ("conflict markers", bool(self.conflict_markers)),
        )
        states = [name for name, on in flags if on]
        return ", ".join(states) or "up to date"

    @property
    def exit_code(self) -> int:
        """2 on error; 1 when behind, an owned file drifted, an answer contradicts the org's or markers are left."""
        if self.error is not None:
            return EXIT_BAD_INPUT
        return EXIT_ACTION_NEEDED if self.behind or self.drifted or self.policy or self.conflict_markers else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data, for `--json`."""
        data = asdict(self)
        data.update(
            status=self.status,
            behind=self.behind,
            drifted=bool(self.drifted),
            seeded_edits=[f.path for f in self.seeded_edits],
            exit_code=self.exit_code,
        )
        return data


def check(
    paths: Iterable[Path],
    source: TemplateSource | None = None,
    *,
    trusted: Consent = NO_CONSENT,
    org: OrgAnswers | None = None,
) -> list[RepoReport]:
    """Check every repo in `paths`; a repo that cannot be checked gets a report with its error."""
    return [check_repo(path, source, trusted=trusted, org=org) for path in paths]


def exit_code(reports: list[RepoReport]) -> int:
    """The exit code of `scaffold check` for these reports: the worst of theirs."""
    return max((r.exit_code for r in reports), default=0)


def check_repo(
    repo: Path,
    source: TemplateSource | None = None,
    *,
    trusted: Consent = NO_CONSENT,
    org: OrgAnswers | None = None,
    answers_file: str | None = None,
) -> RepoReport:
    """Compare one repo with the newest version of its template (`source`, else the installed or newest tag).

    `answers_file` names the template when several were applied (default: the answers file found first).
    `org`'s fixed answers are policy: the newest render uses them, and a recorded answer that
    contradicts one is reported. `trusted` is the user's consent, decided on the template that renders.
    """
    report = RepoReport(path=str(repo), answers_file=answers_file)
    try:
        _fill(report, repo, source, trusted, org or OrgAnswers())
    except ScaffoldError as error:
        report.error = error.message
    return report


def _fill(report: RepoReport, repo: Path, source: TemplateSource | None, trusted: Consent, org: OrgAnswers) -> None:
    if not repo.is_dir():
        raise ScaffoldError(f"{repo} is not a folder")
    recorded = read_recorded(repo, report.answers_file)
    report.answers_file, report.template, report.version = recorded.answers_file, recorded.src, recorded.version
    kept = None
    if gitrepo.is_repo(repo):  # before anything is fetched, as update does
        history = pristine_history(repo, answers_file=recorded.answers_file)
        refuse_other_template(repo, recorded, history)
        found = recorded_pristine(repo, recorded, history)  # also on another ref: a squashed history lost it
        kept = None if found is None else partial(values_held, repo, found.sha, None)  # secrets pass their validators
    newest_source = source or source_for(recorded)
    if not same_template(newest_source.recorded_src, recorded.src):
        raise ScaffoldError(f"{repo} was made from template {recorded.src}, not {newest_source.recorded_src}")
    with fresh_render(
        newest_source, recorded, trusted=trusted, org=org, real=True, secrets_kept=kept, repo=repo
    ) as fresh:
        report.newest = fresh.source.version
        report.policy = fixed_violations(recorded.answers, fresh.answers, org)
        owners = ownership_of_template(Path(fresh.source.src))
        now, newest = version_key(recorded.version), version_key(fresh.source.version)
        if now is not None and newest is not None and now > newest:
            raise ScaffoldError(
                f"{repo} is on template version {recorded.version}, newer than the newest available {newest}; "
                "accepted: a newer scaffold (or template) to check it with"
            )
        base = base_files(repo, recorded, trusted=trusted, same_release=fresh.files if now == newest else None)
        paths = sorted(set(base or {}) | set(fresh.files))
        held = work_tree_files(repo, paths)
        ours = as_rendered(held, [fresh.files, base or {}], fresh.secrets, fresh)
        report.base_known = base is not None
        report.files = [
            FileDrift(
                p,
                PLACEHOLDER if placeholder_left(p, held, fresh) else classify(p, base, ours, fresh.files),
                owners.of(p),
            )
            for p in paths
        ]
        report.files = [f for f in report.files if f.status]
    report.conflict_markers = conflict_markers(repo)


def work_tree_files(repo: Path, paths: list[str]) -> Snapshot:
    """Return the files among `paths` as they are in the work tree, as git sees them.

    A file git reports unchanged is taken from HEAD: in a clone with `core.autocrlf=true` (or `eol`
    attributes) its work-tree bytes end lines in CRLF, yet it is exactly what was committed.
    """
    files = of_folder(repo, paths)
    has_head = gitrepo.is_repo(repo) and gitrepo.git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).stdout
    if not has_head:
        return files
    status = gitrepo.git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames").stdout
    changed = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    committed = of_commit(repo, "HEAD", [p for p in paths if p in files and p not in changed])
    return {**files, **committed}


def as_rendered(
    ours: Snapshot, renders: list[Snapshot], secrets: frozenset[str], fresh: FreshRender | None = None
) -> Snapshot:
    """Return the repo's files `ours`, each that is one of `renders` but for its secret values taken as that render.

    Renders hold a placeholder for each secret answer (secret_answers), and check is given no secret:
    a file that differs from a render only where the render has placeholders is that render. A file
    that is `fresh`'s render with the values the repo holds (`FreshRender.real`) is `fresh`'s render:
    that covers a secret the template transforms (`b64encode`), which no placeholder shows.
    """
    if not secrets:
        return ours
    seen = dict(ours)
    for path, content in ours.items():
        if fresh is not None and fresh.real is not None and path in fresh.files and content == fresh.real.get(path):
            seen[path] = fresh.files[path]
            continue
        for files in renders:  # a file exactly as a render is that render, even where an older one had a secret
            if same_but_secrets(content, files.get(path), secrets):
                seen[path] = files[path]
                break
    return seen


def placeholder_left(path: str, ours: Snapshot, fresh: FreshRender) -> bool:
    """Return whether the repo's `path` holds a secret's placeholder that the render with the repo's values has not."""
    return holds_placeholder(ours.get(path), fresh.secrets) and not holds_placeholder(
        fresh.real_file(path), fresh.secrets
    )


_MARKERS = (r"^<{7}( |$)", r"^>{7}( |$)")


def conflict_markers(repo: Path) -> list[str]:
    """Return the tracked files holding conflict markers (a `<<<<<<<` and a `>>>>>>>` line), as in the work tree."""
    if not gitrepo.is_repo(repo):
        return []
    found: list[set[str]] = []
    for pattern in _MARKERS:
        grep = gitrepo.git(repo, "grep", "-z", "-l", "-I", "-E", "-e", pattern, check=False)
        found.append({p for p in grep.stdout.split("\0") if p} if grep.returncode == 0 else set())
    return sorted(found[0] & found[1])


def classify(path: str, base: Snapshot | None, ours: Snapshot, newest: Snapshot) -> str:
    """Return how `path` compares: one of the statuses above, or "" when neither the repo nor the template has it."""
    mine, new = ours.get(path), newest.get(path)
    if mine == new:
        return UNCHANGED if new is not None else ""
    if base is None:
        return MISSING if mine is None else DIFFERS
    old = base.get(path)
    if mine is None:
        return DELETED if old is not None else OUTDATED
    edited = mine != old
    if edited and old != new:
        return MODIFIED_OUTDATED
    return MODIFIED if edited else OUTDATED


def format_reports(reports: list[RepoReport]) -> str:
    """Return the human-readable report: one block per repo, listing the files that drifted."""
    blocks = []
    several = {r.path for r in reports if sum(other.path == r.path for other in reports) > 1}
    for report in reports:
        name = f"{report.path} [{report.answers_file}]" if report.path in several else report.path
        if report.error is not None:
            blocks.append(f"{name}: error: {report.error}")
            continue
        lines = [
            f"{name}: {report.status} (template {report.template}, version {report.version}, newest {report.newest})"
        ]
        lines.extend(f"  policy: {line}" for line in report.policy)
        if report.conflict_markers:
            lines.append(f"  conflict markers in: {', '.join(report.conflict_markers)} (resolve them, then commit)")
        listed = [f for f in report.files if f.status != UNCHANGED]
        width = max((len(f.status) for f in listed), default=0)
        lines.extend(f"  {f.status:<{width}}  {f.path}" + _note(f) for f in listed)
        counts: dict[str, int] = {}
        for drift in report.files:
            counts[drift.status] = counts.get(drift.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        lines.append(f"  {len(report.files)} template files: {summary}")
        if not report.base_known:
            lines.append("  (no pristine render in the git history: edits and template changes cannot be told apart)")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _note(drift: FileDrift) -> str:
    if drift.status == PLACEHOLDER:
        return "  (holds scaffold-secret-KEY where a secret's value belongs: put the value in, then commit)"
    if drift.ownership == SKIPPED and drift.status == OUTDATED:  # not counted as behind: no update brings it
        return f"  ({SKIPPED}: updates leave the team's file as it is)"
    if drift.ownership == OWNED or drift.status in (OUTDATED, UNCHANGED):
        return ""
    return f"  ({drift.ownership}: the team's file, not drift)"


def format_json(reports: list[RepoReport]) -> str:
    """Return the reports of one repo (one a template) as the JSON document of a fleet run (fleet.to_json)."""
    from generator.fleet import check_row, to_json  # fleet runs check: imported here, not at the top

    return to_json("check", [check_row(Path(reports[0].path), reports)] if reports else [])
