"""An import: one upload (a zip of CSVs, an XLSX workbook or CSV files), its progress and its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportState(models.TextChoices):
    QUEUED = "queued", "排队中 queued"
    RUNNING = "running", "导入中 running"
    SUCCEEDED = "succeeded", "已导入 imported"
    FAILED = "failed", "未导入 rejected"  # bad rows or a refused file: nothing applied
    DUPLICATE = "duplicate", "重复文件 already imported"  # same file hash as an earlier import: no-op
    PREVIEWED = "previewed", "待确认 awaiting confirmation"  # checked, nothing applied: see what it would do
    DISCARDED = "discarded", "已放弃 discarded"  # a preview not confirmed: nothing applied


class ImportOrigin(models.TextChoices):
    UPLOAD = "upload", "上传文件 upload"
    WEB_ENTRY = "web_entry", "网页录入 entered in the web"  # a supervisor's grid or incident (entry.py)


class Import(models.Model):
    origin = models.CharField(
        "来源 origin", max_length=16, choices=ImportOrigin.choices, default=ImportOrigin.UPLOAD
    )
    created_at = models.DateTimeField("上传时间 uploaded", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人 by", on_delete=models.PROTECT, related_name="+"
    )
    source_name = models.CharField("文件 file", max_length=255)
    file_sha256 = models.CharField("文件哈希 file sha256", max_length=64, db_index=True)
    stored_path = models.CharField(max_length=500, editable=False)  # under MEDIA_ROOT
    # [{"name", "size", "sha256"}, ...] — the files of the upload, as stored under stored_path
    files = models.JSONField("文件列表 files", default=list, blank=True)
    size_bytes = models.BigIntegerField("大小 size (bytes)", default=0)
    profile = models.CharField("列映射 column profile", max_length=64, blank=True)
    state = models.CharField(
        "状态 state", max_length=16, choices=ImportState.choices, default=ImportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度 progress %", default=0)
    stage = models.CharField("阶段 stage", max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"tickets": {"read": n, "inserted": n, "updated": n, "unchanged": n}, ...}
    summary = models.JSONField("汇总 summary", default=dict, blank=True)
    # [{"table", "row", "column", "value", "reason"}, ...] — every bad row, in file order
    problems = models.JSONField("问题 problems", default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    notices = models.JSONField("提示 notices", default=list, blank=True)
    error = models.TextField("错误 error", blank=True)
    # A preview first: the import is checked and its changes shown (state PREVIEWED), applied only when
    # confirmed. The counts of the preview are kept: the apply must make exactly these (docs/imports.md).
    preview_first = models.BooleanField("先预览 preview first", default=False)
    previewed_summary = models.JSONField("预览汇总 previewed summary", default=dict, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人 confirmed by",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("确认时间 confirmed", null=True, blank=True)
    # {"tickets": [{"key": {...}, "changes": [{"column", "before", "after"}]}, ...]} — a sample per table
    changes = models.JSONField("变更示例 changed rows", default=dict, blank=True)
    # {"tickets": ["2026-03", ...]} — the months of the fact rows it inserted or changed (would, in a preview)
    months = models.JSONField("涉及月份 months", default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_by_user")]
        verbose_name = "导入 import"
        verbose_name_plural = "导入 imports"

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_name} ({self.state})"


class Evidence(models.Model):
    """A file kept as evidence of an incident entered in the web (MEDIA_ROOT/evidence/<sha256>/<name>)."""

    incident_id = models.CharField("事件编号 incident", max_length=64, db_index=True)
    entry = models.ForeignKey(
        Import, verbose_name="录入 entry", on_delete=models.PROTECT, related_name="evidence"
    )
    name = models.CharField("文件名 file", max_length=120)
    stored_path = models.CharField(max_length=500, editable=False)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident_id", "pk"]
        verbose_name = "证据 evidence"
        verbose_name_plural = "证据 evidence"

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.name}"
