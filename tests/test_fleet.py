"""`scaffold check` and `scaffold update` over a fleet: many repos in mixed states, in parallel, one summary.

The fleet: repos generated from a local git template with tags v1.0.0 and v1.1.0 (v1.1.0 changes a line
of .gitignore). Some are current (v1.1.0), some behind and untouched, some behind with an edit elsewhere,
some behind with an edit of that very line (an update conflicts), one generated without git, and one
folder that is no repo at all.
"""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from generator import fleet
from generator.config import OrgConfig
from generator.new import NewRequest, create
from generator.sources import resolve
from tests.cli import scaffold
from tests.report_schema import report_json
from tests.template_repos import edit, git, make_git_template, release

STATES = {"current": 6, "behind": 8, "edited": 2, "conflicting": 6}
OLD_LINE, NEW_LINE, LOCAL_LINE = "# Build output\n", "# Build output (go build -o bin/)\n", "# Our build output\n"


@pytest.fixture(scope="module")
def fleet_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the fleet once per worker: the template, 23 generated repos and one plain folder, under one root.

    Each state's first repo is made by scaffold new; the others are copies of it (each its own git repo),
    which keeps the fixture to a few seconds.
    """
    root = tmp_path_factory.mktemp("fleet")
    template = make_git_template(root / "template")
    release(template, "v1.1.0", edit("template/.gitignore", OLD_LINE, NEW_LINE))
    repos = root / "repos"
    for state, count in STATES.items():
        ref = "v1.1.0" if state == "current" else "v1.0.0"
        first = repos / f"{state}-00"
        create(NewRequest(name=f"{state}-svc", dest=first, source=resolve(str(template), ref)))
        if state == "edited":
            owned = first / ".dockerignore"  # a file the template owns: the edit is drift
            owned.write_text(owned.read_text() + "\n# Owned by the payments team.\n")
        if state == "conflicting":
            gitignore = first / ".gitignore"
            gitignore.write_text(gitignore.read_text().replace(OLD_LINE, LOCAL_LINE))
        if state in ("edited", "conflicting"):
            git(first, "commit", "-q", "-am", "Local edit")
        for i in range(1, count):
            shutil.copytree(first, repos / f"{state}-{i:02d}", symlinks=True)
    create(NewRequest(name="no-git", dest=repos / "no-git", source=resolve(str(template), "v1.0.0"), git_init=False))
    (repos / "not-a-repo").mkdir()
    (repos / "not-a-repo" / "notes.txt").write_text("just a folder\n")
    return root


@pytest.fixture
def fleet_root(fleet_source: Path, tmp_path: Path) -> Path:
    """A copy of the fleet this test may change (the repos still point at the one template)."""
    shutil.copytree(fleet_source / "repos", tmp_path / "repos", symlinks=True)
    return tmp_path / "repos"


def names(root: Path, *states: str) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.split("-")[0] in states or p.name in states)


def state_of(name: str) -> str:
    return name if name in ("no-git", "not-a-repo") else name.rsplit("-", 1)[0]


def by_name(out: str) -> dict[str, dict[str, object]]:
    data = report_json(out)
    return {Path(str(repo["repo"])).name: repo for repo in data["repos"]}


def test_check_over_a_mixed_fleet_reports_every_repo_and_exits_with_the_worst(fleet_root: Path) -> None:
    listing = fleet_root.parent / "repos.txt"
    entries = sorted(p.name for p in fleet_root.iterdir())
    listing.write_text("# every service we own\n" + "\n".join(f"repos/{e}" for e in entries) + "\nrepos/current-00\n")
    code, out, err = scaffold(fleet_root.parent, "check", "--from-file", str(listing), "--json", "-j", "2")
    assert code == 2, err
    data = report_json(out)
    assert data["command"] == "check" and data["exit_code"] == 2
    assert [Path(r["repo"]).name for r in data["repos"]] == entries  # input order, each once
    rows = by_name(out)
    assert len(rows) == 24
    for name, row in rows.items():
        state = state_of(name)
        expected = {
            "current": ("up to date", 0, "v1.1.0"),
            "behind": ("behind", 1, "v1.0.0"),
            "edited": ("behind, drifted", 1, "v1.0.0"),
            "conflicting": ("behind", 1, "v1.0.0"),  # its edit is to .gitignore, a seeded file: not drift
            "no-git": ("behind", 1, "v1.0.0"),  # no history: its recorded release, rendered again, is the base
            "not-a-repo": ("error", 2, None),
        }[state]
        assert (row["result"], row["exit_code"], row["from_version"]) == expected, (name, row)
        assert row["to_version"] == (None if state == "not-a-repo" else "v1.1.0")
    assert "has no .copier-answers.yml" in str(rows["not-a-repo"]["detail"])
    assert data["counts"] == {"up to date": 6, "behind": 15, "behind, drifted": 2, "error": 1}  # no-git: behind only
    assert err.count("[") >= 24 and "[24/24]" in err  # one progress line per repo on stderr, when not a terminal


def test_check_prints_a_summary_table_and_exit_1_when_repos_are_only_behind(fleet_root: Path) -> None:
    repos = [fleet_root / "current-00", fleet_root / "current-01", fleet_root / "behind-00", fleet_root / "behind-01"]
    code, out, err = scaffold(fleet_root, "check", *map(str, repos))
    assert code == 1, err
    header = next(line for line in out.splitlines() if "repo" in line and "result" in line)
    assert all(column in header for column in ("from version", "to version", "result", "detail"))
    table_rows = [line for line in out.splitlines() if "current-" in line or "behind-" in line]
    assert len(table_rows) == 4
    assert all(("v1.1.0" in line and "up to date" in line) for line in table_rows if "current-" in line)
    assert all(("v1.0.0" in line and "behind" in line) for line in table_rows if "behind-" in line)
    assert out.strip().splitlines()[-1] == "4 repos (up to date: 2; behind: 2); exit code 1"
    code, _, _ = scaffold(fleet_root, "check", *map(str, repos[:2]))
    assert code == 0


def test_update_over_a_mixed_fleet_never_stops_and_summarises_each_repo(fleet_root: Path) -> None:
    repos = sorted(fleet_root.iterdir())
    code, out, err = scaffold(fleet_root, "update", *map(str, repos), "--json")
    assert code == 2, err
    rows = by_name(out)
    assert len(rows) == 24
    for name, row in rows.items():
        state = state_of(name)
        expected = {
            "current": ("up to date", 0),
            "behind": ("updated", 0),
            "edited": ("updated", 0),
            "conflicting": ("conflicts", 1),
            "no-git": ("refused", 2),
            "not-a-repo": ("refused", 2),
        }[state]
        assert (row["result"], row["exit_code"]) == expected, (name, row)
        if state in ("behind", "edited", "conflicting"):
            assert (row["from_version"], row["to_version"]) == ("v1.0.0", "v1.1.0")
    assert rows["conflicting-00"]["detail"] == "conflicts in .gitignore"
    assert "is not a git repository" in str(rows["no-git"]["detail"])
    # what the fleet now looks like, repo by repo
    for repo in names(fleet_root, "behind", "edited"):
        assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
        assert NEW_LINE in (repo / ".gitignore").read_text()
        assert git(repo, "status", "--porcelain") == ""
    assert "Owned by the payments team." in (fleet_root / "edited-00" / ".dockerignore").read_text()
    for repo in names(fleet_root, "conflicting"):
        assert "<<<<<<<" in (repo / ".gitignore").read_text()
    assert sorted(p.name for p in (fleet_root / "not-a-repo").iterdir()) == ["notes.txt"]  # untouched
    code, out, _ = scaffold(fleet_root, "check", *map(str, names(fleet_root, "current", "behind", "edited")), "--json")
    assert code == 1  # the edited ones stay drifted (their .dockerignore), but every one is on v1.1.0 now
    assert {row["to_version"] for row in report_json(out)["repos"]} == {"v1.1.0"}
    assert {row["result"] for row in report_json(out)["repos"]} == {"up to date", "drifted"}


def test_update_exit_code_is_1_when_the_worst_is_a_conflict_and_0_when_all_merge(fleet_root: Path) -> None:
    repos = [fleet_root / "current-00", fleet_root / "conflicting-00", fleet_root / "conflicting-01"]
    code, out, err = scaffold(fleet_root, "update", *map(str, repos))
    assert code == 1, err
    assert "3 repos (up to date: 1; conflicts: 2); exit code 1" in out
    code, out, err = scaffold(
        fleet_root, "update", str(fleet_root / "behind-00"), str(fleet_root / "behind-01"), "-j", "1"
    )
    assert code == 0, out + err
    assert "2 repos (updated: 2); exit code 0" in out


def git_commands(trace: Path, command: str) -> list[list[str]]:
    """Return the argv of every `git COMMAND` a GIT_TRACE2_EVENT file recorded, from any process."""
    found = []
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        argv = event.get("argv", [])
        if event.get("event") == "start" and command in argv[1:]:
            found.append(argv)
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_fleet_run_clones_its_template_once_and_writes_each_version_once(
    fleet_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jobs: int
) -> None:
    trace = tmp_path / "git-trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))  # the workers inherit it, and so does copier's git
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # where the workers make their temporary folders
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # and this process
    repos = names(fleet_root, "current")[:2] + names(fleet_root, "behind")[:4]  # on v1.1.0, or updating to it
    checked = fleet.check_fleet(repos, OrgConfig(), jobs=jobs)
    assert {row.to_version for row in checked} == {"v1.1.0"}
    updated = fleet.update_fleet(repos, fleet.UpdateOptions(), OrgConfig(), jobs=jobs)
    assert [row.result for row in updated] == ["up to date"] * 2 + ["updated"] * 4
    assert not any(row.result == "error" for row in checked + updated)
    # one clone per fleet run (check, then update), and no other clone: copier renders the written files
    assert len(git_commands(trace, "clone")) == 2
    assert len(git_commands(trace, "checkout-index")) == 2  # v1.1.0's files, once per run
    assert list(scratch.iterdir()) == []  # the shared checkouts are gone with the run


def test_a_pinned_catalog_ref_is_the_version_the_fleet_is_checked_and_updated_to(fleet_root: Path) -> None:
    answers = yaml.safe_load((fleet_root / "behind-00" / ".copier-answers.yml").read_text())
    config = fleet_root.parent / "org.toml"
    config.write_text(f'[templates.acme]\nsrc = "{answers["_src_path"]}"\nref = "v1.0.0"\n')
    behind = [fleet_root / "behind-00", fleet_root / "behind-01"]
    code, out, err = scaffold(fleet_root, "check", *map(str, behind), "--config", str(config), "--json")
    assert code == 0, out + err  # on the approved version: nothing to do yet
    code, out, err = scaffold(fleet_root, "update", *map(str, behind), "--config", str(config), "--json")
    assert code == 0 and {r["result"] for r in report_json(out)["repos"]} == {"up to date"}
    config.write_text(f'[templates.acme]\nsrc = "{answers["_src_path"]}"\nref = "v1.1.0"\n')  # the rollout
    code, out, err = scaffold(fleet_root, "update", *map(str, behind), "--config", str(config), "--json")
    assert code == 0 and {r["result"] for r in report_json(out)["repos"]} == {"updated"}


def test_repo_lists_take_comments_relative_paths_and_duplicates(tmp_path: Path) -> None:
    listing = tmp_path / "lists" / "repos.txt"
    listing.parent.mkdir()
    listing.write_text("# fleet\n../a\n\n  ../b   # the b service\n/abs/c\n../a\n")
    paths = fleet.repo_paths([tmp_path / "b", Path("/abs/d")], listing)
    assert paths == [tmp_path / "b", Path("/abs/d"), tmp_path / "a", Path("/abs/c")]
    code, _, err = scaffold(tmp_path, "check", "--from-file", str(tmp_path / "missing.txt"))
    assert code == 2 and "--from-file" in err and "cannot be read" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    code, _, err = scaffold(tmp_path, "update", "--from-file", str(empty))
    assert code == 2 and "--from-file lists no repos" in err


def explode(path: Path) -> fleet.FleetRow:
    if path.name == "bad":
        raise RuntimeError("boom")
    return fleet.FleetRow(str(path), "v1", "v1", "up to date", 0)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crash_in_one_repo_becomes_its_bug_row_exit_70_and_the_rest_carry_on(tmp_path: Path, jobs: int) -> None:
    paths = [tmp_path / "bad", tmp_path / "good", tmp_path / "also-good"]
    seen: list[str] = []
    rows = fleet.run(paths, explode, jobs=jobs, on_done=lambda row: seen.append(row.result))
    assert [(Path(r.repo).name, r.result, r.exit_code) for r in rows] == [
        ("bad", "bug", 70),
        ("good", "up to date", 0),
        ("also-good", "up to date", 0),
    ]
    assert rows[0].detail.startswith("unexpected RuntimeError: boom; this is a bug in scaffold, please report it")
    assert sorted(seen) == ["bug", "up to date", "up to date"]
    assert fleet.exit_code(rows) == 70
    assert fleet.exit_code([]) == 0


def faulty(path: Path) -> fleet.FleetRow:
    """A job whose worker process meets a real fault on some repos, by the repo's name."""
    if path.name == "segfault":
        ctypes.string_at(0)  # reads address 0: the kernel ends the process with SIGSEGV
    elif path.name == "oom-killed":
        os.kill(os.getpid(), signal.SIGKILL)  # how the kernel's out-of-memory killer ends a process
    elif path.name == "stopped":
        os.kill(os.getpid(), signal.SIGTERM)  # a stop signal a user sends
    return fleet.FleetRow(str(path), "v1", "v1", "up to date", 0)


def test_a_worker_that_dies_is_a_bug_row_exit_70_and_the_other_repos_carry_on(tmp_path: Path) -> None:
    paths = [tmp_path / name for name in ("segfault", "good", "oom-killed", "also-good", "last")]
    seen: list[str] = []
    rows = fleet.run(paths, faulty, jobs=2, on_done=lambda row: seen.append(row.result))
    assert [(Path(r.repo).name, r.result, r.exit_code) for r in rows] == [
        ("segfault", "bug", 70),
        ("good", "up to date", 0),
        ("oom-killed", "bug", 70),
        ("also-good", "up to date", 0),
        ("last", "up to date", 0),
    ]
    assert rows[0].detail.startswith("the worker process on this repo died (killed by SIGSEGV); this is a bug in")
    assert rows[2].detail.startswith("the worker process on this repo died (killed by SIGKILL); this is a bug in")
    assert sorted(seen) == ["bug", "bug", "up to date", "up to date", "up to date"]
    assert fleet.exit_code(rows) == 70


def test_a_worker_a_user_stopped_is_an_interrupted_row_exit_130(tmp_path: Path) -> None:
    rows = fleet.run([tmp_path / "stopped", tmp_path / "good"], faulty, jobs=2)
    assert [(Path(r.repo).name, r.result, r.exit_code, r.detail) for r in rows] == [
        ("stopped", "interrupted", 130, "stopped by SIGTERM before it finished"),
        ("good", "up to date", 0, ""),
    ]
    assert fleet.exit_code(rows) == 130


CRASH_IN_UPDATE = """
import ctypes
from pathlib import Path

import generator.update

real_update = generator.update.update


def update(request):
    if Path(request.repo).name == "bad":
        ctypes.string_at(0)
    return real_update(request)


generator.update.update = update
"""
"""A sitecustomize that gives scaffold's own update a segmentation fault on the repo named `bad`, in every process."""


def test_a_fleet_update_whose_worker_crashes_exits_70_with_a_bug_row(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_IN_UPDATE)
    for name in ("bad", "plain"):
        (tmp_path / name).mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [str(Path(sys.executable).parent / "scaffold"), "update", "bad", "plain", "--jobs", "2", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 70, run.stdout + run.stderr
    data = report_json(run.stdout)
    assert data["exit_code"] == 70
    rows = {Path(str(row["repo"])).name: row for row in data["repos"]}
    assert (rows["bad"]["result"], rows["bad"]["exit_code"]) == ("bug", 70)
    assert "died (killed by SIGSEGV)" in str(rows["bad"]["detail"])
    assert (rows["plain"]["result"], rows["plain"]["exit_code"]) == ("refused", 2)  # no repo: the real update ran


def test_no_config_pins_nothing() -> None:
    assert fleet.pinned_ref(OrgConfig(), "gh:acme/x") is None
