"""Templates from git: local repos and `gh:` URLs, versioned by their tags, and the trust they need to run code."""

from pathlib import Path

import pytest
import yaml

from generator.sources import git_url, newest_tag, resolve
from tests.cli import scaffold
from tests.template_repos import add_file, alias_github, bare_clone, edit, git, make_git_template, publish, release


def recorded(repo: Path) -> dict[str, object]:
    data = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    """A local git template with tags v1.0.0 and v1.1.0; v1.1.0 adds CODEOWNERS and changes the port default."""
    template = make_git_template(tmp_path / "acme-template")
    release(
        template,
        "v1.1.0",
        lambda t: (
            add_file("template/.github/CODEOWNERS", "* @acme/platform\n")(t),
            edit("copier.yml", "default: 8080", "default: 8081")(t),
        ),
    )
    return template


def test_new_from_a_local_git_template_takes_its_newest_tag(tmp_path: Path, two_versions: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "orders", "--template", str(two_versions), "--defaults")
    assert code == 0, err
    repo = tmp_path / "orders"
    answers = recorded(repo)
    assert answers["_commit"] == "v1.1.0"
    assert answers["_src_path"] == str(two_versions)
    assert answers["port"] == 8081  # the question list was read from v1.1.0, not from some other version
    assert (repo / ".github" / "CODEOWNERS").is_file()
    assert "template version v1.1.0" in out


def test_vcs_ref_picks_an_older_version_with_its_own_questions(tmp_path: Path, two_versions: Path) -> None:
    code, _, err = scaffold(
        tmp_path, "new", "orders", "--template", str(two_versions), "--vcs-ref", "v1.0.0", "--defaults"
    )
    assert code == 0, err
    repo = tmp_path / "orders"
    assert recorded(repo)["_commit"] == "v1.0.0"
    assert recorded(repo)["port"] == 8080
    assert not (repo / ".github" / "CODEOWNERS").exists()
    log = git(repo, "log", "--format=%B")
    assert "Scaffold-Template-Version: v1.0.0" in log


def test_uncommitted_edits_of_a_local_git_template_are_not_rendered(tmp_path: Path, two_versions: Path) -> None:
    (two_versions / "template" / "WIP.md").write_text("half done\n")
    code, _, err = scaffold(tmp_path, "new", "orders", "--template", str(two_versions), "--defaults")
    assert code == 0, err
    assert not (tmp_path / "orders" / "WIP.md").exists()  # versions are tags; `scaffold template test` renders edits


def test_a_commit_after_the_newest_tag_is_recorded_as_git_describe_says(tmp_path: Path, two_versions: Path) -> None:
    release(two_versions, "not-a-version", add_file("template/NOTES.md", "notes\n"))
    code, _, err = scaffold(tmp_path, "new", "a", "--template", str(two_versions), "--vcs-ref", "HEAD", "--defaults")
    assert code == 0, err
    assert recorded(tmp_path / "a")["_commit"] == "not-a-version"
    code, _, err = scaffold(tmp_path, "new", "b", "--template", str(two_versions), "--defaults")
    assert code == 0, err
    assert recorded(tmp_path / "b")["_commit"] == "v1.1.0"  # tags that are not versions never count as newest


def test_gh_shorthand_is_cloned_through_git_so_url_rewrites_apply(
    tmp_path: Path, two_versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = bare_clone(two_versions, tmp_path / "hosted" / "go-service-template.git")
    alias_github(monkeypatch, tmp_path, "acme/go-service-template", bare)
    code, _, err = scaffold(tmp_path, "new", "billing", "--template", "gh:acme/go-service-template", "--defaults")
    assert code == 0, err
    answers = recorded(tmp_path / "billing")
    assert answers["_src_path"] == "gh:acme/go-service-template"  # as typed, so copier and Renovate can use it
    assert answers["_commit"] == "v1.1.0"
    release(two_versions, "v1.2.0", add_file("template/SECURITY.md", "Report to security@acme.example\n"))
    publish(two_versions, bare)
    code, _, err = scaffold(tmp_path, "new", "ledger", "-t", "gh:acme/go-service-template", "--defaults")
    assert code == 0, err
    assert recorded(tmp_path / "ledger")["_commit"] == "v1.2.0"
    assert (tmp_path / "ledger" / "SECURITY.md").is_file()


def test_a_missing_version_names_the_template_and_its_newest_tag(tmp_path: Path, two_versions: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "a", "-t", str(two_versions), "--vcs-ref", "v9.9.9", "--defaults")
    assert code == 2
    assert f"template {two_versions} has no version 'v9.9.9'" in err
    assert "newest tag: v1.1.0" in err
    assert not (tmp_path / "a").exists()


def test_an_unreachable_git_template_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alias_github(monkeypatch, tmp_path, "acme/gone", tmp_path / "no-such-repo.git")
    code, _, err = scaffold(tmp_path, "new", "a", "-t", "gh:acme/gone", "--defaults")
    assert code == 2
    assert err.startswith("error: template gh:acme/gone cannot be cloned: ")
    assert err.strip().count("\n") == 0


def test_vcs_ref_on_a_template_that_is_not_git_is_refused(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "a", "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 2
    assert "--vcs-ref v1.0.0 needs a git template, and bundled:go-service ships with scaffold" in err
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "copier.yml").write_text("x: 1\n")
    code, _, err = scaffold(tmp_path, "new", "b", "-t", str(plain), "--vcs-ref", "v1", "--defaults")
    assert code == 2
    assert f"--vcs-ref v1 needs a git template, and {plain} is not one" in err


def test_copier_shorthands_expand_as_copier_expands_them() -> None:
    assert git_url("gh:acme/tpl") == "https://github.com/acme/tpl.git"
    assert git_url("gl:acme/group/tpl.git") == "https://gitlab.com/acme/group/tpl.git"
    assert git_url("git+https://git.acme.dev/tpl") == "https://git.acme.dev/tpl"
    assert resolve("gh:acme/tpl", "v1").vcs_ref == "v1"
    assert newest_tag(["v1.2.0", "v1.10.0", "v2.0.0rc1", "latest"]) == "v1.10.0"
    assert newest_tag(["v2.0.0rc1"]) == "v2.0.0rc1"
    assert newest_tag(["latest"]) is None


# --- trust: tasks and migrations run only when trusted --------------------------------------------------------------


@pytest.fixture
def template_with_tasks(tmp_path: Path) -> Path:
    template = make_git_template(tmp_path / "tasky", tag=None)
    with (template / "copier.yml").open("a") as copier_yml:
        copier_yml.write(
            '\n_tasks:\n  - "touch task-ran"\n_migrations:\n  - version: v2.0.0\n    command: "rm -rf vendor"\n'
        )
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "tasks")
    git(template, "tag", "v1.0.0")
    return template


def test_a_template_that_wants_to_run_code_is_refused_naming_it_and_the_commands(
    tmp_path: Path, template_with_tasks: Path
) -> None:
    code, _, err = scaffold(tmp_path, "new", "a", "-t", str(template_with_tasks), "--defaults")
    assert code == 2
    assert f"template {template_with_tasks} wants to run code on this machine" in err
    assert "tasks `touch task-ran`" in err and "migrations `rm -rf vendor`" in err
    assert "--trust" in err
    assert not (tmp_path / "a").exists()


def test_trust_flag_runs_the_tasks(tmp_path: Path, template_with_tasks: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "a", "-t", str(template_with_tasks), "--defaults", "--trust")
    assert code == 0, err
    assert (tmp_path / "a" / "task-ran").is_file()


def test_a_source_trusted_in_the_org_config_runs_its_tasks(
    tmp_path: Path, template_with_tasks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = bare_clone(template_with_tasks, tmp_path / "tasky.git")
    alias_github(monkeypatch, tmp_path, "acme/tasky", bare)
    config = tmp_path / "org.toml"
    config.write_text('trusted = ["gh:acme/"]\n[templates.tasky]\nsrc = "gh:acme/tasky"\n')
    code, _, err = scaffold(tmp_path, "new", "a", "-t", "tasky", "--defaults", "--config", str(config))
    assert code == 0, err
    assert (tmp_path / "a" / "task-ran").is_file()
    config.write_text('trusted = ["gh:other/"]\n[templates.tasky]\nsrc = "gh:acme/tasky"\n')
    code, _, err = scaffold(tmp_path, "new", "b", "-t", "tasky", "--defaults", "--config", str(config))
    assert code == 2
    assert "template gh:acme/tasky wants to run code" in err


def test_a_repo_from_a_local_git_template_updates_to_its_next_tag(tmp_path: Path, two_versions: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "orders", "-t", str(two_versions), "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 0, err
    repo = tmp_path / "orders"
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nOwned by the orders team.\n")
    git(repo, "commit", "-q", "-am", "Our README")

    code, out, err = scaffold(tmp_path, "update", str(repo))  # no --vcs-ref: the newest tag
    assert code == 0, out + err
    answers = recorded(repo)
    assert (answers["_commit"], answers["_src_path"]) == ("v1.1.0", str(two_versions))
    assert answers["port"] == 8080  # a recorded answer is kept when the new version changes the default
    assert (repo / ".github" / "CODEOWNERS").is_file()
    assert "Owned by the orders team." in readme.read_text()
    code, out, _ = scaffold(tmp_path, "check", str(repo))
    assert code == 0 and "up to date" in out  # on v1.1.0; its README is seeded: the team's own edit, not drift
    assert "modified  README.md  (seeded: the team's file, not drift)" in out


def test_a_repo_from_a_gh_template_updates_when_the_host_gets_a_new_tag(
    tmp_path: Path, two_versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = bare_clone(two_versions, tmp_path / "hosted.git")
    alias_github(monkeypatch, tmp_path, "acme/go-service-template", bare)
    code, _, err = scaffold(tmp_path, "new", "billing", "-t", "gh:acme/go-service-template", "--defaults")
    assert code == 0, err
    repo = tmp_path / "billing"
    code, out, _ = scaffold(tmp_path, "check", str(repo))
    assert code == 0, out
    release(two_versions, "v1.2.0", add_file("template/SECURITY.md", "Report to security@acme.example\n"))
    publish(two_versions, bare)
    code, out, _ = scaffold(tmp_path, "check", str(repo))
    assert code == 1 and "behind" in out and "newest v1.2.0" in out
    code, out, err = scaffold(tmp_path, "update", str(repo))
    assert code == 0, out + err
    assert recorded(repo)["_commit"] == "v1.2.0" and recorded(repo)["_src_path"] == "gh:acme/go-service-template"
    assert (repo / "SECURITY.md").is_file()
