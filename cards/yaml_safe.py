"""One safe YAML loader for rule files and front matter: limits on size and aliases, node positions.

PyYAML's safe loader (libyaml's when PyYAML has it, as python-frontmatter uses), refusing
what is too big before any object is built from it ("billion laughs"), and giving back the
node tree too, so a rule file's error can name its line.
"""
from __future__ import annotations

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, as python-frontmatter uses, when built in
MAX_YAML_BYTES = 256 * 1024  # a rule file or a note's front matter
MAX_YAML_VALUES = 50_000  # values once aliases are expanded: a "billion laughs" file is refused, not built


class YamlLimit(yaml.YAMLError):
    """YAML refused for its size, before anything is built from it."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, None


def safe_yaml(text: str) -> tuple[object, yaml.Node | None]:
    """Parse YAML with the safe loader, refusing what is too big (`text` over MAX_YAML_BYTES, or more than
    MAX_YAML_VALUES values once its aliases are expanded, or an alias inside itself) before any object
    is made. Returns the data and its node tree (for line numbers). Rule files and front matter both
    go through here."""
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimit(f"larger than {MAX_YAML_BYTES // 1024} KB")
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _expanded_size(node, MAX_YAML_VALUES) > MAX_YAML_VALUES:
            raise YamlLimit(f"more than {MAX_YAML_VALUES} values once its aliases (*name) are expanded")
        return loader.construct_document(node), node
    finally:
        loader.dispose()


def _kids(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """How many values the node tree stands for with every alias expanded (limit + 1 when more, or when an
    alias is inside itself). Each node is counted once: a shared node's size is reused, not walked again."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # on the current path
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            sizes[key] = min(1 + sum(sizes[id(k)] for k in _kids(node)), limit + 1)
            open_.discard(key)
            continue
        if key in sizes:
            continue
        open_.add(key)
        stack.append((node, True))
        for k in _kids(node):
            if id(k) in open_:
                return limit + 1  # recursive
            if id(k) not in sizes:
                stack.append((k, False))
    return sizes[id(root)]
