"""Owned and seeded files: whose a generated file is, which decides whether a local edit is drift.

The template owns a file (the Dockerfile, CI, the dev container): its updates land, and a local edit
is drift. It only seeds a file (main.go, the handlers, the README): the team's from the first commit;
the template's changes still merge in, but local edits are not drift. A file copier only writes when
it is missing (`_skip_if_exists`) is the team's outright: template changes never reach it.

A file no pattern lists is owned, so a template that declares nothing keeps the strictest check. When
patterns of both lists match, the longer (more specific) pattern decides.
"""

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pathspec

from generator.questions import load_config
from generator.snapshots import Snapshot
from generator.template_meta import TemplateMeta, meta_of

OWNED, SEEDED, SKIPPED = "owned", "seeded", "skip-if-exists"


@dataclass(frozen=True)
class Ownership:
    """The ownership rules of one template version."""

    owned: tuple[str, ...] = ()
    seeded: tuple[str, ...] = ()
    skip_if_exists: tuple[str, ...] = ()

    def of(self, path: str) -> str:
        """Return OWNED, SEEDED or SKIPPED for the repo-relative POSIX `path`."""
        if _longest_match(self.skip_if_exists, path) >= 0:
            return SKIPPED
        owned, seeded = _longest_match(self.owned, path), _longest_match(self.seeded, path)
        return SEEDED if seeded > owned else OWNED

    def skipped(self, paths: Iterable[str]) -> list[str]:
        """Return the paths among `paths` that copier leaves alone once they exist."""
        return [p for p in paths if self.of(p) == SKIPPED]


def ownership_of(meta: TemplateMeta, skip_if_exists: Iterable[str] = ()) -> Ownership:
    """Return the rules from a template's `_scaffold` block and its `_skip_if_exists` patterns."""
    return Ownership(meta.owned, meta.seeded, tuple(str(p) for p in skip_if_exists))


def ownership_of_template(template_dir: Path) -> Ownership:
    """Return the rules the template in `template_dir` (a local checkout) declares in its copier.yml."""
    settings = load_config(template_dir).settings
    skip = settings.get("_skip_if_exists") or []
    return ownership_of(meta_of(settings), skip if isinstance(skip, list) else [skip])


def hold_skipped(
    render_dir: Path, rendered: Snapshot, base: Snapshot, owners: Ownership, base_links: Iterable[str] = ()
) -> Snapshot:
    """Put back, in a fresh render, the previous render of every `_skip_if_exists` file the repo had.

    The template's change to such a file then never reaches the repo, as with copier; return the
    render's snapshot with those files as they now are. `base_links` are the paths that were links
    in the previous render (a snapshot holds a link's target): they are put back as links, and an
    entry is replaced, never written through (a pattern such as `CHANGELOG.md` also matches a link
    `docs/CHANGELOG.md -> ../CHANGELOG.md`).
    """
    held = dict(rendered)
    links = set(base_links)
    for path in owners.skipped(rendered):
        if path not in base:
            continue
        entry = render_dir / path
        if entry.is_symlink() or path in links:
            entry.unlink()
        if path in links:
            os.symlink(base[path], entry)
        else:
            entry.write_bytes(base[path])  # an existing file keeps its mode
        held[path] = base[path]
    return held


def _longest_match(patterns: tuple[str, ...], path: str) -> int:
    """Return the length of the longest pattern matching `path`, or -1 when none does."""
    return max((len(p) for p in patterns if _spec(p).match_file(path)), default=-1)


@functools.cache
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])
