"""The roster: agents and teams, fixed for the whole run.

What the data looks like (so that every preset has something to find; the monthly tables are in
:mod:`merit.engine.synth.events`):

* teams of 10-15 agents, one role per team (``售前一组``, ``售后二组``, ``云客服一组`` ...); the first
  agent of a team is its lead; cloud teams are mostly part-time;
* a skewed workload (lognormal activity per agent, scaled by role and days worked) and ~1% outliers each
  of very slow responders, dispute-prone, late-prone and incident-prone agents (at least one of each
  in a small roster, so a demo has someone to penalize); ``level`` is ``L1``-``L4`` by tenure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from merit.engine import tables as T
from merit.engine.synth.columns import V, _format_ids
from merit.engine.synth.params import (
    EMPLOYMENT_P,
    GIVEN,
    INCIDENTS_PER_MONTH,
    LEVELS,
    ROLE_P,
    ROLE_TEAM_PREFIX,
    SURNAMES,
    _rng,
)

# ----------------------------------------------------------------------------------------------------
# The roster: agents and teams, fixed for the whole run


@dataclass
class Roster:
    n: int
    ids: pa.Array  # agent ids, index = agent number
    names: np.ndarray
    team: np.ndarray  # team number per agent
    role: np.ndarray  # 0 pre_sales, 1 after_sales, 2 cloud
    employment: np.ndarray  # 0 regular, 1 probation, 2 part_time
    is_lead: np.ndarray
    team_ids: np.ndarray
    team_names: np.ndarray
    team_lead: np.ndarray  # agent number of each team's lead
    hired_on: np.ndarray
    level: np.ndarray
    base_bonus: np.ndarray  # whole yuan
    # behaviour (fixed per agent; months add a small drift)
    activity: np.ndarray
    shift_start_h: np.ndarray
    rest_dow: np.ndarray
    fr_med: np.ndarray  # first response median, s
    ar_med: np.ndarray  # average response median, s
    reply_rate: np.ndarray
    inquiry_share: np.ndarray
    conversion: np.ndarray
    order_med: np.ndarray  # yuan
    rating_bad: np.ndarray
    solicit: np.ndarray
    dispute: np.ndarray
    self_complete: np.ndarray
    refund_days: np.ndarray
    ticket_speed: np.ndarray
    p_late: np.ndarray
    p_absent: np.ndarray
    incident_rate: np.ndarray
    qa_mean: np.ndarray
    skill: np.ndarray
    returns_rate: np.ndarray
    cost_rate: np.ndarray
    churn: np.ndarray


def _zh_number(n: int) -> str:
    """Chinese numerals for 1..9999 (一, 十二, 二十, 一百零五 ...)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            out += ("零" if zero and out else "") + digits[d] + unit
            zero = False
        else:
            zero = True
    return out


def _pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A boolean mask of ceil(share * n) distinct random agents (at least one): the outliers."""
    mask = np.zeros(n, bool)
    mask[rng.choice(n, size=min(n, int(np.ceil(share * n))), replace=False)] = True
    return mask


def _roster(agents: int, seed: int, start_day: int) -> Roster:
    rng = _rng(seed, "roster")
    n = agents
    n_teams = max(1, int(np.ceil(n / 12.5)))
    weights = rng.uniform(10, 15, n_teams)
    exact = weights / weights.sum() * n
    sizes = np.floor(exact).astype(np.int64)
    sizes[np.argsort(-(exact - sizes), kind="stable")[: n - sizes.sum()]] += 1
    team = np.repeat(np.arange(n_teams), sizes)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    team_role = rng.choice(3, size=n_teams, p=ROLE_P)
    team_role[: min(3, n_teams)] = np.arange(min(3, n_teams))
    role = team_role[team]
    ordinal = np.zeros(n_teams, np.int64)
    for r in range(3):
        ordinal[team_role == r] = np.arange(1, (team_role == r).sum() + 1)
    team_names = np.array(
        [ROLE_TEAM_PREFIX[r] + _zh_number(int(k)) + "组" for r, k in zip(team_role, ordinal, strict=True)]
    )
    tw = max(3, len(str(n_teams)))
    team_ids = np.array([f"T{i + 1:0{tw}d}" for i in range(n_teams)])
    is_lead = np.zeros(n, bool)
    is_lead[first] = True

    employment = np.empty(n, np.int64)
    u = rng.random(n)
    for r in range(3):
        cum = np.cumsum(EMPLOYMENT_P[r])
        employment[role == r] = np.searchsorted(cum, u[role == r], side="right")
    employment = np.minimum(employment, 2)
    employment[is_lead] = 0

    aw = max(5, len(str(n)))
    ids = _format_ids(V(np.arange(1, n + 1), prefix="A", width=aw))
    names = np.char.add(
        np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)],
        np.char.add(
            np.array(GIVEN)[rng.integers(0, len(GIVEN), n)],
            np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], ""),
        ),
    )
    tenure = np.select(
        [employment == 0, employment == 1],
        [rng.integers(120, 2500, n), rng.integers(10, 86, n)],
        rng.integers(30, 900, n),
    )
    tenure[is_lead] += 700
    level = np.minimum(3, tenure // 365 + (rng.random(n) < 0.3)).astype(np.int64)
    bonus_lo = np.select([employment == 0, employment == 1], [12, 8], 8)
    bonus_hi = np.select([employment == 0, employment == 1], [31, 16], 13)
    base_bonus = rng.integers(bonus_lo, bonus_hi) * 100
    base_bonus[is_lead] = np.minimum(3000, base_bonus[is_lead] + 500)

    activity = rng.lognormal(0.0, 0.4, n) * np.where(employment == 2, 0.7, 1.0)
    slow = _pick(rng, n, 0.01)
    disputing = _pick(rng, n, 0.01)
    late_prone = _pick(rng, n, 0.01)
    trouble = _pick(rng, n, 0.01)
    return Roster(
        n=n,
        ids=ids,
        names=names,
        team=team,
        role=role,
        employment=employment,
        is_lead=is_lead,
        team_ids=team_ids,
        team_names=team_names,
        team_lead=first,
        hired_on=start_day - tenure,
        level=level,
        base_bonus=base_bonus,
        activity=activity,
        shift_start_h=np.where(rng.random(n) < 0.55, 9, 14),
        rest_dow=rng.integers(0, 7, n),
        fr_med=np.where(slow, rng.uniform(90, 240, n), np.exp(rng.uniform(np.log(6), np.log(40), n))),
        ar_med=np.where(slow, rng.uniform(60, 150, n), rng.uniform(15, 45, n)),
        reply_rate=np.where(slow, rng.uniform(0.90, 0.96, n), rng.uniform(0.97, 1.0, n)),
        inquiry_share=np.array([0.70, 0.25, 0.60])[role] * rng.uniform(0.9, 1.1, n),
        conversion=rng.uniform(0.40, 0.60, n),
        order_med=rng.uniform(80, 200, n),
        rating_bad=np.where(slow, 3.0, rng.lognormal(0.0, 0.5, n)),
        solicit=np.where(trouble, 0.03, 0.0005),
        dispute=np.where(disputing, rng.uniform(0.08, 0.15, n), rng.uniform(0.01, 0.03, n)),
        self_complete=np.where(disputing, rng.uniform(0.95, 0.98, n), rng.uniform(0.99, 1.0, n)),
        refund_days=np.where(disputing, rng.uniform(2.5, 3.5, n), rng.uniform(0.9, 2.2, n)),
        ticket_speed=np.where(slow, 5.0, rng.lognormal(0.0, 0.3, n)),
        p_late=np.where(late_prone, 0.20, rng.gamma(2.0, 0.015, n)),
        p_absent=np.where(late_prone, 0.04, 0.003),
        incident_rate=np.where(trouble, 8.0, rng.gamma(2.0, INCIDENTS_PER_MONTH / 2.0, n)),
        qa_mean=rng.uniform(78, 94, n),
        skill=rng.normal(78, 8, n),
        returns_rate=rng.uniform(0.02, 0.08, n),
        cost_rate=rng.uniform(0.002, 0.01, n),
        churn=rng.uniform(0.05, 0.20, n),
    )


def _agents_table(r: Roster) -> dict[str, V]:
    return {
        "agent_id": V(np.arange(r.n), vocab=r.ids),
        "name": V(r.names),
        "team_id": V(r.team_ids[r.team]),
        "role": V(r.role, vocab=pa.array(T.ROLES)),
        "employment": V(r.employment, vocab=pa.array(T.EMPLOYMENT)),
        "hired_on": V(r.hired_on),
        "level": V(r.level, vocab=pa.array(LEVELS)),
        "base_bonus": V(r.base_bonus * 100, scale=2),
    }


def _teams_table(r: Roster) -> dict[str, V]:
    return {
        "team_id": V(r.team_ids),
        "name": V(r.team_names),
        "lead_agent_id": V(r.team_lead, vocab=r.ids),
    }
