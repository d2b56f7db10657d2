"""`scaffold new` (and `scaffold update`, for a secret answer) asked interactively, in a real pseudo-terminal."""

import io
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


def screen_lines(output: str, columns: int) -> list[str]:
    """The lines a terminal of `columns` columns shows for `output`, in the order they were written.

    A terminal emulator (pyte) replays the output on a tall screen, so nothing scrolls away.
    """
    import pyte

    screen = pyte.Screen(columns, 400)
    stream = pyte.Stream(screen)
    stream.feed(output.replace("\n", "\r\n") if "\r\n" not in output else output)
    return [line.rstrip() for line in screen.display if line.strip()]


@pytest.mark.parametrize("columns", [60, 80])
def test_every_line_of_the_prompts_and_the_result_fits_the_terminal_without_breaking_a_word(
    tmp_path: Path, columns: int
) -> None:
    name = "wrapped-svc"
    child = pexpect.spawn(
        SCAFFOLD,
        ["new", name, "--data", "go_version=1.26"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(400, columns),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": str(columns)},
    )
    output = []
    try:
        questions = ("Go module path", "One-line", "HTTP port", "Serve net/http/pprof", "pprof port", "memory", "CPU")
        for prompt in questions:
            child.expect_exact(prompt)
            output.append(child.before + child.after)
            child.send("\r")
        child.expect_exact("(Use arrow keys)")  # the runtime image: a list whose long titles wrap
        output.append(child.before + child.after)
        child.expect_exact("alpine")  # the list is drawn
        output.append(child.before + child.after)
        at_the_list = screen_lines("".join(output), columns)
        child.send("\r")
        for prompt in ("Create the repo with these answers?",):
            child.expect_exact(prompt)
            output.append(child.before + child.after)
            child.send("\r")
        child.expect(pexpect.EOF)
        output.append(child.before)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    at_the_end = screen_lines("".join(output), columns)
    for lines in (at_the_list, at_the_end):
        # a line reaching the last column means the terminal wrapped it, wherever in a word it was
        assert all(len(line) < columns for line in lines), [line for line in lines if len(line) >= columns]
    listed = " ".join(" ".join(at_the_list).split())
    assert "Runtime base image (Use arrow keys)" in listed
    assert "distroless (static, non-root, CA certificates and tzdata)" in listed
    text = " ".join(" ".join(at_the_end).split())
    for whole in (
        f"Created {name} (",
        "the service derives GOMEMLIMIT=460MiB from it at start",
        f"Next: cd {name} && go test ./... && make run",
        "Serve net/http/pprof on a separate localhost-only listener?",
    ):
        assert whole in text, whole  # every word whole, though the line may have been broken between words


def test_a_question_breaks_between_words_and_its_hint_moves_to_a_line_of_its_own_when_it_does_not_fit() -> None:
    from generator.wrapping import fit_question, wrap_line

    text = "Serve net/http/pprof on a separate localhost-only listener?"
    assert fit_question(text, "(Y/n) ", 80) == text  # "? " + text + " (Y/n) " fits in 79 columns
    narrow = fit_question(text, "(Y/n) ", 40)
    assert narrow.split("\n") == ["Serve net/http/pprof on a separate", "  localhost-only listener?"]
    assert fit_question("Runtime base image", "x" * 70, 60).endswith("\n ")  # the hint starts a line of its own
    created = "  container memory limit 512Mi (Kubernetes, compose, Makefile); the service derives GOMEMLIMIT=460MiB"
    pieces = wrap_line(created, 60)
    assert all(len(piece) < 60 for piece in pieces) and " ".join(" ".join(pieces).split()) == " ".join(created.split())
    assert pieces[1].startswith("    ")  # continuation lines indented under the line they continue


def test_an_update_that_cannot_read_a_secret_asks_for_it_unseen_on_a_terminal(tmp_path: Path) -> None:
    from tests.cli import scaffold
    from tests.hostile_templates import git_template
    from tests.template_repos import git
    from tests.template_versions import GIT_IDENTITY
    from tests.test_secrets import SECRET, secret_template

    template = git_template(secret_template(tmp_path / "tpl"))
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}"
    )
    assert code == 0, out + err
    repo = tmp_path / "svc"
    (repo / "config.env").write_text(f"# ours\nTOKEN={SECRET}\n")  # edited: no file shows the value as rendered
    git(repo, "commit", "-qam", "Comment the config")
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nSecond version.\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")

    child = pexpect.spawn(
        SCAFFOLD, ["update"], cwd=str(repo), encoding="utf-8", timeout=60, dimensions=(40, 100),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **GIT_IDENTITY},
    )  # fmt: skip
    child.logfile_read = shown = io.StringIO()  # everything the terminal showed
    answer(child, "api_token (a secret answer", "\r")  # nothing typed: asked again
    answer(child, "api_token is empty", "")
    answer(child, "api_token (a secret answer", SECRET + "\r")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    assert SECRET not in shown.getvalue() and "*" * len(SECRET) in shown.getvalue()
    assert "Updated" in seen(child.before)
    assert (repo / "config.env").read_text() == f"# ours\nTOKEN={SECRET}\n"
    assert "Second version." in (repo / "README.md").read_text()
