"""`scaffold update` runs the template's `_migrations` as `copier update` does, only with consent.

The `before` ones run in the repo before the update's merge, the `after` ones after it; what they
change is part of the update's merge commit (or of the merge left in progress). A failing one undoes
the whole update; `--plan` and `--diff` run none and say which would run.
"""

import json
from pathlib import Path

import pytest

from tests.cli import scaffold
from tests.hostile_templates import git_template
from tests.template_repos import copier_yml, git
from tests.template_versions import is_merging, repo_state
from tests.test_secrets import SECRET, secret_template

ANSWERS = "# answers\n{{ _copier_answers|to_nice_yaml -}}\n"
BEFORE = "  - version: v2.0.0\n    when: \"{{ _stage == 'before' }}\"\n    command: mv legacy.cfg app.cfg\n"
AFTER = '  - version: v2.0.0\n    command: "echo $STAGE $VERSION_FROM $VERSION_TO > MIGRATED.txt"\n'


def make_template(folder: Path, migrations: str) -> Path:
    """A git template tagged v1.0.0 and v2.0.0; v2 changes NAME and declares `migrations` (YAML list items)."""
    folder.mkdir(parents=True)
    files = {"copier.yml": "name: x\n", "NAME.jinja": "{{ name }}\n", "{{_copier_conf.answers_file}}.jinja": ANSWERS}
    for name, text in files.items():
        (folder / name).write_text(text)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "v1")
    git(folder, "tag", "v1.0.0")
    (folder / "copier.yml").write_text(f"name: x\n_migrations:\n{migrations}")
    (folder / "NAME.jinja").write_text("{{ name }} v2\n")
    git(folder, "commit", "-q", "-am", "v2")
    git(folder, "tag", "v2.0.0")
    return folder


def make_repo(tmp_path: Path, migrations: str, name: str = "svc") -> Path:
    """A repo made from v1 of the template (made once), with a file of the team's own (`legacy.cfg`)."""
    template = tmp_path / "template"
    if not template.exists():
        make_template(template, migrations)
    code, _, err = scaffold(tmp_path, "new", name, "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 0, err
    repo = tmp_path / name
    (repo / "legacy.cfg").write_text("setting = 1\n")
    git(repo, "add", "legacy.cfg")
    git(repo, "commit", "-q", "-m", "our config")
    return repo


def tree_of(repo: Path, rev: str = "HEAD") -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", rev).split())


def test_update_with_trust_runs_the_migrations_and_commits_what_they_change_with_the_merge(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BEFORE + AFTER)
    before = git(repo, "rev-parse", "HEAD").strip()

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust")

    assert code == 0, err + out
    assert "ran the template's before migration `mv legacy.cfg app.cfg`" in out
    assert "ran the template's after migration `echo $STAGE $VERSION_FROM $VERSION_TO > MIGRATED.txt`" in out
    assert (repo / "MIGRATED.txt").read_text() == "after v1.0.0 v2.0.0\n"
    assert (repo / "app.cfg").read_text() == "setting = 1\n" and not (repo / "legacy.cfg").exists()
    assert (repo / "NAME").read_text() == "x v2\n"
    assert git(repo, "status", "--porcelain") == ""  # all of it committed, in the update's merge commit
    assert git(repo, "rev-parse", "HEAD^1").strip() == before
    assert {"MIGRATED.txt", "app.cfg"} <= tree_of(repo) and "legacy.cfg" not in tree_of(repo)


def test_update_without_consent_is_refused_naming_the_rule_and_the_migration(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, AFTER)
    state = repo_state(repo)

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0")

    assert code == 2, err + out
    assert len(err.strip().splitlines()) == 1
    assert "wants to run code on this machine: migrations `echo $STAGE $VERSION_FROM $VERSION_TO > MIGRATED.txt`" in err
    assert "refused: pass --trust, or list its source under `trusted` in the org config" in err
    assert repo_state(repo) == state


def test_a_failing_migration_rolls_the_whole_update_back_with_one_line_naming_it(tmp_path: Path) -> None:
    made_and_failed = (
        '  - version: v2.0.0\n    command: "echo more >> legacy.cfg; mkdir -p made; echo x > made/file; exit 3"\n'
    )
    repo = make_repo(tmp_path, BEFORE + made_and_failed)
    state = repo_state(repo)

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust")

    assert code == 2, err + out
    assert len(err.strip().splitlines()) == 1
    assert "migration `echo more >> legacy.cfg; mkdir -p made; echo x > made/file; exit 3`" in err
    assert "failed with exit status 3" in err and "is as it was before the update" in err
    assert repo_state(repo) == state  # the before migration's rename and the failing one's files are undone
    assert not (repo / "made").exists() and not is_merging(repo)
    assert not (repo / ".git" / "scaffold-update.json").exists()


@pytest.mark.parametrize("preview", ["--plan", "--diff"])
def test_a_preview_runs_no_migration_and_says_which_would_run(tmp_path: Path, preview: str) -> None:
    repo = make_repo(tmp_path, BEFORE + AFTER)
    state = repo_state(repo)

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust", preview)

    assert code == 0, err + out
    if preview == "--plan":
        assert "would run the template's before migration `mv legacy.cfg app.cfg`" in out
        assert "would run the template's after migration `echo $STAGE" in out
    else:
        assert out.startswith("diff --git") and "migration" not in out
        assert "would also run the template's before migration `mv legacy.cfg app.cfg`, not shown in this diff" in err
    assert repo_state(repo) == state
    assert not (repo / "MIGRATED.txt").exists() and (repo / "legacy.cfg").exists()


def test_with_conflicts_left_the_migrations_changes_are_in_the_merge_and_merge_abort_undoes_them(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path, BEFORE + AFTER)
    (repo / "NAME").write_text("ours\n")
    git(repo, "commit", "-q", "-am", "our NAME")
    state = repo_state(repo)

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust")

    assert code == 1, err + out
    assert is_merging(repo)
    staged = set(git(repo, "diff", "--cached", "--name-only", "--no-renames").split())
    assert {"MIGRATED.txt", "app.cfg", "legacy.cfg"} <= staged  # left for review with the merge
    assert "NAME" in git(repo, "diff", "--name-only", "--diff-filter=U")

    git(repo, "merge", "--abort")

    files, _, head, status = repo_state(repo)  # scaffold/pristine keeps the render, as after any aborted update
    assert (files, head, status) == (state[0], state[2], state[3])


def test_a_fleet_run_runs_the_migrations_of_a_template_the_org_config_trusts_and_refuses_others(
    tmp_path: Path,
) -> None:
    repos = [make_repo(tmp_path, AFTER, name) for name in ("orders", "billing")]
    config = tmp_path / "org.toml"
    config.write_text("trusted = []\n")
    code, out, err = scaffold(
        tmp_path, "update", *map(str, repos), "--vcs-ref", "v2.0.0", "--config", str(config), "--json"
    )
    assert code == 2, err + out
    for row in json.loads(out)["repos"]:
        assert "wants to run code on this machine: migrations `echo $STAGE $VERSION_FROM" in row["detail"]
    assert not any((repo / "MIGRATED.txt").exists() for repo in repos)

    config.write_text(f"trusted = [{str(tmp_path / 'template')!r}]\n")
    code, out, err = scaffold(tmp_path, "update", *map(str, repos), "--vcs-ref", "v2.0.0", "--config", str(config))

    assert code == 0, err + out
    for repo in repos:
        assert (repo / "MIGRATED.txt").read_text() == "after v1.0.0 v2.0.0\n"
        assert git(repo, "status", "--porcelain") == ""


def test_migrations_of_a_template_with_a_secret_see_the_repos_value_and_the_update_keeps_it(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "template"))
    with copier_yml(template) as config:
        config["_migrations"] = [
            {"version": "v2.0.0", "when": "{{ _stage == 'before' }}", "command": "cp config.env before-copy.env"},
            {"version": "v2.0.0", "command": "echo done > MIGRATED.txt"},
        ]
    (template / "README.md.jinja").write_text("# {{ service_name }} v2\n")
    (template / "config.env.jinja").write_text("TOKEN={{ api_token }}\nMODE=prod\n")
    git(template, "commit", "-q", "-am", "v2")
    git(template, "tag", "v2.0.0")
    code, out, err = scaffold(tmp_path, "new", "svc", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults",
                              "-d", f"api_token={SECRET}")  # fmt: skip
    assert code == 0, err + out
    repo = tmp_path / "svc"

    code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust")

    assert code == 0, err + out
    assert SECRET not in out + err
    assert (repo / "before-copy.env").read_text() == f"TOKEN={SECRET}\n"  # the before migration saw the real file
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=prod\n"  # merged as the template changed it
    assert (repo / "MIGRATED.txt").read_text() == "done\n" and (repo / "README.md").read_text() == "# svc v2\n"
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("fails", [False, True], ids=["runs", "fails"])
def test_a_migration_command_that_holds_a_secret_answer_is_printed_with_it_masked(tmp_path: Path, fails: bool) -> None:
    template = git_template(secret_template(tmp_path / "template"))
    with copier_yml(template) as config:
        command = "echo {{ api_token }} > token.txt" + ("; exit 4" if fails else "")
        config["_migrations"] = [{"version": "v2.0.0", "command": command}]
    git(template, "commit", "-q", "-am", "v2")
    git(template, "tag", "v2.0.0")
    code, out, err = scaffold(tmp_path, "new", "svc", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults",
                              "-d", f"api_token={SECRET}")  # fmt: skip
    assert code == 0, err + out
    repo = tmp_path / "svc"

    for args in (["--plan"], []):
        code, out, err = scaffold(repo, "update", "--vcs-ref", "v2.0.0", "--trust", *args)

        assert SECRET not in out + err
        assert "migration `echo ******** > token.txt" in out + err
    assert code == (2 if fails else 0), err + out
    assert (repo / "token.txt").exists() != fails  # it ran, with the real value, unless it failed
