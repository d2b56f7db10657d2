"""`scaffold new` asked interactively, in a real pseudo-terminal, as a person sees it."""

import sys
from pathlib import Path

import pexpect
import pytest
import yaml

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")
CLEAR_LINE = "\x15"  # Ctrl-U: drop the pre-filled default
DOWN = "\x1b[B"


def answer(child: pexpect.spawn, prompt: str, keys: str) -> None:
    child.expect_exact(prompt)
    child.send(keys)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_answers_typed_at_the_prompts_are_validated_and_rendered(tmp_path: Path) -> None:
    child = pexpect.spawn(
        SCAFFOLD,
        ["new", "pty-svc"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    try:
        child.expect_exact("Go module path")
        child.expect_exact("github.com/example/pty-svc")  # the default is shown, pre-filled
        child.send(CLEAR_LINE + "example.com/team/pty-svc\r")
        answer(child, "One-line description", "\r")  # Enter accepts the default
        answer(child, "Go version", DOWN + "\r")  # 1.27 is the default; pick the next one
        answer(child, "HTTP port", CLEAR_LINE + "80\r")
        child.expect_exact("port '80' is not valid")  # refused, and asked again
        child.send(CLEAR_LINE + "9090\r")
        answer(child, "Serve net/http/pprof", "\r")
        answer(child, "pprof port", "\r")
        answer(child, "Container memory limit", CLEAR_LINE + "1Gi\r")
        answer(child, "Container CPU limit", "\r")
        answer(child, "Runtime base image", "\r")
        answer(child, "pip package the repo's CI installs scaffold from", "\r")
        child.expect_exact("Created pty-svc")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
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
