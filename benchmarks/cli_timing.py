"""Wall time of scaffold's commands against copier and cookiecutter doing the same work, run side by side.

Every command runs as a user runs it, in a fresh process, into a fresh folder; the tools take turns
(scaffold, copier, cookiecutter, scaffold, ...) so that a slow moment of the machine hits all of them.
"""

from __future__ import annotations

import atexit
import filecmp
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import to_cookiecutter
from packaging.version import Version

from generator.new import NewRequest, create
from generator.sources import TemplateSource, bundled_templates_dir
from generator.version import scaffold_version

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NAME = "my-service"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def tool(name: str) -> str:
    """The path of a console script of this Python environment (scaffold, copier, cookiecutter)."""
    found = BIN / name
    if not found.exists():
        raise SystemExit(f"{name} is not installed next to {sys.executable}: pip install -e '.[bench]'")
    return str(found)


def _env() -> dict[str, str]:
    return dict(os.environ, **GIT_IDENTITY, CI="true")


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Run a command and return its wall time in seconds; fail loudly if it fails."""
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return seconds


@dataclass
class Timings:
    """Wall times in seconds of named commands, several runs each."""

    runs: dict[str, list[float]]

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])


def take_turns(commands: dict[str, Callable[[Path], float]], repeat: int) -> Timings:
    """Run each command `repeat` times, in turns, each in a fresh temporary folder."""
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as work:
                runs[name].append(command(Path(work)))
    return Timings(runs)


# --- new -------------------------------------------------------------------------------------------------


def template_dir() -> Path:
    return bundled_templates_dir() / "go-service"


@functools.cache
def cookiecutter_template() -> Path:
    """The bundled template translated for cookiecutter, written afresh for this run (so it never lags behind)."""
    dest = Path(tempfile.mkdtemp(prefix="scaffold-bench-cookiecutter-")) / "go-service"
    atexit.register(shutil.rmtree, dest.parent, True)
    to_cookiecutter.convert(template_dir(), dest)
    return dest


def new_commands() -> dict[str, Callable[[Path], float]]:
    """`scaffold new --defaults` (with and without its git commit), copier and cookiecutter on the same template."""
    return {
        "scaffold new --defaults": lambda w: timed([tool("scaffold"), "new", NAME, str(w / NAME), "--defaults"], w),
        "scaffold new --defaults --no-git": lambda w: timed(
            [tool("scaffold"), "new", NAME, str(w / NAME), "--defaults", "--no-git"], w
        ),
        "copier copy --defaults": lambda w: timed(
            [tool("copier"), "copy", "--defaults", "--trust", "--quiet", str(template_dir()), str(w / NAME)], w
        ),
        "copier copy + git init + commit": copier_copy_and_commit,
        "cookiecutter --no-input": lambda w: timed(
            [tool("cookiecutter"), "--no-input", "-o", str(w), str(cookiecutter_template())], w
        ),
    }


def copier_copy_and_commit(work: Path) -> float:
    """`copier copy` then `git init`, `git add` and a commit: what `scaffold new` does with its git step, by hand."""
    repo = work / NAME
    seconds = timed([tool("copier"), "copy", "--defaults", "--trust", "--quiet", str(template_dir()), str(repo)], work)
    for args in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "--no-verify", "-m", "Create"]):
        seconds += timed(["git", *args], repo)
    return seconds


def cookiecutter_matches_copier() -> str:
    """Whether the cookiecutter template renders the same files as the copier one (answers files aside)."""
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as work:
        root = Path(work)
        timed([tool("copier"), "copy", "--defaults", "--trust", "--quiet", str(template_dir()), str(root / "a")], root)
        timed([tool("cookiecutter"), "--no-input", "-o", str(root / "b"), str(cookiecutter_template())], root)
        left, right = _files(root / "a"), _files(root / "b" / NAME)
        left.discard(".copier-answers.yml")
        right.discard(".cookiecutter-answers.json")
        if left != right:
            return f"no: {len(left ^ right)} files differ in name"
        _, mismatch, errors = filecmp.cmpfiles(root / "a", root / "b" / NAME, sorted(left), shallow=False)
        if mismatch or errors:
            return f"no: {len(mismatch) + len(errors)} files differ"
        return f"yes, {len(left)} identical files"


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


# --- help ------------------------------------------------------------------------------------------------


def help_commands() -> dict[str, Callable[[Path], float]]:
    """`scaffold --help` against a bare interpreter start and `copier --help`."""
    return {
        "python -c pass": lambda w: timed([sys.executable, "-c", "pass"], w),
        "scaffold --help": lambda w: timed([tool("scaffold"), "--help"], w),
        "copier --help": lambda w: timed([tool("copier"), "--help"], w),
    }


def help_imports() -> list[str]:
    """The heavy packages `scaffold --help` imports (it should import none of them)."""
    probe = (
        "import sys\n"
        "from generator.cli import main\n"
        "sys.argv = ['scaffold', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'copier', 'questionary', 'plumbum', 'prompt_toolkit', 'jinja2'}\n"
        "print('imported:', *sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    line = next(line for line in result.stdout.splitlines() if line.startswith("imported:"))
    return line.split()[1:]


# --- update ----------------------------------------------------------------------------------------------


def previous_version() -> str:
    """The release before the installed scaffold's (its bundled template's version)."""
    now = Version(scaffold_version())
    if now.minor > 0:
        return f"{now.major}.{now.minor - 1}.0"
    if now.micro > 0:
        return f"{now.major}.{now.minor}.{now.micro - 1}"
    return f"{now.major - 1}.0.0"


OLD_LINE = "# This line was in the previous template release.\n"


def previous_template(root: Path) -> Path:
    """The bundled template as its previous release had it: here, one line more in the Makefile."""
    old = root / "go-service-previous"
    shutil.copytree(template_dir(), old, ignore=shutil.ignore_patterns("__pycache__"))
    makefile = old / "template" / "Makefile.jinja"
    makefile.write_text(OLD_LINE + makefile.read_text())
    return old


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=_env(), check=True, capture_output=True, timeout=60)


def scaffold_update(work: Path) -> float:
    """Time `scaffold update` on a repo made by `scaffold new` from the previous template release."""
    old = previous_template(work)
    repo = work / NAME
    source = TemplateSource(src=str(old), recorded_src="bundled:go-service", version=previous_version())
    create(NewRequest(name=NAME, dest=repo, source=source, given={}, git_init=True))
    seconds = timed([tool("scaffold"), "update", str(repo)], work)
    if OLD_LINE in (repo / "Makefile").read_text():
        raise RuntimeError("scaffold update left the previous release's Makefile line in place")
    return seconds


def copier_update(work: Path) -> float:
    """Time `copier update --defaults` on the same two releases, as tags of a git template repo."""
    template = work / "template-repo"
    shutil.copytree(previous_template(work), template)
    _git(template, "init", "--quiet", "--initial-branch=main")
    _git(template, "add", "--all")
    _git(template, "commit", "--quiet", "-m", "previous")
    _git(template, "tag", previous_version())
    shutil.rmtree(template / "template")
    shutil.copytree(template_dir() / "template", template / "template", ignore=shutil.ignore_patterns("__pycache__"))
    _git(template, "add", "--all")
    _git(template, "commit", "--quiet", "-m", "current")
    _git(template, "tag", scaffold_version())
    repo = work / NAME
    copier = tool("copier")
    at_previous = ["--vcs-ref", previous_version(), str(template), str(repo)]
    timed([copier, "copy", "--defaults", "--trust", "--quiet", *at_previous], work)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "-m", "new")
    seconds = timed([copier, "update", "--defaults", "--trust", "--quiet", str(repo)], work)
    if OLD_LINE in (repo / "Makefile").read_text():
        raise RuntimeError("copier update left the previous release's Makefile line in place")
    return seconds


def update_commands() -> dict[str, Callable[[Path], float]]:
    return {"scaffold update": scaffold_update, "copier update --defaults": copier_update}


# --- on its own ------------------------------------------------------------------------------------------


def _report(timings: Timings, ours: str, theirs: str) -> None:
    for name in (ours, theirs):
        runs = " ".join(f"{s:.2f}" for s in timings.runs[name])
        print(f"{name:40} median {timings.median(name):.2f} s   runs {runs}")
    print(f"ratio {ours!r} / {theirs!r}: {timings.median(ours) / timings.median(theirs):.2f}x")


def main() -> None:
    """`scaffold new --defaults` against `copier copy` + git, and `scaffold --help`, in turns (a quick side-by-side)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (the median is reported)")
    repeat = parser.parse_args().repeat
    new = new_commands()
    pair = ("scaffold new --defaults", "copier copy + git init + commit")
    _report(take_turns({name: new[name] for name in pair}, repeat), *pair)
    helps = help_commands()
    _report(
        take_turns({name: helps[name] for name in ("scaffold --help", "python -c pass")}, repeat),
        "scaffold --help",
        "python -c pass",
    )


if __name__ == "__main__":
    main()
