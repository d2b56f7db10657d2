"""Which template a source really is: one canonical identity per template, to compare sources and trust entries.

A folder is its real path (symlinks resolved), compared component by component; a git source is its
scheme, host, port and path after copier's `gh:`/`gl:` shorthands are spelt out, whatever the user or
`.git` suffix: `https://` trust never admits `git://`, `http://`, another port, or ssh to the same
host. Spellings that could make one string name two repositories (`.` or `..` segments,
percent-encoding, backslashes, queries) are refused rather than normalised away.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.errors import TemplateError

BUNDLED_PREFIX = "bundled:"

# copier's shorthands (copier/_vcs.py): gh:OWNER/REPO and gl:OWNER/REPO are HTTPS clones.
SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
GIT_URL_PREFIXES = ("git@", "git://", "git+", "ssh://", "https://", "http://", "file://", *SHORTHANDS)
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^@/:]+):(?P<path>[^/].*)$")  # git@github.com:acme/repo.git
_UNSAFE_CHARACTERS = re.compile(r"[%\\?#\s\x00-\x1f\x7f]")

Kind = Literal["bundled", "folder", "git"]

DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
"""The git transports a source may name, with the port each uses when none is given."""


@dataclass(frozen=True)
class SourceIdentity:
    """A template source reduced to what it names: its kind, scheme, host and port (git) and path components."""

    kind: Kind
    host: str
    """The git host, lower case, without user or port; "" for folders and bundled templates."""
    parts: tuple[str, ...]
    """A folder's real path components, a git repository's path segments (no `.git`), or a bundled name."""
    scheme: str = ""
    """The git transport: `https`, `http`, `ssh` (scp-style `git@host:path` too) or `git`; "" for others."""
    port: int | None = None
    """The git port, None for the scheme's own (443, 80, 22, 9418)."""

    def __str__(self) -> str:
        if self.kind == "bundled":
            return BUNDLED_PREFIX + "/".join(self.parts)
        if self.kind == "git":
            port = f":{self.port}" if self.port is not None else ""
            return f"{self.scheme}://{self.host}{port}/{'/'.join(self.parts)}"
        return str(Path(*self.parts)) if self.parts else ""

    def is_within(self, other: "SourceIdentity") -> bool:
        """Return whether this source is `other` or lies under it (component by component, never by prefix)."""
        return (
            self.kind == other.kind
            and (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)
            and len(self.parts) >= len(other.parts)
            and self.parts[: len(other.parts)] == other.parts
        )


def is_git_url(text: str) -> bool:
    """Return whether `text` is a git URL (including copier's `gh:`/`gl:` shorthands) rather than a path."""
    if text.startswith(GIT_URL_PREFIXES):
        return True
    return text.endswith(".git") and not Path(text).expanduser().is_dir()


def expand_shorthand(text: str) -> str:
    """Return `text` with a leading `gh:`/`gl:` spelt out as its https://github.com/ or gitlab.com/ URL."""
    for alias, base in SHORTHANDS.items():
        if text.startswith(alias):
            return base + text.removeprefix(alias).lstrip("/")
    return text


def identify(src: str, base: Path | None = None) -> SourceIdentity:
    """Return the identity of the template source `src`; raise TemplateError for a spelling that hides one.

    A relative folder is taken relative to `base` (default: the current folder).
    """
    if src.startswith(BUNDLED_PREFIX):
        return SourceIdentity("bundled", "", (src.removeprefix(BUNDLED_PREFIX),))
    if src.startswith("file://"):
        return _file_url_identity(src)
    if is_git_url(src):
        return _git_identity(src)
    path = Path(src).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return SourceIdentity("folder", "", path.resolve().parts)


def _file_url_identity(src: str) -> SourceIdentity:
    """A `file://` URL is the folder git clones: its path; git ignores the host, so one is refused."""
    host, _, path = src.removeprefix("file://").partition("/")
    if host not in ("", "localhost"):
        raise _refused(src, "a file:// URL names a folder on this machine; accepted: file:///PATH, without a host")
    if _UNSAFE_CHARACTERS.search(path):
        raise _refused(src, "percent-encoding, backslashes, spaces, queries and fragments are not accepted")
    return SourceIdentity("folder", "", Path("/" + path).resolve().parts)


def _git_identity(src: str) -> SourceIdentity:
    url = expand_shorthand(src).removeprefix("git+")
    if _UNSAFE_CHARACTERS.search(url):
        raise _refused(src, "percent-encoding, backslashes, spaces, queries and fragments are not accepted")
    port: int | None = None
    if "://" in url:
        scheme, rest = url.split("://", 1)
        scheme = scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise _refused(src, f"scheme {scheme!r} is not a git transport; accepted: {', '.join(DEFAULT_PORTS)}")
        authority, _, path = rest.partition("/")
        hostport = authority.rpartition("@")[2]
        if hostport.startswith("["):
            host, _, after = hostport.partition("]")
            host, port_text = host + "]", after.removeprefix(":")
        else:
            host, _, port_text = hostport.partition(":")
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise _refused(src, f"port {port_text!r} is not valid; accepted: a number from 1 to 65535")
            port = None if int(port_text) == DEFAULT_PORTS[scheme] else int(port_text)
    else:
        scp = _SCP_LIKE.match(url)
        if scp is None:
            raise _refused(src, "accepted: a URL such as https://host/owner/repo, git@host:owner/repo or gh:owner/repo")
        scheme, host, path = "ssh", scp["host"], scp["path"]
    segments = path.removesuffix("/").split("/")
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1].removesuffix(".git")
    if not host or any(s in ("", ".", "..") for s in segments):
        raise _refused(src, "empty, '.' and '..' path segments are not accepted")
    return SourceIdentity("git", host.lower().rstrip("."), tuple(segments), scheme, port)


def _refused(src: str, why: str) -> TemplateError:
    return TemplateError(f"template source {src!r} is not valid: {why}")


@dataclass(frozen=True)
class TrustEntry:
    """One `trusted` entry of the org config: a source, or (ending in `/`) every source under it."""

    text: str
    identity: SourceIdentity
    covers_children: bool

    def admits(self, source: SourceIdentity) -> bool:
        """Return whether this entry trusts `source`.

        `gh:acme/` admits the repositories owned by acme and nothing else; `/opt/templates/` admits the
        folders under /opt/templates, and not /opt/templates-evil.
        """
        if self.covers_children:
            return source.is_within(self.identity) and source != self.identity
        return source == self.identity


def trust_entry(text: str, base: Path | None = None) -> TrustEntry:
    """Parse a `trusted` entry; relative folders are taken relative to `base` (the config file's folder)."""
    covers_children = text.endswith("/")
    return TrustEntry(text, identify(text.rstrip("/") or "/", base), covers_children)
