"""A month of desk activity feeds an assessment run: the run's first-response and resolution metrics are
the cases' own times (no export step), worked out here from the cases themselves."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest

from merit.api.tests.conftest import build_world
from merit.assessment import actions as runs
from merit.facts.models import Rating, Ticket
from merit.policies.actions import ensure_presets, resolve
from merit.tickets.models import Case, Survey
from merit.tickets.simulate import simulate_month
from merit.tickets.tests.conftest import SHANGHAI, sh

pytestmark = pytest.mark.django_db(transaction=True)  # on PostgreSQL the run reads committed facts


def hours(a: datetime, b: datetime) -> Decimal:
    return Decimal(int((b - a).total_seconds())) / Decimal(3600)


def test_a_month_of_desk_activity_feeds_the_run():
    world = build_world()
    opened = simulate_month(world.teams["T1"], "2026-03", until=sh("2026-04-01 09:00"))
    assert opened > 100
    march = [
        c
        for c in Case.objects.select_related("assignee", "resolved_by")
        if c.created_at.astimezone(SHANGHAI).month == 3
    ]
    assert Ticket.objects.filter(ticket_id__startswith="D").count() == sum(1 for c in march if c.assignee_id)
    assert Rating.objects.filter(source="survey").count() == Survey.objects.count() > 0
    # the customers wrote in through the shop's channel: no supervisor is their author
    from merit.tickets.models import CaseMessage, MessageKind

    first_messages = CaseMessage.objects.filter(kind=MessageKind.CUSTOMER, body="客户来信：请尽快处理")
    assert first_messages.count() == len(march) and not first_messages.exclude(author=None).exists()
    assert not any(c.created_by_id for c in march)

    # By hand from the cases: per agent (the resolver, else the holder) the mean wall-clock hours.
    first, resolution = defaultdict(list), defaultdict(list)
    for c in march:
        if not c.assignee_id and not c.resolved_by_id:
            continue
        agent = (c.resolved_by or c.assignee).agent_id
        if c.first_response_at:
            first[agent].append(hours(c.created_at, c.first_response_at))
        if c.resolved_at:
            resolution[agent].append(hours(c.created_at, c.resolved_at))

    ensure_presets()
    hr = world.users["hr"]
    run = runs.compute_run(runs.request_run(hr, resolve("S10", "2026-03"), "2026-03", enqueue=False).pk)
    assert run.state == "computed", run.error
    checked = 0
    for result in run.agent_results.all():
        lines = {line["item"]: line for line in result.doc["lines"]}
        agent = result.agent_id
        if agent not in first:
            continue
        for item, values in (("first_response", first[agent]), ("resolution", resolution[agent])):
            got = Decimal(lines[item]["value"])
            expected = sum(values) / len(values)
            assert abs(got - expected) < Decimal("0.01"), (agent, item, got, expected)
            checked += 1
    assert checked == 4  # li and wang, both metrics
