"""The version of scaffold, which is also the version of its bundled templates."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "scaffold-go"
"""The name scaffold is published under on the package index (`pip install scaffold-go`); the command is `scaffold`.

The index's `scaffold` is an unrelated project, so `pip install scaffold` installs the wrong tool.
"""


def scaffold_version() -> str:
    """Return the installed scaffold version (`[project] version` of the scaffold-go distribution)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
