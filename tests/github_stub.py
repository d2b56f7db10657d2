"""A stand-in for GitHub's side of the update loop: pull requests kept in a JSON file, merged with real git.

`gh` records the pull requests the workflow opens (`pr list`, `pr create`); `gh pr merge N --squash`
(or `--merge`, `--rebase`) merges one the way GitHub's three merge methods do, with git, in a clone
of the bare repo, then deletes its branch as repos that auto-delete head branches do; `gh pr ready`
takes a draft out of draft. `curl` serves the org's pins file and `python -m pip`
records the install instead of reaching a package index (no network here); every other `python`
call goes to the real interpreter.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT
from tests.template_repos import GIT_ENV, git

GH = """#!{python}
import json, os, sys
sys.path.insert(0, {root!r})
from tests.github_stub import merge_pull_request
state_file = os.environ["GH_STATE"]
with open(state_file) as f:
    state = json.load(f)
args = sys.argv[1:]
state["calls"].append(args)
def option(name):
    return args[args.index(name) + 1]
def pull_request(number):
    return next(p for p in state["prs"] if p["number"] == int(number))
if args[:2] == ["pr", "list"]:
    head, wanted = option("--head"), option("--state")
    found = [p for p in state["prs"] if p["head"] == head and (wanted == "all" or p["state"] == wanted)]
    print(len(found) if "--jq" in args else json.dumps([{{"number": p["number"]}} for p in found]))
elif args[:2] == ["pr", "create"]:
    with open(option("--body-file")) as f:
        body = f.read()
    number = len(state["prs"]) + 1
    state["prs"].append({{"number": number, "base": option("--base"), "head": option("--head"),
                          "title": option("--title"), "body": body, "draft": "--draft" in args,
                          "state": "open", "token": os.environ.get("GH_TOKEN", "")}})
    print(f"https://github.com/acme/payments/pull/{{number}}")
elif args[:2] == ["pr", "ready"]:
    pull_request(args[2])["draft"] = False
elif args[:2] == ["pr", "merge"]:
    (method,) = [m for m in ("merge", "squash", "rebase") if "--" + m in args]
    pr = pull_request(args[2])
    if pr["state"] != "open" or pr["draft"]:
        print(f"stub gh: pull request #{{pr['number']}} is {{pr['state']}}, draft {{pr['draft']}}", file=sys.stderr)
        sys.exit(1)
    merge_pull_request(os.environ["GH_ORIGIN"], pr, method)
    pr["state"] = "merged"
else:
    print(f"stub gh: unsupported call {{args}}", file=sys.stderr)
    sys.exit(2)
with open(state_file, "w") as f:
    json.dump(state, f)
"""

CURL = """#!/bin/bash
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift 2;;
    --proto) shift 2;;
    -*) shift;;
    *) url="$1"; shift;;
  esac
done
[ "$url" = "$PINS_URL" ] || {{ echo "stub curl: unknown URL $url" >&2; exit 22; }}
cp "$PINS_FILE_SERVED" "$out"
"""

PYTHON = """#!/bin/bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  printf '%s\\n' "$*" >> "$PIP_LOG"
  exit 0
fi
exec {python} "$@"
"""


@dataclass
class PullRequest:
    """One pull request as the stub `gh` recorded it."""

    number: int
    base: str
    head: str
    title: str
    body: str
    draft: bool
    state: str
    token: str


class GitHub:
    """The stub's tools on PATH and its state: pull requests, `gh` calls, pip installs."""

    def __init__(self, root: Path, origin: Path, pins_url: str, pins: str) -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.state_file = root / "gh-state.json"
        self.state_file.write_text(json.dumps({"prs": [], "calls": []}))
        self.pip_log = root / "pip.log"
        served = root / "pins.txt"
        served.write_text(pins)
        for name, text in (("gh", GH), ("curl", CURL), ("python", PYTHON)):
            tool = self.bin / name
            tool.write_text(text.format(python=sys.executable, root=str(REPO_ROOT)))
            tool.chmod(0o755)
        scaffold = Path(sys.executable).parent / "scaffold"
        self.path = [str(self.bin), str(scaffold.parent)]
        self.env = {
            "GH_STATE": str(self.state_file),
            "GH_ORIGIN": str(origin),
            "PIP_LOG": str(self.pip_log),
            "PINS_URL": pins_url,
            "PINS_FILE_SERVED": str(served),
        }

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    @property
    def prs(self) -> list[PullRequest]:
        """Every pull request opened so far, oldest first."""
        return [PullRequest(**p) for p in self._state()["prs"]]

    @property
    def calls(self) -> list[list[str]]:
        """Every `gh` call, in order."""
        calls: list[list[str]] = self._state()["calls"]
        return calls

    @property
    def pip_installs(self) -> list[str]:
        """The argument lines of every `python -m pip` call."""
        return self.pip_log.read_text().splitlines() if self.pip_log.exists() else []

    def open_prs(self) -> list[PullRequest]:
        """The pull requests still open."""
        return [p for p in self.prs if p.state == "open"]

    def merge(self, number: int, method: str) -> None:
        """The team merges pull request `number` with `gh pr merge N --METHOD`."""
        self.gh("pr", "merge", str(number), f"--{method}")

    def gh(self, *args: str) -> None:
        """Run the stub `gh` as a person would, failing the test when it fails."""
        done = subprocess.run(
            [str(self.bin / "gh"), *args], env={**os.environ, **self.env}, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"gh {' '.join(args)}: {done.stderr}"

    def undraft(self, number: int) -> None:
        """Mark a draft pull request ready for review (`gh pr ready`), as the team does once conflicts are resolved."""
        self.gh("pr", "ready", str(number))


def merge_pull_request(origin: str, pr: dict[str, Any], method: str) -> None:
    """Merge `pr` into its base in the bare repo `origin` the way GitHub's `method` does, then delete its branch.

    merge: a merge commit with both parents; squash: one new commit with one parent, the PR's
    tree; rebase: the PR's non-merge commits replayed one by one onto the base (git rebase, which
    drops merge commits). GitHub refuses a rebase that conflicts, and so does this.
    """
    number = pr["number"]
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "clone"
        git(Path(folder), "clone", "-q", "--branch", pr["base"], origin, str(clone))
        head = f"origin/{pr['head']}"
        if method == "merge":
            git(clone, "merge", "--no-ff", "-q", "-m", f"Merge pull request #{number} from {pr['head']}", head)
        elif method == "squash":
            git(clone, "merge", "--squash", "-q", head)
            git(clone, "commit", "-q", "-m", f"{pr['title']} (#{number})")
        elif method == "rebase":
            git(clone, "switch", "-q", "-c", "rebased", head)
            replay = subprocess.run(
                ["git", "rebase", "-q", pr["base"]],
                cwd=clone,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, **GIT_ENV},
            )
            assert replay.returncode == 0, f"GitHub would refuse: this branch cannot be rebased: {replay.stderr}"
            git(clone, "switch", "-q", pr["base"])
            git(clone, "merge", "-q", "--ff-only", "rebased")
        else:
            raise ValueError(f"unknown merge method {method}")
        git(clone, "push", "-q", "origin", f"{pr['base']}:{pr['base']}", f":{pr['head']}")
