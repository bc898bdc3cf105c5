"""An export written in the background: who asked for what, how far the worker is, and the file.

Life cycle: queued → running → done (the file is stored under MEDIA_ROOT/exports/) or failed (with the
error). Transitions are conditional UPDATEs (``WHERE state = <expected>``): two workers never write the
same export. Small exports are not stored at all: they are streamed to the browser (docs/reports.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SCORECARDS = "scorecards", _("Scorecards of a run")
    PAYROLL = "payroll", _("Payroll of a month")


class Format(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申请人 requested by",
    )
    kind = models.CharField("类型 kind", max_length=16, choices=Kind.choices)
    params = models.JSONField("参数 parameters", default=dict)  # {"run": 12} or {"period": "2026-03"}
    format = models.CharField("格式 format", max_length=8, choices=Format.choices, default=Format.XLSX)
    state = models.CharField(
        "状态 state", max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度 progress %", default=0)
    rows = models.PositiveIntegerField("行数 rows", null=True, blank=True)
    file = models.FileField("文件 file", upload_to="exports/", max_length=300, blank=True)
    file_name = models.CharField("文件名 file name", max_length=200, blank=True)  # as downloaded
    size = models.PositiveBigIntegerField("大小 bytes", null=True, blank=True)
    error = models.TextField("错误 error", blank=True)
    created_at = models.DateTimeField("申请时间 requested at", auto_now_add=True)
    started_at = models.DateTimeField("开始 started at", null=True, blank=True)
    finished_at = models.DateTimeField("完成 finished at", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_user_created")]
        verbose_name = "导出 export"
        verbose_name_plural = "导出 exports"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.params} ({self.state})"

    @property
    def in_flight(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)
