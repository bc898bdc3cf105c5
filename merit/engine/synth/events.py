"""One month: attendance, then the event tables and the monthly tables, each from its own random stream.

What the data looks like (continued from :mod:`merit.engine.synth.roster`):

* agents work a weekly rota (two rest days, three for part-timers); attendance has one row per scheduled
  day; events happen only on days actually worked; ``minutes_late`` is 1-60 when late, 0 when present
  or leaving early, empty when absent or on leave; about 20% of leave is filed less than 2 h ahead;
* manual scores: ``communication``, ``attitude`` and ``teamwork`` out of 10 (S5 weights), and
  ``supervisor_rating`` on the S6 scale 100/80/70/50 (excellent/good/pass/poor, named in ``note``);
  ``by`` is the team lead's agent id (``manager`` for the lead's own scores);
* exams: about 30% of agents take a knowledge exam each month; in quarter-end months every cloud agent
  takes ``quarterly`` and those who fail re-sit it a week later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from merit.engine import tables as T
from merit.engine.synth.columns import V
from merit.engine.synth.params import (
    BENCHMARKS,
    CHANNEL_P,
    DAY_S,
    EXAM_SHARE,
    EXAMS,
    INCIDENT_P,
    MANUAL_ITEMS,
    POSITIVE_KINDS,
    QA_PER_MONTH,
    RATING_BASE_P,
    RATING_SOURCE_P,
    ROLE_LOAD,
    SEVERITIES,
    SHIFT_HOURS,
    SUPERVISOR_RATINGS,
    TICKET_KIND_P,
    VOLUME,
    _rng,
)
from merit.engine.synth.roster import Roster

# ----------------------------------------------------------------------------------------------------
# One month


@dataclass
class Month:
    period: str
    first_day: int  # days since epoch of the 1st (local)
    n_days: int
    n_worked: np.ndarray
    worked_days: np.ndarray  # (agents, n_days): worked day numbers first, in order
    drift: np.ndarray  # per-agent multiplicative drift of this month's volumes


def _month(start: np.datetime64, i: int) -> tuple[str, int, int]:
    m = start + np.timedelta64(i, "M")
    first = int(m.astype("datetime64[D]").astype(np.int64))
    nxt = int((m + np.timedelta64(1, "M")).astype("datetime64[D]").astype(np.int64))
    return str(m), first, nxt - first


def _attendance(r: Roster, seed: int, mi: int, first: int, n_days: int):
    rng = _rng(seed, "attendance", mi)
    day = first + np.arange(n_days)
    dow = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    rest = np.where(r.employment == 2, 3, 2)
    off = (dow[None, :] - r.rest_dow[:, None]) % 7
    scheduled = off >= rest[:, None]
    a_idx, d_idx = np.nonzero(scheduled)  # row-major: sorted by agent, then date
    n = len(a_idx)
    p_early, p_leave = 0.01, 0.025
    c1 = r.p_late[a_idx]
    c2 = c1 + p_early
    c3 = c2 + r.p_absent[a_idx]
    c4 = c3 + p_leave
    u = rng.random(n)
    status = np.select([u < c1, u < c2, u < c3, u < c4], [1, 2, 3, 4], 0)
    late = status == 1
    minutes_late = np.where(late, np.minimum(60, 1 + np.floor(rng.exponential(12.0, n))), 0).astype(np.int64)
    shift_start = (first + d_idx) * DAY_S + r.shift_start_h[a_idx] * 3600
    leave = status == 4
    hours_before = np.where(rng.random(n) < 0.2, rng.uniform(0.1, 2.0, n), rng.uniform(2.0, 72.0, n))
    filed = shift_start - (np.round(hours_before * 60) * 60).astype(np.int64)
    cols = {
        "agent_id": V(a_idx, vocab=r.ids),
        "date": V(first + d_idx),
        "status": V(status, vocab=pa.array(T.ATTENDANCE_STATUS)),
        "minutes_late": V(minutes_late, valid=status < 3),
        "shift_start": V(shift_start),
        "leave_filed_at": V(filed, valid=leave),
    }
    worked = np.zeros((r.n, n_days), bool)
    worked[a_idx, d_idx] = status < 3
    return cols, worked


def _event_times(rng, r: Roster, m: Month, agent: np.ndarray) -> np.ndarray:
    """Local epoch seconds of events of the given agents: on a day they worked, within their shift."""
    k = rng.integers(0, np.maximum(m.n_worked[agent], 1))
    day = m.worked_days[agent, k]
    return (
        (m.first_day + day) * DAY_S
        + r.shift_start_h[agent] * 3600
        + rng.integers(0, SHIFT_HOURS * 3600, len(agent))
    )


def _events(rng, r: Roster, m: Month, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per agent, then (agent, time) per event sorted by time then agent."""
    counts = rng.poisson(expected * (m.n_worked > 0))
    agent = np.repeat(np.arange(r.n, dtype=np.int64), counts)
    t = _event_times(rng, r, m, agent) - m.first_day * DAY_S  # seconds since the 1st, < 2**22
    key = t * r.n + agent  # one int64 sort instead of an argsort and a gather per column
    key.sort()
    return key % r.n, key // r.n + m.first_day * DAY_S


def _expected(r: Roster, m: Month, table: str, scale: float) -> np.ndarray:
    w = r.activity * np.array(ROLE_LOAD[table])[r.role] * m.n_worked * m.drift
    mean = w.mean()
    return np.zeros(r.n) if mean == 0 else VOLUME[table] * scale * w / mean


def _bern(rng, p: np.ndarray) -> np.ndarray:
    return rng.random(len(p)) < p


def _chats(rng, r, m, scale, id0):
    a, t = _events(rng, r, m, _expected(r, m, "chats", scale))
    n = len(a)
    replied = _bern(rng, r.reply_rate[a])
    fr = np.maximum(1, np.rint(r.fr_med[a] * rng.lognormal(0.0, 0.6, n)))
    ar = np.maximum(1, np.rint(r.ar_med[a] * rng.lognormal(0.0, 0.35, n)))
    inquiry = _bern(rng, r.inquiry_share[a])
    converted = inquiry & replied & _bern(rng, r.conversion[a])
    cents = np.rint(r.order_med[a] * rng.lognormal(0.0, 0.8, n) * 100).astype(np.int64)
    cols = {
        "chat_id": V(id0 + np.arange(1, n + 1), prefix="CH", width=10),
        "agent_id": V(a, vocab=r.ids),
        "started_at": V(t),
        "first_response_s": V(fr, valid=replied),
        "avg_response_s": V(ar, valid=replied),
        "replied": V(replied),
        "inquiry": V(inquiry),
        "converted": V(converted),
        "order_amount": V(cents, valid=converted, scale=2),
    }
    order_cents = np.bincount(a, weights=np.where(converted, cents, 0), minlength=r.n)
    customers = np.bincount(a, weights=inquiry, minlength=r.n)
    return cols, np.rint(order_cents).astype(np.int64), np.rint(customers).astype(np.int64)


def _tickets(rng, r, m, scale, id0):
    a, t = _events(rng, r, m, _expected(r, m, "tickets", scale))
    n = len(a)
    speed = r.ticket_speed[a]
    first = t + np.rint(60 * 5 * speed * rng.lognormal(0.0, 0.9, n)).astype(np.int64)
    responded = rng.random(n) < 0.99
    resolved = responded & (rng.random(n) < 0.96)
    res = first + np.rint(3600 * 5 * speed * rng.lognormal(0.0, 1.2, n)).astype(np.int64)
    closed = resolved & (rng.random(n) < 0.9)
    clo = res + np.rint(3600 * 24 * rng.lognormal(0.0, 0.8, n)).astype(np.int64)
    cols = {
        "ticket_id": V(id0 + np.arange(1, n + 1), prefix="TK", width=10),
        "agent_id": V(a, vocab=r.ids),
        "kind": V(rng.choice(len(T.TICKET_KINDS), n, p=TICKET_KIND_P), vocab=pa.array(T.TICKET_KINDS)),
        "channel": V(rng.choice(len(T.CHANNELS), n, p=CHANNEL_P), vocab=pa.array(T.CHANNELS)),
        "created_at": V(t),
        "first_response_at": V(first, valid=responded),
        "resolved_at": V(res, valid=resolved),
        "closed_at": V(clo, valid=closed),
        "reopened": V(resolved & (rng.random(n) < 0.03)),
        "transfers": V(rng.poisson(0.15, n)),
    }
    return cols


def _ratings(rng, r, m, scale, id0):
    a, t = _events(rng, r, m, _expected(r, m, "ratings", scale))
    n = len(a)
    p = np.minimum(np.array(RATING_BASE_P)[None, :] * r.rating_bad[:, None], 0.15)
    cum = np.cumsum(p, axis=1)[a]  # P(score <= 1..4) per rating
    score = 1 + (rng.random(n)[:, None] >= cum).sum(axis=1)
    source = rng.choice(3, n, p=RATING_SOURCE_P)
    praise = (score == 5) & (source < 2) & (rng.random(n) < 0.03)
    return {
        "rating_id": V(id0 + np.arange(1, n + 1), prefix="RT", width=10),
        "agent_id": V(a, vocab=r.ids),
        "at": V(t),
        "score": V(score, scale=0),
        "source": V(source, vocab=pa.array(T.RATING_SOURCES)),
        "named_praise": V(praise),
        "solicited": V(_bern(rng, r.solicit[a])),
    }


def _refunds(rng, r, m, scale, id0):
    a, t = _events(rng, r, m, _expected(r, m, "refunds", scale))
    n = len(a)
    days = np.clip(rng.gamma(3.0, r.refund_days[a] / 3.0), 0.2, 4.0)
    done = rng.random(n) < 0.97
    return {
        "refund_id": V(id0 + np.arange(1, n + 1), prefix="RF", width=10),
        "agent_id": V(a, vocab=r.ids),
        "requested_at": V(t),
        "completed_at": V(t + np.rint(days * DAY_S).astype(np.int64), valid=done),
        "amount": V(np.rint(rng.lognormal(np.log(90), 0.9, n) * 100).astype(np.int64), scale=2),
        "disputed": V(_bern(rng, r.dispute[a])),
        "self_completed": V(_bern(rng, r.self_complete[a])),
    }


def _redemptions(rng, r, m, id0):
    """A few agents a month spend points on a prize or to offset a fine (S2)."""
    a, t = _events(rng, r, m, np.full(r.n, 0.08))
    n = len(a)
    kind = (rng.random(n) < 0.3).astype(np.int64)  # 0 prize, 1 fine_offset
    return {
        "redemption_id": V(id0 + np.arange(1, n + 1), prefix="RD", width=10),
        "agent_id": V(a, vocab=r.ids),
        "at": V(t),
        "points": V(rng.integers(5, 31, n)),
        "kind": V(kind, vocab=pa.array(T.REDEMPTION_KINDS)),
        "note": V(kind, vocab=pa.array(["兑换奖品", "抵扣罚款"])),
    }


def _qa(rng, r, m, id0):
    a, t = _events(rng, r, m, QA_PER_MONTH * (m.n_worked > 0))
    n = len(a)
    critical = rng.random(n) < 0.02
    score = np.clip(rng.normal(r.qa_mean[a], 5.0), 60, 100)
    score = np.where(critical, np.minimum(score, rng.uniform(60, 70, n)), score)
    return {
        "review_id": V(id0 + np.arange(1, n + 1), prefix="QA", width=10),
        "agent_id": V(a, vocab=r.ids),
        "at": V(t),
        "score": V(np.rint(score * 2).astype(np.int64) * 5, scale=1),  # half points: 87.5
        "critical_fail": V(critical),
    }


def _incidents(rng, r, m, id0):
    a, t = _events(rng, r, m, r.incident_rate * m.drift)
    n = len(a)
    kinds = list(INCIDENT_P)
    w = np.array(list(INCIDENT_P.values()))
    kind = rng.choice(len(kinds), n, p=w / w.sum())
    kind_arr = np.array(kinds)
    is_error = np.char.startswith(kind_arr, "error.")[kind]
    positive = np.isin(kind_arr, POSITIVE_KINDS)[kind]
    major = kind == kinds.index("error.major")
    severity = np.where(major, 2, rng.choice(3, n, p=(0.65, 0.28, 0.07)))
    loss_med = np.select([major, kind == kinds.index("error.loss")], [8000.0, 300.0], 80.0)
    has_loss = is_error & (major | (kind == kinds.index("error.loss")) | (rng.random(n) < 0.4))
    loss = np.rint(loss_med * rng.lognormal(0.0, 0.8, n) * 100).astype(np.int64)
    notes = pa.array([T.INCIDENT_KINDS[k].split(" / ")[0] for k in kinds])
    return {
        "incident_id": V(id0 + np.arange(1, n + 1), prefix="IN", width=10),
        "agent_id": V(a, vocab=r.ids),
        "at": V(t),
        "kind": V(kind, vocab=pa.array(kinds)),
        "severity": V(severity, valid=~positive, vocab=pa.array(SEVERITIES)),
        "loss_amount": V(loss, valid=has_loss, scale=2),
        "note": V(kind, vocab=notes),
    }


def _exams(rng, r, m):
    quarter_end = int(m.period[5:7]) % 3 == 0
    takes = rng.random(r.n) < EXAM_SHARE
    exam = rng.integers(0, len(EXAMS), r.n)
    names = [*EXAMS, "quarterly"]
    if quarter_end:
        exam = np.where(r.role == 2, len(EXAMS), exam)
        takes |= r.role == 2
    a = np.nonzero(takes)[0]
    n = len(a)
    day = rng.integers(0, min(15, m.n_days), n)
    at = (m.first_day + day) * DAY_S + rng.choice([10, 14, 16], n) * 3600
    score = np.clip(np.rint(rng.normal(r.skill[a], 10.0)), 40, 100).astype(np.int64)
    # A failed quarterly exam is re-sat a week or so later (S4: failing the re-sit cancels qualification).
    resit = (exam[a] == len(EXAMS)) & (score < 60)
    ra = a[resit]
    r_at = at[resit] + rng.integers(7, 11, len(ra)) * DAY_S
    r_score = np.clip(np.rint(rng.normal(r.skill[ra] + 5, 10.0)), 40, 100).astype(np.int64)
    agent = np.concatenate([a, ra])
    order = np.lexsort((agent, np.concatenate([at, r_at])))
    score = np.concatenate([score, r_score])[order]
    return {
        "agent_id": V(agent[order], vocab=r.ids),
        "at": V(np.concatenate([at, r_at])[order]),
        "exam": V(np.concatenate([exam[a], exam[ra]])[order], vocab=pa.array(names)),
        "score": V(score, scale=0),
        "passed": V(score >= 60),
    }


def _sales(rng, r, m, order_cents, customers):
    returns = np.rint(order_cents * np.clip(r.returns_rate * rng.lognormal(0, 0.15, r.n), 0, 0.2))
    cost = np.rint(order_cents * np.clip(r.cost_rate * rng.lognormal(0, 0.15, r.n), 0, 0.05))
    lost = np.rint(customers * np.clip(r.churn * rng.lognormal(0, 0.15, r.n), 0, 1))
    return {
        "period": V(np.full(r.n, m.period)),
        "agent_id": V(np.arange(r.n), vocab=r.ids),
        "order_amount": V(order_cents, scale=2),
        "returns_amount": V(returns.astype(np.int64), scale=2),
        "after_sales_cost": V(cost.astype(np.int64), scale=2),
        "customers": V(customers),
        "lost_customers": V(lost.astype(np.int64)),
    }


def _manual(rng, r, m):
    k = len(MANUAL_ITEMS)
    agent = np.repeat(np.arange(r.n), k)
    item = np.tile(np.arange(k), r.n)
    n = len(agent)
    quality = (r.qa_mean[agent] - 86) / 8  # supervisors agree with QA, roughly
    out_of_ten = np.clip(np.rint((8 + quality + rng.normal(0, 0.8, n)) * 2) * 5, 40, 100)  # 4.0..10.0
    sup = np.clip(np.rint(1.2 - quality + rng.normal(0, 0.7, n)), 0, 3).astype(np.int64)
    is_sup = item == k - 1
    units = np.where(is_sup, np.array([s for s, _ in SUPERVISOR_RATINGS])[sup] * 10, out_of_ten)
    # entered by the team's supervisor (merit demo names them sup-t001, …), never by an agent
    by = np.char.add("sup-", np.char.lower(r.team_ids[r.team[agent]].astype(str)))
    note = np.array([z for _, z in SUPERVISOR_RATINGS])[sup]
    return {
        "agent_id": V(agent, vocab=r.ids),
        "period": V(np.full(n, m.period)),
        "item": V(item, vocab=pa.array(MANUAL_ITEMS)),
        "score": V(units.astype(np.int64), scale=1),
        "by": V(by),
        "note": V(note, valid=is_sup),
    }


def _benchmarks(rng, m):
    k = len(BENCHMARKS)
    base = np.array([b for _, b, _ in BENCHMARKS])
    noise = np.array([s for _, _, s in BENCHMARKS])
    value = base * (1 + rng.normal(0, 1, k) * noise)
    value[2] = min(value[2], 0.9999)
    return {
        "period": V(np.full(k, m.period)),
        "metric": V(np.array([name for name, _, _ in BENCHMARKS])),
        "value": V(np.rint(value * 10_000).astype(np.int64), scale=4),
    }
