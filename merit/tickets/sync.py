"""Cases as facts: the desk writes the very rows the assessment reads (no export step).

* A case with an agent becomes a row of ``facts_tickets`` (ticket_id = the case id ``D…``), written by
  every action that changes it: times, reopen count, transfers, priority, SLA breaches and exemptions,
  business seconds paused. Its agent is the one who resolved it, else the one holding it.
* A survey answer becomes a row of ``facts_ratings`` (``S`` + case id, source ``survey``) for the agent
  the answer is attributed to.
* A transfer a supervisor confirms as shirking becomes an ``incidents`` row of kind ``shirking`` (S1);
  a partner-merchant case reopened after close, one of kind ``partner.untracked`` (S7).
"""

from __future__ import annotations

from decimal import Decimal

from merit.facts.models import Incident, Rating, Ticket
from merit.tickets.models import Case, CaseTransfer, Survey


def ticket_row(case: Case) -> dict:
    return {
        "agent_id": case.resolved_by.agent_id if case.resolved_by_id else case.assignee.agent_id,
        "kind": case.kind,
        "channel": case.channel,
        "created_at": case.created_at,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "reopened": case.reopen_count > 0,
        "transfers": case.transfer_count,
        "priority": case.priority,
        "first_response_breached": case.first_response_breached_at is not None,
        "resolution_breached": case.resolution_breached_at is not None,
        "first_response_exempted": bool(case.first_response_exempt_reason),
        "resolution_exempted": bool(case.resolution_exempt_reason),
        "paused_s": case.paused_s,
        "reopen_count": case.reopen_count,
    }


def sync_ticket(case: Case) -> None:
    if case.assignee_id is None and case.resolved_by_id is None:
        return
    Ticket.objects.update_or_create(ticket_id=case.ticket_id, defaults=ticket_row(case))


def sync_rating(survey: Survey) -> None:
    Rating.objects.update_or_create(
        rating_id=f"S{survey.case.ticket_id}",
        defaults={
            "agent_id": survey.agent.agent_id,
            "at": survey.answered_at,
            "score": Decimal(survey.score),
            "source": "survey",
        },
    )


def add_incident(incident_id: str, agent, at, kind: str, note: str) -> None:
    Incident.objects.update_or_create(
        incident_id=incident_id,
        defaults={"agent_id": agent.agent_id, "at": at, "kind": kind, "note": note[:500]},
    )


def shirking_incident(transfer: CaseTransfer, reason: str = "") -> None:
    why = f" · 认定理由 {reason}" if reason else ""
    add_incident(
        f"X{transfer.pk:08d}",
        transfer.from_agent,
        transfer.at,
        "shirking",
        f"{transfer.case.ticket_id}: {transfer.get_reason_display()} {transfer.note}".strip() + why,
    )
