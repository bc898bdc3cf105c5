"""Settings of the embedded default: SQLite in WAL mode, DEBUG on, everything local.

Production uses ``merit.config.production`` (which refuses DEBUG and weak secrets). ``DATABASE_URL``
switches to PostgreSQL (``postgres://user@host:5432/name``) in any mode.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from merit.config.env import env_bool, env_choice, env_int, env_list, env_str
from merit.engine.backends import DEFAULT_ENGINE, ENGINES

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("MERIT_VAR_DIR", str(BASE_DIR / "var")))
# The embedded default keeps its database, uploads and collected static files here.
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

# A development key: production refuses it (merit.config.production).
SECRET_KEY = env_str("SECRET_KEY", "dev-only-not-secret-merit-embedded-default")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' own static files (no CDN)
    "axes",  # failed sign-in attempts are counted and locked out
    "django_tasks",
    "django_tasks_db",
    "merit.org",
    "merit.facts",
    "merit.ingest",
    "merit.audit",
    "merit.policies",
    "merit.assessment",
    "merit.ledger",
    "merit.tickets",
    "merit.inbox",
    "merit.discipline",
    "merit.appeals",
    "merit.shop",
    "merit.recognition",
    "merit.dashboards",
    "merit.reports",
    "merit.api",
    "merit.web",
]

MIDDLEWARE = [
    "merit.web.requestlog.RequestLog",  # first: a request id and one log line per request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "merit.api.middleware.RefuseNul",  # /api/: a NUL in the path or the query never reaches the database
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "merit.audit.middleware.ActorMiddleware",  # who acts, for the audit trail
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out users before checking passwords
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "merit.config.urls"
WSGI_APPLICATION = "merit.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "merit" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "merit.web.context.scope",
            ],
        },
    },
]


def sqlite_database(path: Path) -> dict:
    """SQLite tuned for a small server: WAL (readers never block the writer) and IMMEDIATE
    transactions (a writer waits for the lock instead of failing at once with "database is locked")."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


_url = env_str("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(_url, conn_max_age=60)
    if _url
    else sqlite_database(VAR_DIR / "merit.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English second; times stored in UTC, shown in Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

LOCALE_PATHS = [BASE_DIR / "merit" / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise serves the collected files with far-future caching and compression (merit serve).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("MERIT_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "uploads"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in rate limiting (django-axes): 5 failed attempts for the same user name from the same address
# lock that pair out for 15 minutes; a successful sign-in resets the count.
AXES_FAILURE_LIMIT = env_int("MERIT_SIGNIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# Background work (imports, later runs): Django's tasks framework with its database backend; a worker
# (`manage.py db_worker`, started by `make demo` and `merit serve`) runs them.
# Notifications by e-mail as well as in the app (Django's EMAIL_* settings name the server).
MERIT_NOTIFY_EMAIL = env_bool("MERIT_NOTIFY_EMAIL", False)
# A closed case's satisfaction survey e-mailed to a customer whose contact is an e-mail address.
MERIT_SURVEY_EMAIL = env_bool("MERIT_SURVEY_EMAIL", False)
MERIT_SITE_URL = env_str("MERIT_SITE_URL", "http://127.0.0.1:8000")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "merit@localhost")

# Whether an agent's dashboard shows their place in the team (S1 publishes the ranking; some shops do not).
MERIT_PUBLISH_RANKS = env_bool("MERIT_PUBLISH_RANKS", True)

# Logging: one line per event to standard error (what `merit serve` and the worker print), so that an
# operator finds a server error's traceback in the log whatever DEBUG says (Django alone only mails it
# to ADMINS when DEBUG is off). MERIT_LOG_LEVEL: DEBUG, INFO, WARNING (default), ERROR.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # one line per event: time, level, logger, the request's id ("-" outside a request), the message
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "filters": {"request_id": {"()": "merit.web.requestlog.RequestIdFilter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]}
    },
    "root": {
        "handlers": ["stderr"],
        "level": env_choice("MERIT_LOG_LEVEL", "warning", ("debug", "info", "warning", "error")).upper(),
    },
    # Django's own handlers (console only with DEBUG on, mail to ADMINS) give way to the root's
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Upload limits (imports): the request body and each file; a clear message names the limit.
MERIT_IMPORT_MAX_BYTES = env_int("MERIT_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
MERIT_IMPORT_MAX_ROWS = env_int("MERIT_IMPORT_MAX_ROWS", 5_000_000)
# Where assessment runs compute their metrics: DuckDB in-process, or Spark (MERIT_SPARK_MASTER, default
# local[2], or MERIT_SPARK_REMOTE=sc://host:15002) for data beyond one machine (docs/scale-out.md).
MERIT_ENGINE = env_choice("MERIT_ENGINE", DEFAULT_ENGINE, ENGINES)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_AGE = 12 * 3600  # one working day

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
