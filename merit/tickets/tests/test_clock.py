"""The SLA clock of real cases, with times worked out by hand on the default hours (09:00–12:00 and
13:30–18:00, 7.5 business hours a day) and the 2026 calendar (National Day 10-01…10-07 off, Saturday
10-10 a make-up working day)."""

from __future__ import annotations

import pytest
import time_machine

from merit.facts.models import Ticket
from merit.tickets import actions, clock
from merit.tickets.models import SlaTarget, Status
from merit.tickets.tests.conftest import open_for, sh

pytestmark = pytest.mark.django_db


def test_friday_1750_with_a_one_hour_target_is_due_next_working_morning(desk):
    case = open_for(desk, "2026-03-06 17:50", priority="high")  # a Friday; high: 1 h / 24 h (S10 level 1)
    # 10 minutes on Friday, the other 50 from Monday 09:00.
    assert case.first_response_due_at == sh("2026-03-09 09:50")
    # near breach at 80 % = 48 min: 10 on Friday + 38 on Monday.
    assert case.first_response_warn_at == sh("2026-03-09 09:38")
    # 1440 min: Fri 10, Mon 450, Tue 450, Wed 450 (1360), Thu 80 → 10:20.
    assert case.resolution_due_at == sh("2026-03-12 10:20")
    assert clock.first_response_state(case, sh("2026-03-09 09:30")) == clock.OK
    assert clock.first_response_state(case, sh("2026-03-09 09:40")) == clock.NEAR
    assert clock.first_response_state(case, sh("2026-03-09 09:51")) == clock.BREACHED


def test_across_national_day_and_its_make_up_saturday(desk):
    before = open_for(desk, "2026-09-30 17:30", priority="high")
    assert before.first_response_due_at == sh("2026-10-08 09:30")  # 30 min on 09-30, then 10-08
    friday = open_for(desk, "2026-10-09 17:00", priority="normal")  # normal: 3 h / 48 h (level 2)
    # 1 h on Friday, 2 h on the make-up Saturday 10-10 (a working day).
    assert friday.first_response_due_at == sh("2026-10-10 11:00")
    # 2880 min: Fri 60, Sat 450, Mon 12 450, Tue 13 450, Wed 14 450, Thu 15 450 (2310), Fri 16 450 (2760),
    # Mon 19 120 → 11:00 (Sunday 10-11 and the weekend 10-17/18 do not count).
    assert friday.resolution_due_at == sh("2026-10-19 11:00")


def test_lunch_break_is_not_business_time(desk):
    case = open_for(desk, "2026-03-09 11:40", priority="urgent")  # urgent: 30 min (S8)
    assert case.first_response_due_at == sh("2026-03-09 13:40")  # 20 min before noon, 10 after 13:30
    assert case.first_response_warn_at == sh("2026-03-09 13:34")  # 80 % = 24 min
    assert case.resolution_due_at == sh("2026-03-09 15:10")  # 120 min: 20 before noon + 100 from 13:30


def test_the_clock_pauses_while_waiting_on_the_customer(desk):
    li = desk.users["li"]
    case = open_for(desk, "2026-03-09 09:00", priority="high")
    assert case.assignee.agent_id in {"li", "wang"}
    if case.assignee.agent_id != "li":
        case = actions.assign(case, desk.agents["li"], by=desk.users["sup1"], at=sh("2026-03-09 09:01"))
    assert case.resolution_due_at == sh("2026-03-12 10:30")  # 1440 min from Monday 09:00
    actions.reply(case, "您好，请提供退款截图", by=li, at=sh("2026-03-09 09:10"))
    case = actions.wait_on_customer(case, "等待客户提供截图", by=li, at=sh("2026-03-09 10:00"))
    assert case.status == Status.PENDING and case.resolution_due_at is None
    assert clock.resolution_state(case, sh("2026-03-20 10:00")) == clock.PAUSED  # never breaches while paused
    case = actions.customer_message(case, "截图已发", by=li, at=sh("2026-03-10 10:00"))
    # paused: Mon 10:00–12:00 (120) + 13:30–18:00 (270) + Tue 09:00–10:00 (60) = 450 min.
    assert case.paused_s == 450 * 60
    assert case.resolution_due_at == sh("2026-03-13 10:30")  # one business day later than before
    case = actions.resolve(case, "已退款", by=li, at=sh("2026-03-13 10:00"))
    fact = Ticket.objects.get(ticket_id=case.ticket_id)
    assert (fact.paused_s, fact.resolution_breached, fact.first_response_breached) == (27000, False, False)
    assert fact.agent_id == "li" and fact.priority == "high"


def test_a_team_target_for_a_kind_wins_over_the_defaults(desk):
    SlaTarget.objects.create(
        team=desk.teams["T1"],
        kind="complaint",
        priority="high",
        first_response_minutes=15,
        resolution_minutes=240,
    )
    complaint = open_for(desk, "2026-03-09 09:00", kind="complaint")
    refund = open_for(desk, "2026-03-09 09:00", kind="refund")
    other_team = open_for(desk, "2026-03-09 09:00", kind="complaint", team="T2", by="sup2")
    assert complaint.first_response_due_at == sh("2026-03-09 09:15")
    assert refund.first_response_due_at == sh("2026-03-09 10:00")
    assert other_team.first_response_due_at == sh("2026-03-09 10:00")


def test_a_late_reply_is_a_breach_and_a_supervisor_may_exempt_it(desk):
    case = open_for(desk, "2026-03-09 09:00", priority="urgent")
    holder = case.assignee.user
    case = actions.reply(case, "抱歉久等", by=holder, at=sh("2026-03-09 09:45"))  # due 09:30
    assert case.first_response_breached_at == sh("2026-03-09 09:45")
    fact = Ticket.objects.get(ticket_id=case.ticket_id)
    assert fact.first_response_breached and not fact.first_response_exempted
    with pytest.raises(actions.PermissionDenied):
        actions.exempt(case, "first_response", "系统故障", by=holder)  # the agent may not exempt
    case = actions.exempt(case, "first_response", "千牛系统故障 09:00–09:40", by=desk.users["sup1"])
    assert case.first_response_exempt_reason.startswith("千牛")
    assert clock.first_response_state(case, sh("2026-03-09 10:00")) == clock.EXEMPTED
    assert Ticket.objects.get(ticket_id=case.ticket_id).first_response_exempted
    with pytest.raises(actions.DeskConflict):
        actions.exempt(case, "first_response", "again", by=desk.users["sup1"])
    with pytest.raises(actions.DeskConflict):
        actions.exempt(case, "resolution", "nothing to exempt", by=desk.users["sup1"])


def test_the_sweep_marks_breaches_in_frozen_time(desk):
    late = open_for(desk, "2026-03-09 09:00", priority="urgent")  # first response due 09:30
    early = open_for(desk, "2026-03-09 09:00", priority="normal")  # due 12:00
    with time_machine.travel(sh("2026-03-09 09:31"), tick=False):
        assert actions.sweep() == {"assigned": 0, "first_response": 1, "resolution": 0}
        assert actions.sweep()["first_response"] == 0  # marked once
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.first_response_breached_at == sh("2026-03-09 09:31")
    assert early.first_response_breached_at is None
    assert Ticket.objects.get(ticket_id=late.ticket_id).first_response_breached
    assert not Ticket.objects.get(ticket_id=early.ticket_id).first_response_breached
    # urgent resolution due 11:00; the normal case's first response due 12:00
    with time_machine.travel(sh("2026-03-09 15:21"), tick=False):
        assert actions.sweep() == {"assigned": 0, "first_response": 1, "resolution": 1}
