"""The version of scaffold, which is also the version of its bundled templates."""

from importlib.metadata import PackageNotFoundError, version


def scaffold_version() -> str:
    """Return the installed scaffold version (`[project] version` in pyproject.toml)."""
    try:
        return version("scaffold")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
