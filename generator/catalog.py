"""The template catalog: the org config's named templates and the bundled ones, and what `--template` means."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from generator import sources
from generator.config import CatalogEntry, OrgConfig, relative_source
from generator.errors import ScaffoldError
from generator.sources import TemplateSource


@dataclass(frozen=True)
class CatalogRow:
    """One line of `scaffold templates`."""

    name: str
    source: str
    pinned: str | None
    newest: str | None
    """The newest version tag (git), scaffold's version (bundled), or None (a plain folder, or unreachable)."""
    description: str
    default: bool = False
    problem: str = ""
    """Why the newest version could not be found, when it could not."""

    def as_dict(self) -> dict[str, Any]:
        """Return the row as plain data, for `--json`."""
        return asdict(self)


def resolve(template: str | None, vcs_ref: str | None, org: OrgConfig) -> TemplateSource:
    """Return the template `--template` names: a catalog name, a bundled name, a folder or a git URL.

    Without `--template`, the org's `default_template`, else the default bundled template. A catalog
    entry's pinned `ref` applies unless `--vcs-ref` is given.
    """
    name = template if template is not None else org.default_template
    if name is not None and name in org.templates:
        entry = org.templates[name]
        return sources.resolve(entry_src(entry, org), vcs_ref or entry.ref)
    return sources.resolve(name, vcs_ref)


def names(org: OrgConfig) -> list[str]:
    """Return the names `--template` accepts without a path or URL: the catalog's, then the bundled ones."""
    return [*org.templates, *(name for name in sources.bundled_names() if name not in org.templates)]


def entry_src(entry: CatalogEntry, org: OrgConfig) -> str:
    """Return an entry's source, with a relative folder taken relative to the config file."""
    return relative_source(entry.src, org.path)


def rows(org: OrgConfig, *, include_bundled: bool = True, workers: int = 8) -> list[CatalogRow]:
    """Return the catalog's templates, then the bundled ones, each with its newest version.

    Versions of git templates are read with `git ls-remote`, several at a time; a template that
    cannot be reached gets a row with its problem instead of failing the listing.
    """
    named = [(entry.name, entry_src(entry, org), entry.ref, entry.description) for entry in org.templates.values()]
    if include_bundled:
        named += [
            (name, sources.BUNDLED_PREFIX + name, None, "scaffold's bundled template")
            for name in sources.bundled_names()
            if name not in org.templates
        ]
    default = org.default_template or sources.DEFAULT_TEMPLATE
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        found = list(pool.map(lambda item: newest_version(item[1]), named))
    return [
        CatalogRow(name, src, pinned, newest, description, default=name == default, problem=problem)
        for (name, src, pinned, description), (newest, problem) in zip(named, found, strict=True)
    ]


def newest_version(src: str) -> tuple[str | None, str]:
    """Return (the newest version of the template `src`, the problem finding it, or "")."""
    try:
        source = sources.resolve(src)
    except ScaffoldError as error:
        return None, error.message
    if source.bundled:
        return source.version, ""
    if not source.is_git:
        return None, ""
    try:
        return sources.newest_tag(sources.remote_tags(source.src)), ""
    except ScaffoldError as error:
        return None, error.message
