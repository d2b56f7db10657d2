"""The bounds a template is held to (generator/trust/limits.py, bounded_yaml.py), pinned on plain values.

tests/test_hostile_templates.py drives the same refusals through whole renders (minutes).
"""

import functools
import resource
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from jinja2 import pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from generator.errors import ConfigError, TemplateError, TemplateRefusedError
from generator.trust import bounded_yaml
from generator.trust.budget import OutputBudget
from generator.trust.limits import (
    Limits,
    RenderTimeout,
    bound_environment,
    bounded_binop,
    bounded_call,
    bounded_filters,
    current,
    deadline,
    memory_cap,
    paused,
    size,
    uncapped,
)


def test_the_defaults_hold_unless_an_environment_variable_changes_one() -> None:
    assert current({}) == Limits()
    assert current({"SCAFFOLD_LIMIT_FILES": "10", "SCAFFOLD_LIMIT_RENDER_SECONDS": "1.5"}) == Limits(
        files=10, render_seconds=1.5
    )
    assert current({"SCAFFOLD_LIMIT_DEPTH": "  ", "SCAFFOLD_LIMIT_BYTES": ""}) == Limits()  # blank: unset
    assert current({"SCAFFOLD_LIMIT_FILES": "1", "SCAFFOLD_LIMIT_RENDER_SECONDS": "0.5"}) == Limits(
        files=1, render_seconds=0.5
    )  # any number above 0


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("SCAFFOLD_LIMIT_FILES", "0", "a number above 0 (whole)"),
        ("SCAFFOLD_LIMIT_FILES", "1.5", "a number above 0 (whole)"),
        ("SCAFFOLD_LIMIT_YAML_NODES", "-3", "a number above 0 (whole)"),
        ("SCAFFOLD_LIMIT_RENDER_SECONDS", "soon", "a number above 0"),
        ("SCAFFOLD_LIMIT_RENDER_SECONDS", "nan", "a number above 0"),
    ],
)
def test_a_limit_that_is_not_a_number_above_0_is_a_config_error(variable: str, value: str, accepted: str) -> None:
    with pytest.raises(ConfigError) as raised:
        current({variable: value})

    assert raised.value.message == f"{variable} {value!r} is not valid; accepted: {accepted}"


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    with pytest.raises(ConfigError) as raised:
        current({"SCAFFOLD_LIMIT_FILES": "x" * 100})

    assert f"{'x' * 40!r} is not valid" in raised.value.message


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KiB"),
        (3 * 1024 + 512, "3.5 KiB"),
        (1 << 20, "1 MiB"),
        (512 << 20, "512 MiB"),
        (1 << 30, "1 GiB"),
    ],
)
def test_sizes_are_shown_in_the_largest_binary_unit_reached(n: int, shown: str) -> None:
    assert size(n) == shown


def test_repetitions_up_to_the_byte_limit_are_built_and_longer_ones_refused() -> None:
    limits = Limits(bytes=10)

    assert bounded_binop(limits, "*", "ab", 5) == "ab" * 5
    assert bounded_binop(limits, "*", 5, [1, 2]) == [1, 2] * 5
    assert bounded_binop(limits, "*", 3, 4) == 12  # numbers multiply without a bound
    for left, right in (("ab", 6), (11, b"x"), ((1,), 11)):
        with pytest.raises(SecurityError) as raised:
            bounded_binop(limits, "*", left, right)
        assert str(raised.value) == "a repetition longer than 10 bytes (SCAFFOLD_LIMIT_BYTES)"


def test_powers_with_huge_exponents_are_refused_and_trivial_bases_are_not() -> None:
    limits = Limits()

    assert bounded_binop(limits, "**", 2, 10_000) == 2**10_000
    assert bounded_binop(limits, "**", 1, 10**9) == 1
    assert bounded_binop(limits, "**", -1, 10**9 + 1) == -1
    assert bounded_binop(limits, "**", 2.0, 20_000.0 / 10_000) == 4.0
    for base in (2, -2):
        with pytest.raises(SecurityError) as raised:
            bounded_binop(limits, "**", base, 10_001)
        assert str(raised.value) == "a power with an exponent above 10000 (10001)"


def test_other_operators_are_not_computed() -> None:
    with pytest.raises(SecurityError) as raised:
        bounded_binop(Limits(), "+", 1, 2)

    assert str(raised.value) == "operator + is not intercepted"


# --- a render's wall time, and the bounds outside the main thread


def test_a_block_past_its_deadline_is_interrupted_and_the_timer_and_handler_are_put_back() -> None:
    previous = signal.getsignal(signal.SIGALRM)
    with pytest.raises(RenderTimeout), deadline(0.01):
        time.sleep(30)  # interrupted: the timer's handler raises in the main thread
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous

    with deadline(30):
        assert signal.getsignal(signal.SIGALRM) is not previous
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # a block done in time leaves no timer running
    assert signal.getsignal(signal.SIGALRM) is previous


def test_a_deadline_inside_a_running_one_leaves_the_outer_in_charge() -> None:
    # copier asks questions during the render: the questions' deadline must not end the render's timer
    with deadline(30):
        with deadline(0.01):
            time.sleep(0.05)  # the inner one set no timer of its own
            assert 29 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30  # still running after the inner block
    with pytest.raises(RenderTimeout), deadline(0.01), deadline(30):
        time.sleep(30)  # the outer one's time is what counts
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_paused_deadline_stops_for_the_block_and_runs_on_after_it() -> None:
    with deadline(30):
        with paused():  # a template's tasks
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    with paused():  # no deadline running: nothing to stop, nothing started after
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_deadline_and_the_memory_cap_are_left_alone_outside_the_main_thread() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    seen: list[tuple[float, float, tuple[int, int]]] = []

    def render() -> None:  # signals and the address space belong to the process: only its main thread sets them
        with deadline(0.01), memory_cap(1), paused(), uncapped():
            seen.append((*signal.getitimer(signal.ITIMER_REAL), resource.getrlimit(resource.RLIMIT_AS)))

    with deadline(30):  # the main thread's, which no other thread stops
        thread = threading.Thread(target=render)
        thread.start()
        thread.join()

    [(remaining, interval, limit)] = seen
    assert 0 < remaining <= 30 and interval == 0 and limit == before
    with uncapped():  # in the main thread, with no cap running: nothing to lift
        assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert resource.getrlimit(resource.RLIMIT_AS) == before


# --- YAML


def test_yaml_within_the_bounds_loads_as_safe_load_does() -> None:
    assert bounded_yaml.load("a: &x [1, 2]\nb: *x\n", "doc") == {"a": [1, 2], "b": [1, 2]}
    assert bounded_yaml.load("", "doc") is None


def test_a_billion_laughs_is_refused_by_its_expanded_size_before_it_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laughs = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n"  # 1 + 3 keys + 4 + (1+3*4) + (1+2*13) = 48 nodes
    monkeypatch.setenv("SCAFFOLD_LIMIT_YAML_NODES", "48")
    assert bounded_yaml.load(laughs, "doc")["c"][1][2] == ["x", "x", "x"]
    config = tmp_path / "copier.yml"
    config.write_text(laughs)
    bounded_yaml.measure_config(config, tmp_path)

    monkeypatch.setenv("SCAFFOLD_LIMIT_YAML_NODES", "47")
    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.load(laughs, "doc")
    assert raised.value.message == (
        "doc expands to more than 47 YAML nodes through its aliases (a YAML bomb); "
        "accepted: a smaller document (SCAFFOLD_LIMIT_YAML_NODES)"
    )
    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.measure_config(config, tmp_path)
    assert raised.value.message.startswith(f"{config} expands to more than 47 YAML nodes")


def test_the_documents_of_a_copier_yml_share_one_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCAFFOLD_LIMIT_YAML_NODES", "5")
    config = tmp_path / "copier.yml"
    config.write_text("[a, b]\n---\n[c]\n")  # 3 + 2 nodes
    bounded_yaml.measure_config(config, tmp_path)

    for stream in ("[a, b]\n---\n[c, d]\n", "[a]\n---\n[b]\n---\n[c]\n"):  # 3 + 3, and 2 + 2 + 2
        config.write_text(stream)
        with pytest.raises(TemplateRefusedError):
            bounded_yaml.measure_config(config, tmp_path)


def test_an_alias_inside_itself_is_refused() -> None:
    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.load("a: &x [1, *x]\n", "doc")

    assert raised.value.message == "doc has a YAML alias that contains itself; accepted: data without cycles"


def test_nesting_past_the_bound_is_refused_and_up_to_it_loads() -> None:
    depth = bounded_yaml.MAX_NESTING
    bounded_yaml.load("[" * (depth + 1) + "]" * (depth + 1), "doc")

    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.load("[" * (depth + 2) + "]" * (depth + 2), "doc")

    assert raised.value.message == f"doc nests YAML collections more than {depth} deep; accepted: fewer levels"


# --- what a render may still write


def test_a_render_may_write_up_to_the_file_limit_counting_the_folders_on_the_way() -> None:
    budget = OutputBudget("T", Limits(files=4, bytes=100))
    budget.admit("a/b/c.txt", 1)  # a, a/b and a/b/c.txt: 3 entries
    budget.admit("a/d.txt", 1)  # a is counted once: 4

    with pytest.raises(TemplateRefusedError) as raised:
        budget.admit("a/b/e.txt", 0)

    assert raised.value.message == (
        "template T renders more than 4 files, folders and links (at a/b/e.txt); "
        "accepted: fewer, or a higher SCAFFOLD_LIMIT_FILES"
    )
    budget.admit("a/b/c.txt", 0)  # written again: nothing new


def test_a_render_may_write_up_to_the_byte_limit() -> None:
    budget = OutputBudget("T", Limits(files=10, bytes=10))
    budget.admit("a", 6)
    budget.admit("b", 4)

    with pytest.raises(TemplateRefusedError) as raised:
        budget.admit("c", 1)

    assert raised.value.message == (
        "template T renders more than 10 bytes; accepted: a smaller render, or a higher SCAFFOLD_LIMIT_BYTES"
    )


def test_text_jinja_renders_is_joined_up_to_the_room_left() -> None:
    budget = OutputBudget("T", Limits(files=10, bytes=10))
    budget.admit("a", 4)

    assert budget.concat(["ab", "cd", "ef"]) == "abcdef"  # 6: exactly the room left
    with pytest.raises(TemplateRefusedError):
        budget.concat(["abc", "defg"])


# --- what copier.yml includes


def config_with(root: Path, copier_yml: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "copier.yml").write_text(copier_yml)
    return root / "copier.yml"


def fits(config: Path, nodes: int, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setenv("SCAFFOLD_LIMIT_YAML_NODES", str(nodes))
    try:
        bounded_yaml.measure_config(config, config.parent)
    except TemplateRefusedError:
        return False
    return True


def test_an_include_counts_as_itself_and_every_file_its_glob_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(tmp_path, "a: !include inc/*.yml\n", {"inc/1.yml": "[x]\n", "inc/2.yml": "[y, z]\n"})

    # the mapping, its key, the include, and 2 + 3 nodes from the two files
    assert fits(config, 8, monkeypatch) and not fits(config, 7, monkeypatch)


def test_an_empty_or_absolute_include_pattern_is_left_to_copier_and_counts_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(tmp_path, "a: !include ''\nb: !include /etc/passwd\n", {})

    assert fits(config, 5, monkeypatch) and not fits(config, 4, monkeypatch)


def test_includes_nested_past_the_depth_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_with(tmp_path, "a: !include a.yml\n", {"a.yml": "b: !include b.yml\n", "b.yml": "[x]\n"})
    monkeypatch.setenv("SCAFFOLD_LIMIT_DEPTH", "2")
    bounded_yaml.measure_config(config, tmp_path)

    monkeypatch.setenv("SCAFFOLD_LIMIT_DEPTH", "1")
    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.measure_config(config, tmp_path)

    assert raised.value.message == (
        f"{tmp_path / 'b.yml'} (`!include b.yml`) is included through more than 1 files in a row; "
        "accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH)"
    )


def test_included_files_together_past_the_byte_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(tmp_path, "a: !include a.yml\nb: !include b.yml\n", {"a.yml": "x: 1\n", "b.yml": "y: 2\n"})
    monkeypatch.setenv("SCAFFOLD_LIMIT_BYTES", "10")  # the two files' 5 + 5 bytes; copier.yml itself is not counted
    bounded_yaml.measure_config(config, tmp_path)

    monkeypatch.setenv("SCAFFOLD_LIMIT_BYTES", "9")
    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.measure_config(config, tmp_path)

    # named at whichever of the two the walk reaches second
    assert raised.value.message.startswith(str(tmp_path)) and raised.value.message.endswith(
        ".yml`): the files copier.yml includes are larger than 9 bytes; accepted: smaller files (SCAFFOLD_LIMIT_BYTES)"
    )


def test_an_include_of_a_folder_or_of_invalid_yaml_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    config = config_with(tmp_path, "a: !include sub\n", {"bad.yml": "[unclosed\n"})

    with pytest.raises(TemplateRefusedError) as raised:
        bounded_yaml.measure_config(config, tmp_path)
    assert raised.value.message == f"{tmp_path / 'sub'} (`!include sub`) is not a file; accepted: a YAML file"

    config.write_text("a: !include bad.yml\n")
    with pytest.raises(TemplateError) as invalid:
        bounded_yaml.measure_config(config, tmp_path)
    assert invalid.value.message == (
        f"{tmp_path / 'bad.yml'} (`!include bad.yml`) is not valid YAML: "
        "line 2, column 1: expected ',' or ']', but got '<stream end>'"
    )


# --- padding and indenting, which build their text in C


def plain_call(context: object, obj: Any, *args: Any, **kwargs: Any) -> Any:
    return obj(*args, **kwargs)


@pytest.mark.parametrize("method", ["ljust", "rjust", "center", "zfill"])
def test_padding_up_to_the_byte_limit_is_built_and_wider_is_refused(method: str) -> None:
    limits = Limits(bytes=10)

    assert bounded_call(limits, plain_call, None, getattr("ab", method), 10) == getattr("ab", method)(10)
    with pytest.raises(SecurityError) as raised:
        bounded_call(limits, plain_call, None, getattr("ab", method), 11)
    assert str(raised.value) == f"a text longer than 10 bytes from str.{method} (SCAFFOLD_LIMIT_BYTES)"
    with pytest.raises(SecurityError):
        bounded_call(limits, plain_call, None, getattr(b"ab", method), 11)  # bytes alike
    with pytest.raises(SecurityError):
        bounded_call(limits, plain_call, None, "ab".ljust, width=11)  # a width given by name alike


def test_expanding_tabs_counts_the_width_once_per_tab() -> None:
    limits = Limits(bytes=16)

    assert bounded_call(limits, plain_call, None, "a\tb".expandtabs) == "a       b"  # 8 by default
    assert bounded_call(limits, plain_call, None, "\t\t".expandtabs, 8) == " " * 16
    with pytest.raises(SecurityError) as raised:
        bounded_call(limits, plain_call, None, "\t\t\t".expandtabs)
    assert str(raised.value) == "a text longer than 16 bytes from str.expandtabs (SCAFFOLD_LIMIT_BYTES)"
    with pytest.raises(SecurityError):
        bounded_call(limits, plain_call, None, "x".expandtabs, 17)  # no tab: the width counts once
    assert bounded_call(limits, plain_call, None, "\t\t".expandtabs) == " " * 16  # 8 by default, twice: 16
    assert bounded_call(limits, plain_call, None, "x".expandtabs, 16) == "x"
    with pytest.raises(SecurityError):
        bounded_call(limits, plain_call, None, b"\t\t\t".expandtabs)  # bytes count their tabs alike


def test_padding_counts_its_width_once_tabs_or_not_and_a_missing_width_is_pythons_error() -> None:
    assert bounded_call(Limits(bytes=10), plain_call, None, "\t\t".ljust, 10) == "\t\t" + " " * 8
    with pytest.raises(TypeError):  # ljust() needs a width: the call's own error, not a limit reached
        bounded_call(Limits(bytes=7), plain_call, None, "ab".ljust)


def test_other_calls_pass_through_unchanged() -> None:
    assert bounded_call(Limits(bytes=1), plain_call, None, "a,b".split, ",") == ["a", "b"]
    assert bounded_call(Limits(bytes=1), plain_call, None, max, 10**9, 2) == 10**9
    assert bounded_call(Limits(bytes=10), plain_call, None, "{}".format, 20) == "20"  # a str method that pads nothing
    assert bounded_call(Limits(bytes=10), plain_call, None, range, 11) == range(11)  # no __self__
    assert bounded_call(Limits(bytes=10), plain_call, None, functools.partial(max, 11), 1) == 11  # no __name__

    def center(width: int) -> int:  # a function named like a padding method, of no text
        return width

    assert bounded_call(Limits(bytes=10), plain_call, None, center, 11) == 11


def bounded_sandbox(limits: Limits) -> SandboxedEnvironment:
    """A Jinja sandbox held to `limits` as copier's file and question environments are (bound_environment)."""
    env = SandboxedEnvironment()
    bound_environment(limits, env)
    return env


def test_a_bound_environment_builds_what_fits_and_refuses_repetitions_powers_paddings_and_filters_past_it() -> None:
    env = bounded_sandbox(Limits(bytes=10))

    fits = "{{ 'ab' * 5 }} {{ 3 * 4 }} {{ 2 ** 3 }} {{ 'ab'.ljust(10) }}| {{ 'ab' | center(10) }}|"
    assert env.from_string(fits).render() == f"ababababab 12 8 {'ab'.ljust(10)}| {'ab'.center(10)}|"
    for template, refusal in {
        "{{ 'ab' * 6 }}": "a repetition longer than 10 bytes (SCAFFOLD_LIMIT_BYTES)",
        "{{ 2 ** 10001 }}": "a power with an exponent above 10000 (10001)",
        "{{ 'ab'.ljust(11) }}": "a text longer than 10 bytes from str.ljust (SCAFFOLD_LIMIT_BYTES)",
        "{{ 'ab' | center(11) }}": "a text longer than 10 bytes from the center filter (SCAFFOLD_LIMIT_BYTES)",
    }.items():
        with pytest.raises(SecurityError) as raised:
            env.from_string(template).render()
        assert str(raised.value) == refusal, template


def test_binding_one_environment_leaves_the_others_as_jinja_made_them() -> None:
    bounded_sandbox(Limits(bytes=10))

    assert (
        SandboxedEnvironment().from_string("{{ 'ab' * 6 }} {{ 'ab'.ljust(11) }}|").render()
        == "ab" * 6 + " ab         |"
    )


def test_a_bounded_sandbox_passes_the_context_and_every_argument_of_a_call_on() -> None:
    @pass_context
    def greet(context: Context, greeting: str, punctuation: str = ".") -> str:
        return f"{greeting}, {context['name']}{punctuation}"

    template = "{{ greet('hi', punctuation='!') }} {{ 'ab'.center(6, '*') }} {{ tab.expandtabs(tabsize=4) }}"

    assert bounded_sandbox(Limits(bytes=10)).from_string(template).render(greet=greet, name="ann", tab="a\tb") == (
        "hi, ann! **ab** a   b"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'ab' | center }}",  # 80 wide by default
        "{{ 'ab' | center(7) }}",
        "{{ text | indent }}",  # 4 by default
        "{{ text | indent(2) }}",
        "{{ text | indent(2, true) }}",
        "{{ text | indent(2, first=true, blank=true) }}",
        "{{ text | indent('> ') }}",
    ],
)
def test_the_bounded_center_and_indent_filters_render_what_jinjas_own_render(template: str) -> None:
    text = "a\n\nb"

    assert bounded_sandbox(Limits(bytes=100)).from_string(template).render(text=text) == (
        SandboxedEnvironment().from_string(template).render(text=text)
    )


def test_the_center_and_indent_filters_are_held_to_the_byte_limit() -> None:
    filters: dict[str, Any] = {"center": lambda v, w=80: str(v).center(w), "indent": lambda v, w=4: str(v)}
    bounded_filters(Limits(bytes=10), filters)

    assert filters["center"]("ab", 10) == "ab".center(10)
    assert filters["indent"]("a\nb", 5) == "a\nb"  # 5 per line, 2 lines: 10
    assert filters["indent"]("a\nb", "12345") == "a\nb"  # a text width counts its length
    with pytest.raises(SecurityError):
        filters["center"]("ab", 11)
    with pytest.raises(SecurityError):
        filters["indent"]("a\nb", 6)
    with pytest.raises(SecurityError) as raised:
        filters["center"]("ab")  # copier's default width, 80
    assert str(raised.value) == "a text longer than 10 bytes from the center filter (SCAFFOLD_LIMIT_BYTES)"
    with pytest.raises(SecurityError) as raised:
        filters["indent"]("a\nb\nc")  # 4 per line by default: 12
    assert str(raised.value) == "a text longer than 10 bytes from the indent filter (SCAFFOLD_LIMIT_BYTES)"


def test_filters_a_template_environment_lacks_are_not_added() -> None:
    filters: dict[str, Any] = {}
    bounded_filters(Limits(), filters)

    assert filters == {}
