"""The dashboards' periodic job on the task worker: every ``INTERVAL`` seconds it refreshes the KPIs and
the provisional results (merit.dashboards.actions.refresh), then queues its own next run. Two workers
running it at once write the same rows (each month is replaced in one transaction)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

INTERVAL = 900


@task()
def dashboards_refresh_task() -> dict:
    from merit.dashboards.actions import refresh

    try:
        return refresh()
    finally:
        schedule_next(INTERVAL)


def schedule_next(after_s: int = 0) -> None:
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=dashboards_refresh_task.module_path, status="READY").exists():
        return
    dashboards_refresh_task.using(run_after=timezone.now() + timedelta(seconds=after_s)).enqueue()
