"""Any copier template, exactly as copier renders and updates it: scaffold side by side with copier.

For each template of tests/conformance (one copier feature each, two versions): `copier copy` and
`scaffold new --trust` at v1 make identical trees and answers files, byte for byte; `copier update` and
`scaffold update --trust` to v2 do too; and scaffold would ask the same questions, in the same order,
with the same defaults and choices, as copier asks them.
"""

import os
import stat
from contextlib import chdir
from pathlib import Path
from typing import Any

import copier
import pytest

from generator import copier_api
from generator.checkouts import checkout
from generator.collect import collect_answers
from generator.new import template_config
from generator.sources import resolve
from generator.trust.consent import Consent
from tests.cli import scaffold
from tests.conformance import ANSWERS_FILE, CASES, Case
from tests.template_repos import git

pytestmark = pytest.mark.filterwarnings("ignore")


def make_template(folder: Path, case: Case, *, second_version: bool = True) -> Path:
    """Write `case` as a git template at `folder`, tagged v1.0.0 and, after its change, v2.0.0."""
    folder.mkdir(parents=True)
    for name, text in case.v1.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    for name, target in case.links.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(target)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "v1")
    git(folder, "tag", "v1.0.0")
    if not second_version:
        return folder
    for name, changed in case.v2.items():
        path = folder / name
        if changed is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(changed)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "v2")
    git(folder, "tag", "v2.0.0")
    return folder


def tree(root: Path) -> dict[str, Any]:
    """Every file and link below `root` outside .git: its bytes (and whether it is executable), or its target."""
    found: dict[str, Any] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) == root and d == ".git")]
        for name in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            else:
                found[key] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    return found


def copier_copy_and_commit(template: Path, dest: Path, data: dict[str, str]) -> None:
    copier.run_copy(str(template), dest, data=dict(data), defaults=True, unsafe=True, vcs_ref="v1.0.0", quiet=True)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "copier copy")


def copier_update(dest: Path, answers_file: str) -> None:
    with chdir(dest):
        copier.run_update(
            str(dest), answers_file=answers_file, defaults=True, overwrite=True, unsafe=True, vcs_ref="v2.0.0",
            quiet=True,
        )  # fmt: skip


def add_files(repo: Path, files: dict[str, str]) -> None:
    """Add `files` to `repo` and commit them, as a team adds its own files to a generated repo."""
    if not files:
        return
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the team's files")


def data_args(data: dict[str, str]) -> list[str]:
    return [arg for key, value in data.items() for arg in ("--data", f"{key}={value}")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scaffold_new_and_update_make_what_copier_copy_and_update_make(tmp_path: Path, case: Case) -> None:
    template = make_template(tmp_path / "templates" / case.name, case)
    by_copier = tmp_path / "copier" / "project"
    copier_copy_and_commit(template, by_copier, case.data)
    (tmp_path / "scaffold").mkdir()

    code, _, err = scaffold(
        tmp_path / "scaffold", "new", "project", "--template", str(template), "--vcs-ref", "v1.0.0",
        "--trust", "--defaults", *data_args(case.data),
    )  # fmt: skip

    if case.refused:
        assert code == 2 and case.refused in err, err
        return
    assert code == 0, err
    by_scaffold = tmp_path / "scaffold" / "project"
    assert tree(by_scaffold) == tree(by_copier)

    for repo in (by_copier, by_scaffold):
        add_files(repo, case.repo_files)
    copier_update(by_copier, case.answers_file)
    code, out, err = scaffold(by_scaffold, "update", "--trust", "--vcs-ref", "v2.0.0", *data_args(case.secrets))
    assert code == 0, err + out
    assert tree(by_scaffold) == tree(by_copier)


def copier_questions(template: Path, data: dict[str, str], dest: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The questions `copier copy` asks (name, default, choices), answering each with its default."""
    asked: list[Any] = []

    def prompt(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
        question = questions[0]
        name = question["name"]
        if question["when"](None):
            choices = question.get("choices") or []
            asked.append(
                (
                    name,
                    answers[name],
                    [(str(c.title), c.value) for c in choices if not c.disabled],
                    {str(c.title): str(c.disabled) for c in choices if c.disabled},
                )
            )
        return {name: answers[name]}

    monkeypatch.setattr(copier_api.Worker.__module__ + ".unsafe_prompt", prompt)
    copier.run_copy(str(template), dest, data=dict(data), unsafe=True, vcs_ref="v1.0.0", quiet=True, pretend=True)
    return asked


def scaffold_questions(template: Path, data: dict[str, str], dest: Path) -> list[Any]:
    """The questions `scaffold new` asks (name, default, choices), answering each with its default."""
    asked: list[Any] = []

    def ask(question: Any, default: Any, problem: Any) -> Any:
        asked.append((question.key, default, list(question.choices.items()), dict(question.disabled)))
        return default

    with checkout(resolve(str(template), "v1.0.0")) as source:
        collect_answers(template_config(source, trusted=Consent(flag=True)), dict(data), ask, dest=dest)
    return asked


@pytest.mark.parametrize("case", [c for c in CASES if not c.refused], ids=[c.name for c in CASES if not c.refused])
def test_scaffold_asks_the_questions_copier_asks_in_its_order_with_its_defaults_and_choices(
    tmp_path: Path, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = make_template(tmp_path / "templates" / case.name, case)
    dest = tmp_path / "out" / "project"
    expected = copier_questions(template, case.data, dest, monkeypatch)
    assert expected, "copier asked nothing: the case does not exercise the questions"
    assert scaffold_questions(template, case.data, dest) == expected


ADOPTED = ("local_extensions", "computed_yaml", "dict_and_pair_choices", "custom_answers_file", "envops", "secrets")


ADOPTED_CASES = [c for c in CASES if c.name in ADOPTED]


@pytest.mark.parametrize("case", ADOPTED_CASES, ids=[c.name for c in ADOPTED_CASES])
def test_a_copier_made_repo_adopted_by_scaffold_shows_no_drift_not_even_in_its_answers_file(
    tmp_path: Path, case: Case
) -> None:
    template = make_template(tmp_path / "templates" / case.name, case, second_version=False)
    repo = tmp_path / "project"
    copier_copy_and_commit(template, repo, case.data)
    answers_before = (repo / case.answers_file).read_bytes()

    code, out, err = scaffold(tmp_path, "adopt", str(repo), "--trust")
    assert code == 0, err + out
    code, out, err = scaffold(tmp_path, "check", str(repo), "--trust")

    assert code == 0, err + out
    assert case.answers_file not in out
    assert (repo / case.answers_file).read_bytes() == answers_before
    assert git(repo, "diff", "HEAD~1", "HEAD", "--stat") == ""  # adopt changed no file


def test_a_file_naming_the_repo_folder_updates_without_a_conflict(tmp_path: Path) -> None:
    # copier's own update leaves this file in conflict: it renders the old and the new version in temporary
    # folders, so their `_folder_name` is neither the repo's nor each other's (docs/platform-teams.md)
    v1 = {"copier.yml": "name: x\n", "folder.txt.jinja": "{{ _folder_name }}\n", **ANSWERS_FILE}
    case = Case("folder_name", "", v1, {"folder.txt.jinja": "{{ _folder_name }} v2\n"})
    template = make_template(tmp_path / "template", case)
    code, _, err = scaffold(tmp_path, "new", "billing", "-t", str(template), "--vcs-ref", "v1.0.0", "--defaults")
    assert code == 0, err
    assert (tmp_path / "billing" / "folder.txt").read_text() == "billing\n"

    code, out, err = scaffold(tmp_path / "billing", "update", "--vcs-ref", "v2.0.0")

    assert code == 0, err + out
    assert (tmp_path / "billing" / "folder.txt").read_text() == "billing v2\n"
