"""How much a template may make scaffold do: render time and memory, output size, nesting, YAML alias expansion.

A template (or an answers file, or an org config) that goes past a limit is refused in one line,
exit 2, before it can hang a terminal or CI or take the machine's memory. The defaults leave room for
any real template many times over; each can be changed through an environment variable.
"""

import functools
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from generator.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """The bounds a template's input and render are held to."""

    render_seconds: float = 300.0
    """Wall time one render of one template may take (copier rendering, tasks aside)."""
    memory: int = 2 << 30
    """Memory one render of one template may take above what scaffold held when it began (tasks aside)."""
    files: int = 20_000
    """Files, folders and links in a template, and in what it renders."""
    bytes: int = 512 * 1024 * 1024
    """Total size of a template's files, and of what it renders."""
    depth: int = 64
    """Folders nested in a template or a render; links followed in a row."""
    yaml_nodes: int = 100_000
    """Nodes one copier.yml or answers file may hold once its aliases are expanded (a billion-laughs has 10^9)."""


ENVIRONMENT = {f.name: f"SCAFFOLD_LIMIT_{f.name.upper()}" for f in fields(Limits)}
"""The environment variable that changes each limit, e.g. SCAFFOLD_LIMIT_RENDER_SECONDS=600."""


def current(environ: Mapping[str, str] | None = None) -> Limits:
    """Return the limits in force: the defaults, changed by the SCAFFOLD_LIMIT_* environment variables."""
    environ = os.environ if environ is None else environ
    changes: dict[str, float | int] = {}
    for field in fields(Limits):
        text = environ.get(ENVIRONMENT[field.name])
        if text is None or not text.strip():
            continue
        kind = float if field.type in (float, "float") else int
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if not value > 0:
            raise ConfigError(
                f"{ENVIRONMENT[field.name]} {text[:40]!r} is not valid; accepted: a number above 0"
                + ("" if kind is float else " (whole)")
            )
        changes[field.name] = value
    return Limits(**changes)  # type: ignore[arg-type]


def size(n: int) -> str:
    """Return a byte count for a message: `512 MiB`, `3 KiB`, `17 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


class RenderTimeout(BaseException):
    """Raised in the main thread when a render goes past its wall time (a BaseException: copier catches Exceptions)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in the main thread when the block runs longer than `seconds` (a no-op in other threads).

    Pure-Python loops (Jinja's compiled templates) are interrupted; see `paused` for time spent on tasks.
    Inside a running deadline (questions copier asks during a render), that one stays in charge: one timer
    serves both, and ending an inner one would end the outer's.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class MemoryLimitExceeded(Exception):
    """Raised when an allocation failed inside `memory_cap`: the render went past the memory it may take."""


_UNCAPPED: list[int] = []
"""The soft RLIMIT_AS each running `memory_cap` replaced, innermost last (main thread only)."""


def _address_space() -> int | None:
    """Return the process's address space in bytes (VmSize), or None where /proc does not tell it."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def memory_cap(budget: int) -> Iterator[None]:
    """Hold the process's address space to its size now plus `budget` bytes for the block, in the main thread.

    An allocation past it fails, so a MemoryError raised in the block becomes MemoryLimitExceeded. A lower
    soft limit already in force is left as it is. Processes started in the block inherit the cap: see `uncapped`.
    """
    used = _address_space()
    if used is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    import resource  # only where /proc is: no Windows

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + budget if hard == resource.RLIM_INFINITY else min(used + budget, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    _UNCAPPED.append(soft)
    try:
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (_UNCAPPED.pop(), hard))
    except MemoryError:
        raise MemoryLimitExceeded() from None


@contextmanager
def uncapped() -> Iterator[None]:
    """Lift the running `memory_cap` for the block (a template's tasks: what they start must not inherit it)."""
    if not _UNCAPPED or threading.current_thread() is not threading.main_thread():
        yield
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_UNCAPPED[-1], hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def paused() -> Iterator[None]:
    """Stop the running `deadline` for the block (a template's tasks, which the user consented to), then resume it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def bounded_binop(limits: Limits, operator: str, left: Any, right: Any) -> Any:
    """Compute `left OPERATOR right` for Jinja's sandbox, refusing results too large to build.

    `'x' * 10**10` would take 10 GB before any check on the output ran, and `10 ** 10 ** 10` runs in C,
    where no timer interrupts it.
    """
    from jinja2.exceptions import SecurityError

    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            repeated = isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int)
            if repeated and len(sequence) * times > limits.bytes:
                raise SecurityError(f"a repetition longer than {size(limits.bytes)} (SCAFFOLD_LIMIT_BYTES)")
        return left * right
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 10_000:
            raise SecurityError(f"a power with an exponent above 10000 ({right})")
        return left**right
    raise SecurityError(f"operator {operator} is not intercepted")


_PADDING = frozenset({"ljust", "rjust", "center", "zfill"})
"""The str methods whose width argument is the length of the text they build, in C, before anything counts it."""


def bounded_call(limits: Limits, call: Any, context: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
    """Call `obj` from Jinja's sandbox through its `call`, refusing a padding or tab expansion too large to build.

    `'x'.ljust(10**10)` is `'x' * 10**10` (bounded_binop) by another name.
    """
    from jinja2.exceptions import SecurityError

    text, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if isinstance(text, str | bytes) and name in _PADDING | {"expandtabs"}:
        width = next(iter([*args, *kwargs.values()]), 8 if name == "expandtabs" else 0)
        tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
        built = width * max(1, tabs) if name == "expandtabs" else width
        if isinstance(built, int) and built > limits.bytes:
            raise SecurityError(f"a text longer than {size(limits.bytes)} from str.{name} (SCAFFOLD_LIMIT_BYTES)")
    return call(context, obj, *args, **kwargs)


def bounded_filters(limits: Limits, filters: dict[str, Any]) -> None:
    """Hold Jinja's `center` and `indent` filters in `filters` to `limits`: their width builds the text in C."""
    from jinja2.exceptions import SecurityError

    def refuse(name: str) -> SecurityError:
        return SecurityError(f"a text longer than {size(limits.bytes)} from the {name} filter (SCAFFOLD_LIMIT_BYTES)")

    center, indent = filters.get("center"), filters.get("indent")
    if center is not None:

        def bounded_center(value: Any, width: int = 80) -> Any:
            if isinstance(width, int) and width > limits.bytes:
                raise refuse("center")
            return center(value, width)

        filters["center"] = bounded_center
    if indent is not None:

        def bounded_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
            lines = str(value).count("\n") + 1
            step = width if isinstance(width, int) else len(str(width))
            if step * lines > limits.bytes:
                raise refuse("indent")
            return indent(value, width, *args, **kwargs)

        filters["indent"] = bounded_indent


def bound_environment(limits: Limits, env: Any) -> None:
    """Hold the sandboxed Jinja environment `env` to `limits`: repetitions, powers, paddings and the padding
    filters too large to build are refused (bounded_binop, bounded_call, bounded_filters).

    For every environment a template's text renders in: its files, and its questions' defaults, choices,
    validators and messages. Set per instance, so copier's other environments are left as they are.
    """
    env.intercepted_binops = frozenset({"*", "**"})
    # the sandbox calls its environment's call_binop for intercepted operators
    env.__dict__["call_binop"] = functools.partial(_bounded_call_binop, limits)
    env.__dict__["call"] = functools.partial(bounded_call, limits, env.call)  # `'x'.ljust(10**10)` and the like
    bounded_filters(limits, env.filters)


def _bounded_call_binop(limits: Limits, context: Any, operator: str, left: Any, right: Any) -> Any:
    return bounded_binop(limits, operator, left, right)
