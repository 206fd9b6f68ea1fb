"""Django settings, read from the environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from routing_health.lib.env import envbool, envfloat, envint, envlist, envstr, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("ROUTING_HEALTH_DATA_DIR", str(BASE_DIR / "data")))

DEBUG = envbool("DJANGO_DEBUG", False)
SECRET_KEY = envstr("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set (set it, or DJANGO_DEBUG=1 for a local dev default)"
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "routing_health",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dashboards.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LoginRequiredMiddleware, subclassed: API URLs answer 401 JSON (or pass a Bearer
    # token on to the view) instead of redirecting to the login page.
    "dashboards.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "routing_health.urls"
WSGI_APPLICATION = "routing_health.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'routing_health.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(envstr("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Gzip/Brotli copies at collectstatic (plotly.min.js is 4.6 MB). Not the manifest variant:
    # it needs collectstatic before any template renders, which tests and `runserver` skip.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REDIS_URL = envstr("REDIS_URL")

# The login throttle counts failures in the cache. LocMem counts per process; with REDIS_URL
# set, every worker shares one count.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "routing-health",
    }
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
LOGIN_THROTTLE_FAILURES = envint("LOGIN_THROTTLE_FAILURES", 5)
LOGIN_THROTTLE_WINDOW_SECONDS = envint("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("DJANGO_SESSION_SECONDS", 12 * 3600)
CSRF_COOKIE_HTTPONLY = True  # no script reads it: every form posts the hidden token
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The preload directive only matters once someone submits the apex domain to the browsers'
# preload list (which also needs a max-age of a year); sending it is what check --deploy asks.
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# --- Routing Health ---------------------------------------------------------------------------
ROUTING_HEALTH_CONFIG = envstr("ROUTING_HEALTH_CONFIG", "routing_health.toml")
PUBLIC_URL = (envstr("PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")

def _salesforce_env(prefix: str) -> dict:
    """One connection's settings from ``<prefix>_*`` variables (spec 2.1)."""
    return {
        "instance_url": envstr(f"{prefix}_INSTANCE_URL"),
        "access_token": envstr(f"{prefix}_ACCESS_TOKEN"),
        "username": envstr(f"{prefix}_USERNAME"),
        "password": envstr(f"{prefix}_PASSWORD"),
        "security_token": envstr(f"{prefix}_SECURITY_TOKEN"),
        "consumer_key": envstr(f"{prefix}_CONSUMER_KEY"),
        "consumer_secret": envstr(f"{prefix}_CONSUMER_SECRET"),
        "private_key_file": envstr(f"{prefix}_PRIVATE_KEY_FILE"),
        "domain": envstr(f"{prefix}_DOMAIN", "test" if "SANDBOX" in prefix else "login"),
        "api_version": envstr(f"{prefix}_API_VERSION", "62.0"),
        "timeout_seconds": envfloat(f"{prefix}_TIMEOUT_SECONDS", 60.0),
        "max_api_share": envfloat(f"{prefix}_MAX_API_SHARE", 0.5),
        "bulk_poll_seconds": envfloat(f"{prefix}_BULK_POLL_SECONDS", 0.5),
    }


SALESFORCE = _salesforce_env("SALESFORCE")
# The routing test pack's own org (`routing_test run --connection sandbox`): the same variables
# with SALESFORCE_SANDBOX_ in front, so production stays watched while packs run in a sandbox.
SALESFORCE_SANDBOX = _salesforce_env("SALESFORCE_SANDBOX")

SLACK_BOT_TOKEN = envstr("SLACK_BOT_TOKEN")
SLACK_CHANNEL = envstr("SLACK_CHANNEL")
SLACK_API_URL = envstr("SLACK_API_URL", "https://slack.com/api/")
# Verifies POST /slack/interactions (the Acknowledge / Snooze buttons); unset: no buttons.
SLACK_SIGNING_SECRET = envstr("SLACK_SIGNING_SECRET")

# E-mail (weekly review, alert routes): the SMTP server as one URL, e.g.
# smtp://user:pass@host:587?tls=true (smtps:// or ?ssl=true: implicit TLS; ?timeout=10), and the
# sender. Unset: no e-mail. A malformed EMAIL_URL stops startup with an error naming it.
EMAIL_URL = envstr("EMAIL_URL")
if EMAIL_URL:
    parse_email_url(EMAIL_URL, "EMAIL_URL")
ALERT_EMAIL_FROM = envstr("ALERT_EMAIL_FROM")

Q_CLUSTER: dict[str, object] = {
    "name": "routing_health",
    "workers": envint("Q_WORKERS", 2),
    "timeout": 600,  # a task may run this long ...
    "retry": 900,  # ... and is redelivered only after this, so never twice while running
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
    "orm": "default",
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"level": "WARNING"}},
}
