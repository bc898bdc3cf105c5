"""Problems found in a data package, and the collector that reports every one of them at once."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROBLEMS = 1000  # problems listed in one report; the rest are summarised in a final line
VALUE_SHOWN = 120  # characters of an offending value repeated in a problem

PACKAGE = "(package)"  # the `table` of problems that concern the package as a whole

R_NOT_TIMESTAMP = "not a date/time (expected ISO 8601, e.g. 2026-03-05T10:15:00)"
R_NOT_DATE = "not a date (expected YYYY-MM-DD, e.g. 2026-03-05)"
R_NOT_INT = "not a whole number"
R_NOT_DECIMAL = "not a number (expected e.g. 12.50)"
R_SCALE = "more than 4 decimal places"
R_NOT_BOOL = "not a yes/no value (expected true/false, 1/0, yes/no, 是/否)"
R_NOT_PERIOD = "not a period (expected YYYY-MM, e.g. 2026-03)"
R_EMPTY = "required value empty"
R_MISSING_COLUMN = "required column missing"
R_UNKNOWN_AGENT = "unknown agent (not in agents)"
R_UNKNOWN_TEAM = "unknown team (not in teams)"


# ---- the public types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One bad thing in the input.

    ``row`` is the row as the user sees it: in CSV and XLSX the header is row 1 and the first data row
    is row 2; in Parquet it is the 1-based data row. ``None`` when the problem is not about one row.
    """

    table: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.table]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(self.column)
        text = ", ".join(where) + ": " + self.reason
        return text + (f" (value {self.value!r})" if self.value is not None else "")


def _sort_key(p: Problem) -> tuple:
    return (p.table, -1 if p.row is None else p.row, p.column or "", p.reason)


class PackageError(Exception):
    """The package cannot be used; ``problems`` lists all problems found in one run, sorted by
    (table, row, column), at most ``MAX_PROBLEMS`` of them plus a final "… and N more" line.
    ``total`` counts every problem found, listed or not."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__(f"{len(problems)} problem(s) in the data package")

    def __str__(self) -> str:
        lines = [self.args[0] + ":"] + [f"  {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  … ({len(self.problems) - 20} more listed in .problems)")
        return "\n".join(lines)


# ---- problem collection ------------------------------------------------------------------------


class _Problems:
    """Collects problems; callers add at most MAX_PROBLEMS per check and report the true total."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.total = 0

    def add(self, table, row, column, value, reason) -> None:
        self.total += 1
        if len(self.items) < 50 * MAX_PROBLEMS:  # a hard stop on memory; the sort below trims further
            self.items.append(Problem(table, row, column, _shown(value), reason))

    def count_more(self, n: int) -> None:
        self.total += n

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self) -> PackageError:
        listed = sorted(self.items, key=_sort_key)[:MAX_PROBLEMS]
        more = self.total - len(listed)
        if more > 0:
            listed.append(Problem(PACKAGE, None, None, None, f"… and {more} more problem(s) not listed"))
        return PackageError(listed, total=self.total)


def _shown(value) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= VALUE_SHOWN else text[:VALUE_SHOWN] + "…"
