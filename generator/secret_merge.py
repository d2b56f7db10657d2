"""The update's merge of files that hold secret answers: made with placeholders, the values filled in afterwards.

Pristine renders hold a placeholder for each secret answer (secret_answers). So that a file whose
secret the user kept merges as any other file (git then sees no change of the user's on that line),
the merge is made from a commit with the user's files where each secret value is turned back into
its placeholder (`hidden_head`: a device for the merge, like merge_base.head_holding, never on the
branch). Once merged, the files in the work tree get the values filled in (`fill_work_tree`): the
user's branch is the one place the secrets are written.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator import gitrepo
from generator.rerender import FreshRender
from generator.secret_answers import PREFIX, current_values, fill, filled_file, hide, holds_placeholder
from generator.snapshots import Snapshot, of_commit


@dataclass(frozen=True)
class SecretMerge:
    """The secrets of one update: which placeholders to look for, the values to write, the values the repo held."""

    keys: frozenset[str]
    """The template's secret questions."""
    values: Mapping[str, str]
    """key -> the value the update writes (given, or kept from the repo's files)."""
    current: Mapping[str, str]
    """key -> the value the repo's files held, where they tell it (secret_answers.current_values)."""
    rendered: Snapshot
    """The new pristine render (placeholders)."""
    real: Snapshot | None
    """The new render with the real values; None when no secret answer is filled in."""
    lines: Mapping[bytes, bytes] = field(default_factory=dict)
    """A line the template renders from a transformed secret (`| b64encode`), real -> as the pristine render has it."""

    def hidden(self, content: bytes) -> bytes:
        """Return the user's file `content` with each secret value it holds turned into its placeholder.

        A whole line that is a transformed secret's line of the new render becomes the pristine render's
        line. Then the values to fill in go first (longest first), then the values the repo held (a new
        value given replaces them): secret_answers.hide.
        """
        if self.lines:
            content = b"".join(self.lines.get(line, line) for line in content.splitlines(keepends=True))
        by_length = sorted(self.values.items(), key=lambda pair: len(pair[1]), reverse=True)
        held = sorted(self.current.items(), key=lambda pair: len(pair[1]), reverse=True)
        return hide(content, [*by_length, *held])

    def transformed(self, path: str) -> bool:
        """Return whether the template renders a secret into `path` transformed (which no placeholder shows)."""
        rendered, real = self.rendered.get(path), (self.real or {}).get(path)
        return rendered is not None and real is not None and fill(rendered, self.values) != real

    def in_placeholders(self, files: Snapshot) -> Snapshot:
        """Return the user's `files` as the merge sees them (`hidden`)."""
        return {path: self.hidden(content) for path, content in files.items()}

    def filled(self, path: str, merged: bytes) -> bytes | None:
        """Return the merged file `path` with the secrets filled in; None when only the real render will do."""
        rendered, real = self.rendered.get(path), (self.real or {}).get(path)
        if rendered is None or real is None:
            return fill(merged, self.values)
        return filled_file(merged, rendered, real, self.values)


def values_held(repo: Path, base: str, env: Mapping[str, str] | None, keys: frozenset[str]) -> dict[str, str]:
    """Return the secret values the branch's files hold where the pristine commit `base` has placeholders.

    For rerender.fresh_render's `secrets_kept`: an update not given a secret keeps the repo's value.
    """
    return _held_in_head(repo, of_commit(repo, base, env=env), keys, env)


def _held_in_head(repo: Path, base: Snapshot, keys: frozenset[str], env: Mapping[str, str] | None) -> dict[str, str]:
    """Return the secret values HEAD's files hold where the pristine files `base` have placeholders."""
    held = {p: c for p, c in base.items() if holds_placeholder(c, keys)}
    return current_values(of_commit(repo, "HEAD", held, env=env), held, keys)


def secret_merge(
    repo: Path, fresh: FreshRender, base: Snapshot, env: Mapping[str, str] | None = None
) -> SecretMerge | None:
    """Return the secrets of an update from the pristine files `base` to the render `fresh`; None when it has none.

    A merge base rendered before scaffold used placeholders holds the real values: it merges as before.
    """
    keys = fresh.secrets
    transformed = any(fresh.real_file(p) != c for p, c in fresh.files.items())  # e.g. only `| b64encode` renders it
    if not keys or not (
        transformed or any(holds_placeholder(c, keys) for c in [*base.values(), *fresh.files.values()])
    ):
        return None
    current = _held_in_head(repo, base, keys, env)
    return SecretMerge(keys, dict(fresh.values), current, fresh.files, fresh.real, _transformed_lines(fresh))


def _transformed_lines(fresh: FreshRender) -> dict[bytes, bytes]:
    """Return the lines of `fresh`'s real render a transformed secret makes, each with the pristine render's line."""
    lines: dict[bytes, bytes] = {}
    for path, rendered in fresh.files.items():
        real = fresh.real_file(path) or b""
        filled = fill(rendered, fresh.values)
        if filled == real:
            continue
        pristine, wanted = rendered.splitlines(keepends=True), real.splitlines(keepends=True)
        if len(pristine) == len(wanted):
            pairs = zip(pristine, filled.splitlines(keepends=True), wanted, strict=True)
            lines.update((line, plain) for plain, done, line in pairs if done != line)
    return lines


def hidden_head(
    repo: Path, holding: str, secrets: SecretMerge, base: Snapshot, env: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """Return the commit the merge is made from, and the paths whose secret values it holds as placeholders.

    `holding` (HEAD, or merge_base.head_holding's commit) when no file of it holds a secret where the
    merge base `base` has a placeholder; else a child of it with those files in placeholders.
    """
    held = [p for p, c in base.items() if holds_placeholder(c, secrets.keys) or secrets.transformed(p)]
    ours = of_commit(repo, holding, held, env=env)
    changed = {p: secrets.hidden(c) for p, c in ours.items()}
    changed = {p: c for p, c in changed.items() if c != ours[p]}
    if not changed:
        return holding, []
    tree = gitrepo.tree_with(repo, f"{holding}^{{tree}}", changed, env)
    message = f"Merge base for scaffold update: your files with each secret answer as its placeholder ({PREFIX}KEY)\n"
    commit = gitrepo.git(repo, "commit-tree", tree, "-p", holding, "-m", message, env=env).stdout.strip()
    return commit, sorted(changed)


def fill_work_tree(repo: Path, secrets: SecretMerge, paths: Iterable[str], unmerged: Iterable[str]) -> list[str]:
    """Fill the secret values into the merged files `paths` in the work tree; stage those not in `unmerged`.

    Returns the paths written. A file whose secret the template transforms in a way no line of it can
    be matched (secret_answers.filled_file) takes the real render, when the merge changed it.
    """
    unmerged = set(unmerged)
    written = []
    for path in sorted(set(paths)):
        file = repo / path
        if file.is_symlink() or not file.is_file():
            continue
        merged = file.read_bytes()
        content = secrets.filled(path, merged)
        if content is None:  # unless the merge left it as the branch had it, the real render is the one right file
            kept = of_commit(repo, "HEAD", [path]).get(path) == merged or path in unmerged
            content = merged if kept else (secrets.real or {}).get(path, merged)
        if content != merged:
            file.write_bytes(content)
            written.append(path)
    staged = [p for p in written if p not in unmerged]
    if staged:
        gitrepo.git(repo, "add", "--", *staged)
    return written
