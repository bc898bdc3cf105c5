"""Reading the desk: the queues with their filters (shared by the pages and the API)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from merit.org.access import OWN, scope_of
from merit.tickets.access import visible_cases
from merit.tickets.models import OPEN_STATUSES, Case

BREACH_FILTERS = ("breached", "near", "exempted")


def breached(now: datetime) -> Q:
    """Cases with a breach (marked, or due and not yet swept), exempted ones included."""
    return (
        Q(first_response_breached_at__isnull=False)
        | Q(resolution_breached_at__isnull=False)
        | Q(first_response_at__isnull=True, first_response_due_at__lte=now, status__in=OPEN_STATUSES)
        | Q(resolved_at__isnull=True, resolution_due_at__lte=now, status__in=OPEN_STATUSES)
    )


def near(now: datetime) -> Q:
    """Open cases past their near-breach time whose clock has not run out."""
    first = Q(first_response_at__isnull=True, first_response_warn_at__lte=now, first_response_due_at__gt=now)
    resolution = Q(resolved_at__isnull=True, resolution_warn_at__lte=now, resolution_due_at__gt=now)
    return Q(status__in=OPEN_STATUSES) & (first | resolution)


def exempted() -> Q:
    return ~Q(first_response_exempt_reason="") | ~Q(resolution_exempt_reason="")


def queue(
    user,
    now: datetime,
    *,
    mine: bool = False,
    status: str = "",
    kind: str = "",
    breach: str = "",
    team_id: str = "",
    assignee_id: str = "",
    unassigned: bool = False,
    open_only: bool = False,
) -> QuerySet[Case]:
    qs = visible_cases(user).select_related("team", "assignee")
    if mine:
        scope = scope_of(user)
        qs = qs.filter(assignee_id=scope.agent_pk) if scope.kind == OWN else qs.filter(assignee__user=user)
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if kind:
        qs = qs.filter(kind=kind)
    if team_id:
        qs = qs.filter(team__team_id=team_id)
    if assignee_id:
        qs = qs.filter(assignee__agent_id=assignee_id)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    if breach == "breached":
        qs = qs.filter(breached(now))
    elif breach == "near":
        qs = qs.filter(near(now))
    elif breach == "exempted":
        qs = qs.filter(exempted())
    return qs.order_by("-created_at", "-id")
