"""Secret answers kept out of pristine renders: rendered there as fixed placeholders, filled in on the user's branch.

Every render scaffold commits as a pristine render (pristine.py) renders the answer to each secret
question (copier's `secret: true`, or `_secret_questions`) as the placeholder `scaffold-secret-KEY`,
so the pristine branch, its reflog and the merge parent of every update hold no secret. The user's
branch gets the real values: `scaffold new` commits the real render on top of the pristine one, and
`scaffold update` merges with the user's files' secret values turned back into placeholders (`hide`),
then fills the values in (`fill`). `scaffold check`, which is given no secret, compares a file with a
render holding placeholders as if each placeholder were any value (`captured`).

A template that transforms a secret (`{{ token | b64encode }}`) renders the placeholder transformed,
which no substitution can fill: `filled_file` then takes the lines, or failing that the whole file,
from the render with the real values.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

PREFIX = "scaffold-secret-"
"""A placeholder is this prefix and the question's key: letters, digits, `-` and `_` survive quoting,
escaping and URL encoding, so the placeholder reaches the file as it was given."""


def placeholder(key: str) -> str:
    """Return the placeholder a pristine render holds instead of the answer to the secret question `key`."""
    return f"{PREFIX}{key}"


def secret_values(secrets: Iterable[str], answers: Mapping[str, Any]) -> dict[str, str]:
    """Return the answers to the secret questions among `answers` that a placeholder stands for (text answers).

    A secret of another type (a number, a list) is rendered as it is: a placeholder would not be one.
    """
    return {key: answers[key] for key in sorted(secrets) if isinstance(answers.get(key), str)}


def with_placeholders(answers: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Return `answers` with the answer to each of `keys` replaced by its placeholder."""
    keys = set(keys)
    return {k: placeholder(k) if k in keys else v for k, v in answers.items()}


def _longest_first(keys: Iterable[str]) -> list[str]:
    # `scaffold-secret-token` is the start of `scaffold-secret-token_2`: the longer one is replaced first
    return sorted(keys, key=len, reverse=True)


def fill(content: bytes, values: Mapping[str, str]) -> bytes:
    """Return `content` with each placeholder replaced by its value (`values`: key -> value)."""
    for key in _longest_first(values):
        content = content.replace(placeholder(key).encode(), values[key].encode())
    return content


def holds_placeholder(content: bytes | None, keys: Iterable[str]) -> bool:
    """Return whether `content` holds the placeholder of one of `keys`."""
    return content is not None and any(placeholder(key).encode() in content for key in keys)


def filled_file(merged: bytes, rendered: bytes, real: bytes, values: Mapping[str, str]) -> bytes | None:
    """Return the merged file `merged` with its secrets filled in, or None when that cannot be done exactly.

    `rendered` is the file as the placeholder render has it, `real` as the render with the real values
    has it. Where filling `rendered` gives `real`, filling `merged` is exact. Otherwise the template
    transforms a secret: each line of the render that filling leaves different is taken from the real
    render; when the two renders do not even have the same lines, None (the caller takes `real`).
    """
    out = fill(merged, values)
    filled = fill(rendered, values)
    if filled == real:
        return out
    ours, theirs = filled.splitlines(keepends=True), real.splitlines(keepends=True)
    if len(ours) != len(theirs):
        return None
    lines: dict[bytes, bytes] = {}
    for line, wanted in zip(ours, theirs, strict=True):
        if line != wanted and lines.setdefault(line, wanted) != wanted:
            return None  # one line of the render stands for two different ones
    return b"".join(lines.get(line, line) for line in out.splitlines(keepends=True))


def _pattern(rendered: bytes, keys: Iterable[str]) -> tuple[re.Pattern[bytes], list[str]] | None:
    """Return the pattern of the files `rendered` (a placeholder render) stands for, each placeholder any value.

    The same placeholder twice must be the same value, and a value has no space or line break: a
    secret that has one is never read back from a file (an update asks for it), and a line edited
    after a secret (`TOKEN=abc  # ours`) is an edit, not a value. None when `rendered` holds no placeholder.
    """
    names = _longest_first(keys)
    if not names or not holds_placeholder(rendered, names):
        return None
    split = re.compile(b"(" + b"|".join(re.escape(placeholder(k).encode()) for k in names) + b")")
    parts = split.split(rendered)
    order: list[str] = []
    regex = b""
    for at, part in enumerate(parts):
        if at % 2 == 0:
            regex += re.escape(part)
            continue
        key = part.decode().removeprefix(PREFIX)
        if key in order:
            regex += b"(?P=s%d)" % order.index(key)
        else:  # no space or line break: a capture never swallows what a user wrote after a secret
            regex += b"(?P<s%d>\\S*?)" % len(order)
            order.append(key)
    return re.compile(regex), order


def captured(content: bytes | None, rendered: bytes | None, keys: Iterable[str]) -> dict[str, bytes] | None:
    """Return the values `content` has where `rendered` (a placeholder render) has placeholders, or None.

    None when `content` is not `rendered` with some value at each placeholder; {} when `rendered` holds
    no placeholder and `content` is exactly it.
    """
    if content is None or rendered is None:
        return None
    found = _pattern(rendered, keys)
    if found is None:
        return {} if content == rendered else None
    pattern, order = found
    match = pattern.fullmatch(content)
    if match is None:
        return None
    return {key: match.group(f"s{at}") for at, key in enumerate(order)}


def same_but_secrets(content: bytes | None, rendered: bytes | None, keys: Iterable[str]) -> bool:
    """Return whether `content` is the placeholder render `rendered` with some value at each placeholder."""
    return captured(content, rendered, keys) is not None


def current_values(ours: Mapping[str, bytes], renders: Mapping[str, bytes], keys: Iterable[str]) -> dict[str, str]:
    """Return the secret values the repo's files `ours` hold, read where they match the placeholder render `renders`.

    A key whose files disagree, or that no unedited file holds, is left out.
    """
    keys = list(keys)
    seen: dict[str, set[bytes]] = {}
    for path, rendered in renders.items():
        values = captured(ours.get(path), rendered, keys) if holds_placeholder(rendered, keys) else None
        for key, value in (values or {}).items():
            seen.setdefault(key, set()).add(value)
    found = {}
    for key, held in seen.items():
        if len(held) == 1:
            try:
                found[key] = next(iter(held)).decode()
            except UnicodeDecodeError:
                continue
    return found


def hide(content: bytes, values: Iterable[tuple[str, str]]) -> bytes:
    """Return the user's file `content` with its secret values turned back into placeholders, for a merge.

    Each of `values` (key, a value the file may hold) is replaced in turn, in the order given: the
    values the update will fill in first, so that filling them in again gives back every line the
    merge leaves as it was, byte for byte. Nothing else is replaced: a line the user edited next
    to a secret keeps the edit.
    """
    for key, value in values:
        if value:
            content = content.replace(value.encode(), placeholder(key).encode())
    return content
