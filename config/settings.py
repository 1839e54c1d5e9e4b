"""Settings for scripthost, driven by environment variables.

The embedded stack (SQLite, in-memory channel layer) is the default; setting
DATABASE_URL and REDIS_URL switches to the scaled stack.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default=None):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envfloat(name, default=None):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def envlist(name):
    """A comma-separated list, or None when the variable is not set."""
    value = os.environ.get(name)
    return None if value is None else [v for v in value.split(",") if v.strip()]


VAR_DIR = Path(os.environ.get("SCRIPTHOST_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)


def _secret_key():
    # A key generated once per installation and kept in var/, so `make run` on a
    # fresh machine needs no configuration and restarts keep sessions valid.
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "*").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
# The console's cookies stay on the host that set them (no *_COOKIE_DOMAIN),
# and page scripts cannot read the CSRF token: forms and GraphiQL take it from
# the page (scripts_app.console; docs/operations.md, "Security").
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
CSRF_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "guardian",
    "tenants",
    "scripts_app",
    "assets_app",
    "storage_app",
    "streams_app",
    "secrets_app",
    "graphene_django",
    "graphene_django_graphiql_static",
    "graphql_app",
    "triggers_app",
    "django_celery_beat",
    "scheduler_app",
    "documents_app",
]

MIDDLEWARE = [
    "tenants.middleware.RequestIdMiddleware",
    "scripts_app.console.ConsoleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Tenant roles are checked by scripts_app.policy; guardian's backend answers
# user.has_perm(perm, obj) for the object grants on scripts it adds to them.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user row is not needed: anonymous callers get no grant.
ANONYMOUS_USER_NAME = None

ROOT_URLCONF = "config.urls"
APPEND_SLASH = False

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

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if os.environ.get("SCRIPTHOST_TEST_DB"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["SCRIPTHOST_TEST_DB"]}
else:
    DATABASES = {
        "default": {
            "ENGINE": "core.sqlite",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # Kept open between uses: the record writer flushes four times a
            # second, and closing the last connection to a WAL database
            # checkpoints it (a profile showed 6% of a busy worker there).
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # WAL lets the background record writer and request handlers
                # work side by side; IMMEDIATE avoids lock upgrades mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            "TEST": {
                "NAME": os.environ.get(
                    "SCRIPTHOST_TEST_DB", str(VAR_DIR / "test.sqlite3")
                )
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Messages a channel holds before sends to it are dropped: each process's
# fan-out hub has one channel for every stream it serves (core.hub).
CHANNEL_CAPACITY = 1000
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": CHANNEL_CAPACITY},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# static/ holds project-wide files once there are any; git keeps no empty folder.
STATICFILES_DIRS = [BASE_DIR / "static"]

# Asset content goes through default_storage: files here unless STORAGES["default"]
# names another backend (object storage) in a settings module importing this one.
MEDIA_ROOT = Path(os.environ.get("SCRIPTHOST_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"  # never served: asset routes and /system/api/assets serve content

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.TenantRolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenants.errors.api_exception_handler",
    # DRF's JSON parser with a bound on nesting (core.json_input): too deep is a
    # 400 in the platform's error shape, never a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "tenants.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# /graphql (graphql_app): the platform's schema, served by graphene-django.
# No middleware, also under DEBUG (graphene-django would add its SQL debugger).
GRAPHENE = {"SCHEMA": "graphql_app.schema.schema", "MIDDLEWARE": []}

SPECTACULAR_SETTINGS = {
    "TITLE": "scripthost API",
    "DESCRIPTION": "Manage scripts, logs and executions of a scripthost tenant.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /system/api/docs loads Swagger UI from /static/ (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def _response_headers():
    csp = os.environ.get("SCRIPT_CONTENT_SECURITY_POLICY")
    if csp is None:
        return None
    csp = csp.strip()
    return {"Content-Security-Policy": None if csp.lower() in ("", "none") else csp}


# Platform knobs: only what the environment sets (None: not set). Read through
# core.conf.scripts_setting(), which holds the defaults (see docs/operations.md).
SCRIPTS = {
    "VM_POOL_SIZE": envint("SCRIPT_VM_POOL_SIZE"),
    "VM_CONTEXTS_PER_SCRIPT": envint("SCRIPT_VM_CONTEXTS_PER_SCRIPT"),
    "VM_NICE": envint("SCRIPT_VM_NICE"),
    "MAX_SOURCE_BYTES": envint("SCRIPT_MAX_SOURCE_BYTES"),
    "INIT_TIMEOUT_SECONDS": envfloat("SCRIPT_INIT_TIMEOUT_SECONDS"),
    "ROUTE_REFRESH_SECONDS": envfloat("SCRIPT_ROUTE_REFRESH_SECONDS"),
    "RECORD_FLUSH_SECONDS": envfloat("SCRIPT_RECORD_FLUSH_SECONDS"),
    "RECORD_BATCH_SIZE": envint("SCRIPT_RECORD_BATCH_SIZE"),
    "MAX_LOG_MESSAGE_CHARS": envint("SCRIPT_MAX_LOG_MESSAGE_CHARS"),
    "MAX_LOGS_PER_INVOCATION": envint("SCRIPT_MAX_LOGS_PER_INVOCATION"),
    "LOGS_LISTED_MAX": envint("SCRIPT_LOGS_LISTED_MAX"),
    "LOGS_KEPT_ON_PRUNE": envint("SCRIPT_LOGS_KEPT_ON_PRUNE"),
    "MAX_OUTPUT_BYTES": envint("SCRIPT_MAX_OUTPUT_BYTES"),
    "MAX_HOST_CALL_BYTES": envint("SCRIPT_MAX_HOST_CALL_BYTES"),
    "LIMITS": {
        # execution mode: (seconds, megabytes); see RUNTIME.md R8.
        "pre-processing": (
            envfloat("SCRIPT_PRE_TIMEOUT_SECONDS"),
            envint("SCRIPT_PRE_MEMORY_MB"),
        ),
        "http": (envfloat("SCRIPT_TIMEOUT_SECONDS"), envint("SCRIPT_MAX_MEMORY_MB")),
        "cron": (
            envfloat("SCRIPT_CRON_TIMEOUT_SECONDS"),
            envint("SCRIPT_CRON_MEMORY_MB"),
        ),
    },
    "DEFAULT_TENANT": os.environ.get("SCRIPTHOST_DEFAULT_TENANT"),
    # Per-script storage quotas (storage_app): bytes of keys and values, and keys.
    "STORAGE_MAX_BYTES_PER_SCRIPT": envint("SCRIPT_STORAGE_MAX_BYTES"),
    "STORAGE_MAX_KEYS_PER_SCRIPT": envint("SCRIPT_STORAGE_MAX_KEYS"),
    # Passphrases for secrets at rest, comma-separated, the encrypting one first;
    # empty: a key generated once into var/secrets_key.
    "SECRETS_KEY": os.environ.get("SCRIPTHOST_SECRETS_KEY"),
    # Addresses fetch may reach although local or private: "127.0.0.1:8080",
    # "[::1]:8080", "10.1.2.0/24"; empty by default.
    "FETCH_ALLOW": envlist("SCRIPT_FETCH_ALLOW"),
    "FETCH_TIMEOUT_SECONDS": envfloat("SCRIPT_FETCH_TIMEOUT_SECONDS"),
    "FETCH_MAX_BYTES": envint("SCRIPT_FETCH_MAX_BYTES"),
    # Server-Sent Event streams (streams_app).
    "STREAM_KEEPALIVE_SECONDS": envfloat("SCRIPT_STREAM_KEEPALIVE_SECONDS"),
    "STREAM_REPLAY_MESSAGES": envint("SCRIPT_STREAM_REPLAY_MESSAGES"),
    "STREAM_MAX_CONNECTIONS": envint("SCRIPT_STREAM_MAX_CONNECTIONS"),
    "STREAM_MAX_MESSAGE_BYTES": envint("SCRIPT_STREAM_MAX_MESSAGE_BYTES"),
    "STREAM_CLIENT_BUFFER": envint("SCRIPT_STREAM_CLIENT_BUFFER"),
    # The dispatcher: how deep listeners may send messages on, and message size.
    "DISPATCH_MAX_DEPTH": envint("SCRIPT_DISPATCH_MAX_DEPTH"),
    "DISPATCH_MAX_MESSAGE_BYTES": envint("SCRIPT_DISPATCH_MAX_MESSAGE_BYTES"),
    # Running invocations per tenant, of every kind; past it new ones get 429
    # at once (per process without REDIS_URL, across processes with it); 0: off.
    "MAX_CONCURRENT_PER_TENANT": envint("SCRIPT_MAX_CONCURRENT_PER_TENANT"),
    # Requests from outside: how deep their JSON may nest, and what one GraphQL
    # request may cost (graphql_app.limits).
    "MAX_JSON_DEPTH": envint("SCRIPTHOST_MAX_JSON_DEPTH"),
    "GRAPHQL_MAX_QUERY_CHARS": envint("SCRIPTHOST_GRAPHQL_MAX_QUERY_CHARS"),
    "GRAPHQL_MAX_DEPTH": envint("SCRIPTHOST_GRAPHQL_MAX_DEPTH"),
    "GRAPHQL_MAX_ALIASES": envint("SCRIPTHOST_GRAPHQL_MAX_ALIASES"),
    "GRAPHQL_MAX_FIELDS": envint("SCRIPTHOST_GRAPHQL_MAX_FIELDS"),
    "GRAPHQL_MAX_RESULT_BYTES": envint("SCRIPTHOST_GRAPHQL_MAX_RESULT_BYTES"),
    # Hosts that serve the console (admin, /system, /graphql) and no
    # script route; empty: one host serves everything.
    "CONSOLE_HOSTS": envlist("SCRIPTHOST_CONSOLE_HOSTS"),
    # Headers of replies on script paths; only the CSP has a variable ("" or
    # "none" takes it off).
    "RESPONSE_HEADERS": _response_headers(),
    # Conflicting writes: optimistic runs before re-running under a lock on the
    # contended keys, and the longest wait for that lock.
    "STORAGE_OPTIMISTIC_ATTEMPTS": envint("SCRIPT_STORAGE_OPTIMISTIC_ATTEMPTS"),
    "STORAGE_LOCK_WAIT_SECONDS": envfloat("SCRIPT_STORAGE_LOCK_WAIT_SECONDS"),
    # What one script may register (routes; each other kind of registration).
    "MAX_ROUTES_PER_SCRIPT": envint("SCRIPT_MAX_ROUTES_PER_SCRIPT"),
    "MAX_REGISTRATIONS_PER_SCRIPT": envint("SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT"),
    # What one request may cause in all: runs of other handlers, host calls.
    "MAX_RUNS_PER_REQUEST": envint("SCRIPT_MAX_RUNS_PER_REQUEST"),
    "MAX_HOST_CALLS_PER_REQUEST": envint("SCRIPT_MAX_HOST_CALLS_PER_REQUEST"),
    # Scheduled jobs (scheduler_app; docs/operations.md, "Scheduled jobs").
    "SCHEDULER_IN_PROCESS": envbool("SCRIPT_SCHEDULER_IN_PROCESS", None),
    # Predix post-processing scripts on Celery workers (1) or in the serving
    # process (0); unset: on Celery when REDIS_URL is set (triggers_app).
    "POST_PROCESSING_ON_CELERY": envbool("SCRIPT_POST_PROCESSING_ON_CELERY", None),
    "SCHEDULER_TICK_SECONDS": envfloat("SCRIPT_SCHEDULER_TICK_SECONDS"),
    "SCHEDULER_LOOKAHEAD_SECONDS": envfloat("SCRIPT_SCHEDULER_LOOKAHEAD_SECONDS"),
    "SCHEDULER_CONCURRENCY": envint("SCRIPT_SCHEDULER_CONCURRENCY"),
    "SCHEDULER_MISSED_GRACE_SECONDS": envfloat("SCRIPT_SCHEDULER_MISSED_GRACE_SECONDS"),
    "SCHEDULER_START_SECONDS": envfloat("SCRIPT_SCHEDULER_START_SECONDS"),
    "SCHEDULER_LOST_MARGIN_SECONDS": envfloat("SCRIPT_SCHEDULER_LOST_MARGIN_SECONDS"),
}

# Celery (scheduler_app): Redis is the broker on the scaled stack, and beat
# keeps its schedule in the database (django-celery-beat). The embedded stack
# runs due jobs in the serving process and sends no task ("memory://").
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
# The queue beat's ticks and the runs go to; installations sharing one Redis
# keep apart with a queue each.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SCRIPTHOST_CELERY_QUEUE", "scripthost")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# One message at a time per worker process: a burst of due runs spreads over
# every worker instead of queueing behind the first one to ask.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}


# IOTA's services.notifications.sendEmail: SMTP when EMAIL_HOST is set (with
# Django's EMAIL_* settings from the environment), else the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "scripthost@localhost")
