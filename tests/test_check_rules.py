"""How `scaffold check` classifies and reports drift (generator/check.py), pinned on small inputs.

The three-way comparison, the report's verdicts and its text are plain functions of snapshots and
reports; the work-tree and conflict-marker rules run on tiny git repos; what check renders runs on a
two-file template. tests/test_check.py checks repos of the bundled template.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from generator.check import (
    DELETED,
    DIFFERS,
    MISSING,
    MODIFIED,
    MODIFIED_OUTDATED,
    OUTDATED,
    PLACEHOLDER,
    UNCHANGED,
    FileDrift,
    RepoReport,
    as_rendered,
    check,
    check_repo,
    classify,
    conflict_markers,
    exit_code,
    format_json,
    format_reports,
    work_tree_files,
)
from generator.config import OrgAnswers
from generator.new import NewRequest, create
from generator.ownership import OWNED, SEEDED, SKIPPED
from generator.sources import TemplateSource, resolve
from generator.trust.consent import NO_CONSENT, Consent

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}


def git(repo: Path, *args: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **IDENTITY}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def committed(repo: Path, files: dict[str, bytes]) -> Path:
    repo.mkdir()
    git(repo, "init", "-q")
    for name, content in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "Files")
    return repo


# --- the three-way comparison: the repo, the pristine render of its version (base), the newest render


@pytest.mark.parametrize(
    ("base", "ours", "newest", "status"),
    [
        ("a", "a", "a", UNCHANGED),
        ("a", "b", "b", UNCHANGED),  # the repo already has what the newest version produces
        ("a", "b", "a", MODIFIED),  # edited here, the template left it alone
        ("a", "a", "b", OUTDATED),  # untouched here, changed by the template
        ("a", "b", "c", MODIFIED_OUTDATED),  # both sides changed it: an update merges
        ("a", None, "a", DELETED),
        ("a", None, "b", DELETED),  # deleted here while the template changed it: still the team's deletion
        (None, None, "a", OUTDATED),  # new in the newest version
        ("a", "a", None, OUTDATED),  # removed by the newest version, untouched here
        ("a", "b", None, MODIFIED_OUTDATED),  # removed by the template, edited here
        (None, "b", "a", MODIFIED_OUTDATED),  # new in the template and already here, differently
        (None, None, None, ""),  # neither side has it
        ("a", None, None, ""),  # removed on both sides
    ],
)
def test_a_file_is_classified_by_comparing_the_repo_the_base_and_the_newest_render(
    base: str | None, ours: str | None, newest: str | None, status: str
) -> None:
    def snapshot(content: str | None) -> dict[str, bytes]:
        return {} if content is None else {"f": content.encode()}

    assert classify("f", snapshot(base), snapshot(ours), snapshot(newest)) == status


@pytest.mark.parametrize(
    ("ours", "newest", "status"),
    [("a", "a", UNCHANGED), ("b", "a", DIFFERS), (None, "a", MISSING), ("a", None, DIFFERS), (None, None, "")],
)
def test_without_a_base_an_edit_and_a_template_change_both_read_differs_or_missing(
    ours: str | None, newest: str | None, status: str
) -> None:
    ours_files = {} if ours is None else {"f": ours.encode()}
    newest_files = {} if newest is None else {"f": newest.encode()}

    assert classify("f", None, ours_files, newest_files) == status
    assert (DIFFERS, MISSING, UNCHANGED) == ("differs", "missing", "unchanged")
    assert (MODIFIED, OUTDATED, MODIFIED_OUTDATED, DELETED) == ("modified", "outdated", "modified+outdated", "deleted")


def test_an_empty_base_is_a_known_base_not_a_missing_one() -> None:
    assert classify("f", {}, {"f": b"x"}, {"f": b"y"}) == MODIFIED_OUTDATED


# --- the report's verdicts


def report(*files: FileDrift, version: str | None = "1.0.0", newest: str | None = "1.0.0", **kw: object) -> RepoReport:
    return RepoReport(path="/r", version=version, newest=newest, files=list(files), **kw)  # type: ignore[arg-type]


def test_a_repo_with_every_file_unchanged_on_the_newest_version_is_up_to_date() -> None:
    ok = report(FileDrift("a", UNCHANGED), FileDrift("b", UNCHANGED, SEEDED))

    assert (ok.behind, ok.drifted, ok.outdated, ok.seeded_edits) == (False, [], [], [])
    assert (ok.status, ok.exit_code) == ("up to date", 0)


@pytest.mark.parametrize(
    ("version", "newest", "behind"),
    [
        ("1.0.0", "1.1.0", True),
        ("1.9.0", "1.10.0", True),  # versions compare as versions, not as text
        ("1.1.0", "1.1.0", False),
        ("v1.1.0-2-gabc1234", "1.1.0", False),  # a commit after the tag: newer
        ("1.1.0", "v1.1.0-2-gabc1234", True),
        (None, "1.1.0", False),  # unknown: only the files can tell
        ("1.1.0", None, False),
        ("not a version", "1.1.0", False),
    ],
)
def test_a_repo_is_behind_when_a_newer_version_exists(version: str | None, newest: str | None, behind: bool) -> None:
    assert report(version=version, newest=newest).behind is behind


def test_a_repo_on_the_newest_version_is_behind_when_that_version_would_change_a_file() -> None:
    for status in (OUTDATED, MODIFIED_OUTDATED):
        behind = report(FileDrift("a", status, SEEDED), version=None)
        assert behind.behind and behind.status == "behind" and behind.exit_code == 1


def test_template_changes_to_skip_if_exists_files_are_not_outdated_as_copier_never_writes_them_again() -> None:
    files = [FileDrift("s", OUTDATED, SKIPPED), FileDrift("e", OUTDATED, SEEDED), FileDrift("o", MODIFIED_OUTDATED)]

    assert [f.path for f in report(*files).outdated] == ["e", "o"]
    assert not report(files[0]).behind


def test_only_owned_files_changed_in_the_repo_are_drift_the_others_are_the_teams_edits() -> None:
    changed = [
        FileDrift(name, status, ownership)
        for status in (MODIFIED, MODIFIED_OUTDATED, DELETED, DIFFERS, MISSING)
        for name, ownership in ((f"owned-{status}", OWNED), (f"seeded-{status}", SEEDED), (f"skip-{status}", SKIPPED))
    ]
    untouched = [FileDrift(f"{status}-{o}", status, o) for status in (UNCHANGED, OUTDATED) for o in (OWNED, SEEDED)]
    r = report(*changed, *untouched)

    assert [f.path for f in r.drifted] == [f.path for f in changed if f.ownership == OWNED]
    assert [f.path for f in r.seeded_edits] == [f.path for f in changed if f.ownership != OWNED]


def test_a_repo_with_only_seeded_edits_is_up_to_date_and_exits_0() -> None:
    r = report(FileDrift("main.go", MODIFIED, SEEDED), FileDrift("README.md", DELETED, SEEDED))

    assert (r.status, r.exit_code, r.drifted) == ("up to date", 0, [])


@pytest.mark.parametrize(
    ("kw", "status"),
    [
        ({"files": [FileDrift("Dockerfile", MODIFIED)]}, "drifted"),
        ({"policy": ["tier: gold, fixed by the org to silver"]}, "fixed answers differ"),
        ({"conflict_markers": ["README.md"]}, "conflict markers"),
        ({"newest": "2.0.0"}, "behind"),
    ],
)
def test_each_thing_wrong_makes_the_status_and_exits_1(kw: dict[str, object], status: str) -> None:
    r = RepoReport(path="/r", version="1.0.0", newest="1.0.0")
    for key, value in kw.items():
        setattr(r, key, value)

    assert (r.status, r.exit_code) == (status, 1)


def test_everything_wrong_at_once_is_listed_in_one_status() -> None:
    r = report(
        FileDrift("Dockerfile", MODIFIED), newest="2.0.0", policy=["tier differs"], conflict_markers=["README.md"]
    )

    assert r.status == "behind, drifted, fixed answers differ, conflict markers"
    assert r.exit_code == 1


def test_a_report_with_an_error_is_an_error_whatever_else_it_holds() -> None:
    r = report(FileDrift("Dockerfile", MODIFIED), newest="2.0.0", error="boom")

    assert (r.status, r.exit_code) == ("error", 2)


def test_check_exits_with_the_worst_code_of_its_reports() -> None:
    ok, behind, broken = report(), report(newest="2.0.0"), report(error="bad")

    assert exit_code([ok, behind, ok]) == 1
    assert exit_code([behind, broken, ok]) == 2
    assert exit_code([ok]) == 0 and exit_code([]) == 0


def test_the_json_report_adds_the_verdicts_to_the_recorded_fields() -> None:
    r = report(FileDrift("Dockerfile", MODIFIED), FileDrift("main.go", MODIFIED, SEEDED), newest="2.0.0")

    data = r.as_dict()

    assert (data["status"], data["behind"], data["drifted"], data["exit_code"]) == ("behind, drifted", True, True, 1)
    assert data["seeded_edits"] == ["main.go"]
    assert data["files"][0] == {"path": "Dockerfile", "status": MODIFIED, "ownership": OWNED}
    assert (data["path"], data["version"], data["newest"], data["base_known"]) == ("/r", "1.0.0", "2.0.0", True)


def test_a_path_that_is_not_a_folder_is_a_report_with_an_error(tmp_path: Path) -> None:
    r = check_repo(tmp_path / "nothing")

    assert r.error == f"{tmp_path / 'nothing'} is not a folder" and r.exit_code == 2


# --- the report as text


def test_the_text_report_lists_what_changed_aligned_with_a_count_of_every_status() -> None:
    r = report(
        FileDrift("go.mod", UNCHANGED),
        FileDrift("Dockerfile", MODIFIED_OUTDATED),
        FileDrift("Makefile", OUTDATED),
        FileDrift("main.go", MODIFIED, SEEDED),
        FileDrift("README.md", OUTDATED, SEEDED),
        FileDrift("local.env", DELETED, SKIPPED),
        template="bundled:go-service",
        newest="1.1.0",
        policy=["tier: gold, fixed by the org to silver"],
        conflict_markers=["a.txt", "b.txt"],
    )

    assert format_reports([r]).splitlines() == [
        "/r: behind, drifted, fixed answers differ, conflict markers "
        "(template bundled:go-service, version 1.0.0, newest 1.1.0)",
        "  policy: tier: gold, fixed by the org to silver",
        "  conflict markers in: a.txt, b.txt (resolve them, then commit)",
        "  modified+outdated  Dockerfile",
        "  outdated           Makefile",
        "  modified           main.go  (seeded: the team's file, not drift)",
        "  outdated           README.md",  # the template's change to a seeded file is no edit of the team's
        "  deleted            local.env  (skip-if-exists: the team's file, not drift)",
        "  6 template files: 1 deleted, 1 modified, 1 modified+outdated, 2 outdated, 1 unchanged",
    ]


def test_a_text_report_without_a_base_says_edits_and_template_changes_cannot_be_told_apart() -> None:
    lines = format_reports([report(FileDrift("go.mod", UNCHANGED), base_known=False)]).splitlines()

    assert lines[1:] == [
        "  1 template files: 1 unchanged",
        "  (no pristine render in the git history: edits and template changes cannot be told apart)",
    ]


def test_reports_of_several_templates_in_one_repo_are_named_by_answers_file_and_errors_take_one_line() -> None:
    first = report(FileDrift("go.mod", UNCHANGED), answers_file=".copier-answers.yml")
    second = RepoReport(path="/r", answers_file=".copier-answers.ci.yml", error="cannot read it")
    other = RepoReport(path="/other", answers_file=".copier-answers.yml", error="bad")

    lines = format_reports([first, second, other]).splitlines()

    assert lines[0].startswith("/r [.copier-answers.yml]: up to date (")
    assert lines[2:] == ["/r [.copier-answers.ci.yml]: error: cannot read it", "/other: error: bad"]
    assert format_reports([]) == ""


# --- the repo's files, as git sees them


def test_a_file_git_reports_unchanged_is_read_from_head_even_when_the_work_tree_ends_lines_in_crlf(
    tmp_path: Path,
) -> None:
    origin = committed(tmp_path / "origin", {"a.txt": b"one\ntwo\n", "b.txt": b"b\n", "gone.txt": b"g\n", "c": b"c\n"})
    repo = tmp_path / "clone"
    git(tmp_path, "-c", "core.autocrlf=true", "clone", "-q", str(origin), str(repo))
    git(repo, "config", "core.autocrlf", "true")
    assert (repo / "a.txt").read_bytes() == b"one\r\ntwo\r\n"  # the checkout ended lines in CRLF
    (repo / "b.txt").write_bytes(b"edited\n")
    (repo / "c").write_bytes(b"edited c\n")  # a one-letter name: git status lists it as " M c"
    (repo / "gone.txt").unlink()
    (repo / "new.txt").write_bytes(b"new\r\n")
    assert git(repo, "status", "--porcelain", "--", "a.txt") == ""

    files = work_tree_files(repo, ["a.txt", "b.txt", "c", "gone.txt", "new.txt", "absent.txt"])

    assert files == {"a.txt": b"one\ntwo\n", "b.txt": b"edited\n", "c": b"edited c\n", "new.txt": b"new\r\n"}


def test_without_git_or_without_a_commit_the_work_tree_is_read_as_it_is(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_bytes(b"a\r\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    (empty / "a.txt").write_bytes(b"a\r\n")

    assert work_tree_files(plain, ["a.txt", "b.txt"]) == {"a.txt": b"a\r\n"}
    assert work_tree_files(empty, ["a.txt"]) == {"a.txt": b"a\r\n"}


def test_conflict_markers_are_a_pair_of_marker_lines_in_a_tracked_text_file(tmp_path: Path) -> None:
    pair = b"<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> other\n"
    repo = committed(
        tmp_path / "r",
        {
            "both.txt": pair,
            "bare.txt": b"x\n<<<<<<<\n>>>>>>>\n",  # markers without a label count too
            "sub/deep.md": pair,
            "open-only.txt": b"<<<<<<< HEAD\n",
            "close-only.txt": b">>>>>>> other\n",
            "eight.txt": b"<<<<<<<< a\n>>>>>>>> b\n",  # eight of them: no marker
            "indented.txt": b" <<<<<<< a\n >>>>>>> b\n",
            "glued.txt": b"<<<<<<<a\n>>>>>>>b\n",
            "binary.bin": pair + b"\0",  # git grep -I: a binary file is not text to resolve
        },
    )
    (repo / "untracked.txt").write_bytes(pair)
    (repo / "open-only.txt").write_bytes(pair)  # the work tree counts, as CI checks its checkout

    assert conflict_markers(repo) == ["bare.txt", "both.txt", "open-only.txt", "sub/deep.md"]


def test_a_repo_without_conflict_markers_has_none_to_report(tmp_path: Path) -> None:
    repo = committed(tmp_path / "r", {"a.txt": b"=======\n", "b.txt": b"<<<<<<< HEAD\n"})

    assert conflict_markers(repo) == []


def test_a_folder_without_git_has_no_conflict_markers_to_report(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"<<<<<<< HEAD\n>>>>>>> other\n")

    assert conflict_markers(tmp_path) == []


# --- what check renders, on a two-file template

COPIER_YML = """\
_subdirectory: template
_scaffold:
  owned: [Dockerfile]
service_name:
  type: str
tier:
  type: str
  default: silver
"""


def two_file_template(folder: Path, copier_yml: str = COPIER_YML) -> Path:
    (folder / "template").mkdir(parents=True)
    (folder / "copier.yml").write_text(copier_yml)
    (folder / "template" / "Dockerfile.jinja").write_text("FROM scratch # {{ tier }}\n")
    (folder / "template" / "README.md.jinja").write_text("# {{ service_name }}\n")
    (folder / "template" / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers|to_nice_yaml }}")
    return folder


def source(folder: Path, version: str = "1.0.0", recorded: Path | None = None) -> TemplateSource:
    return TemplateSource(src=str(folder), recorded_src=str(recorded or folder), version=version)


def made(tmp_path: Path, template: Path, trusted: Consent = NO_CONSENT) -> Path:
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=source(template), trusted=trusted))
    return repo


def edit_answers(repo: Path, old: str, new: str) -> None:
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(old, new))
    git(repo, "commit", "-q", "--no-verify", "-am", "Edit answers")


def test_check_renders_the_newest_version_with_the_orgs_fixed_answers_and_reports_recorded_ones_they_contradict(
    tmp_path: Path,
) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)

    (r,) = check([repo], source(template), org=OrgAnswers(fixed={"tier": "gold"}))

    assert r.policy == ["tier is 'silver', fixed to 'gold' by the org config"]
    assert {f.path: f.status for f in r.files}["Dockerfile"] == OUTDATED  # rendered with tier gold
    assert (r.status, r.exit_code) == ("behind, fixed answers differ", 1)


def test_check_compares_with_the_source_it_is_given(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    newer = two_file_template(tmp_path / "t2")
    (newer / "template" / "Dockerfile.jinja").write_text("FROM scratch # {{ tier }} v2\n")

    (r,) = check([repo], source(newer, "1.1.0", recorded=template))

    assert (r.template, r.version, r.newest) == (str(template), "1.0.0", "1.1.0")
    assert {f.path: f.status for f in r.files}["Dockerfile"] == OUTDATED


def test_check_with_the_source_of_another_template_is_an_error(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    other = two_file_template(tmp_path / "other")

    r = check_repo(repo, source(other))

    assert r.error == f"{repo} was made from template {template}, not {other}"


def test_a_repo_on_a_version_newer_than_the_newest_available_is_an_error(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    edit_answers(repo, "_commit: 1.0.0", "_commit: 2.0.0")

    r = check_repo(repo, source(template, "1.0.0"))

    assert r.error == (
        f"{repo} is on template version 2.0.0, newer than the newest available 1.0.0; "
        "accepted: a newer scaffold (or template) to check it with"
    )


def test_an_edited_src_path_is_refused_before_check_renders_the_template_it_names(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    other = two_file_template(tmp_path / "other")
    edit_answers(repo, f"_src_path: {template}", f"_src_path: {other}")

    r = check_repo(repo)

    assert r.error == (
        f"_src_path {other} in .copier-answers.yml of {repo} is not the template its history was rendered from "
        f"({template}); accepted: {template}, or move the repo with scaffold update --template SRC"
    )


def test_check_renders_a_template_that_runs_code_only_with_the_users_consent(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t", COPIER_YML + "_tasks: ['true']\n")
    repo = made(tmp_path, template, trusted=Consent(flag=True))

    (refused,) = check([repo], source(template))
    (consented,) = check([repo], source(template), trusted=Consent(flag=True))

    assert refused.error is not None and "wants to run code on this machine: tasks `true`" in refused.error
    assert (consented.error, consented.status) == (None, "up to date")


def test_check_reads_the_answers_file_it_is_given(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    other = two_file_template(tmp_path / "other")
    second = (repo / ".copier-answers.yml").read_text().replace(str(template), str(other))
    (repo / ".copier-answers.ci.yml").write_text(second)

    r = check_repo(repo, answers_file=".copier-answers.ci.yml")

    assert (r.answers_file, r.template) == (".copier-answers.ci.yml", str(other))


def test_without_history_a_repo_on_the_newest_version_is_compared_with_that_versions_render(tmp_path: Path) -> None:
    # a folder template cannot render an older release again; at the newest one, its render is the base
    template = two_file_template(tmp_path / "t")
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=source(template), git_init=False))
    (repo / "Dockerfile").write_text("FROM scratch # edited\n")

    r = check_repo(repo, source(template))

    assert r.base_known and {f.path: f.status for f in r.files}["Dockerfile"] == MODIFIED


def test_the_render_of_another_template_applied_beside_does_not_make_an_edited_src_path_its_own(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    repo = made(tmp_path, template)
    other = two_file_template(tmp_path / "other")
    branch = git(repo, "branch", "--show-current").strip()
    git(repo, "checkout", "-q", "--orphan", "ci")
    git(repo, "rm", "-rfq", ".")
    (repo / ".copier-answers.ci.yml").write_text(f"_commit: 1.0.0\n_src_path: {other}\n")
    git(repo, "add", "-A")
    message = f"Render\n\nScaffold-Template: {other}\nScaffold-Template-Version: 1.0.0\n"
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    git(repo, "checkout", "-q", branch)
    git(repo, "merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "Apply ci", "ci")
    edit_answers(repo, f"_src_path: {template}", f"_src_path: {other}")

    r = check_repo(repo)

    assert r.error is not None and r.error.startswith(f"_src_path {other} in .copier-answers.yml of {repo} is not")


def test_the_json_document_names_each_repo_checked() -> None:
    (one,) = json.loads(format_json([report()]))["repos"]
    (several,) = json.loads(format_json([report(answers_file="a.yml"), report(answers_file="b.yml")]))["repos"]

    assert (one["repo"], one["path"]) == ("/r", "/r")
    assert (several["repo"], several["path"]) == ("/r", "/r")  # one entry a repo, its templates within
    assert [t["answers_file"] for t in several["templates"]] == ["a.yml", "b.yml"]
    assert json.loads(format_json([]))["repos"] == []


def test_a_file_that_differs_from_a_render_only_in_its_secret_values_is_that_render() -> None:
    render = {"env": b"TOKEN=scaffold-secret-token\n", "plain": b"x\n"}
    base = {"old": b"KEY=scaffold-secret-token\nold\n"}
    ours = {"env": b"TOKEN=s3cret\n", "plain": b"y\n", "old": b"KEY=abc\nold\n", "edited": b"TOKEN=s3cret  # ours\n"}
    renders = [render, {**base, "edited": b"TOKEN=scaffold-secret-token\n"}]

    seen = as_rendered(ours, renders, frozenset({"token"}))

    assert seen == {
        "env": render["env"],  # the newest render, but for the secret
        "plain": b"y\n",  # no placeholder: compared as it is
        "old": base["old"],  # the base render, but for the secret
        "edited": b"TOKEN=s3cret  # ours\n",  # more than the secret changed: an edit
    }
    assert as_rendered(ours, renders, frozenset()) == ours  # no secret question: the files as they are


def test_a_skip_if_exists_file_the_newest_template_changes_says_updates_leave_it_alone() -> None:
    # after an update the repo is up to date, yet the template's newer version of such a file never reaches it
    r = report(FileDrift("CHANGELOG.md", OUTDATED, SKIPPED), FileDrift("go.mod", UNCHANGED))

    lines = format_reports([r]).splitlines()

    assert lines[0].startswith("/r: up to date")
    assert lines[1] == "  outdated  CHANGELOG.md  (skip-if-exists: updates leave the team's file as it is)"


def test_a_file_exactly_as_the_newest_render_is_that_render_though_the_base_held_a_secret_there() -> None:
    # the newest version no longer renders the secret into it: the repo's file is what it produces
    newest, base = {"f": b"TOKEN=fixed\n"}, {"f": b"TOKEN=scaffold-secret-token\n"}

    seen = as_rendered({"f": b"TOKEN=fixed\n"}, [newest, base], frozenset({"token"}))

    assert seen == newest and classify("f", base, seen, newest) == UNCHANGED  # not "outdated"


# --- secret answers: check is given no secret, and compares the repo's files with renders holding placeholders

SECRET = "s3cret-value"
SECRET_YML = COPIER_YML + "api_token:\n  type: str\n  secret: true\n  default: changeme-default\n"


def secret_template(folder: Path, copier_yml: str = SECRET_YML) -> Path:
    """The two-file template with a secret token, rendered as it is into one file and transformed into another."""
    two_file_template(folder, copier_yml)
    (folder / "template" / "config.env.jinja").write_text("TOKEN={{ api_token }}\n")
    (folder / "template" / "b64.txt.jinja").write_text("A={{ api_token | b64encode }}\n")
    return folder


def made_with_secret(tmp_path: Path, template: Path) -> Path:
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=source(template), given={"api_token": SECRET}))
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"
    return repo


def statuses(r: RepoReport) -> dict[str, str]:
    return {f.path: f.status for f in r.files}


def test_a_repo_holding_its_secret_values_even_transformed_is_up_to_date(tmp_path: Path) -> None:
    # check is given no secret: it reads the value from the repo's files to render the transformed one
    repo = made_with_secret(tmp_path, secret_template(tmp_path / "t"))

    (r,) = check([repo], source(tmp_path / "t"))

    assert set(statuses(r).values()) == {UNCHANGED} and {"config.env", "b64.txt"} <= set(statuses(r))
    assert (r.status, r.exit_code, exit_code([r])) == ("up to date", 0, 0)


def test_a_secret_edited_next_to_or_transformed_differently_is_drift(tmp_path: Path) -> None:
    repo = made_with_secret(tmp_path, secret_template(tmp_path / "t"))
    (repo / "config.env").write_text(f"TOKEN={SECRET}  # ours\n")
    (repo / "b64.txt").write_text("A=b3RoZXI=\n")  # another value's base64: not the repo's secret transformed
    git(repo, "commit", "-q", "--no-verify", "-am", "Edit the token lines")

    (r,) = check([repo], source(tmp_path / "t"))

    assert (statuses(r)["config.env"], statuses(r)["b64.txt"]) == (MODIFIED, MODIFIED)
    assert (r.status, r.exit_code) == ("drifted", 1)


def test_a_placeholder_left_where_the_secret_belongs_is_reported_as_drift_naming_the_file(tmp_path: Path) -> None:
    # a rebase-merged update replays the pristine commit's line onto the branch
    template = secret_template(tmp_path / "t")
    (template / "template" / "client.env.jinja").write_text("CLIENT_TOKEN={{ api_token }}\n")
    (template / "template" / "HELP.md").write_text(
        "Set scaffold-secret-api_token in your vault.\n"
    )  # the template's own
    repo = made_with_secret(tmp_path, template)
    (repo / "client.env").write_text("CLIENT_TOKEN=scaffold-secret-api_token\n")
    git(repo, "commit", "-q", "--no-verify", "-am", "Rebase merged")

    (r,) = check([repo], source(template))

    assert {p: s for p, s in statuses(r).items() if s != UNCHANGED} == {"client.env": PLACEHOLDER}
    assert "HELP.md" in statuses(r)
    assert (r.status, r.exit_code, [f.path for f in r.drifted]) == ("drifted", 1, ["client.env"])
    assert (
        "  placeholder  client.env  (holds scaffold-secret-KEY where a secret's value belongs: put the value in, "
        "then commit)"
    ) in format_reports([r]).splitlines()


def test_a_repo_behind_keeps_its_secret_where_the_newest_version_changes_the_file(tmp_path: Path) -> None:
    template = secret_template(tmp_path / "t")
    repo = made_with_secret(tmp_path, template)
    newer = secret_template(tmp_path / "t2")
    (newer / "template" / "config.env.jinja").write_text("TOKEN={{ api_token }}\nMODE=second\n")
    (newer / "template" / "README.md.jinja").unlink()

    (r,) = check([repo], source(newer, "1.1.0", recorded=template))

    assert statuses(r)["config.env"] == OUTDATED  # the base render, but for the secret: untouched here
    assert statuses(r)["README.md"] == OUTDATED  # removed by the newest version, untouched here
    assert (r.status, r.exit_code) == ("behind", 1)


def test_a_secret_that_is_no_text_is_compared_as_it_is(tmp_path: Path) -> None:
    # a number has no placeholder: it is rendered as it is, and there is no render with real values
    yml = COPIER_YML + "replicas:\n  type: int\n  secret: true\n  default: 3\n"
    template = two_file_template(tmp_path / "t", yml)
    (template / "template" / "replicas.txt.jinja").write_text("{{ replicas }}\n")
    repo = made(tmp_path, template)
    (repo / "Dockerfile").write_text("FROM scratch # edited\n")
    git(repo, "commit", "-q", "--no-verify", "-am", "Edit")

    (r,) = check([repo], source(template))

    assert (repo / "replicas.txt").read_text() == "3\n"
    assert {p: s for p, s in statuses(r).items() if s != UNCHANGED} == {"Dockerfile": MODIFIED}


def test_check_renders_for_the_repos_folder_as_update_does(tmp_path: Path) -> None:
    template = two_file_template(tmp_path / "t")
    (template / "template" / "name.txt.jinja").write_text("{{ _folder_name }}\n")
    repo = made(tmp_path, template)

    (r,) = check([repo], source(template))

    assert (repo / "name.txt").read_text() == "svc\n"
    assert (statuses(r)["name.txt"], r.status) == (UNCHANGED, "up to date")


def test_check_renders_an_older_release_again_with_the_users_consent_when_the_history_lacks_it(
    tmp_path: Path,
) -> None:
    # the repo's history has no pristine render (made without git, committed by hand): the release it
    # records is rendered again from the template's tag, a render that wants to run code like the newest
    template = two_file_template(tmp_path / "t", COPIER_YML + "_tasks: ['true']\n")
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "First")
    git(template, "tag", "v1.0.0")
    trusted = Consent(flag=True)
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(str(template), "v1.0.0"), git_init=False, trusted=trusted))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "By hand")
    (template / "template" / "Dockerfile.jinja").write_text("FROM scratch # {{ tier }} v2\n")
    git(template, "commit", "-q", "-am", "Second")
    git(template, "tag", "v1.1.0")

    r = check_repo(repo, trusted=trusted)

    assert (r.error, r.version, r.newest, r.base_known) == (None, "v1.0.0", "v1.1.0", True)
    assert (statuses(r)["Dockerfile"], statuses(r)["README.md"]) == (OUTDATED, UNCHANGED)  # not "differs"
    assert (r.status, r.exit_code) == ("behind", 1)


def test_a_repo_without_git_holding_its_secret_is_compared_with_the_placeholders(tmp_path: Path) -> None:
    template = secret_template(tmp_path / "t")
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=source(template), given={"api_token": SECRET}, git_init=False))

    (r,) = check([repo], source(template))

    assert (r.error, r.base_known, statuses(r)["config.env"], statuses(r)["README.md"]) == (
        None,
        True,
        UNCHANGED,
        UNCHANGED,
    )


def test_a_repo_whose_history_was_squashed_reads_its_secret_from_the_pristine_branch_it_kept(tmp_path: Path) -> None:
    # the branch's history no longer holds the pristine render, scaffold/pristine does: the transformed
    # secret is checked with the value the repo holds, not reported as an edit
    repo = made_with_secret(tmp_path, secret_template(tmp_path / "t"))
    branch = git(repo, "branch", "--show-current").strip()
    git(repo, "checkout", "-q", "--orphan", "squashed")
    git(repo, "commit", "-q", "--no-verify", "-m", "Initial commit")
    git(repo, "branch", "-q", "-D", branch)

    (r,) = check([repo], source(tmp_path / "t"))

    assert set(statuses(r).values()) == {UNCHANGED} and "b64.txt" in statuses(r)
    assert (r.status, r.exit_code) == ("up to date", 0)
