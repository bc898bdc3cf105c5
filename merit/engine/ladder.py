"""ActiveWarning ladders (警告阶梯): offences issue warnings of a level, warnings convert upward, a new
offence under an active final warning leads to a dismissal review.

Rules (docs/policy-language.md#warning-ladders):

* Offences are processed in time order (then by source id). Each issues a warning of its level with
  that level's fine (乐捐), unless its level is a "flag only" level such as dismissal.
* A warning counts for ``window_months`` calendar months: issued on 2026-03-15 with a 12-month window it
  counts up to 2027-03-14 and no longer on 2027-03-15, the day it expires (dates in Asia/Shanghai).
* When the active warnings of a level with ``convert: N`` reach N, those N are consumed and one warning
  of the next level is issued in their place (3 verbal = 1 written; 3 written = 1 final). A converted
  warning carries no fine of its own unless ``conversion_fines`` is set; it counts from the day of the
  offence that completed it. Conversion can cascade.
* An offence committed while a final warning is active raises ``after_final`` (dismissal review, a
  human decision) in addition to its own warning.

Pure functions over plain data, so the same code runs whatever backend computed the events.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

SHANGHAI = timedelta(hours=8)


@dataclass(frozen=True)
class ActiveWarning:
    level: str
    on: date  # issue date (Asia/Shanghai)
    expires: date  # first day it no longer counts
    source: tuple[str, ...]  # the offence rows (table/id) behind it
    rule: str

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "on": self.on.isoformat(),
            "expires": self.expires.isoformat(),
            "source": list(self.source),
            "rule": self.rule,
        }

    @classmethod
    def from_json(cls, d: dict) -> ActiveWarning:
        return cls(
            d["level"],
            date.fromisoformat(d["on"]),
            date.fromisoformat(d["expires"]),
            tuple(d["source"]),
            d["rule"],
        )


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    n = d.year * 12 + d.month - 1 + months
    y, m = divmod(n, 12)
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def local_date(t) -> date:
    if isinstance(t, datetime):
        return (t + SHANGHAI).date()  # stored as naive UTC
    return t


@dataclass(frozen=True)
class Offence:
    at: object  # datetime (UTC) or date
    level: str
    rule: str
    label: str
    source: str  # "table/id"
    count: int = 1  # records of its level it issues (S4: absence = 2 warnings)


@dataclass
class LadderOutcome:
    active: list[ActiveWarning]
    issued: list[dict]  # sanctions to report (warnings with fines, conversions)
    flags: list[dict]  # after-final reviews, flag levels reached by an offence or by conversion
    offences: int


def run_ladder(
    levels: list[dict],
    active: list[ActiveWarning],
    offences: list[Offence],
    window_months: int,
    after_final: str | None,
    conversion_fines: bool,
) -> LadderOutcome:
    """Apply one month's offences (already sorted) to the records still active.

    ``levels``: ordered lowest first, each {id, fine, convert, warning (bool), flag, window}. Every level
    keeps records: a warning level issues warnings (with their fine), a flag level raises its flag (e.g.
    suspension); both count toward conversion into the next level within the level's window."""
    by_id = {lv["id"]: i for i, lv in enumerate(levels)}
    final_level = max((i for i, lv in enumerate(levels) if lv["warning"]), default=None)
    state = _Run(levels, list(active), [], [], window_months, conversion_fines)
    for off in offences:
        day = local_date(off.at)
        state.active = [w for w in state.active if w.expires > day]
        if (
            after_final
            and final_level is not None
            and any(by_id[w.level] == final_level for w in state.active)
        ):
            state.flags.append(
                {
                    "flag": after_final,
                    "rule": off.rule,
                    "source": [off.source],
                    "on": day.isoformat(),
                    "reason": f"new offence '{off.label}' while a {levels[final_level]['id']} warning is active",
                }
            )
        for _ in range(off.count):
            state.record(by_id[off.level], day, (off.source,), off.rule, off.label, fined=True)
            state.convert(day)
    return LadderOutcome(state.active, state.issued, state.flags, len(offences))


def _plural(lv: dict) -> str:
    if not lv["warning"]:
        return f"{lv['id']} times"
    return f"{lv['id']}s" if lv["id"].endswith("warning") else f"{lv['id']} warnings"


@dataclass
class _Run:
    levels: list[dict]
    active: list[ActiveWarning]
    issued: list[dict]
    flags: list[dict]
    window_months: int
    conversion_fines: bool

    def record(self, i: int, day: date, sources: tuple, rule: str, reason: str, fined: bool) -> None:
        lv = self.levels[i]
        months = lv.get("window") or self.window_months
        if lv["warning"] or lv.get("convert"):  # a flag level keeps records only to convert them
            self.active.append(ActiveWarning(lv["id"], day, add_months(day, months), sources, rule))
        if lv["warning"]:
            self.issued.append(
                {
                    "kind": lv["id"] if lv["id"].endswith("warning") else f"{lv['id']}_warning",
                    "fine": lv["fine"] if fined else Decimal(0),
                    "on": day.isoformat(),
                    "rule": rule,
                    "reason": reason,
                    "source": list(sources),
                }
            )
        else:
            flag = {
                "flag": lv["flag"],
                "rule": rule,
                "source": list(sources),
                "on": day.isoformat(),
                "reason": reason if rule == "conversion" else f"offence '{reason}' of level {lv['id']}",
            }
            if lv.get("suspend_months"):
                flag["suspend_months"] = lv["suspend_months"]
            self.flags.append(flag)

    def convert(self, day: date) -> None:
        changed = True
        while changed:
            changed = False
            for i, lv in enumerate(self.levels):
                n = lv.get("convert")
                if not n or i + 1 >= len(self.levels):
                    continue
                same = [w for w in self.active if w.level == lv["id"]]
                if len(same) >= n:
                    used = sorted(same, key=lambda w: (w.on, w.source))[:n]
                    for w in used:
                        self.active.remove(w)
                    sources = tuple(src for w in used for src in w.source)
                    nxt = self.levels[i + 1]
                    self.record(
                        i + 1,
                        day,
                        sources,
                        "conversion",
                        f"{n} {_plural(lv)} = " + (f"1 {nxt['id']} warning" if nxt["warning"] else nxt["id"]),
                        fined=self.conversion_fines,
                    )
                    changed = True
