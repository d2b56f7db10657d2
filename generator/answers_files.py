"""Finding a repo's copier answers file, whatever its template named it (`_answers_file`).

copier's default is `.copier-answers.yml`; templates also use `.copier-answers.NAME.yml` (one per
template applied to a repo), a folder such as `.copier/`, or a name with "answers" one folder
down. A candidate counts only when it records
a template (`_src_path`), so a project's own YAML files are never taken for one.
"""

from pathlib import Path

import yaml

from generator.errors import TemplateError
from generator.trust import bounded_yaml

DEFAULT = ".copier-answers.yml"
_PATTERNS = (
    "*answers*.yml", "*answers*.yaml", "*/*answers*.yml", "*/*answers*.yaml", ".copier/*.yml", ".copier/*.yaml"
)  # fmt: skip


def find_answers_files(repo: Path) -> list[str]:
    """Return the answers files of `repo` (relative POSIX paths), the default name first, then by name."""
    found = {p.relative_to(repo).as_posix() for pattern in _PATTERNS for p in repo.glob(pattern) if _records(p)}
    return sorted(found, key=lambda name: (name != DEFAULT, name))


def answers_file_of(repo: Path) -> str:
    """Return the answers file `update` and `check` read: the default one, else the one a template named.

    When none records a template, the default name (so the error about it names the usual file).
    """
    found = find_answers_files(repo)
    return found[0] if found else DEFAULT


def _records(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    try:
        data = bounded_yaml.load(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TemplateError):
        return False
    return isinstance(data, dict) and isinstance(data.get("_src_path"), str)
