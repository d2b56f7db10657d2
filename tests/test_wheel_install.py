"""The built wheel carries the templates: installed in a fresh virtualenv, `scaffold new` works anywhere."""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run


@pytest.mark.slow
def test_wheel_in_a_fresh_virtualenv_creates_a_repo_outside_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)], cwd=tmp_path, timeout=600)
    wheel = next(dist.glob("scaffold_go-*.whl"))
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True, check=True
    ).stdout
    assert "generator/templates/go-service/copier.yml" in listing
    assert "generator/templates/go-service/template/Dockerfile.jinja" in listing

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path, timeout=900)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run([str(env_dir / "bin" / "scaffold"), "new", "wheel-svc", "--defaults"], cwd=elsewhere)
    assert "Created wheel-svc" in result.stdout
    repo = elsewhere / "wheel-svc"
    assert "PROD_GOMEMLIMIT := 460MiB\n" in (repo / "Makefile").read_text()
    assert (repo / "cmd" / "wheel-svc" / "main.go").is_file()
    assert "_src_path: bundled:go-service" in (repo / ".copier-answers.yml").read_text()
    version = run([str(env_dir / "bin" / "scaffold"), "--version"], cwd=elsewhere).stdout
    assert version.startswith("scaffold ") and "0.0.0" not in version
