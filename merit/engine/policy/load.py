"""Load a policy (preset id, preset name or file), validate it, and report errors at their line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from merit.engine import expr
from merit.engine.metrics.catalogue import MetricDef, load_catalogue
from merit.engine.policy.schema import Param, Policy
from merit.engine.policy.yamlio import YamlError, line_of, load_yaml_lines
from merit.engine.tables import DATE, TABLES


@dataclass(frozen=True)
class PolicyProblem:
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "policy"
        return f"{where} ({self.path}): {self.message}" if self.path else f"{where}: {self.message}"


class PolicyError(ValueError):
    def __init__(self, source: str, problems: list[PolicyProblem]):
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


@dataclass
class LoadedPolicy:
    policy: Policy
    source: str
    text: str
    sha256: str
    metrics: dict[str, MetricDef] = field(default_factory=dict)  # catalogue + the policy's own
    params: dict[str, object] = field(default_factory=dict)  # effective parameter values


PRESET_PACKAGE = "merit.presets"


def preset_files() -> dict[str, str]:
    """preset file name → text, for every preset shipped."""
    out = {}
    for f in sorted(resources.files(PRESET_PACKAGE).iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yaml"):
            out[f.name] = f.read_text("utf-8")
    return out


def _preset_index() -> dict[str, str]:
    """Every name a preset answers to (rulebook id, descriptive name, file stem), case-insensitive."""
    index = {}
    for fname, text in preset_files().items():
        # Presets keep `id:` and `name:` as plain top-level lines; reading them needs no YAML parse.
        top = dict(m.groups() for m in _TOP_LINE.finditer(text))
        for key in (top.get("id"), top.get("name"), fname.removesuffix(".yaml")):
            if key:
                index[key.strip().lower()] = fname
    return index


_TOP_LINE = re.compile(r"^(id|name):\s*([^#\n]+?)\s*$", re.M)


def load_policy(ref: str, overrides: dict[str, str] | None = None) -> LoadedPolicy:
    """``ref`` is a preset id (S5), a preset name (after_sales_kpi) or a path to a YAML file."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise PolicyError(ref, [PolicyProblem(None, "", "no such policy file")])
        return parse_policy(p.read_text("utf-8"), str(p), overrides)
    fname = _preset_index().get(ref.lower())
    if not fname:
        names = ", ".join(sorted({k.upper() if len(k) <= 5 else k for k in _preset_index()}))
        raise PolicyError(
            ref, [PolicyProblem(None, "", f"no preset or file named {ref!r} (presets: {names})")]
        )
    return parse_policy(preset_files()[fname], f"preset:{fname}", overrides)


def _loc_str(loc) -> str:
    return ".".join(str(x) for x in loc)


def parse_policy(text: str, source: str, overrides: dict[str, str] | None = None) -> LoadedPolicy:
    try:
        data, lines = load_yaml_lines(text, source)
    except YamlError as e:
        raise PolicyError(source, [PolicyProblem(e.line, "", e.message)]) from None
    if not isinstance(data, dict):
        raise PolicyError(source, [PolicyProblem(1, "", "a policy is a mapping (key: value lines)")])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x in _UNION_TAGS))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown field {loc[-1]!r}"
            elif err["type"] == "union_tag_invalid":
                tag = err["ctx"]["discriminator"].strip("'")
                msg = f"unknown {tag} {err['ctx']['tag']!r} (one of: {err['ctx']['expected_tags']})"
                loc = (*loc, tag)
            problems.append(PolicyProblem(line_of(lines, loc), _loc_str(loc), msg))
        raise PolicyError(source, _dedupe(problems)) from None
    if overrides:
        policy = _apply_overrides(policy, overrides, source)
    catalogue = load_catalogue()
    metrics = {**catalogue.metrics, **policy.metrics}
    params: dict[str, object] = dict(catalogue.defaults)
    params.update({k: v.value for k, v in policy.parameters.items()})
    problems = check_names(policy, metrics, params, lines)
    if problems:
        raise PolicyError(source, problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if overrides:
        canon = ";".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        digest = hashlib.sha256((digest + "|" + canon).encode()).hexdigest()
    return LoadedPolicy(policy, source, text, digest, metrics, params)


# pydantic adds the tag of a discriminated union to the error location; it is not in the file.
_UNION_TAGS = {"manual", "bands", "steps", "linear", "events", "formula", "rank", "absolute", "forced"}


def _dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _apply_overrides(policy: Policy, overrides: dict[str, str], source: str) -> Policy:
    params = dict(policy.parameters)
    problems = []
    for k, raw in overrides.items():
        if k not in params:
            problems.append(PolicyProblem(None, f"parameters.{k}", "no such parameter in this policy"))
            continue
        old = params[k].value
        try:
            if isinstance(old, bool):
                val: object = raw.lower() in ("1", "true", "yes")
            elif isinstance(old, Decimal):
                val = Decimal(raw)
            else:
                val = raw
        except InvalidOperation:
            problems.append(PolicyProblem(None, f"parameters.{k}", f"{raw!r} is not a number"))
            continue
        params[k] = Param(value=val, doc=params[k].doc, rulebook=params[k].rulebook)
    if problems:
        raise PolicyError(source, problems)
    return policy.model_copy(update={"parameters": params})


AGENT_FIELDS = set(TABLES["agents"].column_names)
RESULT_NAMES = {
    "level",
    "level.fee_factor",
    "fee",
    "money.fines",
    "money.rewards",
    "money.bonus_percent",
    "money.offsets",
    "ladder.offences",
    "ladder.fines",
    "score",
    "grade",
    "grade.percent",
    "grade.coefficient",
    "points.opening",
    "points.closing",
    "points.deductions",
    "points.awards",
    "points.warnings",
}


def allowed_names(policy: Policy, metrics: dict[str, MetricDef], params: dict) -> set[str]:
    names = set(metrics) | RESULT_NAMES
    names |= {f"benchmark.{m}" for m in metrics}
    names |= {f"param.{p}" for p in params}
    names |= {f"agent.{c}" for c in AGENT_FIELDS} | {"agent.tenure_months"}
    if policy.scorecard:
        names |= {f"item.{it.id}" for it in policy.scorecard.items}
    if policy.ladder:
        names |= {f"ladder.active.{lv.id}" for lv in policy.ladder.levels}
    return names


def _check_events(sel, loc, bad) -> None:
    table = TABLES.get(sel.table)
    if table is None or not table.time:
        bad((*loc, "table"), f"unknown event table {sel.table!r}")
        return
    try:
        node = expr.parse(sel.where)
    except expr.ExprError as e:
        bad((*loc, "where"), str(e))
        return
    unknown = {n for n in expr.names(node) if not n.startswith("param.")} - set(table.column_names)
    for n in sorted(unknown):
        bad((*loc, "where"), f"unknown column {n!r} of table {table.name}")
    _check_derived(sel, table, loc, bad)


def _check_derived(sel, table, loc, bad) -> None:
    if sel.consecutive_workdays is not None and table.column(table.time).type != DATE:
        bad(
            (*loc, "consecutive_workdays"),
            f"consecutive_workdays needs a table of days (attendance), not {table.name}",
        )
    if sel.derived and "agent_id" not in table.column_names:
        bad((*loc, "table"), f"{table.name} has no agent_id: its rows cannot make an agent's run or count")


def check_names(policy: Policy, metrics: dict[str, MetricDef], params: dict, lines) -> list[PolicyProblem]:
    """Every expression parses, and names only metrics, parameters and fields that exist."""
    allowed = allowed_names(policy, metrics, params)
    problems: list[PolicyProblem] = []

    def bad(loc, msg):
        problems.append(PolicyProblem(line_of(lines, loc), _loc_str(loc), msg))

    def check_expr(text, loc, extra=frozenset()):
        if not isinstance(text, str):
            return
        try:
            node = expr.parse(text)
        except expr.ExprError as e:
            bad(loc, str(e))
            return
        for n in sorted(expr.names(node)):
            if n in allowed or n in extra or n.startswith("manual."):
                continue
            if n.startswith("param."):
                bad(loc, f"unknown parameter {n.removeprefix('param.')!r}")
            else:
                bad(loc, f"unknown metric or name {n!r}")

    def check_metric(mid, loc):
        if mid not in metrics:
            bad(loc, f"unknown metric {mid!r}")

    for mid, m in policy.metrics.items():
        for attr in ("value", "where", "of", "per"):
            text = getattr(m, attr)
            if text:
                try:
                    node = expr.parse(text)
                except expr.ExprError as e:
                    bad(("metrics", mid, attr), str(e))
                    continue
                for n in expr.names(node):
                    if n.startswith("param.") and n.removeprefix("param.") not in params:
                        bad(("metrics", mid, attr), f"unknown parameter {n.removeprefix('param.')!r}")
        if m.kind == "team_relative" and m.of_metric not in metrics:
            bad(("metrics", mid, "of_metric"), f"unknown metric {m.of_metric!r}")

    if policy.population:
        check_expr(policy.population, ("population",))
    if policy.scorecard and isinstance(policy.scorecard.cap_at_weight, str):
        check_expr(policy.scorecard.cap_at_weight, ("scorecard", "cap_at_weight"))
    for i, it in enumerate(policy.scorecard.items if policy.scorecard else []):
        loc = ("scorecard", "items", i)
        if it.when:
            check_expr(it.when, (*loc, "when"))
        metric = getattr(it, "metric", None)
        value = getattr(it, "value", None)
        if it.kind in ("bands", "steps", "linear"):
            if bool(metric) == bool(value):
                bad(loc, "give exactly one of metric or value")
            if metric:
                check_metric(metric, (*loc, "metric"))
            if value:
                check_expr(value, (*loc, "value"))
        if it.kind == "bands":
            for j, b in enumerate(it.bands):
                check_expr(b.min, (*loc, "bands", j, "min"))
                check_expr(b.max, (*loc, "bands", j, "max"))
        if it.kind == "steps":
            for attr in ("target", "step", "better", "worse"):
                check_expr(getattr(it, attr), (*loc, attr))
        if it.kind == "linear":
            check_expr(it.origin, (*loc, "origin"))
        if it.kind == "events":
            for j, c in enumerate(it.counts):
                check_metric(c.metric, (*loc, "counts", j, "metric"))
        if it.kind == "formula":
            check_expr(it.expr, (*loc, "expr"))
        if it.kind == "rank":
            for j, k in enumerate([*it.rank.by, *it.rank.tie_break]):
                check_metric(k.metric, (*loc, "rank", j, "metric"))
    if policy.points:
        for i, r in enumerate(policy.points.rules):
            loc = ("points", "rules", i)
            table = TABLES.get(r.events.table)
            if table is None or not table.time:
                bad((*loc, "events", "table"), f"unknown event table {r.events.table!r}")
                continue
            _check_derived(r.events, table, (*loc, "events"), bad)
            try:
                node = expr.parse(r.events.where)
                unknown = {n for n in expr.names(node) if not n.startswith("param.")} - set(
                    table.column_names
                )
                for n in sorted(unknown):
                    bad((*loc, "events", "where"), f"unknown column {n!r} of table {table.name}")
            except expr.ExprError as e:
                bad((*loc, "events", "where"), str(e))
            for col in (
                r.points_by and r.points_by.column,
                r.points_bands and r.points_bands.column,
                r.points_column,
            ):
                if col and col not in table.column_names:
                    bad(loc, f"unknown column {col!r} of table {table.name}")
            check_expr(r.points_rate, (*loc, "points_rate"))
        for i, a in enumerate(policy.points.awards):
            check_expr(a.when, ("points", "awards", i, "when"))
            check_expr(a.points, ("points", "awards", i, "points"))
        for i, r in enumerate(policy.points.ranks):
            for k in [*r.rank.by, *r.rank.tie_break]:
                check_metric(k.metric, ("points", "ranks", i, "rank"))
            if r.when:
                check_expr(r.when, ("points", "ranks", i, "when"))
    if policy.ladder:
        check_expr(policy.ladder.window_months, ("ladder", "window_months"))
        for i, o in enumerate(policy.ladder.offences):
            _check_events(o.events, ("ladder", "offences", i, "events"), bad)
    for i, r in enumerate(policy.money):
        loc = ("money", i)
        if r.events is not None:
            _check_events(r.events, (*loc, "events"), bad)
        for attr in ("when", "amount", "bonus_percent", "window_months", "eligible", "amount_rate"):
            check_expr(getattr(r, attr), (*loc, attr))
        if r.rank is not None:
            for k in [*r.rank.by, *r.rank.tie_break]:
                check_metric(k.metric, (*loc, "rank"))
    team_names = {f"team.{m}" for m in metrics} | {f"benchmark.{m}" for m in metrics}
    for i, r in enumerate(policy.teams):
        check_expr(r.when, ("teams", i, "when"), extra=team_names)
        if r.rank is not None and r.rank.metric not in RESULT_NAMES:
            check_metric(r.rank.metric, ("teams", i, "rank", "metric"))
    if policy.levels:
        for i, row in enumerate(policy.levels.rows):
            for j, c in enumerate(row.promote):
                check_expr(c, ("levels", "rows", i, "promote", j))
            for j, c in enumerate(row.demote):
                check_expr(c, ("levels", "rows", i, "demote", j))
    if policy.fee:
        check_expr(policy.fee.amount, ("fee", "amount"))
    if policy.grading and policy.grading.mode == "absolute":
        check_expr(policy.grading.on, ("grading", "on"))
    if policy.grading and policy.grading.mode == "forced":
        for k in policy.grading.tie_break:
            check_metric(k.metric, ("grading", "tie_break"))
    if policy.bonus:
        b = policy.bonus
        check_expr(b.base, ("bonus", "base"))
        check_expr(b.factor, ("bonus", "factor"))
        if b.cuts:
            check_expr(b.cuts.on, ("bonus", "cuts", "on"))
            for j, c in enumerate(b.cuts.bands):
                check_expr(c.percent, ("bonus", "cuts", "bands", j, "percent"))
        if b.per_point:
            for attr in ("on", "above", "percent"):
                check_expr(getattr(b.per_point, attr), ("bonus", "per_point", attr))
    for i, f in enumerate(policy.flags):
        check_expr(f.when, ("flags", i, "when"))
        check_expr(f.amount, ("flags", i, "amount"))
    return _dedupe(problems)
