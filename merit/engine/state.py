"""State carried from one month to the next: points balances, streaks of period-end checks.

A period range (``--period 2026-01..2026-12``) assesses month by month, handing each agent's closing
state to the next month. The same state is written into results.json (``state_in``/``state_out`` of
every agent), and ``merit assess --state results.json`` starts a single month from the closing state of
the month before, so a month gives the same result alone or inside a range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from merit.engine.metrics.compute import Period

RESETS = ("month", "quarter", "year", "never")
CHECK_POINTS = ("month_end", "quarter_end", "year_end")


def cycle_of(period: Period, reset: str) -> str:
    """The balance cycle a month belongs to: a new cycle starts from the opening balance."""
    match reset:
        case "month":
            return str(period)
        case "quarter":
            return f"{period.year}Q{(period.month - 1) // 3 + 1}"
        case "year":
            return str(period.year)
    return "all"


def is_check_point(period: Period, at: str) -> bool:
    """Whether a period-end check (``month_end``, ``quarter_end``, ``year_end``) runs at this month's end."""
    match at:
        case "month_end":
            return True
        case "quarter_end":
            return period.month % 3 == 0
        case "year_end":
            return period.month == 12
    raise ValueError(f"unknown check point {at!r}")


def advance_streak(
    streaks: dict[str, int], rule_id: str, held: bool, needed: int, once: bool = False
) -> tuple[int, bool]:
    """One check point of a rule that needs its condition ``needed`` check points in a row: the new
    length of the run (0 after a miss) and whether the rule applies now — at every check point from
    the ``needed``-th on, or with ``once`` only at the ``needed``-th (once per streak). Runs of rules
    with ``needed`` > 1 are kept in ``streaks`` under the rule's id, so they carry across months."""
    run = streaks.get(rule_id, 0) + 1 if held else 0
    if needed > 1:
        streaks[rule_id] = run
    return run, held and (run == needed if once else run >= needed)


@dataclass
class AgentState:
    points: Decimal | None = None  # the closing balance of the last month assessed
    cycle: str | None = None  # the cycle that balance belongs to
    streaks: dict[str, int] = field(default_factory=dict)  # check rule → consecutive check points held
    warnings: list[dict] = field(default_factory=list)  # active ladder warnings (ladder.ActiveWarning json)
    occurrences: dict[str, list[str]] = field(default_factory=dict)  # money rule → dates still in its window
    suspended_through: str | None = None  # last month (YYYY-MM) of a suspension (停止服务)
    level: str | None = None  # the level the agent holds next month (level ladders)

    def to_json(self) -> dict:
        return {
            "points": None if self.points is None else str(self.points),
            "cycle": self.cycle,
            "streaks": dict(sorted(self.streaks.items())),
            "warnings": list(self.warnings),
            "occurrences": {k: list(v) for k, v in sorted(self.occurrences.items()) if v},
            "suspended_through": self.suspended_through,
            "level": self.level,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> AgentState:
        data = data or {}
        pts = data.get("points")
        return cls(
            points=None if pts is None else Decimal(pts),
            cycle=data.get("cycle"),
            streaks={str(k): int(v) for k, v in (data.get("streaks") or {}).items()},
            warnings=list(data.get("warnings") or []),
            occurrences={str(k): list(v) for k, v in (data.get("occurrences") or {}).items()},
            suspended_through=data.get("suspended_through"),
            level=data.get("level"),
        )


@dataclass
class CarriedState:
    """Every agent's state at the end of ``period`` (None: nothing carried, a fresh start)."""

    period: Period | None = None
    policy_sha256: str | None = None
    agents: dict[str, AgentState] = field(default_factory=dict)
    teams: dict[str, dict[str, int]] = field(default_factory=dict)  # team → team rule streaks
    history_from: Period | None = None  # the first month whose facts this state rests on (lookback.py)

    def get(self, agent_id: str) -> AgentState:
        return self.agents.get(agent_id) or AgentState()


class StateError(ValueError):
    """A carried state that does not fit this run (other policy version, not the month before)."""


def state_from_results(doc: dict, policy_sha256: str, first_period: Period) -> CarriedState:
    """The closing state of the last month of a previous results.json, checked to be the month right
    before ``first_period`` and from the same policy version."""
    try:
        last = doc["periods"][-1]
        period = Period.parse(last["period"])
        sha = doc["policy"]["sha256"]
        agents = {a["agent_id"]: AgentState.from_json(a.get("state_out")) for a in last["agents"]}
        teams = {
            t["team_id"]: {
                str(k): int(v) for k, v in ((t.get("state_out") or {}).get("streaks") or {}).items()
            }
            for t in last.get("teams", [])
        }
        # the first month of facts the earlier run rested on; a document without it (a policy with no
        # rule over time, or an older engine) rests on the facts from its own first month
        history = (last.get("history") or {}).get("from") or doc["periods"][0]["period"]
        history_from = Period.parse(history)
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise StateError(f"not a merit results.json with carried state ({e})") from None
    if sha != policy_sha256:
        raise StateError(
            f"the state was computed with another policy version (sha256 {sha[:12]}…, this one {policy_sha256[:12]}…)"
        )
    if period.shift(1) != first_period:
        raise StateError(
            f"the state ends in {period}; it can only start {period.shift(1)}, not {first_period}"
        )
    return CarriedState(period, sha, agents, teams, history_from)
