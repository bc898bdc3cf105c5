"""Who is calling: a personal API token (scripts) or the signed-in session (the app's pages, /api/docs).

- ``Authorization: Bearer <token>``: the token alone decides. A revoked or unknown token, or one whose
  user is inactive, answers 401 even if a session cookie came along. No CSRF token is needed: a browser
  never adds this header by itself.
- Session cookie: django-ninja's session authentication, which checks CSRF on unsafe methods
  (POST, PUT, PATCH, DELETE need the ``X-CSRFToken`` header).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from merit.api.models import ApiToken

TOKEN_PREFIX = "merit_"
# last_used_at is written at most once a minute per token: reading the API should not mean a write
# on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token (shown once, never stored)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=plain[: len(TOKEN_PREFIX) + 6], token_hash=hash_token(plain)
    )
    return row, plain


def user_for_token(token: str):
    """The active user of a valid, unrevoked token, or None."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked=False, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
        with transaction.atomic():
            ApiToken.objects.filter(pk=row.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
    return row.user


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = user_for_token(token.strip()) if token else None
        if user is None:
            # A request that shows a token is judged by it alone: no fallback to the session.
            raise AuthenticationError(
                message="令牌无效、已吊销或用户已停用 Invalid, revoked or inactive token"
            )
        request.user = user
        request.auth_method = "token"
        return user


class CookieSessionAuth(SessionAuth):
    """Django's session, with CSRF checked on unsafe methods once there is a signed-in user (without
    one there is nothing to forge, and the answer is a plain 401)."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.auth_method = "session"
        return user


token_auth = TokenAuth()
session_auth = CookieSessionAuth()
