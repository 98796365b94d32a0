"""Settings of Fresh Cabinet, read once from the environment (django-environ).

Every variable is listed in `.env.example`. Development defaults are safe to run
on a laptop; production must set SECRET_KEY, DEBUG=False, ALLOWED_HOSTS and
CABINET_BASE_URL (the links in the mails).
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
else:
    # Production has no default secret: a missing key stops the start.
    SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin, its default site in Russian cases and plurals (common/admin_russian.py).
    "common.admin_apps.ServiceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "simple_history",
    # The admin's date hierarchy without its SELECT DISTINCT of years over the whole table.
    "django_admin_lightweight_date_hierarchy",
    # django-axes, named «Попытки входа» in the admin.
    "common.admin_apps.LoginAttemptsConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    # django-tasks' database backend (django_tasks_db), named «Фоновые задачи» in the admin.
    "common.admin_apps.BackgroundTasksConfig",
    "ops",
    "subscribers",
    "subscriptions",
    # Requisites and the partner's own prices (invoices and acts build on them): billing/.
    "billing",
    # Long operations a user comes back to (big downloads, bulk work): jobs/.
    "jobs",
    "cabinet",
    "api",
]

MIDDLEWARE = [
    "ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ops.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ops.middleware.CabinetLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A query string no admin list can filter by (NUL, a 20-digit year) is a 400.
    "common.admin.AdminQueryGuardMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fresh_cabinet.urls"
WSGI_APPLICATION = "fresh_cabinet.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "cabinet.context_processors.cabinet",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL=postgres://... switches to PostgreSQL.

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take the write lock at BEGIN, so two
    # writers serialize instead of failing mid-transaction (SQLite ignores
    # select_for_update).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # JIT compilation costs more than it saves on the cabinet's short queries
    # (measured: 1.2 s of a 5 s aggregate was JIT).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections, checked before reuse (+47 % throughput under load).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# How long posting waits for a base subscription that another operator holds
# before it asks the operator to try again (PostgreSQL lock_timeout).
POSTING_LOCK_TIMEOUT_MS = env.int("POSTING_LOCK_TIMEOUT_MS", default=5000)

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes). Failures are counted in the database, so
# every app server behind the load balancer sees the same counts. A username
# is locked after LOGIN_FAILURE_LIMIT_PER_USERNAME failures, an address after
# LOGIN_FAILURE_LIMIT_PER_ADDRESS (whatever usernames it tried), each for
# LOGIN_COOLOFF_MINUTES after its last failure; a successful login clears the
# failures of its username. The cabinet's and the admin's logins alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT_PER_USERNAME = env.int("LOGIN_FAILURE_LIMIT_PER_USERNAME", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=20)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
# Behind reverse proxies, how many of them append to X-Forwarded-For; the
# client's address is the one the outermost of them saw. 0 (the default):
# X-Forwarded-For is ignored and the address is the connection's, since a
# client could otherwise name any address it likes.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_HANDLER = "cabinet.throttling.CabinetAxesHandler"
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
# The handler compares each parameter with its own limit above; Axes sees the
# username's (see CabinetAxesHandler.get_failures).
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT_PER_USERNAME
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused without being counted, so they do not
# push the end of the lockout further away (someone who keeps guessing a
# user's password cannot keep the user out for good).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "cabinet.throttling.client_ip_address"
AXES_LOCKOUT_CALLABLE = "cabinet.throttling.lockout_response"
# Lockouts are logged as warnings; no banner at every start.
AXES_VERBOSE = False

# --- Email ------------------------------------------------------------------
# Reminders (`manage.py send_reminders` enqueues them, the workers send them:
# workers need these settings too). The console backend prints mails to
# stdout; production sets EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
# and the SMTP server below.

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Fresh Cabinet <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The cabinet's public address, as partners open it (with its path prefix, if
# the cabinet is served under one): the links in the mails lead there. Workers
# build those links with no request at hand, hence a setting, not the Host header.
CABINET_BASE_URL = env.str("CABINET_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not CABINET_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"CABINET_BASE_URL={CABINET_BASE_URL!r}: give the cabinet's address with its scheme, "
        "e.g. https://cabinet.example.kz"
    )

# --- Background tasks (django-tasks) ----------------------------------------
# Work longer than a request (reminder mails; later bulk renewal, large
# downloads) is enqueued as a row in the database and run by
# `manage.py db_worker` processes (README «Deploy»). The queue lives in the
# same database as everything else: on SQLite one worker next to the web
# server (`make run` starts it), on PostgreSQL any number of workers on any
# number of machines, each task claimed by one of them (SELECT … FOR UPDATE
# SKIP LOCKED). A task enqueued inside a transaction is seen by the workers
# only once that transaction commits, and not at all if it rolls back.
# The tests run tasks at once, in the enqueuing thread (test_settings.py).

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- API (Django REST framework, drf-spectacular) ---------------------------
# Read-only, per-organization keys only (no session auth: no CSRF questions).
# No throttling: DRF keeps its counters in the cache, which is process memory
# here; rate limits belong to the load balancer or a shared cache.

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # GET only: OPTIONS is a 405, not a description of the endpoint.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fresh Cabinet API",
    "DESCRIPTION": (
        "API только для чтения для систем обслуживающих организаций: абоненты, их лимиты "
        "на день, подписки на тарифы с расширениями, прайс-лист организации. Все данные — "
        "только своей организации."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Language and time ------------------------------------------------------

# Russian is the default and the language of the source strings; Kazakh and
# English translations are in locale/ (see README «Languages»). The language
# comes from the django_language cookie or Accept-Language, never from the URL.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# Kazakh formats (Django has none) and the cabinet's English short dates.
FORMAT_MODULE_PATH = ["formats"]

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files through whitenoise
    # (run `manage.py collectstatic` at deploy); development serves them as they are.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Long operations and their files (jobs/) ---------------------------------
# A download of more than DOWNLOAD_IMMEDIATE_MAX_ROWS rows is not built in the
# request: it becomes a job that a `db_worker` runs, with a progress page, and
# its file is kept for JOB_FILES_KEEP_HOURS in the `job_files` storage (a folder,
# JOB_FILES_ROOT). The folder is never served by a URL: files leave only through
# the cabinet's download view, to users of the job's organization (personal
# data: no MEDIA_ROOT, which web servers usually serve to anyone). With workers
# on other machines than the app servers, JOB_FILES_ROOT must be a folder they
# all share (or the alias another Django storage), README «Deploy».
# `manage.py purge_jobs` (hourly) deletes the files past their time.

DOWNLOAD_IMMEDIATE_MAX_ROWS = env.int("DOWNLOAD_IMMEDIATE_MAX_ROWS", default=5000)
JOB_FILES_ROOT = env.path("JOB_FILES_ROOT", default=BASE_DIR / "var" / "job_files")
STORAGES["job_files"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": str(JOB_FILES_ROOT),
        "file_permissions_mode": 0o640,
        "directory_permissions_mode": 0o750,
    },
}
JOB_FILES_KEEP_HOURS = env.int("JOB_FILES_KEEP_HOURS", default=24)
# A running job whose worker has written no progress for this long is taken for
# dead (the worker was killed): its page says so and purge_jobs fails it.
JOB_STALLED_AFTER_MINUTES = env.int("JOB_STALLED_AFTER_MINUTES", default=30)
# Finished jobs stay listed in the admin this long (their files go much sooner).
JOB_ROWS_KEEP_DAYS = env.int("JOB_ROWS_KEEP_DAYS", default=30)
# Jobs one user may have waiting or running at once (a click on a big download
# while three are being prepared asks to wait).
JOBS_ACTIVE_PER_USER = env.int("JOBS_ACTIVE_PER_USER", default=3)
# How often a running job writes its progress (one UPDATE each time).
JOB_PROGRESS_INTERVAL_SECONDS = env.float("JOB_PROGRESS_INTERVAL_SECONDS", default=0.5)
# «Продление за месяц»: a batch of up to this many bases (a page of the list) is
# renewed in the request; a bigger one is a job with its progress page.
BULK_RENEWAL_IMMEDIATE_MAX = env.int("BULK_RENEWAL_IMMEDIATE_MAX", default=25)

# --- Security (production) --------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The cabinet runs only its own scripts and styles: no inline script, no
# inline style. The admin keeps Django's inline style attributes.
_CSP_COMMON = (
    "default-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_CABINET = f"{_CSP_COMMON}; script-src 'self'; style-src 'self'"
CSP_ADMIN = f"{_CSP_COMMON}; script-src 'self'; style-src 'self' 'unsafe-inline'"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.middleware.RequestIdLogFilter"}},
    "formatters": {
        "json": {"()": "ops.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env.str("LOG_FORMAT", default="plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes tells every step at INFO; a failure or a lockout is a WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
