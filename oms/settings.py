"""OMS settings. Everything that differs between machines comes from the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def local_secret_key(path):
    """This installation's own random key, made on first start and kept in a git-ignored file.

    Only for debug mode (the demo, the tests): a key in the source would be one anyone can read.
    Several processes starting at once agree on one key: the first link() wins, the rest read it.
    """
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50) + "\n")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


# Off unless asked for: debug pages show tracebacks and settings to anyone who triggers an error.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is not 1 (the demo: DJANGO_DEBUG=1, see README)."
        )
    SECRET_KEY = local_secret_key(Path(os.environ.get("DJANGO_SECRET_KEY_FILE", BASE_DIR / ".secret-key")))


def env_list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_filters",
    "simple_history",
    "axes",
    "spreadsheets",
    "inventory",
    "orders",
    "accounts",
    "audit",
    "logistics",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

# Cards other apps add to the admin index's dashboard: callables user -> (label, value, url, warn) or None.
OMS_DASHBOARD_CARDS = ["logistics.dashboard.exception_card"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files itself, so gunicorn needs no separate static server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With DEBUG on (the demo) a wrong URL still shows the product's Chinese 404 page.
    "oms.not_found.ProductNotFoundPageMiddleware",
    # A lost database connection: a Chinese 503 "请重试" page, and the next request reconnects.
    "oms.db_errors.DatabaseConnectionLostMiddleware",
    # Lets history records name the user of an admin request (see audit/history.py).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username/IP is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "oms.urls"

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

WSGI_APPLICATION = "oms.wsgi.application"


# SQLite under several gunicorn workers: WAL lets readers run beside the one writer, and
# BEGIN IMMEDIATE takes the write lock up front, so a second writer waits (up to `timeout`
# seconds) instead of failing with "database is locked" when its read turns into a write.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_env():
    """DATABASE_URL selects MySQL/MariaDB (or another SQLite file); unset, an SQLite file in the project."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3", "OPTIONS": SQLITE_OPTIONS}
    return database_from_url(url)


def database_from_url(url):
    """A DATABASES entry for `url`, with the options this project runs MySQL/MariaDB and SQLite with."""
    # Health checks: after a database restart each worker replaces its dropped connection before
    # the first query instead of answering one clerk with the 503 of oms.db_errors.
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            # Strict mode turns silent truncation into errors; READ COMMITTED lets a
            # locking read see the latest committed stock (see inventory.services).
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
            "isolation_level": "read committed",
            **config.get("OPTIONS", {}),
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


def replica_database_from_env(environ=os.environ):
    """DATABASE_REPLICA_URL: a MariaDB/MySQL read replica of DATABASE_URL's database, or None (unset).

    Only the managers' reports, exports and dashboard read from it, and only when they ask
    (orders.reports.replica); oms.db_router sends everything else, and every write, to the primary.
    """
    url = environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    config = database_from_url(url)
    if config["ENGINE"] != "django.db.backends.mysql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a mysql:// URL (a MariaDB/MySQL replica).")
    # An unreachable replica costs the report page at most this long before it reads the primary.
    config["OPTIONS"].setdefault("connect_timeout", 3)
    # The replica holds the primary's data (its test database too): tests never create one on it.
    config["TEST"] = {**config["TEST"], "MIRROR": "default"}
    return config


DATABASES = {"default": database_from_env()}
if replica := replica_database_from_env():
    DATABASES["replica"] = replica  # the alias oms.db_router.REPLICA names
DATABASE_ROUTERS = ["oms.db_router.PrimaryRouter"]
# Reports read the primary instead when the replica is further behind than this (seconds).
OMS_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The only language offered, so LocaleMiddleware keeps the admin Chinese for an English browser too.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files (after `collectstatic`) with far-future caching;
    # the demo keeps the plain storage so it runs without collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Decided by DJANGO_DEBUG, not by settings.DEBUG, which the test runner switches off: the demo and the
# tests serve static files straight from the apps, production from STATIC_ROOT after collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# Product pictures (inventory.validators): a few MB and a sane pixel count at most.
OMS_IMAGE_MAX_BYTES = env_int("OMS_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
OMS_IMAGE_MAX_PIXELS = env_int("OMS_IMAGE_MAX_PIXELS", 40_000_000)
FILE_UPLOAD_PERMISSIONS = 0o644

# Production hardening: on whenever DJANGO_DEBUG=0, each switch overridable from the environment.
# Behind a TLS-terminating proxy (docs/DEPLOYMENT.md) the proxy sets X-Forwarded-Proto.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end with the working day rather than living for Django's default two weeks.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 12 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Login protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one IP, that pair is locked for the cool-off time. Per pair, not per IP alone, because a whole
# shop office usually shares one public IP.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Unlock with `manage.py axes_reset_username NAME` (docs/DEPLOYMENT.md); axes' own admin pages are English.
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
# How many reverse proxies (nginx, load balancer) append to X-Forwarded-For; 0 = use REMOTE_ADDR.
OMS_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

# The admin's changelist posts every row of a page at once.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Exports carry receivers' phones and addresses: only users with export_<model> (经理) get them.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# Imports run in one transaction; spreadsheets also rolls back on any row's validation error.
IMPORT_EXPORT_USE_TRANSACTIONS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"logistics": {"level": "INFO"}},
}

# Courier API (logistics app). Without key, secret and customer the feature hides itself.
KUAIDI100 = {
    "KEY": os.environ.get("KUAIDI100_KEY", ""),
    "SECRET": os.environ.get("KUAIDI100_SECRET", ""),
    "CUSTOMER": os.environ.get("KUAIDI100_CUSTOMER", ""),
    # Unset: Kuaidi100's own hosts. Set (e.g. a sandbox): every endpoint is under this URL.
    "BASE_URL": os.environ.get("KUAIDI100_BASE_URL", ""),
    # The public address of our push webhook; unset, nothing is subscribed (use refresh_tracking).
    "CALLBACK_URL": os.environ.get("KUAIDI100_CALLBACK_URL", ""),
    # Signs the pushes; unset, derived from SECRET_KEY (never a value in the source, see above).
    "SALT": os.environ.get("KUAIDI100_SALT", ""),
    "TIMEOUT": float(os.environ.get("KUAIDI100_TIMEOUT", "10")),
}

# Background jobs (e-waybill batches): Celery on Redis. Start a worker with
# `celery -A oms worker -l info`.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
# A batch's message is acknowledged only after its run returns, so a run that dies is run again
# (runs are resumable and buy nothing twice, logistics.services.batches).
CELERY_TASK_ACKS_LATE = True
# ...also when the pool's child is killed (SIGKILL, the OOM killer): without this Celery acks
# the message of a lost child as failed and the batch waits forever; with it, it is requeued.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis hands an unacknowledged message to another worker after this long. Longer than any batch
# runs (a newer run takes a batch over anyway, see WaybillBatch.runner); a whole worker killed
# mid-batch is redelivered after it, or resumed at once with 继续处理 on the batch's page.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600, "socket_connect_timeout": 5}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# The storefront API (api app, /api/v1/): token auth only (no session, so no CSRF path), JSON only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": os.environ.get("OMS_API_RATE", "120/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS 店铺 API",
    "DESCRIPTION": "店铺自有商城推送订单、查询发货与库存；发货、撤销发货、取消订单时回调（见 README 店铺 API）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the app's own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# Django's default cache is per process; the API's rate limit must be counted once for all
# gunicorn workers, so it lives in the database (always there with the data, no new service; the
# table is made by the api app's migration).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "api_rate_limit_cache"},
}
# Webhooks out (api.webhooks): each attempt's timeout, and the waits (seconds) before each retry:
# 12 retries over about 24 hours, each wait under the broker's 6-hour visibility timeout (a longer
# countdown would be handed out again before it is due).
OMS_WEBHOOK_TIMEOUT = float(os.environ.get("OMS_WEBHOOK_TIMEOUT", "10"))
OMS_WEBHOOK_RETRY_DELAYS = [30, 60, 300, 900, 1800, 3600, 7200, 14400, 18000, 18000, 18000, 3600]
