"""YAML in, plain data out, with the line of every value kept for precise error messages.

Numbers are read exactly: a YAML float such as ``0.55`` becomes ``Decimal("0.55")``, never a binary
float, because policies hold money and thresholds.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError


class YamlError(ValueError):
    def __init__(self, source: str, line: int | None, message: str):
        self.source, self.line, self.message = source, line, message
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")


Path_ = tuple[str | int, ...]


def _plain(node: Any, path: Path_, lines: dict[Path_, int]) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for k, v in node.items():
            try:
                line = node.lc.key(k)[0] + 1
            except (KeyError, TypeError):
                line = None
            if line:
                lines[(*path, str(k))] = line
            out[str(k)] = _plain(v, (*path, str(k)), lines)
        return out
    if isinstance(node, CommentedSeq):
        out_l = []
        for i, v in enumerate(node):
            with contextlib.suppress(KeyError, TypeError):
                lines[(*path, i)] = node.lc.item(i)[0] + 1
            out_l.append(_plain(v, (*path, i), lines))
        return out_l
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return Decimal(repr(float(node)))
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


def load_yaml_lines(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise YamlError(source, mark.line + 1 if mark else None, str(e.problem or e)) from None
    except Exception as e:  # ruamel raises several error types for malformed input
        raise YamlError(source, None, f"not valid YAML: {e}") from None
    lines: dict[Path_, int] = {}
    return _plain(raw, (), lines), lines


def load_yaml_text(text: str, source: str) -> Any:
    return load_yaml_lines(text, source)[0]


def line_of(lines: dict[Path_, int], loc: Path_) -> int | None:
    """The line of the deepest part of ``loc`` that exists in the file."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
