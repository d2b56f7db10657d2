"""The private copy of a folder template (generator/trust/snapshot.py), pinned on small folders.

tests/test_hostile_templates.py checks it through whole renders, and races a swap while it copies.
"""

import os
import socket
import stat
from pathlib import Path

import pytest

from generator.errors import TemplateRefusedError
from generator.trust.limits import Limits
from generator.trust.snapshot import take_snapshot

NEVER = "(refused, trusted or not)"


def template(root: Path) -> Path:
    (root / "template" / "bin").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "copier.yml").write_text("name: {type: str}\n")
    (root / "template" / "bin" / "run.sh").write_text("#!/bin/sh\n")
    (root / "template" / "bin" / "run.sh").chmod(0o755)
    (root / "template" / "ro.txt").write_text("read only\n")
    (root / "template" / "ro.txt").chmod(0o400)
    (root / "template" / "bin").chmod(0o550)
    (root / "template" / "link").symlink_to("/etc/passwd")
    (root / "template" / "sub" / ".git").mkdir(parents=True)
    return root


def refused(folder: Path, into: Path, limits: Limits | None = None) -> str:
    with pytest.raises(TemplateRefusedError) as raised:
        take_snapshot(folder, into, "T", limits)
    return raised.value.message


def test_a_snapshot_copies_files_and_folders_keeps_links_as_links_and_leaves_out_the_templates_git(
    tmp_path: Path,
) -> None:
    into = tmp_path / "copy"

    take_snapshot(template(tmp_path / "t"), into, "T")

    assert sorted(str(p.relative_to(into)) for p in into.rglob("*")) == [
        "copier.yml",
        "template",
        "template/bin",
        "template/bin/run.sh",
        "template/link",
        "template/ro.txt",
        "template/sub",
        "template/sub/.git",  # only the template's own .git, at its top, is left out
    ]
    assert (into / "template" / "link").is_symlink() and os.readlink(into / "template" / "link") == "/etc/passwd"
    assert (into / "template" / "bin" / "run.sh").read_text() == "#!/bin/sh\n"
    assert stat.S_IMODE((into / "template" / "bin" / "run.sh").stat().st_mode) == 0o755  # executable stays so
    assert stat.S_IMODE((into / "template" / "ro.txt").stat().st_mode) == 0o600  # and scaffold can read its copy
    assert stat.S_IMODE((into / "template" / "bin").stat().st_mode) == 0o750  # its mode, and scaffold may write
    assert stat.S_IMODE(into.stat().st_mode) == 0o700


def test_a_template_named_through_a_link_is_copied_from_where_it_points(tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(template(tmp_path / "t"))

    take_snapshot(tmp_path / "alias", tmp_path / "copy", "T")

    assert (tmp_path / "copy" / "copier.yml").is_file()


def test_a_folder_that_cannot_be_read_is_refused_with_the_systems_reason(tmp_path: Path) -> None:
    assert refused(tmp_path / "gone", tmp_path / "copy") == "template T cannot be read: no such file or directory"


def test_a_fifo_and_a_socket_are_refused_naming_what_they_are(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "sub").mkdir(parents=True)
    os.mkfifo(root / "sub" / "pipe")
    assert refused(root, tmp_path / "copy1") == (
        f"template T has sub/pipe, a FIFO (named pipe); accepted: files, folders and links {NEVER}"
    )

    os.unlink(root / "sub" / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "sub" / "sock"))
        assert refused(root, tmp_path / "copy2") == (
            f"template T has sub/sock, a socket; accepted: files, folders and links {NEVER}"
        )


def test_a_template_past_the_file_count_is_refused_at_the_first_entry_over(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    for name in ("a", "b", "c"):
        (root / name).write_text("")

    take_snapshot(root, tmp_path / "ok", "T", Limits(files=3))

    assert refused(root, tmp_path / "copy", Limits(files=2)) == (
        "template T has more than 2 files, folders and links (at c); accepted: fewer (SCAFFOLD_LIMIT_FILES)"
    )


def test_a_template_past_the_byte_limit_is_refused_naming_where(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "d").mkdir(parents=True)
    (root / "a").write_text("12345")
    (root / "d" / "b").write_text("678")

    take_snapshot(root, tmp_path / "ok", "T", Limits(bytes=8))

    assert refused(root, tmp_path / "copy", Limits(bytes=7)) == (
        "template T is larger than 7 bytes (at d/b); accepted: a smaller template (SCAFFOLD_LIMIT_BYTES)"
    )


def test_a_template_nested_past_the_depth_limit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "a" / "b" / "c").mkdir(parents=True)

    take_snapshot(root, tmp_path / "ok", "T", Limits(depth=3))

    assert refused(root, tmp_path / "copy", Limits(depth=2)) == (
        f"template T nests folders more than 2 deep (at a/b/c); accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH) {NEVER}"
    )
