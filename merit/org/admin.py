from django.contrib import admin

from merit.org.models import Agent, Membership, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["team_id", "name", "lead"]
    search_fields = ["team_id", "name"]
    raw_id_fields = ["lead"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["agent_id", "name", "team", "role", "employment", "level", "active"]
    list_filter = ["team", "role", "employment", "active"]
    search_fields = ["agent_id", "name"]
    list_select_related = ["team"]
    raw_id_fields = ["user"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "team"]
    list_filter = ["role", "team"]
    raw_id_fields = ["user"]
