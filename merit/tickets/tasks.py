"""The desk's periodic job on the task worker: every ``INTERVAL`` seconds it assigns waiting cases and marks
breaches (merit.tickets.actions.sweep), then queues its own next run. ``merit serve`` queues the first one
when none is waiting; several workers may run it at once (the breach marking is a conditional UPDATE)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

INTERVAL = 60


@task()
def sla_sweep_task() -> dict:
    from merit.tickets.actions import sweep

    try:
        return sweep()
    finally:
        schedule_next(INTERVAL)


def schedule_next(after_s: int = 0) -> None:
    """Queue the next sweep unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=sla_sweep_task.module_path, status="READY").exists():
        return
    sla_sweep_task.using(run_after=timezone.now() + timedelta(seconds=after_s)).enqueue()
