"""From a run's results.json to ledger entries, and from two runs' entries to a correction. Pure: no
database, no Django; every amount is a ``Decimal`` with 2 places.

Books and signs: ``points`` (积分) and ``money`` (金额, CNY). A positive amount is a credit to the agent
(points earned, money paid to them), a negative one a debit (points lost, a fine). The balance of a book
is the sum of its entries. See docs/ledgers.md for every category and the rounding rule.

Each draft has a stable ``key`` (agent, period, book, category, rule, source rows, and the occurrence
of that combination), so the entries of a run and of the run that corrects it can be matched: an entry
whose key and amount are unchanged stays, every other one is reversed and issued again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

POINTS = "points"
MONEY = "money"
BOOKS = (POINTS, MONEY)

# points book
OPENING = "opening"  # a new cycle's allotment (+)
EXPIRY = "expiry"  # the previous cycle's balance lapses at a reset (−)
AWARD = "award"  # points earned (+)
DEDUCTION = "deduction"  # points lost (−)
REDEMPTION = "redemption"  # points spent (兑换, e.g. to offset a fine) (−)
# money book
FINE = "fine"  # 罚款 / 乐捐 (−)
FINE_OFFSET = "fine_offset"  # a fine paid with points (积分抵扣罚款) (+)
REWARD = "reward"  # 奖励 (+)
TEAM_REWARD = "team_reward"  # the agent's share of an amount given to the team (+)
BONUS = "bonus"  # the month bonus before adjustments: base × factor (+)
BONUS_CUT = "bonus_cut"  # adjustments that lower the bonus (−)
BONUS_RAISE = "bonus_raise"  # adjustments that raise it (+)
FEE = "fee"  # the service fee of a cloud agent (云客服服务费) (+)

CATEGORIES = {
    POINTS: (OPENING, EXPIRY, AWARD, DEDUCTION, REDEMPTION),
    MONEY: (FINE, FINE_OFFSET, REWARD, TEAM_REWARD, BONUS, BONUS_CUT, BONUS_RAISE, FEE),
}

# Parts of a source row that are values read, not the row's identity: a metric's numerator and
# denominator change when facts are corrected, the row they describe does not.
SOURCE_VALUES = ("num", "den")


@dataclass(frozen=True)
class Draft:
    """One ledger entry to post: what results.json says, before it has a run or an id."""

    agent_id: str
    period: str
    book: str
    category: str
    rule: str
    amount: Decimal
    source: list = field(default_factory=list)
    label: str = ""
    occurrence: int = 1  # the n-th draft with the same agent, period, book, category, rule and source

    @property
    def key(self) -> str:
        return entry_key(
            self.agent_id, self.period, self.book, self.category, self.rule, self.source, self.occurrence
        )


class Keyed(Protocol):
    key: str
    amount: Decimal


def entry_key(
    agent_id: str, period: str, book: str, category: str, rule: str, source: list, occurrence: int
) -> str:
    """SHA-256 (hex) of the canonical JSON of what identifies an entry across runs."""
    identity = [{k: v for k, v in sorted(row.items()) if k not in SOURCE_VALUES} for row in source]
    text = json.dumps(
        [agent_id, period, book, category, rule, identity, occurrence],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def cents(value) -> Decimal:
    """``value`` as money or points: rounded half up (四舍五入) to 0.01."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# ---- results.json → drafts -------------------------------------------------------------------------------


def entries_from_results(doc: dict) -> list[Draft]:
    """The ledger drafts of a results.json document, in a stable order (period, then agents as listed,
    points before money). Zero amounts are left out: they move no balance."""
    drafts: list[Draft] = []
    for period in doc["periods"]:
        p = period["period"]
        shares = _team_shares(period)
        for agent in period["agents"]:
            a = agent["agent_id"]
            drafts += _points(a, p, agent.get("points"), agent.get("state_in") or {})
            drafts += _money(a, p, agent)
            drafts += shares.get(a, [])
            drafts += _bonus(a, p, agent)
            drafts += _fee(a, p, agent.get("fee"))
    return _numbered([d for d in drafts if d.amount != 0])


def _numbered(drafts: list[Draft]) -> list[Draft]:
    """Number drafts that share agent, period, book, category, rule and source (1, 2, …), in the order of
    results.json (which is deterministic)."""
    seen: Counter = Counter()
    out = []
    for d in drafts:
        seen[d.key] += 1  # every draft comes in with occurrence 1: its key names the combination
        out.append(replace(d, occurrence=seen[d.key]))
    return out


def _points(a: str, p: str, points: dict | None, state_in: dict) -> list[Draft]:
    """A new cycle (``opening_from`` start or reset) opens with its allotment, after the balance handed on
    by the previous cycle (``state_in.points``) lapses; a carried balance posts nothing. So the balance
    of the book after a period is the period's ``closing``."""
    if not points:
        return []
    out = []
    opened = points.get("opening_from", "start")
    if opened in ("start", "reset"):
        cycle = points.get("cycle") or p
        if opened == "reset" and state_in.get("points") is not None:
            out.append(Draft(a, p, POINTS, EXPIRY, "points.reset", -cents(state_in["points"]), [], cycle))
        out.append(Draft(a, p, POINTS, OPENING, "points.opening", cents(points["opening"]), [], cycle))
    for e in points.get("entries", []):
        amount = cents(e["points"])
        source = e.get("source") or []
        if any(row.get("table") == "redemptions" for row in source) and amount < 0:
            category = REDEMPTION
        else:
            category = AWARD if amount > 0 else DEDUCTION
        out.append(Draft(a, p, POINTS, category, e["rule"], amount, source, e.get("label", "")))
    return out


def _money(a: str, p: str, agent: dict) -> list[Draft]:
    out = []
    for e in (agent.get("money") or {}).get("entries", []):
        amount = cents(e["amount"])
        sign, category = {"fine": (-1, FINE), "reward": (1, REWARD), "offset": (1, FINE_OFFSET)}[e["kind"]]
        out.append(Draft(a, p, MONEY, category, e["rule"], sign * amount, e.get("source") or [], e["label"]))
    # Fines of a warning ladder (乐捐 with a verbal warning, …) live only in the sanctions; a sanction of
    # kind "fine" repeats a money rule's entry above and is not posted twice.
    for s in agent.get("sanctions") or []:
        if s["kind"] != "fine" and s.get("fine") and cents(s["fine"]) != 0:
            rule = s.get("rule") or s["kind"]
            out.append(Draft(a, p, MONEY, FINE, rule, -cents(s["fine"]), s.get("source") or [], s["reason"]))
    return out


def _team_shares(period: dict) -> dict[str, list[Draft]]:
    """An amount a team rule gives the team (``team_amount``) split equally among the team's agents of
    the period, in agent order, by the largest-remainder method (see :func:`split`)."""
    members: dict[str, list[str]] = {}
    for agent in period["agents"]:
        members.setdefault(agent["team_id"], []).append(agent["agent_id"])
    out: dict[str, list[Draft]] = {}
    for team in period.get("teams", []):
        ids = sorted(members.get(team["team_id"], []))
        for r in team.get("rules", []):
            if not r.get("team_amount") or not ids:
                continue
            source = [{"table": "teams", "id": team["team_id"]}]
            for a, share in zip(ids, split(cents(r["team_amount"]), [1] * len(ids)), strict=True):
                d = Draft(
                    a, period["period"], MONEY, TEAM_REWARD, r["rule"], share, source, r.get("label", "")
                )
                out.setdefault(a, []).append(d)
    return out


def _agent_source(a: str, *formulas) -> list[dict]:
    """The agents row when a formula reads it (``agent.base_bonus``)."""
    return [{"table": "agents", "id": a}] if any(f and "agent." in f for f in formulas) else []


def _bonus(a: str, p: str, agent: dict) -> list[Draft]:
    """The bonus as paid, in two parts when adjustments changed it: ``bonus`` = base × factor (rounded
    half up to 0.01) and ``bonus_cut`` / ``bonus_raise`` = the paid bonus − that, so the two add up
    exactly to the bonus of results.json (rounding to whole yuan and a floor at zero included)."""
    if agent.get("bonus") is None:
        return []
    paid = cents(agent["bonus"])
    explain = agent.get("bonus_explain") or {}
    inputs, formula = explain.get("inputs") or {}, explain.get("formula") or {}
    source = _agent_source(a, formula.get("base"), formula.get("factor"))
    label = explain.get("rule", "")
    adjust = Decimal(inputs.get("adjustments_percent") or 0)
    if adjust == 0 or inputs.get("base") is None:
        return [Draft(a, p, MONEY, BONUS, "bonus", paid, source, label)]
    gross = cents(Decimal(inputs["base"]) * Decimal(inputs.get("factor") or 1))
    change = paid - gross
    steps = "; ".join(explain.get("steps") or [])
    out = [Draft(a, p, MONEY, BONUS, "bonus", gross, source, label)]
    out.append(
        Draft(a, p, MONEY, BONUS_CUT if change < 0 else BONUS_RAISE, "bonus.adjustments", change, [], steps)
    )
    return out


def _fee(a: str, p: str, fee: dict | None) -> list[Draft]:
    if not fee:
        return []
    source = _agent_source(a, fee.get("formula"))
    return [Draft(a, p, MONEY, FEE, "fee", cents(fee["amount"]), source, fee.get("formula", ""))]


# ---- corrections -----------------------------------------------------------------------------------------


def diff(old: Iterable[Keyed], new: Iterable[Keyed]) -> tuple[list, list]:
    """What a correction changes: ``(to_reverse, to_post)``. An old entry whose key is in ``new`` with the
    same amount stays; every other old entry is reversed, every other new one posted. So for every agent
    and book, −Σ to_reverse + Σ to_post = Σ new − Σ old."""
    new = list(new)
    new_amounts = {n.key: n.amount for n in new}
    old = list(old)
    old_amounts = {o.key: o.amount for o in old}
    to_reverse = [o for o in old if new_amounts.get(o.key) != o.amount]
    to_post = [n for n in new if old_amounts.get(n.key) != n.amount]
    return to_reverse, to_post


# ---- splitting an amount ---------------------------------------------------------------------------------


def split(total: Decimal, weights: Sequence) -> list[Decimal]:
    """``total`` shared in proportion to ``weights``, in cents, adding up exactly to ``total``.

    The total is first rounded half up to 0.01. Each part's exact share is cut down to whole cents; the
    cents left over go one each to the parts with the largest remainders (ties: the earlier part first).
    A negative total is split as its absolute value, every part negated. Weights must be ≥ 0 with a
    positive sum."""
    weights = [Fraction(Decimal(str(w))) for w in weights]
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("split needs at least one weight, none negative, with a positive sum")
    total = cents(total)
    sign = -1 if total < 0 else 1
    units = int(abs(total) / CENT)  # whole cents
    whole = sum(weights)
    exact = [units * w / whole for w in weights]  # exact fractions: no rounding before the remainders
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [Decimal(sign * n) * CENT for n in parts]
