"""Venuedesk settings, read from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")
# An empty value (`DATABASE_URL=` in .env) means the default, as if the line were absent;
# django-environ alone takes "" as the value (no database engine, a port that is no number).
env.ENVIRON = {name: value for name, value in env.ENVIRON.items() if value != ""}

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only
# Former secret keys, still accepted after a rotation: they keep sessions and what was
# sealed with them (bookings.sealing: pending e-mails' manage links, idempotency answers).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "csp",
    "axes",
    "core",
    "venues",
    "bookings",
    "api",
    "backoffice",
    "public",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so that static files get the policy header too.
    "csp.middleware.CSPMiddleware",
    "config.security.NoStoreMiddleware",
    # Before the host check (CommonMiddleware): probes come by address (config.health).
    "config.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "staff.context_processors.staff_navigation",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise
# (postgres://user:password@host:5432/name in production and CI).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock at BEGIN, so two bookings cannot interleave their
        # check-then-write; WAL lets readers go on meanwhile.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies: at most 1 MiB (a booking with a hundred lines is a few kB); the API
# answers 413 above it, as Django's own views answer 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Staff log in on their own page; after it, their dashboard.
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "/staff/"

# django-axes checks every authenticate(request=...) for a lockout before the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English ships. Every word a customer reads is marked for translation; a deployment in
# another language adds locale/<code>/LC_MESSAGES/django.po (manage.py makemessages -l <code>,
# then compilemessages) and sets LANGUAGE_CODE.
LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts them (and WhiteNoise serves them from): DJANGO_STATIC_ROOT.
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: printed to the console unless a real backend is configured.
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Venuedesk <bookings@localhost>")

# Security: strict by default outside DEBUG; TLS is usually terminated by a proxy.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# -- Deployment (issue 13) --
# The proxy's health probe comes over plain HTTP on the inside: /healthz is not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Seconds /healthz waits for Redis (broker, cache) before it calls it down.
VENUEDESK_HEALTH_TIMEOUT = env.float("VENUEDESK_HEALTH_TIMEOUT", default=2.0)
# -- end of deployment --

# -- Hardening: content security policy, no-store, login lockout ---------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and the header is ignored (anyone can send it). N: the client is the N-th
# address from the right of X-Forwarded-For (the same rule as DRF's NUM_PROXIES). One
# reading for everything that keys by client: core.http, the rate limit, axes below.
VENUEDESK_TRUSTED_PROXIES = env.int("VENUEDESK_TRUSTED_PROXIES", default=0)
# A request came over HTTPS when our proxy says so; with no proxy, anyone could say it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if VENUEDESK_TRUSTED_PROXIES > 0 else None
)

# Every response carries this policy: nothing from other sites, no inline script or style,
# no plugins, no framing. JavaScript lives in static/js/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the admin's and Swagger UI's icons are data: URIs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Answers under these path prefixes carry personal data: no cache (browser, proxy) may
# store them. The customer's pages will live under /book/ and /manage/.
VENUEDESK_NO_STORE_PATHS = ["/api/v1/", "/book/", "/manage/"]

# Login lockout (django-axes): 5 failed logins in a row for one username from one client
# address lock that pair for 15 minutes (counted from the last failure, so tries during the
# lock do not extend it); a successful login resets the count. Locking the pair, not the
# username alone, keeps a stranger from locking a colleague out from elsewhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged
# The client as the rate limit sees it (through VENUEDESK_TRUSTED_PROXIES, IPv6 by /64).
AXES_CLIENT_IP_CALLABLE = "core.http.client_identity"

# Every record is printed once, by the root logger's handler. Django's default LOGGING gives
# the "django" logger a console handler of its own (in DEBUG) besides, which printed each of
# its records twice; here it only passes them up. Configuring "django" resets its children,
# so runserver's request lines ("django.server") get Django's own handler and format back.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"django.server": DEFAULT_LOGGING["formatters"]["django.server"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
    },
}

# Notifications (bookings.notifications): the SMS gateway class, how many delivery
# attempts before a notification is given up, and the public address used in e-mail links.
VENUEDESK_SMS_BACKEND = env.str("VENUEDESK_SMS_BACKEND", default="bookings.sms.LoggingSMSBackend")
VENUEDESK_NOTIFICATION_MAX_ATTEMPTS = env.int("VENUEDESK_NOTIFICATION_MAX_ATTEMPTS", default=8)
# -- notification delivery (issue 8: no request waits on the mail server) --
# How rows are handed over after commit (VENUEDESK_NOTIFICATION_DELIVERY, below with
# Celery): "celery" (a task per row for the workers), "background" (a thread of each
# process; what it cannot do waits for send_notifications) or "inline" (in the committing
# thread: tests, debugging). Every e-mail attempt uses EMAIL_TIMEOUT, every SMS attempt this.
VENUEDESK_SMS_TIMEOUT = env.int("VENUEDESK_SMS_TIMEOUT", default=10)
# -- end of notification delivery --
# -- Celery (issue 13): workers on a broker, or nothing but Python --
# With a broker (redis://127.0.0.1:6379/1), notifications are delivered by Celery workers
# (`celery -A config worker`) and `celery -A config beat` runs the schedule below. Without
# one, tasks run eagerly in the calling process, and notifications go to the background
# thread (VENUEDESK_NOTIFICATION_DELIVERY's default follows the broker).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks record their work in the database
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hold up the request whose commit hands rows over: give up
# quickly, the rows stay pending and the next sweep queues them.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
VENUEDESK_NOTIFICATION_DELIVERY = env.str(
    "VENUEDESK_NOTIFICATION_DELIVERY", default="celery" if CELERY_BROKER_URL else "background"
)
# Customers get a reminder this many hours before their approved booking starts (0: none).
VENUEDESK_REMINDER_HOURS = env.int("VENUEDESK_REMINDER_HOURS", default=24)
# What `celery beat` runs, every so many seconds.
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "bookings.sweep_outbox",
        "schedule": env.float("VENUEDESK_SWEEP_SECONDS", default=60),
    },
    "send-reminders": {
        "task": "bookings.send_reminders",
        "schedule": env.float("VENUEDESK_REMINDER_SWEEP_SECONDS", default=600),
    },
    "mark-no-shows": {
        "task": "bookings.mark_no_shows",
        "schedule": env.float("VENUEDESK_NO_SHOW_SWEEP_SECONDS", default=300),
    },
}
# -- end of Celery --
# -- Webhooks (issue 13) --
# How new deliveries are handed over after commit ("celery" tasks, the default with a
# broker; "background" thread, the default without; or "inline"),
# the connect / read timeouts of one POST (seconds), the attempts before a delivery is
# given up (retries wait VENUEDESK_WEBHOOK_RETRY_SECONDS, doubling each time, up to 6 h),
# and whether endpoints may be on private, loopback or link-local addresses (always
# allowed with DJANGO_DEBUG on; never in production unless this says so).
VENUEDESK_WEBHOOK_DELIVERY = env.str(
    "VENUEDESK_WEBHOOK_DELIVERY", default="celery" if CELERY_BROKER_URL else "background"
)
VENUEDESK_WEBHOOK_CONNECT_TIMEOUT = env.float("VENUEDESK_WEBHOOK_CONNECT_TIMEOUT", default=3.0)
VENUEDESK_WEBHOOK_READ_TIMEOUT = env.float("VENUEDESK_WEBHOOK_READ_TIMEOUT", default=10.0)
VENUEDESK_WEBHOOK_MAX_ATTEMPTS = env.int("VENUEDESK_WEBHOOK_MAX_ATTEMPTS", default=10)
VENUEDESK_WEBHOOK_RETRY_SECONDS = env.int("VENUEDESK_WEBHOOK_RETRY_SECONDS", default=30)
VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = env.bool("VENUEDESK_WEBHOOKS_ALLOW_PRIVATE", default=False)
# -- end of webhooks --
# How long an Idempotency-Key's answer is replayed (then `purge_idempotency_keys` drops it).
VENUEDESK_IDEMPOTENCY_HOURS = env.int("VENUEDESK_IDEMPOTENCY_HOURS", default=24)
VENUEDESK_SITE_URL = env.str("VENUEDESK_SITE_URL", default="http://127.0.0.1:8000")

# The shared cache (core.cache) where the public rate limit counts
# (core.api.throttling), by client address (core.http, VENUEDESK_TRUSTED_PROXIES above).
# Rate-limit counts must be shared by every worker process: a table in the database by
# default (`migrate` creates it), Redis when VENUEDESK_CACHE_URL says so
# (redis://127.0.0.1:6379/0). Django's own Redis client, even if django-redis is
# installed; the project's database cache, whose incr() is atomic.
_CACHE_URL = env.str("VENUEDESK_CACHE_URL", default="") or "dbcache://venuedesk_cache"
_CACHE_BACKENDS = {
    "dbcache": "core.cache.DatabaseCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "rediss": "django.core.cache.backends.redis.RedisCache",
}
CACHES = {
    "default": environ.Env.cache_url_config(
        _CACHE_URL, backend=_CACHE_BACKENDS.get(_CACHE_URL.partition("://")[0])
    )
}
if CACHES["default"]["BACKEND"] == "core.cache.DatabaseCache":
    # Past MAX_ENTRIES rows a write first deletes the expired ones, then a third of the
    # rest, counts included: keep well above the clients seen in one window.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10_000)

# The customer's pages (public/): form submissions per client address in each window
# ("N/second|minute|hour|day"), counted in the shared cache like the API's rate
# (core.ratelimit; a view takes it with public.views.common.rate_limited). And how many
# e-mails with booking links one address may be sent (the "lost link" form), whoever asks.
VENUEDESK_PAGE_RATES = {
    # What a customer sends: a booking, a change, a cancellation, a lost-link request.
    "public_pages": env.str("VENUEDESK_PUBLIC_PAGE_RATE", default="20/minute"),
    # The slot lists the booking and change forms fetch as the customer picks (each one
    # looks at the calendar): many more, but not unbounded.
    "public_slots": env.str("VENUEDESK_PUBLIC_SLOTS_RATE", default="120/minute"),
    # -- Calendar feeds (issue 13) --
    # Fetches of staff calendar feeds (/calendars/<token>.ics) per client address: apps
    # poll every few minutes, but one calendar service fetches many feeds from one address.
    "calendar_feeds": env.str("VENUEDESK_CALENDAR_FEED_RATE", default="120/minute"),
}
VENUEDESK_LINKS_PER_ADDRESS_RATE = env.str("VENUEDESK_LINKS_PER_ADDRESS_RATE", default="5/hour")

# REST API: API keys (X-Api-Key) or staff sessions; one error shape; page + per_page.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.access.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.HasRight"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.errors.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"public": env.str("VENUEDESK_PUBLIC_RATE", default="30/minute")},
    "NUM_PROXIES": VENUEDESK_TRUSTED_PROXIES,
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.api.errors.ExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "core.api.errors.ExceptionFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # 413 (a body over DATA_UPLOAD_MAX_MEMORY_SIZE) is documented besides the usual ones.
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "413",
        "415",
        "429",
        "500",
    ],
}
_ERROR_ENUMS = "drf_standardized_errors.openapi_serializers"
SPECTACULAR_SETTINGS = {
    "TITLE": "Venuedesk API",
    "DESCRIPTION": "Bookings of spaces, event tickets and equipment. Authenticate with an "
    "API key in the X-Api-Key header.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # the schema is public
    "SWAGGER_UI_DIST": "SIDECAR",
    # Never the online validator badge, an image from validator.swagger.io that Swagger UI
    # may show on a non-local host (with the schema's address in it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "ActorKindEnum": "core.actors.ActorKind",
        "EventStatusEnum": "venues.models.Event.Status",
        "ErrorCodeEnum": "core.errors.ErrorCode",
        "ConflictReasonEnum": "core.errors.ConflictReason",
        "BlockoutReasonEnum": "venues.models.Blockout.Reason",
        "ValidationErrorEnum": f"{_ERROR_ENUMS}.ValidationErrorEnum.choices",
        "ClientErrorEnum": f"{_ERROR_ENUMS}.ClientErrorEnum.choices",
        "ServerErrorEnum": f"{_ERROR_ENUMS}.ServerErrorEnum.choices",
        "ErrorCode401Enum": f"{_ERROR_ENUMS}.ErrorCode401Enum.choices",
        "ErrorCode403Enum": f"{_ERROR_ENUMS}.ErrorCode403Enum.choices",
        "ErrorCode404Enum": f"{_ERROR_ENUMS}.ErrorCode404Enum.choices",
        "ErrorCode405Enum": f"{_ERROR_ENUMS}.ErrorCode405Enum.choices",
        "ErrorCode406Enum": f"{_ERROR_ENUMS}.ErrorCode406Enum.choices",
        "ErrorCode415Enum": f"{_ERROR_ENUMS}.ErrorCode415Enum.choices",
        "ErrorCode429Enum": f"{_ERROR_ENUMS}.ErrorCode429Enum.choices",
        "ErrorCode500Enum": f"{_ERROR_ENUMS}.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "core.api.errors.document_error_codes",
    ],
}
