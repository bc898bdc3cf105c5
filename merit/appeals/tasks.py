"""The appeals' periodic job on the task worker: every ``INTERVAL`` seconds it reminds and escalates
(merit.appeals.actions.sweep), then queues its own next run. Several workers may run it at once: each
reminder and escalation is a conditional UPDATE, so none is sent twice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

INTERVAL = 600


@task()
def appeals_sweep_task() -> dict:
    from merit.appeals.actions import sweep

    try:
        return sweep()
    finally:
        schedule_next(INTERVAL)


def schedule_next(after_s: int = 0) -> None:
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=appeals_sweep_task.module_path, status="READY").exists():
        return
    appeals_sweep_task.using(run_after=timezone.now() + timedelta(seconds=after_s)).enqueue()
