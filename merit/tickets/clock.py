"""The SLA clock of a case: its team's business hours on the working-day calendar, its targets, and its
due and near-breach times (computed with ``merit.engine.sla``).

Targets (business minutes), most specific first: a ``SlaTarget`` row for the team and kind, for the
team, for the kind, for every team; without any row the defaults below (the rows seeded at install
are the same numbers, so admins can see and edit them):

* urgent 紧急: first response 30 min (S8: first response within 30 minutes), resolution 2 h (S10);
* high 高: 1 h / 24 h (S10 level 1);
* normal 普通: 3 h / 48 h (S10 level 2).

The first-response clock runs from opening; the resolution clock too, but stops while the case waits
on the customer (its pauses). While a pause is open the resolution due time is unknown (None).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from merit.engine.calendar import WorkCalendar
from merit.engine.sla import Schedule, business_time_between, due_at
from merit.org.calendar import work_calendar
from merit.tickets.models import DEFAULT_HOURS, Case, DeskTeam, SlaTarget

DEFAULT_TARGETS = {  # priority: (first response, resolution) in business minutes
    "urgent": (30, 120),
    "high": (60, 24 * 60),
    "normal": (180, 48 * 60),
}
DEFAULT_WARN_PERCENT = 80


def parse_hours(text: str, calendar: WorkCalendar) -> Schedule:
    """``09:00-12:00,13:30-18:00`` → a Schedule (ValueError naming the bad window)."""
    windows = [part.strip() for part in (text or "").split(",") if part.strip()]
    return Schedule.of(*windows, calendar=calendar)


def schedule_for(team, calendar: WorkCalendar | None = None) -> Schedule:
    hours = DeskTeam.objects.filter(team=team).values_list("hours", flat=True).first() or DEFAULT_HOURS
    return parse_hours(hours, calendar if calendar is not None else work_calendar())


def targets_for(team, kind: str, priority: str) -> tuple[int, int, int]:
    """(first response, resolution, warn percent) for a new case."""
    rows = SlaTarget.objects.filter(priority=priority).filter(Q(team=team) | Q(team__isnull=True))
    rows = rows.filter(Q(kind=kind) | Q(kind=""))
    best = None
    for row in rows:
        rank = (row.team_id is not None, row.kind != "")
        if best is None or rank > best[0]:
            best = (rank, row)
    if best is not None:
        row = best[1]
        return row.first_response_minutes, row.resolution_minutes, row.warn_percent
    first, resolution = DEFAULT_TARGETS[priority]
    return first, resolution, DEFAULT_WARN_PERCENT


def pauses_of(case: Case) -> list[tuple[datetime, datetime | None]]:
    return list(case.pauses.values_list("started_at", "ended_at"))


def set_due_times(case: Case, schedule: Schedule, pauses=()) -> None:
    """Fill the case's due and near-breach times from its targets (not saved)."""
    fr = timedelta(minutes=case.first_response_minutes)
    res = timedelta(minutes=case.resolution_minutes)
    share = case.warn_percent / 100
    case.first_response_due_at = due_at(case.created_at, fr, schedule)
    case.first_response_warn_at = due_at(case.created_at, fr * share, schedule)
    case.resolution_due_at = due_at(case.created_at, res, schedule, pauses)
    case.resolution_warn_at = due_at(case.created_at, res * share, schedule, pauses)


def paused_seconds(start: datetime, end: datetime, schedule: Schedule) -> int:
    return int(business_time_between(start, end, schedule).total_seconds())


# ---- what the pages and the API show ------------------------------------------------------------------

BREACHED, NEAR, OK, PAUSED, MET, EXEMPTED = "breached", "near", "ok", "paused", "met", "exempted"


def clock_state(done_at, due, warn, breached_at, exempt_reason: str, now: datetime, paused=False) -> str:
    """One clock's state: met, breached (or exempted), near breach, running or paused."""
    if breached_at is not None or (done_at is not None and due is not None and done_at > due):
        return EXEMPTED if exempt_reason else BREACHED
    if done_at is not None:
        return MET
    if due is not None and now >= due:
        return EXEMPTED if exempt_reason else BREACHED
    if paused:
        return PAUSED
    if warn is not None and now >= warn:
        return NEAR
    return OK


def first_response_state(case: Case, now: datetime) -> str:
    return clock_state(
        case.first_response_at,
        case.first_response_due_at,
        case.first_response_warn_at,
        case.first_response_breached_at,
        case.first_response_exempt_reason,
        now,
    )


def resolution_state(case: Case, now: datetime) -> str:
    return clock_state(
        case.resolved_at,
        case.resolution_due_at,
        case.resolution_warn_at,
        case.resolution_breached_at,
        case.resolution_exempt_reason,
        now,
        paused=case.paused_since is not None,
    )
