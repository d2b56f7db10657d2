"""What no template may render or hold (generator/trust/guard.py), pinned on small folders: no copier, no git.

tests/test_hostile_templates.py drives the same refusals through whole renders (minutes); these call
the checks directly on folders built for each rule (seconds).
"""

import os
from pathlib import Path

import pytest

from generator.errors import TemplateRefusedError
from generator.trust.guard import check_rendered, check_template_tree, shown_path
from generator.trust.limits import Limits

NEVER = "(refused, trusted or not)"


def refused_render(root: Path, limits: Limits | None = None) -> str:
    with pytest.raises(TemplateRefusedError) as raised:
        check_rendered(root, "T", limits)
    return raised.value.message


def refused_tree(root: Path, limits: Limits | None = None) -> str:
    with pytest.raises(TemplateRefusedError) as raised:
        check_template_tree(root, "T", limits)
    return raised.value.message


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# --- a render


def test_an_ordinary_render_with_links_inside_it_passes(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"a.txt": "a", "sub/b.txt": "b", "GIT/x": "", "git": ""})
    (root / "sub" / "to-a").symlink_to("../a.txt")
    (root / "to-sub").symlink_to("sub")

    check_rendered(root, "T")
    check_rendered(root, "T", Limits(files=8, bytes=2))  # exactly at both limits: 8 entries, 2 bytes


@pytest.mark.parametrize(
    ("made", "named"),
    [
        (".git", ".git"),
        ("sub/.GIT", "sub/.GIT"),
        ("sub/.git/config", "sub/.git"),
        (".git. ", ".git. "),
        ("GIT~1", "GIT~1"),
    ],
)
def test_nothing_may_be_rendered_at_or_under_git(tmp_path: Path, made: str, named: str) -> None:
    root = tree(tmp_path / "r", {"sub/ok.txt": "", made: ""})

    assert refused_render(root) == f"template T renders {named}: nothing may be written at or under .git {NEVER}"


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("/etc/passwd", "a link to /etc/passwd, outside the new repo"),
        ("../../outside", "a link to ../../outside, outside the new repo"),
    ],
)
def test_a_link_out_of_the_render_is_refused(tmp_path: Path, target: str, problem: str) -> None:
    root = tree(tmp_path / "r", {"sub/a.txt": ""})
    (root / "sub" / "link").symlink_to(target)

    assert refused_render(root) == f"template T renders sub/link: {problem} {NEVER}"


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("hooks", ".git/hooks"),  # no .git in the render yet: scaffold makes it, and the link would then lead in
        ("sub/cfg", "../.GIT/config"),
        ("sub/up", "../sub/../.git"),
        ("sub/via", "../top/.git/hooks"),  # through a link to the render's own top
    ],
)
def test_a_link_leading_at_or_under_git_is_refused_though_nothing_is_there_yet(
    tmp_path: Path, link: str, target: str
) -> None:
    root = tree(tmp_path / "r", {"sub/a.txt": ""})
    (root / "top").symlink_to(".")
    (root / link).symlink_to(target)

    assert refused_render(root) == (
        f"template T renders {link}: a link to {target}; nothing may be written at or under .git {NEVER}"
    )


def test_a_loop_of_links_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "a").symlink_to("a")

    assert refused_render(root) == f"template T renders a: a link to a in a loop of links {NEVER}"


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"a.txt": ""})
    os.mkfifo(root / "pipe")

    assert refused_render(root) == (
        f"template T renders pipe: not a file, folder or link (a FIFO, device or socket) {NEVER}"
    )


def test_a_render_past_the_file_count_is_refused_at_the_first_entry_over(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"a": "", "b": "", "c": ""})

    message = refused_render(root, Limits(files=2))

    assert message.startswith("template T renders ") and message.endswith(
        f": more than 2 files, folders and links (SCAFFOLD_LIMIT_FILES) {NEVER}"
    )
    check_rendered(root, "T", Limits(files=3))


def test_a_render_past_the_byte_limit_is_refused_counting_only_file_contents(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"a": "12345", "sub/b": "678"})
    (root / "sub" / "link-with-a-long-target-name").symlink_to("b")

    check_rendered(root, "T", Limits(bytes=8))
    message = refused_render(root, Limits(bytes=7))

    assert message.endswith(f": more than 7 bytes in all (SCAFFOLD_LIMIT_BYTES) {NEVER}")


def test_folders_nested_past_the_depth_limit_are_refused_naming_the_first_too_deep(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"a/b/c/file": ""})

    check_rendered(root, "T", Limits(depth=3))
    message = refused_render(root, Limits(depth=2))

    assert message == (f"template T renders a/b/c: folders nested more than 2 deep (SCAFFOLD_LIMIT_DEPTH) {NEVER}")


@pytest.mark.parametrize("beside", ["objects", "refs", "commondir"])
def test_a_git_repository_inside_the_render_is_refused(tmp_path: Path, beside: str) -> None:
    root = tree(tmp_path / "r", {"vendor/x/HEAD": "ref: refs/heads/main\n", f"vendor/x/{beside}": ""})

    assert refused_render(root) == (
        f"template T renders vendor/x/HEAD: a git repository (HEAD, objects, refs) inside the new repo {NEVER}"
    )


def test_a_head_file_alone_or_objects_alone_is_no_repository(tmp_path: Path) -> None:
    check_rendered(tree(tmp_path / "r", {"a/HEAD": "", "b/objects": "", "b/refs/x": ""}), "T")


def test_a_link_to_a_folder_is_not_walked_into(tmp_path: Path) -> None:
    root = tree(tmp_path / "r", {"real/.keep": ""})
    (root / "alias").symlink_to("real")
    (root / "real" / "HEAD").write_text("")  # real/ is checked once, as itself

    check_rendered(root, "T", Limits(files=4))


# --- a template's own folder


def test_a_template_folder_with_its_own_git_and_links_inside_passes(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"copier.yml": "", ".git/config": "", "template/a": ""})
    (root / ".git" / "outside").symlink_to("/etc")  # the template's own repository is never rendered
    (root / "template" / "b").symlink_to("a")

    check_template_tree(root, "T")


def test_a_link_out_of_the_template_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"copier.yml": "", "template/a": ""})
    (root / "template" / "secrets").symlink_to(Path.home())

    assert (
        refused_tree(root) == f"template T has template/secrets, a link to {Path.home()}, outside the template {NEVER}"
    )


def test_a_relative_link_climbing_out_of_the_template_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"copier.yml": ""})
    (root / "up").symlink_to("../x")  # dangling: refused for where it points, not for what is there

    assert refused_tree(root) == f"template T has up, a link to ../x, outside the template {NEVER}"


def test_a_template_nested_past_the_depth_limit_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"a/b/c/file": ""})

    check_template_tree(root, "T", Limits(depth=3))

    assert refused_tree(root, Limits(depth=2)) == (
        f"template T nests folders more than 2 deep (at a/b); accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH) {NEVER}"
    )


def test_a_git_folder_below_the_top_of_the_template_is_checked_like_any_other(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", {"template/.git/x": ""})
    (root / "template" / ".git" / "out").symlink_to("/etc")

    assert refused_tree(root) == f"template T has template/.git/out, a link to /etc, outside the template {NEVER}"


def test_shown_paths_escape_control_characters_and_cut_long_ones_in_the_middle() -> None:
    assert shown_path("a\nb") == "a\\nb"
    assert shown_path("café/ü.txt") == "café/ü.txt"  # printable names are shown as they are
    assert shown_path("x" * 160) == "x" * 160
    long = "a" * 100 + "b" * 100

    assert shown_path(long) == "a" * 80 + "..." + "b" * 80 + " (200 characters)"
    assert shown_path("abcdef", limit=4) == "ab...ef (6 characters)"
