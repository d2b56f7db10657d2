"""YAML from templates and repos, loaded with bounds: a billion-laughs is a one-line refusal, in bounded memory.

PyYAML builds an alias as a shared reference, so loading a billion-laughs is cheap, but anything that
then walks the data (validating answers, describing tasks, copier itself) expands it: nine levels of
ten aliases are 10^9 nodes. The document's node graph is measured first, in time and memory linear
in its distinct nodes, as if every alias were expanded; past the limit, or nested deeper than it
(Python builds nested data recursively), or referring to itself, it is refused before it is built.
"""

from typing import Any

import yaml

from generator.errors import TemplateRefusedError
from generator.trust.limits import current

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


def measure(text: str | bytes, what: str) -> None:
    """Refuse the YAML documents of `text` past the bounds, as `load` does, without building them (any tag passes).

    For documents another loader builds afterwards (copier's, with its `!include` tag). A stream of several
    documents (copier.yml's `---` form) has each document measured.
    """
    loader = _LOADER(text)
    limit, total = current().yaml_nodes, 0
    try:
        while loader.check_node():  # copier reads every document of a copier.yml
            node = loader.get_node()
            if node is not None:
                total += _measure(node, what, limit - total)
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: yaml.Node, what: str, limit: int) -> int:
    """Count the nodes of `root` with every alias expanded, without expanding any; refuse past `limit`."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
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
