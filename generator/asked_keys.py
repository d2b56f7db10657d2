"""Which answer keys the org catalog's templates ask: a `[fixed]` or `[defaults]` key none asks is a mistake.

Only templates readable on this machine can be asked: the bundled ones, folders, and local git
repositories (their copier.yml at the version `new` would use). A git template reached over the network
is not cloned just to read a config file; while the catalog holds one, its questions are unknown and
no key is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator import gitrepo, sources
from generator.errors import ScaffoldError, TemplateError
from generator.trust import bounded_yaml

_COPIER_FILES = ("copier.yml", "copier.yaml")


@dataclass(frozen=True)
class AskedKeys:
    """The question keys of the templates that could be read, and the templates that could not."""

    keys: frozenset[str]
    read: tuple[str, ...]
    """The templates read, as the config names them."""
    unread: tuple[str, ...]
    """Templates whose questions are unknown here (remote git, missing, or an unreadable copier.yml)."""


def asked_by(templates: Iterable[tuple[str, str | None]]) -> AskedKeys:
    """Return the question keys the templates `(source, pinned ref)` ask, and which templates were read."""
    keys: set[str] = set()
    read: list[str] = []
    unread: list[str] = []
    for src, ref in templates:
        text = _copier_yml(src, ref)
        found = _question_keys(text) if text is not None else None
        if found is None:
            unread.append(src)
            continue
        keys |= found
        read.append(src)
    return AskedKeys(frozenset(keys), tuple(read), tuple(unread))


def _copier_yml(src: str, ref: str | None) -> str | None:
    """Return the copier.yml text of the template `src` at `ref` when it is on this machine, else None."""
    name = src.removeprefix(sources.BUNDLED_PREFIX)
    if src.startswith(sources.BUNDLED_PREFIX) or src in sources.bundled_names():
        folder = sources.bundled_templates_dir() / name
    elif sources.is_git_url(src) and not src.startswith("file://"):
        return None
    else:
        folder = Path(src.removeprefix("file://")).expanduser()
    if not folder.is_dir():
        return None
    if sources.is_git_root(folder):
        return _committed_copier_yml(folder, ref)
    for file_name in _COPIER_FILES:
        path = folder / file_name
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
    return None


def _committed_copier_yml(repo: Path, ref: str | None) -> str | None:
    """Return the copier.yml of a local git template at `ref`, else its newest version tag, else HEAD."""
    try:
        tags = gitrepo.git(repo, "tag", "--list").stdout.split()
        rev = ref or sources.newest_tag(tags) or "HEAD"
        for file_name in _COPIER_FILES:
            shown = gitrepo.git(repo, "show", f"{rev}:{file_name}", check=False)
            if shown.returncode == 0:
                return shown.stdout
    except ScaffoldError:
        return None
    return None


def _question_keys(text: str) -> set[str] | None:
    try:
        data = bounded_yaml.load(text, "copier.yml") or {}
    except (yaml.YAMLError, TemplateError):
        return None
    if not isinstance(data, dict):
        return None
    # a `when: false` question is never asked (a derived value such as gomemlimit, or one an org template fixed):
    # an org default or fixed answer for it would be ignored, so it does not count as asked
    return {
        str(key)
        for key, spec in data.items()
        if not str(key).startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
    }
