"""The docs are executed: every example marked runnable in README.md and docs/*.md runs, and prints what the doc shows.

A runnable example is a fenced block preceded by an HTML comment that starts with `runnable`:

    <!-- runnable -->
    ```console
    $ scaffold memlimit 512Mi
    460MiB
    ```

Lines starting with `$ ` are commands, run one by one with bash in a fresh temporary folder, with the
installed `scaffold` first on PATH; the lines after a command, up to the next one, are its output (stdout and
stderr together). The rest of the comment's first line is a note for readers; its next lines, if any, are a
setup script, run before the first command and not shown on the rendered page. In the shown output:

- `<commit>` stands for a git commit id (7 to 40 hex digits);
- `<tmp>` stands for the temporary folder the example runs in;
- `...` alone on a line stands for any number of lines; `...` inside a line for any text.

A doc that drifts from what scaffold prints fails here, naming the doc, the line and the difference.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!--\s*runnable\b(?P<setup>.*?)-->\s*\n(?P<fence>```+)[^\n]*\n(?P<body>.*?)\n(?P=fence)", re.S)
PLACEHOLDERS = {"<commit>": "[0-9a-f]{7,40}", "...": ".*"}


@dataclass
class Command:
    """One `$ ` line of an example and the output the doc shows for it."""

    line: int
    command: str
    expected: list[str]


@dataclass
class Example:
    """A runnable block: where it is, its hidden setup script, and its commands."""

    doc: Path
    line: int
    setup: str
    commands: list[Command]

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(REPO_ROOT)}:{self.line}"


def examples(doc: Path) -> list[Example]:
    """Return the runnable examples of `doc`, in order."""
    text = doc.read_text()
    found = []
    for match in MARKER.finditer(text):
        first = text.count("\n", 0, match.start("body")) + 1
        commands: list[Command] = []
        for offset, line in enumerate(match.group("body").splitlines()):
            if line.startswith("$ "):
                commands.append(Command(first + offset, line[2:], []))
            elif commands:
                commands[-1].expected.append(line)
        for command in commands:  # a blank line between two commands only spaces them out
            while command.expected and not command.expected[-1].strip():
                command.expected.pop()
        block_line = text.count("\n", 0, match.start()) + 1
        setup = match.group("setup").partition("\n")[2]  # the comment's first line is a note for readers
        found.append(Example(doc, block_line, setup.strip(), commands))
    return found


ALL = [example for doc in DOCS for example in examples(doc)]


def line_pattern(expected: str, tmp: Path) -> re.Pattern[str]:
    """A regular expression for one shown line: the text as is, placeholders as what they stand for."""
    parts = re.split(r"(<commit>|\.\.\.|<tmp>)", expected.rstrip())
    regex = "".join(
        PLACEHOLDERS.get(part) or (re.escape(str(tmp)) if part == "<tmp>" else re.escape(part)) for part in parts
    )
    return re.compile(regex)


def matches(expected: list[str], actual: list[str], tmp: Path) -> bool:
    """Whether `actual` lines are what `expected` shows; `...` alone on a line takes any number of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, actual[skip:], tmp) for skip in range(len(actual) + 1))
    return (
        bool(actual) and bool(line_pattern(head, tmp).fullmatch(actual[0].rstrip())) and matches(rest, actual[1:], tmp)
    )


def environment(home: Path) -> dict[str, str]:
    """What a newcomer's shell has: the installed scaffold first on PATH, no org config, a git identity unset."""
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCAFFOLD_", "GIT_"))}
    env.update(
        PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        COLUMNS="200",
        NO_COLOR="1",
    )
    return env


def test_the_docs_mark_their_key_examples_runnable() -> None:
    marked = {example.doc.name for example in ALL}
    assert {"README.md", "platform-teams.md", "updating.md", "security.md", "memory.md"} <= marked
    assert all(example.commands for example in ALL), [e.id for e in ALL if not e.commands]


@pytest.mark.parametrize("example", ALL, ids=lambda e: e.id)
def test_doc_example_prints_what_the_doc_shows(example: Example, tmp_path: Path) -> None:
    work = tmp_path / "work"
    home = tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = environment(home)
    if example.setup:
        setup = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", example.setup], cwd=work, env=env, capture_output=True, text=True
        )
        assert setup.returncode == 0, f"{example.id}: the setup failed:\n{setup.stdout}{setup.stderr}"
    for command in example.commands:
        result = subprocess.run(
            ["bash", "-c", command.command],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=600,
        )
        actual = result.stdout.splitlines()
        assert matches(command.expected, actual, work), (
            f"{example.doc.relative_to(REPO_ROOT)}:{command.line}: `{command.command}` printed\n"
            + "\n".join(actual)
            + "\n\nbut the doc shows\n"
            + "\n".join(command.expected)
        )


def test_a_drifted_example_is_caught(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- runnable -->\n```console\n$ scaffold memlimit 512Mi\n461MiB\n```\n")
    (example,) = examples(doc)
    assert example.commands[0].command == "scaffold memlimit 512Mi"
    assert not matches(example.commands[0].expected, ["460MiB"], tmp_path)
    assert matches(["Created x (<commit>)", "...", "end"], ["Created x (08a5f3a)", "a", "b", "end"], tmp_path)
    assert not matches(["Created x (<commit>)"], ["Created x (not-hex)"], tmp_path)
