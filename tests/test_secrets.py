"""Answers to secret questions reach only the files the template renders them into.

Never the terminal, an error message, the answers file, a commit message, MERGE_MSG, or any other git
object scaffold creates.
"""

import subprocess
from pathlib import Path

import yaml

from tests.cli import scaffold
from tests.hostile_templates import benign_template, git_template
from tests.template_repos import copier_yml, git

SECRET = "S3CRET-tok-4f9a2c"
NEW_SECRET = "N3W-S3CRET-tok-77b1e0"
PLACEHOLDER = "scaffold-secret-api_token"


def secret_template(folder: Path, *, listed: bool = False) -> Path:
    """A template with a secret token (marked `secret: true`, or listed in `_secret_questions`) rendered into a file."""
    benign_template(folder)
    with copier_yml(folder) as config:
        config["api_token"] = {
            "type": "str",
            "help": "API token",
            "default": "changeme-default",
            "validator": (
                "{% if api_token|length < 8 %}api_token {{ api_token }} is too short; accepted: 8 characters{% endif %}"
            ),
        }
        if listed:
            config["_secret_questions"] = ["api_token"]
        else:
            config["api_token"]["secret"] = True
    (folder / "config.env.jinja").write_text("TOKEN={{ api_token }}\n")
    return folder


def objects_holding(repo: Path, text: str) -> dict[str, str]:
    """Return every git object in `repo` whose content holds `text`, with its type."""
    listing = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)").split("\n")
    found = {}
    for line in filter(None, listing):
        sha, kind = line.split()
        content = subprocess.run(["git", "cat-file", kind, sha], cwd=repo, capture_output=True, check=True).stdout
        if text.encode() in content:
            found[sha] = kind
    return found


def blob_of(repo: Path, rev: str, path: str) -> str:
    return git(repo, "rev-parse", f"{rev}:{path}").strip()


def test_a_secret_answer_is_only_in_the_file_the_template_renders_it_into(tmp_path: Path) -> None:
    for listed in (False, True):
        template = secret_template(tmp_path / f"tpl-{listed}", listed=listed)
        name = f"svc-{str(listed).lower()}"
        code, out, err = scaffold(
            tmp_path, "new", name, "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
        )
        assert code == 0, out + err
        repo = tmp_path / name
        assert SECRET not in out + err
        assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"
        assert SECRET not in (repo / ".copier-answers.yml").read_text()
        assert "api_token" not in yaml.safe_load((repo / ".copier-answers.yml").read_text())
        assert objects_holding(repo, SECRET) == {blob_of(repo, "HEAD", "config.env"): "blob"}


def test_a_refused_secret_answer_is_not_repeated_in_the_message(tmp_path: Path) -> None:
    template = secret_template(tmp_path / "tpl")
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", "api_token=tiny-x"
    )
    assert code == 2
    assert "tiny-x" not in out + err
    assert err == "error: api_token ****** is too short; accepted: 8 characters\n"
    assert not (tmp_path / "svc").exists()


def test_an_update_with_a_new_secret_writes_it_into_no_message_or_answers_file(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    repo = tmp_path / "svc"
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nSecond version.\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")

    for args in (("update", "--plan"), ("update",)):
        code, out, err = scaffold(repo, *args, "-d", f"api_token={NEW_SECRET}")
        assert code == 0, out + err
        assert NEW_SECRET not in out + err and "api_token" not in out

    assert (repo / "config.env").read_text() == f"TOKEN={NEW_SECRET}\n"
    assert NEW_SECRET not in git(repo, "log", "--all", "--format=%B")
    assert NEW_SECRET not in (repo / ".copier-answers.yml").read_text()
    assert set(objects_holding(repo, NEW_SECRET)) == {blob_of(repo, "HEAD", "config.env")}  # the user's branch alone
    assert git(repo, "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\n"


def test_no_message_of_the_template_shows_a_secret(tmp_path: Path) -> None:
    template = secret_template(tmp_path / "tpl")
    with copier_yml(template) as config:
        config["region"] = {
            "type": "str",
            "default": "eu",
            "validator": "{% if region == 'moon' %}bad region (token was {{ api_token|upper }}){% endif %}",
        }
        config["_message_after_copy"] = "Your token is {{ api_token }}; region {{ region }}."

    code, out, err = scaffold(
        tmp_path, "new", "a", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    assert "Your token is ********; region eu." in out
    assert SECRET not in out + err

    code, out, err = scaffold(
        tmp_path,
        "new",
        "b",
        "--template",
        str(template),
        "--defaults",
        "-d",
        f"api_token={SECRET}",
        "-d",
        "region=moon",
    )
    assert code == 2
    assert err == f"error: bad region (token was {'*' * len(SECRET)})\n"

    code, _, err = scaffold(tmp_path, "new", "c", "--template", str(template), "--defaults", "-d", "api_token=hu")
    assert code == 2
    assert err == "error: api_token ** is too short; accepted: 8 characters\n"  # the length shows, the secret not


def test_update_diff_shows_neither_the_old_nor_the_new_secret(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    repo = tmp_path / "svc"
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nSecond version.\n")
    (template / "config.env.jinja").write_text("TOKEN={{ api_token }}\nMODE=second\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")

    code, out, err = scaffold(repo, "update", "--diff", "-d", f"api_token={NEW_SECRET}")
    assert code == 0, out + err
    assert SECRET not in out + err and NEW_SECRET not in out + err
    assert "+Second version." in out  # the files without a secret answer are shown as usual
    assert "config.env: holds a secret answer; its changes are not shown" in out
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"  # --diff writes nothing


def test_an_update_not_given_a_secret_keeps_the_value_the_repo_holds(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    repo = tmp_path / "svc"
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nSecond version.\n")
    (template / "config.env.jinja").write_text("TOKEN={{ api_token }}\nMODE=second\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")

    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\n"  # the repo's value, not the default
    assert "Second version." in (repo / "README.md").read_text()
    assert SECRET not in out + err


def test_an_update_that_cannot_read_a_secret_from_the_repo_refuses_rather_than_write_the_default(
    tmp_path: Path,
) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    repo = tmp_path / "svc"
    (repo / "config.env").write_text(f"# ours\nTOKEN={SECRET}\n")  # edited: no longer the render
    git(repo, "commit", "-qam", "Comment the config")
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nSecond version.\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")
    head = git(repo, "rev-parse", "HEAD")

    code, out, err = scaffold(repo, "update")
    assert code == 2
    assert err == (
        f"error: {repo}: the secret answer api_token is not recorded, and the update would write the template's "
        "default over the repo's value; accepted: --data api_token=VALUE (the value the repo uses, or a new one)\n"
    )
    assert git(repo, "rev-parse", "HEAD") == head
    code, out, err = scaffold(repo, "update", "-d", f"api_token={SECRET}")
    assert code == 0, out + err
    assert (repo / "config.env").read_text() == f"# ours\nTOKEN={SECRET}\n"
    assert "Second version." in (repo / "README.md").read_text()
