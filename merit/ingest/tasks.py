"""The background task of an import (Django's tasks framework, database backend; the worker is
``manage.py db_worker``, started by ``merit serve`` and ``merit demo``)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import_task(import_id: int) -> str:
    """Run the queued import ``import_id``; returns its final state."""
    from merit.ingest.actions import run_import

    return run_import(import_id).state
