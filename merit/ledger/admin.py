"""Ledger entries in the admin: read only (entries come only from publishing a run; the database refuses
changes anyway)."""

from django.contrib import admin

from merit.ledger.models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "agent", "period", "book", "category", "rule", "amount", "run", "reverses"]
    list_filter = ["book", "category", "period"]
    search_fields = ["agent__agent_id", "agent__name", "rule"]
    list_select_related = ["agent"]
    raw_id_fields = ["agent", "run", "reverses", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
