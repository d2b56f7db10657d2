"""What a template may do only with the user's consent, and the one place that decides whether it was given.

Running code on the user's machine needs consent: copier tasks and migrations, Jinja extensions
other than scaffold's own (matched by exact import path), and `scaffold template test`'s Go build
and tests. Consent is `--trust`, or a `trusted` entry of the org config that admits the template's
canonical identity. Templates bundled with scaffold ship inside it and need none.

Commands never decide consent themselves: they carry the user's `Consent` (the flag and the trusted
entries) to where a template is loaded or rendered, and `Consent.covers` decides there, on the
source that is about to render. A source chosen or changed on the way (`update --template`, `apply`,
`adopt`, a catalog name, an answers file's `_src_path`) is judged as itself, never by an earlier one.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.errors import TemplateError, TemplateRefusedError
from generator.trust.identity import TrustEntry, identify

if TYPE_CHECKING:
    from generator.questions import TemplateConfig
    from generator.sources import TemplateSource

OWN_EXTENSIONS = frozenset({"generator.jinja_ext.ScaffoldExtension"})
"""scaffold's own Jinja extensions, by exact import path: they only add filters."""

MACHINE_FILTERS = ("expanduser", "expandvars", "fileglob", "realpath", "relpath")
"""Filters copier always loads (jinja2-ansible-filters) that read the user's machine: environment variables,
the home folder, file names, links. Without consent they are removed, so a template cannot copy them into the repo.
"""

HOW_TO_CONSENT = "pass --trust, or list its source under `trusted` in the org config"


@dataclass(frozen=True)
class Consent:
    """What the user consented to: `--trust` (every template of this run), and the org config's `trusted` entries."""

    flag: bool = False
    entries: tuple[TrustEntry, ...] = ()

    def covers(self, source: "TemplateSource") -> bool:
        """Return whether `source` may run code: bundled, `--trust`, or a trusted entry admitting its identity.

        The one place consent is decided; called on the source that is about to be loaded or rendered.
        """
        if source.bundled or self.flag:
            return True
        if not self.entries:
            return False
        try:
            identity = identify(source.recorded_src)
        except TemplateError:
            return False
        return any(entry.admits(identity) for entry in self.entries)


def org_admits(source: "TemplateSource", entries: tuple[TrustEntry, ...]) -> bool:
    """Return whether the org config's `trusted` entries alone admit `source`: the consent a repo's CI may carry.

    Neither `--trust` (consent for one run: CI would then run every later release's code unasked) nor
    bundling counts: a bundled template needs no consent, in CI either.
    """
    return not source.bundled and Consent(entries=entries).covers(source)


NO_CONSENT = Consent()
"""Neither `--trust` nor a trusted entry: only bundled templates may run code."""


def foreign_extensions(config: "TemplateConfig") -> list[str]:
    """Return the template's Jinja extensions other than scaffold's own."""
    return [str(e) for e in config.settings.get("_jinja_extensions") or [] if str(e) not in OWN_EXTENSIONS]


def describe_wanted(config: "TemplateConfig", limit: int = 3) -> str:
    """Describe in one line what a template would run on the user's machine ("" for nothing).

    That is its task commands, its migrations and its Jinja extensions other than scaffold's own.
    """

    def commands(items: Any) -> list[str]:
        found = []
        for item in items if isinstance(items, list) else [items]:
            command = item.get("command", item) if isinstance(item, dict) else item
            found.append(" ".join(map(str, command)) if isinstance(command, list) else str(command))
        return found

    def shown(texts: list[str]) -> str:
        more = f", and {len(texts) - limit} more" if len(texts) > limit else ""
        return ", ".join(f"`{' '.join(t.split())}`" for t in texts[:limit]) + more

    parts = []
    if config.settings.get("_tasks"):
        parts.append(f"tasks {shown(commands(config.settings['_tasks']))}")
    if config.settings.get("_migrations"):
        parts.append(f"migrations {shown(commands(config.settings['_migrations']))}")
    foreign = foreign_extensions(config)
    if foreign:
        parts.append(f"Jinja extensions {shown(foreign)}")
    return "; ".join(parts)


def require_consent(source: "TemplateSource", config: "TemplateConfig", consent: Consent) -> None:
    """Raise TemplateError when the template wants to run code and neither consent nor bundling covers it."""
    wanted = describe_wanted(config)
    if wanted and not consent.covers(source):
        raise TemplateRefusedError(
            f"template {source.recorded_src} wants to run code on this machine: {wanted}; refused: {HOW_TO_CONSENT}"
        )


def require_consent_to_build(source: "TemplateSource", consent: Consent) -> None:
    """Raise TemplateError unless the template's Go code may be compiled and run (`scaffold template test`)."""
    if not consent.covers(source):
        raise TemplateRefusedError(
            f"template {source.recorded_src}: `template test` compiles and runs its code (go build, go test); "
            f"refused: {HOW_TO_CONSENT}"
        )
