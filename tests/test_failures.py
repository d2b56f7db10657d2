"""Failures from copier, Jinja, YAML, the file system and scaffold's own bugs, as a user sees them."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import BaseLoader, Environment

from generator import copier_api, failures
from tests.cli import scaffold


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def template(root: Path, questions: str, files: dict[str, str] | None = None) -> Path:
    """A small copier template: a service_name question, `questions` (copier.yml text) and `files`."""
    root.mkdir()
    (root / "copier.yml").write_text(
        f"_subdirectory: template\nservice_name:\n  type: str\n  default: svc\n{questions}", encoding="utf-8"
    )
    (root / "template").mkdir()
    (root / "template" / "README.md").write_text("hello\n")
    for name, text in (files or {}).items():
        (root / "template" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "template" / name).write_text(text)
    return root


def one_line_error(work: Path, *args: str) -> str:
    """Run scaffold; check it exits 2 with one line on stderr and writes nothing; return the message."""
    code, out, err = scaffold(work, *args)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert tree(work) == []
    return err.removeprefix("error: ").rstrip("\n")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def test_a_question_default_that_trips_the_jinja_sandbox_is_one_line(tmp_path: Path, work: Path) -> None:
    src = template(tmp_path / "t", "x:\n  type: str\n  default: \"{{ ''.__class__.__mro__ }}\"\n")
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src))
    # the sandbox refuses it, as it refuses the same Jinja in a file: a refusal (exit 2), naming the question
    assert (
        message
        == "the template is refused at x of copier.yml: access to attribute '__class__' of 'str' object is unsafe"
    )


def test_an_unknown_filter_in_a_question_default_is_one_line(tmp_path: Path, work: Path) -> None:
    src = template(tmp_path / "t", 'x:\n  type: str\n  default: "{{ service_name | nofilter }}"\n')
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src))
    assert "copier.yml cannot be rendered at x: No filter named 'nofilter'" in message
    assert "accepted: Jinja using the answers before it and the template's filters" in message


def test_a_symlink_beside_a_folder_of_the_same_name_is_one_line(tmp_path: Path, work: Path) -> None:
    src = template(tmp_path / "t", "", {"foo/f": "x\n"})
    (src / "template" / "foo.jinja").symlink_to("README.md")
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src))
    assert message.endswith(" could not be rendered: 'foo/f': not a directory"), message


def test_a_file_name_rendering_to_dot_dot_is_one_line(tmp_path: Path, work: Path) -> None:
    src = template(tmp_path / "t", "part:\n  type: str\n  default: '..'\n", {"sub/{{ part }}.jinja": "x\n"})
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src))
    assert message.startswith("template ") and " could not be rendered: " in message, message


def test_a_multiselect_answer_given_with_data_is_one_line(tmp_path: Path, work: Path) -> None:
    src = template(tmp_path / "t", "tags:\n  type: str\n  multiselect: true\n  choices: [a, b]\n  default: [a]\n")
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src), "--data", "tags=c")
    assert "'c'" in message


def test_a_destination_under_a_file_is_one_line(work: Path) -> None:
    (work / "afile").write_text("mine\n")
    code, _, err = scaffold(work, "new", "svc", "afile/svc", "--defaults")
    assert code == 2
    assert err == "error: destination 'afile/svc' is under 'afile', which is a file; accepted: a path under folders\n"
    assert tree(work) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes")
def test_an_unwritable_destination_is_one_line_and_leaves_no_parents(work: Path) -> None:
    (work / "locked").mkdir(mode=0o555)
    try:
        message = one_line_error(work / "locked", "new", "svc", "a/b/svc", "--defaults")
    finally:
        (work / "locked").chmod(0o755)
    assert message == "destination 'a/b/svc' cannot be created: permission denied; accepted: a folder you can write to"


def test_an_answers_file_with_bad_yaml_names_the_line_and_column(work: Path) -> None:
    (work / "answers.yml").write_text("memory_limit: 1Gi\nport: [8080\n")
    code, _, err = scaffold(work, "new", "svc", "--defaults", "--answers-file", "answers.yml")
    assert code == 2
    assert err.startswith("error: answers file answers.yml is not valid YAML: line 3, column 1: expected ',' or ']'")


def test_an_answer_to_a_question_that_does_not_apply_is_left_out(work: Path) -> None:
    code, _, err = scaffold(work, "new", "svc", "--defaults", "-d", "enable_pprof=false", "-d", "pprof_port=8080")
    assert code == 0, err
    recorded = yaml.safe_load((work / "svc" / ".copier-answers.yml").read_text())
    assert recorded["enable_pprof"] is False
    assert "pprof_port" not in recorded


def _bug(_: str) -> str:
    raise ZeroDivisionError("division by zero")


def test_a_bug_is_one_line_saying_where_to_report_it_and_the_traceback_needs_debug(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("generator.quantities.gomemlimit_for", _bug)
    code, out, err = scaffold(work, "memlimit", "512Mi")
    assert code == 70
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: unexpected ZeroDivisionError: division by zero; this is a bug in scaffold, please")
    assert "SCAFFOLD_DEBUG=1" in err and "--debug" in err

    code, _, err = scaffold(work, "--debug", "memlimit", "512Mi")
    assert code == 70
    assert err.startswith("Traceback (most recent call last):")
    assert 'in _bug\n    raise ZeroDivisionError("division by zero")' in err
    assert err.splitlines()[-1].startswith("error: unexpected ZeroDivisionError")

    monkeypatch.setenv("SCAFFOLD_DEBUG", "1")
    code, _, err = scaffold(work, "memlimit", "512Mi")
    assert code == 70
    assert err.startswith("Traceback (most recent call last):")


BUG_LINE = "; this is a bug in scaffold, please report it"


def bug_exit(work: Path, *args: str) -> str:
    """Run scaffold; check it exits 70 with one line calling it a bug and writes nothing; return the message."""
    code, out, err = scaffold(work, *args)
    assert code == 70, (out, err)
    assert err.startswith("error: unexpected ") and err.count("\n") == 1, err
    assert BUG_LINE in err
    assert tree(work) == []
    return err.removeprefix("error: ").rstrip("\n")


@pytest.mark.parametrize(
    ("broken_rule", "raised"),
    [(int, "ValueError: invalid literal for int()"), (None, "TypeError: "), ({}.__getitem__, "KeyError: '512Mi'")],
    ids=["ValueError", "TypeError", "KeyError"],
)
def test_a_bug_in_scaffolds_own_filter_while_copier_renders_is_a_bug_not_the_templates_fault(
    work: Path, monkeypatch: pytest.MonkeyPatch, broken_rule: Any, raised: str
) -> None:
    # the gomemlimit filter runs only while copier renders the files, under copier's frames
    monkeypatch.setattr("generator.jinja_ext.gomemlimit_for", broken_rule)
    assert bug_exit(work, "new", "svc", "--defaults").startswith(f"unexpected {raised}")


def test_a_bug_in_scaffolds_own_copier_worker_override_is_a_bug_not_the_templates_fault(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RecordingWorker._answers_to_remember (scaffold's override) builds a dict of what copier's returns;
    # given something it does not expect, the override itself raises, under copier's frames
    monkeypatch.setattr(copier_api.Worker, "_answers_to_remember", lambda self: None)
    message = bug_exit(work, "new", "svc", "--defaults")
    assert message.startswith("unexpected TypeError: 'NoneType' object is not iterable"), message


def test_a_bug_in_a_fleet_worker_is_a_bug_row_and_the_runs_exit_code_is_70(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr("generator.check.check_repo", None)  # what check_job calls for each repo
    code, out, err = scaffold(tmp_path, "check", "a", "b", "--jobs", "1", "--json")
    assert code == 70, err
    data = json.loads(out)
    assert data["exit_code"] == 70 and data["counts"] == {"bug": 2}
    for row in data["repos"]:
        assert (row["result"], row["exit_code"]) == ("bug", 70)
        assert row["detail"].startswith("unexpected TypeError: 'NoneType' object is not callable" + BUG_LINE)

    code, out, err = scaffold(tmp_path, "check", "a", "b", "--jobs", "1")
    assert code == 70
    assert out.rstrip().endswith("2 repos (bug: 2); exit code 70"), out
    assert err.splitlines() == [f"[1/2] {tmp_path / 'a'}: bug", f"[2/2] {tmp_path / 'b'}: bug"]


@pytest.mark.parametrize(
    ("questions", "files", "data", "expected"),
    [
        ("", {"bad.txt.jinja": "{{ 1 + 'a' }}\n"}, [], "could not be rendered: TypeError: unsupported operand"),
        ("", {"bad.txt.jinja": "{% if %}\n"}, [], "could not be rendered: Expected an expression"),
        (
            "_jinja_extensions: [generator.jinja_ext.ScaffoldExtension]\n",
            {"bad.txt.jinja": "{{ 'lots' | gomemlimit }}\n"},
            [],
            "memory_limit 'lots' is not valid; accepted: ",
        ),
        ("x:\n  type: nosuchtype\n  default: a\n", {}, [], "nosuchtype"),
        (
            "x:\n  type: str\n  default: ok\n  validator: \"{% if x != 'ok' %}x must be ok{% endif %}\"\n",
            {},
            ["--data", "x=bad"],
            "x must be ok",
        ),
    ],
    ids=["a TypeError in its Jinja", "bad Jinja", "a bad value for scaffold's filter", "bad copier.yml", "validator"],
)
def test_the_templates_own_errors_stay_exit_2_and_are_not_called_bugs(
    tmp_path: Path, work: Path, questions: str, files: dict[str, str], data: list[str], expected: str
) -> None:
    src = template(tmp_path / "t", questions, files)
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(src), *data)
    assert expected in message and "bug" not in message, message


class _FileLoader(BaseLoader):
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        return "{{ 1 + 'a' }}", self.filename, lambda: True


def test_the_bundled_templates_jinja_is_the_templates_code_though_the_wheel_puts_it_in_scaffolds_package() -> None:
    inside = os.path.join(os.path.dirname(failures.__file__), "templates", "go-service", "template", "x.jinja")
    with pytest.raises(TypeError) as raised:
        Environment(loader=_FileLoader(inside)).get_template("x").render()
    assert raised.value.__traceback__ is not None
    assert not failures.raised_by_scaffold(raised.value)
    assert failures.translate(raised.value) is None  # not copier's either: outside a render, a bug as before


def test_help_shows_flags_as_flags(work: Path) -> None:
    code, out, _ = scaffold(work, "new", "--help")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("--")}
    assert lines["--defaults"].split()[1] == "Use"  # no value after the flag
    assert lines["--pretend"].split()[1] == "Show"
    assert "<bool>" not in out
    assert "Usage: scaffold new [OPTIONS] {NAME} [DEST]" in out


# Python refuses int() on strings of more than 4300 digits (a ValueError), str.isdigit() takes '²',
# and Decimal overflows on an exponent of a million: numbers like these reached scaffold unchecked.
DIGITS = "9" * 4301


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (f"port={DIGITS}", "port '9999"),
        ("port=²", "port '²' is not valid; accepted: a whole number from 1024 to 65535"),
        (f"pprof_port={DIGITS}", "pprof_port '9999"),
        ("memory_limit=1e1000000", "memory_limit '1e1000000' is above 8Ei; accepted: a Kubernetes quantity"),
        (f"memory_limit=1e{DIGITS}", "memory_limit '1e9999"),
        (f"memory_limit={DIGITS}Ei", "memory_limit '9999"),
        (f"cpu_limit={DIGITS}m", "cpu_limit '9999"),
    ],
)
def test_a_number_with_thousands_of_digits_or_odd_digits_is_one_line(work: Path, data: str, expected: str) -> None:
    message = one_line_error(work, "new", "svc", "--defaults", "--pretend", "--data", data)
    assert message.startswith(expected), message
    assert "accepted: " in message and "bug" not in message


def test_an_answers_file_with_a_huge_number_or_a_date_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    huge, date = tmp_path / "huge.yml", tmp_path / "date.yml"
    huge.write_text(f"port: {DIGITS}\n")
    date.write_text("created: 2024-13-45\n")
    assert one_line_error(work, "new", "svc", "--defaults", "--answers-file", str(huge)) == (
        f"answers file {huge} has a value that cannot be read: a number of more than 4300 digits; "
        "accepted: numbers of at most 4300 digits"
    )
    assert one_line_error(work, "new", "svc", "--defaults", "--answers-file", str(date)).startswith(
        f"answers file {date} has a value that cannot be read: month must be in 1..12; accepted: "
    )


def test_an_org_config_with_a_huge_number_is_one_line(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    config = tmp_path / "org.toml"
    config.write_text(f"[defaults]\nport = {DIGITS}\n")
    assert one_line_error(work, "new", "svc", "--defaults", "--config", str(config)) == (
        f"config {config}: a value cannot be read: a number of more than 4300 digits; "
        "accepted: numbers of at most 4300 digits"
    )


def test_a_huge_number_in_a_templates_copier_yml_is_one_line(tmp_path: Path, work: Path) -> None:
    source = template(tmp_path / "tpl", f"replicas:\n  type: int\n  default: {DIGITS}\n")
    message = one_line_error(work, "new", "svc", "--defaults", "--template", str(source))
    assert "a number of more than 4300 digits" in message, message


def test_every_exit_code_the_readme_lists_has_a_name_in_errors_and_every_named_one_is_listed() -> None:
    from generator import errors

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("| exit code | meaning |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    listed = {int(row.split("|")[1]) for row in table.splitlines()}
    named = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}

    assert listed == named
