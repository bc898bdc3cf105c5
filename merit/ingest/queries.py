"""Which imports a user may see: HR and admins every import, a supervisor their own uploads, nobody
else any (the scope itself comes from merit.org.access)."""

from __future__ import annotations

from django.db.models import QuerySet

from merit.ingest.models import Import, ImportState
from merit.org import access


def visible_imports(user) -> QuerySet[Import]:
    scope = access.scope_of(user)
    qs = Import.objects.select_related("created_by", "duplicate_of")
    if scope.is_manager:
        return qs
    if scope.kind == access.TEAM:
        return qs.filter(created_by=user)
    return qs.none()


def months_of(imp: Import) -> set[str]:
    """The months whose fact rows the import changed (or, previewed, would change)."""
    return {m for months in (imp.months or {}).values() for m in months}


def published_runs_touched(months: set[str]) -> list:
    """Published runs whose assessed months include one of ``months``: an import that changes rows of
    those months leaves their results as they are and marks them "facts changed since publication"."""
    from merit.assessment.models import Run, RunState

    if not months:
        return []
    lo, hi = min(months), max(months)
    runs = Run.objects.filter(state=RunState.PUBLISHED, first_period__lte=hi, last_period__gte=lo)
    return [
        r
        for r in runs.select_related("policy_version").order_by("first_period", "pk")
        if any(r.first_period <= m <= r.last_period for m in months)
    ]


def imports_changing(run) -> list[Import]:
    """Imports applied after ``run`` was published that changed fact rows of its months, oldest first."""
    if run.published_at is None:
        return []
    later = Import.objects.filter(state=ImportState.SUCCEEDED, finished_at__gt=run.published_at)
    return [
        imp
        for imp in later.select_related("created_by").order_by("finished_at", "pk")
        if any(run.first_period <= m <= run.last_period for m in months_of(imp))
    ]
