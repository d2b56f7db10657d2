"""Shell completion, as bash runs it: typer's script, sourced in a real bash, asks the real scaffold."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import require_tool

BIN = Path(sys.executable).parent
SCAFFOLD = str(BIN / "scaffold")


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        **extra,
    }


def bash_complete(tmp_path: Path, *words: str) -> list[str]:
    """What bash offers after `words` (the last one being completed), through `scaffold --show-completion bash`."""
    bash = require_tool("bash", "apt-get install bash", installed_as_root=True)
    script = subprocess.run(
        [SCAFFOLD, "--show-completion", "bash"], env=env(tmp_path), capture_output=True, text=True, check=True
    ).stdout
    line = " ".join(f"'{word}'" for word in ("scaffold", *words))
    probe = "\n".join(
        [
            script,
            f"COMP_WORDS=({line}); COMP_CWORD={len(words)}",
            "_scaffold_completion scaffold",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    result = subprocess.run([bash, "--norc", "-c", probe], env=env(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_bash_completes_the_commands_and_subcommands(tmp_path: Path) -> None:
    assert bash_complete(tmp_path, "") == [
        "new",
        "memlimit",
        "templates",
        "update",
        "check",
        "adopt",
        "apply",
        "template",
    ]
    assert bash_complete(tmp_path, "te") == ["templates", "template"]
    assert bash_complete(tmp_path, "template", "") == ["init", "test", "upgrade"]
    assert "--defaults" in bash_complete(tmp_path, "new", "svc", "--")


def test_bash_completes_template_names_for_template_from_the_bundle_and_the_org_catalog(tmp_path: Path) -> None:
    assert bash_complete(tmp_path, "new", "svc", "--template", "") == ["go-service"]
    config = tmp_path / "org.toml"
    config.write_text('[templates.payments]\nsrc = "go-service"\n[templates.gateway]\nsrc = "go-service"\n')
    offered = bash_complete(tmp_path, "new", "svc", "--config", str(config), "--template", "")
    assert offered == ["payments", "gateway", "go-service"]
    assert bash_complete(tmp_path, "new", "svc", "--config", str(config), "-t", "pa") == ["payments"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_get_a_script_and_the_same_template_names(tmp_path: Path, shell: str) -> None:
    script = subprocess.run(
        [SCAFFOLD], env=env(tmp_path, _SCAFFOLD_COMPLETE=f"source_{shell}"), capture_output=True, text=True
    ).stdout
    assert f"_SCAFFOLD_COMPLETE=complete_{shell}" in script
    answer = subprocess.run(
        [SCAFFOLD],
        env=env(
            tmp_path,
            _SCAFFOLD_COMPLETE=f"complete_{shell}",
            _TYPER_COMPLETE_ARGS="scaffold new svc --template ",
            _TYPER_COMPLETE_FISH_ACTION="get-args",
        ),
        capture_output=True,
        text=True,
    ).stdout
    assert "go-service" in answer
