"""Scorecard items: one function per item kind, each returning the points and how they arose."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from merit.engine import expr
from merit.engine.policy import schema as S
from merit.engine.scoring.numbers import D, val

ZERO = Decimal(0)


class NoData(Exception):
    """The item's input has no value for this agent (e.g. no refunds in the month)."""


@dataclass
class Scored:
    points: Decimal | None  # None: no data, excluded
    value: Any = None  # the item's main input value
    rule: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)  # metrics read (their source rows go in the line)


def ev(text_or_num, env: dict) -> Any:
    if text_or_num is None:
        return None
    if isinstance(text_or_num, Decimal):
        return text_or_num
    return expr.run(text_or_num, env)


def _input(item, env) -> tuple[Decimal, dict, list[str]]:
    if item.metric:
        v = env.get(item.metric)
        inputs, metrics = {item.metric: val(v)}, [item.metric]
    else:
        v = expr.run(item.value, env)
        inputs = {n: val(env.get(n)) for n in sorted(expr.names_of(item.value))}
        metrics = sorted(n for n in expr.names_of(item.value) if "." not in n)
    if v is None:
        raise NoData()
    return D(v), inputs, metrics


def _fmt_bound(b) -> str:
    return str(b) if isinstance(b, Decimal) else f"[{b}]"


def score_manual(item: S.ManualItem, env: dict, weight: Decimal | None) -> Scored:
    v = env.get(f"manual.{item.item}")
    if v is None:
        raise NoData()
    return Scored(
        D(v), v, f"supervisor's score for '{item.item}' (manual_scores)", {f"manual.{item.item}": val(v)}
    )


def score_bands(item: S.BandsItem, env: dict, weight) -> Scored:
    v, inputs, metrics = _input(item, env)
    for i, b in enumerate(item.bands):
        lo, hi = ev(b.min, env), ev(b.max, env)
        closed = b.closed or item.closed
        if closed == "left":
            ok = (lo is None or v >= lo) and (hi is None or v < hi)
            span = f"[{_fmt_bound(lo) if lo is not None else '-inf'}, {_fmt_bound(hi) if hi is not None else 'inf'})"
        else:
            ok = (lo is None or v > lo) and (hi is None or v <= hi)
            span = f"({_fmt_bound(lo) if lo is not None else '-inf'}, {_fmt_bound(hi) if hi is not None else 'inf'}]"
        if isinstance(b.min, str):
            inputs[b.min] = val(lo)
        if isinstance(b.max, str):
            inputs[b.max] = val(hi)
        if ok:
            return Scored(b.points, v, f"band {i + 1}: value in {span} → {b.points}", inputs, metrics)
    return Scored(item.otherwise, v, f"no band matched → {item.otherwise}", inputs, metrics)


def score_steps(item: S.StepsItem, env: dict, weight, direction: str) -> Scored:
    v, inputs, metrics = _input(item, env)
    target = ev(item.target, env)
    if isinstance(item.target, str):
        inputs[item.target] = val(target)
    if target is None:
        raise NoData()
    base = item.base if item.base is not None else (weight or ZERO)
    step, better, worse = (D(ev(x, env)) for x in (item.step, item.better, item.worse))
    if step is None or step <= 0:
        raise ValueError(f"item {item.id}: step must be a positive number, got {step}")
    delta = v - D(target)
    n = expr.quantize_steps(delta, step, item.rounding)
    better_side = (delta > 0) if direction == "higher" else (delta < 0)
    if n == 0:
        pts, how = base, "on target"
    elif better_side:
        pts, how = base + n * better, f"{n} step(s) better × {val(better)}"
    else:
        pts, how = base - n * worse, f"{n} step(s) worse × −{val(worse)}"
    rule = (
        f"base {base}; whole steps of {val(step)} ({item.rounding}) vs target {val(D(target))}, "
        f"{direction} is better: {how}"
    )
    inputs["steps"] = n if delta == 0 else (n if better_side else -n)
    return Scored(pts, v, rule, inputs, metrics)


def score_linear(item: S.LinearItem, env: dict, weight) -> Scored:
    v, inputs, metrics = _input(item, env)
    origin = D(ev(item.origin, env))
    if origin is None:
        raise NoData()
    pts = item.base + item.slope * (v - origin)
    return Scored(pts, v, f"{item.base} + {item.slope} × (value − {val(origin)})", inputs, metrics)


def count_points(c: S.CountRule, n: int) -> tuple[Decimal, str]:
    """Points of one event count rule (free first offences, tiers or a pivot)."""
    if c.pivot is not None:
        if n < c.pivot:
            return c.below * (c.pivot - n), f"{c.pivot - n} under pivot {c.pivot} × {c.below}"
        if n > c.pivot:
            return c.per * (n - c.pivot), f"{n - c.pivot} over pivot {c.pivot} × {c.per}"
        return ZERO, f"at pivot {c.pivot}"
    counted = max(n - c.free, 0)
    free_txt = f" (first {c.free} free)" if c.free else ""
    if c.tiers:
        pts, done, parts = ZERO, 0, []
        for t in c.tiers:
            take = counted - done if t.upto is None else max(min(counted, t.upto) - done, 0)
            if take > 0:
                pts += take * t.per
                parts.append(f"{take} × {t.per}")
            done += take
        return pts, (" + ".join(parts) or "0") + free_txt
    return counted * c.per, f"{counted} × {c.per}{free_txt}"


def score_events(item: S.EventsItem, env: dict, weight) -> Scored:
    base = item.base if item.base is not None else (weight or ZERO)
    pts, parts, inputs = base, [], {}
    for c in item.counts:
        n = env.get(c.metric)
        n = int(n) if n is not None else 0
        p, how = count_points(c, n)
        pts += p
        parts.append(f"{c.metric}: {how}")
        inputs[c.metric] = n
    return Scored(pts, None, f"base {base}; " + "; ".join(parts), inputs, [c.metric for c in item.counts])


def score_formula(item: S.FormulaItem, env: dict, weight) -> Scored:
    v = expr.run(item.expr, env)
    inputs = {n: val(env.get(n)) for n in sorted(expr.names_of(item.expr))}
    if v is None:
        raise NoData()
    metrics = sorted(n for n in expr.names_of(item.expr) if "." not in n)
    return Scored(D(v), None, " ".join(item.expr.split()), inputs, metrics)


def score_rank(item: S.RankItem, env: dict, weight, place: int, n: int, detail: dict) -> Scored:
    pts = ZERO
    if place <= len(item.top):
        pts = item.top[place - 1]
    from_last = n - place + 1
    if from_last <= len(item.bottom) and place > len(item.top):
        pts = item.bottom[from_last - 1]
    inputs = {"place": place, "of": n, **{k: val(env.get(k)) for k in detail.get("ranks", {})}}
    return Scored(
        pts,
        place,
        f"place {place} of {n}: top {item.top}, bottom {item.bottom}",
        inputs,
        [k.metric for k in item.rank.by],
    )


def clamp(points: Decimal, item) -> Decimal:
    if item.min_points is not None and points < item.min_points:
        return item.min_points
    if item.max_points is not None and points > item.max_points:
        return item.max_points
    return points
