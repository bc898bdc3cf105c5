"""Appeals on working days (frozen time, Chinese calendar 2026), escalation once, outcomes and their
entries, late appeals refused with the day the window closed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from merit.appeals import actions as AP
from merit.appeals.models import AppealState, Outcome
from merit.audit.models import AuditEntry
from merit.discipline import actions as A
from merit.inbox.models import Notification
from merit.ledger.models import LedgerEntry


def shanghai(y, m, d, h=10):
    return datetime(y, m, d, h, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def money(agent_id="li") -> Decimal:
    return sum(
        LedgerEntry.objects.filter(agent_id=agent_id, book="money").values_list("amount", flat=True),
        Decimal(0),
    )


def effective_fine(world, amount="200"):
    p = A.propose(
        world.users["sup1"], world.agents["li"], "manual:fine", amount, "2026-02", "迟到三次", "违反考勤"
    )
    p = A.review(world.users["hr"], p)
    A.acknowledge(world.users["li"], p.notice)
    p.notice.refresh_from_db()
    return p.notice


def test_filing_window_skips_the_spring_festival_and_counts_the_make_up_saturday(world):
    # Notice issued Fri 2026-02-13. 3 working days: Sat 02-14 (make-up), Tue 02-24, Wed 02-25
    # (02-15 … 02-23 is the holiday). The window closes at the end of 02-25.
    with time_machine.travel(shanghai(2026, 2, 13), tick=False):
        n = effective_fine(world)
    assert n.issued_on.isoformat() == "2026-02-13" and n.appeal_until.isoformat() == "2026-02-25"
    with time_machine.travel(shanghai(2026, 2, 25, 23), tick=False):
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "当天系统故障，非本人原因")
    assert a.file_until.isoformat() == "2026-02-25"
    # 5 working days to answer from Wed 02-25: 26, 27, Sat 28 (make-up), Mon 03-02, Tue 03-03.
    assert a.answer_due.isoformat() == "2026-03-03"


def test_an_appeal_filed_before_the_holiday_is_on_time_after_it(world):
    # Filed on Sat 2026-02-14, the last working day before the holiday: the answer window counts
    # 02-24, 25, 26, 27 and the make-up Saturday 02-28 → due 02-28, so on 02-27 it is not overdue.
    with time_machine.travel(shanghai(2026, 2, 14, 9), tick=False):
        n = effective_fine(world)
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "理由")
    assert a.answer_due.isoformat() == "2026-02-28"
    assert AP.sweep(shanghai(2026, 2, 23, 12)) == {"reminded": 0, "escalated": 0}  # holiday: nothing due
    assert AP.sweep(shanghai(2026, 2, 27, 12)) == {"reminded": 0, "escalated": 0}  # 36 h left
    assert AP.sweep(shanghai(2026, 2, 28, 9)) == {"reminded": 1, "escalated": 0}  # the last day: reminded
    assert AP.sweep(shanghai(2026, 2, 28, 23)) == {"reminded": 0, "escalated": 0}  # once; still on time
    a.refresh_from_db()
    assert a.level == 1 and a.escalated_at is None
    assert AP.sweep(shanghai(2026, 3, 1, 9))["escalated"] == 1  # Sunday 03-01: overdue


def test_an_overdue_appeal_escalates_exactly_once(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):  # Mon
        n = effective_fine(world)
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "理由")
    assert a.answer_due.isoformat() == "2026-03-09"  # 3, 4, 5, 6, 9 March
    assert (
        AP.sweep(
            shanghai(
                2026,
                3,
                10,
                0,
            )
        )["escalated"]
        == 1
    )
    assert AP.sweep(shanghai(2026, 3, 10, 9))["escalated"] == 0
    assert AP.sweep(shanghai(2026, 3, 12, 9))["escalated"] == 0
    a.refresh_from_db()
    assert a.level == 2 and a.escalated_at is not None
    assert AuditEntry.objects.filter(action="appeals.escalate").count() == 1
    assert Notification.objects.filter(user=world.users["admin"], kind="appeal.escalated").count() == 1
    # escalated: HR no longer answers, an admin does
    with pytest.raises(PermissionDenied):
        AP.answer(world.users["hr"], a, Outcome.UPHELD, "维持")
    AP.answer(world.users["admin"], a, Outcome.UPHELD, "维持原决定")


def test_overturning_a_fine_reverses_it_and_the_balance_returns(world):
    before = money()
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        n = effective_fine(world, "200")
        assert money() == before - Decimal("200.00")
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "打卡机故障")
        with pytest.raises(PermissionDenied):  # the proposer (sup1) never answers
            AP.answer(world.users["sup1"], a, Outcome.OVERTURNED, "x")
        AP.answer(world.users["hr"], a, Outcome.OVERTURNED, "核实打卡机故障，撤销处罚")
    a.refresh_from_db()
    assert (a.state, a.outcome) == (AppealState.ANSWERED, Outcome.OVERTURNED)
    [rev] = LedgerEntry.objects.filter(origin=f"appeal:{a.pk}")
    assert rev.amount == Decimal("200.00") and rev.reverses.origin == f"notice:{n.pk}"
    assert money() == before
    with pytest.raises(PermissionDenied):  # answered once: nobody answers again
        AP.answer(world.users["admin"], a, Outcome.UPHELD, "x")


def test_partly_upheld_corrects_the_amount(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        n = effective_fine(world, "200")
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "情节较轻")
        with pytest.raises(ValidationError, match="corrected amount"):
            AP.answer(world.users["hr"], a, Outcome.PARTLY, "减轻")
        with pytest.raises(ValidationError, match="less than"):
            AP.answer(world.users["hr"], a, Outcome.PARTLY, "减轻", "200")
        AP.answer(world.users["hr"], a, Outcome.PARTLY, "情节较轻，改为 50 元", "50")
    a.refresh_from_db()
    assert a.corrected_amount == Decimal("-50.00")
    amounts = sorted(LedgerEntry.objects.filter(origin=f"appeal:{a.pk}").values_list("amount", flat=True))
    assert amounts == [Decimal("-50.00"), Decimal("200.00")]  # the reversal and the corrected fine
    assert money() == Decimal("-50.00")  # −200 + 200 − 50


def test_a_late_appeal_is_refused_with_the_day_it_closed(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        n = effective_fine(world)
    with (
        time_machine.travel(shanghai(2026, 3, 6), tick=False),
        pytest.raises(ValidationError, match="closed on 2026-03-05"),
    ):
        AP.file_appeal(world.users["li"], f"notice:{n.pk}", "理由")
    assert not n.proposal.agent.appeals.exists()


def test_only_the_agent_appeals_and_only_once(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        n = effective_fine(world)
        with pytest.raises(PermissionDenied):
            AP.file_appeal(world.users["wang"], f"notice:{n.pk}", "理由")
        AP.file_appeal(world.users["li"], f"notice:{n.pk}", "理由")
        with pytest.raises(ValidationError, match="already"):
            AP.file_appeal(world.users["li"], f"notice:{n.pk}", "理由")
        with pytest.raises(ValidationError, match="No item"):
            AP.file_appeal(world.users["li"], "notice:99999", "理由")


def test_an_appeal_on_a_ledger_entry_of_a_run(world):
    from merit.ledger.procedure import Movement, post

    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        [e] = post(
            [Movement("li", "points", "deduction", Decimal("-5"), "2026-03", "late")], "redemption:1", None
        )
        a = AP.file_appeal(world.users["li"], f"entry:{e.pk}", "未迟到")
        AP.answer(world.users["hr"], a, Outcome.OVERTURNED, "核实未迟到")
    assert LedgerEntry.objects.get(origin=f"appeal:{a.pk}").amount == Decimal("5.00")


def test_an_overturned_sla_breach_is_exempted_on_the_desk(world):
    from merit.tickets import actions as desk
    from merit.tickets.models import DeskTeam

    DeskTeam.objects.get_or_create(team=world.teams["T1"])
    case = desk.open_case(
        team=world.teams["T1"],
        kind="refund",
        channel="chat",
        priority="high",
        subject="退款未到账",
        by=world.users["sup1"],
        at=shanghai(2026, 3, 2, 9),
        auto_assign=False,
    )
    desk.assign(case, world.agents["li"], by=world.users["sup1"], at=shanghai(2026, 3, 2, 9))
    desk.sweep(shanghai(2026, 3, 3, 12))  # a day later: the first response is overdue
    case.refresh_from_db()
    assert case.first_response_breached_at is not None
    with time_machine.travel(shanghai(2026, 3, 3, 14), tick=False):
        with pytest.raises(PermissionDenied):  # not the assignee
            AP.file_appeal(world.users["wang"], f"breach:{case.pk}", "系统故障")
        a = AP.file_appeal(world.users["li"], f"breach:{case.pk}", "当天系统故障，消息未推送")
        AP.answer(world.users["hr"], a, Outcome.OVERTURNED, "核实系统故障")
    case.refresh_from_db()
    assert case.first_response_exempt_reason == f"申诉 #{a.pk} 撤销 overturned on appeal #{a.pk}"
    assert case.exempted_by == world.users["hr"]


def test_a_notice_overturned_before_it_takes_effect_posts_nothing_when_acknowledged(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        p = A.propose(
            world.users["sup1"], world.agents["li"], "manual:fine", "200", "2026-03", "迟到", "违反考勤"
        )
        n = A.review(world.users["hr"], p).notice
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "打卡机故障")
        AP.answer(world.users["hr"], a, Outcome.OVERTURNED, "撤销")
        A.acknowledge(world.users["li"], n)  # signing afterwards does not bring the fine back
    assert not LedgerEntry.objects.filter(origin=f"notice:{n.pk}").exists()
    assert money() == Decimal(0)


def test_a_notice_partly_upheld_before_it_takes_effect_posts_the_corrected_amount(world):
    with time_machine.travel(shanghai(2026, 3, 2), tick=False):
        p = A.propose(
            world.users["sup1"], world.agents["li"], "manual:fine", "200", "2026-03", "迟到", "违反考勤"
        )
        n = A.review(world.users["hr"], p).notice
        a = AP.file_appeal(world.users["li"], f"notice:{n.pk}", "情节较轻")
        AP.answer(world.users["hr"], a, Outcome.PARTLY, "改为 50 元", "50")
        A.acknowledge(world.users["li"], n)
    [entry] = LedgerEntry.objects.filter(origin=f"notice:{n.pk}")
    assert entry.amount == Decimal("-50.00") and money() == Decimal("-50.00")
