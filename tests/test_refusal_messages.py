"""Refusals speak of what the user typed and what is accepted: never scaffold's own command lines.

git's failures carry git's own reason, in one line.
"""

import subprocess
from pathlib import Path

import pytest

from generator.errors import GitError
from generator.gitrepo import git, git_reason
from tests.cli import scaffold


def empty_template(root: Path) -> Path:
    """A template with a question and no file to render."""
    template = root / "empty"
    template.mkdir()
    (template / "copier.yml").write_text("flavour:\n  type: str\n  default: plain\n")
    return template


@pytest.mark.parametrize("flags", [[], ["--no-git"], ["--pretend"]], ids=["git", "no-git", "pretend"])
def test_a_template_that_renders_no_file_is_refused_in_one_line(tmp_path: Path, flags: list[str]) -> None:
    template = empty_template(tmp_path)

    code, out, err = scaffold(tmp_path, "new", "svc", "--template", "./empty", "--defaults", *flags)

    assert code == 2, out + err
    assert err == (
        f"error: template {template} renders no files with these answers; "
        "accepted: a template whose folder (or _subdirectory) holds files to render\n"
    )
    assert "Created" not in out and "0 files" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # nothing written beside the template


def test_an_unreachable_git_template_says_gits_own_reason(tmp_path: Path) -> None:
    # port 1 on the loopback interface: nothing listens there, so git cannot connect (no traffic leaves the machine)
    code, _, err = scaffold(tmp_path, "new", "a", "-t", "https://127.0.0.1:1/acme/gone.git", "--defaults")

    assert code == 2
    assert err.startswith("error: template https://127.0.0.1:1/acme/gone.git cannot be cloned: unable to access ")
    assert "Failed to connect to 127.0.0.1 port 1" in err
    assert "accepted: a git repository this machine can reach" in err
    assert err.count("\n") == 1 and "--bare" not in err and "--quiet" not in err


def test_a_failing_git_command_is_named_by_its_subcommand_with_gits_reason(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)

    with pytest.raises(GitError) as raised:
        git(tmp_path, "commit", "-q", "--no-verify", "-m", "a long message of scaffold's own\nwith trailers")

    assert raised.value.message == f"git commit failed in {tmp_path}: {raised.value.reason}"
    assert "nothing to commit" in raised.value.reason and "\n" not in raised.value.reason
    assert "-m" not in raised.value.message and "trailers" not in raised.value.message


def test_gits_reason_is_its_first_fatal_line_without_the_prefix() -> None:
    output = "Cloning into 'x'...\nfatal: unable to access 'https://h/x.git/': Could not resolve host: h\n"
    assert git_reason(output) == "unable to access 'https://h/x.git/': Could not resolve host: h"
    gone = "fatal: '/r.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n"
    assert git_reason(gone) == "'/r.git' does not appear to be a git repository"  # the cause, not its consequence
    assert git_reason("error: pathspec 'x' did not match\nhint: a hint\n") == "pathspec 'x' did not match"
    assert git_reason("") == "git gave no reason"
