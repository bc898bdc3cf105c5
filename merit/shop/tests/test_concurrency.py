"""Redemptions at the same moment, with real threads and connections (SQLite file with IMMEDIATE
transactions; PostgreSQL row locks): an agent with 100 points ordering a 60-point prize four times gets
exactly one, and a prize with 2 in stock goes to exactly 2 of 4 agents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.assessment.tests.conftest import file_database  # noqa: F401  (fixture)
from merit.assessment.tests.test_concurrency import at_once
from merit.ledger import posting as P
from merit.ledger.procedure import Movement, post
from merit.org.models import Agent, Membership
from merit.shop import actions as A
from merit.shop.models import Order, Prize
from merit.web.tests.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def _points(agent_id, amount):
    post([Movement(agent_id, P.POINTS, P.OPENING, Decimal(amount), "2026-03", "opening")], "proposal:1", None)


def test_concurrent_redemptions_never_overspend_the_balance(file_database):  # noqa: F811
    world = build_world()
    _points("li", "100")
    card = Prize.objects.create(name_zh="购物卡", points=60, created_by=world.users["hr"])
    results = at_once(*[lambda: A.redeem(world.users["li"], card) for _ in range(4)])
    assert results.count("ok") == 1, results
    assert A.points_balance(Agent.objects.get(agent_id="li")) == Decimal("40.00")
    assert Order.objects.count() == 1


def test_concurrent_redemptions_never_oversell_the_stock(file_database):  # noqa: F811
    world = build_world()
    User = type(world.users["li"])
    users = []
    for i in range(4):
        u = User.objects.create_user(f"a{i}")
        Membership.objects.create(user=u, role="agent")
        Agent.objects.create(
            agent_id=f"a{i}", name=f"客服{i}", team=world.teams["T1"], role="after_sales", user=u
        )
        _points(f"a{i}", "100")
        users.append(u)
    mug = Prize.objects.create(name_zh="马克杯", points=30, stock=2, created_by=world.users["hr"])
    results = at_once(*[lambda u=u: A.redeem(u, mug) for u in users])
    assert results.count("ok") == 2, results
    mug.refresh_from_db()
    assert mug.stock == 0 and Order.objects.count() == 2
