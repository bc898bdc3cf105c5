"""The SLA clock: business time on a team's schedule and the Chinese working calendar.

A ``Schedule`` is a team's business hours: one or more windows per working day in local wall time
(Asia/Shanghai by default), e.g. 09:00–12:00 and 13:30–18:00 with a lunch break, and a ``WorkCalendar``
saying which days are working days (statutory holidays are days off, make-up working days 调休 count).

The clock runs only inside windows of working days and stops during pauses (e.g. while waiting on the
customer). ``due_at(start, target)`` is the earliest moment at which ``target`` business time has run
since ``start``; ``business_time_between(a, b)`` is the business time run between two moments, so that
``business_time_between(start, due_at(start, target)) == target``. A case opened before the first window
of a day starts counting at that window; one opened after the last window, at the first window of the
next working day.

A pause is an interval ``(from, to)`` of aware datetimes; ``to=None`` means the pause is still open: the
clock is stopped from ``from`` on, and a due time not reached before it is unknown (``None``).

Both functions walk the schedule window by window and day by day (never minute by minute); all datetimes
must be timezone-aware and due times are returned in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from merit.engine.calendar import WorkCalendar, china

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Schedule:
    """Business hours: ``windows`` (start, end) in local wall time on every working day of ``calendar``."""

    windows: tuple[tuple[time, time], ...]
    calendar: WorkCalendar = field(default_factory=china)
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        windows = tuple((start, end) for start, end in self.windows)
        if not windows:
            raise ValueError("a schedule needs at least one business-hours window")
        previous_end = None
        for start, end in windows:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"window {start}–{end}: give wall-clock times without a zone")
            if not start < end:
                raise ValueError(f"window {start}–{end}: the start must be before the end")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"window {start}–{end}: windows must be in order and must not overlap")
            previous_end = end
        object.__setattr__(self, "windows", windows)

    @classmethod
    def of(cls, *windows: str, calendar: WorkCalendar | None = None, tz: ZoneInfo = SHANGHAI) -> Schedule:
        """``Schedule.of("09:00-12:00", "13:30-18:00")``: windows as ``HH:MM-HH:MM`` text."""
        parsed = []
        for text in windows:
            try:
                start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
            except ValueError:
                raise ValueError(f"window {text!r}: expected HH:MM-HH:MM, e.g. 09:00-18:00") from None
            parsed.append((start, end))
        return cls(tuple(parsed), calendar if calendar is not None else china(), tz)

    def windows_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The business-hours windows of ``day`` in UTC (none on a day off)."""
        if not self.calendar.is_workday(day):
            return
        for start, end in self.windows:
            yield (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )


def due_at(
    start: datetime, target: timedelta, schedule: Schedule, pauses: Iterable[Pause] = ()
) -> datetime | None:
    """The earliest moment (UTC) at which ``target`` business time has run since ``start``, or None when
    the clock is stopped by an open pause before then."""
    start = _utc(start, "start")
    if target < ZERO:
        raise ValueError(f"target {target}: must not be negative")
    if target == ZERO:
        return start
    remaining = target
    for begin, end in _running(start, schedule, _merged(pauses)):
        length = end - begin
        if remaining <= length:
            return begin + remaining
        remaining -= length
    return None


def business_time_between(
    a: datetime, b: datetime, schedule: Schedule, pauses: Iterable[Pause] = ()
) -> timedelta:
    """Business time run from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    a, b = _utc(a, "a"), _utc(b, "b")
    if b < a:
        return -business_time_between(b, a, schedule, pauses)
    total = ZERO
    for begin, end in _running(a, schedule, _merged(pauses)):
        if begin >= b:
            break
        total += min(end, b) - begin
    return total


def _running(
    start: datetime, schedule: Schedule, pauses: Sequence[Pause]
) -> Iterator[tuple[datetime, datetime]]:
    """The intervals (UTC, in order) from ``start`` on during which the clock runs: windows of working days
    minus pauses. Endless, unless an open pause stops the clock for good."""
    day = start.astimezone(schedule.tz).date()
    first = 0  # pauses before this index ended before the current position
    while True:
        for window_start, window_end in schedule.windows_on(day):
            if window_end <= start:
                continue
            position = max(window_start, start)
            while first < len(pauses) and pauses[first][1] is not None and pauses[first][1] <= position:
                first += 1
            index = first
            while position < window_end:
                if index < len(pauses) and pauses[index][0] < window_end:
                    pause_from, pause_to = pauses[index]
                    if pause_from > position:
                        yield position, pause_from
                    if pause_to is None:
                        return
                    position = max(position, pause_to)
                    index += 1
                else:
                    yield position, window_end
                    break
        day += ONE_DAY


def _merged(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses in UTC, sorted, overlapping ones joined; an open pause swallows every later one."""
    intervals = []
    for number, (pause_from, pause_to) in enumerate(pauses, start=1):
        begin = _utc(pause_from, f"pause {number} start")
        end = None if pause_to is None else _utc(pause_to, f"pause {number} end")
        if end is not None and end < begin:
            raise ValueError(f"pause {number}: ends ({pause_to}) before it starts ({pause_from})")
        if end != begin:
            intervals.append((begin, end))
    intervals.sort(key=lambda interval: interval[0])
    merged: list[Pause] = []
    for begin, end in intervals:
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None:
                break
            if begin <= last_end:
                merged[-1] = (last_begin, None if end is None else max(last_end, end))
                continue
        merged.append((begin, end))
    return merged


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} {moment}: must be timezone-aware")
    return moment.astimezone(UTC)
