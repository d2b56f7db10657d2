"""Ctrl-C during `scaffold new` leaves nothing (exit 130) or a complete repo with its summary printed (exit 0).

The Ctrl-C is a real SIGINT sent by the process to itself at a chosen step, so the test does not depend on timing.
"""

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import new as new_module
from tests.cli import scaffold


def interrupting(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `step` so that Ctrl-C (SIGINT) reaches this process as the step starts."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)
        return step(*args, **kwargs)

    return wrapped


def test_ctrl_c_while_rendering_leaves_nothing_and_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(new_module, "render", interrupting(new_module.render))

    code, out, err = scaffold(tmp_path, "new", "payments", "--defaults")

    assert code == 130
    assert err == "error: cancelled; nothing was written\n" and out == ""
    assert list(tmp_path.iterdir()) == []  # no repo, no staging folder


def test_ctrl_c_while_the_repo_is_put_in_place_finishes_it_prints_the_summary_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(new_module, "put_in_place", interrupting(new_module.put_in_place))

    code, out, err = scaffold(tmp_path, "new", "payments", "--defaults")

    assert code == 0, err
    assert out.startswith("Created payments (") and "Next: cd payments" in out
    assert "Ctrl-C came once payments was being put in place: it is complete" in err
    assert [p.name for p in tmp_path.iterdir()] == ["payments"]
    assert (tmp_path / "payments" / "cmd" / "payments" / "main.go").is_file()
    assert (tmp_path / "payments" / ".copier-answers.yml").is_file()


def test_ctrl_c_keeps_its_usual_meaning_after_scaffold_new(tmp_path: Path) -> None:
    code, _, _ = scaffold(tmp_path, "new", "payments", "--defaults")
    assert code == 0
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
