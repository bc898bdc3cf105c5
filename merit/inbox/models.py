"""Notifications in the app: one row per message to one user (a notice to acknowledge, an appeal
answered, a deadline close). Read state is the only thing that changes on a row."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="收件人 to",
    )
    kind = models.CharField("类型 kind", max_length=40)  # e.g. notice.issued, appeal.decided
    title = models.CharField("标题 title", max_length=200)
    body = models.TextField("内容 body", blank=True)
    url = models.CharField("链接 link", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]
        verbose_name = "通知 notification"
        verbose_name_plural = "通知 notifications"

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"
