"""API tokens in the admin site: adding one shows the plain token once; tokens are revoked, not edited."""

from django.contrib import admin, messages
from django.db import transaction

from merit.api.auth import issue_token
from merit.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["name", "user__username", "prefix"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return (
            ["user", "name"]
            if obj is None
            else ["user", "name", "prefix", "created_at", "last_used_at", "revoked"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        row, plain = issue_token(obj.user, obj.name)
        obj.pk = row.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            f"令牌只显示这一次，请立即复制 The token is shown this once, copy it now: {plain}",
        )

    @admin.action(description="吊销所选令牌 Revoke the selected tokens")
    def revoke(self, request, queryset):
        with transaction.atomic():
            count = 0
            for token in queryset.filter(revoked=False).select_for_update():
                token.revoked = True
                token.save(update_fields=["revoked"])  # one by one: each revocation is audited
                count += 1
        self.message_user(request, f"已吊销 {count} 个令牌 {count} token(s) revoked", messages.SUCCESS)
