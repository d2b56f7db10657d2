"""`scaffold check`: which template version each repo is on, the newest one, and which generated files drifted."""

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.check import DIFFERS, MISSING, check, check_repo, format_reports
from generator.cli import app
from generator.new import NewRequest, create
from generator.sources import resolve
from generator.version import scaffold_version
from tests.conftest import RenderRepo
from tests.report_schema import report_json
from tests.template_versions import (
    append,
    as_version,
    commit_all,
    insert_before,
    later_version,
    repo_state,
    template_copy,
    template_file,
)

runner = CliRunner()


def file_statuses(report: dict[str, object] | object) -> dict[str, str]:
    files = report["files"] if isinstance(report, dict) else report.files  # type: ignore[attr-defined]
    return {
        f["path"] if isinstance(f, dict) else f.path: f["status"] if isinstance(f, dict) else f.status for f in files
    }


def test_check_a_fresh_repo_is_up_to_date_and_exits_0(render_repo: RenderRepo) -> None:
    repo = render_repo("my-service")
    state = repo_state(repo)

    result = runner.invoke(app, ["check", str(repo)])

    assert result.exit_code == 0, result.output
    assert f"up to date (template bundled:go-service, version {scaffold_version()}" in result.stdout
    assert repo_state(repo) == state


def test_check_edits_to_owned_files_are_drift_and_seeded_edits_are_information(render_repo: RenderRepo) -> None:
    repo = render_repo("my-service")
    append(repo / "cmd" / "my-service" / "main.go", "\n// Local.\n")  # seeded: the team's file
    (repo / "compose.yaml").unlink()  # seeded
    append(repo / "Dockerfile", "# Local.\n")  # owned by the template
    commit_all(repo, "Local changes")
    (repo / ".editorconfig").write_text("root = true\n")  # uncommitted edits count too: CI checks its checkout

    result = runner.invoke(app, ["check", str(repo), "--json"])

    assert result.exit_code == 1, result.output
    data = report_json(result.stdout)
    assert data["exit_code"] == 1
    (report,) = data["repos"]
    assert (report["status"], report["behind"], report["drifted"]) == ("drifted", False, True)
    assert report["version"] == report["newest"] == scaffold_version()
    statuses = file_statuses(report)
    assert statuses["cmd/my-service/main.go"] == "modified"
    assert statuses["Dockerfile"] == statuses[".editorconfig"] == "modified"
    assert statuses["compose.yaml"] == "deleted"
    assert statuses["go.mod"] == "unchanged"
    assert sorted(report["seeded_edits"]) == ["cmd/my-service/main.go", "compose.yaml"]


def test_check_a_repo_with_only_seeded_edits_exits_0_and_lists_them(render_repo: RenderRepo) -> None:
    repo = render_repo("my-service")
    append(repo / "cmd" / "my-service" / "main.go", "\n// Local.\n")
    append(repo / "README.md", "\nOur notes.\n")
    commit_all(repo, "The team's own changes")

    result = runner.invoke(app, ["check", str(repo)])

    assert result.exit_code == 0, result.output
    assert f"{repo}: up to date" in result.stdout
    assert "modified  README.md  (seeded: the team's file, not drift)" in result.stdout
    assert "modified  cmd/my-service/main.go  (seeded: the team's file, not drift)" in result.stdout


def test_check_behind_lists_outdated_files_and_those_both_sides_changed(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    repo = render_repo("my-service")
    append(repo / "Dockerfile", "# Local.\n")
    commit_all(repo, "Local change")
    template = template_copy(tmp_path, "template-b")
    insert_before(template_file(template, "Dockerfile.jinja"), r"^ENTRYPOINT", 'LABEL a="b"\n')
    append(template_file(template, "Makefile.jinja"), "\n# New.\n")
    template_file(template, "SECURITY.md").write_text("Report problems privately.\n")

    report = check_repo(repo, as_version(template, later_version()))

    assert (report.version, report.newest) == (scaffold_version(), later_version())
    assert report.behind and report.status == "behind, drifted" and report.exit_code == 1
    statuses = file_statuses(report)
    assert statuses["Dockerfile"] == "modified+outdated"
    assert statuses["Makefile"] == "outdated"
    assert statuses["SECURITY.md"] == "outdated"
    assert statuses[".copier-answers.yml"] == "outdated"
    assert statuses["go.mod"] == "unchanged"


def test_check_behind_without_local_edits_is_behind_only(tmp_path: Path, render_repo: RenderRepo) -> None:
    repo = render_repo("my-service")
    template = template_copy(tmp_path, "template-b")

    report = check_repo(repo, as_version(template, later_version()))

    assert report.status == "behind" and report.exit_code == 1
    assert {f.path for f in report.outdated} == {".copier-answers.yml"}


def test_check_without_git_history_compares_with_a_render_of_the_same_version(render_repo: RenderRepo) -> None:
    repo = render_repo("my-service", git_init=False)
    append(repo / "go.mod", "// Local.\n")
    append(repo / "Dockerfile", "# Local.\n")

    report = check_repo(repo)

    assert report.status == "drifted" and file_statuses(report)["Dockerfile"] == "modified"
    assert [f.path for f in report.seeded_edits] == ["go.mod"]


def test_check_without_history_on_an_older_version_says_differs_and_missing_not_edited_or_deleted(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    repo = render_repo("my-service", git_init=False)
    # made by an older scaffold whose bundled release this one cannot render again: no base to compare with
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_commit: {scaffold_version()}", "_commit: 0.0.1"))
    (repo / ".editorconfig").unlink()  # deleted here; the newest version still has it, unchanged
    append(repo / ".dockerignore", "local/\n")  # edited here; the newest version has it unchanged
    template = template_copy(tmp_path, "template-b")
    insert_before(template_file(template, "Dockerfile.jinja"), r"^ENTRYPOINT", 'LABEL a="b"\n')  # changed there

    report = check_repo(repo, as_version(template, later_version()))

    assert not report.base_known
    statuses = file_statuses(report)
    # without the pristine render, an edit here and a template change look the same: both "differs"
    assert (statuses[".editorconfig"], statuses[".dockerignore"], statuses["Dockerfile"]) == (MISSING, DIFFERS, DIFFERS)
    assert (MISSING, DIFFERS) == ("missing", "differs")
    assert statuses["go.mod"] == "unchanged"
    assert {".editorconfig", ".dockerignore", "Dockerfile"} <= {f.path for f in report.drifted}
    assert report.status == "behind, drifted" and report.exit_code == 1
    lines = format_reports([report]).splitlines()
    assert "  missing  .editorconfig" in lines and "  differs  .dockerignore" in lines
    assert lines[-1] == "  (no pristine render in the git history: edits and template changes cannot be told apart)"


def test_check_several_repos_exits_with_the_worst_and_reports_errors_per_repo(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    good = render_repo("my-service")
    plain = tmp_path / "plain"
    plain.mkdir()

    result = runner.invoke(app, ["check", str(good), str(plain), "--json"])

    assert result.exit_code == 2, result.output
    first, second = report_json(result.stdout)["repos"]  # several repos: the fleet summary (tests/test_fleet.py)
    assert (first["path"], first["status"]) == (str(good), "up to date")
    assert second["path"] == str(plain) and second["status"] == "error"
    assert "has no .copier-answers.yml" in second["error"]


@pytest.mark.parametrize("answers", ["_src_path: [oops\n", "memory_limit: 1Gi\n"])
def test_check_a_corrupt_answers_file_is_an_error(render_repo: RenderRepo, answers: str) -> None:
    repo = render_repo("my-service")
    (repo / ".copier-answers.yml").write_text(answers)

    report = check_repo(repo)

    assert report.exit_code == 2 and report.error is not None and "is corrupt" in report.error


def test_a_clone_with_core_autocrlf_reports_no_drift_when_git_status_is_clean(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(None)))
    clone = tmp_path / "windows-clone"
    subprocess.run(["git", "-c", "core.autocrlf=true", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run(["git", "config", "core.autocrlf", "true"], cwd=clone, check=True)
    assert b"\r\n" in (clone / "Dockerfile").read_bytes()  # the work tree really has CRLF line ends
    assert subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout == ""

    (report,) = check([clone])

    assert report.error is None
    assert report.status == "up to date", [(f.path, f.status) for f in report.files if f.status != "unchanged"]
    assert report.exit_code == 0


def test_conflict_markers_committed_in_any_tracked_file_fail_check_naming_the_files(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    create(NewRequest(name="svc", dest=repo, source=resolve(None)))
    readme = repo / "README.md"  # a seeded file: edits to it are the team's, yet markers are not
    readme.write_text(readme.read_text() + "<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> scaffold/pristine\n")
    (repo / "notes").mkdir()
    (repo / "notes" / "todo.txt").write_text("<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other\n")
    (repo / "notes" / "quote.md").write_text("A line of seven: =======\n")  # no marker pair: fine
    commit_all(repo, "Unresolved")

    (report,) = check([repo])

    assert report.conflict_markers == ["README.md", "notes/todo.txt"]
    assert report.exit_code == 1 and "conflict markers" in report.status
    assert "conflict markers in: README.md, notes/todo.txt" in format_reports([report])


def test_the_json_example_in_docs_updating_matches_the_shipped_schema() -> None:
    from tests.conftest import REPO_ROOT

    page = (REPO_ROOT / "docs" / "updating.md").read_text()
    example = page.split("## JSON output")[1].split("```json\n")[1].split("```")[0]
    assert report_json(example)["schema_version"] == 1
