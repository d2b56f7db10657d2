"""Every rendered repo, over a matrix of answers, builds, vets, tests and lints for real."""

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.quantities import gomemlimit_for, parse_memory
from generator.verify import run_checks
from tests.conftest import RenderRepo, run

MATRIX: list[dict[str, Any]] = [
    {},
    {
        "runtime_image": "scratch",
        "enable_pprof": "false",
        "go_version": "1.25",
        "memory_limit": "1Gi",
        "cpu_limit": "500m",
        "port": "9000",
    },
    {
        "runtime_image": "alpine",
        "pprof_port": "7070",
        "go_version": "1.26",
        "memory_limit": "64Mi",
        "cpu_limit": "0.25",
        "module_path": "gitlab.example.org/team/sub/a1-b2",
    },
    {"memory_limit": "256M", "cpu_limit": "2", "description": "Takes orders & ships them."},
]
GOMEMLIMIT_VALUE = r"GOMEMLIMIT[\"']?\s*[:=]\s*[\"']?(\d+[KMGT]?i?B)\b"
KUBERNETES_ENV_VALUE = r"name:\s*GOMEMLIMIT\s*\n\s*value:\s*[\"']?(\d+[KMGT]?i?B)\b"
IDS = ["defaults", "scratch-no-pprof-go1.25-1Gi", "alpine-go1.26-64Mi", "distroless-256M"]


def answers_of(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / ".copier-answers.yml").read_text())


@pytest.fixture(params=MATRIX, ids=IDS)
def repo(request: pytest.FixtureRequest, render_repo: RenderRepo) -> Path:
    name = "a1-b2" if "module_path" in request.param else "orders"
    return render_repo(name, **request.param)


@pytest.mark.slow
def test_generated_repo_passes_build_vet_gofmt_test_hadolint_precommit_and_devcontainer_checks(
    repo: Path, go_env: dict[str, str]
) -> None:
    results = run_checks(repo, go_env)
    assert [r.name for r in results] == [
        "go build",
        "go vet",
        "go test",
        "gofmt",
        "hadolint",
        "pre-commit config",
        "devcontainer schema",
    ]
    failures = [f"{r.name}: {r.detail}\n{r.output}" for r in results if r.status != "passed"]
    assert failures == []


def test_workflow_and_compose_match_their_published_schemas(repo: Path) -> None:
    check_jsonschema = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert check_jsonschema, "check-jsonschema is installed with the test extras"
    run([check_jsonschema, "--builtin-schema", "vendor.github-workflows", ".github/workflows/ci.yml"], cwd=repo)
    run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", "compose.yaml"], cwd=repo)


def test_dockerfile_is_twelve_lines_multi_stage_cached_and_non_root(repo: Path) -> None:
    answers = answers_of(repo)
    lines = (repo / "Dockerfile").read_text().splitlines()
    assert len(lines) == 12
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms[0] == f"FROM --platform=$BUILDPLATFORM golang:{answers['go_version']}-alpine AS build"
    assert len(froms) == 2
    copies = [line for line in lines if line.startswith("COPY ")]
    assert copies[:2] == ["COPY go.* ./", "COPY . ."]  # module files first, and no go.sum glob buildah rejects
    build = next(line for line in lines if "go build" in line)
    for flag in (
        "--mount=type=cache,target=/go/pkg/mod",
        "--mount=type=cache,target=/root/.cache/go-build",
        "CGO_ENABLED=0",
        "-trimpath",
        '-ldflags="-s -w',
    ):
        assert flag in build
    assert re.fullmatch(r"USER \d+:\d+", lines[-2]), "Kubernetes runAsNonRoot needs a numeric user"
    assert lines[-2] != "USER 0:0"
    assert lines[-1] == f'ENTRYPOINT ["/{answers["service_name"]}"]'
    assert f"ENV GOMEMLIMIT={gomemlimit_for(answers['memory_limit'])}" in lines


def test_gomemlimit_is_the_same_derived_figure_everywhere_it_appears(repo: Path) -> None:
    answers = answers_of(repo)
    expected = gomemlimit_for(answers["memory_limit"])
    found: dict[str, set[str]] = {}
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text()
            for value in re.findall(GOMEMLIMIT_VALUE, text) + re.findall(KUBERNETES_ENV_VALUE, text):
                found.setdefault(str(path.relative_to(repo)), set()).add(value)
    assert {"Dockerfile", "deploy/kubernetes.yaml", "compose.yaml", ".devcontainer/devcontainer.json"} <= set(found)
    assert all(values == {expected} for values in found.values()), found


def test_kubernetes_manifest_limits_probes_and_restricted_security(repo: Path) -> None:
    answers = answers_of(repo)
    documents = list(yaml.safe_load_all((repo / "deploy" / "kubernetes.yaml").read_text()))
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert parse_memory(str(container["resources"]["limits"]["memory"])) == parse_memory(answers["memory_limit"])
    assert str(container["resources"]["limits"]["cpu"]) == answers["cpu_limit"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["GOMEMLIMIT"] == gomemlimit_for(answers["memory_limit"])
    assert "GOMAXPROCS" not in env  # Go 1.25+ follows the CPU limit by itself
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    security = {**pod.get("securityContext", {}), **container["securityContext"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 65532
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    drain, timeout = float(env["SHUTDOWN_DRAIN"].rstrip("s")), float(env["SHUTDOWN_TIMEOUT"].rstrip("s"))
    assert pod["terminationGracePeriodSeconds"] > drain + timeout


def test_compose_agrees_with_the_dockerfile_and_the_limits(repo: Path) -> None:
    answers = answers_of(repo)
    compose = yaml.safe_load((repo / "compose.yaml").read_text())
    service = next(iter(compose["services"].values()))
    text = json.dumps(service)
    assert gomemlimit_for(answers["memory_limit"]) in text
    assert service["user"] == "65532:65532"
    assert f"127.0.0.1:{answers['port']}:{answers['port']}" in text
    assert f"/{answers['service_name']}" in json.dumps(service["healthcheck"]["test"])


def test_devcontainer_uses_the_matching_go_image_and_production_limits(repo: Path) -> None:
    answers = answers_of(repo)
    config = json.loads((repo / ".devcontainer" / "devcontainer.json").read_text())
    assert config["image"] == f"mcr.microsoft.com/devcontainers/go:2-{answers['go_version']}-trixie"
    assert answers["port"] in config["forwardPorts"]
    assert config["containerEnv"]["GOMEMLIMIT"] == gomemlimit_for(answers["memory_limit"])
    assert f"--memory={parse_memory(answers['memory_limit'])}" in config["runArgs"]
    assert "golang.Go" in config["customizations"]["vscode"]["extensions"]
    assert "SYS_PTRACE" in config["capAdd"]  # delve
    assert "go mod download" in config["postCreateCommand"] and "pre-commit install" in config["postCreateCommand"]


def test_precommit_runs_go_hooks_offline_and_skips_jsonc(repo: Path) -> None:
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: (r["repo"], h) for r in config["repos"] for h in r["hooks"]}
    for hook in ("go-vet", "go-mod-tidy", "go-test", "hadolint"):
        repo_name, spec = next((v for k, v in hooks.items() if k.startswith(hook)), (None, None))
        assert repo_name == "local" and spec is not None and spec["language"] == "system", hook
    assert any("gofmt" in k for k in hooks)
    check_json = hooks["check-json"][1]
    assert re.search(check_json["exclude"], ".devcontainer/devcontainer.json")


def test_go_mod_targets_the_chosen_go_without_passing_the_builder(repo: Path) -> None:
    answers = answers_of(repo)
    go_mod = (repo / "go.mod").read_text().splitlines()
    assert go_mod[0] == f"module {answers['module_path']}"
    assert f"go {answers['go_version']}.0" in go_mod
    assert not (repo / "go.sum").exists()  # standard library only


def test_dockerignore_keeps_secrets_and_clutter_out_but_never_the_module_files(repo: Path) -> None:
    patterns = [
        p.strip() for p in (repo / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")
    ]
    for needed in (".git", ".devcontainer", ".env", "*.test"):
        assert any(p.rstrip("/") == needed or p.startswith(needed) for p in patterns), needed
    assert not any(p in ("go.mod", "go.sum", "go.*", "*.mod", "*.sum") for p in patterns)


def test_pprof_wiring_follows_the_answer(repo: Path) -> None:
    answers = answers_of(repo)
    debug_package = repo / "internal" / "debugserver"
    assert debug_package.is_dir() == answers["enable_pprof"]
    main_sources = "".join(p.read_text() for p in (repo / "cmd" / answers["service_name"]).glob("*.go"))
    assert ("debugserver" in main_sources) == answers["enable_pprof"]
