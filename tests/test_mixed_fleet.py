"""`scaffold check` over a fleet as a platform team has one: every kind of repo in one run, each with its row.

The kinds: made from the bundled template; from a git template one release behind; from another team's
copier template (a folder); made by plain copier and adopted; with edits to seeded files only; with an
owned file edited; with an answer that contradicts the org's `[fixed]` one.
"""

from pathlib import Path

import pytest

from generator.new import NewRequest, create
from generator.sources import resolve
from tests.cli import scaffold
from tests.report_schema import report_json
from tests.template_repos import add_file, git, make_git_template, release
from tests.test_adopt import copier_copy
from tests.test_foreign_templates import FOREIGN

EXPECTED = {  # repo -> (result, exit code)
    "bundled": ("up to date", 0),
    "git-behind": ("behind", 1),
    "foreign": ("up to date", 0),
    "adopted": ("behind", 1),
    "seeded-edits": ("up to date", 0),
    "owned-drift": ("drifted", 1),
    "fixed-violation": ("behind, fixed answers differ", 1),  # the fixed value changes files: an update rolls it out
}


def edit_and_commit(repo: Path, relative: str, line: str) -> None:
    path = repo / relative
    path.write_text(path.read_text() + line)
    git(repo, "commit", "-q", "-am", f"Edit {relative}")


@pytest.fixture
def mixed_fleet(tmp_path: Path) -> tuple[Path, Path]:
    """The seven repos under tmp_path/repos, and an org config fixing runtime_image to distroless."""
    repos = tmp_path / "repos"
    template = make_git_template(tmp_path / "template", "v1.0.0")

    def bundled(name: str, **answers: str) -> Path:
        create(NewRequest(name=name, dest=repos / name, source=resolve(None), given=answers))
        return repos / name

    bundled("bundled")
    create(NewRequest(name="git-behind", dest=repos / "git-behind", source=resolve(str(template), "v1.0.0")))
    code, _, err = scaffold(repos, "new", "foreign", "-t", str(FOREIGN / "minimal"), "--defaults")
    assert code == 0, err
    git(repos / "foreign", "rev-parse", "HEAD")  # a git repo with its pristine render, as scaffold new makes it
    adopted = copier_copy(template, repos / "adopted", "adopted")
    code, _, err = scaffold(repos, "adopt", str(adopted))
    assert code == 0, err
    release(template, "v1.1.0", add_file("template/docs/RUNBOOK.md", "# Runbook\n"))
    edit_and_commit(bundled("seeded-edits"), "README.md", "\nOur own notes.\n")
    edit_and_commit(bundled("owned-drift"), "Dockerfile", "# our base image tweak\n")
    bundled("fixed-violation", runtime_image="alpine")
    config = tmp_path / "org.toml"
    config.write_text('[fixed]\nruntime_image = "distroless"\n')
    return repos, config


def test_check_over_a_mixed_fleet_gives_each_kind_of_repo_its_row_and_exit_code(
    mixed_fleet: tuple[Path, Path], tmp_path: Path
) -> None:
    repos, config = mixed_fleet
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"repos/{name}\n" for name in EXPECTED))

    code, out, err = scaffold(tmp_path, "check", "--from-file", str(listing), "--config", str(config), "--json")

    assert code == 1, err
    rows = {Path(row["repo"]).name: row for row in report_json(out)["repos"]}
    assert {name: (row["result"], row["exit_code"]) for name, row in rows.items()} == EXPECTED
    assert (rows["git-behind"]["from_version"], rows["git-behind"]["to_version"]) == ("v1.0.0", "v1.1.0")
    assert (rows["adopted"]["from_version"], rows["adopted"]["to_version"]) == ("v1.0.0", "v1.1.0")
    outdated = [f["path"] for f in rows["git-behind"]["files"] if f["status"] == "outdated"]
    assert outdated == [".copier-answers.yml", "docs/RUNBOOK.md"]  # its _commit, and the new file
    assert rows["seeded-edits"]["seeded_edits"] == ["README.md"]  # information, not drift
    assert rows["seeded-edits"]["detail"] == ""
    assert rows["owned-drift"]["detail"] == "1 file edited here"
    assert [f["path"] for f in rows["owned-drift"]["files"] if f["status"] == "modified"] == ["Dockerfile"]
    assert rows["fixed-violation"]["policy"] == [f"runtime_image is 'alpine', fixed to 'distroless' by {config}"]
    assert all(row["policy"] == [] for name, row in rows.items() if name != "fixed-violation")

    # the healthy part of the fleet passes the gate; each unhealthy repo alone fails it
    healthy = [str(repos / name) for name, (_, want) in EXPECTED.items() if want == 0]
    code, out, _ = scaffold(tmp_path, "check", *healthy, "--config", str(config))
    assert code == 0, out
    assert "3 repos (up to date: 3); exit code 0" in out
    code, out, _ = scaffold(tmp_path, "check", str(repos / "fixed-violation"), "--config", str(config))
    assert code == 1 and "  policy: runtime_image is 'alpine', fixed to 'distroless'" in out, out
