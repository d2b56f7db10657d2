"""The org's [fixed] answers as policy over repos that already exist: check reports, update rolls out and refuses."""

from pathlib import Path

import yaml

from tests.cli import scaffold
from tests.conftest import RenderRepo
from tests.template_versions import repo_state


def org_config(tmp_path: Path, runtime_image: str) -> Path:
    path = tmp_path / "org.toml"
    path.write_text(f'[fixed]\nruntime_image = "{runtime_image}"\n')
    return path


def test_update_refuses_data_that_contradicts_a_fixed_answer_and_changes_nothing(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    repo = render_repo("payments")
    state = repo_state(repo)
    config = org_config(tmp_path, "distroless")

    code, _, err = scaffold(repo, "update", "--config", str(config), "--data", "runtime_image=alpine")

    assert code == 2
    assert err.strip() == (
        f"error: runtime_image is fixed to 'distroless' by the org config {config}; accepted: no --data "
        "runtime_image, or runtime_image=distroless"
    )
    assert repo_state(repo) == state


def test_a_changed_fixed_answer_is_reported_by_check_and_rolled_out_by_the_next_update(
    tmp_path: Path, render_repo: RenderRepo
) -> None:
    repo = render_repo("payments")  # runtime_image: distroless, the default
    config = org_config(tmp_path, "scratch")  # the org now fixes scratch

    code, out, _ = scaffold(repo, "check", "--config", str(config))
    assert code == 1, out
    assert "fixed answers differ" in out
    assert f"policy: runtime_image is 'distroless', fixed to 'scratch' by {config}" in out

    code, out, err = scaffold(repo, "update", "--config", str(config))
    assert code == 0, out + err
    assert "answers changed: runtime_image=scratch" in out
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["runtime_image"] == "scratch"
    assert "FROM scratch" in (repo / "Dockerfile").read_text()

    code, out, _ = scaffold(repo, "check", "--config", str(config))
    assert code == 0 and "up to date" in out, out
