"""Teams and agents keep their natural keys and rules on every database (SQLite and PostgreSQL)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from merit.org.models import Agent, Membership, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    t = Team.objects.create(team_id="T1", name="售后一组")
    Agent.objects.create(
        agent_id="li", name="李明", team=t, role="after_sales", base_bonus=Decimal("1200.50")
    )
    Agent.objects.create(agent_id="wang", name="王芳", team=t, role="after_sales")
    return t


def test_money_is_exact_and_agents_list_in_order(team):
    li = Agent.objects.get(agent_id="li")
    assert li.base_bonus == Decimal("1200.50")
    assert [a.agent_id for a in team.agents.all()] == ["li", "wang"]


def test_agent_ids_are_unique(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(agent_id="li", name="另一个李明", team=team, role="cloud")


def test_base_bonus_cannot_be_negative(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(agent_id="zhao", name="赵强", team=team, role="cloud", base_bonus=Decimal("-1"))


def test_a_team_with_agents_cannot_be_deleted(team):
    with pytest.raises(ProtectedError):
        team.delete()


def test_a_supervisor_needs_a_team(team):
    user = get_user_model().objects.create_user("boss", password="x-9a7c3e1!")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role="supervisor")
    Membership.objects.create(user=user, role="supervisor", team=team)
    assert user.membership.team == team
