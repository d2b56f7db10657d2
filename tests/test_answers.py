import pytest

from generator.answers import KNOWN_KEYS, problem_with, validate_answer, validate_answers
from generator.errors import InvalidAnswerError, shown


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
    with pytest.raises(InvalidAnswerError, match="pprof_port 8080 is the same as port"):
        validate_answers({"port": 8080, "enable_pprof": True, "pprof_port": "8080"})
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
