"""YAML from templates and repos, loaded with bounds: a billion-laughs is a one-line refusal, in bounded memory.

PyYAML builds an alias as a shared reference, so loading a billion-laughs is cheap, but anything that
then walks the data (validating answers, describing tasks, copier itself) expands it: nine levels of
ten aliases are 10^9 nodes. The document's node graph is measured first, in time and memory linear
in its distinct nodes, as if every alias were expanded; past the limit, or nested deeper than it
(Python builds nested data recursively), or referring to itself, it is refused before it is built.

copier.yml may pull in other YAML files with copier's `!include` tag; what each brings in counts where
the tag stands, so a billion-laughs in an included file (or a small one included through aliases a
billion times) is refused the same way.
"""

import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.errors import TemplateError, TemplateRefusedError, yaml_problem
from generator.trust.guard import NEVER, shown_path
from generator.trust.limits import Limits, current, size

_LOADER = yaml.SafeLoader  # as yaml.safe_load: the same documents, and the same error messages
MAX_NESTING = 200
"""Collections nested in one YAML document; deeper ones would exhaust Python's recursion while it is built."""


def load(text: str | bytes, what: str) -> Any:
    """Return the YAML document `text` (safe types only); raise TemplateRefusedError naming `what` past the bounds.

    yaml.YAMLError is raised as usual for a document that is not valid YAML.
    """
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, what, current().yaml_nodes)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def measure_config(path: Path, template_root: Path) -> None:
    """Refuse the copier.yml at `path` past the bounds, with every file its `!include` tags pull in counted.

    Included files are found as copier finds them (a glob relative to `template_root`, included files'
    own includes too). Each is read only once it is known to be a regular file inside the template, and
    refused otherwise, or when the included files together are larger than the size limit, or when one
    includes itself; messages name paths and sizes, never content.
    """
    _Includes(template_root, current()).count(path.resolve(), str(path))


INCLUDE_TAG = "!include"
"""copier's tag for a YAML file (a glob, relative to the template's folder) whose documents stand in its place."""


class _Includes:
    """The node counts of the files one copier.yml includes, each file measured once."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root, self.limits = root.resolve(), limits
        self.counted: dict[Path, int] = {}
        self.open: list[Path] = []
        self.bytes = 0

    def count(self, path: Path, what: str) -> int:
        """Return the nodes of every document of the file `path`, its includes expanded; refuse past the bounds."""
        text = path.read_bytes()
        loader = _LOADER(text)
        total, limit = 0, self.limits.yaml_nodes
        self.open.append(path)
        try:
            while loader.check_node():  # copier reads every document of a copier.yml and of an included file
                node = loader.get_node()
                if node is not None:
                    total += _measure(node, what, limit - total, self.weigh)
        finally:
            loader.dispose()
            self.open.pop()
        return total

    def weigh(self, node: yaml.Node) -> int:
        """The nodes an `!include` scalar brings in (0 for any other node)."""
        if node.tag != INCLUDE_TAG or not isinstance(node, yaml.ScalarNode):
            return 0
        pattern = str(node.value)
        if not pattern or PurePosixPath(pattern).is_absolute():
            return 0  # copier refuses these itself, before reading anything
        total = 0
        for match in sorted(self.root.glob(pattern)):
            total += self._included(match, pattern)
        return total

    def _included(self, match: Path, pattern: str) -> int:
        what = f"{shown_path(str(match))} (`!include {shown_path(pattern)}`)"
        resolved = match.resolve()
        if not resolved.is_relative_to(self.root):
            raise TemplateRefusedError(f"{what} is outside the template; accepted: files inside it ({NEVER})")
        if resolved in self.open:
            raise TemplateRefusedError(f"{what} includes itself; accepted: includes without cycles")
        if len(self.open) > self.limits.depth:
            raise TemplateRefusedError(
                f"{what} is included through more than {self.limits.depth} files in a row; "
                "accepted: fewer levels (SCAFFOLD_LIMIT_DEPTH)"
            )
        if resolved in self.counted:
            return self.counted[resolved]
        info = os.stat(resolved)
        if not stat.S_ISREG(info.st_mode):
            raise TemplateRefusedError(f"{what} is not a file; accepted: a YAML file")
        self.bytes += info.st_size
        if self.bytes > self.limits.bytes:
            raise TemplateRefusedError(
                f"{what}: the files copier.yml includes are larger than {size(self.limits.bytes)}; "
                "accepted: smaller files (SCAFFOLD_LIMIT_BYTES)"
            )
        try:
            self.counted[resolved] = self.count(resolved, what)
        except yaml.YAMLError as error:
            raise TemplateError(f"{what} is not valid YAML: {yaml_problem(error)}") from None
        return self.counted[resolved]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: yaml.Node, what: str, limit: int, weigh: Callable[[yaml.Node], int] | None = None) -> int:
    """Count the nodes of `root` with every alias expanded, without expanding any; refuse past `limit`.

    `weigh` gives the nodes a node brings in besides itself and its children (an `!include`'s files).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node)) + (weigh(node) if weigh else 0)
            if total > limit:
                raise TemplateRefusedError(
                    f"{what} expands to more than {limit} YAML nodes through its aliases (a YAML bomb); "
                    "accepted: a smaller document (SCAFFOLD_LIMIT_YAML_NODES)"
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise TemplateRefusedError(f"{what} has a YAML alias that contains itself; accepted: data without cycles")
        if depth > MAX_NESTING:
            raise TemplateRefusedError(
                f"{what} nests YAML collections more than {MAX_NESTING} deep; accepted: fewer levels"
            )
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]
