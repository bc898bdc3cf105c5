"""Exports in the admin: read only (an export is requested on /reports/ and written by the worker; its
file is downloaded through the reports page, which checks who may)."""

from django.contrib import admin

from merit.reports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "requested_by",
        "kind",
        "params",
        "format",
        "state",
        "progress",
        "rows",
        "created_at",
    ]
    list_filter = ["kind", "state", "format"]
    exclude = ["file"]  # no direct link to the stored file
    raw_id_fields = ["requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
