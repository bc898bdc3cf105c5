"""Which imports a user may see: HR and admins every import, a supervisor their own uploads, nobody
else any (the scope itself comes from merit.org.access)."""

from __future__ import annotations

from django.db.models import QuerySet

from merit.ingest.models import Import
from merit.org import access


def visible_imports(user) -> QuerySet[Import]:
    scope = access.scope_of(user)
    qs = Import.objects.select_related("created_by", "duplicate_of")
    if scope.is_manager:
        return qs
    if scope.kind == access.TEAM:
        return qs.filter(created_by=user)
    return qs.none()
