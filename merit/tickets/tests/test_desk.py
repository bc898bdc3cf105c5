"""The life cycle, assignment, surveys and who sees what, against the rules of docs/desk.md."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from merit.audit.models import AuditEntry
from merit.facts.models import Incident, Rating, Ticket
from merit.org.models import Shift
from merit.tickets import access, actions
from merit.tickets.models import AgentSkill, Case, DeskTeam, Status, Strategy
from merit.tickets.tests.conftest import open_for, sh

pytestmark = pytest.mark.django_db


def user(world, key):
    return world.users[key]


def test_life_cycle_new_open_pending_resolved_closed_reopen(desk):
    case = open_for(desk, "2026-03-09 09:00")
    assert case.status == Status.NEW and case.ticket_id == f"D{case.pk:08d}"
    holder = case.assignee.user
    actions.reply(case, "您好", by=holder, at=sh("2026-03-09 09:05"))
    actions.wait_on_customer(case, "等待物流单号", by=holder, at=sh("2026-03-09 09:10"))
    actions.customer_message(case, "单号 SF123", by=holder, at=sh("2026-03-09 09:20"))
    actions.add_note(case, "仓库已确认", by=holder, at=sh("2026-03-09 09:25"))
    actions.resolve(case, "已补发", by=holder, at=sh("2026-03-09 10:00"))
    case = actions.close(case, by=holder, at=sh("2026-03-09 10:05"))
    assert case.status == Status.CLOSED and case.survey_nonce
    with pytest.raises(actions.DeskConflict):
        actions.reply(case, "closed already", by=holder)
    case = actions.reopen(case, "客户说没收到", by=holder, at=sh("2026-03-10 09:00"))
    assert (case.status, case.reopen_count, case.resolved_at) == (Status.OPEN, 1, None)
    fact = Ticket.objects.get(ticket_id=case.ticket_id)
    assert fact.reopened and fact.reopen_count == 1 and fact.resolved_at is None
    assert fact.first_response_at == sh("2026-03-09 09:05") and fact.closed_at == sh("2026-03-09 10:05")
    kinds = list(case.messages.values_list("kind", flat=True))
    assert kinds.count("reply") == 1 and "note" in kinds and "customer" in kinds
    actions_logged = set(AuditEntry.objects.filter(target_id=str(case.pk)).values_list("action", flat=True))
    assert {
        "tickets.case.open",
        "tickets.case.resolve",
        "tickets.case.close",
        "tickets.case.reopen",
    } <= actions_logged


def test_least_open_and_round_robin_assignment(desk):
    first = open_for(desk, "2026-03-09 09:00")
    second = open_for(desk, "2026-03-09 09:01")
    assert {first.assignee.agent_id, second.assignee.agent_id} == {"li", "wang"}  # one each: least open
    DeskTeam.objects.filter(team=desk.teams["T1"]).update(strategy=Strategy.ROUND_ROBIN)
    got = [open_for(desk, f"2026-03-09 09:1{i}").assignee.agent_id for i in range(4)]
    assert got in (["li", "wang", "li", "wang"], ["wang", "li", "wang", "li"])


def test_assignment_respects_shifts_leave_and_skills(desk):
    t1 = desk.teams["T1"]
    late_shift = Shift.objects.create(name="晚班", team=t1, starts_at="18:00", ends_at="23:59")
    wang = desk.agents["wang"]
    wang.shift = late_shift
    wang.save()
    assert open_for(desk, "2026-03-09 10:00").assignee.agent_id == "li"  # wang is not on shift at 10:00
    assert open_for(desk, "2026-03-09 10:01").assignee.agent_id == "li"
    actions.record_absence(
        desk.agents["li"],
        "leave",
        date(2026, 3, 10),
        date(2026, 3, 10),
        by=user(desk, "sup1"),
        at=sh("2026-03-09 12:00"),
    )
    assert open_for(desk, "2026-03-10 10:00").assignee is None  # li on leave, wang off shift: waits
    assert open_for(desk, "2026-03-10 19:00").assignee.agent_id == "wang"
    wang.shift = None
    wang.save()
    DeskTeam.objects.filter(team=t1).update(strategy=Strategy.SKILL)
    AgentSkill.objects.create(agent=desk.agents["li"], kinds=["invoice"])
    AgentSkill.objects.create(agent=wang, kinds=["refund", "return"], languages=["zh"])
    invoice = open_for(desk, "2026-03-11 10:00", kind="invoice")
    assert invoice.assignee.agent_id == "li"
    assert open_for(desk, "2026-03-11 10:01", kind="refund").assignee.agent_id == "wang"
    assert open_for(desk, "2026-03-11 10:02", kind="refund", language="en").assignee is None


def test_leave_moves_open_cases_to_a_teammate(desk):
    li, wang = desk.agents["li"], desk.agents["wang"]
    cases = [open_for(desk, f"2026-03-09 09:0{i}") for i in range(4)]
    held_by_li = [c for c in cases if c.assignee_id == li.pk]
    _, moved = actions.record_absence(
        li, "leave", date(2026, 3, 9), date(2026, 3, 12), by=user(desk, "sup1"), at=sh("2026-03-09 11:00")
    )
    assert moved == len(held_by_li) == 2
    assert set(Case.objects.values_list("assignee", flat=True)) == {wang.pk}
    assert {t.reason for c in held_by_li for t in c.transfers.all()} == {"leave"}


def test_survey_counts_for_the_resolver_but_not_after_dodging(desk):
    li, wang = desk.agents["li"], desk.agents["wang"]
    sup = user(desk, "sup1")

    def worked(dodge_reason=None):
        case = open_for(desk, "2026-03-09 09:00", auto_assign=False)
        actions.assign(case, li, by=sup, at=sh("2026-03-09 09:01"))
        actions.reply(case, "您好", by=li.user, at=sh("2026-03-09 09:05"))
        if dodge_reason:  # li hands the case on themselves
            actions.transfer(
                case, wang, reason=dodge_reason, note="客户难缠", by=li.user, at=sh("2026-03-09 09:30")
            )
        else:  # the supervisor reassigns
            actions.assign(case, wang, by=sup, at=sh("2026-03-09 09:30"))
        actions.resolve(case, "已处理", by=wang.user, at=sh("2026-03-09 10:00"))
        return actions.close(case, by=wang.user, at=sh("2026-03-09 10:05"))

    reassigned, dodged, skilled = worked(), worked("other"), worked("skill")
    answers = {}
    for name, case in (("reassigned", reassigned), ("dodged", dodged), ("skilled", skilled)):
        survey = actions.answer_survey(case.pk, case.survey_nonce, 1, "太慢了", at=sh("2026-03-09 12:00"))
        answers[name] = survey.agent.agent_id
    assert answers == {"reassigned": "wang", "dodged": "li", "skilled": "wang"}
    rating = Rating.objects.get(rating_id=f"S{dodged.ticket_id}")
    assert (rating.agent_id, rating.score, rating.source) == ("li", 1, "survey")
    with pytest.raises(actions.DeskConflict):
        actions.answer_survey(dodged.pk, dodged.survey_nonce, 5)  # one answer per case
    with pytest.raises(PermissionDenied):
        actions.answer_survey(reassigned.pk, "forged", 5)


def test_confirmed_shirking_is_an_incident_of_the_agent_who_handed_on(desk):
    li, wang = desk.agents["li"], desk.agents["wang"]
    case = open_for(desk, "2026-03-09 09:00", kind="complaint", auto_assign=False)
    actions.assign(case, li, by=user(desk, "sup1"))
    actions.transfer(case, wang, reason="other", note="不想处理", by=li.user, at=sh("2026-03-09 09:10"))
    moved = case.transfers.get()
    assert moved.self_initiated
    with pytest.raises(PermissionDenied):
        actions.confirm_shirking(moved.pk, "x", by=wang.user)
    with pytest.raises(actions.ValidationError):  # a person's judgement needs its reason
        actions.confirm_shirking(moved.pk, "  ", by=user(desk, "sup1"))
    actions.confirm_shirking(moved.pk, "投诉单本人可处理，转出无正当理由", by=user(desk, "sup1"))
    incident = Incident.objects.get(incident_id=f"X{moved.pk:08d}")
    assert (incident.agent_id, incident.kind) == ("li", "shirking")
    assert incident.note.endswith("认定理由 投诉单本人可处理，转出无正当理由")
    assert Ticket.objects.get(ticket_id=case.ticket_id).transfers == 1


def test_partner_case_needs_a_follow_up_note_and_a_reopen_after_close_is_an_incident(desk):
    case = open_for(desk, "2026-03-09 09:00", partner_merchant="顺丰售后")
    holder = case.assignee.user
    actions.reply(case, "已联系合作商家", by=holder, at=sh("2026-03-09 09:10"))
    with pytest.raises(actions.ValidationError):
        actions.resolve(case, "", by=holder)
    actions.resolve(case, "商家已上门维修", by=holder, at=sh("2026-03-09 15:00"))
    actions.close(case, by=holder, at=sh("2026-03-09 15:05"))
    actions.reopen(case, "商家未上门", by=holder, at=sh("2026-03-10 09:00"))
    incident = Incident.objects.get(kind="partner.untracked")
    assert incident.agent_id == case.assignee.agent_id


def test_who_sees_which_cases(desk):
    t1 = open_for(desk, "2026-03-09 09:00")
    t2 = open_for(desk, "2026-03-09 09:00", team="T2", by="sup2")
    seen = {
        key: set(access.visible_cases(user(desk, key)).values_list("pk", flat=True))
        for key in ("li", "wang", "zhao", "sup1", "sup2", "hr", "admin", "nobody")
    }
    assert seen == {
        "li": {t1.pk},
        "wang": {t1.pk},
        "zhao": {t2.pk},  # the team queue is visible by default
        "sup1": {t1.pk},
        "sup2": {t2.pk},
        "hr": {t1.pk, t2.pk},
        "admin": {t1.pk, t2.pk},
        "nobody": set(),
    }
    DeskTeam.objects.filter(team=desk.teams["T1"]).update(agents_see_team=False)
    holder = t1.assignee.agent_id
    other = "wang" if holder == "li" else "li"
    assert set(access.visible_cases(user(desk, holder)).values_list("pk", flat=True)) == {t1.pk}
    assert not access.visible_cases(user(desk, other)).exists()


def test_contact_masked_and_every_reveal_audited(desk):
    case = open_for(desk, "2026-03-09 09:00")
    assert access.mask_contact("13812345678") == "138****5678"
    assert access.mask_contact("li.ming@example.com") == "l***@example.com"
    holder = case.assignee.agent_id
    other = "wang" if holder == "li" else "li"
    assert actions.reveal_contact(case, by=user(desk, holder)) == "13812345678"
    assert actions.reveal_contact(case, by=user(desk, "hr")) == "13812345678"
    for key in (other, "sup1", "admin", "zhao"):
        with pytest.raises(PermissionDenied):
            actions.reveal_contact(case, by=user(desk, key))
    reveals = AuditEntry.objects.filter(action="tickets.case.reveal_contact", target_id=str(case.pk))
    assert reveals.count() == 2
    assert "13812345678" not in str(list(AuditEntry.objects.values_list("after", "detail")))


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_mark_each_breached_case_once(file_database):
    from merit.api.tests.conftest import build_world

    world = build_world()
    cases = [open_for(world, "2026-03-09 09:00", priority="urgent") for _ in range(60)]
    now = sh("2026-03-09 12:00")  # every first response (due 09:30) is late
    barrier = threading.Barrier(2)
    counts = [None, None]

    def sweep(i):
        try:
            barrier.wait()
            counts[i] = actions.mark_breaches(now)
        except Exception as e:  # shown by the assertion below
            counts[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(c, tuple) for c in counts), counts
    assert sum(c[0] for c in counts) == len(cases)
    assert Case.objects.filter(first_response_breached_at=now).count() == len(cases)
    audits = AuditEntry.objects.filter(action="tickets.sweep.breaches")
    assert sum(a.detail["first_response"] for a in audits) == len(cases)
    assert Ticket.objects.filter(first_response_breached=True).count() == len(cases)


def test_the_survey_is_e_mailed_only_when_configured_and_the_history_says_which(desk, settings, mailoutbox):
    def closed(contact: str):
        case = actions.open_case(
            team=desk.teams["T1"],
            kind="refund",
            channel="email",
            priority="high",
            subject="退款未到账",
            by=desk.users["sup1"],
            at=sh("2026-03-09 09:00"),
            customer_contact=contact,
        )
        holder = case.assignee.user
        actions.resolve(case, "已退款", by=holder, at=sh("2026-03-09 10:00"))
        case = actions.close(case, by=holder, at=sh("2026-03-09 10:05"))
        return case, case.messages.order_by("-pk").first().body

    settings.MERIT_SURVEY_EMAIL = False
    _, said = closed("li.na@example.com")
    assert mailoutbox == [] and "ready to send" in said

    settings.MERIT_SURVEY_EMAIL = True
    settings.MERIT_SITE_URL = "https://merit.example.cn"
    case, said = closed("li.na@example.com")
    (mail,) = mailoutbox
    assert mail.to == ["li.na@example.com"] and case.ticket_id in mail.subject
    assert "https://merit.example.cn/survey/" in mail.body
    assert "e-mailed" in said and "li.na@example.com" not in said  # the history shows it masked

    _, said = closed("13812345678")  # a phone number: nothing to e-mail
    assert len(mailoutbox) == 1 and "ready to send" in said
