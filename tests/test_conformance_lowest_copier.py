"""The copier range pyproject.toml allows is true: the conformance suite passes on the lowest copier it allows.

A fresh virtual environment gets that copier and scaffold's other dependencies, and runs
tests/test_conformance.py against this source tree. The newest allowed copier is the one
the test environment itself installs.
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lowest_copier() -> str:
    """The lower bound of copier in pyproject.toml's dependencies, e.g. "9.4.0"."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    spec = next(d for d in project["dependencies"] if re.match(r"copier\b", d))
    found = re.search(r">=\s*([0-9][0-9.]*)", spec)
    assert found, f"copier has no lower bound in pyproject.toml: {spec}"
    return found[1]


def other_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"] if not re.match(r"copier\b", d)]


@pytest.mark.slow
def test_the_conformance_suite_passes_on_the_lowest_copier_pyproject_allows(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    wanted = [f"copier=={lowest_copier()}", "copier-templates-extensions", "pytest", *other_requirements()]
    subprocess.run([*pip, *wanted], check=True)
    installed = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('copier'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert installed == lowest_copier()

    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_conformance.py"],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout
