"""What a template may do only with the user's consent, and the one place that decides whether it was given.

Running code on the user's machine needs consent: copier tasks and migrations, Jinja extensions
other than scaffold's own (matched by exact import path), and `scaffold template test`'s Go build
and tests. Consent is `--trust`, or a `trusted` entry of the org config that admits the template's
canonical identity. Templates bundled with scaffold ship inside it and need none.
"""

from typing import TYPE_CHECKING, Any

from generator.errors import TemplateRefusedError

if TYPE_CHECKING:
    from generator.config import OrgConfig
    from generator.questions import TemplateConfig
    from generator.sources import TemplateSource

OWN_EXTENSIONS = frozenset({"generator.jinja_ext.ScaffoldExtension"})
"""scaffold's own Jinja extensions, by exact import path: they only add filters."""

MACHINE_FILTERS = ("expanduser", "expandvars", "fileglob", "realpath", "relpath")
"""Filters copier always loads (jinja2-ansible-filters) that read the user's machine: environment variables,
the home folder, file names, links. Without consent they are removed, so a template cannot copy them into the repo.
"""

HOW_TO_CONSENT = "pass --trust, or list its source under `trusted` in the org config"


def consented(src: str, trust_flag: bool, org: "OrgConfig") -> bool:
    """Return whether the user consented to the template `src` running code: `--trust`, or a trusted entry."""
    return trust_flag or org.trusts(src)


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


def require_consent(source: "TemplateSource", config: "TemplateConfig", consent: bool) -> None:
    """Raise TemplateError when the template wants to run code and neither consent nor bundling covers it."""
    wanted = describe_wanted(config)
    if wanted and not consent and not source.bundled:
        raise TemplateRefusedError(
            f"template {source.recorded_src} wants to run code on this machine: {wanted}; refused: {HOW_TO_CONSENT}"
        )


def require_consent_to_build(source: "TemplateSource", consent: bool) -> None:
    """Raise TemplateError unless the template's Go code may be compiled and run (`scaffold template test`)."""
    if not consent and not source.bundled:
        raise TemplateRefusedError(
            f"template {source.recorded_src}: `template test` compiles and runs its code (go build, go test); "
            f"refused: {HOW_TO_CONSENT}"
        )
