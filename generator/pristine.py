"""The pristine renders a repo went through, kept in its own git history for later three-way merges.

Every render scaffold makes is committed, untouched by the user, on the branch `scaffold/pristine`.
`scaffold new` makes that commit the first commit of the repo; `scaffold update` adds the next
pristine render on top of the previous one and merges it, so git always has the right merge base,
and the old template version never needs to be found again. Each pristine commit also carries
trailers, so the history can be found again after a clone that did not fetch the branch.
"""

from pathlib import Path

from generator import gitrepo
from generator.sources import TemplateSource

PRISTINE_BRANCH = "scaffold/pristine"
TEMPLATE_TRAILER = "Scaffold-Template"
VERSION_TRAILER = "Scaffold-Template-Version"


def commit_message(title: str, source: TemplateSource) -> str:
    """Return the message of a pristine commit, with the trailers that identify it."""
    version = source.version or "unversioned"
    return (
        f"{title} from template {source.recorded_src} {version}\n\n"
        f"Pristine render by scaffold; the branch {PRISTINE_BRANCH} keeps these for updates.\n\n"
        f"{TEMPLATE_TRAILER}: {source.recorded_src}\n{VERSION_TRAILER}: {version}\n"
    )


def commit_pristine(repo: Path, source: TemplateSource, message_title: str) -> str:
    """Commit everything in the fresh repo `repo` as its first commit and point the pristine branch at it."""
    gitrepo.git(repo, "add", "-A")
    gitrepo.git(repo, "commit", "-q", "--no-verify", "-m", commit_message(message_title, source))
    gitrepo.git(repo, "branch", PRISTINE_BRANCH)
    return gitrepo.head(repo)
