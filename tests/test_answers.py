from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.answers import KNOWN_KEYS, problem_with, validate_answer
from generator.errors import InvalidAnswerError, shown
from generator.quantities import QuantityError, parse_cpu, parse_memory
from tests.cli import scaffold


@pytest.mark.parametrize("name", ["a", "my-service", "svc2", "a" * 63, "payments-api-v2"])
def test_service_names_that_are_go_binaries_and_dns_labels_are_accepted(name: str) -> None:
    assert validate_answer("service_name", name) == name


@pytest.mark.parametrize(
    "name", ["", "My-Service", "my_service", "-svc", "svc-", "2svc", "a" * 64, "my.service", "a b"]
)
def test_other_service_names_are_refused_naming_the_value(name: str) -> None:
    with pytest.raises(InvalidAnswerError) as error:
        validate_answer("service_name", name)
    assert repr(name) in error.value.message
    assert "DNS-1123" in error.value.message


@pytest.mark.parametrize("path", ["github.com/acme/svc", "example.com/x/v2", "svc", "gitlab.example.org/a/b/c_d"])
def test_go_module_paths_are_accepted(path: str) -> None:
    assert validate_answer("module_path", path) == path


@pytest.mark.parametrize(
    "path", ["", "GitHub.com/acme/x", "github.com//x", "github.com/acme/x/", "/abs", "a b", "x/.hidden"]
)
def test_bad_module_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidAnswerError, match="module_path"):
        validate_answer("module_path", path)


@pytest.mark.parametrize(("value", "expected"), [("8080", 8080), (1024, 1024), ("65535", 65535)])
def test_ports_become_integers(value: object, expected: int) -> None:
    assert validate_answer("port", value) == expected


@pytest.mark.parametrize("value", ["80", "0", "65536", "http", "-1", "8080.5"])
def test_privileged_and_impossible_ports_are_refused(value: str) -> None:
    with pytest.raises(InvalidAnswerError, match=r"accepted: a whole number from 1024 to 65535"):
        validate_answer("port", value)


def test_pprof_port_must_differ_from_the_service_port() -> None:
    assert problem_with("pprof_port", 8080, 8080).startswith("pprof_port 8080 is the same")
    assert problem_with("pprof_port", 6060, 8080) == ""


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("false", False), (True, True), ("0", False)])
def test_flags_accept_the_usual_spellings(value: object, expected: bool) -> None:
    assert validate_answer("enable_pprof", value) is expected


def test_memory_limits_below_64mi_are_refused_as_too_small() -> None:
    with pytest.raises(InvalidAnswerError, match="'63Mi' is below 64Mi"):
        validate_answer("memory_limit", "63Mi")
    assert validate_answer("memory_limit", "64Mi") == "64Mi"


@pytest.mark.parametrize(
    ("key", "value"), [("go_version", "1.24"), ("go_version", "1.28"), ("runtime_image", "ubuntu")]
)
def test_choices_list_what_is_accepted(key: str, value: str) -> None:
    with pytest.raises(InvalidAnswerError, match="accepted: "):
        validate_answer(key, value)


def test_answers_of_a_custom_template_pass_through_unchanged() -> None:
    assert validate_answer("team_slack_channel", "#payments") == "#payments"


CONTROL_CHARACTERS = ["\n", "\t", "\r", "\x00", "\x1b", "\x7f", "\u202e", "\u2028"]


@pytest.mark.parametrize("key", [*KNOWN_KEYS, "a_custom_question"])
@pytest.mark.parametrize("control", CONTROL_CHARACTERS, ids=repr)
def test_every_text_answer_refuses_control_characters_anywhere(key: str, control: str) -> None:
    for value in (f"svc{control}", f"{control}svc", f"s{control}vc"):
        with pytest.raises(InvalidAnswerError) as error:
            validate_answer(key, value)
        assert error.value.message.startswith(f"{key} {value!r} contains the control character {control!r}")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Payments API", "Payments API"),
        ("Alice's service: orders & refunds (v2)", "Alice's service: orders & refunds (v2)"),
        ("  padded  ", "padded"),
        ("x" * 200, "x" * 200),
    ],
)
def test_a_description_of_one_line_without_double_quotes_or_backticks_is_accepted(value: str, expected: str) -> None:
    assert validate_answer("description", value) == expected


@pytest.mark.parametrize(
    "value",
    ['the "payments" service', "runs `make`", '"', "`", "", "   ", "x" * 201],
    ids=["double quotes", "backticks", "a lone quote", "a lone backtick", "empty", "blank", "201 characters"],
)
def test_a_description_with_quotes_backticks_or_of_the_wrong_length_is_refused_naming_the_rule(value: str) -> None:
    # a description lands in Go string literals, YAML and Markdown: a quote or backtick would break them
    with pytest.raises(InvalidAnswerError) as error:
        validate_answer("description", value)
    rule = "accepted: one line of 1-200 characters without quotes or backticks"
    assert error.value.message == f"description {shown(value.strip())} is not valid; {rule}"
    assert problem_with("description", value) == error.value.message


# The exact rules and messages, each pinned (tests/mutation.sh: a changed bound or message must fail a test).


def refusal(key: str, value: object) -> str:
    with pytest.raises(InvalidAnswerError) as error:
        validate_answer(key, value)
    return error.value.message


def test_a_refused_service_name_says_exactly_what_is_accepted() -> None:
    assert refusal("service_name", "My-Service") == (
        "service_name 'My-Service' is not valid; accepted: 1-63 lowercase letters, digits and '-', "
        "starting with a letter and not ending with '-' (a Go binary name and a DNS-1123 label)"
    )


def test_a_module_path_may_be_255_characters_and_no_element_may_end_with_a_dot() -> None:
    longest = "example.com/" + "a" * 243
    assert validate_answer("module_path", longest) == longest
    assert refusal("module_path", longest + "a") == (
        f"module_path {shown(longest + 'a')} is not a valid Go module path; accepted: slash-separated elements of "
        "letters, digits and '._~+-', a lowercase first element, such as github.com/acme/my-service"
    )
    assert refusal("module_path", "github.com/acme/svc.").startswith("module_path 'github.com/acme/svc.' is not")


@pytest.mark.parametrize("version", ["1.27", "1.26", "1.25"])
def test_the_supported_go_versions_are_accepted_trimmed(version: str) -> None:
    assert validate_answer("go_version", f" {version} ") == version


def test_another_go_version_is_refused_listing_the_supported_ones() -> None:
    assert refusal("go_version", " 1.24") == "go_version '1.24' is not supported; accepted: 1.27, 1.26, 1.25"


def test_a_refused_port_names_the_range_and_why() -> None:
    assert refusal("pprof_port", " 80 ") == (
        "pprof_port '80' is not valid; accepted: a whole number from 1024 to 65535 "
        "(the service runs as a non-root user)"
    )


def test_a_refused_flag_lists_the_spellings() -> None:
    assert (
        refusal("enable_pprof", "maybe") == "enable_pprof 'maybe' is not valid; accepted: true or false (yes/no, 1/0)"
    )


@pytest.mark.parametrize(("key", "parse"), [("memory_limit", parse_memory), ("cpu_limit", parse_cpu)])
def test_a_refused_quantity_says_what_the_quantity_rule_says(key: str, parse: Any) -> None:
    with pytest.raises(QuantityError) as rule:
        parse("lots")
    assert refusal(key, " lots ") == str(rule.value)
    assert str(rule.value).startswith(f"{key} 'lots' is not valid; accepted: ")


@pytest.mark.parametrize(("value", "expected"), [("500m", "500m"), (" 2 ", "2"), (1.5, "1.5")])
def test_cpu_limits_are_accepted_as_given_trimmed(value: object, expected: str) -> None:
    assert validate_answer("cpu_limit", value) == expected


@pytest.mark.parametrize("image", ["distroless", "scratch", "alpine"])
def test_the_runtime_images_are_accepted_trimmed(image: str) -> None:
    assert validate_answer("runtime_image", f" {image}\u0020") == image


def test_another_runtime_image_is_refused_listing_the_accepted_ones() -> None:
    assert (
        refusal("runtime_image", "ubuntu")
        == "runtime_image 'ubuntu' is not valid; accepted: distroless, scratch, alpine"
    )


def test_scaffold_new_refuses_pprof_port_equal_to_port_while_pprof_is_on(tmp_path: Path) -> None:
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--defaults", "--data", "port=8080", "--data", "enable_pprof=true",
        "--data", "pprof_port=8080",
    )  # fmt: skip

    assert code == 2, out + err
    assert err.strip() == "error: pprof_port 8080 is the same as port; accepted: a port other than 8080"
    assert not (tmp_path / "svc").exists()


def test_scaffold_new_accepts_pprof_port_equal_to_port_when_pprof_is_off(tmp_path: Path) -> None:
    code, out, err = scaffold(
        tmp_path, "new", "svc", "--defaults", "--data", "port=8080", "--data", "enable_pprof=false",
        "--data", "pprof_port=8080",
    )  # fmt: skip

    assert code == 0, out + err
    answers = yaml.safe_load((tmp_path / "svc" / ".copier-answers.yml").read_text())
    assert answers["port"] == 8080 and answers["enable_pprof"] is False
    assert "pprof_port" not in answers  # no pprof server, so no pprof port to clash with


def test_a_template_validator_compares_pprof_port_with_port_as_copier_passes_them() -> None:
    assert problem_with("pprof_port", "8080", "8080") == (
        "pprof_port 8080 is the same as port; accepted: a port other than 8080"
    )
    assert problem_with("pprof_port", 6060, "") == ""  # no port answered yet
    assert problem_with("pprof_port", 6060, None) == ""


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("scaffold_source", " https://pypi.acme.dev/simple ", "https://pypi.acme.dev/simple"),
        (
            "scaffold_source",
            "git+https://git.acme.dev/platform/scaffold.git",
            "git+https://git.acme.dev/platform/scaffold.git",
        ),
        (
            "scaffold_source",
            "git+ssh://git@git.acme.dev/platform/scaffold.git",
            "git+ssh://git@git.acme.dev/platform/scaffold.git",
        ),
        ("scaffold_source", "", ""),  # not set: the workflows then fail with one line saying so
        ("scaffold_pins", "https://pypi.acme.dev/pins/scaffold-ci.txt", "https://pypi.acme.dev/pins/scaffold-ci.txt"),
        ("scaffold_pins", "  ", ""),
    ],
)
def test_the_orgs_ci_settings_are_urls_trimmed_or_empty(key: str, value: str, expected: str) -> None:
    assert validate_answer(key, value) == expected


@pytest.mark.parametrize(
    ("key", "value", "accepted"),
    [
        (
            "scaffold_source",
            "http://pypi.acme.dev/simple",
            "a package index URL (https://...) or a git URL (git+https://... or git+ssh://...)",
        ),
        (
            "scaffold_source",
            "https://acme.dev/${{ secrets.TOKEN }}",
            "a package index URL (https://...) or a git URL (git+https://... or git+ssh://...)",
        ),
        ("scaffold_pins", "git+https://git.acme.dev/pins.txt", "an https:// URL of a pip requirements file"),
        ("scaffold_pins", "https://acme.dev/pins.txt'; curl evil", "an https:// URL of a pip requirements file"),
    ],
)
def test_a_ci_setting_that_is_no_safe_url_is_refused_naming_it_and_what_is_accepted(
    key: str, value: str, accepted: str
) -> None:
    """They are rendered into workflow YAML and shell: a `$` would open an Actions expression, a quote the shell."""
    assert refusal(key, value) == f"{key} {shown(value)} is not valid; accepted: {accepted}"
