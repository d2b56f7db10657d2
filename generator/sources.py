"""Where templates come from: the ones bundled with scaffold, local folders and git repositories."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator import gitrepo
from generator.errors import TemplateError
from generator.trust.identity import BUNDLED_PREFIX as BUNDLED_PREFIX
from generator.trust.identity import GIT_URL_PREFIXES, identify
from generator.trust.identity import expand_shorthand as expand_shorthand
from generator.trust.identity import is_git_url as is_git_url
from generator.version import scaffold_version

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
        """Whether the template ships inside scaffold (and so is versioned with it and trusted).

        Both what is recorded and what is rendered must be a template shipped in the installed package.
        """
        name = self.recorded_src.removeprefix(BUNDLED_PREFIX)
        if name == self.recorded_src or name not in bundled_names():
            return False
        return Path(self.src).resolve() == (bundled_templates_dir() / name).resolve()

    @property
    def is_git(self) -> bool:
        """Whether the template is a git repository (a URL or a local clone), versioned by its tags."""
        return not self.bundled and (is_git_url(self.src) or is_git_root(Path(self.src)))

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
    """Return the bundled template called `name`, versioned as scaffold itself.

    Only the names of the templates shipped in the installed package are accepted: never a path.
    """
    if name not in bundled_names():
        raise TemplateError(
            f"template {BUNDLED_PREFIX}{name} is not bundled with scaffold; accepted: "
            + ", ".join(BUNDLED_PREFIX + n for n in bundled_names())
        )
    path = bundled_templates_dir() / name
    return TemplateSource(src=str(path), recorded_src=BUNDLED_PREFIX + name, version=scaffold_version())


def resolve(template: str | None, vcs_ref: str | None = None) -> TemplateSource:
    """Return the template `template` names: a bundled name, a local folder, or a git URL.

    None means the default bundled template.
    """
    name = DEFAULT_TEMPLATE if template is None else template.removeprefix(BUNDLED_PREFIX)
    if template is None or template.startswith(BUNDLED_PREFIX) or template in bundled_names():
        if vcs_ref is not None:
            raise TemplateError(
                f"--vcs-ref {vcs_ref} needs a git template, and {BUNDLED_PREFIX}{name} ships with scaffold; "
                "accepted: no --vcs-ref (a newer scaffold brings a newer bundled template)"
            )
        return bundled(name)
    path = Path(template).expanduser()
    if path.is_dir():
        if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
            raise TemplateError(f"template folder {template!r} has no copier.yml; accepted: a copier template folder")
        resolved = str(path.resolve())
        return TemplateSource(src=resolved, recorded_src=resolved, vcs_ref=vcs_ref)
    if path.exists() and not template.startswith(GIT_URL_PREFIXES):
        raise TemplateError(
            f"template {template!r} is a file, not a template folder; accepted: a folder with a copier.yml, "
            "a bundled name or a git URL"
        )
    if is_git_url(template):
        identify(template)  # refuses spellings that hide which repository this is
        return TemplateSource(src=template, recorded_src=template, vcs_ref=vcs_ref)
    raise TemplateError(
        f"template {template!r} was not found; accepted: a bundled name ({', '.join(bundled_names())}), "
        "a folder with a copier.yml, or a git URL"
    )


def is_git_root(path: Path) -> bool:
    """Return whether `path` is a folder at the top of a git repository (a local git template)."""
    return path.is_dir() and (path / ".git").exists()


def git_url(src: str) -> str:
    """Return the URL git can clone for a template source, expanding `gh:`/`gl:` as copier does."""
    expanded = expand_shorthand(src)
    if expanded != src and not expanded.endswith(".git"):
        return expanded + ".git"
    return expanded.removeprefix("git+")


def canonical(src: str) -> str:
    """Return one spelling of a template source, for comparing sources (catalogs, `_src_path`)."""
    return str(identify(src))


def parse_version(tag: str) -> Version | None:
    """Return the PEP 440 version a tag names (`v1.4.0` and `1.4.0` alike), or None for other tags."""
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def newest_tag(tags: list[str]) -> str | None:
    """Return the newest release among `tags` by PEP 440 (pre-releases only when there is nothing else)."""
    versions = [(v, t) for t in tags if (v := parse_version(t)) is not None]
    releases = [(v, t) for v, t in versions if not v.is_prerelease] or versions
    return max(releases)[1] if releases else None


def remote_tags(src: str, timeout: float = 60) -> list[str]:
    """Return the tags of the git template `src` without cloning it (`git ls-remote --tags`)."""
    url = git_url(src) if is_git_url(src) else str(Path(src).expanduser().resolve())
    try:
        result = subprocess.run(
            ["git", "ls-remote", "--tags", "--refs", "--", url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=gitrepo.hardened(os.environ),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TemplateError(f"template {src} cannot be reached: {error}") from None
    if result.returncode != 0:
        raise TemplateError(f"template {src} cannot be reached: {gitrepo.git_reason(result.stderr)}")
    return [line.split("\t", 1)[1].removeprefix("refs/tags/") for line in result.stdout.splitlines() if "\t" in line]
