"""The update loop as an organisation runs it, end to end, over five template releases.

A small git-hosted template carries the bundled template's own scaffold workflows. A service made
from it lives in a bare repo standing in for GitHub; the team edits it. Each release, the
generated `scaffold-update.yml` runs (its jobs' steps parsed from the YAML, tests/workflow_runner.py),
the stub `gh` records the pull request (tests/github_stub.py), and the team merges it by merge
commit, squash or rebase, done with git the way GitHub does them; `scaffold-check.yml` runs before
and after. In the middle, a colleague runs plain `copier update`. The releases: a rename, a
deletion, a new question, a change `copier update` brings, and a conflict the team resolves on the
pull request's branch.
"""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.sources import bundled_templates_dir
from tests.cli import scaffold
from tests.conftest import run
from tests.github_stub import GitHub
from tests.template_repos import git, release
from tests.workflow_runner import Host, run_workflow

INDEX = "https://pypi.acme.dev/simple"
PINS_URL = "https://pypi.acme.dev/pins/scaffold-ci.txt"
PINS = "scaffold-go==9.9.0 --hash=sha256:" + "ab" * 32 + "\n"
README = "# {{ service_name }}\n\nLine A\nLine B\nLine C\n"
TEAM_LINE = "Line B (the team's wording)"
RELEASE_LINE = "Line B, as the template words it in v1.5.0"
RESOLVED_LINE = "Line B (the team's wording, with v1.5.0's)"

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_scaffold:
  seeded:
    - README.md

service_name:
  type: str
  default: my-service

scaffold_source:
  type: str
  default: ""
  when: "{{ scaffold_source is defined and scaffold_source != '' }}"

scaffold_pins:
  type: str
  default: ""
  when: "{{ scaffold_pins is defined and scaffold_pins != '' }}"
"""


def loop_template(path: Path) -> Path:
    """A small template with the bundled template's scaffold workflows, tagged v1.0.0."""
    bundled = bundled_templates_dir() / "go-service" / "template"
    (path / "template" / ".github" / "workflows").mkdir(parents=True)
    for name in ("scaffold-check.yml.jinja", "scaffold-update.yml.jinja"):
        shutil.copy(bundled / ".github" / "workflows" / name, path / "template" / ".github" / "workflows" / name)
    answers = "{{ _copier_conf.answers_file }}.jinja"
    shutil.copy(bundled / answers, path / "template" / answers)
    (path / "copier.yml").write_text(COPIER_YML)
    files = {
        "README.md.jinja": README,
        "config/settings.txt": "level = 1\n",
        "legacy.txt": "kept for old clients\n",
    }
    for name, text in files.items():
        (path / "template" / name).parent.mkdir(parents=True, exist_ok=True)
        (path / "template" / name).write_text(text)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "First version")
    git(path, "tag", "v1.0.0")
    return path


def rename_settings(t: Path) -> None:
    (t / "template" / "config" / "settings.txt").rename(t / "template" / "config" / "app.txt")


def delete_legacy(t: Path) -> None:
    (t / "template" / "legacy.txt").unlink()


def ask_owner_team(t: Path) -> None:
    with (t / "copier.yml").open("a") as f:
        f.write("\nowner_team:\n  type: str\n  default: platform\n")
    (t / "template" / "OWNERS.jinja").write_text("{{ owner_team }}\n")


def add_guide(t: Path) -> None:
    (t / "template" / "docs").mkdir()
    (t / "template" / "docs" / "guide.md").write_text("# Guide\n")


def reword_line_b(t: Path) -> None:
    readme = t / "template" / "README.md.jinja"
    readme.write_text(readme.read_text().replace("Line B", RELEASE_LINE))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def tree(repo: Path) -> dict[str, bytes]:
    """Every file of a checkout but .git, with its content."""
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


class Loop:
    """The org's side (template releases), GitHub's (origin, pull requests) and the team's (clones, merges)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.template = loop_template(tmp_path / "template")
        self.config = tmp_path / "org.toml"
        self.config.write_text(f'[ci]\nscaffold_source = "{INDEX}"\nscaffold_pins = "{PINS_URL}"\n')
        code, _, err = scaffold(
            tmp_path, "new", "payments", "-t", str(self.template), "--vcs-ref", "v1.0.0", "--defaults",
            "--config", str(self.config),
        )  # fmt: skip
        assert code == 0, err
        self.origin = tmp_path / "origin.git"
        git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "payments"), str(self.origin))
        git(self.origin, "symbolic-ref", "HEAD", "refs/heads/main")
        git(tmp_path / "payments", "push", "-q", str(self.origin), "HEAD:refs/heads/main")
        self.github = GitHub(tmp_path / "github", self.origin, PINS_URL, PINS)
        self.host = Host(origin=self.origin, root=tmp_path / "runs", path=self.github.path, env=self.github.env)
        self.host.root.mkdir()
        self.clones = 0

    def clone(self, branch: str = "main") -> Path:
        self.clones += 1
        folder = self.tmp / f"clone-{self.clones}"
        git(self.tmp, "clone", "-q", "--branch", branch, str(self.origin), str(folder))
        return folder

    def team_commits(self, change: Callable[[Path], None], message: str, branch: str = "main") -> str:
        """The team changes `branch` in a clone of its own and pushes; returns the new commit."""
        clone = self.clone(branch)
        change(clone)
        commit_all(clone, message)
        git(clone, "push", "-q", "origin", branch)
        return git(clone, "rev-parse", "HEAD").strip()

    def run(self, name: str) -> dict:
        """Run one of the repo's scaffold workflows, as `main` has it now."""
        return run_workflow(self.clone() / ".github" / "workflows" / name, self.host)

    def scheduled_update(self) -> None:
        jobs = self.run("scaffold-update.yml")
        assert jobs["update"].status == 0, jobs["update"].log
        assert not jobs["publish"].ran or jobs["publish"].status == 0, jobs["publish"].log

    def check(self) -> tuple[int, str]:
        job = self.run("scaffold-check.yml")["check"]
        return job.status, job.log

    def release_and_propose(self, tag: str, change: Callable[[Path], None]) -> int:
        """Tag a release; the check on main says "behind"; the scheduled run opens exactly one pull request."""
        release(self.template, tag, change)
        status, log = self.check()
        assert status == 1 and "behind" in log, log
        before = len(self.github.prs)
        self.scheduled_update()
        (pr,) = self.github.prs[before:]
        assert pr.head == f"scaffold/update-{tag}" and pr.title.startswith(f"Update template to {tag}")
        return pr.number

    def merged_and_settled(self, number: int, method: str) -> None:
        """Merge the pull request; afterwards check passes and the next scheduled run opens nothing."""
        self.github.merge(number, method)
        prs = len(self.github.prs)
        self.scheduled_update()
        assert len(self.github.prs) == prs, f"a second pull request after the {method} merge: {self.github.prs[-1]}"
        status, log = self.check()
        assert status == 0, f"after the {method} merge of #{number}: {log}"


@pytest.mark.parametrize(
    "methods",
    [("merge", "rebase", "squash", "merge"), ("squash", "merge", "rebase", "squash")],
    ids=["merge-rebase-squash-merge", "squash-merge-rebase-squash"],
)
def test_five_releases_reach_the_repo_through_its_own_workflows_whatever_the_merge_method(
    tmp_path: Path, methods: tuple[str, str, str, str]
) -> None:
    loop = Loop(tmp_path)

    def team_edits(repo: Path) -> None:
        readme = repo / "README.md"
        readme.write_text(readme.read_text().replace("Line B", TEAM_LINE))
        (repo / "app").mkdir(exist_ok=True)
        (repo / "app" / "main.txt").write_text("the team's own code\n")

    loop.team_commits(team_edits, "Our README and our code")

    loop.merged_and_settled(loop.release_and_propose("v1.1.0", rename_settings), methods[0])
    loop.merged_and_settled(loop.release_and_propose("v1.2.0", delete_legacy), methods[1])
    loop.merged_and_settled(loop.release_and_propose("v1.3.0", ask_owner_team), methods[2])

    # A colleague (or Renovate) runs plain copier update on main for v1.4.0.
    release(loop.template, "v1.4.0", add_guide)
    colleague = loop.clone()
    copier = Path(sys.executable).parent / "copier"
    run([str(copier), "update", "--defaults", "--vcs-ref", "v1.4.0"], cwd=colleague)
    commit_all(colleague, "copier update to v1.4.0")
    git(colleague, "push", "-q", "origin", "main")
    prs = len(loop.github.prs)
    loop.scheduled_update()
    assert len(loop.github.prs) == prs, "a pull request for a release copier update already applied"
    assert loop.check()[0] == 0

    # v1.5.0 rewords the line the team reworded: a draft pull request, resolved on its branch.
    number = loop.release_and_propose("v1.5.0", reword_line_b)
    pr = loop.github.prs[-1]
    assert pr.draft and pr.title.endswith("(conflicts to resolve)")
    assert "CI has not run on this pull request" in pr.body

    def resolve(repo: Path) -> None:
        readme = repo / "README.md"
        lines, keep = [], True
        for line in readme.read_text().splitlines(keepends=True):
            if line.startswith("<<<<<<<"):
                lines.append(RESOLVED_LINE + "\n")
                keep = False
            elif line.startswith(">>>>>>>"):
                keep = True
            elif keep:
                lines.append(line)
        readme.write_text("".join(lines))

    resolution = loop.team_commits(resolve, "Resolve the README", branch=pr.head)
    loop.scheduled_update()  # the next scheduled run, with the pull request still open
    assert git(loop.origin, "rev-parse", pr.head).strip() == resolution  # the team's commit survives
    assert len(loop.github.prs) == number
    loop.github.undraft(number)
    loop.merged_and_settled(number, methods[3])

    # One pull request per release, and the repo is exactly v1.5.0 plus the team's edits.
    titles = [p.title.split(" (")[0] for p in loop.github.prs]
    assert titles == [f"Update template to v1.{n}.0" for n in (1, 2, 3, 5)]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    code, _, err = scaffold(
        fresh, "new", "payments", "-t", str(loop.template), "--vcs-ref", "v1.5.0", "--defaults", "--no-git",
        "--config", str(loop.config),
    )  # fmt: skip
    assert code == 0, err
    expected = tree(fresh / "payments")
    expected["README.md"] = expected["README.md"].replace(RELEASE_LINE.encode(), RESOLVED_LINE.encode())
    expected["app/main.txt"] = b"the team's own code\n"
    assert tree(loop.clone()) == expected
