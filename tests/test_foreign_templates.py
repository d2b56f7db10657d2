"""Other teams' copier templates through `scaffold new`, `update` and `check`, one copier feature at a time.

The templates live in tests/foreign_templates: `webapp` has no service_name (its name question is
`project_slug`), its own Jinja filter (tests/copier_ext.py), a multiselect question, conditional
files, `_skip_if_exists`, `_exclude`, a custom `_answers_file` and `_message_after_copy`; `minimal`
has no name question at all.
"""

import re
from pathlib import Path

import pytest
import yaml
from copier import run_copy

from tests.cli import scaffold
from tests.template_repos import edit, git, make_git_template, release

FOREIGN = Path(__file__).resolve().parent / "foreign_templates"
ANSWERS = ".copier/answers.webapp.yml"


def files_of(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)


def test_new_from_a_template_without_service_name_fills_its_name_question_and_uses_each_copier_feature(
    tmp_path: Path,
) -> None:
    code, out, err = scaffold(
        tmp_path,
        "new",
        "shop",
        "--template",
        str(FOREIGN / "webapp"),
        "--defaults",
        "--trust",
        "--data",
        "features=[worker, cron]",
        "--data",
        "use_docker=yes",
    )

    assert code == 0, err
    repo = tmp_path / "shop"
    assert files_of(repo) == sorted(
        [ANSWERS, "Dockerfile", "Makefile", "README.md", "config/local.toml", "src/worker.py"]
    )  # the Dockerfile and worker.py are conditional; notes.bak is excluded by _exclude
    assert (repo / "README.md").read_text() == "# SHOP\n\nFeatures: worker, cron.\n"  # the template's `shout` filter
    answers = yaml.safe_load((repo / ANSWERS).read_text())
    assert (answers["project_slug"], answers["features"], answers["use_docker"]) == ("shop", ["worker", "cron"], True)
    assert answers["_src_path"] == str(FOREIGN / "webapp")
    assert "shop is ready: open shop/README.md" in out  # _message_after_copy, not the Go service's next steps
    assert "go test" not in out


def test_multiselect_defaults_are_accepted_and_a_choice_outside_them_is_one_line(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "a", "-t", str(FOREIGN / "webapp"), "--defaults", "--trust")
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "a" / ANSWERS).read_text())["features"] == ["api", "worker"]
    assert not (tmp_path / "a" / "Dockerfile").exists()

    code, _, err = scaffold(
        tmp_path, "new", "b", "-t", str(FOREIGN / "webapp"), "--defaults", "--trust", "-d", "features=[api, db]"
    )
    assert code == 2
    assert err.strip() == (
        "error: features '[api, db]' is not one of the choices; accepted: api, worker, cron (a YAML list of them)"
    )
    assert not (tmp_path / "b").exists()


def test_a_templates_own_filter_needs_trust_and_nothing_is_written_without_it(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "shop", "-t", str(FOREIGN / "webapp"), "--defaults")

    assert code == 2
    assert "No filter named 'shout'" in err and "--trust" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "shop").exists()


def test_a_template_without_any_name_question_takes_name_as_the_folder_only(tmp_path: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "greeter", "-t", str(FOREIGN / "minimal"), "--defaults")

    assert code == 0, err
    assert (tmp_path / "greeter" / "hello.txt").read_text() == "hello, world\n"
    assert "greeter" not in yaml.safe_load((tmp_path / "greeter" / ".copier-answers.yml").read_text()).values()
    assert "go test" not in out


@pytest.fixture
def webapp_git(tmp_path: Path) -> Path:
    """The webapp template as a git repo tagged v1.0.0."""
    return make_git_template(tmp_path / "webapp-template", "v1.0.0", FOREIGN / "webapp")


def test_update_and_check_find_a_custom_answers_file_and_leave_skip_if_exists_files_alone(
    tmp_path: Path, webapp_git: Path
) -> None:
    code, _, err = scaffold(tmp_path, "new", "shop", "-t", str(webapp_git), "--defaults", "--trust")
    assert code == 0, err
    repo = tmp_path / "shop"
    (repo / "config" / "local.toml").write_text("debug = false  # ours\n")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nRun it with make.\n")
    git(repo, "commit", "-q", "-am", "Our settings and notes")

    code, out, _ = scaffold(tmp_path, "check", str(repo), "--trust")
    assert code == 0, out  # README is seeded, local.toml is skip-if-exists: the team's files, not drift
    assert "modified  README.md  (seeded: the team's file, not drift)" in out
    assert "modified  config/local.toml  (skip-if-exists: the team's file, not drift)" in out

    release(webapp_git, "v1.1.0", edit("template/Makefile.jinja", "run:", "run: deps"))
    release(webapp_git, "v1.2.0", edit("template/config/local.toml.jinja", "debug = true", "debug = true\nport = 1"))
    code, out, _ = scaffold(tmp_path, "check", str(repo), "--trust")
    assert code == 1 and "behind" in out and re.search(r"\boutdated +Makefile\n", out), out

    code, out, err = scaffold(tmp_path, "update", str(repo), "--trust")

    assert code == 0, out + err
    assert yaml.safe_load((repo / ANSWERS).read_text())["_commit"] == "v1.2.0"
    assert (repo / "Makefile").read_text().startswith("run: deps\n")  # the template's change landed
    assert (repo / "config" / "local.toml").read_text() == "debug = false  # ours\n"  # copier leaves it alone
    assert (repo / "README.md").read_text().endswith("Run it with make.\n")
    code, out, _ = scaffold(tmp_path, "check", str(repo), "--trust")
    assert code == 0 and "up to date" in out, out


def test_a_task_that_runs_git_init_is_refused_trusted_where_copier_makes_the_repo(tmp_path: Path) -> None:
    # Public templates (DiamondLightSource/python-copier-template) init git in a task; scaffold makes the repo itself.
    template = tmp_path / "initgit"
    template.mkdir()
    (template / "copier.yml").write_text("_tasks:\n  - git init -q\n")
    (template / "hello.txt").write_text("hi\n")
    run_copy(str(template), tmp_path / "by-copier", defaults=True, unsafe=True, quiet=True)
    assert (tmp_path / "by-copier" / ".git").is_dir()  # the difference is real: copier keeps the task's repo

    code, _, err = scaffold(tmp_path, "new", "svc", "-t", str(template), "--defaults", "--trust")

    assert code == 2
    assert err.strip() == (
        f"error: template {template} renders .git: nothing may be written at or under .git (refused, trusted or not)"
    )
    assert not (tmp_path / "svc").exists()


def name_template(folder: Path, settings: str = "") -> Path:
    """A git template tagged v1.0.0 whose `name.txt` holds the answer to `name` (default demo), with `settings`."""
    folder.mkdir()
    (folder / "copier.yml").write_text(settings + "name: demo\n")
    (folder / "{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers|to_nice_yaml -}}\n")
    (folder / "name.txt.jinja").write_text("{{ name }}\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "v1")
    git(folder, "tag", "v1.0.0")
    return folder


def test_the_templates_messages_before_copying_and_updating_are_shown_as_copier_shows_them(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # templates tell their users what to expect (a tool to install, a migration's effect) in these messages
    template = name_template(
        tmp_path / "messages",
        '_message_before_copy: "Before copying {{ name }}: install uv"\n'
        '_message_before_update: "Before updating {{ name }}"\n'
        '_message_after_update: "Updated {{ name }}: run uv sync"\n',
    )
    run_copy(str(template), tmp_path / "by-copier", defaults=True, data={"name": "shop"}, vcs_ref="v1.0.0")
    by_copier = capfd.readouterr().err
    assert "Before copying : install uv\n" in by_copier  # copier shows it before asking: no answer yet

    code, out, err = scaffold(tmp_path, "new", "svc", "-t", str(template), "--defaults", "-d", "name=shop")

    assert code == 0, err
    assert "Before copying : install uv\n" in err
    release(template, "v2.0.0", edit("name.txt.jinja", "{{ name }}", "{{ name }}!"))
    code, out, err = scaffold(tmp_path / "svc", "update")
    assert code == 0, err + out
    # copier renders the message before updating without answers (and scaffold strips each message's ends)
    assert "Before updating\n" in err and "Updated shop: run uv sync\n" in err


def test_the_message_before_updating_is_shown_before_the_update_writes_even_when_it_then_fails(
    tmp_path: Path,
) -> None:
    # it tells the user what the update is about to do: shown after a failure, or after the summary, it comes too late
    template = name_template(tmp_path / "messages")
    code, out, err = scaffold(tmp_path, "new", "svc", "-t", str(template), "--defaults")
    assert code == 0, err
    migrations = (
        '_message_before_update: "The update renames things"\n'
        "_migrations:\n  - version: v2.0.0\n    when: \"{{ _stage == 'before' }}\"\n    command: exit 3\n"
    )

    def change(folder: Path) -> None:
        edit("name.txt.jinja", "{{ name }}", "{{ name }}!")(folder)
        edit("copier.yml", "name: demo\n", "name: demo\n" + migrations)(folder)

    release(template, "v2.0.0", change)

    code, out, err = scaffold(tmp_path / "svc", "update", "--trust")

    assert code == 2, err + out
    assert err.index("The update renames things\n") < err.index("error: ")
    assert (tmp_path / "svc" / "name.txt").read_text() == "demo\n"  # rolled back
