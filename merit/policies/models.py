"""A policy version is one immutable text of a policy (YAML), validated by the engine when saved.

Editing a policy creates a new version (a new row, ``version`` + 1) with its effective date; the
database refuses to change or delete a version row (append-only guard), so a version used by a
published run can never change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language


class PolicyVersion(models.Model):
    policy_id = models.CharField("方案 policy", max_length=64)  # "S5" for presets, a slug for custom ones
    version = models.PositiveIntegerField("版本 version")
    name = models.CharField("名称 name", max_length=200)
    title_zh = models.CharField("标题 title (zh)", max_length=200, blank=True)  # the text's title, kept
    title_en = models.CharField("标题 title (en)", max_length=200, blank=True)  # for lists without a parse
    text = models.TextField("方案文本 YAML")
    sha256 = models.CharField(max_length=64)  # the engine's LoadedPolicy.sha256 of ``text``
    effective_from = models.DateField("生效日期 effective from")
    preset = models.BooleanField("预置 preset", default=False)
    note = models.TextField("修改说明 note", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["policy_id", "version"], name="policy_version_unique"),
        ]
        verbose_name = "方案版本 policy version"
        verbose_name_plural = "方案版本 policy versions"

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.version}"

    def title(self, language: str | None = None) -> str:
        """The policy's title in ``language`` (the page's language when None), the other one if missing."""
        if language is None:
            language = get_language() or "zh-hans"
        if language.startswith("zh"):
            return self.title_zh or self.title_en
        return self.title_en or self.title_zh
