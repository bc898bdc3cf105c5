"""Every write of the procedure: propose, review, approve, reject, decide a flag, issue a notice,
acknowledge, refuse, witness, and the effect (ledger entries) — each in one transaction, audited, with
its notifications. Transitions are conditional UPDATEs (``WHERE state = <expected>``): of two people
acting at once exactly one wins, and a notice takes effect (and posts) exactly once."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import filetype
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.audit.log import record
from merit.discipline import catalogue as C
from merit.discipline.models import (
    Evidence,
    Kind,
    Notice,
    NoticeState,
    ProcedureSettings,
    Proposal,
    State,
    Witness,
)
from merit.inbox.notify import notify, notify_all
from merit.ledger import posting as P
from merit.ledger.procedure import Movement, origin_of, post
from merit.org.access import can_see_agent, scope_of
from merit.org.calendar import work_calendar
from merit.org.models import Agent, Membership, UserRole

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVIDENCE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
MAX_EVIDENCE_FILES = 10
# Flags a person decides (PIPL Art. 24): they become proposals of kind "decision" when a run is published.
DECISION_FLAGS = ("dismissal_review", "suspension", "qualification_cancelled", "blacklist", "probation")


def local_today(now: datetime | None = None):
    return timezone.localtime(now or timezone.now(), SHANGHAI).date()


# ---- who may do what ------------------------------------------------------------------------------


def is_manager(user) -> bool:
    """HR and admins."""
    return scope_of(user).is_manager


def is_admin(user) -> bool:
    return scope_of(user).role == UserRole.ADMIN


def may_propose(user, agent: Agent) -> bool:
    s = scope_of(user)
    return s.role in (UserRole.SUPERVISOR, UserRole.HR, UserRole.ADMIN) and can_see_agent(user, agent)


def _actors(p: Proposal) -> set[int]:
    return {i for i in (p.proposed_by_id, p.reviewed_by_id, p.approved_by_id) if i is not None}


def may_review(user, p: Proposal) -> bool:
    return (
        p.state == State.PROPOSED
        and p.kind != Kind.DECISION
        and is_manager(user)
        and user.pk not in _actors(p)
    )


def may_approve(user, p: Proposal) -> bool:
    return p.state == State.REVIEWED and is_admin(user) and user.pk not in _actors(p)


def may_decide(user, p: Proposal) -> bool:
    return (
        p.state == State.PROPOSED
        and p.kind == Kind.DECISION
        and is_manager(user)
        and user.pk not in _actors(p)
    )


def may_reject(user, p: Proposal) -> bool:
    return may_review(user, p) or may_approve(user, p)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message)


# ---- proposing ------------------------------------------------------------------------------------


def parse_amount(text) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The amount must be a number, e.g. 50 or 50.00.")) from None
    if not value.is_finite() or value != value.quantize(P.CENT):
        raise ValidationError(_("The amount has at most 2 decimals."))
    return value.quantize(P.CENT)


def needs_manager(book: str, amount: Decimal, settings: ProcedureSettings) -> bool:
    limit = settings.manager_points if book == P.POINTS else settings.manager_amount
    return amount > limit


def propose(
    user, agent: Agent, item_id: str, amount, period: str, facts: str, reason: str, files=()
) -> Proposal:
    """A supervisor (or HR) proposes a catalogue item for ``agent``; files are evidence."""
    _require(may_propose(user, agent), _("Only the agent's supervisor, HR or an admin may propose."))
    item = C.find(item_id)
    if item is None:
        raise ValidationError(_("Unknown item of the catalogue: %(item)s") % {"item": item_id})
    value = parse_amount(amount)
    problem = item.check_amount(value)
    if problem:
        raise ValidationError(problem)
    if not facts.strip() or not reason.strip():
        raise ValidationError(_("Facts and reason are both required."))
    from merit.policies.actions import month_start

    try:
        month_start(period)
    except ValueError as e:
        raise ValidationError(str(e)) from None
    settings = ProcedureSettings.current()
    checked = [check_evidence(f, settings) for f in files]
    if len(checked) > MAX_EVIDENCE_FILES:
        raise ValidationError(_("At most %(n)d files of evidence.") % {"n": MAX_EVIDENCE_FILES})
    with transaction.atomic():
        p = Proposal.objects.create(
            agent=agent,
            kind=item.kind,
            item=item.id,
            item_label=f"{item.label_zh} {item.label_en}"[:300],
            rule=item.rule,
            book=item.book,
            amount=value,
            warning_level=item.warning_level,
            period=period,
            facts=facts.strip(),
            reason=reason.strip(),
            needs_manager=needs_manager(item.book, value, settings),
            proposed_by=user,
        )
        for f, kind in checked:
            _store_evidence(p, f, kind, user)
        record(user, "discipline.propose", p, after=_snapshot(p), detail={"evidence": len(checked)})
        notify_all(
            _users_with(UserRole.HR, UserRole.ADMIN, exclude=user),
            "proposal.review",
            _("A proposal to review: %(item)s for %(agent)s") % {"item": item.label, "agent": agent.name},
            url=reverse("discipline:proposal", args=[p.pk]),
        )
    return p


def check_evidence(f, settings: ProcedureSettings) -> tuple:
    """The upload ``f`` if it is an image or a PDF (by its bytes) within the size limit."""
    limit = settings.evidence_max_kb * 1024
    if f.size > limit:
        raise ValidationError(
            _("%(name)s is %(size)d KB; the limit is %(limit)d KB.")
            % {"name": f.name, "size": (f.size + 1023) // 1024, "limit": settings.evidence_max_kb}
        )
    head = f.read(8192)
    f.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in EVIDENCE_TYPES:
        raise ValidationError(
            _("%(name)s is not an image (PNG, JPEG, GIF, WebP) or a PDF.") % {"name": f.name}
        )
    return f, kind


def _store_evidence(p: Proposal, f, kind, user) -> Evidence:
    digest = hashlib.sha256()
    for chunk in f.chunks():
        digest.update(chunk)
    f.seek(0)
    e = Evidence(
        proposal=p,
        name=f.name[:200],
        content_type=kind.mime,
        size=f.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    e.file.save(f"{digest.hexdigest()[:16]}.{kind.extension}", f, save=False)
    e.save()
    return e


# ---- reviewing and approving ------------------------------------------------------------------------


def _transition(p: Proposal, user, action: str, expected, new_state, fields: dict) -> Proposal:
    before = _snapshot(p)
    n = Proposal.objects.filter(pk=p.pk, state=expected).update(state=new_state, **fields)
    if n != 1:
        raise ValidationError(_("The proposal changed meanwhile; reload the page."))
    p.refresh_from_db()
    record(user, action, p, before=before, after=_snapshot(p))
    return p


def review(user, p: Proposal, note: str = "") -> Proposal:
    """HR's review: the final approval when no manager is needed, else the step before it."""
    _require(may_review(user, p), _("You may not review this proposal (four eyes: never your own)."))
    with transaction.atomic():
        now = timezone.now()
        fields = {"reviewed_by": user, "reviewed_at": now, "review_note": note.strip()}
        if p.needs_manager:
            p = _transition(p, user, "discipline.review", State.PROPOSED, State.REVIEWED, fields)
            notify_all(
                _users_with(UserRole.ADMIN, exclude=user),
                "proposal.approve",
                _("A proposal awaits your approval: %(item)s") % {"item": p.item_label},
                url=reverse("discipline:proposal", args=[p.pk]),
            )
            return p
        return _approved(p, user, State.PROPOSED, fields)


def approve(user, p: Proposal, note: str = "") -> Proposal:
    _require(may_approve(user, p), _("Only an admin who has not proposed or reviewed it may approve."))
    with transaction.atomic():
        fields = {"approved_by": user, "approved_at": timezone.now(), "approval_note": note.strip()}
        return _approved(p, user, State.REVIEWED, fields)


def _approved(p: Proposal, user, expected, fields) -> Proposal:
    if p.kind == Kind.REWARD:
        fields = {**fields, "effective_at": timezone.now()}
        p = _transition(p, user, "discipline.approve", expected, State.EFFECTIVE, fields)
        _post(p, origin_of("proposal", p.pk), user, p)
        notify(
            p.agent.user,
            "reward.effective",
            _("You receive: %(item)s") % {"item": p.item_label},
            url=reverse("discipline:proposal", args=[p.pk]),
        )
        return p
    p = _transition(p, user, "discipline.approve", expected, State.APPROVED, fields)
    issue_notice(p, user)
    return p


def reject(user, p: Proposal, reason: str) -> Proposal:
    _require(may_reject(user, p), _("You may not reject this proposal."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."))
    with transaction.atomic():
        p = _transition(
            p,
            user,
            "discipline.reject",
            p.state,
            State.REJECTED,
            {"rejected_by": user, "rejected_at": timezone.now(), "reject_reason": reason.strip()},
        )
        notify(p.proposed_by, "proposal.rejected", _("Proposal rejected: %(item)s") % {"item": p.item_label})
    return p


def decide(user, p: Proposal, decision: str, confirm: bool) -> Proposal:
    """A named person decides a flag (dismissal review, suspension, …): ``confirm`` or not, and why."""
    _require(may_decide(user, p), _("Only HR or an admin who did not raise it may decide a flag."))
    if not decision.strip():
        raise ValidationError(_("Write the decision and its reasons."))
    with transaction.atomic():
        word = "确认 confirmed" if confirm else "不予采纳 not confirmed"
        p = _transition(
            p,
            user,
            "discipline.decide",
            State.PROPOSED,
            State.DECIDED,
            {
                "approved_by": user,
                "approved_at": timezone.now(),
                "decision": f"{word}: {decision.strip()}",
                "effective_at": timezone.now(),
            },
        )
        notify(
            p.agent.user,
            "flag.decided",
            _("A decision was made on: %(item)s") % {"item": p.item_label},
            url=reverse("discipline:proposal", args=[p.pk]),
        )
    return p


# ---- notices ----------------------------------------------------------------------------------------


def issue_notice(p: Proposal, user) -> Notice:
    settings = ProcedureSettings.current()
    now = timezone.now()
    today = local_today(now)
    notice = Notice.objects.create(
        proposal=p,
        issued_at=now,
        issued_on=today,
        appeal_until=work_calendar().add_workdays(today, settings.appeal_file_days),
    )
    record(
        user, "discipline.notice.issue", notice, after={"proposal": p.pk, "appeal_until": notice.appeal_until}
    )
    notify(
        p.agent.user,
        "notice.acknowledge",
        _("A penalty notice to acknowledge: %(item)s") % {"item": p.item_label},
        url=reverse("discipline:notice", args=[notice.pk]),
    )
    return notice


def may_acknowledge(user, n: Notice) -> bool:
    return n.state == NoticeState.ISSUED and n.proposal.agent.user_id == user.pk


def may_record_refusal(user, n: Notice) -> bool:
    s = scope_of(user)
    return (
        n.state == NoticeState.ISSUED
        and s.role in (UserRole.SUPERVISOR, UserRole.HR, UserRole.ADMIN)
        and can_see_agent(user, n.proposal.agent)
    )


def may_witness(user, n: Notice) -> bool:
    s = scope_of(user)
    return (
        n.state == NoticeState.REFUSED
        and s.role in (UserRole.SUPERVISOR, UserRole.HR, UserRole.ADMIN)
        and can_see_agent(user, n.proposal.agent)
        and user.pk not in (n.proposal.agent.user_id, n.refused_by_id, n.proposal.proposed_by_id)
        and not n.witnesses.filter(user=user).exists()
    )


def _notice_transition(n: Notice, user, action: str, expected, new_state, fields: dict) -> Notice:
    before = {"state": n.state}
    if Notice.objects.filter(pk=n.pk, state=expected).update(state=new_state, **fields) != 1:
        raise ValidationError(_("The notice changed meanwhile; reload the page."))
    n.refresh_from_db()
    record(user, action, n, before=before, after={"state": n.state})
    return n


def acknowledge(user, n: Notice) -> Notice:
    _require(may_acknowledge(user, n), _("Only the agent named on the notice may acknowledge it."))
    with transaction.atomic():
        now = timezone.now()
        n = _notice_transition(
            n,
            user,
            "discipline.notice.acknowledge",
            NoticeState.ISSUED,
            NoticeState.ACKNOWLEDGED,
            {"acknowledged_at": now, "effective_at": now},
        )
        _take_effect(n, user)
    return n


def record_refusal(user, n: Notice, note: str) -> Notice:
    _require(
        may_record_refusal(user, n), _("Only the agent's supervisor, HR or an admin may record a refusal.")
    )
    if not note.strip():
        raise ValidationError(_("Describe the refusal (when, where, what was said)."))
    with transaction.atomic():
        n = _notice_transition(
            n,
            user,
            "discipline.notice.refuse",
            NoticeState.ISSUED,
            NoticeState.REFUSED,
            {"refused_by": user, "refused_at": timezone.now(), "refusal_note": note.strip()},
        )
    return n


def witness(user, n: Notice, statement: str = "") -> Notice:
    """A witness confirms the refusal; the second distinct witness puts the notice in effect."""
    _require(
        may_witness(user, n),
        _(
            "A witness is a supervisor, HR or admin other than the agent, the proposer and the one who recorded the refusal."
        ),
    )
    with transaction.atomic():
        Notice.objects.select_for_update().filter(pk=n.pk).first()
        try:
            with transaction.atomic():
                Witness.objects.create(notice=n, user=user, statement=statement.strip())
        except IntegrityError:  # the same witness twice at once: the first one counts
            raise ValidationError(_("You have already confirmed this refusal.")) from None
        record(user, "discipline.notice.witness", n, detail={"witness": user.pk})
        if n.witnesses.count() >= 2:
            n = _notice_transition(
                n,
                user,
                "discipline.notice.witnessed",
                NoticeState.REFUSED,
                NoticeState.WITNESSED,
                {"effective_at": timezone.now()},
            )
            _take_effect(n, user)
    return n


def _take_effect(n: Notice, user) -> None:
    p = n.proposal
    Proposal.objects.filter(pk=p.pk, state=State.APPROVED).update(
        state=State.EFFECTIVE, effective_at=n.effective_at
    )
    p.refresh_from_db()
    _post(p, origin_of("notice", n.pk), user, n)
    notify_all(
        [p.proposed_by, p.agent.user],
        "notice.effective",
        _("Penalty notice %(number)s is in effect") % {"number": n.number},
        url=reverse("discipline:notice", args=[n.pk]),
    )


def movements_of(p: Proposal) -> list[Movement]:
    if not p.book or p.amount == 0:
        return []
    if p.book == P.MONEY:
        category = P.REWARD if p.kind == Kind.REWARD else P.FINE
    else:
        category = P.AWARD if p.kind == Kind.REWARD else P.DEDUCTION
    label = p.item_label + (f" · {p.reason[:200]}" if p.reason else "")
    return [
        Movement(
            p.agent_id,
            p.book,
            category,
            p.signed_amount,
            p.period,
            p.item,
            label,
            ({"table": "discipline_proposal", "id": p.pk},),
        )
    ]


def _post(p: Proposal, origin: str, user, target) -> None:
    moves = movements_of(p)
    if moves and isinstance(target, Notice):
        moves = _after_appeal(target, moves)
    if moves:
        post(moves, origin, user, action="discipline.post", target=target)


def _after_appeal(n: Notice, moves: list[Movement]) -> list[Movement]:
    """A notice appealed and answered before it took effect takes effect as the appeal decided:
    overturned, nothing is posted; partly upheld, the corrected amount (docs/appeals.md)."""
    from merit.appeals.models import Appeal, AppealState, Outcome

    decided = (
        Appeal.objects.filter(target_ref=f"notice:{n.pk}", state=AppealState.ANSWERED)
        .order_by("-answered_at")
        .first()
    )
    if decided is None or decided.outcome == Outcome.UPHELD:
        return moves
    if decided.outcome == Outcome.OVERTURNED or not decided.corrected_amount:
        return []
    m = moves[0]
    label = f"{m.label} · 申诉更正 corrected on appeal #{decided.pk}"[:500]
    return [dataclasses.replace(m, amount=decided.corrected_amount, label=label)]


# ---- flags of a published run -----------------------------------------------------------------------


def proposals_from_run(run, user) -> int:
    """Each flag a person must decide, of each agent of the published ``run``, becomes a proposal."""
    from merit.assessment.models import AgentResult

    made = 0
    for row in AgentResult.objects.filter(run=run).only("agent_id", "period", "doc").iterator():
        for flag in row.doc.get("flags") or []:
            if flag.get("flag") not in DECISION_FLAGS and not flag.get("human_decision"):
                continue
            item = f"flag:{flag.get('flag')}:{flag.get('rule', '')}"[:120]
            _proposal, created = Proposal.objects.get_or_create(
                run=run,
                agent_id=row.agent_id,
                item=item,
                period=row.period,
                defaults={
                    "kind": Kind.DECISION,
                    "item_label": _flag_label(flag)[:300],
                    "rule": str(flag.get("rule", "")),
                    "facts": str(flag.get("reason", "")),
                    "reason": f"由考核批次 #{run.pk} 标记，需人工决定 Raised by run #{run.pk}; a person decides",
                    "flag": flag,
                    "proposed_by": user,
                },
            )
            made += created
    if made:
        record(user, "discipline.flags", run, detail={"proposals": made})
        notify_all(
            _users_with(UserRole.HR, UserRole.ADMIN, exclude=user),
            "flag.decide",
            _("%(n)d flags of run #%(run)d await a decision") % {"n": made, "run": run.pk},
            url=reverse("discipline:list") + "?state=proposed&kind=decision",
        )
    return made


FLAG_LABELS = {
    "dismissal_review": "辞退评审 dismissal review",
    "suspension": "停止服务 suspension",
    "qualification_cancelled": "取消资格 qualification cancelled",
    "blacklist": "列入黑名单 blacklist",
    "probation": "试用/观察期 probation",
    "salary_raise": "基本工资上调建议 base salary raise",
}


def _flag_label(flag: dict) -> str:
    return FLAG_LABELS.get(flag.get("flag"), str(flag.get("flag")))


# ---- helpers ----------------------------------------------------------------------------------------


def _users_with(*roles, exclude=None):
    User = get_user_model()
    ids = Membership.objects.filter(role__in=roles).values_list("user_id", flat=True)
    qs = User.objects.filter(pk__in=ids, is_active=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs)


def _snapshot(p: Proposal) -> dict:
    return {
        "agent": p.agent_id,
        "kind": p.kind,
        "item": p.item,
        "book": p.book,
        "amount": str(p.amount),
        "period": p.period,
        "state": p.state,
    }
