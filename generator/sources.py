"""Where templates come from: the ones bundled with scaffold, local folders and git repositories."""

from dataclasses import dataclass
from pathlib import Path

from generator.errors import TemplateError
from generator.version import scaffold_version

BUNDLED_PREFIX = "bundled:"
DEFAULT_TEMPLATE = "go-service"


@dataclass(frozen=True)
class TemplateSource:
    """A template to render: what copier is given, and what the answers file records."""

    src: str
    """The path or URL copier renders from."""
    recorded_src: str
    """What `_src_path` in the answers file says, e.g. `bundled:go-service`."""
    vcs_ref: str | None = None
    version: str | None = None
    """The template version recorded as `_commit`; None lets copier record its own (git templates)."""

    @property
    def bundled(self) -> bool:
        """Whether the template ships inside scaffold (and so is versioned with it)."""
        return self.recorded_src.startswith(BUNDLED_PREFIX)

    @property
    def local_path(self) -> Path | None:
        """The template's folder on this machine, when it is not a git URL."""
        path = Path(self.src)
        return path if path.is_dir() else None


def bundled_templates_dir() -> Path:
    """Return the folder holding the bundled templates (inside the wheel, or the source tree's templates/)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise TemplateError(f"scaffold's bundled templates are missing from {package}; reinstall scaffold")


def bundled_names() -> list[str]:
    """Return the names of the bundled templates."""
    root = bundled_templates_dir()
    return sorted(p.name for p in root.iterdir() if (p / "copier.yml").is_file())


def bundled(name: str) -> TemplateSource:
    """Return the bundled template called `name`, versioned as scaffold itself."""
    path = bundled_templates_dir() / name
    if not (path / "copier.yml").is_file():
        raise TemplateError(f"template {name!r} is not bundled with scaffold; accepted: {', '.join(bundled_names())}")
    return TemplateSource(src=str(path), recorded_src=BUNDLED_PREFIX + name, version=scaffold_version())


def resolve(template: str | None, vcs_ref: str | None = None) -> TemplateSource:
    """Return the template `template` names: a bundled name, a local folder, or a git URL.

    None means the default bundled template.
    """
    if template is None:
        return bundled(DEFAULT_TEMPLATE)
    if template.startswith(BUNDLED_PREFIX):
        return bundled(template.removeprefix(BUNDLED_PREFIX))
    if template in bundled_names():
        return bundled(template)
    path = Path(template).expanduser()
    if path.is_dir():
        if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
            raise TemplateError(f"template folder {template!r} has no copier.yml; accepted: a copier template folder")
        resolved = str(path.resolve())
        return TemplateSource(src=resolved, recorded_src=resolved, vcs_ref=vcs_ref)
    if "://" in template or template.startswith(("gh:", "gl:", "git@")) or template.endswith(".git"):
        return TemplateSource(src=template, recorded_src=template, vcs_ref=vcs_ref)
    raise TemplateError(
        f"template {template!r} was not found; accepted: a bundled name ({', '.join(bundled_names())}), "
        "a folder with a copier.yml, or a git URL"
    )
