"""The private copy of a folder template (generator/trust/snapshot.py), pinned on small folders.

tests/test_hostile_templates.py checks it through whole renders, and races a swap while it copies;
here each swap lands at one chosen moment of the copy, every time.
"""

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def swap_just_before(monkeypatch: pytest.MonkeyPatch, call: str, name: str, swap: Callable[[], None]) -> list[str]:
    """Run `swap` once, just before the snapshot's `os.<call>` of the entry `name` of a folder it copies.

    The snapshot reads an entry by its name relative to its folder's descriptor (`dir_fd`); the swap
    lands between two of those reads, exactly where a racing writer could land, and the snapshot's own
    code meets the changed folder. The list returned holds `call` once the swap has happened.
    """
    real = getattr(os, call)
    done: list[str] = []

    def racing(path: object, *args: object, **kwargs: object) -> object:
        if not done and path == name and kwargs.get("dir_fd") is not None:
            done.append(call)
            swap()
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, call, racing)
    return done


def racing_template(root: Path, outside: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "copier.yml").write_text("name: {type: str}\n")
    (root / "docs" / "guide.md").write_text("inside the template\n")
    (root / "link").symlink_to("copier.yml")
    outside.mkdir()
    (outside / "secret.yml").write_text("token: s3cr3t\n")
    return root


def _replace(path: Path, by: Callable[[Path], object]) -> Callable[[], None]:
    def swap() -> None:
        if path.is_dir() and not path.is_symlink():
            path.rename(path.with_name(path.name + ".moved"))
        else:
            path.unlink()
        by(path)

    return swap


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:  # the name stays a socket once it is closed
        cwd = os.getcwd()
        os.chdir(path.parent)  # a socket path holds at most 107 bytes, and tmp_path may be longer
        try:
            server.bind(path.name)
        finally:
            os.chdir(cwd)


SWAPS: dict[str, tuple[str, str, Callable[[Path], object], str]] = {
    # call the swap lands before, the entry, what it becomes, the path the refusal names
    "a folder gone before it is looked at": ("stat", "docs", lambda p: None, "docs"),
    "a link that became a file before it is read": ("readlink", "link", lambda p: p.write_text("x\n"), "link"),
    "a folder that became a link to an outside folder": ("open", "docs", lambda p: p.symlink_to("../outside"), "docs"),
    "a folder that became a file": ("open", "docs", lambda p: p.write_text("x\n"), "docs"),
    "a file that became a link to an outside file": (
        "open",
        "guide.md",
        lambda p: p.symlink_to("../../outside/secret.yml"),
        "docs/guide.md",
    ),
    "a file that became a FIFO": ("open", "guide.md", os.mkfifo, "docs/guide.md"),
    "a file that became a folder": ("open", "guide.md", lambda p: p.mkdir(), "docs/guide.md"),
    "a file that became a socket": ("open", "guide.md", _socket, "docs/guide.md"),
}


@pytest.mark.parametrize("case", SWAPS)
def test_an_entry_that_changes_kind_while_it_is_copied_is_refused_and_nothing_outside_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    call, name, becomes, where = SWAPS[case]
    outside = tmp_path / "outside"
    root = racing_template(tmp_path / "t", outside)
    entry = root / "docs" / name if name == "guide.md" else root / name
    done = swap_just_before(monkeypatch, call, name, _replace(entry, becomes))
    into = tmp_path / "copy"

    message = refused(root, into)

    assert done == [call]  # the swap did land where it was meant to
    assert message == (
        f"template T changed while scaffold copied it ({where}); "
        "accepted: a template folder nothing writes to while scaffold reads it"
    )
    copied = list(into.rglob("*"))
    assert all(not p.is_symlink() or p.name == "link" for p in copied)
    assert not any(p.is_file() and b"s3cr3t" in p.read_bytes() for p in copied)
    assert "secret.yml" not in {p.name for p in copied}


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        (stat.S_IFCHR, "a device"),
        (stat.S_IFBLK, "a device"),
        (0o160000, "an entry that is not a file, folder or link"),  # BSD's whiteout: no kind Linux knows
    ],
)
def test_a_device_or_an_entry_of_no_known_kind_is_refused_naming_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: int, shown: str
) -> None:
    """Making a device node needs root: here the system reports an entry's kind as a device's (its
    mode bits, all the snapshot reads of an entry before it refuses it), which anyone can run."""
    root = tmp_path / "t"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "dev").write_text("")
    real = os.stat

    def reported(path: object, *args: object, **kwargs: Any) -> os.stat_result:
        info = real(path, *args, **kwargs)  # type: ignore[arg-type]
        if path != "dev" or kwargs.get("dir_fd") is None:
            return info
        return os.stat_result((kind | 0o600, *tuple(info)[1:]))

    monkeypatch.setattr(os, "stat", reported)

    assert refused(root, tmp_path / "copy") == (
        f"template T has sub/dev, {shown}; accepted: files, folders and links {NEVER}"
    )


@pytest.mark.parametrize(
    ("call", "name", "where"),
    [("open", "guide.md", "docs/guide.md"), ("open", "docs", "docs"), ("stat", "guide.md", "docs/guide.md")],
)
def test_an_entry_scaffold_may_not_read_is_refused_naming_the_template_and_the_path_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, name: str, where: str
) -> None:
    """Root reads a mode-000 file all the same: here the system refuses the read, as it does to anyone else."""
    root = racing_template(tmp_path / "t", tmp_path / "outside")
    real = getattr(os, call)

    def denied(path: object, *args: object, **kwargs: Any) -> object:
        if path == name and kwargs.get("dir_fd") is not None:
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, call, denied)

    assert refused(root, tmp_path / "copy") == (
        f"template T cannot be read at {where}: permission denied; "
        "accepted: a template whose files and folders scaffold may read"
    )
