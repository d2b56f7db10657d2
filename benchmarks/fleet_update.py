"""A fleet update: `scaffold update --from-file` against `copier update` under `xargs -P`, same repos, same parallelism.

The template is the bundled one as a local git repository with two tags: v1.0.0, and v1.1.0 whose
Makefile lost a line. The fleet is N repos at v1.0.0, generated once by each tool (`scaffold new`,
`copier copy` + `git init` + commit) and copied, each copy its own git repository. Then both tools
update their N repos to v1.1.0 with J at a time, in turns (scaffold, copier, scaffold, ...) on fresh
copies, and every repo is checked to have lost the line.

Run it alone as `python benchmarks/fleet_update.py [--quick] [--repos N] [--jobs J]`, or as part
`fleet` of `benchmarks/run`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from cli_timing import GIT_IDENTITY, tool  # noqa: E402

from generator.new import NewRequest, create  # noqa: E402
from generator.sources import bundled_templates_dir, resolve  # noqa: E402

OLD_LINE = "# This line is in v1.0.0 only.\n"
NAME = "svc"


@dataclass
class FleetFigures:
    """Wall times of whole fleet updates, each tool's runs in the order taken."""

    repos: int
    jobs: int
    scaffold_s: list[float] = field(default_factory=list)
    copier_s: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many times faster scaffold's fleet update is (copier's median over scaffold's)."""
        return statistics.median(self.copier_s) / statistics.median(self.scaffold_s)


def _env() -> dict[str, str]:
    return dict(os.environ, **GIT_IDENTITY, CI="true")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=_env(), check=True, capture_output=True, timeout=120)


def _run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}\n{result.stderr[-2000:]}")
    return seconds


def template_repo(root: Path) -> Path:
    """The bundled template as a git repo: v1.0.0 with one Makefile line more, v1.1.0 without it."""
    template = root / "template"
    shutil.copytree(bundled_templates_dir() / "go-service", template, ignore=shutil.ignore_patterns("__pycache__"))
    makefile = template / "template" / "Makefile.jinja"
    current = makefile.read_text()
    makefile.write_text(OLD_LINE + current)
    _git(template, "init", "--quiet", "--initial-branch=main")
    _git(template, "add", "--all")
    _git(template, "commit", "--quiet", "-m", "v1.0.0")
    _git(template, "tag", "v1.0.0")
    makefile.write_text(current)
    _git(template, "commit", "--quiet", "-am", "v1.1.0")
    _git(template, "tag", "v1.1.0")
    return template


def seed_repos(template: Path, root: Path) -> tuple[Path, Path]:
    """One repo at v1.0.0 made by each tool: `scaffold new`, and `copier copy` + `git init` + commit."""
    ours = root / "seed-scaffold" / NAME
    create(NewRequest(name=NAME, dest=ours, source=resolve(str(template), "v1.0.0")))
    theirs = root / "seed-copier" / NAME
    copier = [tool("copier"), "copy", "--defaults", "--trust", "--quiet", "--vcs-ref", "v1.0.0"]
    _run([*copier, "--data", f"service_name={NAME}", str(template), str(theirs)], root)
    _git(theirs, "init", "--quiet", "--initial-branch=main")
    _git(theirs, "add", "--all")
    _git(theirs, "commit", "--quiet", "-m", "new")
    return ours, theirs


def fleet_of(seed: Path, folder: Path, count: int) -> list[Path]:
    """`count` copies of the repo `seed` in `folder`, each its own git repository."""
    folder.mkdir(parents=True)
    repos = [folder / f"{NAME}-{i:03d}" for i in range(count)]
    for repo in repos:
        shutil.copytree(seed, repo, symlinks=True)
    return repos


def assert_updated(repos: list[Path], tool_name: str) -> None:
    stale = [repo.name for repo in repos if OLD_LINE in (repo / "Makefile").read_text()]
    if stale:
        raise RuntimeError(f"{tool_name} left {len(stale)} repos on v1.0.0's Makefile, e.g. {stale[0]}")


def scaffold_fleet(seed: Path, work: Path, count: int, jobs: int) -> float:
    """Time `scaffold update --from-file LIST --jobs J` over `count` copies of `seed`."""
    repos = fleet_of(seed, work / "scaffold-fleet", count)
    listing = work / "repos.txt"
    listing.write_text("".join(f"{repo}\n" for repo in repos))
    seconds = _run([tool("scaffold"), "update", "--from-file", str(listing), "--jobs", str(jobs)], work)
    assert_updated(repos, "scaffold update")
    return seconds


def copier_fleet(seed: Path, work: Path, count: int, jobs: int) -> float:
    """Time `xargs -P J -n 1 copier update --defaults --trust` over `count` copies of `seed`."""
    repos = fleet_of(seed, work / "copier-fleet", count)
    listing = "".join(f"{repo}\0" for repo in repos).encode()
    command = ["xargs", "-0", "-P", str(jobs), "-n", "1", tool("copier"), "update", "--defaults", "--trust", "--quiet"]
    start = time.perf_counter()
    result = subprocess.run(command, input=listing, cwd=work, env=_env(), capture_output=True, timeout=3600)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"copier update under xargs exited {result.returncode}: {result.stderr.decode()[-2000:]}")
    assert_updated(repos, "copier update")
    return seconds


def measure(count: int, jobs: int, rounds: int, log: Callable[[str], None] = print) -> FleetFigures:
    """Update fleets of `count` repos with each tool, `rounds` times in turns; every run on fresh copies."""
    figures = FleetFigures(count, jobs)
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-fleet-") as tmp:
        root = Path(tmp)
        template = template_repo(root)
        ours, theirs = seed_repos(template, root)
        for turn in range(rounds):
            for name, run, seed, times in (
                ("scaffold", scaffold_fleet, ours, figures.scaffold_s),
                ("copier", copier_fleet, theirs, figures.copier_s),
            ):
                work = root / f"{name}-{turn}"
                work.mkdir()
                times.append(run(seed, work, count, jobs))
                log(f"fleet: {name} updated {count} repos, {jobs} at a time, in {times[-1]:.1f} s")
                shutil.rmtree(work)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 repos, one round (about a minute)")
    parser.add_argument("--repos", type=int, default=None, help="fleet size (default 100, 10 with --quick)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="repos at a time (default: CPUs)")
    parser.add_argument("--rounds", type=int, default=None, help="runs of each tool (default 3, 1 with --quick)")
    args = parser.parse_args()
    count = args.repos or (10 if args.quick else 100)
    rounds = args.rounds or (1 if args.quick else 3)
    fig = measure(count, args.jobs, rounds, log=lambda line: print(line, file=sys.stderr, flush=True))
    scaffold_s, copier_s = statistics.median(fig.scaffold_s), statistics.median(fig.copier_s)
    print(f"| fleet of {count} repos, {args.jobs} at a time | scaffold update --from-file | {scaffold_s:.1f} s |")
    print(f"| | copier update under xargs -P {args.jobs} | {copier_s:.1f} s |")
    print(f"| | scaffold is faster by | {fig.ratio:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
