"""Kubernetes memory and CPU quantities, and the GOMEMLIMIT rule derived from a memory limit.

The rule, documented in docs/memory.md and mirrored by the generated service's
`internal/memlimit` package:

    GOMEMLIMIT = min(90% of L, max(L - 32 MiB, L / 2)), rounded down to a whole MiB

GOMEMLIMIT already counts everything the Go runtime manages (heap, stacks, its own structures). The
10% (at least 32 MiB) of headroom is for what it does not: the binary's mapped text, memory
allocated outside Go, page cache and tmpfs files the cgroup is charged for, and the overshoot of a
soft limit under a burst of allocation. Below 64 MiB the fixed floor would eat more than half the
limit, so the heap gets half (the generator refuses such targets; the service still copes).
"""

import re
from decimal import Decimal, InvalidOperation

from generator.errors import shown

KIB = 1024
MIB = 1024 * KIB

SMALLEST_MEMORY_LIMIT = 64 * MIB
LARGEST_QUANTITY = 2**63 - 1  # bytes or millicores: Kubernetes and the Go runtime hold them in an int64
HEADROOM_RATIO = Decimal("0.9")
HEADROOM_FLOOR = 32 * MIB

_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIXES = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?P<suffix>[A-Za-z]*)$")

MEMORY_ACCEPTED = "a Kubernetes quantity of at least 64Mi, such as 512Mi, 1Gi, 256M or 536870912"
CPU_ACCEPTED = "a Kubernetes CPU quantity above zero, such as 500m, 1, 1.5 or 2"


class QuantityError(ValueError):
    """A memory or CPU quantity that cannot be used; the message says what is accepted."""


def parse_memory(quantity: str) -> int:
    """Return the number of bytes in a Kubernetes memory quantity such as `512Mi`, `1G` or `1e9`.

    Raise QuantityError for anything else, and for quantities above 8Ei (an int64 of bytes).
    """
    text = str(quantity).strip()
    match = _QUANTITY.match(text)
    exponent = re.match(r"^([0-9]+(?:\.[0-9]+)?)[eE]([0-9]+)$", text)
    try:
        # Decimal parses the digits exactly, however many there are; int() would refuse a string of
        # more than 4300 digits and 10 ** exponent would overflow, so neither sees such a quantity
        if exponent:
            value = Decimal(text)
        elif match and match.group("suffix") in ("", *_BINARY_SUFFIXES, *_DECIMAL_SUFFIXES):
            suffix = match.group("suffix")
            value = Decimal(match.group("number")) * (
                _BINARY_SUFFIXES.get(suffix) or _DECIMAL_SUFFIXES.get(suffix) or 1
            )
        else:
            raise InvalidOperation
    except InvalidOperation:  # also an exponent beyond what Decimal holds (over a billion billion digits)
        raise QuantityError(f"memory_limit {shown(text)} is not valid; accepted: {MEMORY_ACCEPTED}") from None
    if value > LARGEST_QUANTITY:
        raise QuantityError(f"memory_limit {shown(text)} is above 8Ei; accepted: {MEMORY_ACCEPTED}")
    if value != value.to_integral_value():
        raise QuantityError(f"memory_limit {shown(text)} is not a whole number of bytes; accepted: {MEMORY_ACCEPTED}")
    return int(value)


def parse_cpu(quantity: str) -> int:
    """Return the millicores in a Kubernetes CPU quantity such as `500m`, `2` or `1.5` (at most an int64 of them)."""
    text = str(quantity).strip()
    match = re.match(r"^(?:([0-9]+)m|([0-9]+(?:\.[0-9]{1,3})?|\.[0-9]{1,3}))$", text)
    if not match:
        raise QuantityError(f"cpu_limit {shown(text)} is not valid; accepted: {CPU_ACCEPTED}")
    millicores = Decimal(match.group(1)) if match.group(1) else Decimal(match.group(2)) * 1000
    if millicores > LARGEST_QUANTITY:  # before int(), which refuses strings of more than 4300 digits
        raise QuantityError(f"cpu_limit {shown(text)} is too large; accepted: {CPU_ACCEPTED}")
    if millicores <= 0:
        raise QuantityError(f"cpu_limit {shown(text)} is zero; accepted: {CPU_ACCEPTED}")
    return int(millicores)


def format_cores(millicores: int) -> str:
    """Render millicores as a decimal number of cores for Docker and Compose (`500` -> `0.5`)."""
    cores = Decimal(millicores) / 1000
    return format(cores.normalize(), "f")


def derive_gomemlimit(limit_bytes: int) -> int:
    """Return the GOMEMLIMIT, in bytes, for a container memory limit of `limit_bytes` bytes.

    It is a whole number of MiB, so it always renders in a unit Go's runtime accepts.
    """
    if limit_bytes <= 0:
        raise QuantityError(f"memory limit {limit_bytes} must be above zero")
    ninety_percent = int(Decimal(limit_bytes) * HEADROOM_RATIO)
    floored = max(limit_bytes - HEADROOM_FLOOR, limit_bytes // 2)
    return min(ninety_percent, floored) // MIB * MIB


def format_go_bytes(value: int) -> str:
    """Render a byte count in a unit Go's runtime accepts in GOMEMLIMIT (`B`, `KiB`, `MiB`, ...).

    Kubernetes-style suffixes such as `Mi` make every Go program abort at start, so never use them.
    """
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}B"


def gomemlimit_for(memory_limit: str) -> str:
    """Return the GOMEMLIMIT value, in Go's units, for a Kubernetes memory quantity."""
    return format_go_bytes(derive_gomemlimit(parse_memory(memory_limit)))
