"""A run and its per-agent results.

Life cycle: queued → computing → computed (or failed) → submitted → approved (by another user than
the submitter) → published; submitted/approved → rejected (with a reason) → submitted again. A request
whose inputs turn out to equal an existing run's ends as ``duplicate`` pointing to it (docs/runs.md).
Transitions are conditional UPDATEs (``WHERE state = <expected>``), so of two people acting at once
exactly one wins.
A published run and its results never change (append-only guard); a correction is a new run with
``corrects`` pointing to the published one, whose differences are posted as reversing and new ledger
entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunState(models.TextChoices):
    QUEUED = "queued", "排队中 queued"
    COMPUTING = "computing", "计算中 computing"
    FAILED = "failed", "计算失败 failed"
    COMPUTED = "computed", "已计算 computed"
    SUBMITTED = "submitted", "待审批 submitted"
    APPROVED = "approved", "已审批 approved"
    REJECTED = "rejected", "已驳回 rejected"
    PUBLISHED = "published", "已发布 published"
    DUPLICATE = "duplicate", "与已有批次相同 same as an existing run"


class Run(models.Model):
    first_period = models.CharField("起始月份 from", max_length=7)  # YYYY-MM
    last_period = models.CharField("结束月份 to", max_length=7)
    policy_version = models.ForeignKey(
        "policies.PolicyVersion",
        verbose_name="方案版本 policy",
        on_delete=models.PROTECT,
        related_name="runs",
    )
    input_sha256 = models.CharField("输入指纹 input fingerprint", max_length=64, blank=True)
    state_from = models.ForeignKey(  # the published run whose closing state this run starts from
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(  # the published run this run corrects
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    duplicate_of = models.ForeignKey(  # the equal run found once the inputs were read (state DUPLICATE)
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态 state", max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    progress = models.PositiveSmallIntegerField("进度 progress %", default=0)
    stage = models.CharField("阶段 stage", max_length=200, blank=True)
    error = models.TextField("错误 error", blank=True)
    output_sha256 = models.CharField("结果哈希 output sha256", max_length=64, blank=True)
    results = models.BinaryField("results.json", null=True, blank=True, editable=False)  # canonical bytes
    # Each month of results.json without its agents (checks, benchmarks, metric selections, teams): what
    # the pages show beside one agent's or one team's results without reading the whole document.
    months = models.JSONField("月份摘要 months", null=True, blank=True, editable=False)
    reject_reason = models.TextField("驳回理由 reason", blank=True)
    # Data coverage of each month when computed (merit.facts.coverage.run_coverage) and why the results
    # are only provisional (a month not over, far less data than usual): such a run is published only
    # with an override and its reason. Nullable without defaults: added in place, the append-only
    # triggers of the table stay (docs/runs.md).
    coverage = models.JSONField("数据覆盖 coverage", null=True, blank=True, editable=False)
    provisional = models.JSONField("暂定原因 provisional because", null=True, blank=True, editable=False)
    publish_override = models.TextField(
        "暂定仍发布的理由 published although provisional", null=True, blank=True
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["policy_version", "first_period", "last_period", "input_sha256"], name="run_inputs"
            ),
            models.Index(fields=["state", "last_period"], name="run_state_period"),
        ]
        verbose_name = "考核批次 run"
        verbose_name_plural = "考核批次 runs"

    def __str__(self) -> str:
        span = (
            self.first_period
            if self.first_period == self.last_period
            else f"{self.first_period}..{self.last_period}"
        )
        return f"#{self.pk} {span} {self.policy_version} ({self.state})"


class AgentResult(models.Model):
    """One agent's result of one period of a run (the agent's part of results.json), for pages, the
    API and permissions (an agent sees only their own rows)."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="agent_results")
    period = models.CharField(max_length=7)
    agent = models.ForeignKey(
        "org.Agent", to_field="agent_id", db_column="agent_id", on_delete=models.PROTECT, related_name="+"
    )
    team_id = models.CharField(max_length=64)
    score = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    grade = models.CharField(max_length=16, blank=True)
    bonus = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    doc = models.JSONField()  # the agent's entry of results.json, with every explanation

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "period", "agent"], name="agent_result_unique"),
        ]
        indexes = [models.Index(fields=["agent", "period"], name="agent_result_agent_period")]
        verbose_name = "个人结果 agent result"
        verbose_name_plural = "个人结果 agent results"
