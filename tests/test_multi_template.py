"""Two templates in one repo, as copier allows: each with its own answers file, each updated from its own base.

`service` writes `.copier-answers.yml`, `app.txt` and `README.md`; `ci` writes
`.copier-answers.ci.yml` and `ci/pipeline.yml`. Both are small git templates released as tags, and
every step runs the real CLI on a real git repo.
"""

from pathlib import Path

import pytest
import yaml

from tests.cli import scaffold
from tests.report_schema import report_json
from tests.template_repos import edit, git, release

CI_ANSWERS = ".copier-answers.ci.yml"


def _template(folder: Path, files: dict[str, str], tag: str = "v1.0.0") -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "First version")
    git(folder, "tag", tag)
    return folder


@pytest.fixture
def service(tmp_path: Path) -> Path:
    return _template(
        tmp_path / "service-template",
        {
            "copier.yml": "service_name:\n  type: str\n",
            "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml -}}\n",
            "README.md.jinja": "# {{ service_name }}\n\nRun it.\n",
            "app.txt": "port: 8080\ntimeout: 5s\nretries: 3\n",
        },
    )


@pytest.fixture
def ci(tmp_path: Path) -> Path:
    return _template(
        tmp_path / "ci-template",
        {
            "copier.yml": f"_answers_file: {CI_ANSWERS}\nrunner:\n  type: str\n  default: ubuntu\n",
            "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml -}}\n",
            "ci/pipeline.yml.jinja": "runs-on: {{ runner }}\nsteps:\n  - test\n  - build\n",
        },
    )


@pytest.fixture
def repo(tmp_path: Path, service: Path, ci: Path) -> Path:
    """A repo made from `service` v1.0.0, with `ci` v1.0.0 applied."""
    code, _, err = scaffold(tmp_path, "new", "shop", "--template", str(service), "--defaults")
    assert code == 0, err
    repo = tmp_path / "shop"
    git(repo, "config", "user.name", "dev")
    git(repo, "config", "user.email", "dev@example.com")
    code, out, err = scaffold(repo, "apply", "--template", str(ci), "--data", "runner=debian")
    assert code == 0, err
    assert f"answers in {CI_ANSWERS}" in out and "scaffold/pristine-ci" in out
    return repo


def _status(repo: Path) -> str:
    return git(repo, "status", "--porcelain")


def test_apply_adds_the_second_template_with_its_own_answers_file_and_changes_no_file_of_the_first(
    repo: Path, ci: Path
) -> None:
    assert (repo / "ci" / "pipeline.yml").read_text() == "runs-on: debian\nsteps:\n  - test\n  - build\n"
    ci_answers = yaml.safe_load((repo / CI_ANSWERS).read_text())
    assert (ci_answers["_src_path"], ci_answers["_commit"], ci_answers["runner"]) == (str(ci), "v1.0.0", "debian")
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["service_name"] == "shop"
    assert (repo / "app.txt").read_text() == "port: 8080\ntimeout: 5s\nretries: 3\n"
    assert _status(repo) == ""
    code, out, err = scaffold(repo, "check", "--json")
    assert code == 0, out + err
    (row,) = report_json(out)["repos"]  # one repo: one entry, one template entry each (as in a fleet run)
    assert [(r["answers_file"], r["version"], r["status"]) for r in row["templates"]] == [
        (".copier-answers.yml", "v1.0.0", "up to date"),
        (CI_ANSWERS, "v1.0.0", "up to date"),
    ]


def test_update_lands_both_templates_new_versions_each_from_its_own_base_keeping_user_edits(
    repo: Path, service: Path, ci: Path
) -> None:
    (repo / "app.txt").write_text("port: 9090\ntimeout: 5s\nretries: 3\n")
    pipeline = (repo / "ci" / "pipeline.yml").read_text()
    (repo / "ci" / "pipeline.yml").write_text(pipeline.replace("  - build\n", "  - build\n  - deploy\n"))
    git(repo, "commit", "-qam", "Our own port and deploy step")
    release(service, "v1.1.0", edit("app.txt", "retries: 3", "retries: 5"))
    release(ci, "v1.1.0", edit("ci/pipeline.yml.jinja", "  - test\n", "  - lint\n  - test\n"))

    code, out, err = scaffold(repo, "check")
    assert code == 1, out + err
    assert f"{repo} [.copier-answers.yml]: behind" in out and f"{repo} [{CI_ANSWERS}]: behind" in out
    assert "modified+outdated  app.txt" in out and "modified+outdated  ci/pipeline.yml" in out

    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    assert out.count("Updated ") == 2 and "v1.0.0 -> v1.1.0" in out
    assert (repo / "app.txt").read_text() == "port: 9090\ntimeout: 5s\nretries: 5\n"
    assert (
        repo / "ci" / "pipeline.yml"
    ).read_text() == "runs-on: debian\nsteps:\n  - lint\n  - test\n  - build\n  - deploy\n"
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    assert yaml.safe_load((repo / CI_ANSWERS).read_text())["_commit"] == "v1.1.0"
    assert _status(repo) == ""
    # each pristine chain holds only its own template's files
    assert git(repo, "ls-tree", "-r", "--name-only", "scaffold/pristine-ci").split() == [CI_ANSWERS, "ci/pipeline.yml"]
    assert "ci/pipeline.yml" not in git(repo, "ls-tree", "-r", "--name-only", "scaffold/pristine").split()

    code, out, err = scaffold(repo, "check")
    assert code == 1, out + err  # up to date, but the team's edits are drift
    assert "behind" not in out and out.count(": drifted") == 2
    code, out, _ = scaffold(repo, "update")
    assert code == 0 and out.count("is up to date") == 2


def test_answers_file_updates_one_template_and_options_for_one_template_need_it(
    repo: Path, service: Path, ci: Path
) -> None:
    release(service, "v1.1.0", edit("app.txt", "retries: 3", "retries: 5"))
    release(ci, "v1.1.0", edit("ci/pipeline.yml.jinja", "  - test\n", "  - lint\n  - test\n"))

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v1.1.0")
    assert code == 2 and "--answers-file" in err and CI_ANSWERS in err, out + err
    assert _status(repo) == "" and "retries: 3" in (repo / "app.txt").read_text()

    service_pristine = git(repo, "rev-parse", "scaffold/pristine")
    code, out, err = scaffold(repo, "update", "--answers-file", CI_ANSWERS, "--data", "runner=alpine")
    assert code == 0, out + err
    assert git(repo, "rev-parse", "scaffold/pristine") == service_pristine  # only the CI template's branch moved
    assert "Scaffold-Template-Version: v1.1.0" in git(repo, "log", "-1", "--format=%B", "scaffold/pristine-ci")
    assert (repo / "ci" / "pipeline.yml").read_text().startswith("runs-on: alpine\nsteps:\n  - lint\n")
    assert (repo / "app.txt").read_text() == "port: 8080\ntimeout: 5s\nretries: 3\n"  # the service is untouched
    code, out, err = scaffold(repo, "check", "--json")
    assert code == 1
    (row,) = report_json(out)["repos"]
    states = {r["answers_file"]: (r["version"], r["behind"]) for r in row["templates"]}
    assert states == {".copier-answers.yml": ("v1.0.0", True), CI_ANSWERS: ("v1.1.0", False)}


def test_a_conflict_in_the_first_template_stops_before_the_second(repo: Path, service: Path, ci: Path) -> None:
    (repo / "app.txt").write_text("port: 8080\ntimeout: 5s\nretries: 10\n")
    git(repo, "commit", "-qam", "More retries")
    release(service, "v1.1.0", edit("app.txt", "retries: 3", "retries: 5"))
    release(ci, "v1.1.0", edit("ci/pipeline.yml.jinja", "  - test\n", "  - lint\n  - test\n"))

    code, out, err = scaffold(repo, "update")
    assert code == 1, out + err
    assert "1 conflict(s) left" in out and out.count("Updated ") == 1
    assert "lint" not in (repo / "ci" / "pipeline.yml").read_text()


def test_apply_refuses_a_template_already_applied_or_sharing_files_and_writes_nothing(
    repo: Path, ci: Path, service: Path, tmp_path: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    code, _, err = scaffold(repo, "apply", "--template", str(ci))
    assert code == 2 and f"already has {CI_ANSWERS}" in err and f"--answers-file {CI_ANSWERS}" in err
    clash = _template(
        tmp_path / "clash-template",
        {
            "copier.yml": "_answers_file: .copier-answers.clash.yml\n",
            "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml -}}\n",
            "app.txt": "mine\n",
        },
    )
    code, _, err = scaffold(repo, "apply", "--template", str(clash))
    assert code == 2 and "already has app.txt" in err and len(err.strip().splitlines()) == 1
    assert git(repo, "rev-parse", "HEAD") == head and _status(repo) == ""
    assert "scaffold/pristine-clash" not in git(repo, "branch", "--list")


def test_a_fleet_run_checks_and_updates_every_template_of_a_repo(repo: Path, service: Path, ci: Path) -> None:
    release(service, "v1.1.0", edit("app.txt", "retries: 3", "retries: 5"))
    release(ci, "v1.1.0", edit("ci/pipeline.yml.jinja", "  - test\n", "  - lint\n  - test\n"))
    listing = repo.parent / "repos.txt"
    listing.write_text(f"{repo}\n")

    code, out, err = scaffold(repo.parent, "check", "--from-file", str(listing), "--json")
    assert code == 1, out + err
    (row,) = report_json(out)["repos"]
    assert [(t["answers_file"], t["result"]) for t in row["templates"]] == [
        (".copier-answers.yml", "behind"),
        (CI_ANSWERS, "behind"),
    ]

    code, out, err = scaffold(repo.parent, "update", "--from-file", str(listing), "--json")
    assert code == 0, out + err
    (row,) = report_json(out)["repos"]
    assert row["result"] == "updated"
    assert [(t["answers_file"], t["result"]) for t in row["templates"]] == [
        (".copier-answers.yml", "updated"),
        (CI_ANSWERS, "updated"),
    ]
    assert (repo / "app.txt").read_text() == "port: 8080\ntimeout: 5s\nretries: 5\n"
    assert "  - lint\n" in (repo / "ci" / "pipeline.yml").read_text()
    assert yaml.safe_load((repo / CI_ANSWERS).read_text())["_commit"] == "v1.1.0"
    assert _status(repo) == ""
