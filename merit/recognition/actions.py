"""Opening a selection, eligibility, the secret vote, the tally and the approval chain (docs/recognition.md).
Every step is one transaction and one audit row; the state moves by conditional UPDATEs, so the reward is
posted exactly once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.audit.log import record
from merit.discipline.models import Notice, NoticeState
from merit.facts.models import FACT_MODELS
from merit.inbox.notify import notify, notify_all
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, origin_of, post
from merit.org.access import scope_of
from merit.org.models import Agent, Membership, Team, UserRole
from merit.recognition.models import Ballot, Selection, SelectionKind, SelectionState, VoterReceipt

Attendance = FACT_MODELS["attendance"]
ALLOWED_LEAVE = ("family_visit", "marriage", "annual")  # S3: these leaves do not exclude
TOP = 2


@dataclass(frozen=True)
class Eligibility:
    agent: Agent
    eligible: bool
    reasons: tuple[str, ...]


def _month(period: str) -> tuple[date, date]:
    y, m = int(period[:4]), int(period[5:7])
    return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)


LEAVE_LABELS = {
    "sick": "病假 sick leave",
    "personal": "事假 personal leave",
    "maternity": "产假 maternity leave",
    "other": "其他请假 other leave",
    "": "请假类型未填 leave of unknown type",
}


def eligibility(team: Team, period: str) -> list[Eligibility]:
    """S3: regular (转正), no violation, no sick or personal leave, no late arrival or early leave in the
    month; maternity leave excludes; family-visit, marriage and annual leave are allowed."""
    first, after = _month(period)
    agents = list(Agent.objects.filter(team=team, active=True).order_by("agent_id"))
    ids = [a.agent_id for a in agents]
    reasons: dict[str, list[str]] = {a.agent_id: [] for a in agents}
    for a in agents:
        if a.employment != "regular":
            reasons[a.agent_id].append(f"未转正 not regular ({a.employment})")
    rows = Attendance.objects.filter(agent_id__in=ids, date__gte=first, date__lt=after).exclude(
        status="present"
    )
    for agent_id, status, leave_type in rows.values_list("agent_id", "status", "leave_type"):
        if status in ("late", "early_leave"):
            text = "迟到或早退 late or early"
        elif status == "absent":
            text = "旷工 absent"
        elif leave_type in ALLOWED_LEAVE:
            continue
        else:
            text = LEAVE_LABELS.get(leave_type or "", LEAVE_LABELS["other"])
        if text not in reasons[agent_id]:
            reasons[agent_id].append(text)
    period_str = f"{first:%Y-%m}"
    fined = LedgerEntry.objects.filter(
        agent_id__in=ids, period=period_str, reverses__isnull=True, reversal__isnull=True
    ).filter(category__in=(P.FINE, P.DEDUCTION))
    for agent_id in set(fined.values_list("agent_id", flat=True)):
        reasons[agent_id].append("本月有违纪扣罚 a fine or deduction this month")
    noticed = (
        Notice.objects.filter(
            proposal__agent_id__in=ids, state__in=(NoticeState.ACKNOWLEDGED, NoticeState.WITNESSED)
        )
        .filter(
            Q(proposal__period=period_str) | Q(effective_at__date__gte=first, effective_at__date__lt=after)
        )
        .values_list("proposal__agent_id", flat=True)
    )
    for agent_id in set(noticed):
        text = "本月有处罚单 a penalty notice this month"
        if text not in reasons[agent_id]:
            reasons[agent_id].append(text)
    return [Eligibility(a, not reasons[a.agent_id], tuple(reasons[a.agent_id])) for a in agents]


def parse_amount(text) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The amount must be a number, e.g. 200 or 200.00.")) from None
    if not value.is_finite() or value < 0 or value != value.quantize(P.CENT):
        raise ValidationError(_("The amount is a number ≥ 0 with at most 2 decimals."))
    return value.quantize(P.CENT)


# ---- who may do what ------------------------------------------------------------------------------


def may_open(user, team: Team) -> bool:
    s = scope_of(user)
    return s.is_manager or (s.role == UserRole.SUPERVISOR and s.team_id == team.pk)


def _steps(sel: Selection) -> set[int]:
    return {i for i in (sel.reviewed_by_id, sel.rated_by_id, sel.approved_by_id) if i}


def may_review(user, sel: Selection) -> bool:  # department head: the team's supervisor
    s = scope_of(user)
    return sel.state == SelectionState.REVIEW and s.role == UserRole.SUPERVISOR and s.team_id == sel.team_id


def may_rate(user, sel: Selection) -> bool:  # company rating: HR
    return (
        sel.state == SelectionState.RATING
        and scope_of(user).role == UserRole.HR
        and user.pk not in _steps(sel)
    )


def may_approve(user, sel: Selection) -> bool:  # company leader: an admin
    return (
        sel.state == SelectionState.APPROVAL
        and scope_of(user).role == UserRole.ADMIN
        and user.pk not in _steps(sel)
    )


def voter_agent(user, sel: Selection) -> Agent | None:
    return Agent.objects.filter(user=user, team_id=sel.team_id, active=True).first()


def may_vote(user, sel: Selection) -> bool:
    return (
        sel.state == SelectionState.VOTING
        and voter_agent(user, sel) is not None
        and not VoterReceipt.objects.filter(selection=sel, user=user).exists()
    )


# ---- steps ----------------------------------------------------------------------------------------


def open_selection(user, team: Team, kind: str, period: str, amount=Decimal("200.00")) -> Selection:
    if not may_open(user, team):
        raise PermissionDenied(_("Only the team's supervisor or HR opens a selection."))
    amount = parse_amount(amount)
    if kind not in SelectionKind.values:
        raise ValidationError(_("Unknown kind of selection."))
    from merit.policies.actions import month_start

    try:
        month_start(period)
    except ValueError as e:
        raise ValidationError(str(e)) from None
    if not Membership.objects.filter(role=UserRole.SUPERVISOR, team=team).exists():
        # the department head reviews the vote (S3): without one the selection could never finish
        raise ValidationError(
            _("Team %(team)s has no supervisor to review the vote: add one first.") % {"team": team.name}
        )
    checked = eligibility(team, period)
    eligible = [e.agent.agent_id for e in checked if e.eligible]
    if not eligible:
        raise ValidationError(_("Nobody of the team is eligible this month."))
    try:
        with transaction.atomic():
            sel = Selection.objects.create(
                kind=kind,
                team=team,
                period=period,
                amount=amount,
                eligible=eligible,
                eligibility=[{"agent_id": e.agent.agent_id, "reasons": list(e.reasons)} for e in checked],
                opened_by=user,
            )
            record(user, "recognition.open", sel, after={"eligible": eligible, "amount": str(sel.amount)})
            notify_all(
                [
                    a.user
                    for a in Agent.objects.filter(team=team, active=True).select_related("user")
                    if a.user
                ],
                "recognition.vote",
                _("Vote for the %(kind)s of %(period)s") % {"kind": sel.get_kind_display(), "period": period},
                url=reverse("recognition:detail", args=[sel.pk]),
            )
    except IntegrityError:
        raise ValidationError(_("This selection is already open for the team and month.")) from None
    return sel


def vote(user, sel: Selection, candidate_id: str) -> None:
    """One secret vote: a receipt that the user voted and a ballot for the candidate, in one transaction;
    nothing ties the two (docs/recognition.md)."""
    me = voter_agent(user, sel)
    if me is None:
        raise PermissionDenied(_("Only members of the team vote, while the vote is open."))
    if candidate_id == me.agent_id:
        raise ValidationError(_("You cannot vote for yourself."))
    if candidate_id not in sel.eligible:
        raise ValidationError(_("Vote for an eligible colleague."))
    try:
        with transaction.atomic():
            # the row lock orders votes and the close: no vote lands after the count
            state = Selection.objects.select_for_update().values_list("state", flat=True).get(pk=sel.pk)
            if state != SelectionState.VOTING:
                raise PermissionDenied(_("Only members of the team vote, while the vote is open."))
            VoterReceipt.objects.create(selection=sel, user=user)
            Ballot.objects.create(selection=sel, candidate_id=candidate_id)
            record(user, "recognition.vote", sel)  # that the user voted, never for whom
    except IntegrityError:
        raise ValidationError(_("You have already voted.")) from None


def tally(sel: Selection) -> list[dict]:
    """Every colleague voted for, most votes first (then by agent id)."""
    rows = Ballot.objects.filter(selection=sel).values("candidate_id").annotate(n=Count("pk"))
    ordered = sorted(((r["candidate_id"], r["n"]) for r in rows), key=lambda r: (-r[1], r[0]))
    return [{"agent_id": a, "votes": n} for a, n in ordered]


def top(counts: list[dict], places: int = TOP) -> list[dict]:
    """The first ``places`` of ``counts`` and everyone tied with the last of them."""
    if not counts:
        return []
    cut = counts[min(places, len(counts)) - 1]["votes"]
    return [c for c in counts if c["votes"] >= cut]


def _shuffle_ballots(sel: Selection) -> None:
    """Write the ballots again in a random order with new random keys: the rows no longer lie in the
    order of the votes, nor carry the transactions that wrote the receipts."""
    choices = list(Ballot.objects.filter(selection=sel).values_list("candidate_id", flat=True))
    secrets.SystemRandom().shuffle(choices)
    Ballot.objects.filter(selection=sel).delete()
    Ballot.objects.bulk_create([Ballot(selection=sel, candidate_id=c) for c in choices])


def _move(sel: Selection, user, action: str, expected: str, new: str, fields: dict) -> Selection:
    if Selection.objects.filter(pk=sel.pk, state=expected).update(state=new, **fields) != 1:
        raise ValidationError(_("The selection changed meanwhile; reload the page."))
    sel.refresh_from_db()
    record(user, action, sel, after={"state": new, **{k: str(v) for k, v in fields.items() if "note" in k}})
    return sel


def close(user, sel: Selection) -> Selection:
    """Count the votes; the top two (with everyone tied with the second) become the candidates."""
    if not may_open(user, sel.team):
        raise PermissionDenied(_("Only the team's supervisor or HR closes the vote."))
    with transaction.atomic():
        Selection.objects.select_for_update().filter(pk=sel.pk).first()  # waits for votes in flight
        counts = tally(sel)
        if not counts:
            raise ValidationError(_("No votes yet."))
        _shuffle_ballots(sel)
        return _move(
            sel,
            user,
            "recognition.close",
            SelectionState.VOTING,
            SelectionState.REVIEW,
            {"tally": counts, "candidates": top(counts), "closed_by": user, "closed_at": timezone.now()},
        )


def review(user, sel: Selection, note: str = "") -> Selection:
    if not may_review(user, sel):
        raise PermissionDenied(_("The team's supervisor reviews as department head."))
    with transaction.atomic():
        return _move(
            sel,
            user,
            "recognition.review",
            SelectionState.REVIEW,
            SelectionState.RATING,
            {"reviewed_by": user, "reviewed_at": timezone.now(), "review_note": note.strip()},
        )


def rate(user, sel: Selection, winner_id: str, note: str = "") -> Selection:
    if not may_rate(user, sel):
        raise PermissionDenied(_("HR rates for the company, and not after another step of their own."))
    if winner_id not in {c["agent_id"] for c in sel.candidates}:
        raise ValidationError(_("Choose one of the candidates."))
    now = {e.agent.agent_id: e for e in eligibility(sel.team, sel.period)}.get(winner_id)
    if now is None or not now.eligible:
        reasons = "；".join(now.reasons) if now else _("no longer an active agent of the team")
        raise ValidationError(
            _("%(agent)s is no longer eligible: %(reasons)s") % {"agent": winner_id, "reasons": reasons}
        )
    with transaction.atomic():
        return _move(
            sel,
            user,
            "recognition.rate",
            SelectionState.RATING,
            SelectionState.APPROVAL,
            {
                "winner_id": winner_id,
                "rated_by": user,
                "rated_at": timezone.now(),
                "rating_note": note.strip(),
            },
        )


def approve(user, sel: Selection, note: str = "") -> Selection:
    """The leader approves: published, the reward posted once (origin recognition:<id>), the winner told."""
    if not may_approve(user, sel):
        raise PermissionDenied(_("A company leader (admin) who took no other step approves."))
    with transaction.atomic():
        sel = _move(
            sel,
            user,
            "recognition.approve",
            SelectionState.APPROVAL,
            SelectionState.PUBLISHED,
            {"approved_by": user, "approved_at": timezone.now(), "approval_note": note.strip()},
        )
        if sel.amount > 0:
            post(
                [
                    Movement(
                        sel.winner_id,
                        P.MONEY,
                        P.REWARD,
                        sel.amount,
                        sel.period,
                        sel.kind,
                        f"{sel.get_kind_display()} {sel.period}",
                        ({"table": "recognition_selection", "id": sel.pk},),
                    )
                ],
                origin_of("recognition", sel.pk),
                user,
                action="recognition.post",
                target=sel,
            )
        notify(
            sel.winner.user,
            "recognition.won",
            _("You are the %(kind)s of %(period)s") % {"kind": sel.get_kind_display(), "period": sel.period},
            url=reverse("recognition:detail", args=[sel.pk]),
        )
    return sel


def reject(user, sel: Selection, reason: str) -> Selection:
    if not (may_review(user, sel) or may_rate(user, sel) or may_approve(user, sel)):
        raise PermissionDenied(_("You may not reject this selection now."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."))
    with transaction.atomic():
        sel = _move(
            sel,
            user,
            "recognition.reject",
            sel.state,
            SelectionState.REJECTED,
            {"rejected_by": user, "rejected_at": timezone.now(), "reject_reason": reason.strip()},
        )
        notify_all(
            [u for u in {sel.opened_by, *(x for x in (sel.reviewed_by, sel.rated_by) if x)} if u != user],
            "recognition.rejected",
            _("Selection rejected: %(kind)s of %(period)s")
            % {"kind": sel.get_kind_display(), "period": sel.period},
            url=reverse("recognition:detail", args=[sel.pk]),
        )
        return sel
