"""Imports in the admin: read only (an import is changed by its task, never by hand; the pages under
/imports/ show the report)."""

from django.contrib import admin

from merit.ingest.models import Import


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source_name",
        "state",
        "progress",
        "problem_count",
        "profile",
        "created_by",
        "created_at",
    ]
    list_filter = ["state", "profile"]
    search_fields = ["source_name", "file_sha256"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
