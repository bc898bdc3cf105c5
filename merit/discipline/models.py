"""Rewards and penalties as a procedure: proposal → review → approval → notice → effect (docs/discipline.md).

A **proposal** names an agent, an item of the catalogue (a policy's fine, reward, offence or points rule,
or a manual item such as the special contribution bonus), the amount, the facts and the reason, with
evidence attached. HR reviews it; above the amount set in :class:`ProcedureSettings` a manager approves
it too. The proposer never reviews or approves their own proposal, and nobody does two steps.

An approved reward takes effect at once. An approved penalty issues a **notice** (处罚单): the agent
acknowledges it in the app, or the supervisor records a refusal and two witnesses confirm; only then
does it take effect. Taking effect posts the ledger entries (origin ``proposal:<id>`` for a reward,
``notice:<id>`` for a penalty). A flag of a published run that needs a person (dismissal review,
suspension, qualification cancelled, blacklist, probation) becomes a proposal of kind ``decision``:
it posts nothing, and a named person decides it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Masking(models.TextChoices):
    FULL = "full", _("Full name")
    SURNAME = "surname", _("Surname only (李**)")
    AGENT_ID = "id", _("Agent id only")


class ProcedureSettings(models.Model):
    """The procedure's settings: one row (pk 1), edited by admins."""

    manager_amount = models.DecimalField(
        _("Manager approval above (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("200.00"),
        validators=[MinValueValidator(Decimal(0))],
    )
    manager_points = models.DecimalField(
        _("Manager approval above (points)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal(0))],
    )
    appeal_file_days = models.PositiveSmallIntegerField(
        _("Working days to appeal"), default=3, validators=[MinValueValidator(1)]
    )
    appeal_answer_days = models.PositiveSmallIntegerField(
        _("Working days to answer an appeal"), default=5, validators=[MinValueValidator(1)]
    )
    board_masking = models.CharField(
        _("Names on the board"), max_length=8, choices=Masking.choices, default=Masking.SURNAME
    )
    evidence_max_kb = models.PositiveIntegerField(
        _("Largest evidence file (KB)"), default=5120, validators=[MinValueValidator(1)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "奖惩流程设置 procedure settings"

    @classmethod
    def current(cls) -> ProcedureSettings:
        return cls.objects.get_or_create(pk=1)[0]


class Kind(models.TextChoices):
    REWARD = "reward", _("Reward")
    PENALTY = "penalty", _("Penalty")
    DECISION = "decision", _("Decision on a flag")


class State(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting HR review")
    REVIEWED = "reviewed", _("Awaiting manager approval")
    APPROVED = "approved", _("Approved, notice issued")
    EFFECTIVE = "effective", _("In effect")
    DECIDED = "decided", _("Decided")
    REJECTED = "rejected", _("Rejected")


OPEN_STATES = (State.PROPOSED, State.REVIEWED)


class Proposal(models.Model):
    agent = models.ForeignKey(
        "org.Agent",
        to_field="agent_id",
        db_column="agent_id",
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name="客服 agent",
    )
    kind = models.CharField("类型 kind", max_length=8, choices=Kind.choices)
    item = models.CharField("条目 item", max_length=120)  # catalogue id: "S9:attitude_complaint", "manual:…"
    item_label = models.CharField("条目名称 item label", max_length=300)
    rule = models.TextField("依据 rule", blank=True)  # the rule in words (and the rulebook reference)
    book = models.CharField("账本 book", max_length=8, blank=True)  # points / money; empty: nothing posted
    amount = models.DecimalField(
        "金额 amount", max_digits=12, decimal_places=2, default=Decimal("0.00")
    )  # magnitude ≥ 0; the kind gives the sign
    warning_level = models.CharField("警告级别 warning level", max_length=32, blank=True)
    period = models.CharField("月份 period", max_length=7)  # YYYY-MM the entries belong to
    facts = models.TextField("事实 facts")
    reason = models.TextField("理由 reason")
    # a flag of a published run (kind decision, or an engine penalty proposed from a run)
    run = models.ForeignKey(
        "assessment.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flag = models.JSONField("标记 flag", null=True, blank=True)  # the flag of results.json, as published
    state = models.CharField("状态 state", max_length=10, choices=State.choices, default=State.PROPOSED)
    needs_manager = models.BooleanField("需管理层审批 needs a manager", default=False)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    decision = models.TextField("决定 decision", blank=True)  # kind decision: what the person decided
    effective_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "proposed_at"], name="proposal_state"),
            models.Index(fields=["agent", "period"], name="proposal_agent_period"),
            models.Index(fields=["period", "state"], name="proposal_period_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="proposal_amount_not_negative"),
            models.UniqueConstraint(
                fields=["run", "agent", "item", "period"],
                condition=models.Q(run__isnull=False),
                name="proposal_one_per_flag",
            ),
        ]
        verbose_name = "奖惩提议 proposal"
        verbose_name_plural = "奖惩提议 proposals"

    def __str__(self) -> str:
        return f"#{self.pk} {self.agent_id} {self.kind} {self.item} {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == Kind.PENALTY else self.amount

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Evidence(models.Model):
    """A file attached to a proposal (a chat screenshot, a photo, a PDF), checked by its bytes."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "证据 evidence"
        verbose_name_plural = "证据 evidence"


class NoticeState(models.TextChoices):
    ISSUED = "issued", _("Awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the agent")
    REFUSED = "refused", _("Refused, awaiting witnesses")
    WITNESSED = "witnessed", _("In effect on two witnesses")


class Notice(models.Model):
    """A penalty notice (处罚单): issued when a penalty is approved, in effect once acknowledged or
    witnessed."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="notice")
    state = models.CharField(max_length=12, choices=NoticeState.choices, default=NoticeState.ISSUED)
    issued_at = models.DateTimeField()
    issued_on = models.DateField()  # the day of issue in Asia/Shanghai: the appeal window opens on it
    appeal_until = models.DateField()  # last day to appeal (working days, docs/appeals.md)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_note = models.TextField(blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["state"], name="notice_state")]
        verbose_name = "处罚单 penalty notice"
        verbose_name_plural = "处罚单 penalty notices"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"CF{self.issued_on:%Y%m}-{self.pk:05d}"

    @property
    def in_effect(self) -> bool:
        return self.state in (NoticeState.ACKNOWLEDGED, NoticeState.WITNESSED)


class Witness(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="witnesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)
    statement = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="witness_once")]
        verbose_name = "见证人 witness"
        verbose_name_plural = "见证人 witnesses"
