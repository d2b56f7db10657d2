"""Whose a generated file is (generator/ownership.py): the rules pinned on small inputs, no render, no git."""

import os
import stat
from pathlib import Path

import pytest

from generator.ownership import OWNED, SEEDED, SKIPPED, Ownership, hold_skipped, ownership_of, ownership_of_template
from generator.template_meta import TemplateMeta

RULES = Ownership(
    owned=("Dockerfile", ".github/**", "cmd/tool/**"),
    seeded=("cmd/**", "README.md", "docs/"),
    skip_if_exists=("config/local.yaml",),
)


@pytest.mark.parametrize(
    ("path", "ownership"),
    [
        ("Dockerfile", OWNED),
        (".github/workflows/ci.yml", OWNED),
        ("cmd/svc/main.go", SEEDED),
        ("README.md", SEEDED),
        ("docs/a.md", SEEDED),
        ("config/local.yaml", SKIPPED),
        ("go.mod", OWNED),  # listed nowhere: owned, the strictest check
        ("cmd/tool/main.go", OWNED),  # "cmd/tool/**" is longer than "cmd/**": the more specific pattern decides
    ],
)
def test_a_file_is_owned_seeded_or_skipped_by_the_longest_pattern_matching_it(path: str, ownership: str) -> None:
    assert RULES.of(path) == ownership
    assert (OWNED, SEEDED, SKIPPED) == ("owned", "seeded", "skip-if-exists")


def test_patterns_are_gitignore_globs_a_bare_name_matching_at_any_depth() -> None:
    rules = Ownership(seeded=("README.md", "/go.mod"))

    assert rules.of("docs/README.md") == SEEDED
    assert rules.of("go.mod") == SEEDED and rules.of("tools/go.mod") == OWNED  # a leading / anchors at the root


def test_skip_if_exists_wins_over_an_owned_pattern_even_a_longer_one() -> None:
    rules = Ownership(owned=("config/local.yaml",), skip_if_exists=("config/*",))

    assert rules.of("config/local.yaml") == SKIPPED


def test_when_owned_and_seeded_patterns_are_as_long_the_file_stays_owned() -> None:
    assert Ownership(owned=("a/*.go",), seeded=("*/x.go",)).of("a/x.go") == OWNED
    assert Ownership(owned=("a/*.go",), seeded=("a/x.go",)).of("a/x.go") == OWNED  # equal lengths: the strict one
    assert Ownership(owned=("a/*",), seeded=("a/x.go",)).of("a/x.go") == SEEDED


def test_skipped_lists_only_the_skip_if_exists_paths_in_order() -> None:
    rules = Ownership(skip_if_exists=("*.local", "keep/"))

    assert rules.skipped(["b.local", "main.go", "keep/x", "a.local"]) == ["b.local", "keep/x", "a.local"]


def test_ownership_of_takes_the_scaffold_block_and_skip_if_exists_as_text() -> None:
    rules = ownership_of(TemplateMeta(owned=("Dockerfile",), seeded=("cmd/**",)), ["a.txt"])

    assert rules == Ownership(("Dockerfile",), ("cmd/**",), ("a.txt",))


def template(root: Path, copier_yml: str) -> Path:
    root.mkdir()
    (root / "copier.yml").write_text(copier_yml)
    return root


def test_ownership_of_template_reads_copier_yml(tmp_path: Path) -> None:
    folder = template(
        tmp_path / "t",
        "_scaffold:\n  owned: [Dockerfile]\n  seeded: ['cmd/**']\n_skip_if_exists: [local.env, 'data/*']\n",
    )

    assert ownership_of_template(folder) == Ownership(("Dockerfile",), ("cmd/**",), ("local.env", "data/*"))


def test_a_template_that_declares_nothing_owns_every_file(tmp_path: Path) -> None:
    rules = ownership_of_template(template(tmp_path / "t", "name:\n  type: str\n"))

    assert rules == Ownership() and rules.of("anything/at/all.go") == OWNED


def test_hold_skipped_puts_back_the_previous_render_of_skip_if_exists_files(tmp_path: Path) -> None:
    render = tmp_path / "render"
    (render / "config").mkdir(parents=True)
    for name, text in {"config/local.yaml": b"new\n", "new.local": b"first\n", "main.go": b"new go\n"}.items():
        (render / name).write_bytes(text)
    rendered = {"config/local.yaml": b"new\n", "new.local": b"first\n", "main.go": b"new go\n"}
    base = {"config/local.yaml": b"old\n", "main.go": b"old go\n"}
    rules = Ownership(skip_if_exists=("config/local.yaml", "*.local"))

    held = hold_skipped(render, rendered, base, rules)

    # the template's change to a skip-if-exists file never reaches the repo; other files are the new render's
    assert held == {"config/local.yaml": b"old\n", "new.local": b"first\n", "main.go": b"new go\n"}
    assert (render / "config/local.yaml").read_bytes() == b"old\n"
    assert (render / "new.local").read_bytes() == b"first\n"  # new in this version: copier writes it once
    assert (render / "main.go").read_bytes() == b"new go\n"
    assert rendered["config/local.yaml"] == b"new\n"  # the caller's snapshot is left as it was


def test_hold_skipped_replaces_links_and_never_writes_through_one(tmp_path: Path) -> None:
    render = tmp_path / "render"
    (render / "docs").mkdir(parents=True)
    (render / "bin").mkdir()
    (render / "a.local").write_bytes(b"new in this version\n")
    (render / "bin" / "run.local").write_bytes(b"#!/bin/sh\nnew\n")
    (render / "bin" / "run.local").chmod(0o755)
    (render / "CHANGELOG.md").write_bytes(b"new log\n")
    (render / "docs" / "CHANGELOG.md").symlink_to("../CHANGELOG.md")
    (render / "target.txt").write_bytes(b"target\n")
    (render / "swap.local").symlink_to("target.txt")  # a file in the previous render, a link in this one
    rendered = {
        "a.local": b"new in this version\n",
        "bin/run.local": b"#!/bin/sh\nnew\n",
        "CHANGELOG.md": b"new log\n",
        "docs/CHANGELOG.md": b"../CHANGELOG.md",
        "target.txt": b"target\n",
        "swap.local": b"target.txt",
    }
    base = {
        "bin/run.local": b"#!/bin/sh\nold\n",
        "CHANGELOG.md": b"old log\n",
        "docs/CHANGELOG.md": b"../CHANGELOG.md",
        "swap.local": b"old swap\n",
    }
    rules = Ownership(skip_if_exists=("*.local", "CHANGELOG.md"))

    held = hold_skipped(render, rendered, base, rules, base_links=["docs/CHANGELOG.md"])

    assert (render / "a.local").read_bytes() == b"new in this version\n"  # new: nothing to hold, and the loop goes on
    assert (render / "bin" / "run.local").read_bytes() == b"#!/bin/sh\nold\n"
    assert stat.S_IMODE((render / "bin" / "run.local").stat().st_mode) == 0o755  # rewritten in place, mode kept
    assert (render / "CHANGELOG.md").read_bytes() == b"old log\n"  # never the link's target text
    assert os.readlink(render / "docs" / "CHANGELOG.md") == "../CHANGELOG.md"
    assert not (render / "swap.local").is_symlink() and (render / "swap.local").read_bytes() == b"old swap\n"
    assert (render / "target.txt").read_bytes() == b"target\n"  # the link was replaced, not written through
    assert held == {**rendered, **base}
