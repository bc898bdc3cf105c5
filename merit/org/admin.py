"""Admin pages for people (人员管理): teams, shifts, agents and the roles of users.

Labels are Chinese first (the model verbose names carry the English after them). A user's role is edited on
the user's own page (the 角色 inline) as well as in the role list.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count

from merit.org.models import Agent, CalendarDay, Membership, Shift, Team


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0
    fields = ["name", "starts_at", "ends_at"]


class SupervisorInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role"]
    raw_id_fields = ["user"]
    verbose_name = "主管 supervisor"
    verbose_name_plural = "主管 supervisors"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["team_id", "name", "lead", "agent_count"]
    search_fields = ["team_id", "name"]
    raw_id_fields = ["lead"]
    list_select_related = ["lead"]
    inlines = [ShiftInline, SupervisorInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("agents"))

    @admin.display(description="客服人数 agents", ordering="agent_count")
    def agent_count(self, team):
        return team.agent_count


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "starts_at", "ends_at", "overnight", "agent_count"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "team__name", "team__team_id"]
    list_select_related = ["team"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("agents"))

    @admin.display(description="跨夜 overnight", boolean=True)
    def overnight(self, shift):
        return shift.overnight

    @admin.display(description="客服人数 agents", ordering="agent_count")
    def agent_count(self, shift):
        return shift.agent_count


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["agent_id", "name", "team", "role", "employment", "level", "shift", "user", "active"]
    list_filter = [
        "active",
        "team",
        "role",
        "employment",
        "level",
        ("shift", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["agent_id", "name", "user__username"]
    list_select_related = ["team", "shift", "user"]
    raw_id_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["agent_id", "name", "team", "role", "active"]}),
        ("用工与班次 employment and shift", {"fields": ["employment", "hired_on", "level", "shift"]}),
        ("绩效工资 pay", {"fields": ["base_bonus"]}),
        ("登录账号 sign-in account", {"fields": ["user"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shift":
            kwargs["queryset"] = Shift.objects.select_related("team")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "team", "user_active"]
    list_filter = ["role", "team", "user__is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "team"]
    raw_id_fields = ["user"]

    @admin.display(description="账号有效 active", boolean=True, ordering="user__is_active")
    def user_active(self, membership):
        return membership.user.is_active


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    max_num = 1
    fields = ["role", "team"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserWithRoleAdmin(UserAdmin):
    """Django's user page plus the user's role (角色). Unticking 有效 (active) signs the user out everywhere."""

    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = ["username", "first_name", "last_name", "role", "is_active", "is_staff"]
    list_filter = ["membership__role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["membership"]

    @admin.display(description="角色 role", ordering="membership__role")
    def role(self, user):
        membership = getattr(user, "membership", None)
        return membership.get_role_display() if membership else "—"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The working-day calendar (工作日历) of SLA clocks and deadlines: weekdays off and make-up days."""

    list_display = ("date", "workday", "note")
    list_filter = ("workday",)
    date_hierarchy = "date"
