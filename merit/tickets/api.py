"""The desk in the JSON API: queues, one case, and every action of the pages (merit.tickets.actions).

Out of scope answers 404 (a case of another team does not exist for you), in scope but not allowed 403,
a case no longer in the state the action needs 409. The customer's contact is masked (138****5678);
``POST …/reveal-contact`` gives it to the assignee and HR, and is audited.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from merit.api.common import SHANGHAI, Input, Message, Page, PageQuery, page
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.org.access import visible_teams
from merit.tickets import access, actions, clock, queries
from merit.tickets.models import Case, CaseMessage, Channel, Kind, Priority, TransferReason
from merit.tickets.models import Status as CaseStatus

router = Router(tags=["cases 售后工单"])


class CaseOut(Schema):
    ticket_id: str
    team_id: str
    kind: str
    channel: str
    priority: str
    status: str
    subject: str
    order_ref: str
    order_amount: Decimal | None
    customer_name: str
    customer_contact: str = Field(description="脱敏 masked, e.g. 138****5678")
    partner_merchant: str
    assignee_id: str | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None = Field(description="null while waiting on the customer")
    first_response_sla: str = Field(description="ok, near, breached, exempted, met")
    resolution_sla: str = Field(description="ok, near, breached, exempted, met, paused")
    reopen_count: int
    transfer_count: int
    survey_url: str | None = Field(
        description="满意度调查链接 (closed cases; for whoever sends it to the customer)"
    )


ACTION = {200: CaseOut, 403: Message, 404: Message, 409: Message, 422: Message}


class MessageOut(Schema):
    kind: str
    body: str
    author: str | None
    at: datetime


def _local(value):
    return value.astimezone(SHANGHAI) if value is not None else None


def case_out(case: Case, request=None) -> CaseOut:
    now = timezone.now()
    survey_url = None
    if case.status == CaseStatus.CLOSED and case.survey_nonce and request is not None:
        from merit.tickets.survey import survey_path

        survey_url = request.build_absolute_uri(survey_path(case))
    return CaseOut(
        ticket_id=case.ticket_id,
        team_id=case.team.team_id,
        kind=case.kind,
        channel=case.channel,
        priority=case.priority,
        status=case.status,
        subject=case.subject,
        order_ref=case.order_ref,
        order_amount=case.order_amount,
        customer_name=access.mask_contact(case.customer_name) if case.customer_name else "",
        customer_contact=access.mask_contact(case.customer_contact),
        partner_merchant=case.partner_merchant,
        assignee_id=case.assignee.agent_id if case.assignee_id else None,
        created_at=_local(case.created_at),
        first_response_at=_local(case.first_response_at),
        resolved_at=_local(case.resolved_at),
        closed_at=_local(case.closed_at),
        first_response_due_at=_local(case.first_response_due_at),
        resolution_due_at=_local(case.resolution_due_at),
        first_response_sla=clock.first_response_state(case, now),
        resolution_sla=clock.resolution_state(case, now),
        reopen_count=case.reopen_count,
        transfer_count=case.transfer_count,
        survey_url=survey_url,
    )


class CaseFilter(PageQuery):
    mine: bool = Field(False, description="只看分配给我的 only cases assigned to me")
    status: CaseStatus | None = None
    kind: Kind | None = None
    breach: str | None = Field(
        None, pattern="^(breached|near|exempted)$", description="breached, near, exempted"
    )
    team_id: str | None = None
    assignee_id: str | None = None
    unassigned: bool = False


class CaseCreate(Input):
    team_id: str = Field(min_length=1, max_length=64)
    kind: Kind
    channel: Channel
    priority: Priority = Priority.NORMAL
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=actions.MAX_TEXT, description="客户的问题 what the customer wrote")
    order_ref: str = Field("", max_length=64)
    order_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    customer_name: str = Field("", max_length=100)
    customer_contact: str = Field("", max_length=200)
    language: str = Field("zh", min_length=2, max_length=16)
    partner_merchant: str = Field("", max_length=100)


class Body(Input):
    body: str = Field(min_length=1, max_length=actions.MAX_TEXT)


class Reason(Input):
    reason: str = Field(min_length=1, max_length=500)


class Note(Input):
    note: str = Field("", max_length=2000)


class AssignIn(Input):
    agent_id: str = Field(min_length=1, max_length=64)


class TransferIn(Input):
    agent_id: str = Field(min_length=1, max_length=64)
    reason: TransferReason
    note: str = Field("", max_length=500, description="原因为 other 时必填 required when the reason is other")


class ExemptIn(Input):
    which: str = Field(pattern="^(first_response|resolution)$")
    reason: str = Field(min_length=1, max_length=500)


class Contact(Schema):
    customer_contact: str


def _case(request, ticket_id: str) -> Case:
    return get_object_or_404(
        access.visible_cases(request.auth).select_related("team", "assignee"), ticket_id=ticket_id
    )


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("team", "assignee").get(pk=case.pk)


@router.get("", response=Page[CaseOut], summary="工单队列 Cases")
def list_cases(request, query: Query[CaseFilter]):
    """你能看到的工单（客服：自己的和团队队列；主管：本团队；人力资源/管理员：全部），最新在前。
    The cases you may see, newest first, with filters."""
    qs = queries.queue(
        request.auth,
        timezone.now(),
        mine=query.mine,
        status=query.status or "",
        kind=query.kind or "",
        breach=query.breach or "",
        team_id=query.team_id or "",
        assignee_id=query.assignee_id or "",
        unassigned=query.unassigned,
    )
    return page(qs, query, lambda c: case_out(c, request))


@router.get("/{ticket_id}", response={200: CaseOut, 404: Message}, summary="工单详情 One case")
def get_case(request, ticket_id: str):
    return case_out(_case(request, ticket_id), request)


@router.get(
    "/{ticket_id}/messages", response={200: list[MessageOut], 404: Message}, summary="往来记录 History"
)
def case_messages(request, ticket_id: str):
    case = _case(request, ticket_id)
    rows = CaseMessage.objects.filter(case=case).select_related("author").order_by("at", "id")
    return [
        MessageOut(
            kind=m.kind, body=m.body, author=m.author.get_username() if m.author else None, at=_local(m.at)
        )
        for m in rows
    ]


@router.post(
    "", response={201: CaseOut, 403: Message, 404: Message, 422: Message}, summary="新建工单 Open a case"
)
@idempotent
def create_case(request, payload: CaseCreate, idempotency_key: IdempotencyKey = None):
    """为你能看到的团队新建工单；按团队的分配方式自动分配。 Opens a case for a team you may see; assigned by
    the team's strategy."""
    team = get_object_or_404(visible_teams(request.auth), team_id=payload.team_id)
    data = payload.model_dump()
    data.pop("team_id")
    case = actions.open_case(team=team, by=request.auth, **data)
    return Status(201, case_out(_fresh(case), request))


def _act(request, ticket_id: str, call) -> CaseOut:
    case = _case(request, ticket_id)
    call(case)
    return case_out(_fresh(case), request)


@router.post("/{ticket_id}/assign", response=ACTION, summary="手动分配 Assign")
def assign_case(request, ticket_id: str, payload: AssignIn):
    def call(c):
        to = get_object_or_404(c.team.agents.all(), agent_id=payload.agent_id)
        actions.assign(c, to, by=request.auth)

    return _act(request, ticket_id, call)


@router.post("/{ticket_id}/transfer", response=ACTION, summary="转接 Transfer")
def transfer_case(request, ticket_id: str, payload: TransferIn):
    def call(c):
        to = get_object_or_404(c.team.agents.all(), agent_id=payload.agent_id)
        actions.transfer(c, to, reason=payload.reason, note=payload.note, by=request.auth)

    return _act(request, ticket_id, call)


@router.post("/{ticket_id}/reply", response=ACTION, summary="回复客户 Reply")
def reply_case(request, ticket_id: str, payload: Body):
    return _act(request, ticket_id, lambda c: actions.reply(c, payload.body, by=request.auth))


@router.post("/{ticket_id}/notes", response=ACTION, summary="内部备注 Internal note")
def note_case(request, ticket_id: str, payload: Body):
    return _act(request, ticket_id, lambda c: actions.add_note(c, payload.body, by=request.auth))


@router.post("/{ticket_id}/customer-message", response=ACTION, summary="客户消息 Customer message")
def customer_message(request, ticket_id: str, payload: Body):
    return _act(request, ticket_id, lambda c: actions.customer_message(c, payload.body, by=request.auth))


@router.post("/{ticket_id}/wait", response=ACTION, summary="等待客户 Wait on the customer")
def wait_case(request, ticket_id: str, payload: Reason):
    return _act(request, ticket_id, lambda c: actions.wait_on_customer(c, payload.reason, by=request.auth))


@router.post("/{ticket_id}/resume", response=ACTION, summary="恢复处理 Resume")
def resume_case(request, ticket_id: str):
    return _act(request, ticket_id, lambda c: actions.resume(c, by=request.auth))


@router.post("/{ticket_id}/resolve", response=ACTION, summary="解决 Resolve")
def resolve_case(request, ticket_id: str, payload: Note):
    return _act(request, ticket_id, lambda c: actions.resolve(c, payload.note, by=request.auth))


@router.post("/{ticket_id}/close", response=ACTION, summary="关闭 Close")
def close_case(request, ticket_id: str):
    return _act(request, ticket_id, lambda c: actions.close(c, by=request.auth))


@router.post("/{ticket_id}/reopen", response=ACTION, summary="重开 Reopen")
def reopen_case(request, ticket_id: str, payload: Reason):
    return _act(request, ticket_id, lambda c: actions.reopen(c, payload.reason, by=request.auth))


@router.post("/{ticket_id}/exempt", response=ACTION, summary="豁免超时 Exempt a breach")
def exempt_case(request, ticket_id: str, payload: ExemptIn):
    return _act(
        request, ticket_id, lambda c: actions.exempt(c, payload.which, payload.reason, by=request.auth)
    )


@router.post(
    "/{ticket_id}/reveal-contact",
    response={200: Contact, 403: Message, 404: Message},
    summary="查看联系方式 Reveal contact",
)
def reveal_contact(request, ticket_id: str):
    """仅处理人和人力资源；每次查看都记入审计。 The assignee and HR only; every reveal is audited."""
    return Contact(customer_contact=actions.reveal_contact(_case(request, ticket_id), by=request.auth))
