"""Appeals (申诉) on a published item: a penalty notice, a ledger entry, a scorecard line, an SLA breach,
a satisfaction rating's attribution (docs/appeals.md).

The agent files within the policy's window of **working days** after the item was published
(``ProcedureSettings.appeal_file_days``, default 3, on the organisation's calendar); a reviewer answers
within ``appeal_answer_days`` (default 5). The due dates are stored (indexed) when the appeal is filed,
so the sweep (``merit appeals-sweep``) finds the ones to remind and to escalate with one indexed query;
each is reminded once and escalated once (conditional UPDATEs on ``reminded_at`` / ``escalated_at``).
Outcomes: upheld (the decision stands), partly upheld (the amount is corrected: a reversal and a new
entry) or overturned (a reversal), the entries carrying origin ``appeal:<id>``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    NOTICE = "notice", _("Penalty notice")
    ENTRY = "entry", _("Ledger entry (points or money)")
    LINE = "line", _("Scorecard line")
    BREACH = "breach", _("SLA breach")
    RATING = "rating", _("Satisfaction rating attribution")


class AppealState(models.TextChoices):
    OPEN = "open", _("Awaiting an answer")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Decision upheld")
    PARTLY = "partly", _("Partly upheld, amount corrected")
    OVERTURNED = "overturned", _("Decision overturned")


class Appeal(models.Model):
    agent = models.ForeignKey(
        "org.Agent",
        to_field="agent_id",
        db_column="agent_id",
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name="客服 agent",
    )
    target = models.CharField("对象 target", max_length=8, choices=Target.choices)
    target_ref = models.CharField("对象编号 reference", max_length=100)  # "notice:5", "entry:12", …
    target_label = models.CharField("对象 item", max_length=300)
    period = models.CharField("月份 period", max_length=7)
    published_on = models.DateField("公布日期 published on")  # the day the window opened (Asia/Shanghai)
    file_until = models.DateField("申诉截止 filing closes")
    reason = models.TextField("理由 reason")
    evidence = models.FileField(upload_to="appeals/%Y/%m/", blank=True)
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_type = models.CharField(max_length=50, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    answer_due = models.DateField("答复期限 answer by")
    answer_due_at = models.DateTimeField(db_index=True)  # end of answer_due in Asia/Shanghai, in UTC
    # who answers: 1 HR (or an admin), 2 after escalation an admin (the next level)
    level = models.PositiveSmallIntegerField("审理级别 level", default=1)
    state = models.CharField(
        "状态 state", max_length=10, choices=AppealState.choices, default=AppealState.OPEN
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField("结果 outcome", max_length=10, choices=Outcome.choices, blank=True)
    answer = models.TextField("答复 answer", blank=True)
    original_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    corrected_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "answer_due_at"], name="appeal_due"),
            models.Index(fields=["agent", "filed_at"], name="appeal_agent"),
            models.Index(fields=["target_ref"], name="appeal_target"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["target_ref"], condition=models.Q(state="open"), name="appeal_one_open_per_item"
            ),
        ]
        verbose_name = "申诉 appeal"
        verbose_name_plural = "申诉 appeals"

    def __str__(self) -> str:
        return f"#{self.pk} {self.agent_id} {self.target_ref} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state == AppealState.OPEN
