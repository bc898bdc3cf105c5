"""The embedded demo: a shop of 3 teams and 30 agents with 6 months of facts, users for every role, last
month's S1 run published after four-eyes review and this month's awaiting approval, earlier months and the
pre-sales scorecard published for the dashboards."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merit.assessment.models import AgentResult, Run, RunState
from merit.demo import DEMO_POLICY, SCORECARD_POLICY, first_month, prepare
from merit.facts.models import Chat, Ticket
from merit.ledger.models import LedgerEntry
from merit.org.models import Agent, Membership, Team

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_month_counts_back_over_the_year_end():
    assert first_month(date(2026, 11, 23)) == "2026-06"
    assert first_month(date(2027, 3, 1)) == "2026-10"


def test_demo_loads_the_shop_once_and_every_printed_user_signs_in(tmp_path):
    users = prepare(tmp_path, today=date(2026, 11, 23))
    assert Team.objects.count() == 3
    assert Agent.objects.count() == 30
    chats, tickets = Chat.objects.count(), Ticket.objects.count()
    assert chats > 1000 and tickets > 100
    months = {d.strftime("%Y-%m") for d in Chat.objects.datetimes("started_at", "month")}
    assert months == {"2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"}

    roles = sorted(u.role for u in users)
    assert roles.count("admin") == 1 and roles.count("hr") == 1
    assert roles.count("supervisor") == 3 and roles.count("agent") == 6
    for u in users:  # through the sign-in page, as a person would
        client = Client()
        response = client.post("/login/", {"username": u.username, "password": u.password})
        assert response.status_code == 302, u.username
        assert client.get("/").status_code == 200
    sup = next(u for u in users if u.role == "supervisor")
    assert Membership.objects.get(user__username=sup.username).team.team_id == sup.team_id
    agent = next(u for u in users if u.role == "agent")
    assert Agent.objects.get(agent_id=agent.agent_id).user.username == agent.username

    # Last month published by admin after hr submitted it; this month submitted by hr, starting from it.
    s1 = Run.objects.filter(policy_version__policy_id=DEMO_POLICY)
    published = s1.get(first_period="2026-10")
    current = s1.get(first_period="2026-11")
    assert published.policy_version.policy_id == current.policy_version.policy_id == DEMO_POLICY
    assert (published.state, published.submitted_by.username) == (RunState.PUBLISHED, "hr")
    assert (published.approved_by.username, published.published_by.username) == ("admin", "admin")
    assert (current.state, current.submitted_by.username) == (RunState.SUBMITTED, "hr")
    assert current.state_from == published
    assert AgentResult.objects.filter(run=published).count() == 30
    # Publishing posted the month's ledger: point entries and bonuses for the agents.
    books = set(LedgerEntry.objects.filter(run=published).values_list("book", flat=True))
    assert books == {"points", "money"}
    assert not LedgerEntry.objects.filter(run=current).exists()  # not published yet
    admin = Client()
    admin.post(
        "/login/", {"username": "admin", "password": next(u.password for u in users if u.role == "admin")}
    )
    page = admin.get(f"/runs/{current.pk}/").content.decode()
    assert 'id="approve-run"' in page  # admin did not submit it: they may approve it
    runs = {r.pk: (r.state, r.output_sha256) for r in Run.objects.all()}

    # Earlier months published too, each starting from the month before: S1 from July, and the
    # pre-sales team's scorecard (S6-FD) from July to October, so the dashboards have trends and grades.
    history = s1.filter(state=RunState.PUBLISHED).order_by("first_period")
    assert [r.first_period for r in history] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert all(b.state_from == a for a, b in zip(history, history[1:], strict=False))
    scorecard = Run.objects.filter(policy_version__policy_id=SCORECARD_POLICY, state=RunState.PUBLISHED)
    assert sorted(scorecard.values_list("first_period", flat=True)) == [
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    pre_sales = AgentResult.objects.filter(run__in=scorecard, period="2026-10")
    assert pre_sales.count() == 10 and set(pre_sales.values_list("agent__team__team_id", flat=True)) == {
        "T001"
    }
    # Forced distribution of 10 agents: A 15 % → 2 (largest remainder), B 45 % → 4, C 30 % → 3, D 10 % → 1.
    grades = sorted(pre_sales.values_list("grade", flat=True))
    assert grades == ["A", "A", "B", "B", "B", "B", "C", "C", "C", "D"]
    # The dashboards' KPIs of the six months and this month's provisional results are there.
    from merit.dashboards.models import KpiValue, ProvisionalResult

    assert set(KpiValue.objects.values_list("period", flat=True)) == months
    provisional = ProvisionalResult.objects.filter(period="2026-11")
    assert provisional.filter(policy_version__policy_id=DEMO_POLICY).count() == 30
    assert provisional.filter(policy_version__policy_id=SCORECARD_POLICY).count() == 10

    # HR keeps the organisation and the desk's set-up in the admin pages, but gives no one a role there
    hr_user = get_user_model().objects.get(username="hr")
    assert hr_user.has_perm("org.change_agent") and hr_user.has_perm("tickets.change_slatarget")
    assert not hr_user.has_perm("org.change_membership") and not hr_user.has_perm("auth.change_user")
    assert not hr_user.has_perm("org.delete_agent")

    # The procedure under way: a notice waiting for its agent, a bonus in effect, prizes in the shop.
    from merit.discipline.models import Notice, Proposal
    from merit.shop.models import Prize

    [notice] = Notice.objects.all()
    assert notice.state == "issued" and notice.proposal.agent.user is not None
    assert not LedgerEntry.objects.filter(origin=f"notice:{notice.pk}").exists()  # not acknowledged yet
    bonus = Proposal.objects.get(item="manual:special_contribution")
    assert bonus.state == "effective"
    assert LedgerEntry.objects.get(origin=f"proposal:{bonus.pk}").amount == 200
    assert Prize.objects.count() == 3

    # Preparing again imports nothing twice, finds the same runs and gives new passwords.
    again = prepare(tmp_path, today=date(2026, 11, 23))
    assert Notice.objects.count() == 1 and Prize.objects.count() == 3
    assert (Chat.objects.count(), Ticket.objects.count()) == (chats, tickets)
    assert {r.pk: (r.state, r.output_sha256) for r in Run.objects.all()} == runs
    assert get_user_model().objects.count() == len(users)
    assert {u.username: u.password for u in again} != {u.username: u.password for u in users}
