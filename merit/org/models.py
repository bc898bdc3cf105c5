"""Teams, agents and user roles. Natural keys (team_id, agent_id) are the ids of the data package."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AgentRole(models.TextChoices):
    PRE_SALES = "pre_sales", "售前 pre-sales"
    AFTER_SALES = "after_sales", "售后 after-sales"
    CLOUD = "cloud", "云客服 cloud"


class Employment(models.TextChoices):
    REGULAR = "regular", "正式 regular"
    PROBATION = "probation", "试用 probation"
    PART_TIME = "part_time", "兼职 part-time"


class UserRole(models.TextChoices):
    AGENT = "agent", "客服 agent"
    SUPERVISOR = "supervisor", "主管 supervisor"
    HR = "hr", "人力资源 HR"
    ADMIN = "admin", "管理员 admin"


class Team(models.Model):
    team_id = models.CharField("团队编号 team id", max_length=64, unique=True)
    name = models.CharField("名称 name", max_length=100)
    lead = models.ForeignKey(
        "Agent", verbose_name="组长 lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["team_id"]
        verbose_name = "团队 team"
        verbose_name_plural = "团队 teams"

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id})"


class Shift(models.Model):
    """A working shift (班次), e.g. 早班 08:00–17:00. A shift without a team is shared by every team; one
    that ends before it starts runs past midnight (夜班 22:00–07:00)."""

    name = models.CharField("名称 name", max_length=50)
    team = models.ForeignKey(
        Team,
        verbose_name="团队 team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shifts",
        help_text="留空表示所有团队通用 / empty: shared by every team",
    )
    starts_at = models.TimeField("上班 starts")
    ends_at = models.TimeField("下班 ends")

    class Meta:
        ordering = ["starts_at", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="shift_name_unique_per_team"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(team__isnull=True), name="shift_name_unique_when_shared"
            ),
        ]
        verbose_name = "班次 shift"
        verbose_name_plural = "班次 shifts"

    def __str__(self) -> str:
        return f"{self.name} {self.hours}"

    @property
    def hours(self) -> str:
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.ends_at <= self.starts_at


class Agent(models.Model):
    agent_id = models.CharField("客服编号 agent id", max_length=64, unique=True)
    name = models.CharField("姓名 name", max_length=100)
    team = models.ForeignKey(Team, verbose_name="团队 team", on_delete=models.PROTECT, related_name="agents")
    role = models.CharField("岗位 role", max_length=16, choices=AgentRole.choices)
    employment = models.CharField(
        "用工 employment", max_length=16, choices=Employment.choices, default=Employment.REGULAR
    )
    hired_on = models.DateField("入职 hired on", null=True, blank=True)
    level = models.CharField("级别 level", max_length=32, blank=True)
    shift = models.ForeignKey(
        Shift,
        verbose_name="班次 shift",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agents",
    )
    base_bonus = models.DecimalField(
        "绩效工资 base bonus", max_digits=12, decimal_places=2, null=True, blank=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="agent"
    )
    active = models.BooleanField("在职 active", default=True)

    class Meta:
        ordering = ["agent_id"]
        indexes = [models.Index(fields=["team", "agent_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_bonus__isnull=True) | Q(base_bonus__gte=0),
                name="agent_base_bonus_not_negative",
            ),
        ]
        verbose_name = "客服 agent"
        verbose_name_plural = "客服 agents"

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"


class Membership(models.Model):
    """What a user may see and do: an agent their own records, a supervisor their team, HR and
    admins everything."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField("角色 role", max_length=16, choices=UserRole.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="supervisors"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="supervisor") | Q(team__isnull=False), name="supervisor_has_team"
            ),
        ]
        verbose_name = "角色 role"
        verbose_name_plural = "角色 roles"

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week (工作日历): a weekday off (statutory holiday) or a weekend
    working day (调休). Seeded from ``chinese_calendar`` for the years it knows; admins edit it (a new
    year's arrangement, a company day off). This table is the calendar of SLA clocks and deadlines."""

    date = models.DateField("日期 date", unique=True)
    workday = models.BooleanField("上班 working day", help_text="勾选：周末调休上班；不勾选：工作日放假")
    note = models.CharField("说明 note", max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "工作日历 calendar day"
        verbose_name_plural = "工作日历 calendar days"

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.workday else '放假'}"
