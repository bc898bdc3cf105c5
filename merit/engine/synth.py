"""Seeded synthetic data packages (``merit synth``): realistic, vectorized, byte-for-byte reproducible.

``synth(out, agents=N, months=M, seed=S)`` writes one file per table of :data:`tables.TABLES` into ``out``
and returns the row count of each table. The same arguments always give byte-identical files (numpy's
``Generator`` only, seeded per table and month, so a change in one table never shifts another).

Scale: 10,000 agents x 1 month is about 20 million events (chats ~1500, tickets ~300, ratings ~140,
refunds ~40 per agent and month, plus attendance, QA, incidents, exams and the monthly tables). Every
draw is vectorized (one pass per table and month); big tables are converted and written in chunks of
``ROW_GROUP`` rows, so memory stays bounded and each chunk is one Parquet row group.

Time convention (read this before loading a package):

* CSV: timestamps are ISO 8601 without a zone (``2026-03-05T10:15:00``) and mean Asia/Shanghai local
  time, as the data-package contract says; dates are ``YYYY-MM-DD`` local dates.
* Parquet: timestamps are ``timestamp('us')`` columns *without* a zone that hold the **UTC** instant
  (local time minus 8 hours); the file's schema metadata says so (``merit.timestamps = UTC``). Dates
  (``attendance.date``) are local dates in both formats.
* Events of month M fall inside month M in Asia/Shanghai local time, within the agent's shift
  (09:00-18:00 or 14:00-23:00). Follow-up times (``resolved_at``, ``completed_at``, ...) may spill into
  the next month, as they do in real exports.

Money and other DECIMAL columns: CSV holds decimal strings (money with 2 places, rating scores as whole
numbers, as are exam scores; QA and manual scores with 1 place, benchmark values with 4 places); Parquet holds
``decimal128(18, 4)``, matching ``tables.TYPE_SQL``. No value ever passes through a float on its way out:
draws are rounded to integer units first.

What the data looks like (so that every preset has something to find):

* teams of 10-15 agents, one role per team (``售前一组``, ``售后二组``, ``云客服一组`` ...); the first
  agent of a team is its lead; cloud teams are mostly part-time;
* a skewed workload (lognormal activity per agent, scaled by role and days worked) and ~1% outliers each
  of very slow responders, dispute-prone, late-prone and incident-prone agents (at least one of each
  in a small roster, so a demo has someone to penalize); ``level`` is ``L1``-``L4`` by tenure;
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

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from merit.engine import tables as T

ROW_GROUP = 1_000_000
SHANGHAI_UTC_OFFSET_S = 8 * 3600
DAY_S = 86400
SHIFT_HOURS = 9  # shifts start at 09:00 or 14:00 local, so every event lies within 09:00-23:00

# Mean events per agent and month at scale=1.0 (``scale`` multiplies the first four).
VOLUME = {"chats": 1500.0, "tickets": 300.0, "ratings": 140.0, "refunds": 40.0}
QA_PER_MONTH = 8.0
INCIDENTS_PER_MONTH = 2.0
EXAM_SHARE = 0.3
MANUAL_ITEMS = ("communication", "attitude", "teamwork", "supervisor_rating")
SUPERVISOR_RATINGS = ((100, "优秀"), (80, "良好"), (70, "合格"), (50, "较差"))
# Industry averages and other reference values: (metric, typical value, relative month-to-month noise).
BENCHMARKS = (
    ("refund_dispute_rate", 0.02, 0.08),
    ("refund_completion_days", 1.5, 0.05),
    ("refund_self_completion_rate", 0.995, 0.001),
    ("dsr", 4.7, 0.004),
    ("complaint_rate", 0.01, 0.08),
    ("first_response_s", 20.0, 0.05),
)
EXAMS = ("product_knowledge", "service_rules", "platform_rules")
LEVELS = ("L1", "L2", "L3", "L4")

# Role mix of the teams and how each role's workload leans (normalized per table afterwards).
ROLE_P = (0.45, 0.40, 0.15)  # pre_sales, after_sales, cloud
ROLE_LOAD = {
    "chats": (1.35, 0.55, 1.10),
    "tickets": (0.35, 1.90, 0.60),
    "ratings": (1.00, 1.00, 1.00),
    "refunds": (0.30, 2.00, 0.50),
}
ROLE_TEAM_PREFIX = ("售前", "售后", "云客服")
EMPLOYMENT_P = {0: (0.82, 0.12, 0.06), 1: (0.82, 0.12, 0.06), 2: (0.10, 0.15, 0.75)}

TICKET_KIND_P = (0.22, 0.18, 0.10, 0.05, 0.06, 0.06, 0.20, 0.10, 0.03)  # order of tables.TICKET_KINDS
CHANNEL_P = (0.45, 0.15, 0.05, 0.20, 0.15)  # order of tables.CHANNELS
RATING_SOURCE_P = (0.50, 0.35, 0.15)  # survey, review, dsr
RATING_BASE_P = (0.02, 0.01, 0.04, 0.15)  # scores 1..4; the rest is 5
INCIDENT_P = {
    "complaint.attitude": 20,
    "complaint.rights": 3,
    "complaint.other": 3,
    "error.order_note": 12,
    "error.order": 8,
    "error.reissue": 6,
    "error.gift": 5,
    "error.price_cut": 4,
    "error.major": 0.7,
    "error.loss": 5,
    "shirking": 4,
    "discipline.distraction": 6,
    "praise.named": 15,
    "praise.solicited": 1,
    "suggestion.adopted": 4,
    "issue.reported": 3,
    "partner.untracked": 2,
    "info_leak": 0.3,
}
SEVERITIES = ("minor", "moderate", "serious")
POSITIVE_KINDS = ("praise.named", "suggestion.adopted", "issue.reported")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲晶婷雪琳宇浩凯欣怡佳雨思涵子轩梓晨"
)

# Stable codes for the per-table random streams (never reorder: they make the output).
_STREAMS = ("roster", "attendance", "chats", "tickets", "ratings", "refunds", "qa_reviews", "incidents")
_STREAMS += ("exams", "sales", "manual_scores", "benchmarks", "drift", "redemptions")
_STREAM = {name: i for i, name in enumerate(_STREAMS)}


@dataclass
class V:
    """One generated column, before it becomes Arrow.

    ``values`` is numpy; ``valid`` (optional) marks non-null rows. DECIMAL values are integer units of
    ``10**-scale``; TIMESTAMP values are local (Asia/Shanghai) epoch seconds; DATE values are days since
    1970-01-01. A text column is either a numpy string array, codes into ``vocab``, or numbers formatted
    as ``prefix`` + ``width`` zero-padded digits.
    """

    values: np.ndarray
    valid: np.ndarray | None = None
    scale: int = 0
    vocab: pa.Array | None = None
    prefix: str | None = None
    width: int = 0

    def __len__(self) -> int:
        return len(self.values)

    def slice(self, i: int, j: int) -> V:
        valid = None if self.valid is None else self.valid[i:j]
        return dataclasses.replace(self, values=self.values[i:j], valid=valid)


def _rng(seed: int, stream: str, month: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[stream], month])


# ----------------------------------------------------------------------------------------------------
# Arrow conversion


def _fixed_strings(mat: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """An Arrow string array from an (n, width) uint8 matrix, one string per row, without Python objects."""
    n, w = mat.shape
    mat = np.ascontiguousarray(mat)
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(mat)], null_count=-1
    )


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _digits(mat: np.ndarray, col: int, width: int, numbers: np.ndarray) -> None:
    x = numbers.astype(np.int64, copy=True)
    for k in range(width - 1, -1, -1):
        mat[:, col + k] = 48 + x % 10
        x //= 10


def _format_ids(v: V) -> pa.Array:
    p = v.prefix.encode()
    mat = np.empty((len(v), len(p) + v.width), np.uint8)
    mat[:, : len(p)] = np.frombuffer(p, np.uint8)
    _digits(mat, len(p), v.width, v.values)
    return _fixed_strings(mat, v.valid)


def _format_timestamps(sec: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """ISO 8601 ``YYYY-MM-DDTHH:MM:SS`` strings from epoch seconds (vectorized; strftime is 50x slower)."""
    n = len(sec)
    mat = np.zeros((n, 19), np.uint8)
    if n == 0:
        return _fixed_strings(mat, valid)
    if valid is not None and not valid.all():
        sec = np.where(valid, sec, sec[valid][0] if valid.any() else 0)
    days = sec // DAY_S
    sod = sec - days * DAY_S
    d0 = int(days.min())
    lut = np.arange(d0, int(days.max()) + 1).astype("datetime64[D]").astype("S10")
    mat[:, :10] = lut.view(np.uint8).reshape(-1, 10)[days - d0]
    mat[:, 10] = ord("T")
    mat[:, 13] = mat[:, 16] = ord(":")
    _digits(mat, 11, 2, sod // 3600)
    _digits(mat, 14, 2, sod // 60 % 60)
    _digits(mat, 17, 2, sod % 60)
    return _fixed_strings(mat, valid)


def _decimal(units: np.ndarray, scale: int, valid: np.ndarray | None) -> pa.Array:
    n = len(units)
    buf = np.empty((n, 2), np.int64)
    buf[:, 0] = units
    buf[:, 1] = buf[:, 0] >> 63  # two's-complement sign extension to 128 bits
    if valid is not None:
        buf[~valid] = 0
    return pa.Array.from_buffers(
        pa.decimal128(18, scale), n, [_validity(valid), pa.py_buffer(buf)], null_count=-1
    )


def _mask(v: V) -> np.ndarray | None:
    return None if v.valid is None else ~v.valid


def _arrow_type(col: T.Column, fmt: str, csv_scale: int) -> pa.DataType:
    if col.type == T.DECIMAL:
        return pa.decimal128(18, 4 if fmt == "parquet" else csv_scale)
    if col.type == T.TIMESTAMP:
        return pa.timestamp("us") if fmt == "parquet" else pa.string()
    return {T.INT: pa.int64(), T.BOOL: pa.bool_(), T.DATE: pa.date32()}.get(col.type, pa.string())


def _to_arrow(col: T.Column, v: V, fmt: str) -> pa.Array:
    t = col.type
    if t == T.DECIMAL:
        out_scale = 4 if fmt == "parquet" else v.scale
        return _decimal(v.values.astype(np.int64) * 10 ** (out_scale - v.scale), out_scale, v.valid)
    if t == T.TIMESTAMP:
        sec = v.values.astype(np.int64)
        if fmt == "parquet":
            us = (sec - SHANGHAI_UTC_OFFSET_S) * 1_000_000
            return pa.array(us.view("datetime64[us]"), pa.timestamp("us"), mask=_mask(v))
        return _format_timestamps(sec, v.valid)
    if t == T.DATE:
        return pa.array(v.values.astype("datetime64[D]"), pa.date32(), mask=_mask(v))
    if t == T.INT:
        return pa.array(v.values.astype(np.int64), pa.int64(), mask=_mask(v))
    if t == T.BOOL:
        return pa.array(v.values.astype(bool), pa.bool_(), mask=_mask(v))
    if v.prefix is not None:
        return _format_ids(v)
    if v.vocab is not None:
        return v.vocab.take(pa.array(v.values.astype(np.int64), mask=_mask(v)))
    return pa.array(v.values, pa.string(), mask=_mask(v))


class _Sink:
    """One output file, written chunk by chunk. The schema comes from tables.py and, for the decimal
    places of a CSV column, from the first batch written (every table gets a batch, maybe empty)."""

    def __init__(self, out: Path, table: T.Table, fmt: str):
        self.path, self.table, self.fmt, self.rows = out / f"{table.name}.{fmt}", table, fmt, 0
        self.writer = None

    def _open(self, cols: dict[str, V]) -> None:
        fields = [pa.field(c.name, _arrow_type(c, self.fmt, cols[c.name].scale)) for c in self.table.columns]
        if self.fmt == "parquet":
            meta = {"merit.table": self.table.name, "merit.timestamps": "UTC"}
            self.schema = pa.schema(fields, metadata=meta)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        else:
            self.schema = pa.schema(fields)
            options = pacsv.WriteOptions(batch_size=65536, quoting_style="none", quoting_header="none")
            self.writer = pacsv.CSVWriter(self.path, self.schema, write_options=options)

    def write(self, cols: dict[str, V]) -> None:
        if self.writer is None:
            self._open(cols)
        n = len(next(iter(cols.values())))
        for i in range(0, n, ROW_GROUP):
            j = min(n, i + ROW_GROUP)
            arrays = [_to_arrow(c, cols[c.name].slice(i, j), self.fmt) for c in self.table.columns]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += n

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


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
    lead = r.team_lead[r.team[agent]]
    by = np.where(lead == agent, "manager", np.asarray(r.ids.to_numpy(zero_copy_only=False))[lead])
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


def synth(
    out: Path,
    *,
    agents: int,
    months: int,
    seed: int,
    fmt: str = "csv",
    start: str = "2026-01",
    scale: float = 1.0,
) -> dict[str, int]:
    """Write a synthetic data package into ``out`` and return the number of rows of each table.

    ``fmt`` is ``csv`` or ``parquet``; ``start`` is the first period (YYYY-MM); ``scale`` multiplies the
    volumes of chats, tickets, ratings and refunds (e.g. 0.1 for a small sample package).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if agents < 1 or months < 1 or scale < 0:
        raise ValueError("agents and months must be >= 1 and scale >= 0")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start_m = np.datetime64(start, "M")
    _, first_day, _ = _month(start_m, 0)
    roster = _roster(agents, seed, first_day)
    sinks = {name: _Sink(out, table, fmt) for name, table in T.TABLES.items()}
    try:
        sinks["agents"].write(_agents_table(roster))
        sinks["teams"].write(_teams_table(roster))
        for mi in range(months):
            period, first, n_days = _month(start_m, mi)
            att, worked = _attendance(roster, seed, mi, first, n_days)
            n_worked = worked.sum(axis=1)
            month = Month(
                period=period,
                first_day=first,
                n_days=n_days,
                n_worked=n_worked,
                worked_days=np.argsort(~worked, axis=1, kind="stable"),
                drift=_rng(seed, "drift", mi).lognormal(0.0, 0.1, agents),
            )
            sinks["attendance"].write(att)
            for name, make in (("tickets", _tickets), ("ratings", _ratings), ("refunds", _refunds)):
                sinks[name].write(make(_rng(seed, name, mi), roster, month, scale, sinks[name].rows))
            chats, order_cents, customers = _chats(
                _rng(seed, "chats", mi), roster, month, scale, sinks["chats"].rows
            )
            sinks["chats"].write(chats)
            del chats
            sinks["qa_reviews"].write(
                _qa(_rng(seed, "qa_reviews", mi), roster, month, sinks["qa_reviews"].rows)
            )
            sinks["incidents"].write(
                _incidents(_rng(seed, "incidents", mi), roster, month, sinks["incidents"].rows)
            )
            sinks["exams"].write(_exams(_rng(seed, "exams", mi), roster, month))
            sinks["redemptions"].write(
                _redemptions(_rng(seed, "redemptions", mi), roster, month, sinks["redemptions"].rows)
            )
            sinks["sales"].write(_sales(_rng(seed, "sales", mi), roster, month, order_cents, customers))
            sinks["manual_scores"].write(_manual(_rng(seed, "manual_scores", mi), roster, month))
            sinks["benchmarks"].write(_benchmarks(_rng(seed, "benchmarks", mi), month))
    finally:
        for sink in sinks.values():
            sink.close()
    return {name: sink.rows for name, sink in sinks.items()}
