"""Run a GitHub Actions workflow's jobs on this machine, against a bare repo standing in for GitHub.

The workflow is read from its YAML, never copied into a test: each job's `run:` steps run in order
in bash, as GitHub runs a step that names no shell (`bash -e`), with the env the workflow, the
job and the step declare and `${{ }}` expressions evaluated from a small context (github, runner,
steps, needs, vars, secrets). Step outputs go through `$GITHUB_OUTPUT`, job outputs through `needs`.
The few actions the generated workflows use are replaced by local stand-ins: checkout clones the
bare repo (and, unless told not to persist credentials, pushes with its token as a push option),
the artifact actions copy a folder, setup-python does nothing (the test's Python is on PATH), the
GitHub App token action hands out a token. Anything else is refused, so a new action
cannot pass unnoticed.
"""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.template_repos import GIT_ENV

WORKFLOW_TOKEN = "workflow-token"
APP_TOKEN = "app-token"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_COMPARISON = re.compile(r"^(.+?)\s*(==|!=)\s*(.+)$")


@dataclass
class Host:
    """What stands in for GitHub: the repo, the runner's tools, the org's variables and secrets."""

    origin: Path
    """A bare repo with the default branch `main`."""
    root: Path
    """A folder for workspaces, runner temp folders and artifacts."""
    path: list[str] = field(default_factory=list)
    """Folders put first on PATH (stub `gh`, `curl`, `python`)."""
    env: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    checkouts: list[tuple[str, str]] = field(default_factory=list)
    """(job, token) for every checkout: which job got which token."""
    runs: int = 0

    def __post_init__(self) -> None:
        # checkout's token reaches the bare repo as a push option (see _action)
        subprocess.run(["git", "-C", str(self.origin), "config", "receive.advertisePushOptions", "true"], check=True)


@dataclass
class JobResult:
    """How one job went."""

    name: str
    ran: bool
    status: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""
    steps_run: list[str] = field(default_factory=list)


def run_workflow(workflow: Path, host: Host) -> dict[str, JobResult]:
    """Run every job of `workflow` in order (a job whose `needs` failed or whose `if` is false is skipped)."""
    data = yaml.safe_load(workflow.read_text())
    host.runs += 1
    results: dict[str, JobResult] = {}
    for name, job in data["jobs"].items():
        needs = [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])
        context = _context(host, results, needs)
        if any(results[n].status != 0 or not results[n].ran for n in needs) or not _truthy(
            evaluate(job.get("if", "true"), context)
        ):
            results[name] = JobResult(name, ran=False)
            continue
        results[name] = _run_job(name, job, data.get("env", {}), host, context)
    return results


def _context(host: Host, results: Mapping[str, JobResult], needs: list[str]) -> dict[str, Any]:
    return {
        "github": {
            "token": WORKFLOW_TOKEN,
            "repository": "acme/payments",
            "event": {"repository": {"default_branch": "main"}},
        },
        "vars": host.vars,
        "secrets": host.secrets,
        "needs": {n: {"outputs": results[n].outputs} for n in needs},
        "steps": {},
    }


def _run_job(
    name: str, job: Mapping[str, Any], workflow_env: Mapping[str, str], host: Host, context: dict
) -> JobResult:
    folder = Path(tempfile.mkdtemp(prefix=f"run{host.runs}-{name}-", dir=host.root))
    workspace, temp = folder / "workspace", folder / "temp"
    temp.mkdir()
    context["runner"] = {"temp": str(temp)}
    context["env"] = {k: substitute(str(v), context) for k, v in {**workflow_env, **job.get("env", {})}.items()}
    result = JobResult(name, ran=True)
    for index, step in enumerate(job["steps"]):
        if "if" in step and not _truthy(evaluate(step["if"], context)):
            continue
        label = step.get("name") or step.get("uses") or step["run"].splitlines()[0]
        result.steps_run.append(label)
        outputs: dict[str, str] = {}
        if "uses" in step:
            outputs = _action(step, name, workspace, host, context)
        else:
            assert "${{" not in step["run"], f"{label}: expressions belong in env, not in the script"
            output_file = temp / f"output-{index}"
            output_file.touch()
            env = {
                **os.environ,
                **GIT_ENV,
                **host.env,
                "PATH": os.pathsep.join([*host.path, os.environ["PATH"]]),
                "GITHUB_OUTPUT": str(output_file),
                "RUNNER_TEMP": str(temp),
            }
            for declared in (workflow_env, job.get("env", {}), step.get("env", {})):
                env.update({k: substitute(str(v), context) for k, v in declared.items()})
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            result.log += f"--- {label}\n{done.stdout}{done.stderr}"
            if done.returncode != 0:
                result.status = done.returncode
                return result
            outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
    result.outputs = {k: substitute(str(v), context) for k, v in job.get("outputs", {}).items()}
    return result


def _action(step: Mapping[str, Any], job: str, workspace: Path, host: Host, context: dict) -> dict[str, str]:
    """Do what the action `step` uses would do, locally; return its outputs."""
    action = step["uses"].split("@")[0]
    inputs = {k: substitute(str(v), context) for k, v in step.get("with", {}).items()}
    if action == "actions/checkout":
        subprocess.run(["git", "clone", "--quiet", str(host.origin), str(workspace)], check=True)
        token = inputs.get("token", WORKFLOW_TOKEN)
        host.checkouts.append((job, token))
        if inputs.get("persist-credentials", "true") != "false":
            # checkout keeps the token for later git commands; here it travels as a push option, so a
            # hook of the bare repo can refuse what GitHub refuses to that token
            subprocess.run(["git", "-C", str(workspace), "config", "push.pushOption", f"token={token}"], check=True)
        return {}
    if action == "actions/setup-python":
        return {}
    if action == "actions/upload-artifact":
        shutil.copytree(inputs["path"], host.root / "artifacts" / inputs["name"], dirs_exist_ok=True)
        return {}
    if action == "actions/download-artifact":
        shutil.copytree(host.root / "artifacts" / inputs["name"], inputs["path"], dirs_exist_ok=True)
        return {}
    if action == "actions/create-github-app-token":
        assert inputs["app-id"] and inputs["private-key"], "the App token needs the app id and its private key"
        return {"token": APP_TOKEN}
    raise AssertionError(f"the workflow uses {action}, which this runner has no stand-in for")


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """Replace each `${{ expression }}` in `text` with its value."""
    return _EXPRESSION.sub(lambda found: _text(evaluate(found.group(1), context)), text)


def evaluate(expression: Any, context: Mapping[str, Any]) -> Any:
    """Evaluate the small part of the expression language the workflows use: paths, literals, ==, !=, ||."""
    if isinstance(expression, bool):
        return expression
    text = _EXPRESSION.sub(lambda found: found.group(1), str(expression)).strip()
    value: Any = ""
    for operand in text.split("||"):
        value = _operand(operand.strip(), context)
        if _truthy(value):
            return value
    return value


def _operand(text: str, context: Mapping[str, Any]) -> Any:
    comparison = _COMPARISON.match(text)
    if comparison:
        left, operator, right = comparison.groups()
        equal = _operand(left.strip(), context) == _operand(right.strip(), context)
        return equal if operator == "==" else not equal
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    value: Any = context
    for part in text.split("."):
        value = value.get(part, "") if isinstance(value, Mapping) else ""
    return value


def _truthy(value: Any) -> bool:
    return bool(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
