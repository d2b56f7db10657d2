"""The workflows pass --trust exactly when the org config's `trusted` admits the repo's template.

A platform team's template derived from the bundled one that runs code (here a `_tasks` entry) is
refused in CI without --trust. The answer `scaffold_trust` (never asked) is the org's consent carried
to CI: set by new/update from `trusted`, never from a user's one-off --trust.
"""

import json
import os
import subprocess
import sys
from contextlib import chdir
from pathlib import Path

import copier
import pytest
import yaml

from tests import tools
from tests.cli import scaffold
from tests.template_repos import git, make_git_template, release

WORKFLOWS = ("scaffold-check.yml", "scaffold-update.yml")
TASK = '\n_tasks:\n  - "true"\n'


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A git template derived from the bundled one, with a task: code CI may run only with consent."""
    made = make_git_template(tmp_path / "platform-template", tag=None)
    copier_yml = made / "copier.yml"
    release(made, "v1.0.0", lambda _: copier_yml.write_text(copier_yml.read_text() + TASK))
    return made


def org_config(folder: Path, trusted: list[Path]) -> Path:
    config = folder / "org.toml"
    entries = ", ".join(f'"{path}"' for path in trusted)
    config.write_text(f"trusted = [{entries}]\n")
    return config


def new_service(folder: Path, template: Path, *args: str) -> Path:
    code, _, err = scaffold(folder, "new", "payments", "--defaults", "--template", str(template), *args)
    assert code == 0, err
    return folder / "payments"


def answers(repo: Path) -> dict:
    return yaml.safe_load((repo / ".copier-answers.yml").read_text())


def runs(repo: Path) -> tuple[str, str]:
    """The `run` of the check step and the scaffold line of the update step, as the workflows say."""
    folder = repo / ".github" / "workflows"
    check = yaml.safe_load((folder / "scaffold-check.yml").read_text())["jobs"]["check"]["steps"]
    update = yaml.safe_load((folder / "scaffold-update.yml").read_text())["jobs"]["update"]["steps"]
    (check_run,) = [s["run"] for s in check if s.get("name") == "scaffold check"]
    (update_run,) = [s["run"] for s in update if s.get("id") == "update"]
    (update_line,) = [line.strip() for line in update_run.splitlines() if line.strip().startswith("scaffold update")]
    return check_run, update_line


def test_a_template_the_org_trusts_gets_workflows_that_pass_trust(tmp_path: Path, template: Path) -> None:
    repo = new_service(tmp_path, template, "--config", str(org_config(tmp_path, [template])))
    assert answers(repo)["scaffold_trust"] is True
    check, update = runs(repo)
    assert check == "scaffold check --trust"
    assert update.startswith("scaffold update --trust >")
    assert tools.actionlint(*(repo / ".github" / "workflows" / name for name in WORKFLOWS)) == []


def test_a_users_own_trust_is_not_carried_to_ci(tmp_path: Path, template: Path) -> None:
    repo = new_service(tmp_path, template, "--trust", "--config", str(org_config(tmp_path, [tmp_path / "other"])))
    assert "scaffold_trust" not in answers(repo)  # false: copier records a never-asked answer only when true
    check, update = runs(repo)
    assert check == "scaffold check"
    assert update.startswith("scaffold update >")

    config = org_config(tmp_path, [tmp_path / "other"])
    code, _, err = scaffold(tmp_path, "new", "other", "--defaults", "--template", str(template), "--trust",
                            "--data", "scaffold_trust=true", "--config", str(config))  # fmt: skip
    assert code == 2 and "scaffold_trust is fixed to False by the org config" in err


def test_a_bundled_template_needs_no_trust_in_ci(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "new", "payments", "--defaults", "--config", str(org_config(tmp_path, [])))
    assert code == 0, err
    assert "scaffold_trust" not in answers(tmp_path / "payments")
    assert runs(tmp_path / "payments")[0] == "scaffold check"


def test_trusted_cannot_be_bypassed_through_fixed_or_defaults(tmp_path: Path) -> None:
    for table in ("fixed", "defaults"):
        config = tmp_path / f"{table}.toml"
        config.write_text(f"[{table}]\nscaffold_trust = true\n")
        code, _, err = scaffold(tmp_path, "new", "payments", "--defaults", "--config", str(config))
        assert code == 2
        assert f"{table}.scaffold_trust: is decided by `trusted`" in err


def test_adding_the_template_to_trusted_reaches_the_repo_with_its_next_update(tmp_path: Path, template: Path) -> None:
    config = org_config(tmp_path, [])
    repo = new_service(tmp_path, template, "--trust", "--config", str(config))
    assert runs(repo)[0] == "scaffold check"
    code, out, err = scaffold(repo, "check", "--trust", "--config", str(config))
    assert code == 0, out + err

    org_config(tmp_path, [template])
    assert runs(repo)[0] == "scaffold check"  # nothing changes in the repo by itself
    code, out, err = scaffold(repo, "check", "--json", "--config", str(config))
    (report,) = json.loads(out)["repos"]
    assert (code, report["drifted"], report["policy"]) == (1, False, []), out + err  # the next update's change
    changed = {f["path"]: f["status"] for f in report["files"] if f["status"] != "unchanged"}
    assert changed == dict.fromkeys([".copier-answers.yml", *(f".github/workflows/{n}" for n in WORKFLOWS)], "outdated")
    code, out, err = scaffold(repo, "update", "--config", str(config))
    assert code == 0, out + err
    git(repo, "diff", "--quiet", "HEAD")  # committed
    assert answers(repo)["scaffold_trust"] is True
    assert runs(repo)[0] == "scaffold check --trust"

    org_config(tmp_path, [])  # taken back: the next update turns it off, the user's --trust notwithstanding
    code, out, err = scaffold(repo, "update", "--trust", "--config", str(config))
    assert code == 0, out + err
    assert "scaffold_trust" not in answers(repo) and runs(repo)[0] == "scaffold check"


def test_an_update_without_an_org_config_keeps_the_recorded_answer(tmp_path: Path, template: Path) -> None:
    repo = new_service(tmp_path, template, "--config", str(org_config(tmp_path, [template])))
    git(template, "commit", "-q", "--allow-empty", "-m", "next")
    git(template, "tag", "v1.1.0")
    code, out, err = scaffold(repo, "update", "--trust")  # as CI runs it: no org config
    assert code == 0, out + err
    assert answers(repo)["_commit"] == "v1.1.0" and answers(repo)["scaffold_trust"] is True
    assert runs(repo)[0] == "scaffold check --trust"


def test_the_rendered_check_step_runs_in_ci_where_it_was_refused(tmp_path: Path, template: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    trusting = new_service(tmp_path / "a", template, "--config", str(org_config(tmp_path, [template])))
    plain = new_service(tmp_path / "b", template, "--trust")
    env = {k: v for k, v in os.environ.items() if k != "SCAFFOLD_CONFIG"}
    scripts = Path(sys.executable).parent  # where `scaffold` is installed, as CI's pip install puts it on PATH
    env.update(CI="true", XDG_CONFIG_HOME=str(tmp_path / "no-config"), PATH=f"{scripts}{os.pathsep}{env['PATH']}")
    codes = {}
    for name, repo in (("trusting", trusting), ("plain", plain)):
        clone = tmp_path / f"clone-{name}"
        git(tmp_path, "clone", "-q", str(repo), str(clone))
        check = runs(clone)[0]
        result = subprocess.run(
            ["bash", "-e", "-c", check], cwd=clone, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        codes[name] = (result.returncode, result.stdout + result.stderr)
    assert codes["plain"][0] == 2 and "wants to run code on this machine" in codes["plain"][1]
    assert codes["trusting"][0] == 0, codes["trusting"][1]


def test_plain_copier_update_keeps_the_recorded_answer(tmp_path: Path, template: Path) -> None:
    repo = new_service(tmp_path, template, "--config", str(org_config(tmp_path, [template])))
    release(template, "v1.1.0", lambda folder: (folder / "NOTES.md").write_text("notes\n"))
    with chdir(repo):
        copier.run_update(str(repo), defaults=True, overwrite=True, unsafe=True, vcs_ref="v1.1.0", quiet=True)
    assert answers(repo)["_commit"] == "v1.1.0" and answers(repo)["scaffold_trust"] is True
    assert runs(repo)[0] == "scaffold check --trust"


def test_a_move_to_another_template_without_an_org_config_does_not_carry_trust(tmp_path: Path, template: Path) -> None:
    """The org admitted the recorded template, never the one the repo moves to: CI's --trust does not follow."""
    repo = new_service(tmp_path, template, "--config", str(org_config(tmp_path, [template])))
    other = tmp_path / "other-template"
    subprocess.run(["git", "clone", "-q", str(template), str(other)], check=True)
    code, out, err = scaffold(repo, "update", "--template", str(other), "--trust")  # no org config
    assert code == 0, out + err
    assert answers(repo)["_src_path"] == str(other)
    check_run, update_line = runs(repo)
    assert "scaffold_trust" not in answers(repo)
    assert check_run == "scaffold check" and "--trust" not in update_line
