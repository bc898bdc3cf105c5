"""The audit trail: one row per write, hash-chained, append-only (docs/audit.md).

Rows are written only by :func:`merit.audit.log.record`; the database refuses UPDATE and DELETE on
them (``merit.audit.guards.AppendOnly`` in the migration), and ``merit verify-audit`` recomputes the
chain to detect a row changed or removed behind the application's back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

GENESIS = "0" * 64  # the prev_hash of the first row


class AuditEntry(models.Model):
    seq = models.BigAutoField("序号 seq", primary_key=True)  # 1, 2, 3, … without gaps
    at = models.DateTimeField("时间 at")  # UTC
    # The user who acted, or empty for the system (background work without a user). No database
    # constraint and nothing done on the user's deletion: an audit row never changes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人 actor",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField("操作人 actor name", max_length=150, blank=True)  # as it was then
    action = models.CharField("操作 action", max_length=100)  # e.g. "org.agent.update"
    target_type = models.CharField("对象类型 target type", max_length=100, blank=True)  # "app_label.model"
    target_id = models.CharField("对象 target id", max_length=100, blank=True)
    before = models.JSONField("之前 before", null=True, blank=True)
    after = models.JSONField("之后 after", null=True, blank=True)
    detail = models.JSONField("详情 detail", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["action"], name="audit_action"),
        ]
        verbose_name = "审计记录 audit entry"
        verbose_name_plural = "审计记录 audit entries"

    def __str__(self) -> str:
        target = f" {self.target_type}:{self.target_id}" if self.target_type else ""
        return f"#{self.seq} {self.action}{target} · {self.actor_name or 'system'}"
