"""Reads behind the dashboards, always through ``merit.org.access`` (an agent sees their own numbers, a
supervisor their team's, HR and admins every team's). Every read is a grouped query whose count does not
depend on the number of agents (the query-count tests hold it at 30 and at 1,000 agents); a team's result
documents are read only for the team's page, and only the latest month's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from merit.assessment.models import AgentResult, Run
from merit.assessment.queries import current_results
from merit.dashboards.kpis import Kpi, monitored
from merit.dashboards.models import KpiValue, ProvisionalResult
from merit.engine.metrics.compute import Period
from merit.org.access import filter_to_user, visible_agents
from merit.org.models import Agent, Team

CENT = Decimal("0.01")
# Who is close to a threshold (S1: under 25 of 30 points is one step from the bonus cuts; S3: a third
# warning ends the ladder). The supervisor's dashboard lists them.
POINTS_NEAR = Decimal("25")
WARNINGS_NEAR = 2
TOP_PROBLEMS = 10


def current_period(now=None) -> str:
    today = timezone.localdate(now)
    return str(Period(today.year, today.month))


def months_back(period: str, n: int) -> list[str]:
    p = Period.parse(period)
    return [str(p.shift(-i)) for i in range(n - 1, -1, -1)]


def _dec(v) -> Decimal | None:
    """SQLite sums decimals as floats: back to an exact decimal of 2 places (money, scores)."""
    return None if v is None else Decimal(str(v)).quantize(CENT)


def _exact(v) -> Decimal | None:
    return None if v is None else Decimal(str(v))


# ---- which policy a dashboard shows ------------------------------------------------------------------


def published_policies(user) -> list[str]:
    """The policies of the published results ``user`` sees, those with scores first."""
    rows = (
        current_results(user)
        .order_by()
        .values("run__policy_version__policy_id")
        .annotate(scored=Count("score"), n=Count("pk"))
        .values_list("run__policy_version__policy_id", "scored")
    )
    found = sorted(rows, key=lambda r: (-(r[1] > 0), r[0]))
    return [policy for policy, _ in found]


def chosen_policy(user, asked: str | None) -> str | None:
    policies = published_policies(user)
    if asked in policies:
        return asked
    return policies[0] if policies else None


def policy_results(user, policy_id: str | None) -> QuerySet[AgentResult]:
    qs = current_results(user)
    return qs.filter(run__policy_version__policy_id=policy_id) if policy_id else qs.none()


def latest_period(results: QuerySet[AgentResult]) -> str | None:
    return results.order_by("-period").values_list("period", flat=True).first()


_POLICIES: dict[tuple[int, str], object] = {}


def policy_of_version(version):
    """The validated policy model of a stored version, parsed once per process (versions never change;
    the cache is keyed by the text's hash too). Reads nothing from the database."""
    key = (version.pk, version.sha256)
    if key not in _POLICIES:
        from merit.assessment.actions import loaded_policy

        _POLICIES[key] = loaded_policy(version).policy
    return _POLICIES[key]


def policy_of(run: Run):
    return policy_of_version(run.policy_version)


def line_attainment(line: dict, weighted: bool) -> Decimal | None:
    """How much of a scorecard line's best the agent reached, 0–100 %: a weighted scorecard's lines score
    0–100 before weighting; otherwise a line scores up to its ``max``."""
    points, top = _exact(line.get("points")), _exact(line.get("max"))
    if points is None:
        return None
    scale = Decimal(100) if weighted else top
    if not scale:
        return None
    return max(Decimal(0), min(Decimal(100), points / scale * 100)).quantize(Decimal("0.1"))


def is_weighted(run: Run) -> bool:
    sc = getattr(policy_of(run), "scorecard", None)
    return bool(sc is not None and getattr(sc, "total", None) == "weighted")


# ---- KPIs ---------------------------------------------------------------------------------------------


@dataclass
class KpiCell:
    kpi: Kpi
    value: Decimal | None = None
    team: Decimal | None = None
    benchmark: Decimal | None = None

    @property
    def better_than_team(self) -> bool | None:
        if self.value is None or self.team is None or self.kpi.better == "none":
            return None
        return self.value >= self.team if self.kpi.better == "higher" else self.value <= self.team


def pooled_by(qs: QuerySet[KpiValue], *keys: str) -> dict[tuple, Decimal | None]:
    """``{(key values…, metric): pooled value}`` of some KPI rows grouped by ``keys``."""
    kpis = {k.id: k for k in monitored()}
    rows = (
        qs.order_by()
        .values(*keys, "metric")
        .annotate(num=Sum("num"), den=Sum("den"), agents=Count("agent", distinct=True))
        .values_list(*keys, "metric", "num", "den", "agents")
    )
    out = {}
    for *key, metric, num, den, agents in rows:
        k = kpis.get(metric)
        if k is not None:
            out[(*key, metric)] = k.pooled(_exact(num), _exact(den), agents)
    return out


def benchmarks(periods: list[str]) -> dict[tuple[str, str], Decimal]:
    """The industry averages of the facts (``benchmarks`` table): ``{(period, metric): value}``."""
    from merit.facts.models import FACT_MODELS

    model = FACT_MODELS["benchmarks"]
    rows = model.objects.filter(period__in=periods).values_list("period", "metric", "value")
    return {(p, m): _exact(v) for p, m, v in rows}


def agent_kpis(user, agent: Agent, period: str) -> list[KpiCell]:
    """The agent's KPIs of ``period`` beside their team's pooled value and the industry benchmark."""
    cells = {k.id: KpiCell(k) for k in monitored()}
    own = filter_to_user(KpiValue.objects.filter(period=period, agent=agent), user)
    for metric, value in own.values_list("metric", "value"):
        if metric in cells:
            cells[metric].value = _exact(value)
    team = KpiValue.objects.filter(period=period, agent__team_id=agent.team_id)
    for (metric,), value in pooled_by(team).items():
        if metric in cells:
            cells[metric].team = value
    for (_p, metric), value in benchmarks([period]).items():
        if metric in cells:
            cells[metric].benchmark = value
    return list(cells.values())


# ---- the agent's dashboard ----------------------------------------------------------------------------


@dataclass
class AgentBoard:
    agent: Agent
    policy_id: str | None
    policies: list[str]
    latest: AgentResult | None = None
    lines: list[dict] = field(default_factory=list)
    provisional: ProvisionalResult | None = None
    provisional_lines: list[dict] = field(default_factory=list)
    kpis: list[KpiCell] = field(default_factory=list)
    kpi_period: str = ""
    balance: Decimal | None = None
    warnings: list[dict] = field(default_factory=list)
    warnings_active: int = 0
    level: dict = field(default_factory=dict)
    level_needs: list[str] = field(default_factory=list)
    rank: int | None = None
    ranked: int | None = None


def _lines(result, weighted: bool) -> list[dict]:
    out = []
    for line in result.doc.get("lines") or []:
        out.append(
            {
                "item": line.get("item"),
                "label": line.get("label"),
                "label_en": line.get("label_en"),
                "value": line.get("value"),
                "points": line.get("points"),
                # a weighted scorecard's line scores 0–100 and counts with its weight
                "max": None if weighted else line.get("max"),
                "weight": line.get("weight") if weighted else None,
                "attainment": line_attainment(line, weighted),
                "rule": (line.get("explain") or {}).get("rule", ""),
            }
        )
    return out


def agent_board(user, agent: Agent, policy_asked: str | None = None, now=None) -> AgentBoard:
    from merit.ledger.models import Book, LedgerEntry

    policies = published_policies(user)
    policy_id = chosen_policy(user, policy_asked)
    board = AgentBoard(agent=agent, policy_id=policy_id, policies=policies)
    latest = policy_results(user, policy_id).filter(agent=agent).order_by("-period", "-run_id").first()
    if latest is not None:
        board.latest = latest
        board.lines = _lines(latest, is_weighted(latest.run))
        doc = latest.doc
        state = doc.get("state_out") or {}
        board.warnings = list(state.get("warnings") or [])
        board.warnings_active = len(board.warnings)
        level = doc.get("level") or {}
        board.level = level
        board.level_needs = [cond for cond, ok in (level.get("promote") or {}).items() if not ok]
        if settings.MERIT_PUBLISH_RANKS and latest.score is not None:
            same = AgentResult.objects.filter(
                run_id=latest.run_id, period=latest.period, team_id=latest.team_id, score__isnull=False
            )
            counts = same.aggregate(above=Count("pk", filter=Q(score__gt=latest.score)), ranked=Count("pk"))
            board.rank, board.ranked = counts["above"] + 1, counts["ranked"]
    period = current_period(now)
    if policy_id:
        board.provisional = (
            filter_to_user(ProvisionalResult.objects.filter(agent=agent, period=period), user)
            .filter(policy_version__policy_id=policy_id)
            .select_related("policy_version")
            .first()
        )
        if board.provisional is not None:
            weighted = _version_weighted(board.provisional.policy_version)
            board.provisional_lines = _lines(board.provisional, weighted)
    board.kpi_period = period
    board.kpis = agent_kpis(user, agent, period)
    balance = filter_to_user(LedgerEntry.objects.filter(agent=agent, book=Book.POINTS), user).aggregate(
        s=Sum("amount")
    )["s"]
    board.balance = _dec(balance)
    return board


def _version_weighted(version) -> bool:
    sc = getattr(policy_of_version(version), "scorecard", None)
    return bool(sc is not None and getattr(sc, "total", None) == "weighted")


def points_over_time(user, agent: Agent) -> list[tuple[str, Decimal]]:
    """The points balance at the end of each month with entries (cumulative sum of the points book)."""
    from merit.ledger.models import Book, LedgerEntry

    rows = (
        filter_to_user(LedgerEntry.objects.filter(agent=agent, book=Book.POINTS), user)
        .order_by()
        .values("period")
        .annotate(s=Sum("amount"))
        .values_list("period", "s")
    )
    out, running = [], Decimal(0)
    for period, s in sorted(rows):
        running += _dec(s)
        out.append((period, running))
    return out


def score_over_time(user, agent: Agent, policy_id: str | None) -> list[tuple[str, Decimal | None, str]]:
    rows = policy_results(user, policy_id).filter(agent=agent).values_list("period", "score", "grade")
    return sorted((p, _dec(s), g) for p, s, g in rows)


# ---- the team's dashboard -----------------------------------------------------------------------------


def team_agents(user, team: Team) -> QuerySet[Agent]:
    return visible_agents(user).filter(team=team, active=True).order_by("agent_id")


def team_kpi_trend(user, team: Team, periods: list[str]) -> dict[str, dict[str, Decimal | None]]:
    """``{metric: {period: pooled value}}`` of the team over ``periods``."""
    qs = filter_to_user(KpiValue.objects.filter(period__in=periods, agent__team=team), user)
    out: dict[str, dict[str, Decimal | None]] = {}
    for (period, metric), value in pooled_by(qs, "period").items():
        out.setdefault(metric, {})[period] = value
    return out


def team_score_trend(user, team: Team, policy_id: str | None) -> dict[str, Decimal | None]:
    rows = (
        policy_results(user, policy_id)
        .filter(agent__team=team)
        .order_by()
        .values("period")
        .annotate(mean=Avg("score"))
        .values_list("period", "mean")
    )
    return {p: _dec(m) for p, m in sorted(rows)}


def heat_map(user, team: Team, period: str) -> tuple[list[Agent], dict[tuple[str, str], Decimal | None]]:
    """The team's agents and ``{(agent_id, metric): value}`` of ``period``."""
    agents = list(team_agents(user, team).only("agent_id", "name", "team_id"))
    qs = filter_to_user(KpiValue.objects.filter(period=period, agent__team=team), user)
    values = {(a, m): _exact(v) for a, m, v in qs.values_list("agent_id", "metric", "value")}
    return agents, values


@dataclass
class GradeShare:
    grade: str
    actual: int
    quota: int | None
    share: Decimal | None


def grade_distribution(user, team: Team, policy_id: str | None) -> tuple[str | None, list[GradeShare]]:
    """The grades of the team's latest published month against the policy's forced-distribution quotas
    (largest-remainder counts, as the engine allots them)."""
    results = policy_results(user, policy_id).filter(agent__team=team)
    period = latest_period(results)
    if period is None:
        return None, []
    month = results.filter(period=period)
    counts = dict(
        month.exclude(grade="").order_by().values("grade").annotate(n=Count("pk")).values_list("grade", "n")
    )
    run = month.select_related("run__policy_version").first().run
    grading = getattr(policy_of(run), "grading", None)
    quotas = list(getattr(grading, "quotas", None) or []) if getattr(grading, "mode", "") == "forced" else []
    total = sum(counts.values())
    out = []
    if quotas:
        allotted = _largest_remainder([q.share for q in quotas], total)
        for q, n in zip(quotas, allotted, strict=True):
            out.append(GradeShare(q.grade, counts.pop(q.grade, 0), n, q.share))
    for grade in sorted(counts):
        out.append(GradeShare(grade, counts[grade], None, None))
    return period, out


def _largest_remainder(shares: list[Decimal], total: int) -> list[int]:
    exact = [s * total for s in shares]
    floors = [int(x) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@dataclass
class NearThreshold:
    agent_id: str
    name: str
    reason: str
    value: str


def near_thresholds(user, team: Team) -> list[NearThreshold]:
    """Agents of the team whose latest published month left them under :data:`POINTS_NEAR` points or
    with :data:`WARNINGS_NEAR` active warnings (one more is the third)."""
    from django.utils.translation import gettext as _

    results = current_results(user).filter(agent__team=team)
    period = latest_period(results)
    if period is None:
        return []
    out = []
    for r in results.filter(period=period).select_related("agent").order_by("agent_id"):
        closing = _exact((r.doc.get("points") or {}).get("closing"))
        if closing is not None and closing < POINTS_NEAR:
            out.append(
                NearThreshold(r.agent_id, r.agent.name, _("Points under %s") % POINTS_NEAR, f"{closing}")
            )
        active = len((r.doc.get("state_out") or {}).get("warnings") or [])
        if active >= WARNINGS_NEAR:
            out.append(NearThreshold(r.agent_id, r.agent.name, _("Warnings in force"), str(active)))
    return out


def sla_now(user, team: Team, now=None) -> dict[str, int]:
    """The team's open cases breached now and near their breach."""
    from merit.tickets.access import visible_cases
    from merit.tickets.queries import breached, near

    now = now or timezone.now()
    from merit.tickets.models import OPEN_STATUSES

    cases = visible_cases(user).filter(team=team)
    return cases.aggregate(
        breached=Count("pk", filter=breached(now) & Q(status__in=OPEN_STATUSES)),
        near=Count("pk", filter=near(now)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )


# ---- HR's overview ------------------------------------------------------------------------------------


def money_by_team(user, periods: list[str]) -> dict[tuple[int, str], dict[str, Decimal]]:
    """``{(team pk, period): {"bonus": Σ, "fines": Σ}}`` from the money book (reversals included)."""
    from merit.ledger import posting as P
    from merit.ledger.models import LedgerEntry

    bonus = (P.BONUS, P.BONUS_CUT, P.BONUS_RAISE, P.REWARD, P.TEAM_REWARD)
    qs = filter_to_user(LedgerEntry.objects.filter(book=P.MONEY, period__in=periods), user)
    rows = (
        qs.order_by()
        .values("agent__team_id", "period")
        .annotate(
            bonus=Sum("amount", filter=Q(category__in=bonus)),
            fines=Sum("amount", filter=Q(category=P.FINE)),
        )
        .values_list("agent__team_id", "period", "bonus", "fines")
    )
    return {
        (t, p): {"bonus": _dec(b) or Decimal("0.00"), "fines": -(_dec(f) or Decimal("0.00"))}
        for t, p, b, f in rows
    }


def team_scores(user, policy_id: str | None, period: str | None) -> dict[int, dict]:
    if not policy_id or not period:
        return {}
    rows = (
        policy_results(user, policy_id)
        .filter(period=period)
        .order_by()
        .values("agent__team_id")
        .annotate(mean=Avg("score"), agents=Count("pk"), bonus=Sum("bonus"))
        .values_list("agent__team_id", "mean", "agents", "bonus")
    )
    return {t: {"mean": _dec(m), "agents": n, "bonus": _dec(b)} for t, m, n, b in rows}


def appeal_outcomes(user, since) -> dict:
    """Outcome counts and the mean time to an answer (hours) of appeals filed since ``since``."""
    from merit.appeals.models import Appeal

    qs = filter_to_user(Appeal.objects.filter(filed_at__gte=since), user)
    counts = dict(qs.order_by().values("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
    answered = qs.filter(answered_at__isnull=False).values_list("filed_at", "answered_at")
    hours = [(b - a).total_seconds() / 3600 for a, b in answered]
    pending = qs.filter(answered_at__isnull=True).count()
    return {
        "counts": {k: v for k, v in counts.items() if k},
        "pending": pending,
        "mean_hours": (Decimal(str(sum(hours) / len(hours))).quantize(Decimal("0.1")) if hours else None),
        "answered": len(hours),
    }


def top_problems(user, periods: list[str]) -> tuple[list[str], dict[str, dict[str, int]]]:
    """S10's top-10 problems: incident kinds and desk case kinds counted by month; the ten largest over
    ``periods``, with their monthly counts."""
    from django.db.models.functions import TruncMonth

    from merit.facts.models import FACT_MODELS

    first = Period.parse(periods[0])
    start = timezone.make_aware(timezone.datetime(first.year, first.month, 1))
    out: dict[str, dict[str, int]] = {}
    for table, prefix in (("incidents", ""), ("tickets", "ticket.")):
        model = FACT_MODELS[table]
        time = model.TABLE.time
        rows = (
            filter_to_user(model.objects.filter(**{f"{time}__gte": start}), user)
            .annotate(month=TruncMonth(time, tzinfo=timezone.get_current_timezone()))
            .order_by()
            .values("kind", "month")
            .annotate(n=Count("pk"))
            .values_list("kind", "month", "n")
        )
        for kind, month, n in rows:
            if month is None:
                continue
            p = f"{month.year:04d}-{month.month:02d}"
            if p in periods:
                out.setdefault(prefix + str(kind), {})[p] = out.get(prefix + str(kind), {}).get(p, 0) + n
    top = sorted(out, key=lambda k: (-sum(out[k].values()), k))[:TOP_PROBLEMS]
    return top, {k: out[k] for k in top}


def leaderboard(user, policy_id: str | None, period: str | None, n: int = 10) -> list[AgentResult]:
    if not policy_id or not period:
        return []
    return list(
        policy_results(user, policy_id)
        .filter(period=period, score__isnull=False)
        .select_related("agent", "agent__team")
        .only(
            "agent_id",
            "score",
            "grade",
            "bonus",
            "team_id",
            "period",
            "run_id",
            "agent__name",
            "agent__team__name",
        )
        .order_by("-score", "agent_id")[:n]
    )


def titles(user, since_period: str) -> list:
    """Published titles: 服务之星 / 优秀员工 selections and gold-medal (grade A) agents."""
    from merit.recognition.models import Selection, SelectionState

    return list(
        filter_to_user(
            Selection.objects.filter(state=SelectionState.PUBLISHED, period__gte=since_period),
            user,
            agent="winner",
        )
        .select_related("winner", "team")
        .order_by("-period", "team__team_id")[:20]
    )


def problems_since(days: int = 183):
    return timezone.now() - timedelta(days=days)
