"""The after-sales ticket desk (售后工单): cases, their messages, pauses and transfers, SLA targets, the
desk settings of a team, agents' skills and absences, and satisfaction surveys.

Due times are stored in indexed columns (partial indexes over the cases the breach sweep can still
mark), and targets are copied onto the case when it is opened: editing an SLA target changes the cases
opened afterwards, never the clocks already running. Every write goes through ``merit.tickets.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from merit.engine import tables as T
from merit.org.models import Agent, Team

DEFAULT_HOURS = "09:00-12:00,13:30-18:00"


class Kind(models.TextChoices):
    REFUND = "refund", "退款 refund"
    RETURN = "return", "退货 return"
    EXCHANGE = "exchange", "换货 exchange"
    REPAIR = "repair", "维修 repair"
    COMPLAINT = "complaint", "投诉 complaint"
    INVOICE = "invoice", "发票 invoice"
    LOGISTICS = "logistics", "物流 logistics"
    INQUIRY = "inquiry", "咨询 inquiry"
    OTHER = "other", "其他 other"


class Channel(models.TextChoices):
    CHAT = "chat", "在线 chat"
    PHONE = "phone", "电话 phone"
    EMAIL = "email", "邮件 email"
    APP = "app", "App"
    WECHAT = "wechat", "微信 WeChat"


class Priority(models.TextChoices):
    URGENT = "urgent", "紧急 urgent"
    HIGH = "high", "高 high"
    NORMAL = "normal", "普通 normal"


class Status(models.TextChoices):
    NEW = "new", "新建 new"
    OPEN = "open", "处理中 open"
    PENDING = "pending_customer", "等待客户 pending customer"
    RESOLVED = "resolved", "已解决 resolved"
    CLOSED = "closed", "已关闭 closed"


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


class Strategy(models.TextChoices):
    LEAST_OPEN = "least_open", "最少未结 least open cases"
    ROUND_ROBIN = "round_robin", "轮流 round robin"
    SKILL = "skill", "按技能 by skill"
    MANUAL = "manual", "手动 manual only"


class TransferReason(models.TextChoices):
    SKILL = "skill", "需要其他技能 needs another skill"
    LEAVE = "leave", "请假/停用 leave or suspension"
    ESCALATION = "escalation", "升级处理 escalation"
    WORKLOAD = "workload", "工作量平衡 workload balance"
    CUSTOMER = "customer_request", "客户要求 customer request"
    OTHER = "other", "其他 other"


# Reasons for which a transfer does not move the responsibility for the customer's rating (docs/desk.md).
APPROVED_TRANSFER_REASONS = (TransferReason.SKILL, TransferReason.LEAVE, TransferReason.ESCALATION)

assert tuple(Kind.values) == T.TICKET_KINDS and tuple(Channel.values) == T.CHANNELS
assert tuple(Priority.values) == T.PRIORITIES


class DeskTeam(models.Model):
    """A team's desk settings: business hours for the SLA clock, how new cases are assigned, and whether
    agents see their teammates' cases (the team queue)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="desk", verbose_name="团队 team")
    hours = models.CharField(
        "服务时间 business hours",
        max_length=200,
        default=DEFAULT_HOURS,
        help_text="工作日的服务时段，逗号分隔，如 09:00-12:00,13:30-18:00 (windows on working days)",
    )
    strategy = models.CharField(
        "分配方式 assignment", max_length=16, choices=Strategy.choices, default=Strategy.LEAST_OPEN
    )
    agents_see_team = models.BooleanField("客服可见团队工单 agents see the team queue", default=True)
    last_assigned = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = "团队工单设置 desk settings"
        verbose_name_plural = "团队工单设置 desk settings"

    def __str__(self) -> str:
        return f"{self.team} · {self.hours}"


class SlaTarget(models.Model):
    """First-response and resolution targets in business minutes for a priority, optionally only for one
    kind and/or one team. The most specific row wins: team+kind, team, kind, then the defaults."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型 kind", max_length=16, choices=Kind.choices, blank=True)
    priority = models.CharField("优先级 priority", max_length=16, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField("首次响应时限(分钟) first response (min)")
    resolution_minutes = models.PositiveIntegerField("解决时限(分钟) resolution (min)")
    warn_percent = models.PositiveSmallIntegerField(
        "预警比例 near-breach at %",
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    source = models.CharField("依据 source", max_length=200, blank=True)

    class Meta:
        ordering = ["team__team_id", "kind", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["team", "kind", "priority"], name="sla_target_unique"),
            models.UniqueConstraint(
                fields=["kind", "priority"], condition=Q(team__isnull=True), name="sla_target_unique_shared"
            ),
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="sla_warn_percent_range"
            ),
        ]
        verbose_name = "时效标准 SLA target"
        verbose_name_plural = "时效标准 SLA targets"

    def __str__(self) -> str:
        return (
            f"{self.priority} {self.kind or '*'}: {self.first_response_minutes}/{self.resolution_minutes} min"
        )


class AgentSkill(models.Model):
    """What an agent handles when a team assigns by skill; an empty list means any."""

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="skill")
    kinds = models.JSONField("工单类型 kinds", default=list, blank=True)
    channels = models.JSONField("渠道 channels", default=list, blank=True)
    languages = models.JSONField("语言 languages", default=list, blank=True)

    class Meta:
        verbose_name = "客服技能 agent skill"
        verbose_name_plural = "客服技能 agent skills"

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.kinds} {self.channels} {self.languages}"


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", "请假 leave"
    SUSPENSION = "suspension", "停止服务 suspension"


class Absence(models.Model):
    """Days an agent takes no cases (请假, 停止服务): assignment skips them; recording one moves their open
    cases to teammates."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField("类型 kind", max_length=16, choices=AbsenceKind.choices)
    starts_on = models.DateField("开始 from")
    ends_on = models.DateField("结束 to")
    note = models.CharField("说明 note", max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["agent", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_dates_order"
            )
        ]
        verbose_name = "请假/停用 absence"
        verbose_name_plural = "请假/停用 absences"


class Case(models.Model):
    """One customer's after-sales case (工单). ``ticket_id`` is its id in the facts (``D`` + 8 digits)."""

    ticket_id = models.CharField("工单号 case id", max_length=16, unique=True, null=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField("类型 kind", max_length=16, choices=Kind.choices)
    channel = models.CharField("渠道 channel", max_length=16, choices=Channel.choices)
    priority = models.CharField("优先级 priority", max_length=16, choices=Priority.choices)
    subject = models.CharField("标题 subject", max_length=200)
    order_ref = models.CharField("订单号 order", max_length=64, blank=True)
    order_amount = models.DecimalField(
        "订单金额 amount", max_digits=12, decimal_places=2, null=True, blank=True
    )
    customer_name = models.CharField("客户 customer", max_length=100, blank=True)
    customer_contact = models.CharField("联系方式 contact", max_length=200, blank=True)
    language = models.CharField("语言 language", max_length=16, default="zh")
    partner_merchant = models.CharField(
        "合作商家 partner merchant",
        max_length=100,
        blank=True,
        help_text="由合作商家处理的售后，须跟进到底 (S7)",
    )
    status = models.CharField("状态 status", max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="处理人"
    )
    resolved_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建 created")
    updated_at = models.DateTimeField("更新 updated")
    first_response_at = models.DateTimeField("首次响应 first response", null=True, blank=True)
    resolved_at = models.DateTimeField("解决 resolved", null=True, blank=True)
    closed_at = models.DateTimeField("关闭 closed", null=True, blank=True)
    # SLA: targets copied at opening; due and near-breach times (None while the clock is paused).
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warn_percent = models.PositiveSmallIntegerField(default=80)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    first_response_exempt_reason = models.CharField(max_length=500, blank=True)
    resolution_exempt_reason = models.CharField(max_length=500, blank=True)
    exempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_s = models.PositiveIntegerField(default=0)  # business seconds of the pauses that ended
    reopen_count = models.PositiveIntegerField(default=0)
    transfer_count = models.PositiveIntegerField(default=0)
    survey_nonce = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The breach sweep reads only what it can still mark (healthchecks' alert_after).
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_breached_at__isnull=True, first_response_at__isnull=True),
                name="case_fr_due_open",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(resolution_breached_at__isnull=True, resolved_at__isnull=True),
                name="case_res_due_open",
            ),
            models.Index(fields=["team", "status", "created_at"], name="case_team_status"),
            models.Index(fields=["assignee", "status", "created_at"], name="case_assignee_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(order_amount__isnull=True) | Q(order_amount__gte=0),
                name="case_amount_not_negative",
            ),
        ]
        verbose_name = "工单 case"
        verbose_name_plural = "工单 cases"

    def __str__(self) -> str:
        return f"{self.ticket_id or '—'} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    REPLY = "reply", "回复客户 reply"
    NOTE = "note", "内部备注 internal note"
    CUSTOMER = "customer", "客户消息 customer message"
    EVENT = "event", "记录 event"


class CaseMessage(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]


class CasePause(models.Model):
    """A stretch of time the clock stood still while waiting on the customer (等待客户)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["started_at", "id"]


class CaseTransfer(models.Model):
    """A change of assignee with who did it and why. ``self_initiated``: the holder handed it on
    themselves; a supervisor may confirm such a transfer as shirking (推卸责任, S1)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=TransferReason.choices)
    note = models.CharField(max_length=500, blank=True)
    self_initiated = models.BooleanField(default=False)
    shirking_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class Survey(models.Model):
    """The customer's one answer to the satisfaction survey sent on close, and whom it counts for."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(max_length=1000, blank=True)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    attribution = models.CharField(max_length=300)
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score_range")
        ]
