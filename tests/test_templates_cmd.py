"""`scaffold templates`: the org catalog and the bundled templates, each with its newest version."""

import json
from pathlib import Path

import pytest

from generator.version import scaffold_version
from tests.cli import scaffold
from tests.template_repos import add_file, alias_github, bare_clone, make_git_template, release


@pytest.fixture
def catalog_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An org config naming a local git template, a gh: template (a local bare repo) and one nobody can reach."""
    local = make_git_template(tmp_path / "templates" / "acme-go")
    release(local, "v1.4.0", add_file("template/.github/CODEOWNERS", "* @acme/platform\n"))
    hosted = make_git_template(tmp_path / "worker-src")
    release(hosted, "v2.0.0", add_file("template/WORKER.md", "worker\n"))
    release(hosted, "v2.1.0rc1", add_file("template/NEXT.md", "next\n"))
    alias_github(monkeypatch, tmp_path, "acme/worker-template", bare_clone(hosted, tmp_path / "worker.git"))
    alias_github(monkeypatch, tmp_path, "acme/gone", tmp_path / "missing.git")
    config = tmp_path / "org.toml"
    config.write_text(
        """
default_template = "acme-go"
[templates.acme-go]
src = "templates/acme-go"
description = "Acme's Go service starter"
[templates.worker]
src = "gh:acme/worker-template"
ref = "v2.0.0"
description = "Queue worker"
[templates.gone]
src = "gh:acme/gone"
"""
    )
    return config


def test_templates_lists_catalog_then_bundled_with_newest_versions(tmp_path: Path, catalog_config: Path) -> None:
    code, out, err = scaffold(tmp_path, "templates", "--config", str(catalog_config))
    assert code == 0, err
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in out.splitlines()
        if "│" in line
    }
    assert rows["acme-go (default)"] == [
        str(tmp_path / "templates" / "acme-go"),
        "-",
        "v1.4.0",
        "Acme's Go service starter",
    ]
    assert rows["worker"] == ["gh:acme/worker-template", "v2.0.0", "v2.0.0", "Queue worker"]  # rc1 is a pre-release
    assert rows["gone"][2] == "?"
    assert rows["go-service"] == ["bundled:go-service", "-", scaffold_version(), "scaffold's bundled template"]
    assert list(rows) == ["acme-go (default)", "worker", "gone", "go-service"]
    assert "gone: template gh:acme/gone cannot be reached" in out


def test_templates_json_is_for_machines(tmp_path: Path, catalog_config: Path) -> None:
    code, out, err = scaffold(tmp_path, "templates", "--config", str(catalog_config), "--json")
    assert code == 0, err
    data = {row["name"]: row for row in json.loads(out)}
    assert data["acme-go"]["newest"] == "v1.4.0" and data["acme-go"]["default"] is True
    assert data["worker"] == {
        "name": "worker",
        "source": "gh:acme/worker-template",
        "pinned": "v2.0.0",
        "newest": "v2.0.0",
        "description": "Queue worker",
        "default": False,
        "problem": "",
    }
    assert data["gone"]["newest"] is None and "cannot be reached" in data["gone"]["problem"]
    assert "fatal:" not in data["gone"]["problem"]  # git's own reason, in a sentence of scaffold's
    assert "does not appear to be a git repository" in data["gone"]["problem"]
    assert data["go-service"]["default"] is False


def test_without_a_config_only_the_bundled_templates_are_listed(tmp_path: Path) -> None:
    code, out, err = scaffold(tmp_path, "templates", "--json")
    assert code == 0, err
    assert [row["name"] for row in json.loads(out)] == ["go-service"]
    assert json.loads(out)[0]["default"] is True


def test_catalog_names_work_as_template_for_new_with_pinned_and_default(tmp_path: Path, catalog_config: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "api", "--defaults", "--no-git", "--config", str(catalog_config))
    assert code == 0, err
    assert "template version v1.4.0" in out  # default_template, from a folder relative to the config file
    code, out, err = scaffold(tmp_path, "new", "jobs", "-t", "worker", "--defaults", "--config", str(catalog_config))
    assert code == 0, err
    assert "template version v2.0.0" in out  # the catalog's pinned ref
    assert not (tmp_path / "jobs" / "NEXT.md").exists()
    code, out, err = scaffold(
        tmp_path,
        "new",
        "jobs2",
        "-t",
        "worker",
        "--vcs-ref",
        "v2.1.0rc1",
        "--defaults",
        "--config",
        str(catalog_config),
    )
    assert code == 0, err
    assert (tmp_path / "jobs2" / "NEXT.md").is_file()  # --vcs-ref overrides the pin
