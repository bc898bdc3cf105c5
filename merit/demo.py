"""The embedded demo: a SQLite database holding a small shop, users for every role, ready to serve.

`merit demo` (and `make demo`) runs :func:`prepare` and then serves the application. Preparing is
idempotent: the shop is generated and imported once (through the ordinary import pipeline); every run
gives the demo users new random passwords and prints them.

The after-sales team works last month and this month so far on the ticket desk (cases opened, answered,
paused, transferred, resolved, closed and rated through the desk's own actions), so its queues, breaches
and surveys are filled and its tickets and ratings are facts of the runs.

The demo also shows the review of assessment runs: the monthly 30-point system (preset S1: points,
warnings, bonus cut by points, so the ledgers have entries) of last month is computed, submitted by ``hr``, approved and published by ``admin``; this month's is computed and
submitted by ``hr``, awaiting approval. Preparing again finds the same runs (same policy version,
months and facts) and leaves them as they are.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEMO_AGENTS = 30
DEMO_MONTHS = 6
DEMO_SEED = 7
DEMO_POLICY = "S1"  # monthly 30 points: point entries, warnings and bonuses, so the ledgers have entries


@dataclass
class DemoUser:
    username: str
    role: str
    team_id: str | None
    agent_id: str | None
    password: str = ""


def first_month(today: date, months: int = DEMO_MONTHS) -> str:
    """The first of ``months`` months ending with the current one (``2026-11`` → ``2026-06``)."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _generate(folder: Path, today: date) -> None:
    from merit.engine.synth import synth

    if not (folder / "agents.csv").exists():
        synth(
            folder,
            agents=DEMO_AGENTS,
            months=DEMO_MONTHS,
            seed=DEMO_SEED,
            fmt="csv",
            start=first_month(today),
        )


def _import(folder: Path, admin) -> None:
    from merit.ingest.actions import run_import, submit_import
    from merit.ingest.models import Import, ImportState

    files = sorted(folder.glob("*.csv"))
    imp = submit_import(admin, [(f.name, f.read_bytes()) for f in files], enqueue=False)
    if imp.state != ImportState.DUPLICATE:
        run_import(imp.pk)
        imp = Import.objects.get(pk=imp.pk)
    if imp.state not in (ImportState.SUCCEEDED, ImportState.DUPLICATE):
        raise SystemExit(f"demo import #{imp.pk} failed: {imp.error or imp.problems[:5]}")


def _users() -> list[DemoUser]:
    from merit.org.models import Agent, Team

    users = [DemoUser("admin", "admin", None, None), DemoUser("hr", "hr", None, None)]
    for team in Team.objects.order_by("team_id"):
        users.append(DemoUser(f"sup-{team.team_id.lower()}", "supervisor", team.team_id, None))
        # the first two agents of each team who are not its lead sign in as agents
        for agent in Agent.objects.filter(team=team).exclude(pk=team.lead_id).order_by("agent_id")[:2]:
            users.append(DemoUser(agent.agent_id.lower(), "agent", team.team_id, agent.agent_id))
    return users


# What the demo's HR keeps in the admin pages: the organisation (teams, agents, shifts, the working-day
# calendar) and the desk's set-up (teams' hours, SLA targets, skills, absences). Not users, memberships
# or anything of the audit trail: HR gives no one a role there (docs/web.md).
HR_ADMIN_MODELS = {
    "org": ("team", "agent", "shift", "calendarday"),
    "tickets": ("deskteam", "slatarget", "agentskill", "absence"),
}


def _hr_group():
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="人力资源 HR")
    perms = Permission.objects.filter(
        content_type__app_label__in=HR_ADMIN_MODELS,
        content_type__model__in=[m for models in HR_ADMIN_MODELS.values() for m in models],
        codename__regex=r"^(view|add|change)_",
    )
    group.permissions.set(
        [p for p in perms if p.content_type.model in HR_ADMIN_MODELS[p.content_type.app_label]]
    )
    return group


def _create_users(users: list[DemoUser]) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from merit.org.models import Agent, Membership, Team

    User = get_user_model()
    with transaction.atomic():
        for u in users:
            user, _ = User.objects.get_or_create(username=u.username)
            u.password = secrets.token_urlsafe(9)
            user.set_password(u.password)
            user.is_active = True
            user.is_staff = u.role in ("admin", "hr")
            user.is_superuser = u.role == "admin"
            user.save()
            team = Team.objects.get(team_id=u.team_id) if u.team_id else None
            Membership.objects.update_or_create(
                user=user, defaults={"role": u.role, "team": team if u.role == "supervisor" else None}
            )
            if u.agent_id:
                Agent.objects.filter(agent_id=u.agent_id).update(user=user)
            if u.role == "hr":
                user.groups.add(_hr_group())


def prepare(data_dir: Path, today: date | None = None) -> list[DemoUser]:
    """Migrate, generate and import the demo shop once, (re)set the demo users; returns them."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    today = today or timezone.localdate()  # Asia/Shanghai
    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    folder = data_dir / "shop"
    _generate(folder, today)
    _import(folder, admin)
    users = _users()
    _create_users(users)
    demo_desk(today)
    demo_history(today)
    demo_runs(today)
    demo_procedure(today)
    demo_dashboards(today)
    return users


def demo_procedure(today: date) -> int:
    """The procedure under way (done once): a fine proposed by a supervisor and approved by HR whose
    notice waits for the agent, a special contribution bonus in effect, and prizes in the points shop."""
    from django.contrib.auth import get_user_model

    from merit.discipline import actions as discipline
    from merit.discipline.models import Proposal
    from merit.org.models import Agent, Membership
    from merit.shop.models import Prize

    if Proposal.objects.filter(kind__in=("reward", "penalty")).exists():
        return 0
    User = get_user_model()
    hr = User.objects.get(username="hr")
    sup = (
        Membership.objects.filter(role="supervisor")
        .select_related("user", "team")
        .order_by("team__team_id")
        .first()
    )
    agents = (
        list(Agent.objects.filter(team=sup.team, user__isnull=False).order_by("agent_id")[:2]) if sup else []
    )
    if len(agents) < 2:
        return 0
    month = f"{today:%Y-%m}"
    fine = discipline.propose(
        sup.user,
        agents[0],
        "manual:fine",
        "50",
        month,
        "顾客催促发货时回复“等着吧”，顾客投诉态度差（聊天记录见附件）",
        "违反客服服务规范：不文明用语",
    )
    discipline.review(hr, fine, "事实清楚，同意")
    bonus = discipline.propose(
        sup.user,
        agents[1],
        "manual:special_contribution",
        "200",
        month,
        "整理退换货话术模板，被全组采用",
        "S6 特殊贡献奖：建议被采纳",
    )
    discipline.review(hr, bonus, "同意")
    for name_zh, name_en, points, stock in (
        ("京东购物卡 100 元", "JD gift card ¥100", 60, 10),
        ("蓝牙耳机", "Bluetooth earphones", 150, 3),
        ("带薪休假半天", "Half a day of paid leave", 40, None),
    ):
        Prize.objects.get_or_create(
            name_zh=name_zh, defaults={"name_en": name_en, "points": points, "stock": stock, "created_by": hr}
        )
    return 2


def demo_desk(today: date) -> int:
    """Last month and this month so far of desk activity for the after-sales team, worked through the
    desk's actions (its cases, breaches and surveys are facts of the runs below). Done once."""
    from merit.engine.metrics.compute import Period
    from merit.org.models import Team
    from merit.tickets.simulate import simulate_month

    team = Team.objects.filter(agents__role="after_sales").distinct().order_by("team_id").first()
    if team is None:
        return 0
    current = Period(today.year, today.month)
    return sum(simulate_month(team, str(p), per_day=6, seed=DEMO_SEED) for p in (current.shift(-1), current))


HISTORY_MONTHS = 3  # published months before last month's, so that the dashboards have trends
SCORECARD_POLICY = "S6-FD"  # the pre-sales team's scorecard: grades against forced-distribution quotas


def demo_history(today: date) -> list:
    """Earlier months published, oldest first: S1 for everyone from the fourth month back to the month
    before last (last month's is :func:`demo_runs`'), and the pre-sales team's scorecard (S6-FD: scores,
    grades A–D against quotas, gold-medal streaks) from the fourth month back to last month. Returns the
    runs; runs already there are found again."""
    from django.contrib.auth import get_user_model

    from merit.assessment import actions
    from merit.engine.metrics.compute import Period
    from merit.policies.actions import ensure_presets, resolve

    ensure_presets()
    User = get_user_model()
    hr, admin = User.objects.get(username="hr"), User.objects.get(username="admin")
    current = Period(today.year, today.month)
    runs = []
    for policy, last_back in ((DEMO_POLICY, 2), (SCORECARD_POLICY, 1)):
        for back in range(HISTORY_MONTHS + 1, last_back - 1, -1):
            run = _computed_run(hr, str(current.shift(-back)), resolve, policy)
            runs.append(_published(run, hr, admin, actions))
    return runs


def _published(run, hr, admin, actions):
    from merit.assessment.models import RunState

    steps = {
        RunState.COMPUTED: lambda r: actions.submit(r, hr),
        RunState.SUBMITTED: lambda r: actions.approve(r, admin),
        RunState.APPROVED: lambda r: actions.publish(r, admin),
    }
    while run.state in steps:
        run = steps[run.state](run)
    return run


def demo_dashboards(today: date) -> dict:
    """The dashboards' KPIs of the last six months and this month's provisional results, computed once
    now (the worker refreshes them every quarter of an hour while the demo is served)."""
    from merit.dashboards.actions import refresh

    return refresh(today=today)


def demo_runs(today: date) -> list:
    """Last month's S1 run published (``hr`` submits, ``admin`` approves and publishes) and this month's
    awaiting approval; returns them. Runs already there are found, not computed again."""
    from django.contrib.auth import get_user_model

    from merit.assessment import actions
    from merit.assessment.models import RunState
    from merit.engine.metrics.compute import Period
    from merit.policies.actions import ensure_presets, resolve

    ensure_presets()
    User = get_user_model()
    hr, admin = User.objects.get(username="hr"), User.objects.get(username="admin")
    current = Period(today.year, today.month)
    previous = _computed_run(hr, str(current.shift(-1)), resolve)
    steps = {
        RunState.COMPUTED: lambda run: actions.submit(run, hr),
        RunState.SUBMITTED: lambda run: actions.approve(run, admin),
        RunState.APPROVED: lambda run: actions.publish(run, admin),
    }
    while previous.state in steps:
        previous = steps[previous.state](previous)
    latest = _computed_run(hr, str(current), resolve)
    if latest.state == RunState.COMPUTED:
        latest = actions.submit(latest, hr)
    return [previous, latest]


def _computed_run(user, month: str, resolve, policy: str = DEMO_POLICY):
    from merit.assessment import actions
    from merit.assessment.models import RunState

    run = actions.request_run(user, resolve(policy, month), month, enqueue=False)
    if run.state == RunState.QUEUED:
        run = actions.compute_run(run.pk)
    if run.state == RunState.FAILED:
        raise SystemExit(f"demo run #{run.pk} ({policy} {month}) failed: {run.error}")
    return run


def print_users(users: list[DemoUser], url: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"演示账号 demo users — sign in at {url}", title_justify="left")
    for col in ("user", "password", "role", "team", "agent"):
        table.add_column(col)
    for u in users:
        table.add_row(u.username, u.password, u.role, u.team_id or "", u.agent_id or "")
    Console().print(table)
