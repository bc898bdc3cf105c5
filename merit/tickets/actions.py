"""Every write of the desk, one function per use case (docs/desk.md tells the rules in full).

Each action runs in one transaction: it locks the case (``select_for_update``; on SQLite the IMMEDIATE
transaction already holds the write lock), checks that the case's state allows it (else
:class:`DeskConflict`, 409 in the API) and that the user may do it (else ``PermissionDenied``), writes
the case, a line of its history, the audit row, and the case's facts row. ``at`` is the moment of the
action (now; the demo's simulated month passes its own).
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from merit.api.actions import Conflict
from merit.audit.log import record
from merit.org.models import Agent, Team
from merit.tickets import access, assignment, clock, sync
from merit.tickets.models import (
    APPROVED_TRANSFER_REASONS,
    OPEN_STATUSES,
    Absence,
    Case,
    CaseMessage,
    CasePause,
    CaseTransfer,
    DeskTeam,
    MessageKind,
    Status,
    Survey,
    TransferReason,
)

MAX_TEXT = 5000


class DeskConflict(Conflict):
    """The case is not in a state that allows this (someone acted first, or it is closed, …)."""

    def __init__(self, message: str, **params):
        super().__init__(message % params)


log = logging.getLogger(__name__)


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def _text(value: str, field: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "必填 This field is required"})
    if len(value) > limit:
        raise ValidationError({field: f"最多 {limit} 字 At most {limit} characters"})
    return value


def _locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("team", "assignee", "resolved_by")
        .get(pk=pk)
    )


def _event(case: Case, body: str, by, at: datetime, kind: str = MessageKind.EVENT) -> CaseMessage:
    return CaseMessage.objects.create(case=case, kind=kind, body=body, author=by, at=at)


def _save(case: Case, at: datetime, fields: list[str]) -> None:
    case.updated_at = at
    case.save(update_fields=[*fields, "updated_at"])
    sync.sync_ticket(case)


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"无权{what} You may not do this")


def _desk(team: Team, lock: bool = False) -> DeskTeam:
    qs = DeskTeam.objects.select_for_update(of=("self",)) if lock else DeskTeam.objects
    desk = qs.filter(team=team).select_related("last_assigned").first()
    if desk is None:
        desk, _ = DeskTeam.objects.get_or_create(team=team)
    return desk


# ---- opening and assigning ------------------------------------------------------------------------------


@transaction.atomic
def open_case(
    *,
    team: Team,
    kind: str,
    channel: str,
    priority: str,
    subject: str,
    by,
    at: datetime | None = None,
    body: str = "",
    order_ref: str = "",
    order_amount: Decimal | None = None,
    customer_name: str = "",
    customer_contact: str = "",
    language: str = "zh",
    partner_merchant: str = "",
    auto_assign: bool = True,
) -> Case:
    """A new case (新建工单) with its SLA clock started, assigned by the team's strategy when possible."""
    at = _now(at)
    if by is not None:
        _require(access.may_open_for(by, team), "为该团队新建工单")
    first, resolution, warn = clock.targets_for(team, kind, priority)
    case = Case(
        team=team,
        kind=kind,
        channel=channel,
        priority=priority,
        subject=_text(subject, "subject", limit=200),
        order_ref=order_ref,
        order_amount=order_amount,
        customer_name=customer_name,
        customer_contact=customer_contact,
        language=language or "zh",
        partner_merchant=partner_merchant,
        created_by=by,
        created_at=at,
        updated_at=at,
        first_response_minutes=first,
        resolution_minutes=resolution,
        warn_percent=warn,
    )
    case.full_clean(exclude=["ticket_id"])
    clock.set_due_times(case, clock.schedule_for(team))
    case.save()
    case.ticket_id = f"D{case.pk:08d}"
    case.save(update_fields=["ticket_id"])
    if body := _text(body, "body", required=False):
        CaseMessage.objects.create(case=case, kind=MessageKind.CUSTOMER, body=body, author=by, at=at)
    record(
        by,
        "tickets.case.open",
        case,
        after={
            "ticket_id": case.ticket_id,
            "team": team.team_id,
            "kind": kind,
            "priority": priority,
            "first_response_due_at": case.first_response_due_at,
            "resolution_due_at": case.resolution_due_at,
        },  # the customer's contact is not copied into the audit trail
    )
    if auto_assign:
        _auto_assign(case, at)
    return case


def _auto_assign(case: Case, at: datetime, exclude: tuple[int, ...] = ()) -> Agent | None:
    desk = _desk(case.team, lock=True)
    agent = assignment.choose(case, at, desk, exclude)
    if agent is None:
        return None
    case.assignee = agent
    desk.last_assigned = agent
    desk.save(update_fields=["last_assigned"])
    _event(
        case,
        f"自动分配给 {agent.name} ({agent.agent_id}) · auto-assigned ({desk.get_strategy_display()})",
        None,
        at,
    )
    _save(case, at, ["assignee"])
    record(None, "tickets.case.assign", case, after={"assignee": agent.agent_id, "strategy": desk.strategy})
    return agent


@transaction.atomic
def assign(case: Case | int, agent: Agent, *, by, at: datetime | None = None, note: str = "") -> Case:
    """A supervisor's manual assignment (手动分配), overriding the strategy; recorded as a transfer when the
    case had a holder."""
    at = _now(at)
    case = _locked(case)
    _require(access.supervises(by, case), "分配工单")
    if not case.is_open:
        raise DeskConflict(
            "工单状态为 %(status)s，请先重开 The case is %(status)s: reopen it first", status=case.status
        )
    _check_target(case, agent)
    if case.assignee_id is not None:
        return _move(
            case, agent, TransferReason.WORKLOAD, note or "手动改派 manual reassignment", by, at, False
        )
    case.assignee = agent
    _event(case, f"分配给 {agent.name} ({agent.agent_id}) · assigned", by, at)
    _save(case, at, ["assignee"])
    record(by, "tickets.case.assign", case, after={"assignee": agent.agent_id, "manual": True})
    return case


def _check_target(case: Case, agent: Agent) -> None:
    if not agent.active or agent.team_id != case.team_id:
        raise ValidationError(
            {"agent_id": f"{agent.agent_id} 不是该团队的在职客服 is not an active agent of the case's team"}
        )


@transaction.atomic
def transfer(
    case: Case | int, to: Agent, *, reason: str, by, note: str = "", at: datetime | None = None
) -> Case:
    """Hand the case to a teammate (转接) with a reason; by its holder, the supervisor, HR or admins."""
    at = _now(at)
    case = _locked(case)
    _require(access.works(by, case), "转接该工单")
    if not case.is_open:
        raise DeskConflict(
            "工单状态为 %(status)s，只能转接未结工单 The case is %(status)s: only open cases are transferred",
            status=case.status,
        )
    if reason not in TransferReason.values:
        raise ValidationError({"reason": f"未知原因 unknown reason {reason!r}"})
    if case.assignee_id == to.pk:
        raise ValidationError({"agent_id": "已经是处理人 already holds the case"})
    _check_target(case, to)
    holder = case.assignee
    self_initiated = holder is not None and getattr(holder, "user_id", None) == getattr(by, "pk", None)
    return _move(
        case,
        to,
        reason,
        _text(note, "note", required=reason == TransferReason.OTHER, limit=500),
        by,
        at,
        self_initiated,
    )


def _move(case: Case, to: Agent, reason: str, note: str, by, at: datetime, self_initiated: bool) -> Case:
    moved = CaseTransfer.objects.create(
        case=case,
        from_agent=case.assignee,
        to_agent=to,
        by=by,
        reason=reason,
        note=note,
        self_initiated=self_initiated,
        at=at,
    )
    before = case.assignee.agent_id if case.assignee_id else None
    case.assignee = to
    case.transfer_count += 1
    _event(case, f"转接 {before} → {to.agent_id}: {moved.get_reason_display()} {note}".strip(), by, at)
    _save(case, at, ["assignee", "transfer_count"])
    record(
        by,
        "tickets.case.transfer",
        case,
        before={"assignee": before},
        after={"assignee": to.agent_id, "reason": reason, "self_initiated": self_initiated},
    )
    return case


@transaction.atomic
def confirm_shirking(transfer_id: int, reason: str, *, by, at: datetime | None = None) -> CaseTransfer:
    """A supervisor confirms a transfer as shirking one's own dispute (推卸责任, S1), saying why: an
    incident for the agent who handed the case on, its note carrying the reason."""
    if not reason.strip():
        raise ValidationError("请说明认定推卸责任的理由 Give the reason for confirming shirking")
    moved = (
        CaseTransfer.objects.select_for_update(of=("self",))
        .select_related("case", "from_agent")
        .get(pk=transfer_id)
    )
    _require(access.supervises(by, moved.case), "认定推卸责任")
    if moved.from_agent_id is None or not moved.self_initiated:
        raise DeskConflict(
            "只有处理人自己发起的转接才能认定为推卸责任 Only a transfer its holder made themselves can be shirking"
        )
    if moved.shirking_confirmed_by_id is not None:
        raise DeskConflict("该转接已认定为推卸责任 This transfer is already confirmed as shirking")
    moved.shirking_confirmed_by = by
    moved.save(update_fields=["shirking_confirmed_by"])
    sync.shirking_incident(moved, reason.strip())
    record(
        by,
        "tickets.transfer.shirking",
        moved,
        after={"agent": moved.from_agent.agent_id, "case": moved.case.ticket_id, "reason": reason.strip()},
    )
    return moved


# ---- working the case ------------------------------------------------------------------------------------


def _working(case: Case | int, by, what: str, statuses=OPEN_STATUSES) -> Case:
    case = _locked(case)
    _require(access.works(by, case), what)
    if case.status not in statuses:
        raise DeskConflict("工单状态为 %(status)s，不能执行此操作 The case is %(status)s", status=case.status)
    return case


@transaction.atomic
def reply(case: Case | int, body: str, *, by, at: datetime | None = None) -> Case:
    """A reply to the customer (回复客户): the first one stops the first-response clock."""
    at = _now(at)
    case = _working(case, by, "回复该工单")
    body = _text(body, "body")
    if case.assignee_id is None:
        raise DeskConflict("请先分配处理人 Assign the case before replying")
    CaseMessage.objects.create(case=case, kind=MessageKind.REPLY, body=body, author=by, at=at)
    fields = []
    if case.first_response_at is None:
        case.first_response_at = at
        fields.append("first_response_at")
        if (
            case.first_response_due_at is not None
            and at > case.first_response_due_at
            and case.first_response_breached_at is None
        ):
            case.first_response_breached_at = at
            fields.append("first_response_breached_at")
        record(by, "tickets.case.first_response", case, after={"at": at, "due": case.first_response_due_at})
    if case.status == Status.NEW:
        case.status = Status.OPEN
        fields.append("status")
    _save(case, at, fields)
    return case


@transaction.atomic
def add_note(case: Case | int, body: str, *, by, at: datetime | None = None) -> CaseMessage:
    """An internal note (内部备注): never shown to the customer; stops no clock."""
    at = _now(at)
    case = _working(case, by, "备注该工单", statuses=Status.values)
    message = CaseMessage.objects.create(
        case=case, kind=MessageKind.NOTE, body=_text(body, "body"), author=by, at=at
    )
    case.updated_at = at
    case.save(update_fields=["updated_at"])
    return message


@transaction.atomic
def wait_on_customer(case: Case | int, reason: str, *, by, at: datetime | None = None) -> Case:
    """Pause the resolution clock until the customer answers (等待客户); needs a reason and a reply sent."""
    at = _now(at)
    case = _working(case, by, "暂停该工单", statuses=(Status.OPEN,))
    reason = _text(reason, "reason", limit=500)
    if case.first_response_at is None:
        raise DeskConflict("请先回复客户再等待 Reply to the customer before waiting on them")
    CasePause.objects.create(case=case, started_at=at, reason=reason)
    case.status = Status.PENDING
    case.paused_since = at
    case.resolution_due_at = case.resolution_warn_at = None  # the clock stands still
    _event(case, f"等待客户: {reason}", by, at)
    _save(case, at, ["status", "paused_since", "resolution_due_at", "resolution_warn_at"])
    record(by, "tickets.case.pause", case, after={"reason": reason})
    return case


def _end_pause(case: Case, at: datetime) -> list[str]:
    """Close the open pause and restart the resolution clock (fields to save)."""
    if case.paused_since is None:
        return []
    schedule = clock.schedule_for(case.team)
    CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=at)
    case.paused_s += clock.paused_seconds(case.paused_since, at, schedule)
    case.paused_since = None
    clock.set_due_times(case, schedule, clock.pauses_of(case))
    return [
        "paused_since",
        "paused_s",
        "resolution_due_at",
        "resolution_warn_at",
        "first_response_due_at",
        "first_response_warn_at",
    ]


@transaction.atomic
def customer_message(case: Case | int, body: str, *, by, at: datetime | None = None) -> Case:
    """What the customer wrote (entered by the agent or a channel): ends a wait on the customer."""
    at = _now(at)
    case = _working(case, by, "记录客户消息")
    CaseMessage.objects.create(
        case=case, kind=MessageKind.CUSTOMER, body=_text(body, "body"), author=by, at=at
    )
    fields = _end_pause(case, at)
    if case.status == Status.PENDING:
        case.status = Status.OPEN
        fields.append("status")
    _save(case, at, fields)
    return case


@transaction.atomic
def resume(case: Case | int, *, by, at: datetime | None = None) -> Case:
    """Restart the clock without a customer message (the agent stops waiting)."""
    at = _now(at)
    case = _working(case, by, "恢复该工单", statuses=(Status.PENDING,))
    fields = _end_pause(case, at)
    case.status = Status.OPEN
    _event(case, "恢复处理 resumed", by, at)
    _save(case, at, [*fields, "status"])
    record(by, "tickets.case.resume", case)
    return case


@transaction.atomic
def resolve(case: Case | int, note: str, *, by, at: datetime | None = None) -> Case:
    """Mark the problem solved (已解决): stops the resolution clock; the holder becomes the resolver. A
    partner merchant's case needs a note of what the partner did (tracked to the end, S7)."""
    at = _now(at)
    case = _working(case, by, "解决该工单")
    if case.assignee_id is None:
        raise DeskConflict("请先分配处理人 Assign the case before resolving it")
    note = _text(note, "note", required=bool(case.partner_merchant), limit=2000)
    fields = _end_pause(case, at)
    case.status = Status.RESOLVED
    case.resolved_at = at
    case.resolved_by = case.assignee
    fields += ["status", "resolved_at", "resolved_by"]
    if (
        case.resolution_due_at is not None
        and at > case.resolution_due_at
        and case.resolution_breached_at is None
    ):
        case.resolution_breached_at = at
        fields.append("resolution_breached_at")
    _event(case, f"已解决 resolved: {note}".strip(), by, at)
    _save(case, at, fields)
    record(
        by,
        "tickets.case.resolve",
        case,
        after={"at": at, "due": case.resolution_due_at, "by": case.assignee.agent_id},
    )
    return case


@transaction.atomic
def close(case: Case | int, *, by, at: datetime | None = None) -> Case:
    """Close a resolved case (关闭) and open its one-question satisfaction survey."""
    at = _now(at)
    case = _working(case, by, "关闭该工单", statuses=(Status.RESOLVED,))
    case.status = Status.CLOSED
    case.closed_at = at
    fields = ["status", "closed_at"]
    if not hasattr(case, "survey") or case.survey_nonce == "":
        case.survey_nonce = secrets.token_urlsafe(12)
        fields.append("survey_nonce")
    _save(case, at, fields)
    sent_to = _email_survey(case)
    if sent_to:
        _event(
            case,
            f"已关闭，满意度调查链接已通过邮件发给顾客 {sent_to} closed; the survey link was e-mailed",
            by,
            at,
        )
    else:  # the link is shown on the case page to be passed on
        _event(
            case, "已关闭，满意度调查链接已生成，请发给顾客 closed; the survey link is ready to send", by, at
        )
    record(by, "tickets.case.close", case, after={"at": at})
    return case


def _email_survey(case: Case) -> str:
    """E-mail the survey link when MERIT_SURVEY_EMAIL is on and the customer's contact is an e-mail
    address; the masked address when it was handed to the mail server, else "" (nothing was sent)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.core.validators import validate_email

    from merit.tickets.access import mask_contact
    from merit.tickets.survey import survey_path

    contact = (case.customer_contact or "").strip()
    if not getattr(settings, "MERIT_SURVEY_EMAIL", False) or "@" not in contact:
        return ""
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    link = f"{settings.MERIT_SITE_URL.rstrip('/')}{survey_path(case)}"
    body = f"您好，您的售后工单 {case.ticket_id} 已处理完毕。请花一分钟评价本次服务：\n{link}\n\nHow did we do? {link}"
    try:
        send_mail(f"满意度调查 Satisfaction survey · {case.ticket_id}", body, None, [contact])
    except Exception:  # the link stays on the case page; the mail server's trouble is logged
        log.exception("survey of case %s could not be e-mailed", case.ticket_id)
        return ""
    return mask_contact(contact)


@transaction.atomic
def reopen(case: Case | int, reason: str, *, by, at: datetime | None = None) -> Case:
    """Reopen a resolved or closed case (重开): the resolution clock runs on from where it stood, so a
    case closed early to stop the clock comes back late. A partner merchant's case reopened after close
    was not tracked to the end: an incident for its resolver (S7)."""
    at = _now(at)
    case = _working(case, by, "重开该工单", statuses=(Status.RESOLVED, Status.CLOSED))
    reason = _text(reason, "reason", limit=500)
    was_closed = case.status == Status.CLOSED
    resolver = case.resolved_by
    case.status = Status.OPEN
    case.reopen_count += 1
    case.resolved_at = None
    case.resolved_by = None
    _event(case, f"重开 reopened: {reason}", by, at)
    _save(case, at, ["status", "reopen_count", "resolved_at", "resolved_by"])
    if was_closed and case.partner_merchant and resolver is not None:
        sync.add_incident(
            f"P{case.ticket_id}-{case.reopen_count}",
            resolver,
            at,
            "partner.untracked",
            f"{case.ticket_id}: {reason}",
        )
    record(by, "tickets.case.reopen", case, after={"reason": reason, "reopen_count": case.reopen_count})
    return case


@transaction.atomic
def exempt(case: Case | int, which: str, reason: str, *, by, at: datetime | None = None) -> Case:
    """A supervisor exempts a breach for an approved reason (豁免): it stays visible, but the SLA metrics
    do not count it."""
    at = _now(at)
    case = _locked(case)
    _require(access.supervises(by, case), "豁免超时")
    reason = _text(reason, "reason", limit=500)
    if which == "first_response":
        breached, field = case.first_response_breached_at, "first_response_exempt_reason"
    elif which == "resolution":
        breached, field = case.resolution_breached_at, "resolution_exempt_reason"
    else:
        raise ValidationError({"which": "first_response 或 resolution"})
    if breached is None:
        raise DeskConflict("没有可豁免的超时 There is no %(which)s breach to exempt", which=which)
    if getattr(case, field):
        raise DeskConflict("该超时已豁免 This breach is already exempted")
    setattr(case, field, reason)
    case.exempted_by = by
    _event(case, f"豁免{'首次响应' if which == 'first_response' else '解决'}超时: {reason}", by, at)
    _save(case, at, [field, "exempted_by"])
    record(by, "tickets.case.exempt", case, after={"which": which, "reason": reason})
    return case


def reveal_contact(case: Case, *, by) -> str:
    """The customer's full contact, for the assignee and HR only; every reveal is audited."""
    _require(access.may_reveal(by, case), "查看客户联系方式")
    record(by, "tickets.case.reveal_contact", case, detail={"field": "customer_contact"})
    return case.customer_contact


# ---- the survey --------------------------------------------------------------------------------------------


def responsible_agent(case: Case) -> tuple[Agent, str]:
    """Whom the customer's rating counts for (docs/desk.md): the agent who resolved the case, unless it
    reached them by a transfer its previous holder made themselves without an approved reason (skill,
    leave, escalation): then that holder, and so on back along such transfers. Dodging a bad score by
    handing the case on does not work; a supervisor's reassignment does not move the score."""
    agent = case.resolved_by or case.assignee
    why = "resolved the case"
    for moved in case.transfers.order_by("-at", "-id").select_related("from_agent", "to_agent"):
        if moved.to_agent_id != agent.pk:
            continue
        if moved.self_initiated and moved.reason not in APPROVED_TRANSFER_REASONS and moved.from_agent_id:
            agent = moved.from_agent
            why = f"handed the case on ({moved.reason}) before it was resolved"
        else:
            break
    return agent, why


@transaction.atomic
def answer_survey(
    case_id: int, nonce: str, score: int, comment: str = "", at: datetime | None = None
) -> Survey:
    """The customer's answer (no sign-in: the link is signed); one answer per case."""
    at = _now(at)
    case = _locked(case_id)
    if not case.survey_nonce or not secrets.compare_digest(case.survey_nonce, nonce):
        raise PermissionDenied("调查链接无效 This survey link is not valid")
    if Survey.objects.filter(case=case).exists():
        raise DeskConflict("该调查已提交过 This survey was already answered")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": "1–5"})
    agent, why = responsible_agent(case)
    survey = Survey.objects.create(
        case=case,
        score=score,
        comment=_text(comment, "comment", required=False, limit=1000),
        agent=agent,
        attribution=why,
        answered_at=at,
    )
    sync.sync_rating(survey)
    record(
        None,
        "tickets.survey.answer",
        survey,
        after={"case": case.ticket_id, "score": score, "agent": agent.agent_id},
    )
    return survey


# ---- absences and the periodic sweep ----------------------------------------------------------------------


@transaction.atomic
def record_absence(
    agent: Agent, kind: str, starts_on: date, ends_on: date, *, by, note: str = "", at: datetime | None = None
) -> tuple[Absence, int]:
    """Leave or suspension: assignment skips the agent on those days, and when it covers today their open
    cases move to teammates (reason leave). Returns the absence and how many cases moved."""
    at = _now(at)
    team = Team.objects.get(pk=agent.team_id)
    from merit.org.access import scope_of

    scope = scope_of(by)
    _require(scope.is_manager or (scope.team_id == team.pk), "登记请假/停用")
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期早于开始日期 ends before it starts"})
    absence = Absence.objects.create(agent=agent, kind=kind, starts_on=starts_on, ends_on=ends_on, note=note)
    record(
        by,
        "tickets.absence.add",
        absence,
        after={"agent": agent.agent_id, "kind": kind, "from": starts_on, "to": ends_on},
    )
    moved = 0
    today = timezone.localtime(at).date()
    if starts_on <= today <= ends_on:
        for case in (
            Case.objects.select_for_update(of=("self",))
            .filter(assignee=agent, status__in=OPEN_STATUSES)
            .select_related("team")
        ):
            desk = _desk(case.team, lock=True)
            to = assignment.choose(case, at, desk, exclude=(agent.pk,))
            if to is None:
                continue
            _move(case, to, TransferReason.LEAVE, f"{agent.agent_id} {kind}", by, at, False)
            moved += 1
    return absence, moved


def sweep(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: assign waiting cases, then mark breaches. Safe to run in several workers at
    once: a breach is marked by a conditional UPDATE (``… WHERE breached_at IS NULL AND due_at <= now``),
    so each case is marked by exactly one of them."""
    now = _now(now)
    assigned = assign_waiting(now)
    first, resolution = mark_breaches(now)
    return {"assigned": assigned, "first_response": first, "resolution": resolution}


def assign_waiting(now: datetime, limit: int = 500) -> int:
    done = 0
    for pk in list(assignment.waiting(limit).values_list("pk", flat=True)):
        with transaction.atomic():
            case = _locked(pk)
            if case.assignee_id is None and case.is_open and _auto_assign(case, now) is not None:
                done += 1
    return done


_OPEN_SQL = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
_MARK = {
    "first_response": (
        f"UPDATE tickets_case SET first_response_breached_at = %s WHERE first_response_breached_at IS NULL "
        f"AND first_response_at IS NULL AND first_response_due_at <= %s AND status IN ({_OPEN_SQL}) "
        f"RETURNING ticket_id, assignee_id"
    ),
    "resolution": (
        f"UPDATE tickets_case SET resolution_breached_at = %s WHERE resolution_breached_at IS NULL "
        f"AND resolved_at IS NULL AND resolution_due_at <= %s AND status IN ({_OPEN_SQL}) "
        f"RETURNING ticket_id, assignee_id"
    ),
}
_FACT_COLUMN = {"first_response": "first_response_breached", "resolution": "resolution_breached"}
CHUNK = 500


def mark_breaches(now: datetime) -> tuple[int, int]:
    """Mark every case whose clock ran out; returns (first response, resolution) counts marked here."""
    counts = []
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for which, sql in _MARK.items():
                cursor.execute(sql, [stamp, stamp])
                marked = cursor.fetchall()
                counts.append(len(marked))
                ids = [ticket_id for ticket_id, assignee in marked if assignee is not None]
                for i in range(0, len(ids), CHUNK):
                    chunk = ids[i : i + CHUNK]
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(
                        f"UPDATE facts_tickets SET {_FACT_COLUMN[which]} = %s WHERE ticket_id IN ({marks})",
                        [True, *chunk],
                    )
        if any(counts):
            record(
                None,
                "tickets.sweep.breaches",
                None,
                detail={
                    "table": "tickets_case",
                    "first_response": counts[0],
                    "resolution": counts[1],
                    "at": now,
                },
            )
    return counts[0], counts[1]
