"""The headline figures of agents' results, as the result tables show them: whatever the policy
produces — a score and a grade (scorecards), a points balance and the month's warnings (points budgets:
S1, S2), fines (money rules), flags (titles, reviews, raises), a bonus. A column appears only when some
row of the table has a value for it, so a points policy does not show a column of "—" scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# column key → header, in the order shown
COLUMNS = {
    "score": _("Score"),
    "grade": _("Grade"),
    "balance": _("Points balance"),
    "warnings": _("Warnings"),
    "fines": _("Fines"),
    "flags": _("Flags"),
    "bonus": _("Bonus"),
}
NUMERIC = {"score", "balance", "warnings", "fines", "bonus"}


@dataclass
class Row:
    result: object  # the AgentResult
    values: dict[str, object] = field(default_factory=dict)
    flag_reasons: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)  # the shown columns' values, in order


def _flag_label(flag: dict) -> str:
    return str(flag.get("title") or flag.get("flag") or flag.get("rule") or "")


def figures(result) -> Row:
    """The headline values of one AgentResult (from its stored results.json entry)."""
    doc = result.doc or {}
    points = doc.get("points") or {}
    sanctions = doc.get("sanctions") or []
    money = doc.get("money") or {}
    flags = doc.get("flags") or []
    warnings = sum(1 for s in sanctions if s.get("kind") == "warning")
    active = (doc.get("warnings") or {}).get("active_at_month_end")
    values = {
        "score": result.score,
        "grade": result.grade or None,
        "balance": points.get("closing"),
        # warnings given this month; a ladder's active warnings count when the policy keeps them
        "warnings": warnings if (points or sanctions or doc.get("warnings")) else None,
        "fines": money.get("fines") if money else None,
        "flags": ", ".join(_flag_label(f) for f in flags) or None,
        "bonus": result.bonus,
    }
    if active is not None and isinstance(active, list | int):
        values["warnings"] = max(values["warnings"] or 0, active if isinstance(active, int) else len(active))
    return Row(result, values, [str(f.get("reason") or "") for f in flags])


def table(results) -> tuple[list[dict], list[Row]]:
    """The columns to show and one row per result; columns where every row is empty are left out
    (score and bonus stay when nothing else would be shown)."""
    rows = [figures(r) for r in results]
    keys = [k for k in COLUMNS if any(_present(r.values.get(k)) for r in rows)]
    if not keys:
        keys = ["score", "grade", "bonus"]
    for r in rows:
        r.cells = [
            {
                "key": k,
                "value": r.values.get(k),
                "numeric": k in NUMERIC,
                "title": "; ".join(r.flag_reasons) if k == "flags" else "",
            }
            for k in keys
        ]
    return [{"key": k, "label": COLUMNS[k], "numeric": k in NUMERIC} for k in keys], rows


def _present(value) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, Decimal | int | str):
        return True
    return bool(value)
