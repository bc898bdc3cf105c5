"""A month of desk activity, worked through the real actions (for the demo and its tests).

Every working day of the month a team receives cases at random times (some after hours), replies come
mostly within the target and sometimes late, some cases wait on the customer, a few are transferred
(sometimes to dodge them), most are resolved and closed, some customers answer the survey, a few cases
are reopened. The same seed gives the same month. Nothing here bypasses the actions: the cases, their
facts, breaches and surveys are exactly what working the desk by hand would leave.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from merit.engine.metrics.compute import Period
from merit.org.calendar import work_calendar
from merit.tickets import actions
from merit.tickets.models import Case, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = (
    ["refund"] * 4
    + ["return"] * 3
    + ["exchange"] * 2
    + ["logistics"] * 2
    + ["complaint", "invoice", "repair", "inquiry"]
)
PRIORITIES = ["urgent"] + ["high"] * 3 + ["normal"] * 6
CHANNELS = ["chat"] * 5 + ["phone", "wechat", "app", "email"]


def simulate_month(
    team, month: str, *, per_day: int = 8, seed: int = 7, until: datetime | None = None
) -> int:
    """Open and work a month of cases for ``team`` (none opened after ``until``, default now); returns
    how many cases were opened. A month that already has desk cases for the team is left as it is."""
    period = Period.parse(month)
    first = date(period.year, period.month, 1)
    nxt = period.shift(1)
    end = date(nxt.year, nxt.month, 1)
    until = until or timezone.now()
    start_at = datetime.combine(first, time(0), tzinfo=SHANGHAI)
    if Case.objects.filter(
        team=team, created_at__gte=start_at, created_at__lt=datetime.combine(end, time(0), tzinfo=SHANGHAI)
    ).exists():
        return 0
    rng = random.Random(f"{seed}:{team.team_id}:{month}")
    calendar = work_calendar()
    opened = 0
    day = first
    while day < end:
        if calendar.is_workday(day):
            for _ in range(rng.randint(per_day - 3, per_day + 3)):
                minute = rng.choice([rng.randint(9 * 60, 18 * 60), rng.randint(9 * 60, 22 * 60)])
                at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=SHANGHAI)
                if at > until:
                    continue
                _work(team, at, rng, until)
                opened += 1
        day += timedelta(days=1)
    actions.sweep(until)
    return opened


def _work(team, at: datetime, rng: random.Random, until: datetime) -> None:
    kind = rng.choice(KINDS)
    case = actions.open_case(
        team=team,
        kind=kind,
        channel=rng.choice(CHANNELS),
        priority=rng.choice(PRIORITIES),
        subject=f"{case_subject(kind)} #{rng.randint(1000, 9999)}",
        body="客户来信：请尽快处理",
        order_ref=f"TB{rng.randint(10**11, 10**12 - 1)}",
        customer_name=rng.choice("张王李赵刘陈杨黄") + rng.choice(["先生", "女士"]),
        customer_contact=f"1{rng.choice('35789')}{rng.randint(10**8, 10**9 - 1)}",
        partner_merchant="顺丰售后" if kind == "repair" else "",
        by=None,  # it came in through the shop's channel: the customer wrote, nobody in merit opened it
        at=at,
    )
    if case.assignee is None:
        return  # nobody on shift: the sweep assigns it later

    def step(minutes: int) -> datetime | None:
        nonlocal at
        at = at + timedelta(minutes=minutes)
        return at if at <= until else None

    holder = case.assignee
    late = rng.random() < 0.12
    if (
        step(
            rng.randint(case.first_response_minutes + 5, case.first_response_minutes * 3)
            if late
            else rng.randint(1, max(2, case.first_response_minutes // 2))
        )
        is None
    ):
        return
    actions.reply(case, "您好，已收到您的问题，正在为您处理。", by=holder.user, at=at)
    if rng.random() < 0.1:
        others = [a for a in team.agents.filter(active=True, user__isnull=False) if a.pk != holder.pk]
        if others and step(rng.randint(5, 60)):
            reason = rng.choice(["skill", "workload", "other"])
            actions.transfer(
                case,
                rng.choice(others),
                reason=reason,
                note="客户情绪激动" if reason == "other" else "",
                by=holder.user,
                at=at,
            )
            holder = Case.objects.get(pk=case.pk).assignee
    if rng.random() < 0.2:
        if step(rng.randint(5, 90)) is None:
            return
        actions.wait_on_customer(case, "等待客户提供照片/单号", by=holder.user, at=at)
        if step(rng.randint(60, 26 * 60)) is None:
            return
        actions.customer_message(case, "照片已发", by=holder.user, at=at)
    if rng.random() < 0.05:
        return  # still open at the end of the month
    budget = case.resolution_minutes
    if (
        step(rng.randint(budget, budget * 3) if rng.random() < 0.1 else rng.randint(10, max(20, budget // 3)))
        is None
    ):
        return
    actions.resolve(
        case, "已按规则处理完毕" if not case.partner_merchant else "商家已上门处理", by=holder.user, at=at
    )
    if step(rng.randint(10, 240)) is None:
        return
    case = actions.close(case, by=holder.user, at=at)
    if rng.random() < 0.6 and step(rng.randint(5, 600)):
        score = rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 5, 5])[0]
        actions.answer_survey(case.pk, case.survey_nonce, score, "" if score > 3 else "处理太慢", at=at)
    if rng.random() < 0.05 and step(rng.randint(60, 3000)):
        case = actions.reopen(case, "客户反馈问题未解决", by=holder.user, at=at)
        if step(rng.randint(30, 600)) and case.status == Status.OPEN:
            actions.resolve(case, "再次处理完毕", by=holder.user, at=at)


def case_subject(kind: str) -> str:
    return {
        "refund": "退款未到账",
        "return": "申请退货",
        "exchange": "尺码不合适换货",
        "logistics": "物流一直未更新",
        "complaint": "投诉客服态度",
        "invoice": "开具发票",
        "repair": "商品故障维修",
        "inquiry": "售后政策咨询",
    }.get(kind, "其他问题")
