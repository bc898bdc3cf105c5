"""The background task of a run (Django's tasks framework, database backend; the worker is
``manage.py db_worker``, started by ``merit serve`` and ``merit demo``)."""

from __future__ import annotations

from django_tasks import task


@task()
def compute_run_task(run_id: int) -> str:
    """Compute the queued run ``run_id``; returns its final state."""
    from merit.assessment.actions import compute_run

    return compute_run(run_id).state
