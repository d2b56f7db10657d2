"""`scaffold update`: real git repos in temporary folders, updated to later versions of the bundled template."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from generator.cli import app
from generator.new import NewRequest, create
from generator.pristine import PRISTINE_BRANCH, newest_pristine
from generator.quantities import gomemlimit_for
from generator.sources import TemplateSource, resolve
from generator.update import UpdateRequest, update
from tests.conftest import RenderRepo
from tests.template_versions import (
    append,
    assert_go_repo_passes,
    commit_all,
    git,
    insert_before,
    is_merging,
    later_version,
    repo_state,
    template_copy,
    template_file,
    work_tree,
)

runner = CliRunner()
TEMPLATE_LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'
RENDERED_LABEL = 'LABEL org.opencontainers.image.vendor="my-service"'
USER_LABEL = 'LABEL team="payments"\n'
MAIN_GO = "cmd/my-service/main.go"
MAIN_GO_TEMPLATE = "cmd/{{ service_name }}/main.go.jinja"


def scaffold(*args: str) -> Result:
    return runner.invoke(app, list(args))


def statuses(result: object) -> dict[str, str]:
    return {entry.path: entry.status for entry in result.files}  # type: ignore[attr-defined]


def summary_line(output: str, path: str) -> str:
    return next(line for line in output.splitlines() if line.split()[1:2] == [path])


@pytest.fixture
def repo(render_repo: RenderRepo) -> Path:
    return render_repo("my-service")


def label_in_dockerfile(template: Path) -> None:
    insert_before(template_file(template, "Dockerfile.jinja"), r"^ENTRYPOINT", TEMPLATE_LABEL)


def user_label(repo: Path) -> None:
    insert_before(repo / "Dockerfile", r"^ENTRYPOINT", USER_LABEL)
    commit_all(repo, "Label the image with the owning team")


def test_update_without_local_edits_equals_a_fresh_render_of_the_new_version(
    tmp_path: Path, repo: Path, new_version: Callable[..., TemplateSource]
) -> None:
    def edit(template: Path) -> None:
        label_in_dockerfile(template)
        (template / "template" / "docs").mkdir()
        template_file(template, "docs/RUNBOOK.md.jinja").write_text("# {{ service_name }} runbook\n")
        template_file(template, ".editorconfig").unlink()

    source = new_version(edit)
    result = update(UpdateRequest(repo=repo, source=source))

    assert result.exit_code == 0 and result.merge_commit is not None
    fresh = tmp_path / "fresh" / "my-service"
    create(NewRequest(name="my-service", dest=fresh, source=source, git_init=False))
    assert work_tree(repo) == work_tree(fresh)
    assert statuses(result) == {
        ".copier-answers.yml": "updated",
        "Dockerfile": "updated",
        "docs/RUNBOOK.md": "added",
        ".editorconfig": "removed",
    }
    assert git(repo, "status", "--porcelain") == ""
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == later_version()
    assert git(repo, "rev-parse", PRISTINE_BRANCH).strip() == git(repo, "rev-parse", "HEAD^2").strip()


@pytest.mark.slow
def test_update_keeps_local_edit_in_main_go_while_dockerfile_change_lands(
    repo: Path, new_version: Callable[..., TemplateSource], go_env: dict[str, str]
) -> None:
    append(repo / MAIN_GO, "\n// Owned by the payments team; page #payments-oncall.\n")
    commit_all(repo, "Say who owns the service")

    def edit(template: Path) -> None:
        label_in_dockerfile(template)
        insert_before(template_file(template, MAIN_GO_TEMPLATE), r"^package main", "//\n// Updated.\n")

    result = update(UpdateRequest(repo=repo, source=new_version(edit)))

    assert result.exit_code == 0
    main = (repo / MAIN_GO).read_text()
    assert "// Owned by the payments team; page #payments-oncall." in main and "// Updated.\n" in main
    assert RENDERED_LABEL in (repo / "Dockerfile").read_text()
    assert {e.path: (e.status, e.note) for e in result.files}[MAIN_GO] == ("updated", "merged with your edits")
    assert statuses(result)["Dockerfile"] == "updated"
    assert_go_repo_passes(repo, go_env)


def test_same_lines_conflict_leaves_markers_and_exits_1(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    user_label(repo)
    installed(new_version(label_in_dockerfile))

    result = scaffold("update", str(repo))

    assert result.exit_code == 1, result.output
    assert "conflicted" in summary_line(result.stdout, "Dockerfile")
    assert "1 conflict(s) left" in result.stdout and "git merge --abort" in result.stdout
    dockerfile = (repo / "Dockerfile").read_text()
    assert "<<<<<<< HEAD\n" + USER_LABEL + "=======\n" + RENDERED_LABEL + f"\n>>>>>>> {PRISTINE_BRANCH}\n" in dockerfile
    assert is_merging(repo)
    assert f"_commit: {later_version()}" in (repo / ".copier-answers.yml").read_text()  # the rest is merged


def test_conflict_rej_keeps_your_lines_and_writes_the_templates_hunk_to_a_rej_file(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    user_label(repo)
    installed(new_version(label_in_dockerfile))

    result = scaffold("update", str(repo), "--conflict", "rej")

    assert result.exit_code == 1, result.output
    assert "Dockerfile.rej" in summary_line(result.stdout, "Dockerfile")
    dockerfile = (repo / "Dockerfile").read_text()
    assert USER_LABEL in dockerfile and RENDERED_LABEL not in dockerfile and "<<<<<<<" not in dockerfile
    rej = (repo / "Dockerfile.rej").read_text()
    assert f"-{USER_LABEL}" in rej and f"+{RENDERED_LABEL}\n" in rej
    assert git(repo, "ls-files", "--unmerged") == ""  # nothing for git to block on; the .rej says what is left
    git(repo, "apply", "Dockerfile.rej")  # the .rej is a patch that applies to the file as left
    assert RENDERED_LABEL in (repo / "Dockerfile").read_text()


@pytest.mark.slow
def test_second_update_after_resolving_a_conflict_merges_cleanly_from_the_right_base(
    repo: Path, new_version: Callable[..., TemplateSource], go_env: dict[str, str]
) -> None:
    user_label(repo)
    version_b = new_version(label_in_dockerfile, steps=1)
    assert update(UpdateRequest(repo=repo, source=version_b)).exit_code == 1
    resolved = [
        line
        for line in (repo / "Dockerfile").read_text().splitlines(keepends=True)
        if line[:7] not in ("<<<<<<<", "=======", ">>>>>>>")
    ]
    (repo / "Dockerfile").write_text("".join(resolved))
    git(repo, "add", "Dockerfile")
    git(repo, "commit", "--quiet", "--no-edit")
    pristine_b = newest_pristine(repo)
    assert pristine_b is not None and pristine_b.version == later_version(1)

    def edit_c(template: Path) -> None:
        label_in_dockerfile(template)
        insert_before(template_file(template, "Dockerfile.jinja"), r"^FROM", "# syntax=docker/dockerfile:1\n")
        append(template_file(template, "Makefile.jinja"), "\n# Added in the third version.\n")

    result = update(UpdateRequest(repo=repo, source=new_version(edit_c, steps=2)))

    assert result.exit_code == 0, result.files
    assert statuses(result) == {".copier-answers.yml": "updated", "Dockerfile": "updated", "Makefile": "updated"}
    dockerfile = (repo / "Dockerfile").read_text()
    assert dockerfile.startswith("# syntax=docker/dockerfile:1\n")
    assert USER_LABEL in dockerfile and dockerfile.count(RENDERED_LABEL) == 1
    assert (repo / "Makefile").read_text().endswith("# Added in the third version.\n")
    pristine_c = newest_pristine(repo)
    assert pristine_c is not None and pristine_c.version == later_version(2)
    assert git(repo, "rev-parse", f"{pristine_c.sha}^").strip() == pristine_b.sha
    assert git(repo, "status", "--porcelain") == ""
    assert_go_repo_passes(repo, go_env)


def test_file_added_by_the_new_version_is_created(repo: Path, new_version: Callable[..., TemplateSource]) -> None:
    def edit(template: Path) -> None:
        template_file(template, "SECURITY.md.jinja").write_text("Report problems in {{ service_name }} privately.\n")

    result = update(UpdateRequest(repo=repo, source=new_version(edit)))

    assert statuses(result)["SECURITY.md"] == "added"
    assert (repo / "SECURITY.md").read_text() == "Report problems in my-service privately.\n"


def test_file_removed_by_the_new_version_goes_only_if_you_never_edited_it(
    repo: Path, new_version: Callable[..., TemplateSource]
) -> None:
    append(repo / ".pre-commit-config.yaml", "# our own hook comes later\n")
    commit_all(repo, "Plan a hook")

    def edit(template: Path) -> None:
        template_file(template, ".editorconfig").unlink()
        template_file(template, ".pre-commit-config.yaml").unlink()

    result = update(UpdateRequest(repo=repo, source=new_version(edit)))

    assert result.exit_code == 0
    assert not (repo / ".editorconfig").exists()
    assert (repo / ".pre-commit-config.yaml").read_text().endswith("# our own hook comes later\n")
    entries = {e.path: (e.status, e.note) for e in result.files}
    assert entries[".editorconfig"] == ("removed", "")
    assert entries[".pre-commit-config.yaml"][0] == "kept" and "you edited it" in entries[".pre-commit-config.yaml"][1]
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("restore", [False, True], ids=["stays-deleted", "restore-deleted"])
def test_a_file_you_deleted_stays_deleted_unless_you_ask(
    repo: Path, new_version: Callable[..., TemplateSource], restore: bool
) -> None:
    (repo / "compose.yaml").unlink()
    (repo / ".dockerignore").unlink()
    commit_all(repo, "We deploy to Kubernetes only")

    def edit(template: Path) -> None:
        append(template_file(template, "compose.yaml.jinja"), "# Changed in the new version.\n")

    result = update(UpdateRequest(repo=repo, source=new_version(edit), restore_deleted=restore))

    assert result.exit_code == 0 and result.merge_commit is not None
    entries = {e.path: (e.status, e.note) for e in result.files}
    if restore:
        assert (repo / "compose.yaml").read_text().endswith("# Changed in the new version.\n")
        assert (repo / ".dockerignore").is_file()
        assert entries["compose.yaml"] == ("added", "restored: you had deleted it")
    else:
        assert not (repo / "compose.yaml").exists() and not (repo / ".dockerignore").exists()
        assert entries["compose.yaml"][0] == "kept" and "stays deleted" in entries["compose.yaml"][1]
        assert ".dockerignore" not in entries
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_update_data_memory_limit_changes_the_makefile_readme_and_manifests_together(
    repo: Path, go_env: dict[str, str]
) -> None:
    before = gomemlimit_for("512Mi")

    result = scaffold("update", str(repo), "--data", "memory_limit=1Gi")

    assert result.exit_code == 0, result.output
    assert "answers changed: memory_limit=1Gi" in result.stdout
    limit = gomemlimit_for("1Gi")
    makefile = (repo / "Makefile").read_text()
    assert f"PROD_GOMEMLIMIT := {limit}\n" in makefile and f"MEMORY_LIMIT := {1024**3}\n" in makefile
    assert f"derives **{limit}**" in (repo / "README.md").read_text()
    assert 'memory: "1Gi"' in (repo / "deploy" / "kubernetes.yaml").read_text()
    assert f'memory: "{1024**3}"' in (repo / "compose.yaml").read_text()
    for name in ("Makefile", "README.md", "deploy/kubernetes.yaml", "compose.yaml"):
        assert before not in (repo / name).read_text(), name
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["memory_limit"] == "1Gi"
    assert git(repo, "status", "--porcelain") == ""
    assert_go_repo_passes(repo, go_env)


def test_plan_lists_each_files_fate_and_writes_nothing(
    repo: Path, new_version: Callable[..., TemplateSource], installed: Callable[[TemplateSource], None]
) -> None:
    user_label(repo)
    append(repo / MAIN_GO, "\n// Local note.\n")
    (repo / "compose.yaml").unlink()
    commit_all(repo, "Local changes")

    def edit(template: Path) -> None:
        label_in_dockerfile(template)
        insert_before(template_file(template, MAIN_GO_TEMPLATE), r"^package main", "//\n// New.\n")
        append(template_file(template, "compose.yaml.jinja"), "# Changed.\n")
        template_file(template, "SECURITY.md").write_text("Report problems privately.\n")
        template_file(template, ".editorconfig").unlink()
        append(template_file(template, "Makefile.jinja"), "\n# Changed.\n")

    installed(new_version(edit))
    state = repo_state(repo)
    objects = sorted(p.name for p in (repo / ".git" / "objects").rglob("*"))

    planned = scaffold("update", str(repo), "--plan")

    assert planned.exit_code == 0, planned.output
    assert repo_state(repo) == state
    assert sorted(p.name for p in (repo / ".git" / "objects").rglob("*")) == objects
    assert "nothing written" in planned.stdout
    plan = {line.split()[1]: line.split()[0] for line in planned.stdout.splitlines()[1:] if line.startswith("  ")}
    assert plan == {
        "Dockerfile": "conflict",
        MAIN_GO: "merge",
        "compose.yaml": "skip",
        "SECURITY.md": "create",
        ".editorconfig": "delete",
        "Makefile": "update",
        ".copier-answers.yml": "update",
    }

    done = scaffold("update", str(repo))  # and the update does what the plan said

    assert done.exit_code == 1
    expected = {"conflict": "conflicted", "merge": "updated", "skip": "kept", "create": "added", "delete": "removed"}
    for path, action in plan.items():
        assert expected.get(action, "updated") in summary_line(done.stdout, path), path


@pytest.mark.parametrize(
    "case",
    [
        "uncommitted",
        "untracked",
        "not-git",
        "no-answers",
        "corrupt-answers",
        "not-a-mapping",
        "downgrade",
        "merge-in-progress",
        "no-pristine",
        "bad-data",
    ],
)
def test_update_refuses_with_one_line_exit_2_and_nothing_changed(
    tmp_path: Path,
    render_repo: RenderRepo,
    new_version: Callable[..., TemplateSource],
    installed: Callable[[TemplateSource], None],
    case: str,
) -> None:
    args: list[str] = []
    expected = {
        "uncommitted": "has uncommitted changes (Dockerfile)",
        "untracked": "has uncommitted changes (notes.txt)",
        "not-git": "is not a git repository",
        "no-answers": "has no .copier-answers.yml",
        "corrupt-answers": ".copier-answers.yml in",
        "not-a-mapping": "is corrupt",
        "downgrade": "refusing to downgrade",
        "merge-in-progress": "a merge is in progress",
        "no-pristine": "has no pristine render in its history",
        "bad-data": "memory_limit '12'",
    }[case]
    if case == "not-git":
        repo = render_repo("my-service", git_init=False)
    elif case == "downgrade":
        repo = tmp_path / "my-service"
        create(NewRequest(name="my-service", dest=repo, source=new_version(lambda t: None, steps=5)))
    elif case == "no-pristine":
        repo = render_repo("my-service", git_init=False)
        git(repo, "init", "--quiet")
        commit_all(repo, "Start from a copy")
    else:
        repo = render_repo("my-service")
    if case == "uncommitted":
        append(repo / "Dockerfile", "# not committed\n")
    elif case == "untracked":
        (repo / "notes.txt").write_text("draft\n")
    elif case == "no-answers":
        git(repo, "rm", "--quiet", ".copier-answers.yml")
        commit_all(repo, "Drop the answers")
    elif case in ("corrupt-answers", "not-a-mapping"):
        (repo / ".copier-answers.yml").write_text("_src_path: [unclosed\n" if case == "corrupt-answers" else "- a\n")
        commit_all(repo, "Break the answers")
    elif case == "merge-in-progress":
        user_label(repo)
        installed(new_version(label_in_dockerfile))
        assert scaffold("update", str(repo)).exit_code == 1
    elif case == "bad-data":
        args = ["--data", "memory_limit=12"]
    state = repo_state(repo)

    result = scaffold("update", str(repo), *args)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert repo_state(repo) == state


def test_update_works_in_a_fresh_clone_without_the_pristine_branch(
    tmp_path: Path, repo: Path, new_version: Callable[..., TemplateSource]
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--single-branch", str(repo), str(clone)], check=True)
    assert PRISTINE_BRANCH not in git(clone, "branch", "--all")

    result = update(UpdateRequest(repo=clone, source=new_version(label_in_dockerfile)))

    assert result.exit_code == 0
    assert RENDERED_LABEL in (clone / "Dockerfile").read_text()
    assert git(clone, "rev-parse", PRISTINE_BRANCH).strip() == result.pristine_commit


def test_a_squashed_copy_of_a_pristine_commit_is_never_taken_as_the_base(repo: Path) -> None:
    first = newest_pristine(repo)
    assert first is not None
    append(repo / MAIN_GO, "\n// Local.\n")
    git(repo, "add", "--all")
    message = git(repo, "log", "-1", "--format=%B", first.sha)
    git(repo, "commit", "--quiet", "-m", "Squashed update\n\n" + message)  # the trailers, on the user's files

    found = newest_pristine(repo)

    assert found is not None and found.sha == first.sha


def test_git_hosted_template_updates_to_a_vcs_ref_and_stays_copier_compatible(tmp_path: Path) -> None:
    template = template_copy(tmp_path, "git-template")
    git(template, "init", "--quiet")
    commit_all(template, "First version")
    git(template, "tag", "v1.0.0")
    label_in_dockerfile(template)
    commit_all(template, "Label the image")
    git(template, "tag", "v2.0.0")
    repo = tmp_path / "my-service"
    create(NewRequest(name="my-service", dest=repo, source=resolve(str(template), "v1.0.0")))
    copier_repo = tmp_path / "copier-updated"
    subprocess.run(["git", "clone", "--quiet", str(repo), str(copier_repo)], check=True)

    result = scaffold("update", str(repo), "--vcs-ref", "v2.0.0")

    assert result.exit_code == 0, result.output
    assert RENDERED_LABEL in (repo / "Dockerfile").read_text()
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (str(template.resolve()), "v2.0.0")

    from copier import run_update  # plain copier reads the same answers file and updates the same way

    run_update(str(copier_repo), vcs_ref="v2.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True)
    assert (copier_repo / "Dockerfile").read_text() == (repo / "Dockerfile").read_text()
