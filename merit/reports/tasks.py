"""The background task of a large export (Django's tasks framework, database backend; the worker is
``manage.py db_worker``, started by ``merit serve`` and ``merit demo``)."""

from __future__ import annotations

from django_tasks import task


@task()
def write_export_task(export_id: int) -> str:
    """Write the queued export ``export_id``; returns its final state."""
    from merit.reports.actions import write_export

    return write_export(export_id).state
