"""Shell completion, as bash runs it: typer's script, sourced in a real bash, asks the real scaffold."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
import yaml

from generator.cli import app
from generator.sources import bundled_templates_dir
from tests import tools

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
    result = subprocess.run(["bash", "--norc", "-c", probe], env=env(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
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
    assert bash_complete(tmp_path, "template", "") == ["init", "test", "show", "upgrade"]
    assert "--defaults" in bash_complete(tmp_path, "new", "svc", "--")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
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


def scaffold_run(
    tmp_path: Path, *args: str, shell: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed scaffold, from `shell -c` when given (as a user's shell starts it)."""
    command = [SCAFFOLD, *args] if shell is None else [shell, "-c", " ".join([SCAFFOLD, *args])]
    return subprocess.run(command, env=env(tmp_path, **extra), capture_output=True, text=True)


@pytest.mark.parametrize(
    ("shell", "mark"),
    [("bash", "_scaffold_completion()"), ("zsh", "#compdef scaffold"), ("fish", "complete --command scaffold")],
)
def test_show_completion_prints_the_script_of_the_shell_it_is_given(tmp_path: Path, shell: str, mark: str) -> None:
    shown = scaffold_run(tmp_path, "--show-completion", shell)
    assert shown.returncode == 0, shown.stderr
    assert mark in shown.stdout
    others = {"bash": "COMPREPLY", "zsh": "#compdef", "fish": "complete --command"}
    assert not any(text in shown.stdout for name, text in others.items() if name != shell)


def test_show_completion_under_dash_takes_the_login_shell_or_says_to_name_one(tmp_path: Path) -> None:
    tools.require("dash")
    shown = scaffold_run(tmp_path, "--show-completion", shell="dash", SHELL="/bin/zsh")
    assert shown.returncode == 0 and "#compdef scaffold" in shown.stdout, shown.stderr
    refused = scaffold_run(tmp_path, "--show-completion", shell="dash", SHELL="/bin/dash")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        "error: cannot tell which shell to complete for (running: dash, $SHELL: dash); "
        "accepted: name it, e.g. --show-completion bash (bash, zsh, fish)\n"
    )
    unknown = scaffold_run(tmp_path, "--show-completion", "tcsh")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "error: shell 'tcsh' has no completion here; accepted: bash, zsh, fish\n",
    )


@pytest.mark.parametrize(
    ("shell", "installed", "mark"),
    [("zsh", ".zfunc/_scaffold", "#compdef scaffold"), ("fish", ".config/fish/completions/scaffold.fish", "complete")],
)
def test_install_completion_installs_the_script_of_the_shell_it_is_given(
    tmp_path: Path, shell: str, installed: str, mark: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = scaffold_run(tmp_path, "--install-completion", shell, HOME=str(home), SHELL="/bin/bash")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{shell} completion installed in {home / installed}")
    script = (home / installed).read_text()
    assert mark in script and "COMPREPLY" not in script  # never bash's script


def test_data_completes_the_chosen_templates_question_keys_and_choice_values(tmp_path: Path) -> None:
    assert bash_complete(tmp_path, "new", "svc", "--data", "mem") == ["memory_limit="]
    offered = bash_complete(tmp_path, "new", "svc", "-d", "")
    assert "runtime_image=" in offered and "port=" in offered and "gomemlimit=" not in offered
    template = tmp_path / "tiny"
    template.mkdir()
    (template / "copier.yml").write_text("flavour:\n  type: str\n  choices: [plain, spicy]\n  default: plain\n")
    assert bash_complete(tmp_path, "new", "svc", "--template", str(template), "--data", "") == ["flavour="]
    answer = subprocess.run(
        [SCAFFOLD],
        env=env(tmp_path, _SCAFFOLD_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="scaffold new svc -d runtime_image="),
        capture_output=True,
        text=True,
    ).stdout
    assert all(f"runtime_image={image}" in answer for image in ("distroless", "scratch", "alpine"))


def all_commands() -> list[tuple[str, click.Command]]:
    """Every command of the scaffold command line, with its full name."""
    root = typer.main.get_command(app)
    found = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in subcommands.items()]
        found.append((name, command))
    return found


def test_top_level_help_shows_each_commands_whole_first_line(tmp_path: Path) -> None:
    listed = "".join(
        scaffold_run(tmp_path, *group, "--help", COLUMNS="80").stdout.partition("Commands:")[2]
        for group in ([], ["template"])
    )
    assert "..." not in listed and "…" not in listed
    for name, command in all_commands():
        first = (command.help or "").strip().splitlines()[0]
        assert f"  {name.split()[-1]}" in listed and first in listed, (name, first)


def test_every_argument_and_option_value_is_labelled_in_one_style() -> None:
    for name, command in all_commands():
        for param in command.params:
            takes_value = isinstance(param, click.Argument) or not getattr(param, "is_flag", False)
            if param.name == "help" or not takes_value:
                continue
            label = (param.metavar or "").strip("[]")
            placeholder = label == label.upper()  # NAME, PATH, KEY=VALUE, NAME|FOLDER|URL
            literal_choices = "|" in label and label == label.lower()  # inline|rej, as click shows choices
            assert label and (placeholder or literal_choices), (name, param.name, param.metavar)


def test_template_show_lists_each_questions_key_type_default_and_help(tmp_path: Path) -> None:
    shown = scaffold_run(tmp_path, "template", "show", COLUMNS="200")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Questions of bundled:go-service, version 0.1.0; answer them with --data KEY=VALUE:"
    rows = {line.split()[0]: line.split(None, 3)[1:] for line in lines[2:] if line.startswith("  ")}
    assert rows["port"] == ["int", "8080", "HTTP port the service listens on"]
    assert rows["memory_limit"][:2] == ["str", "512Mi"]
    assert rows["runtime_image"][2].endswith("(one of: distroless, scratch, alpine)")
    assert "gomemlimit" not in rows
    spec = yaml.safe_load((bundled_templates_dir() / "go-service" / "copier.yml").read_text())
    never = [key for key, value in spec.items() if isinstance(value, dict) and value.get("when") is False]
    assert "gomemlimit" in never
    assert lines[-1] == f"Never asked (derived from the answers, or fixed): {', '.join(never)}"
