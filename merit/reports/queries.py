"""The reads behind the exports: which runs and months a user may export, and the tables themselves.

Scope comes from merit.org.access (and merit.assessment.queries for runs): a supervisor's export holds
their team's agents only, HR's and admins' everybody; agents and users without a role export nothing.

- **Runs**: published runs for supervisors, HR and admins; HR and admins also runs with results that
  are not published yet (computed, submitted, approved, rejected), marked as such in the file name.
- **Payroll** of a month (docs/reports.md): one row per agent from the money ledger, one GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet, Sum

from merit.assessment.models import AgentResult, Run, RunState
from merit.assessment.queries import visible_runs
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.ledger.queries import exact_sum
from merit.org.access import ALL, TEAM, filter_to_user, scope_of, visible_agents
from merit.reports import xlsx
from merit.reports.xlsx import INT, MONEY, Column, Table

ZERO = Decimal("0.00")
REVIEW_STATES = (RunState.COMPUTED, RunState.SUBMITTED, RunState.APPROVED, RunState.REJECTED)

# Payroll columns from money-ledger categories (docs/reports.md); net is the sum of every money entry.
PAYROLL_PARTS = {
    "bonus": (P.BONUS, P.BONUS_CUT, P.BONUS_RAISE),
    "rewards": (P.REWARD, P.TEAM_REWARD),
    "fines": (P.FINE, P.FINE_OFFSET),
    "fee": (P.FEE,),
}


def may_export(user) -> bool:
    """Supervisors, HR and admins; not agents, not users without a role."""
    return scope_of(user).kind in (ALL, TEAM)


def exportable_runs(user) -> QuerySet[Run]:
    if not may_export(user):
        return Run.objects.none()
    states = (RunState.PUBLISHED,) + (REVIEW_STATES if scope_of(user).kind == ALL else ())
    return visible_runs(user).filter(state__in=states)


def payroll_months(user, limit: int = 36) -> list[str]:
    """The months (newest first) with money entries or published results of agents in scope."""
    if not may_export(user):
        return []
    entries = filter_to_user(LedgerEntry.objects.filter(book=P.MONEY), user)
    months = set(entries.order_by().values_list("period", flat=True).distinct())
    published = filter_to_user(AgentResult.objects.filter(run__state=RunState.PUBLISHED), user)
    months |= set(published.order_by().values_list("period", flat=True).distinct())
    return sorted(months, reverse=True)[:limit]


# ---- scorecards ----------------------------------------------------------------------------------------

SCORECARD_COLUMNS = [
    Column("period", "考核期间 period"),
    Column("agent_id", "客服编号 agent id"),
    Column("name", "姓名 name"),
    Column("team_id", "团队 team"),
    Column("score", "得分 score", MONEY),
    Column("grade", "等级 grade"),
    Column("coefficient", "系数 coefficient", MONEY),
    Column("bonus", "奖金 bonus", MONEY),
    Column("points_opening", "期初积分 points opening", MONEY),
    Column("points_closing", "期末积分 points closing", MONEY),
    Column("flags", "标记 flags"),
]


def scorecard_results(user, run: Run) -> QuerySet[AgentResult]:
    """The run's result rows the user may export (their team's, or all)."""
    if not exportable_runs(user).filter(pk=run.pk).exists():
        return AgentResult.objects.none()
    qs = filter_to_user(AgentResult.objects.filter(run=run), user)
    return qs.select_related("agent").order_by("period", "team_id", "agent_id")


def scorecard_table(user, run: Run, progress=None) -> Table:
    """One row per agent and period; each scorecard line (its points) a column, in the order of first
    appearance, titled with its Chinese label and its item id."""
    results = list(scorecard_results(user, run))
    items: dict[str, str] = {}
    for r in results:
        for line in r.doc.get("lines") or []:
            items.setdefault(str(line.get("item")), str(line.get("label") or ""))
    columns = SCORECARD_COLUMNS + [
        Column(f"item.{item}", f"{label} {item}".strip(), MONEY) for item, label in items.items()
    ]
    rows = []
    for n, r in enumerate(results, start=1):
        doc = r.doc
        points = doc.get("points") or {}
        flags = sorted({str(f.get("flag") or f.get("rule") or "") for f in doc.get("flags") or []} - {""})
        lines = {str(line.get("item")): line.get("points") for line in doc.get("lines") or []}
        rows.append(
            [
                r.period,
                r.agent_id,
                r.agent.name,
                r.team_id,
                r.score,
                r.grade,
                doc.get("coefficient"),
                r.bonus,
                points.get("opening"),
                points.get("closing"),
                ", ".join(flags),
            ]
            + [lines.get(item) for item in items]
        )
        if progress is not None and n % xlsx.PROGRESS_EVERY == 0:
            progress(n / len(results))
    span = (
        run.first_period if run.first_period == run.last_period else f"{run.first_period}..{run.last_period}"
    )
    return Table(f"考核结果 {span}", columns, rows)


def scorecard_count(user, run: Run) -> int:
    return scorecard_results(user, run).count()


def scorecard_file_name(user, run: Run, fmt: str) -> str:
    span = (
        run.first_period if run.first_period == run.last_period else f"{run.first_period}_{run.last_period}"
    )
    state = "" if run.state == RunState.PUBLISHED else f"-{run.state}"
    return f"scorecards-run{run.pk}-{span}{state}{_team_suffix(user)}.{fmt}"


def _team_suffix(user) -> str:
    scope = scope_of(user)
    if scope.kind != TEAM:
        return ""
    from merit.org.models import Team

    team_id = Team.objects.filter(pk=scope.team_id).values_list("team_id", flat=True).first()
    return f"-{team_id}" if team_id else ""


# ---- payroll -------------------------------------------------------------------------------------------

PAYROLL_COLUMNS = [
    Column("agent_id", "客服编号 agent id"),
    Column("name", "姓名 name"),
    Column("team", "团队 team"),
    Column("base", "绩效奖金基数 base bonus", MONEY),
    Column("coefficient", "绩效系数 coefficient", MONEY),
    Column("bonus", "绩效奖金 bonus", MONEY),
    Column("rewards", "奖励 rewards", MONEY),
    Column("fines", "罚款 fines", MONEY),
    Column("fee", "服务费 fee", MONEY),
    Column("net", "合计 net", MONEY),
    Column("entries", "分录数 entries", INT),
]
PAYROLL_SUMMED = ("base", "bonus", "rewards", "fines", "fee", "net", "entries")


def payroll_agents(user, period: str) -> QuerySet:
    """The agents of the payroll: in scope, and active or with money entries or a published result in
    the month."""
    from django.db.models import Q

    agents = visible_agents(user)
    with_entries = LedgerEntry.objects.filter(book=P.MONEY, period=period).values("agent_id")
    with_result = AgentResult.objects.filter(period=period, run__state=RunState.PUBLISHED).values("agent_id")
    return (
        agents.filter(Q(active=True) | Q(agent_id__in=with_entries) | Q(agent_id__in=with_result))
        .select_related("team")
        .order_by("team__team_id", "agent_id")
    )


def payroll_count(user, period: str) -> int:
    return payroll_agents(user, period).count() if may_export(user) else 0


def coefficients(agent_ids: list[str], period: str) -> dict[str, Decimal]:
    """Each agent's coefficient of the month from the published results that no published correction
    replaced; of several policies' results, the latest published one that has a coefficient."""
    qs = (
        AgentResult.objects.filter(period=period, agent_id__in=agent_ids, run__state=RunState.PUBLISHED)
        .exclude(run__corrections__state=RunState.PUBLISHED)
        .order_by("agent_id", "run__published_at", "run_id")
        .values_list("agent_id", "doc__coefficient")
    )
    out = {}
    for agent_id, value in qs:
        if value is not None:
            out[agent_id] = Decimal(str(value))
    return out


def ledger_sums(agent_ids: list[str], period: str) -> dict[str, dict[str, Decimal]]:
    """``{agent_id: {category: sum, "_entries": n}}`` of the month's money entries (one GROUP BY)."""
    from django.db.models import Count

    rows = (
        LedgerEntry.objects.filter(book=P.MONEY, period=period, agent_id__in=agent_ids)
        .order_by()
        .values("agent_id", "category")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    out: dict[str, dict] = defaultdict(dict)
    for row in rows:
        out[row["agent_id"]][row["category"]] = exact_sum(row["total"])
        out[row["agent_id"]]["_entries"] = out[row["agent_id"]].get("_entries", 0) + row["n"]
    return out


def payroll_table(user, period: str, progress=None) -> Table:
    agents = list(payroll_agents(user, period)) if may_export(user) else []
    ids = [a.agent_id for a in agents]
    sums = ledger_sums(ids, period)
    coeff = coefficients(ids, period)
    rows = []
    for n, a in enumerate(agents, start=1):
        s = sums.get(a.agent_id, {})
        parts = {k: sum((s.get(c, ZERO) for c in cats), ZERO) for k, cats in PAYROLL_PARTS.items()}
        net = sum((v for k, v in s.items() if k != "_entries"), ZERO)
        rows.append(
            [
                a.agent_id,
                a.name,
                f"{a.team.name} ({a.team.team_id})",
                a.base_bonus,
                coeff.get(a.agent_id),
                parts["bonus"],
                parts["rewards"],
                parts["fines"],
                parts["fee"],
                net,
                s.get("_entries", 0),
            ]
        )
        if progress is not None and n % xlsx.PROGRESS_EVERY == 0:
            progress(n / len(agents))
    keys = [c.key for c in PAYROLL_COLUMNS]
    totals = ["合计 total", f"{len(rows)} 人 agents", ""] + [None] * (len(keys) - 3)
    for key in PAYROLL_SUMMED:
        i = keys.index(key)
        totals[i] = sum((r[i] or 0 for r in rows), ZERO if key != "entries" else 0)
    return Table(f"工资表 {period}", PAYROLL_COLUMNS, rows, totals)


def payroll_file_name(user, period: str, fmt: str) -> str:
    return f"payroll-{period}{_team_suffix(user)}.{fmt}"
