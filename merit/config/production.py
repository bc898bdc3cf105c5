"""Production settings: the embedded defaults plus HTTPS hardening, and a refusal to start with DEBUG on
or a weak secret key (`manage.py check --deploy` is clean with these settings)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from merit.config.env import env_bool, env_int, env_str
from merit.config.settings import *  # noqa: F403  (the shared settings, then the production overrides)

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=0)")

SECRET_KEY = env_str("SECRET_KEY")  # required: no default in production
_WEAK = ("dev-only", "django-insecure", "changeme", "secret", "password")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or any(w in SECRET_KEY.lower() for w in _WEAK):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(64))")'
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
