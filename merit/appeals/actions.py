"""Filing, answering and sweeping appeals (docs/appeals.md). Each write is one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.appeals.models import Appeal, AppealState, Outcome, Target
from merit.audit.log import record
from merit.discipline.actions import SHANGHAI, _users_with, check_evidence, local_today, parse_amount
from merit.discipline.models import Notice, ProcedureSettings
from merit.inbox.notify import notify, notify_all
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, origin_of, post
from merit.ledger.procedure import reverse as reverse_entries
from merit.org.access import can_see_agent, scope_of
from merit.org.calendar import work_calendar
from merit.org.models import Agent, UserRole

REMIND_BEFORE = timedelta(hours=24)  # the reviewers are reminded once when less than this is left


@dataclass
class Item:
    """What an appeal is about, as the agent sees it."""

    target: str
    ref: str
    agent: Agent
    label: str
    period: str
    published_on: date
    amount: Decimal | None = None  # signed, as it stands (None: not an amount)
    entries: list = field(default_factory=list)  # ledger entries an outcome reverses
    proposer_id: int | None = None  # who proposed the penalty (may not answer the appeal)


def _entries_in_force(qs):
    return list(qs.filter(reverses__isnull=True, reversal__isnull=True).order_by("pk"))


def _day(dt: datetime) -> date:
    return timezone.localtime(dt, SHANGHAI).date()


def _published_on(agent_id: str, period: str, fallback: date) -> date:
    """When a fact's attribution became published: the first publication of a run covering its month
    for the agent (or the fact's own day when none is published yet), whichever is later."""
    from merit.assessment.models import AgentResult, RunState

    first = (
        AgentResult.objects.filter(agent_id=agent_id, period=period, run__state=RunState.PUBLISHED)
        .order_by("run__published_at")
        .values_list("run__published_at", flat=True)
        .first()
    )
    return max(fallback, _day(first)) if first else fallback


def resolve(ref: str) -> Item:
    """The item behind ``ref`` ("notice:5", "entry:12", "line:<result id>:<item>", "breach:<case>",
    "rating:<id>"); ValidationError naming the reference when it is not one."""
    kind, _sep, rest = ref.partition(":")
    try:
        if kind == Target.NOTICE:
            n = Notice.objects.select_related("proposal__agent").get(pk=int(rest))
            p = n.proposal
            return Item(
                kind,
                ref,
                p.agent,
                f"{_('Penalty notice')} {n.number} · {p.item_label}",
                p.period,
                n.issued_on,
                p.signed_amount,
                _entries_in_force(LedgerEntry.objects.filter(origin=origin_of("notice", n.pk))),
                p.proposed_by_id,
            )
        if kind == Target.ENTRY:
            e = LedgerEntry.objects.select_related("agent", "run").get(pk=int(rest))
            if e.reverses_id is not None:
                raise ValidationError(_("A reversal cannot be appealed; appeal the original entry."))
            opened = _day(e.run.published_at) if e.run_id and e.run.published_at else _day(e.created_at)
            return Item(
                kind,
                ref,
                e.agent,
                f"{e.get_book_display()} · {e.get_category_display()} · {e.label or e.rule} ({e.period})",
                e.period,
                opened,
                e.amount,
                _entries_in_force(LedgerEntry.objects.filter(pk=e.pk)),
            )
        if kind == Target.LINE:
            from merit.assessment.models import AgentResult, RunState

            result_id, _sep, item = rest.partition(":")
            r = AgentResult.objects.select_related("run", "agent").get(
                pk=int(result_id), run__state=RunState.PUBLISHED
            )
            line = next((x for x in r.doc.get("lines") or [] if x.get("item") == item), None)
            if line is None:
                raise ValidationError(_("The scorecard has no line %(item)s.") % {"item": item})
            entries = LedgerEntry.objects.filter(run=r.run, agent=r.agent, period=r.period, rule=item)
            return Item(
                kind,
                ref,
                r.agent,
                f"{_('Scorecard line')} {line.get('label') or item} ({r.period})",
                r.period,
                _day(r.run.published_at),
                Decimal(str(line["points"])) if line.get("points") is not None else None,
                _entries_in_force(entries),
            )
        if kind == Target.BREACH:
            from merit.tickets.models import Case

            c = Case.objects.select_related("assignee").get(pk=int(rest))
            at = (
                min(t for t in (c.first_response_breached_at, c.resolution_breached_at) if t)
                if (c.first_response_breached_at or c.resolution_breached_at)
                else None
            )
            if at is None or c.assignee is None:
                raise ValidationError(
                    _("Case %(case)s has no SLA breach of an agent.") % {"case": c.ticket_id or c.pk}
                )
            period = f"{_day(at):%Y-%m}"
            return Item(
                kind,
                ref,
                c.assignee,
                f"{_('SLA breach')} {c.ticket_id or c.pk} · {c.subject}",
                period,
                _published_on(c.assignee.agent_id, period, _day(at)),
                None,
                _source_entries(c.assignee, period, "tickets", c.ticket_id),
            )
        if kind == Target.RATING:
            from merit.facts.models import Rating

            rt = Rating.objects.select_related("agent").get(pk=int(rest))
            period = f"{_day(rt.at):%Y-%m}"
            return Item(
                kind,
                ref,
                rt.agent,
                f"{_('Satisfaction rating')} {rt.rating_id} · {rt.score}/5",
                period,
                _published_on(rt.agent.agent_id, period, _day(rt.at)),
                None,
                _source_entries(rt.agent, period, "ratings", rt.rating_id),
            )
    except (ValueError, LookupError) as e:
        raise ValidationError(_("No item %(ref)s to appeal.") % {"ref": ref}) from e
    except ValidationError:
        raise
    except Exception as e:  # DoesNotExist of any model
        if type(e).__name__ == "DoesNotExist":
            raise ValidationError(_("No item %(ref)s to appeal.") % {"ref": ref}) from e
        raise
    raise ValidationError(_("No item %(ref)s to appeal.") % {"ref": ref})


def _source_entries(agent: Agent, period: str, table: str, row_id) -> list:
    qs = LedgerEntry.objects.filter(agent=agent, period=period)
    return [
        e
        for e in _entries_in_force(qs)
        if any(s.get("table") == table and str(s.get("id")) == str(row_id) for s in (e.source or []))
    ]


def end_of_day(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=SHANGHAI)


# ---- filing ---------------------------------------------------------------------------------------


def file_appeal(user, ref: str, reason: str, evidence=None) -> Appeal:
    """The agent appeals ``ref`` within the window; late, it is refused with the day the window closed."""
    item = resolve(ref)
    if item.agent.user_id != user.pk:
        raise PermissionDenied(_("Only the agent concerned may appeal this item."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the appeal."))
    settings = ProcedureSettings.current()
    cal = work_calendar()
    closes = cal.add_workdays(item.published_on, settings.appeal_file_days)
    now = timezone.now()
    today = local_today(now)
    if today > closes:
        raise ValidationError(
            _("The appeal window closed on %(day)s (%(n)d working days after %(opened)s).")
            % {
                "day": closes.isoformat(),
                "n": settings.appeal_file_days,
                "opened": item.published_on.isoformat(),
            }
        )
    if Appeal.objects.filter(target_ref=ref).exclude(state=AppealState.WITHDRAWN).exists():
        raise ValidationError(_("This item has already been appealed."))
    checked = check_evidence(evidence, settings) if evidence else None
    due = cal.add_workdays(today, settings.appeal_answer_days)
    try:
        with transaction.atomic():
            a = Appeal(
                agent=item.agent,
                target=item.target,
                target_ref=ref,
                target_label=item.label[:300],
                period=item.period,
                published_on=item.published_on,
                file_until=closes,
                reason=reason.strip(),
                filed_by=user,
                filed_at=now,
                answer_due=due,
                answer_due_at=end_of_day(due),
                original_amount=item.amount,
            )
            if checked:
                f, kind = checked
                a.evidence_name, a.evidence_type = f.name[:200], kind.mime
                a.evidence.save(f"appeal.{kind.extension}", f, save=False)
            a.save()
            record(user, "appeals.file", a, after={"target": ref, "answer_due": due, "file_until": closes})
            notify_all(
                _users_with(UserRole.HR, UserRole.ADMIN, exclude=user),
                "appeal.filed",
                _("New appeal from %(agent)s, answer by %(day)s")
                % {"agent": item.agent.name, "day": due.isoformat()},
                url=reverse("appeals:detail", args=[a.pk]),
            )
    except IntegrityError:
        raise ValidationError(_("This item has already been appealed.")) from None
    return a


# ---- answering ------------------------------------------------------------------------------------


def may_answer(user, a: Appeal, item: Item | None = None) -> bool:
    s = scope_of(user)
    if not a.is_open or user.pk == a.agent.user_id or not can_see_agent(user, a.agent):
        return False
    if a.level >= 2 and s.role != UserRole.ADMIN:
        return False
    if s.role not in (UserRole.HR, UserRole.ADMIN):
        return False
    item = item or resolve(a.target_ref)
    return user.pk != item.proposer_id


def answer(user, a: Appeal, outcome: str, text: str, corrected=None) -> Appeal:
    """Answer ``a``: upheld (nothing changes), partly upheld (the amount becomes ``corrected``: reversal
    and new entry) or overturned (reversal). The balance after an overturn is what it was before the item."""
    item = resolve(a.target_ref)
    if not may_answer(user, a, item):
        raise PermissionDenied(
            _("Only HR (an admin after escalation) who did not propose the item may answer this appeal.")
        )
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose an outcome."))
    if not text.strip():
        raise ValidationError(_("Write the answer and its reasons."))
    corrected_value = None
    if outcome == Outcome.PARTLY:
        if corrected in (None, ""):
            raise ValidationError(_("A partly upheld appeal needs the corrected amount."))
        corrected_value = abs(parse_amount(corrected))
        books = {e.book for e in item.entries}
        if len(books) > 1:
            raise ValidationError(
                _("The item posts to both books; overturn it and propose the right amount.")
            )
        if item.amount is not None and corrected_value >= abs(item.amount):
            raise ValidationError(
                _("The corrected amount must be less than the original %(amount)s.")
                % {"amount": abs(item.amount)}
            )
    with transaction.atomic():
        now = timezone.now()
        n = Appeal.objects.filter(pk=a.pk, state=AppealState.OPEN).update(
            state=AppealState.ANSWERED,
            outcome=outcome,
            answer=text.strip(),
            answered_by=user,
            answered_at=now,
            corrected_amount=(
                corrected_value.copy_sign(item.amount)
                if corrected_value is not None and item.amount
                else corrected_value
            ),
        )
        if n != 1:
            raise ValidationError(_("The appeal was answered meanwhile; reload the page."))
        a.refresh_from_db()
        origin = origin_of("appeal", a.pk)
        if outcome in (Outcome.OVERTURNED, Outcome.PARTLY) and item.entries:
            reverse_entries(item.entries, origin, user, action="appeals.reverse", target=a)
            if outcome == Outcome.PARTLY and corrected_value:
                first = item.entries[0]
                sign = Decimal(-1) if sum(e.amount for e in item.entries) < 0 else Decimal(1)
                post(
                    [
                        Movement(
                            first.agent_id,
                            first.book,
                            first.category,
                            sign * corrected_value,
                            first.period,
                            first.rule,
                            f"{first.label} · 申诉更正 corrected on appeal #{a.pk}"[:500],
                            tuple(first.source or ()),
                        )
                    ],
                    origin,
                    user,
                    action="appeals.correct",
                    target=a,
                )
        if outcome == Outcome.OVERTURNED and item.target == Target.BREACH:
            _exempt_breach(int(item.ref.partition(":")[2]), a, user)
        record(user, "appeals.answer", a, after={"outcome": outcome, "corrected": a.corrected_amount})
        notify(
            a.filed_by,
            "appeal.answered",
            _("Your appeal was answered: %(outcome)s") % {"outcome": a.get_outcome_display()},
            url=reverse("appeals:detail", args=[a.pk]),
        )
    return a


def _exempt_breach(case_pk: int, a: Appeal, user) -> None:
    """An overturned breach is exempted on the desk (豁免), so the SLA metrics of the next runs do not
    count it; it stays visible with the appeal as its reason."""
    from merit.tickets.models import Case

    reason = f"申诉 #{a.pk} 撤销 overturned on appeal #{a.pk}"
    changed = {}
    case = Case.objects.select_for_update().get(pk=case_pk)
    for at, column in (
        (case.first_response_breached_at, "first_response_exempt_reason"),
        (case.resolution_breached_at, "resolution_exempt_reason"),
    ):
        if at is not None and not getattr(case, column):
            changed[column] = reason
    if changed:
        Case.objects.filter(pk=case_pk).update(exempted_by=user, **changed)
        record(user, "tickets.case.exempt", case, after=changed, detail={"appeal": a.pk})


def withdraw(user, a: Appeal) -> Appeal:
    if a.filed_by_id != user.pk:
        raise PermissionDenied(_("Only the agent who filed it may withdraw an appeal."))
    with transaction.atomic():
        if Appeal.objects.filter(pk=a.pk, state=AppealState.OPEN).update(state=AppealState.WITHDRAWN) != 1:
            raise ValidationError(_("The appeal is no longer open."))
        a.refresh_from_db()
        record(user, "appeals.withdraw", a)
    return a


# ---- the sweep ------------------------------------------------------------------------------------


def sweep(now: datetime | None = None) -> dict:
    """Remind once when the answer is due within a day; escalate once to the admins when overdue.
    Safe to run by several workers at once: each row changes under a conditional UPDATE."""
    now = now or timezone.now()
    reminded = escalated = 0
    soon = Appeal.objects.filter(
        state=AppealState.OPEN, reminded_at__isnull=True, answer_due_at__lte=now + REMIND_BEFORE
    ).select_related("agent")
    for a in soon:
        with transaction.atomic():
            if Appeal.objects.filter(pk=a.pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
                continue
            reminded += 1
            record(None, "appeals.remind", a)
            notify_all(
                _users_with(UserRole.HR, UserRole.ADMIN) if a.level < 2 else _users_with(UserRole.ADMIN),
                "appeal.due",
                _("Appeal #%(pk)d of %(agent)s is due on %(day)s")
                % {"pk": a.pk, "agent": a.agent.name, "day": a.answer_due.isoformat()},
                url=reverse("appeals:detail", args=[a.pk]),
            )
    overdue = Appeal.objects.filter(
        state=AppealState.OPEN, escalated_at__isnull=True, answer_due_at__lte=now
    ).select_related("agent")
    for a in overdue:
        with transaction.atomic():
            n = Appeal.objects.filter(pk=a.pk, state=AppealState.OPEN, escalated_at__isnull=True).update(
                escalated_at=now, level=2
            )
            if n != 1:
                continue
            escalated += 1
            record(None, "appeals.escalate", a, after={"level": 2})
            notify_all(
                _users_with(UserRole.ADMIN),
                "appeal.escalated",
                _("Appeal #%(pk)d of %(agent)s is overdue (due %(day)s) and comes to you")
                % {"pk": a.pk, "agent": a.agent.name, "day": a.answer_due.isoformat()},
                url=reverse("appeals:detail", args=[a.pk]),
            )
            notify(
                a.filed_by,
                "appeal.escalated",
                _("Your appeal #%(pk)d was not answered in time and went to the next level") % {"pk": a.pk},
                url=reverse("appeals:detail", args=[a.pk]),
            )
    return {"reminded": reminded, "escalated": escalated}


def visible_appeals(user):
    from merit.org.access import filter_to_user

    return filter_to_user(Appeal.objects.select_related("agent"), user, agent="agent")
