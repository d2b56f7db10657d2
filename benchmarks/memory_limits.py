"""Memory-limit survival: how much live heap a Go program keeps under a container limit, per GOMEMLIMIT setting.

memload (benchmarks/memload, a Go program of its own) holds a live heap and churns garbage; it runs in a
podman container with `--memory` (and no swap). A trial survives when memload prints its "done" line after
the full duration and exits 0; the kernel's OOM kill (exit 137) or any other exit is a failure. The largest
surviving live heap is found by bisection over whole steps of MiB, assuming survival falls with the heap.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podman_sandbox import Podman, Rootfs, json_records

from generator.quantities import MIB, derive_gomemlimit, format_go_bytes

IMAGE = "localhost/scaffold-bench/memload:latest"
MEMLOAD_SOURCE = Path(__file__).resolve().parent / "memload"


@dataclass(frozen=True)
class Setting:
    """A GOMEMLIMIT choice for a container limit: a label and a function of the limit (None: unset)."""

    label: str
    gomemlimit: Callable[[int], int | None]

    def env(self, limit: int) -> list[str]:
        value = self.gomemlimit(limit)
        return [] if value is None else ["-e", f"GOMEMLIMIT={format_go_bytes(value)}"]

    def describe(self, limit: int) -> str:
        value = self.gomemlimit(limit)
        return "unset" if value is None else format_go_bytes(value)


def _mib_floor(value: float) -> int:
    return int(value) // MIB * MIB


NONE = Setting("no GOMEMLIMIT", lambda limit: None)
EQUAL = Setting("GOMEMLIMIT = limit", lambda limit: limit)
DERIVED = Setting("derived (scaffold)", derive_gomemlimit)
REQUIRED_SETTINGS = (NONE, EQUAL, DERIVED)
# Other rules the derived one is weighed against, only in the headroom and GC measurements.
CANDIDATES = (
    Setting("95% of limit", lambda limit: _mib_floor(limit * 0.95)),
    Setting("90% of limit", lambda limit: _mib_floor(limit * 0.90)),
    Setting("80% of limit", lambda limit: _mib_floor(limit * 0.80)),
    Setting("limit - 16MiB", lambda limit: limit - 16 * MIB),
    Setting("max(limit - 64MiB, limit/2)", lambda limit: max(limit - 64 * MIB, limit // 2)),
)


@dataclass(frozen=True)
class Trial:
    """One run of memload in a container."""

    survived: bool
    outcome: str
    """`ok`, `oom-killed`, `exit N` or `timeout`."""
    report: dict[str, float]
    """memload's "done" line, when there is one."""
    tmpfs_held_mib: int = 0
    """With a ramp: the last tmpfs total memload reported holding through two garbage collections."""


@dataclass(frozen=True)
class Workload:
    """What memload does in a trial, besides holding the live heap.

    Files written to the tmpfs mount (after 2 s, then kept) are memory the cgroup pays for and the Go
    runtime never sees: `tmpfs_mib` writes them in one burst, `ramp_step_mib` a step at a time.
    """

    duration_s: float
    churn_mib_per_s: int = 256
    tmpfs_mib: int = 0
    ramp_step_mib: int = 0


def build_image(podman: Podman, go_env: dict[str, str]) -> str:
    """Compile memload (static, stripped) and import it into podman as a one-file image."""
    binary = podman.root / "memload"
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."],
        cwd=MEMLOAD_SOURCE, env=dict(go_env, CGO_ENABLED="0"), check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    rootfs = Rootfs(podman.root / "rootfs" / "memload.tar")
    rootfs.file("memload", binary.read_bytes(), mode=0o755)
    rootfs.directory("tmp", mode=0o1777)
    rootfs.directory("scratch", mode=0o1777)
    rootfs.import_as(podman, IMAGE, ['ENTRYPOINT ["/memload"]', "USER 65532"])
    return IMAGE


def run_trial(podman: Podman, limit: int, setting: Setting, live_mib: int, workload: Workload) -> Trial:
    """Run memload once with `live_mib` MiB of live heap in a container limited to `limit` bytes."""
    args = ["run", "-d", f"--memory={limit}b", f"--memory-swap={limit}b", *setting.env(limit)]
    tmpfs = workload.tmpfs_mib or workload.ramp_step_mib
    if tmpfs:
        # The tmpfs is sized well above the burst: only the memory limit should stop the writes.
        args += ["--mount", f"type=tmpfs,destination=/scratch,tmpfs-size={limit},tmpfs-mode=1777"]
    args += [IMAGE, f"-live-mib={live_mib}", f"-churn-mib-per-sec={workload.churn_mib_per_s}"]
    args += [f"-duration={workload.duration_s}s"]
    if tmpfs:
        args += ["-tmpfs-dir=/scratch", f"-tmpfs-mib={workload.tmpfs_mib}"]
        args += [f"-tmpfs-ramp-step-mib={workload.ramp_step_mib}"]
    container = podman(*args).stdout.strip()
    try:
        try:
            code = int(podman("wait", container, timeout=workload.duration_s + 60).stdout.strip())
        except subprocess.TimeoutExpired:
            return Trial(False, "timeout", {})
        oom = podman("inspect", "--format", "{{.State.OOMKilled}}", container).stdout.strip() == "true"
        records = json_records(podman("logs", container, check=False).stdout)
    finally:
        podman.remove_container(container)
    report = next((r for r in records if r.get("event") == "done"), {})
    held = max((int(r["mib"]) for r in records if r.get("event") == "tmpfs"), default=0)
    if code == 0 and report:
        return Trial(True, "ok", report, held)
    return Trial(False, "oom-killed" if oom or code == 137 else f"exit {code}", report, held)


@dataclass(frozen=True)
class Search:
    """The result of a bisection: the largest value that survived, and the trials that decided it."""

    largest: int
    """-1 when even the smallest value failed."""
    trials: list[tuple[int, Trial]]


def bisect(try_value: Callable[[int], Trial], low: int, high: int, step: int) -> Search:
    """Find the largest multiple of `step` in [low, high] for which try_value survives (low is tried first)."""
    trials: list[tuple[int, Trial]] = []

    def attempt(value: int) -> bool:
        trial = try_value(value)
        trials.append((value, trial))
        return trial.survived

    if not attempt(low):
        return Search(-1, trials)
    good, bad = low, high + step
    while bad - good > step:
        middle = good + (bad - good) // step // 2 * step
        if attempt(middle):
            good = middle
        else:
            bad = middle
    return Search(good, trials)


def largest_live_heap(
    podman: Podman, limit: int, setting: Setting, plan: Plan, log: Callable[[str], None]
) -> tuple[int, Trial | None]:
    """The largest live heap (MiB) memload holds for `plan.survival_s` without being killed, and that trial.

    A bisection with short trials (`plan.screen_s`) finds the candidate; full-length trials then confirm
    it, stepping down while they fail. A heap that fails the short trial would fail the long one too.
    """

    def trial(live_mib: int, seconds: float) -> Trial:
        result = run_trial(podman, limit, setting, live_mib, Workload(seconds))
        log(f"    {setting.label}, {limit // MIB}Mi limit, live {live_mib:4d} MiB for {seconds:.0f}s: {result.outcome}")
        return result

    search = bisect(lambda live: trial(live, plan.screen_s), plan.step_mib, limit // MIB, plan.step_mib)
    candidate = search.largest
    if plan.survival_s <= plan.screen_s:
        return candidate, dict(search.trials).get(candidate)
    while candidate > 0:
        confirmed = trial(candidate, plan.survival_s)
        if confirmed.survived:
            return candidate, confirmed
        candidate -= plan.step_mib
    return -1, None


def headroom(podman: Podman, limit: int, setting: Setting, live_mib: int, workload: Workload) -> Trial:
    """Ramp tmpfs files up beside `live_mib` of live heap until the kernel kills memload or time runs out.

    The trial's `tmpfs_held_mib` is the most memory outside the Go heap the setting left room for.
    """
    return run_trial(podman, limit, setting, live_mib, workload)


@dataclass(frozen=True)
class Plan:
    """How much of the memory benchmark to run, and for how long."""

    survival_limits_mib: tuple[int, ...] = (128, 256)
    pressure_limits_mib: tuple[int, ...] = (128, 256, 512)
    candidates: tuple[Setting, ...] = CANDIDATES
    step_mib: int = 4
    screen_s: float = 5
    survival_s: float = 30
    gc_s: float = 10
    ramp_step_mib: int = 2
    ramp_max_s: float = 60
    burst_mib: int = 16
    burst_s: float = 30
    burst_repeats: int = 3
    pressure_live_share: float = 0.6


QUICK = Plan(
    survival_limits_mib=(128,), pressure_limits_mib=(128,), candidates=(), step_mib=8, screen_s=3, survival_s=3,
    gc_s=3, ramp_step_mib=4, ramp_max_s=20, burst_s=5, burst_repeats=1,
)  # fmt: skip


@dataclass
class MemoryFigures:
    """Everything the memory benchmark measured, keyed by (setting label, limit in MiB)."""

    plan: Plan
    largest_live: dict[tuple[str, int], int]
    gc_share: dict[tuple[str, int], Trial]
    headroom: dict[tuple[str, int], Trial]
    burst: dict[tuple[str, int], list[Trial]]
    gomemlimits: dict[tuple[str, int], str]


def measure(podman: Podman, go_env: dict[str, str], plan: Plan, log: Callable[[str], None]) -> MemoryFigures:
    """Run the whole memory benchmark: survival, GC share and off-heap headroom, and the burst case."""
    build_image(podman, go_env)
    figures = MemoryFigures(plan, {}, {}, {}, {}, {})
    start = time.monotonic()
    pressure_settings = (*REQUIRED_SETTINGS, *plan.candidates)
    for limit_mib in sorted({*plan.survival_limits_mib, *plan.pressure_limits_mib}):
        for setting in pressure_settings:
            figures.gomemlimits[setting.label, limit_mib] = setting.describe(limit_mib * MIB)
    for limit_mib in plan.survival_limits_mib:
        for setting in REQUIRED_SETTINGS:
            log(f"  [{elapsed(start)}] largest live heap: {setting.label}, {limit_mib}Mi")
            largest, _ = largest_live_heap(podman, limit_mib * MIB, setting, plan, log)
            figures.largest_live[setting.label, limit_mib] = largest
    for limit_mib in plan.pressure_limits_mib:
        limit = limit_mib * MIB
        live = int(limit_mib * plan.pressure_live_share)
        for setting in pressure_settings:
            gc = run_trial(podman, limit, setting, live, Workload(plan.gc_s))
            ramp = headroom(podman, limit, setting, live, Workload(plan.ramp_max_s, ramp_step_mib=plan.ramp_step_mib))
            log(
                f"  [{elapsed(start)}] {setting.label}, {limit_mib}Mi, live {live} MiB: {gc.outcome}, "
                f"GC share {gc.report.get('gc_cpu_share', float('nan')):.0%}; tmpfs held {ramp.tmpfs_held_mib} MiB"
            )
            figures.gc_share[setting.label, limit_mib] = gc
            figures.headroom[setting.label, limit_mib] = ramp
    for limit_mib in plan.survival_limits_mib:
        live = int(limit_mib * plan.pressure_live_share)
        for setting in REQUIRED_SETTINGS:
            load = Workload(plan.burst_s, tmpfs_mib=plan.burst_mib)
            trials = [run_trial(podman, limit_mib * MIB, setting, live, load) for _ in range(plan.burst_repeats)]
            outcomes = ", ".join(t.outcome for t in trials)
            log(f"  [{elapsed(start)}] burst {plan.burst_mib} MiB: {setting.label}, {limit_mib}Mi: {outcomes}")
            figures.burst[setting.label, limit_mib] = trials
    podman.remove_image(IMAGE)
    return figures


def elapsed(start: float) -> str:
    """Minutes and seconds since `start` (time.monotonic), for progress lines."""
    seconds = int(time.monotonic() - start)
    return f"{seconds // 60}m{seconds % 60:02d}s"
