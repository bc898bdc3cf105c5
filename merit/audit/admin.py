"""The audit trail in the admin site: read only (rows are written by merit.audit.log.record alone)."""

from django.contrib import admin

from merit.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_name", "action", "target_type", "target_id"]
    list_filter = ["target_type"]
    search_fields = ["action", "actor_name", "target_id"]
    ordering = ["-seq"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
