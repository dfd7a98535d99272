"""Settings, all overridable from the environment.

Zero-setup default (``make run``): SQLite file, Celery eager, local-memory cache.
Production and ``make test``: DATABASE_URL on PostgreSQL, REDIS_URL for the shared cache,
CELERY_BROKER_URL for a real broker.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from orbit_numbers.db_settings import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY, HTTPS, cookies and the CSP: the hardening block at the end of this file.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Django's admin with the operations dashboard as its site (orbit_numbers/admin_site.py).
    "orbit_numbers.admin_apps.OrbitAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to WhiteNoise, as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "orbit_numbers",
    "billing",
    "inventory",
    "porting",
]

MIDDLEWARE = [
    "orbit_numbers.api.middleware.RequestIdMiddleware",
    # Access log line and request metrics for every response, health probes and static files included.
    "orbit_numbers.observability.middleware.RequestObservabilityMiddleware",
    # /healthz and /readyz answer before host validation and HTTPS redirects (probes use the pod IP, plain HTTP).
    "orbit_numbers.observability.health.HealthCheckMiddleware",
    "orbit_numbers.api.middleware.ApiErrorsAsJsonMiddleware",  # under /api/, never an HTML error page
    "django.middleware.security.SecurityMiddleware",
    # Static files in every mode (make run, make serve): compressed, hashed names cached forever.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "orbit_numbers.api.middleware.ApiCommonMiddleware",  # CommonMiddleware, no slash redirects under /api/
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "orbit_numbers.api.middleware.ApiExceptionMiddleware",
]

ROOT_URLCONF = "orbit_numbers.urls"
CSRF_FAILURE_VIEW = "orbit_numbers.api.handlers.api_aware_csrf_failure"
WSGI_APPLICATION = "orbit_numbers.wsgi.application"

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

# Connections (orbit_numbers/db_settings.py, DEPLOY.md): a psycopg pool per web worker (DB_POOL,
# on under gunicorn.conf.py) or per-thread connections kept DB_CONN_MAX_AGE seconds; health-checked.
DATABASES = {
    "default": database_settings(os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
                                 env=os.environ),
}
# Optional read replica: the API's list and search reads go there (orbit_numbers/db_router.py).
# It gets a pool of its own, sized like the primary's. Under test it mirrors the test database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **database_settings(os.environ["DATABASE_REPLICA_URL"], env=os.environ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["orbit_numbers.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
if _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "orbit"),
            # Each thread's cache client keeps a redis-py connection pool for the life of the process
            # (Django never closes it between requests), so a request reuses an open connection.
            "OPTIONS": {
                # A Redis that stops answering fails fast (readiness probe, rate limits) instead of hanging.
                "socket_connect_timeout": float(os.environ.get("CACHE_CONNECT_TIMEOUT_SECONDS", "2")),
                "socket_timeout": float(os.environ.get("CACHE_TIMEOUT_SECONDS", "2")),
                # A connection idle longer than this is PINGed before use, so one a proxy or Redis's own
                # `timeout` dropped is replaced instead of failing the request; keepalive spots dead peers.
                "health_check_interval": int(os.environ.get("CACHE_HEALTH_CHECK_SECONDS", "30")),
                "socket_keepalive": True,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here and WhiteNoise serves from here (make run and make serve run collectstatic).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": os.environ.get("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    # Hashed, pre-compressed copies; with DEBUG on, templates link the plain names and nothing needs collecting.
    # The test suite links plain names too (tests/conftest.py), so `make test` needs no collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Request bodies: JSON (and form) bodies, and the non-file fields of a multipart body, are refused over
# this with 413. File parts do not count: the two upload endpoints take up to 25 MB and refuse a larger
# body from its Content-Length before reading it (orbit_numbers/files/api.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("ORBIT_JSON_BODY_MAX_BYTES", str(1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "orbit-numbers@localhost")
STAFF_ALERT_EMAILS = env_list("STAFF_ALERT_EMAILS", "ops@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["orbit_numbers.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["orbit_numbers.api.auth.HasRequiredScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orbit_numbers.api.parsers.OrbitJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "orbit_numbers.api.openapi.OrbitAutoSchema",
    "EXCEPTION_HANDLER": "orbit_numbers.api.exception_handler.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Orbit Numbers API",
    "DESCRIPTION": ("Search, buy, hold, route and port virtual phone numbers, paid from a prepaid wallet. "
                    "Webhooks (event catalogue, envelope, signature verification): [/api/docs/webhooks/](/api/docs/webhooks/)."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI and Redoc assets are served from this app, not a CDN: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "GET_LIB_DOC_EXCLUDES": "orbit_numbers.api.openapi.lib_doc_excludes",
    # A string field that refuses "" says so (minLength: 1), so generated clients and fuzzers agree.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # The default enum hook first; then OpenAPI links between operations (create → get/act), which
    # documentation readers and the contract fuzzer (make fuzz) follow.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orbit_numbers.api.schema_links.postprocess_schema_links",
        "orbit_numbers.api.schema.postprocess_required_bodies",
        "orbit_numbers.api.schema.postprocess_payload_too_large",
    ],
    # One name per choice set that several components or fields share (e.g. "type", "capabilities");
    # model choices are matched with their labels, so serializers use Model.Choices.choices.
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "orbit_numbers.api.schema.COUNTRY_CODES",
        "LineTypeEnum": "inventory.models.LineType",
        "ProviderEnum": "inventory.models.Provider",
        "NumberStatusEnum": "inventory.models.OwnedNumber.Status",
        "RouteTypeEnum": "inventory.models.RouteType",
        "SmsRouteTypeEnum": "inventory.models.SmsRouteType",
        "LedgerEntryKindEnum": "billing.models.LedgerEntry.Kind",
        "SearchCapabilityEnum": "inventory.api.fields.SEARCH_CAPABILITIES",
        "PurchaseCapabilityEnum": "inventory.api.fields.PURCHASE_CAPABILITIES",
        "NumberCapabilityEnum": "inventory.api.fields.OWNED_CAPABILITIES",
        "ErrorCodeEnum": "orbit_numbers.api.openapi.ERROR_CODES",
        "PortStatusEnum": "porting.models.PortStatus",
        "PortOutStatusEnum": "porting.models.PortOutStatus",
        "TrueEnum": [(True, True)],  # a boolean that must be true (the LoA signer's acknowledgement)
        "ReservationStatusEnum": "inventory.models.BulkReservation.Status",
        "ReservationItemStatusEnum": "inventory.models.BulkReservationItem.Status",
        # --- E911 ---
        "EmergencyCountryEnum": "inventory.models.emergency.EMERGENCY_COUNTRIES",
        "EmergencyStatusEnum": "inventory.models.emergency.EmergencyAssignment.PUBLIC_STATUSES",
        # --- number lookup and CNAM dip ---
        "LookupFieldEnum": "inventory.providers.base.LOOKUP_FIELDS",
        "LookupChargedFieldEnum": "inventory.api.lookup.CHARGEABLE_FIELDS",
        "LookupLineTypeEnum": "inventory.api.lookup.LOOKUP_LINE_TYPES",
        "RoamingStatusEnum": "inventory.api.lookup.ROAMING_STATUSES",
        "CallerTypeEnum": "inventory.providers.base.CALLER_TYPES",
        "NumberLookupKindEnum": "inventory.models.NumberLookup.Kind",
        "ReadinessStatusEnum": "porting.readiness.base.Status.CHOICES",
        "ReadinessKindEnum": "porting.readiness.targets.KINDS",
        "ComplianceActionEnum": "inventory.models.ComplianceAction",
        "ComplianceProfileStatusEnum": "inventory.models.ComplianceProfile.Status",
        "DocumentSourceEnum": "inventory.models.DocumentSource",
        # --- API key management ---
        "ApiKeyStatusEnum": "orbit_numbers.api.api_keys.STATUSES",
        "ApiKeyScopeEnum": "orbit_numbers.models.SCOPES",
        # --- webhooks ---
        "WebhookEventTypeEnum": "orbit_numbers.webhooks.catalogue.EVENT_NAMES",
        "WebhookEventFilterEnum": "orbit_numbers.webhooks.catalogue.EVENT_FILTERS",
        "WebhookDeliveryStatusEnum": "orbit_numbers.webhooks.models.WebhookDelivery.Status",
        # --- top-ups ---
        "TopUpStatusEnum": "billing.models_top_ups.TopUp.Status",
    },
}

# Celery: eager unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
# At-least-once: a task is acknowledged after it ran, and requeued when its worker process dies
# mid-task (SIGKILL, OOM); every task is idempotent, so a second run is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a busy worker does not sit on messages another could run
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged message after this; it must outlast the longest countdown
# (webhook backoff: at most an hour) and the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "7200"))}
# Soft limit: SoftTimeLimitExceeded inside the task (its transaction rolls back); hard: the process is killed.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "360"))
# Two queues, so a slow carrier never delays expiry or renewals: "carrier" (calls to carriers and
# webhook receivers) and "housekeeping" (database sweeps). Exact names first, then patterns in order.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "inventory.tasks.notify_low_stock": {"queue": "carrier"},
    "inventory.tasks.release_at_carriers": {"queue": "carrier"},
    "inventory.tasks.submit_cnam_listing": {"queue": "carrier"},
    "inventory.tasks.refresh_cnam_listings": {"queue": "carrier"},
    "inventory.tasks.refresh_spam_labels": {"queue": "carrier"},
    "inventory.tasks.provision_emergency_address": {"queue": "carrier"},
    "inventory.tasks.recheck_emergency_provisioning": {"queue": "carrier"},
    "inventory.tasks.compute_number_health": {"queue": "housekeeping"},
    "inventory.tasks.expire_compliance_profiles": {"queue": "housekeeping"},
    "*.reconcile_carrier_orders": {"queue": "carrier"},
    "porting.tasks.*": {"queue": "carrier"},
    "orbit_numbers.webhooks.*": {"queue": "carrier"},
    "inventory.tasks.*": {"queue": "housekeeping"},
    "orbit_numbers.tasks.*": {"queue": "housekeeping"},
    # Trial reclaims are database work only (the pool's numbers stay at their carrier).
    "inventory.tasks.reclaim_expired_trials": {"queue": "housekeeping"},
    # Lifecycle sweeps: database work only (carrier releases leave through release_at_carriers).
    "inventory.tasks.release_scheduled_numbers": {"queue": "housekeeping"},
    "inventory.tasks.retry_organization_renewals": {"queue": "housekeeping"},
    # Calls the 10DLC registry (the carrier's API); an exact name wins over the patterns above.
    "inventory.tasks.refresh_ten_dlc_vetting": {"queue": "carrier"},
    # Carrier calls: listing inventory and ordering numbers into stock.
    "inventory.tasks.sync_carrier_inventory": {"queue": "carrier"},
    "inventory.tasks.replenish_low_stock": {"queue": "carrier"},
    "inventory.tasks.sweep_replenish_orders": {"queue": "carrier"},
    # Asks the payment provider: I/O like a carrier call.
    "billing.tasks.sync_processing_top_ups": {"queue": "carrier"},
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-reservations": {"task": "inventory.tasks.expire_reservations", "schedule": timedelta(minutes=1)},
    "charge-renewals": {"task": "inventory.tasks.charge_renewals", "schedule": timedelta(hours=1)},
    "return-aged-numbers": {"task": "inventory.tasks.return_aged_numbers", "schedule": timedelta(hours=1)},
    "purge-idempotency-keys": {"task": "orbit_numbers.tasks.purge_idempotency_records", "schedule": timedelta(hours=1)},
    "poll-open-port-requests": {"task": "porting.tasks.poll_open_port_requests", "schedule": timedelta(minutes=5)},
    "sweep-stale-port-dispatches": {"task": "porting.tasks.sweep_stale_port_dispatches",
                                    "schedule": timedelta(minutes=5)},
    "deliver-due-webhooks": {"task": "orbit_numbers.webhooks.deliver_due_webhook_events",
                             "schedule": timedelta(minutes=1)},
    "check-low-stock": {"task": "inventory.tasks.check_low_stock", "schedule": timedelta(minutes=15)},
    "reconcile-carrier-orders": {"task": "inventory.tasks.reconcile_carrier_orders",
                                 "schedule": timedelta(minutes=5)},
    "refresh-cnam-listings": {"task": "inventory.tasks.refresh_cnam_listings", "schedule": timedelta(minutes=5)},
    "refresh-spam-labels": {"task": "inventory.tasks.refresh_spam_labels", "schedule": timedelta(hours=1)},
    "recheck-emergency-provisioning": {"task": "inventory.tasks.recheck_emergency_provisioning",
                                       "schedule": timedelta(minutes=5)},
    "compute-number-health": {"task": "inventory.tasks.compute_number_health", "schedule": timedelta(hours=1)},
    "expire-compliance-profiles": {"task": "inventory.tasks.expire_compliance_profiles",
                                   "schedule": timedelta(hours=1)},
    # Trial loans past their expiry go back to the pool; those expiring within a day are warned once.
    "reclaim-expired-trials": {"task": "inventory.tasks.reclaim_expired_trials", "schedule": timedelta(minutes=15)},
    # Numbers whose customer-scheduled release_at has come are released (inventory/services/lifecycle.py).
    "release-scheduled-numbers": {"task": "inventory.tasks.release_scheduled_numbers",
                                  "schedule": timedelta(minutes=5)},
    # Polls the registry for 10DLC brands and campaigns still pending vetting.
    "refresh-ten-dlc-vetting": {"task": "inventory.tasks.refresh_ten_dlc_vetting", "schedule": timedelta(minutes=5)},
    # Mirror the synced pools from their carriers: add new offers, reprice, retire what is gone.
    "sync-carrier-inventory": {"task": "inventory.tasks.sync_carrier_inventory", "schedule": timedelta(hours=6)},
    # Auto-replenish orders whose task was lost or whose worker died mid-order.
    "sweep-replenish-orders": {"task": "inventory.tasks.sweep_replenish_orders", "schedule": timedelta(minutes=15)},
    # Top-ups whose provider callback never came: ask the provider (same as `manage.py sync_top_ups`).
    "sync-processing-top-ups": {"task": "billing.tasks.sync_processing_top_ups", "schedule": timedelta(minutes=10)},
}

# Orbit business settings.
ORBIT = {
    # Which adapter serves each carrier: "simulator" (offline default), "telnyx" or "didww".
    "PROVIDER_BACKENDS": {
        "devotel": os.environ.get("ORBIT_PROVIDER_DEVOTEL", "simulator"),
        "telnyx": os.environ.get("ORBIT_PROVIDER_TELNYX", "simulator"),
        "didww": os.environ.get("ORBIT_PROVIDER_DIDWW", "simulator"),
    },
    "SIMULATOR_LATENCY_MS": int(os.environ.get("ORBIT_SIMULATOR_LATENCY_MS", "0")),
    # Numbers whose national digits end with one of these suffixes fail at the simulated carrier.
    "SIMULATOR_FAIL_SUFFIXES": env_list("ORBIT_SIMULATOR_FAIL_SUFFIXES", "9999"),
    "TELNYX_BASE_URL": os.environ.get("TELNYX_BASE_URL", "https://api.telnyx.com/v2"),
    "TELNYX_API_KEY": os.environ.get("TELNYX_API_KEY", ""),
    "DIDWW_BASE_URL": os.environ.get("DIDWW_BASE_URL", "https://api.didww.com/v3"),
    "DIDWW_API_KEY": os.environ.get("DIDWW_API_KEY", ""),
    "HTTP_TIMEOUT_SECONDS": float(os.environ.get("ORBIT_HTTP_TIMEOUT_SECONDS", "10")),
    "HTTP_MAX_RETRIES": int(os.environ.get("ORBIT_HTTP_MAX_RETRIES", "3")),
    # Carrier HTTP retries wait 2^n × HTTP_BACKOFF_SECONDS (or Retry-After), at most HTTP_MAX_BACKOFF_SECONDS.
    "HTTP_BACKOFF_SECONDS": float(os.environ.get("ORBIT_HTTP_BACKOFF_SECONDS", "0.5")),
    "HTTP_MAX_BACKOFF_SECONDS": float(os.environ.get("ORBIT_HTTP_MAX_BACKOFF_SECONDS", "30")),
    # A released number rests this long before it returns to sale.
    "RELEASE_AGING_DAYS": int(os.environ.get("ORBIT_RELEASE_AGING_DAYS", "30")),
    # An unpaid monthly renewal is retried this long before the number is released.
    "RENEWAL_GRACE_DAYS": int(os.environ.get("ORBIT_RENEWAL_GRACE_DAYS", "7")),
    "IDEMPOTENCY_TTL_HOURS": int(os.environ.get("ORBIT_IDEMPOTENCY_TTL_HOURS", "24")),
    # An Idempotency-Key whose request has run longer than this is taken over by a retry (the first
    # process is presumed dead; if it is not, its effect is refused). Longer than any request may run.
    "IDEMPOTENCY_LEASE_SECONDS": int(os.environ.get("ORBIT_IDEMPOTENCY_LEASE_SECONDS", "120")),
    # A carrier call inside a database transaction holds its row locks for the call's seconds:
    # "raise" (tests) refuses it, "log" (default) logs it with a stack.
    "CARRIER_TRANSACTION_GUARD": os.environ.get("ORBIT_CARRIER_TRANSACTION_GUARD", "log"),
    # Per-key default budget for every API endpoint; named endpoints have their own tighter limits.
    "DEFAULT_RATE_LIMIT_PER_MINUTE": int(os.environ.get("ORBIT_DEFAULT_RATE_LIMIT_PER_MINUTE", "600")),
    # Every rate limit (the per-key default and the named per-organisation ones) is multiplied by this.
    # Keep 1 in production; test harnesses (make fuzz) raise it so limits do not mask behaviour.
    "RATE_LIMIT_MULTIPLIER": float(os.environ.get("ORBIT_RATE_LIMIT_MULTIPLIER", "1")),
    # Files: signed download URLs are minted for this base, never the request's Host, and expire.
    # Default: where `make run` serves; required in production (the hardening block below).
    "PUBLIC_BASE_URL": (os.environ.get("ORBIT_PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
    "FILE_URL_TTL_SECONDS": int(os.environ.get("ORBIT_FILE_URL_TTL_SECONDS", str(7 * 24 * 3600))),
    # Webhooks: delivery attempts before an event is marked failed (exponential backoff between).
    "WEBHOOK_MAX_ATTEMPTS": int(os.environ.get("ORBIT_WEBHOOK_MAX_ATTEMPTS", "8")),
    # A deliverer's claim on an event lasts this long (longer than one POST with its timeout); a
    # crashed deliverer's event is retried once it runs out.
    "WEBHOOK_CLAIM_SECONDS": int(os.environ.get("ORBIT_WEBHOOK_CLAIM_SECONDS", "60")),
    # Signs staff/operations webhooks (e.g. low stock) like organisations' ones; unsigned when unset.
    "STAFF_WEBHOOK_SECRET": os.environ.get("ORBIT_STAFF_WEBHOOK_SECRET", ""),
    # An approved compliance profile stays valid this long unless the customer or the reviewer set valid_until.
    "COMPLIANCE_PROFILE_VALIDITY_DAYS": int(os.environ.get("ORBIT_COMPLIANCE_PROFILE_VALIDITY_DAYS", "365")),
    # Porting.
    # Fernet key (urlsafe base64, 32 bytes) for carrier account PINs at rest; derived from
    # SECRET_KEY when unset.
    "PORTING_ENCRYPTION_KEY": os.environ.get("ORBIT_PORTING_ENCRYPTION_KEY", ""),
    "PORT_SUPPLEMENT_WINDOW_DAYS": int(os.environ.get("ORBIT_PORT_SUPPLEMENT_WINDOW_DAYS", "7")),
    # A port request claimed for a carrier call longer ago than this was left by a process that
    # died mid-dispatch; the sweep settles it. Longer than a carrier call with all its retries.
    "PORT_DISPATCH_CLAIM_SECONDS": int(os.environ.get("ORBIT_PORT_DISPATCH_CLAIM_SECONDS", "300")),
    # Monthly price of a ported-in number per line type, in cents, when inventory has no price for it.
    "PORTED_NUMBER_MONTHLY_CENTS": {"local": 100, "mobile": 200, "toll_free": 200},
    # Port-out PIN lockout: this many wrong PINs within the window lock port-outs of the number.
    "PORT_OUT_PIN_MAX_FAILURES": int(os.environ.get("ORBIT_PORT_OUT_PIN_MAX_FAILURES", "5")),
    "PORT_OUT_PIN_WINDOW_MINUTES": int(os.environ.get("ORBIT_PORT_OUT_PIN_WINDOW_MINUTES", "15")),
    "PORT_OUT_PIN_LOCK_MINUTES": int(os.environ.get("ORBIT_PORT_OUT_PIN_LOCK_MINUTES", "30")),
    # Simulator porting: each stage (carrier_review → foc_assigned → foc_scheduled → completed)
    # takes this long; numbers ending with a key of SIMULATOR_PORT_REJECT_SUFFIXES are rejected
    # with that reject code; SIMULATOR_PORT_INELIGIBLE_SUFFIXES fail the portability check.
    "SIMULATOR_PORT_STAGE_SECONDS": float(os.environ.get("ORBIT_SIMULATOR_PORT_STAGE_SECONDS", "60")),
    "SIMULATOR_PORT_REJECT_SUFFIXES": {"0401": "ACCOUNT_NUMBER_MISMATCH", "0402": "PASSCODE_PIN_INVALID",
                                       "0403": "ENTITY_NAME_MISMATCH", "0404": "BTN_ATN_MISMATCH"},
    "SIMULATOR_PORT_INELIGIBLE_SUFFIXES": env_list("ORBIT_SIMULATOR_PORT_INELIGIBLE_SUFFIXES", "0000"),
    # The operations dashboard flags wallets of active organisations below this balance.
    "LOW_WALLET_THRESHOLD_CENTS": int(os.environ.get("ORBIT_LOW_WALLET_THRESHOLD_CENTS", "1000")),
    # Staff wallet adjustments above this (absolute, in cents) wait for a second staff member's approval.
    "WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS": int(
        os.environ.get("ORBIT_WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS", "50000")),
    # Low-stock alerts are also POSTed here (JSON) when set; staff are always mailed (STAFF_ALERT_EMAILS).
    "LOW_STOCK_WEBHOOK_URL": os.environ.get("ORBIT_LOW_STOCK_WEBHOOK_URL", ""),
    # Absolute links in staff e-mails point here (e.g. https://ops.example.com).
    "CONSOLE_BASE_URL": os.environ.get("ORBIT_CONSOLE_BASE_URL", ""),
    # Tenant exports (GET /api/v1/numbers/export) per organisation per minute.
    "EXPORT_RATE_LIMIT_PER_MINUTE": int(os.environ.get("ORBIT_EXPORT_RATE_LIMIT_PER_MINUTE", "10")),
    # --- caller ID: CNAM listings and spam labels ---
    # A CNAM submission the carrier could not take is retried by the refresh job this many times, then failed.
    "CNAM_SUBMIT_MAX_ATTEMPTS": int(os.environ.get("ORBIT_CNAM_SUBMIT_MAX_ATTEMPTS", "5")),
    # Spam labels older than this are read again from the analytics providers by the sweep.
    "SPAM_LABEL_REFRESH_HOURS": int(os.environ.get("ORBIT_SPAM_LABEL_REFRESH_HOURS", "24")),
    # Simulator: a CNAM listing is decided (listed or rejected) this long after submission.
    "SIMULATOR_CNAM_LISTING_SECONDS": float(os.environ.get("ORBIT_SIMULATOR_CNAM_LISTING_SECONDS", "120")),
    # Simulator: caller names containing another brand (spaces ignored) are rejected as impersonation.
    "SIMULATOR_CNAM_BRAND_NAMES": env_list("ORBIT_SIMULATOR_CNAM_BRAND_NAMES",
                                           "AMAZON,APPLE,GOOGLE,MICROSOFT,PAYPAL,WELLS FARGO,CHASE,MEDICARE,NETFLIX"),
    # Simulator: caller names with one of these words are rejected (official, emergency, prize wording).
    "SIMULATOR_CNAM_BLOCKED_WORDS": env_list("ORBIT_SIMULATOR_CNAM_BLOCKED_WORDS",
                                             "POLICE,SHERIFF,IRS,FBI,911,EMERGENCY,WINNER,LOTTERY,FREE"),
    # Simulator: each analytics provider (hiya, tns, first_orion) flags this percentage of numbers.
    "SIMULATOR_SPAM_FLAG_PERCENT": int(os.environ.get("ORBIT_SIMULATOR_SPAM_FLAG_PERCENT", "15")),
    # --- number lookup and CNAM dip ---
    # Price per lookup field in cents (0 = free); line_type comes from the numbering plan, so it is free.
    "LOOKUP_PRICES_CENTS": {"carrier": 1, "line_type": 0, "portability": 1, "sim_swap": 5, "roaming": 3},
    # Price of one CNAM dip (caller-name lookup) in cents.
    "CNAM_DIP_PRICE_CENTS": int(os.environ.get("ORBIT_CNAM_DIP_PRICE_CENTS", "1")),
    # How long a looked-up field (or dipped caller name) is served from the cache without a new charge.
    "LOOKUP_CACHE_SECONDS": int(os.environ.get("ORBIT_LOOKUP_CACHE_SECONDS", str(24 * 3600))),
    # The carrier that answers lookups and dips (Telnyx has a Number Lookup API; simulator by default).
    "LOOKUP_PROVIDER": os.environ.get("ORBIT_LOOKUP_PROVIDER", "telnyx"),
    # Lookups and CNAM dips per organisation per minute (each has its own budget).
    "LOOKUP_RATE_LIMIT_PER_MINUTE": int(os.environ.get("ORBIT_LOOKUP_RATE_LIMIT_PER_MINUTE", "60")),
    # E911: the carrier that validates tenants' dispatchable addresses (Telnyx serves US/CA).
    "EMERGENCY_ADDRESS_PROVIDER": os.environ.get("ORBIT_EMERGENCY_ADDRESS_PROVIDER", "telnyx"),
    # A provisioning or removal still in flight this long after its last change is sent to the carrier again.
    "EMERGENCY_RECHECK_MINUTES": int(os.environ.get("ORBIT_EMERGENCY_RECHECK_MINUTES", "10")),
    # Simulated E911: provisioning on numbers ending with these suffixes is refused by the PSAP;
    # street names containing these words are unknown to the simulated address guide.
    "SIMULATOR_E911_FAIL_SUFFIXES": env_list("ORBIT_SIMULATOR_E911_FAIL_SUFFIXES", "0911"),
    "SIMULATOR_E911_UNKNOWN_STREETS": env_list("ORBIT_SIMULATOR_E911_UNKNOWN_STREETS", "Nowhere,Nonexistent"),
    # --- number health and reputation ---
    # The health score reads this many days of usage counters (today included).
    "HEALTH_WINDOW_DAYS": int(os.environ.get("ORBIT_HEALTH_WINDOW_DAYS", "14")),
    # Points each factor is worth (they sum to 100: a number perfect on every factor scores 100).
    "HEALTH_WEIGHTS": {"delivery_rate": 30, "answer_rate": 15, "complaint_rate": 20, "spam_flags": 15,
                       "warming": 10, "age": 10},
    # A number is fully seasoned (all the age points) after this many days with its owner.
    "HEALTH_SEASONED_DAYS": int(os.environ.get("ORBIT_HEALTH_SEASONED_DAYS", "90")),
    # Numbers scored per transaction by compute_number_health (constant queries per batch).
    "HEALTH_BATCH_SIZE": int(os.environ.get("ORBIT_HEALTH_BATCH_SIZE", "500")),
    # Usage may be reported for days at most this old (and never for a future day).
    "USAGE_MAX_AGE_DAYS": int(os.environ.get("ORBIT_USAGE_MAX_AGE_DAYS", "90")),
    # Daily message caps of a new number: day 1 of its tenure is the first entry; unrestricted after the last.
    "WARMING_PLAN": [50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 700, 800, 900, 1000],
    # A reputation alert opens when a score falls by at least this many points at once …
    "REPUTATION_DROP_ALERT_POINTS": int(os.environ.get("ORBIT_REPUTATION_DROP_ALERT_POINTS", "15")),
    # … or below this floor; it resolves once the score is back above the floor and within the margin
    # of where it was before the drop.
    "REPUTATION_SCORE_FLOOR": int(os.environ.get("ORBIT_REPUTATION_SCORE_FLOOR", "50")),
    "REPUTATION_RECOVERY_MARGIN": int(os.environ.get("ORBIT_REPUTATION_RECOVERY_MARGIN", "5")),
    # Readiness pre-flights (POST /api/v1/numbers/readiness; they may ask carriers) per organisation per minute.
    "READINESS_RATE_LIMIT_PER_MINUTE": int(os.environ.get("ORBIT_READINESS_RATE_LIMIT_PER_MINUTE", "20")),
    # Sub-organisations one parent organisation may have (parents move numbers between them).
    "MAX_SUB_ORGANIZATIONS": int(os.environ.get("ORBIT_MAX_SUB_ORGANIZATIONS", "25")),
    # Trial loans are warned this many hours before they expire (trial.number_expiring, once).
    "TRIAL_EXPIRY_WARNING_HOURS": int(os.environ.get("ORBIT_TRIAL_EXPIRY_WARNING_HOURS", "24")),
    # Proxies (IPs or CIDRs) whose X-Forwarded-For is believed when finding the client IP; empty: none (DEPLOY.md).
    "TRUSTED_PROXIES": env_list("ORBIT_TRUSTED_PROXIES", ""),
    # At most this many networks in one API key's IP allowlist.
    "API_KEY_IP_ALLOWLIST_MAX": int(os.environ.get("ORBIT_API_KEY_IP_ALLOWLIST_MAX", "50")),
    # A rotated key's previous secret may keep working at most this long (the rotate call's overlap_seconds).
    "API_KEY_ROTATION_MAX_OVERLAP_SECONDS": int(os.environ.get("ORBIT_API_KEY_ROTATION_MAX_OVERLAP_SECONDS", "86400")),
    # --- 10DLC registration ---
    # The carrier whose adapter registers 10DLC brands and campaigns (Telnyx; its backend may be the simulator).
    "TEN_DLC_PROVIDER": os.environ.get("ORBIT_TEN_DLC_PROVIDER", "telnyx"),
    # Simulated 10DLC vetting finishes (verified or rejected) this long after a submission.
    "SIMULATOR_TEN_DLC_VETTING_SECONDS": float(os.environ.get("ORBIT_SIMULATOR_TEN_DLC_VETTING_SECONDS", "300")),
    # Simulated 10DLC: brands whose tax id ends with one of these are rejected (the registry cannot match the EIN).
    "SIMULATOR_TEN_DLC_REJECT_TAX_ID_SUFFIXES": env_list("ORBIT_SIMULATOR_TEN_DLC_REJECT_TAX_ID_SUFFIXES", "0000"),
    # Simulated 10DLC: campaigns with one of these words in a sample message are rejected (prohibited content).
    "SIMULATOR_TEN_DLC_BANNED_WORDS": env_list("ORBIT_SIMULATOR_TEN_DLC_BANNED_WORDS",
                                               "CANNABIS,CBD,LOAN,CASINO,GAMBLING,FIREARMS,PAYDAY"),
    # Webhook endpoints an organisation may register.
    "WEBHOOK_MAX_ENDPOINTS": int(os.environ.get("ORBIT_WEBHOOK_MAX_ENDPOINTS", "10")),
    # An endpoint whose deliveries have all failed for this many days is disabled (and the tenant told).
    "WEBHOOK_DISABLE_AFTER_DAYS": int(os.environ.get("ORBIT_WEBHOOK_DISABLE_AFTER_DAYS", "3")),
    # After a secret rotation the old secret may keep signing (a second v1=) for at most this long.
    "WEBHOOK_SECRET_MAX_OVERLAP_HOURS": int(os.environ.get("ORBIT_WEBHOOK_SECRET_MAX_OVERLAP_HOURS", "72")),
    # Webhook URLs on loopback (and plain http to them): local development and tests only (SSRF guard).
    "WEBHOOK_ALLOW_LOOPBACK": env_bool("ORBIT_WEBHOOK_ALLOW_LOOPBACK", DEBUG),
    # Webhook URLs on private networks (10/8, 172.16/12, 192.168/16, fc00::/7); link-local never (SSRF guard).
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": env_bool("ORBIT_WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
    # Test events (POST /api/v1/webhooks/{id}/test) per organisation per minute: each one is a POST we make.
    "WEBHOOK_TEST_RATE_LIMIT_PER_MINUTE": int(os.environ.get("ORBIT_WEBHOOK_TEST_RATE_LIMIT_PER_MINUTE", "10")),
    # Inventory sync: offers asked per page of a carrier's listing.
    "INVENTORY_SYNC_PAGE_SIZE": int(os.environ.get("ORBIT_INVENTORY_SYNC_PAGE_SIZE", "100")),
    # Inventory sync: a listing longer than this many pages counts as incomplete (nothing is retired).
    "INVENTORY_SYNC_MAX_PAGES": int(os.environ.get("ORBIT_INVENTORY_SYNC_MAX_PAGES", "500")),
    # Inventory sync: at most this many rows retired per pool per run (the rest wait for the next runs).
    "INVENTORY_SYNC_MAX_RETIRE_PER_RUN": int(os.environ.get("ORBIT_INVENTORY_SYNC_MAX_RETIRE_PER_RUN", "500")),
    # Simulated carriers list this many numbers per pool (country × line type) to inventory sync.
    "SIMULATOR_INVENTORY_POOL_SIZE": int(os.environ.get("ORBIT_SIMULATOR_INVENTORY_POOL_SIZE", "200")),
    # Simulated carriers fail inventory listings for these countries (exercises the no-retire path).
    "SIMULATOR_SYNC_FAIL_COUNTRIES": env_list("ORBIT_SIMULATOR_SYNC_FAIL_COUNTRIES", ""),
    # Auto-replenish of low-stock pools (per-pool policies in the console); off here stops every order.
    "AUTO_REPLENISH_ENABLED": env_bool("ORBIT_AUTO_REPLENISH_ENABLED", True),
    # Auto-replenish: pages of the carrier's listing searched for numbers we do not stock yet.
    "REPLENISH_SEARCH_PAGES": int(os.environ.get("ORBIT_REPLENISH_SEARCH_PAGES", "5")),
    # Auto-replenish: a pending order older than this lost its task and is filled by the sweep.
    "REPLENISH_PENDING_RETRY_MINUTES": int(os.environ.get("ORBIT_REPLENISH_PENDING_RETRY_MINUTES", "10")),
    # Auto-replenish: an order still at the carrier call after this long is failed by the sweep.
    "REPLENISH_STUCK_MINUTES": int(os.environ.get("ORBIT_REPLENISH_STUCK_MINUTES", "60")),
    # Payment provider of new top-ups: "simulator" (offline default, billing/payments/simulator.py) or "stripe".
    "PAYMENT_PROVIDER": os.environ.get("ORBIT_PAYMENT_PROVIDER", "simulator"),
    # Milliseconds the payment simulator waits on each call, to behave like a remote provider.
    "PAYMENT_SIMULATOR_LATENCY_MS": int(os.environ.get("ORBIT_PAYMENT_SIMULATOR_LATENCY_MS", "0")),
    # Secret the simulator signs its payment callbacks with (POST /api/v1/billing/payment-events/simulator).
    "PAYMENT_SIMULATOR_WEBHOOK_SECRET": os.environ.get("ORBIT_PAYMENT_SIMULATOR_WEBHOOK_SECRET", "whsec_simulator"),
    # Stripe PaymentIntents API: base URL (a local stub in tests), secret key, webhook signing secret.
    "STRIPE_BASE_URL": os.environ.get("STRIPE_BASE_URL", "https://api.stripe.com/v1"),
    "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
    "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    # Payment callbacks signed longer ago than this (seconds) are refused (replay protection).
    "PAYMENT_WEBHOOK_TOLERANCE_SECONDS": int(os.environ.get("ORBIT_PAYMENT_WEBHOOK_TOLERANCE_SECONDS", "300")),
    # Smallest and largest top-up one request may ask for, in cents.
    "TOP_UP_MIN_CENTS": int(os.environ.get("ORBIT_TOP_UP_MIN_CENTS", "500")),
    "TOP_UP_MAX_CENTS": int(os.environ.get("ORBIT_TOP_UP_MAX_CENTS", "1000000")),
    # Highest per-organisation low-balance threshold (cents) GET/PUT /billing/settings accepts.
    "LOW_BALANCE_THRESHOLD_MAX_CENTS": int(os.environ.get("ORBIT_LOW_BALANCE_THRESHOLD_MAX_CENTS", "10000000")),
    # Top-ups still processing this many minutes after their last change are asked about (sync_top_ups).
    "TOP_UP_SYNC_AFTER_MINUTES": int(os.environ.get("ORBIT_TOP_UP_SYNC_AFTER_MINUTES", "15")),
    # API key secrets are stored as HMAC-SHA256 under this pepper (orbit_numbers/api_key_secrets.py,
    # DEPLOY.md); unset: derived from SECRET_KEY. Previous peppers (comma-separated) still verify, and
    # a key that matches one is re-hashed under the current pepper on its next use.
    "API_KEY_PEPPER": os.environ.get("ORBIT_API_KEY_PEPPER", ""),
    "API_KEY_PEPPER_FALLBACKS": env_list("ORBIT_API_KEY_PEPPER_FALLBACKS", ""),
}

# Logs: LOG_FORMAT=json (production) writes one JSON object per line; "text" (default) is for people.
# Every line carries the request id (or Celery task id) of the work it belongs to; one access line per
# request comes from orbit_numbers.access (orbit_numbers/observability/).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "orbit_numbers.observability.logs.LogContextFilter"}},
    "formatters": {
        "json": {"()": "orbit_numbers.observability.logs.JsonLogFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(log_context)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery workers log through LOGGING above (same format, task id on every line) instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Metrics (/metrics, Prometheus text): staff session, or "Authorization: Bearer <ORBIT_METRICS_TOKEN>".
ORBIT_METRICS_TOKEN = os.environ.get("ORBIT_METRICS_TOKEN", "")
# Celery task counts go to this Redis so workers on any host add to the numbers /metrics shows;
# unset (the zero-setup demo), each process counts its own.
ORBIT_METRICS_REDIS_URL = os.environ.get("ORBIT_METRICS_REDIS_URL") or os.environ.get("REDIS_URL", "")

# --- Hardening: secret key, HTTPS, cookies, Content-Security-Policy -----------------------------------
# ORBIT_PRODUCTION=1 is the production profile (behind a TLS-terminating proxy that sets
# X-Forwarded-Proto): it turns on every setting below, each of which has its own override.
# `manage.py check --deploy` is clean in it (tests/orbit_numbers/test_settings.py).
PRODUCTION = env_bool("ORBIT_PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ORBIT_PRODUCTION is on.")

# It signs sessions, cursors and file URLs and derives the porting PIN key: never a known default
# outside DEBUG. `make run` generates a local one (.secret_key, git-ignored); tests/settings.py has its own.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'); `make run` creates a local one.")
    SECRET_KEY = "dev-only-insecure-secret-key-for-debug-runs"

if PRODUCTION and ORBIT["WEBHOOK_ALLOW_LOOPBACK"]:
    raise ImproperlyConfigured("ORBIT_WEBHOOK_ALLOW_LOOPBACK lets tenants make us POST to this host; never in production.")

if PRODUCTION and not os.environ.get("ORBIT_PUBLIC_BASE_URL"):
    raise ImproperlyConfigured("ORBIT_PUBLIC_BASE_URL (e.g. https://api.example.com) is required in production: "
                               "signed file URLs are built on it.")

if env_bool("ORBIT_BEHIND_TLS_PROXY", PRODUCTION):
    # Only behind a proxy that always sets (and never forwards a client's) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("ORBIT_SSL_REDIRECT", PRODUCTION)
# Probes and the metrics scraper talk plain HTTP inside the network (Django re.search()es the path).
SECURE_REDIRECT_EXEMPT = [r"\A(healthz|readyz|metrics)/?\Z"]
SECURE_HSTS_SECONDS = int(os.environ.get("ORBIT_HSTS_SECONDS", str(365 * 24 * 3600 if PRODUCTION else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ORBIT_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("ORBIT_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("ORBIT_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Nothing is framed, except the LoA file in the review screen, which allows its own origin (porting/admin.py).
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page, admin and API docs included; ORBIT_CSP=0 turns it off.
# Scripts only from this origin, no inline script (the Swagger UI page loads its init script from
# ?script, orbit_numbers/urls.py). Inline styles are allowed: the admin and the docs use style
# attributes and <style> blocks, and Redoc injects its styles.
if env_bool("ORBIT_CSP", True):
    INSTALLED_APPS.append("csp")
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "csp.middleware.CSPMiddleware")
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF, UNSAFE_INLINE],
            "img-src": [SELF, "data:"],
            "font-src": [SELF, "data:"],
            "connect-src": [SELF],
            "worker-src": [SELF, "blob:"],  # Redoc's search runs in a worker
            "frame-src": [SELF],  # the LoA review screen frames the LoA file
            "object-src": [NONE],
            "frame-ancestors": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
        },
    }
