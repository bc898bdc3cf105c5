"""What the dashboards read besides runs and ledgers, filled set-based by a periodic job
(merit.dashboards.actions.refresh), so that no page computes over the facts while someone waits.

- ``KpiValue``: one agent's value of one monitored KPI (S10's indicators: first response, conversion,
  satisfaction, refund disputes …) in one month, with its numerator and denominator, computed by the
  engine's metric layer from the facts. Team and shop figures pool the parts (Σ num / Σ den), never
  average the agents' ratios.
- ``ProvisionalResult``: this month so far, assessed with the policy version in force: what an agent's
  dashboard shows as provisional. Never posted, never published; replaced at every refresh.
- ``Refresh``: when each month was last computed, from which facts (their fingerprint), so a month whose
  facts did not change is not written again.
"""

from __future__ import annotations

from django.db import models


class KpiValue(models.Model):
    period = models.CharField(max_length=7)  # YYYY-MM
    agent = models.ForeignKey(
        "org.Agent", to_field="agent_id", db_column="agent_id", on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField(max_length=64)
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    num = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    den = models.DecimalField(max_digits=20, decimal_places=6, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "agent", "metric"], name="kpi_value_unique"),
        ]
        indexes = [models.Index(fields=["period", "metric"], name="kpi_value_period_metric")]
        verbose_name = "指标值 KPI value"
        verbose_name_plural = "指标值 KPI values"


class ProvisionalResult(models.Model):
    period = models.CharField(max_length=7)
    policy_version = models.ForeignKey("policies.PolicyVersion", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        "org.Agent", to_field="agent_id", db_column="agent_id", on_delete=models.CASCADE, related_name="+"
    )
    score = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    grade = models.CharField(max_length=16, blank=True)
    bonus = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    doc = models.JSONField()  # the agent's entry of the provisional results, with every explanation
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "policy_version", "agent"], name="provisional_result_unique"
            ),
        ]
        indexes = [models.Index(fields=["agent", "period"], name="provisional_agent_period")]
        verbose_name = "暂估结果 provisional result"
        verbose_name_plural = "暂估结果 provisional results"


class Refresh(models.Model):
    period = models.CharField(max_length=7, unique=True)
    input_sha256 = models.CharField(max_length=64)  # the facts the KPIs of the month were computed from
    agents = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "看板刷新 dashboard refresh"
        verbose_name_plural = "看板刷新 dashboard refreshes"
