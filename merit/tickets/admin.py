"""Desk settings in the admin: business hours and assignment per team, SLA targets, skills, absences.
Cases are worked on the desk's pages (every change an audited action), so the admin only lists them."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from merit.org.calendar import work_calendar
from merit.tickets.clock import parse_hours
from merit.tickets.models import Absence, AgentSkill, Case, DeskTeam, SlaTarget


@admin.register(DeskTeam)
class DeskTeamAdmin(admin.ModelAdmin):
    list_display = ("team", "hours", "strategy", "agents_see_team")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        def clean_hours(self):
            hours = self.cleaned_data["hours"]
            try:
                parse_hours(hours, work_calendar())
            except ValueError as e:
                raise ValidationError(str(e)) from None
            return hours

        form.clean_hours = clean_hours
        return form


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "kind",
        "team",
        "first_response_minutes",
        "resolution_minutes",
        "warn_percent",
        "source",
    )
    list_filter = ("priority", "team")


@admin.register(AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ("agent", "kinds", "channels", "languages")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("agent", "kind", "starts_on", "ends_on", "note")
    list_filter = ("kind",)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("ticket_id", "subject", "team", "kind", "priority", "status", "assignee", "created_at")
    list_filter = ("status", "kind", "priority", "team")
    search_fields = ("ticket_id", "subject", "order_ref")
    exclude = ("customer_contact",)  # shown masked on the case page; revealing it is audited there

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
