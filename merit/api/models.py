"""Personal API tokens for scripts and the idempotency records of creating requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A personal token: ``Authorization: Bearer <token>``. Only its SHA-256 is stored; the plain token
    is shown once, when it is created (admin site or ``manage.py create_api_token``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户 user",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("名称 name", max_length=100, help_text="用途，如“每日导入脚本” what it is for")
    prefix = models.CharField("前缀 prefix", max_length=16, editable=False, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)  # sha256 hex of the token
    created_at = models.DateTimeField("创建时间 created", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用 last used", null=True, blank=True, editable=False)
    revoked = models.BooleanField("已吊销 revoked", default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API 令牌 API token"
        verbose_name_plural = "API 令牌 API tokens"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The answer to a creating request sent with an ``Idempotency-Key`` header.

    The unique (user, key) constraint decides between concurrent duplicates: the request that inserts
    the row runs; the others find it. ``status_code`` is empty while the first request is running.
    Records are honoured for 24 hours (``merit.api.idempotency.TTL``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # empty: still running
    response_body = models.TextField(blank=True)  # the JSON text sent, replayed byte for byte
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]
        verbose_name = "幂等记录 idempotency record"
        verbose_name_plural = "幂等记录 idempotency records"

    def __str__(self) -> str:
        return f"{self.method} {self.path} · {self.key}"
