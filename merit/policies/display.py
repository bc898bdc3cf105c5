"""What the pages show of a policy text: numbered lines (with the engine's problems on their lines) and
the changes between two versions, computed on the server with difflib."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from merit.engine.policy.load import PolicyProblem

CONTEXT_LINES = 3


@dataclass
class Line:
    number: int
    text: str
    problems: list[str] = field(default_factory=list)


def numbered_lines(text: str, problems: list[PolicyProblem] = ()) -> list[Line]:
    """Every line of ``text`` with its number and the messages of the problems found on it."""
    lines = [Line(i, t) for i, t in enumerate(text.splitlines(), start=1)] or [Line(1, "")]
    for p in problems:
        if p.line and 1 <= p.line <= len(lines):
            lines[p.line - 1].problems.append(f"{p.path}: {p.message}" if p.path else p.message)
    return lines


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "removed", "added" or "gap" (unchanged lines left out)
    old: int | None  # line number in the older text
    new: int | None  # line number in the newer text
    text: str


@dataclass(frozen=True)
class Diff:
    rows: list[DiffRow]
    added: int
    removed: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff(old_text: str, new_text: str, context: int = CONTEXT_LINES) -> Diff:
    """A unified diff of two texts as rows with both line numbers; unchanged stretches longer than
    ``context`` lines around a change are folded into one "gap" row."""
    old, new = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if all(tag == "equal" for tag, *_ in matcher.get_opcodes()):
        return Diff([], 0, 0)
    rows: list[DiffRow] = []
    added = removed = 0
    groups = list(matcher.get_grouped_opcodes(context))
    for n, group in enumerate(groups):
        first = group[0]
        if n > 0 or first[1] > 0 or first[3] > 0:
            rows.append(DiffRow("gap", first[1] + 1, first[3] + 1, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffRow("same", i + 1, j + 1, old[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in ("replace", "delete"):
                rows.extend(DiffRow("removed", i + 1, None, old[i]) for i in range(i1, i2))
                removed += i2 - i1
            if tag in ("replace", "insert"):
                rows.extend(DiffRow("added", None, j + 1, new[j]) for j in range(j1, j2))
                added += j2 - j1
    if groups:
        last = groups[-1][-1]
        if last[2] < len(old) or last[4] < len(new):
            rows.append(DiffRow("gap", last[2] + 1, last[4] + 1, ""))
    return Diff(rows, added, removed)
