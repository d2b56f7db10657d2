"""Two versions of the tool: a repo made with wheel A updates, offline, with wheel B, once A's template is gone.

Both wheels are built from two commits of a copy of this repo: B changes the template's Dockerfile
and bumps `[project] version`. Only wheel B is installed when `scaffold update` runs, the copy and
wheel A are deleted, and the network is cut (a network namespace when `unshare` allows it, else no
proxies and git limited to local files).
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from generator.version import DISTRIBUTION
from tests.conftest import REPO_ROOT, run
from tests.report_schema import report_json
from tests.template_versions import GIT_IDENTITY, append, assert_go_repo_passes, commit_all, git, insert_before

LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'


def copy_source_tree(dest: Path) -> None:
    """Copy this checkout's files (tracked, and new ones not ignored: what a commit of it would hold) to `dest`."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file() and not name.startswith(".git/"):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build_wheel(source: Path, dist: Path) -> Path:
    before = set(dist.glob("*.whl")) if dist.exists() else set()
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], cwd=source, timeout=600)
    (wheel,) = set(dist.glob("*.whl")) - before
    return wheel


def bump_version(pyproject: Path) -> tuple[str, str]:
    text = pyproject.read_text()
    found = re.search(r'^version = "([^"]+)"$', text, flags=re.MULTILINE)
    assert found is not None, "no [project] version in pyproject.toml"
    old = Version(found[1])
    new = f"{old.major}.{old.minor + 1}.0"
    pyproject.write_text(text.replace(found[0], f'version = "{new}"', 1))
    return str(old), new


class Tool:
    """A virtualenv holding one scaffold wheel; its dependencies come from the test run's own site-packages."""

    def __init__(self, root: Path) -> None:
        self.root = root
        venv.create(root, with_pip=False)
        self.python = root / "bin" / "python"
        self.scaffold = root / "bin" / "scaffold"
        purelib = run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
        self.deps_pth = Path(purelib.stdout.strip()) / "scaffold_test_deps.pth"

    def install(self, wheel: Path) -> None:
        self._pip("install", "--quiet", "--no-deps", "--no-index", str(wheel))
        ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        self.deps_pth.write_text("\n".join(sorted(ours)) + "\n")  # a plain path line: its .pth files are not run

    def uninstall(self) -> None:
        self.deps_pth.unlink()  # pip must see only this venv, never the test run's editable scaffold
        self._pip("uninstall", "--quiet", "--yes", DISTRIBUTION)

    def _pip(self, *args: str) -> None:
        run([sys.executable, "-m", "pip", "--python", str(self.python), *args], cwd=self.root, timeout=300)


def offline(env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Return a command prefix and environment with no network: a new network namespace if possible."""
    quiet = {k: v for k, v in env.items() if "proxy" not in k.lower()}
    quiet.update(GIT_ALLOW_PROTOCOL="file", PIP_NO_INDEX="1", GOPROXY="off", GOFLAGS="-mod=mod")
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False).returncode == 0:
        return [unshare, "-rn"], quiet
    return [], quiet


@pytest.mark.slow
def test_update_offline_with_wheel_b_after_wheel_a_and_its_template_are_gone(
    tmp_path: Path, go_env: dict[str, str]
) -> None:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("needs scaffold's git checkout, to copy its files into two commits")
    source, dist = tmp_path / "scaffold-src", tmp_path / "dist"
    copy_source_tree(source)
    git(source, "init", "--quiet")
    commit_all(source, "Version A")
    wheel_a = build_wheel(source, dist)
    insert_before(source / "templates/go-service/template/Dockerfile.jinja", r"^ENTRYPOINT", LABEL)
    version_a, version_b = bump_version(source / "pyproject.toml")
    commit_all(source, "Version B: label the image")
    wheel_b = build_wheel(source, dist)

    tool = Tool(tmp_path / "tool")
    tool.install(wheel_a)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, **GIT_IDENTITY)
    run([str(tool.scaffold), "new", "my-service", "--defaults"], cwd=work, env=env)
    repo = work / "my-service"
    append(repo / "cmd" / "my-service" / "main.go", "\n// Owned by the payments team.\n")
    commit_all(repo, "Say who owns it")

    tool.uninstall()
    shutil.rmtree(source)
    wheel_a.unlink()
    tool.install(wheel_b)
    prefix, no_network = offline(env)
    assert run([*prefix, str(tool.scaffold), "--version"], cwd=repo, env=no_network).stdout.split() == [
        "scaffold",
        version_b,
    ]

    behind = subprocess.run(
        [*prefix, str(tool.scaffold), "check", "--json"], cwd=repo, env=no_network, capture_output=True, text=True
    )
    assert behind.returncode == 1, behind.stderr
    (report,) = report_json(behind.stdout)["repos"]
    assert (report["version"], report["newest"], report["behind"]) == (version_a, version_b, True)

    updated = run([*prefix, str(tool.scaffold), "update"], cwd=repo, env=no_network)

    assert f"{version_a} -> {version_b}" in updated.stdout
    assert 'LABEL org.opencontainers.image.vendor="my-service"' in (repo / "Dockerfile").read_text()
    assert (repo / "cmd" / "my-service" / "main.go").read_text().endswith("// Owned by the payments team.\n")
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == version_b
    assert git(repo, "status", "--porcelain") == ""
    after = subprocess.run(
        [*prefix, str(tool.scaffold), "check", "--json"], cwd=repo, env=no_network, capture_output=True, text=True
    )
    (report,) = report_json(after.stdout)["repos"]
    assert (report["version"], report["behind"], report["status"]) == (
        version_b,
        False,
        "up to date",
    )  # main.go is seeded: not drift
    assert_go_repo_passes(repo, go_env)
