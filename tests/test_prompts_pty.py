"""`scaffold new` asked interactively, in a real pseudo-terminal, as a person sees it."""

import re
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
CLEAR_LINE = "\x15"  # Ctrl-U: drop the pre-filled default
CTRL_C = "\x03"
DOWN = "\x1b[B"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PORT_PROBLEM = (
    "port '80' is not valid; accepted: a whole number from 1024 to 65535 (the service runs as a non-root user)"
)


def answer(child: pexpect.spawn, prompt: str, keys: str) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def spawn_new(tmp_path: Path, name: str) -> pexpect.spawn:
    """`scaffold new NAME` in a pseudo-terminal of 80 columns, the width of a default terminal window."""
    return pexpect.spawn(
        SCAFFOLD,
        ["new", name],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 80),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def seen(text: str) -> str:
    """What the terminal showed, as one line of words: escape sequences dropped, wrapped lines joined."""
    return " ".join(ESCAPES.sub("", text).split())


def test_answers_typed_at_the_prompts_are_validated_summarised_and_rendered(tmp_path: Path) -> None:
    child = spawn_new(tmp_path, "pty-svc")
    try:
        child.expect_exact("Go module path")
        child.expect_exact("github.com/example/pty-svc")  # the default is shown, pre-filled
        child.send(CLEAR_LINE + "example.com/team/pty-svc\r")
        answer(child, "One-line description", "\r")  # Enter accepts the default
        answer(child, "Go version", DOWN + "\r")  # 1.27 is the default; pick the next one
        answer(child, "HTTP port", CLEAR_LINE + "80\r")
        child.expect_exact("✗ ")
        child.expect_exact("HTTP port")  # refused, and asked again
        problem = seen(child.before)
        child.send(CLEAR_LINE + "9090\r")
        answer(child, "Serve net/http/pprof", "\r")
        answer(child, "pprof port", "\r")
        answer(child, "Container memory limit", CLEAR_LINE + "1Gi\r")
        answer(child, "Container CPU limit", "\r")
        answer(child, "Runtime base image", "\r")
        child.expect_exact("Create the repo with these answers?")
        summary = ESCAPES.sub("", child.before)
        assert "installs scaffold from" not in summary  # where CI gets scaffold is the org's, never asked
        child.send("\r")  # the default is yes
        child.expect_exact("Created pty-svc")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert PORT_PROBLEM in problem  # the whole message, what is accepted included, at 80 columns
    rows = summary_rows(summary)
    assert rows["module_path"] == "example.com/team/pty-svc"
    assert rows["port"] == "9090"
    assert rows["memory_limit"] == "1Gi"
    assert rows["gomemlimit"] == "921MiB (derived)"  # the figure derived from the answer, before writing
    assert rows["cpu_limit_cores"] == "1 (derived)"
    assert all(len(line) <= 80 for line in summary[summary.index("Summary:") :].splitlines())
    repo = tmp_path / "pty-svc"
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["module_path"] == "example.com/team/pty-svc"
    assert answers["description"] == "pty-svc is a Go HTTP service."
    assert answers["go_version"] == "1.26"
    assert answers["port"] == 9090
    assert answers["enable_pprof"] is True
    assert answers["pprof_port"] == 6060
    assert answers["memory_limit"] == "1Gi"
    assert answers["cpu_limit"] == "1"
    assert answers["runtime_image"] == "distroless"
    dockerfile = (repo / "Dockerfile").read_text()
    assert "golang:1.26-alpine" in dockerfile
    assert "PROD_GOMEMLIMIT := 921MiB\n" in (repo / "Makefile").read_text()
    assert (repo / "go.mod").read_text().startswith("module example.com/team/pty-svc\n")


def summary_rows(screen: str) -> dict[str, str]:
    """The summary table's rows, name -> value, from what the terminal showed."""
    lines = [line.strip() for line in screen.splitlines()]
    table = lines[lines.index("Summary:") + 1 :]
    return {row.split()[0]: " ".join(row.split()[1:]) for row in table if row}


def test_ctrl_c_at_a_prompt_leaves_nothing(tmp_path: Path) -> None:
    child = spawn_new(tmp_path, "stopped-svc")
    try:
        answer(child, "Go module path", "\r")
        answer(child, "One-line description", CTRL_C)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    assert "error: cancelled; nothing was written" in seen(child.before)
    assert list(tmp_path.iterdir()) == []


def test_declining_the_summary_writes_nothing(tmp_path: Path) -> None:
    child = spawn_new(tmp_path, "declined-svc")
    try:
        for prompt in ("Go module path", "One-line description", "Go version", "HTTP port", "Serve net/http/pprof"):
            answer(child, prompt, "\r")
        for prompt in (
            "pprof port",
            "Container memory limit",
            "Container CPU limit",
            "Runtime base image",
        ):
            answer(child, prompt, "\r")
        answer(child, "Create the repo with these answers?", "n")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 1
    assert "the answers were not confirmed; nothing was written" in seen(child.before)
    assert list(tmp_path.iterdir()) == []


def test_without_a_terminal_nothing_waits_on_a_prompt(tmp_path: Path) -> None:
    child = pexpect.spawn(
        "/bin/sh",
        ["-c", f"{SCAFFOLD} new quiet-svc < /dev/null"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert yaml.safe_load((tmp_path / "quiet-svc" / ".copier-answers.yml").read_text())["port"] == 8080
