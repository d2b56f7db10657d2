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

from generator.errors import TemplateRefusedError

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


def with_placeholders(
    answers: Mapping[str, Any], values: Mapping[str, str], held: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return `answers` with the answer to each secret question of `values` (key -> value) replaced by its placeholder.

    A text answer to another question that holds a secret value (`postgres://app:{{ db_password }}@db`, a
    default taken with `--defaults`) holds its placeholder instead: that answer is recorded in the answers
    file and rendered, and a pristine render must hold no secret. So does one that holds a value the repo
    had before (`held`, key -> value) and a new value given replaces: filled in, it takes the new one.
    """
    pairs = [*values.items(), *(held or {}).items()]
    return {k: placeholder(k) if k in values else _hidden_in(v, pairs) for k, v in answers.items()}


def with_values(answers: Mapping[str, Any], values: Mapping[str, str], held: Mapping[str, str]) -> dict[str, Any]:
    """Return `answers` for the render with the real values: a value the repo had (`held`) in another text answer
    replaced by the value the update writes (`values`), as `with_placeholders` then `fill` would give."""
    hidden = with_placeholders(answers, values, held)
    return {
        k: fill(v.encode(), values).decode() if k not in values and isinstance(v, str) else answers[k]
        for k, v in hidden.items()
    }


def _hidden_in(answer: Any, values: Iterable[tuple[str, str]], mask: str | None = None) -> Any:
    """Return the text `answer` with each secret value of `values` (key, value) as its placeholder (or `mask`)."""
    if not isinstance(answer, str):
        return answer
    ordered = sorted(values, key=lambda pair: len(pair[1]), reverse=True)  # one inside a longer one: last
    pairs = [(value.encode(), (placeholder(key) if mask is None else mask).encode()) for key, value in ordered]
    return _substituted(answer.encode(), pairs).decode()


def shown_answers(answers: Mapping[str, Any], secrets: Iterable[str], mask: str) -> dict[str, Any]:
    """Return `answers` as they may be printed: each secret answer, and each secret value in another answer, `mask`."""
    secrets = set(secrets)
    values = [(k, v) for k, v in answers.items() if k in secrets and isinstance(v, str)]
    return {k: mask if k in secrets else _hidden_in(v, values, mask) for k, v in answers.items()}


def masked(text: str, values: Iterable[str], mask: str) -> str:
    """Return `text` (a message to print) with each of the secret `values` in it replaced by `mask`."""
    pairs = [(value.encode(), mask.encode()) for value in sorted(values, key=len, reverse=True)]
    return _substituted(text.encode(), pairs).decode()


def refuse_secret_names(
    paths: Iterable[str], keys: Iterable[str], template: str, values: Mapping[str, str] | None = None
) -> None:
    """Refuse a placeholder render of `template` that has a secret's placeholder in one of the file names `paths`.

    With `values` (key -> value), `paths` are those of a render with the real values, looked at (and
    named) with each value as its placeholder. A file name is printed by `check`, `update --plan` and
    `new --pretend`, and git keeps it in every tree: a secret in one would be shown and would reach the
    pristine branch's history through the user's merges.
    """
    keys = _longest_first(keys)
    for path in sorted(_hidden_in(p, (values or {}).items()) for p in paths):
        key = next((k for k in keys if placeholder(k) in path), None)
        if key is not None:
            raise TemplateRefusedError(
                f"template {template} renders the secret answer {key} into the file name {path!r}; "
                "accepted: secret answers in file contents only"
            )


def _longest_first(keys: Iterable[str]) -> list[str]:
    # `scaffold-secret-token` is the start of `scaffold-secret-token_2`: the longer one is replaced first
    return sorted(keys, key=len, reverse=True)


def fill(content: bytes, values: Mapping[str, str]) -> bytes:
    """Return `content` with each placeholder replaced by its value (`values`: key -> value), in one pass."""
    return _substituted(content, [(placeholder(key).encode(), values[key].encode()) for key in _longest_first(values)])


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

    A key whose files disagree, or that no unedited file holds, is left out. A file holding the placeholder
    itself tells no value: a pristine render's lines reached the branch (an update pull request merged by
    rebase replays the pristine commits, not the merge that fills them in).
    """
    keys = list(keys)
    seen: dict[str, set[bytes]] = {}
    for path, rendered in renders.items():
        values = captured(ours.get(path), rendered, keys) if holds_placeholder(rendered, keys) else None
        for key, value in (values or {}).items():
            if value != placeholder(key).encode():
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

    Each of `values` (key, a value the file may hold) is replaced, in one pass; where two match at one
    place, the first in the order given: the values the update will fill in first, so that filling
    them in again gives back every line the merge leaves as it was, byte for byte. Nothing else is
    replaced: a line the user edited next to a secret keeps the edit.
    """
    return _substituted(content, [(value.encode(), placeholder(key).encode()) for key, value in values])


def _substituted(content: bytes, pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Return `content` with each text of `pairs` (text, replacement) replaced, in one pass, the first pair first.

    One pass: a secret that is part of its own placeholder (`secret`, in `scaffold-secret-KEY`) is not
    replaced again inside the placeholder that has just replaced it.
    """
    table: dict[bytes, bytes] = {}
    for text, replacement in pairs:
        if text:
            table.setdefault(text, replacement)
    if not table:
        return content
    pattern = re.compile(b"|".join(re.escape(text) for text in table))  # at each place, the first that matches
    return pattern.sub(lambda match: table[match.group()], content)


_NAMED = re.compile(re.escape(PREFIX).encode() + rb"(\w+)")


def same_answers(pristine: Mapping[str, Any], recorded: Mapping[str, Any]) -> bool:
    """Return whether the answers a pristine answers file records are `recorded`, but for its placeholders.

    A text answer holding a secret value (a default built from one) is recorded in a pristine render
    with the secret's placeholder (`with_placeholders`), and with the value on the user's branch.
    """
    if pristine.keys() != recorded.keys():
        return False
    for key, held in pristine.items():
        wanted = recorded[key]
        if held == wanted:
            continue
        if not isinstance(held, str) or not isinstance(wanted, str):
            return False
        names = {name.decode() for name in _NAMED.findall(held.encode())}
        if not names or not same_but_secrets(wanted.encode(), held.encode(), names):
            return False
    return True
