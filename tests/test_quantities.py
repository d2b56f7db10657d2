from typing import Any

import pytest

from generator.quantities import (
    CPU_ACCEPTED,
    LARGEST_QUANTITY,
    MEMORY_ACCEPTED,
    MIB,
    QuantityError,
    derive_gomemlimit,
    format_cores,
    format_go_bytes,
    gomemlimit_for,
    parse_cpu,
    parse_memory,
)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("512Mi", 512 * MIB),
        ("1Gi", 1024 * MIB),
        ("256M", 256_000_000),
        ("1G", 10**9),
        ("536870912", 536870912),
        ("1e9", 10**9),
        ("1.5Gi", 1536 * MIB),
        ("128974848", 128974848),
        ("129e6", 129_000_000),
        ("100k", 100_000),
    ],
)
def test_memory_quantities_parse_like_kubernetes(quantity: str, expected: int) -> None:
    assert parse_memory(quantity) == expected


@pytest.mark.parametrize("quantity", ["512MB", "512mi", "1.5", "Mi", "-1Gi", "1 Gi", "", "500m", "0.1Ki"])
def test_bad_memory_quantities_are_refused_with_the_accepted_forms(quantity: str) -> None:
    with pytest.raises(QuantityError, match="accepted: a Kubernetes quantity"):
        parse_memory(quantity)


@pytest.mark.parametrize(
    ("limit", "expected_mib"),
    [
        (64 * MIB, 32),  # below 320Mi the 32Mi floor decides
        (128 * MIB, 96),
        (256 * MIB, 224),
        (320 * MIB, 288),  # where 90% and L-32Mi meet
        (512 * MIB, 460),  # 90% from here on, rounded down to whole MiB
        (1024 * MIB, 921),
        (2048 * MIB, 1843),
        (256_000_000, 212),
        (10**9, 858),
        (48 * MIB, 24),  # below 64Mi: half
    ],
)
def test_gomemlimit_leaves_ten_percent_and_at_least_32mib_of_headroom(limit: int, expected_mib: int) -> None:
    assert derive_gomemlimit(limit) == expected_mib * MIB


def test_gomemlimit_never_exceeds_the_limit_and_grows_with_it() -> None:
    previous = 0
    for limit in range(16 * MIB, 4096 * MIB, 7 * MIB + 12345):
        derived = derive_gomemlimit(limit)
        assert 0 < derived < limit
        assert derived % MIB == 0
        assert derived >= previous
        previous = derived


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(460 * MIB, "460MiB"), (1024 * MIB, "1GiB"), (3 * 2**40, "3TiB"), (1536, "1536B"), (2048, "2KiB")],
)
def test_byte_counts_render_in_units_the_go_runtime_accepts(value: int, rendered: str) -> None:
    assert format_go_bytes(value) == rendered


def test_gomemlimit_for_a_quantity_is_never_in_kubernetes_units() -> None:
    assert gomemlimit_for("512Mi") == "460MiB"
    assert gomemlimit_for("4Gi") == "3686MiB"


@pytest.mark.parametrize(
    ("quantity", "millicores", "cores"),
    [("500m", 500, "0.5"), ("2", 2000, "2"), ("1.5", 1500, "1.5"), ("0.25", 250, "0.25"), ("1000m", 1000, "1")],
)
def test_cpu_quantities_parse_to_millicores_and_render_as_cores(quantity: str, millicores: int, cores: str) -> None:
    assert parse_cpu(quantity) == millicores
    assert format_cores(millicores) == cores


@pytest.mark.parametrize("quantity", ["0", "0m", "-1", "1.2345", "2 cores", "1Gi", ""])
def test_bad_cpu_quantities_are_refused(quantity: str) -> None:
    with pytest.raises(QuantityError, match="cpu_limit"):
        parse_cpu(quantity)


# Bounds and messages, each pinned (tests/mutation.sh: a changed bound or message must fail a test).


def refusal(parse: Any, quantity: str) -> str:
    with pytest.raises(QuantityError) as error:
        parse(quantity)
    return str(error.value)


def test_an_exponent_may_be_written_with_a_capital_e() -> None:
    assert parse_memory("1E9") == parse_memory("1e9") == 10**9


def test_memory_up_to_an_int64_of_bytes_is_accepted_and_each_refusal_names_the_value() -> None:
    assert parse_memory(str(LARGEST_QUANTITY)) == LARGEST_QUANTITY
    assert refusal(parse_memory, str(LARGEST_QUANTITY + 1)) == (
        f"memory_limit '{LARGEST_QUANTITY + 1}' is above 8Ei; accepted: {MEMORY_ACCEPTED}"
    )
    assert refusal(parse_memory, " lots ") == f"memory_limit 'lots' is not valid; accepted: {MEMORY_ACCEPTED}"
    assert refusal(parse_memory, "0.5") == (
        f"memory_limit '0.5' is not a whole number of bytes; accepted: {MEMORY_ACCEPTED}"
    )


def test_cpu_from_one_millicore_to_an_int64_of_them_is_accepted_and_each_refusal_names_the_value() -> None:
    assert parse_cpu("1m") == 1
    assert parse_cpu(f"{LARGEST_QUANTITY}m") == LARGEST_QUANTITY
    assert refusal(parse_cpu, f"{LARGEST_QUANTITY + 1}m") == (
        f"cpu_limit '{LARGEST_QUANTITY + 1}m' is too large; accepted: {CPU_ACCEPTED}"
    )
    assert refusal(parse_cpu, "0m") == f"cpu_limit '0m' is zero; accepted: {CPU_ACCEPTED}"
    assert refusal(parse_cpu, " lots ") == f"cpu_limit 'lots' is not valid; accepted: {CPU_ACCEPTED}"


def test_whole_cores_render_without_an_exponent() -> None:
    assert [format_cores(m) for m in (10_000, 100_000, 2_500)] == ["10", "100", "2.5"]


def test_gomemlimit_is_a_whole_number_of_bytes_for_any_limit_above_zero() -> None:
    assert derive_gomemlimit(1) == 0  # one byte: no MiB left for the Go heap, but a limit all the same
    for limit in (40 * MIB + 1, 63 * MIB + 7, 64 * MIB, 3 * 2**30 + 5):
        assert type(derive_gomemlimit(limit)) is int, limit  # a float would render as "1.0e+08"
    with pytest.raises(QuantityError, match=r"^memory limit 0 must be above zero$"):
        derive_gomemlimit(0)
