"""fedcat settings: one module, read from environment variables.

With nothing set, the site runs on embedded defaults: SQLite, a filesystem Celery broker, all state
under FEDCAT_DATA_DIR (default ./var). Every variable is documented in README.md.
"""

import os
import secrets
import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """The whole number in `name`, else `default`; anything else stops start-up naming `name`."""
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    """Comma-separated list, as SciCat's group settings are written."""
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Runtime state: everything a site writes lives under one directory -------------------------
DATA_DIR = Path(os.environ.get("FEDCAT_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    try:  # O_EXCL: of two processes starting together, exactly one writes the key
        fd = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
    for _ in range(50):  # the other process may still be writing it
        if key := key_file.read_text().strip():
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{key_file} is empty")


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalogue",
    "search",
    "portal",
    "portal.observability",
    "portal.auth",
]

MIDDLEWARE = [
    "catalogue.api.cycles.BreakResponseCycles",
    "portal.observability.logging.RequestIdMiddleware",
    "portal.observability.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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

# --- Database: SQLite in the data dir unless DATABASE_URL says otherwise (postgres://...) -------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'fedcat.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection is checked before each request reuses it: after a database restart
        # the first request of every process would fail otherwise.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Django's own backend, but its health check asks the socket, not the server (SELECT 1 was
    # one more round trip on every request).
    DATABASES["default"]["ENGINE"] = "portal.postgresql"
    # The catalogue's queries are short; PostgreSQL's JIT spent 10-25 ms compiling plans for
    # counts over large groups that run in under 10 ms without it (bench/api.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Test databases carry the process id, so test runs side by side never share one. SQLite's is a
# file (not :memory:) so that a Celery worker started by a test sees the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_fedcat_{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or DATA_DIR / "static")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "media/"

# --- Logging: LOG_FORMAT=json gives one JSON object per line (with request_id), text a plain line.
LOG_FORMAT = "json" if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json" else "text"
ACCESS_LOG = env_bool("ACCESS_LOG", False)  # one line per request (logger fedcat.access)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.observability.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.observability.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    # The Elasticsearch client and httpx (federation partners) log every request at INFO.
    "loggers": {"elastic_transport": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- Operations: /metrics (bearer token when METRICS_TOKEN is set), worker metrics port ---------
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 0)

# --- HTTPS: HTTPS=true behind a TLS proxy turns on secure cookies, the redirect and HSTS --------
HTTPS = env_bool("HTTPS", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^-/", r"^metrics$"]  # probes and scrapers speak plain HTTP inside
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
# HSTS preload puts the domain into the browsers' built-in list, hard to undo: a site opts in with
# SECURE_HSTS_PRELOAD=true, it is not a default, so the deploy check's reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalogue.api.auth.TokenAuthentication",
        "catalogue.api.auth.QuietSessionAuthentication",
    ],
    # Access is decided per record by catalogue.access, not by DRF permission classes.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "catalogue.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# API docs: OpenAPI 3 at /api/schema/, Swagger UI at /explorer/ (SciCat's path), served offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "fedcat SciCat API",
    "DESCRIPTION": "SciCat v3 compatible API of fedcat. See docs/scicat-api.md.",
    "VERSION": "3",
    "DEFAULT_GENERATOR_CLASS": "catalogue.api.schema.SciCatSchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}
# Lifetime of tokens from POST /api/v3/auth/login (SciCat's JWT_EXPIRES_IN), and the longest an
# admin may issue for an ingestor (POST /api/v3/users/{id}/jwt).
API_TOKEN_TTL_SECONDS = env_int("JWT_EXPIRES_IN", 3600)
API_TOKEN_MAX_TTL_SECONDS = env_int("API_TOKEN_MAX_TTL_SECONDS", 5 * 365 * 24 * 3600)
# Failed API logins allowed per address and user name, and per address, within the window.
API_LOGIN_MAX_FAILURES = env_int("API_LOGIN_MAX_FAILURES", 10)
API_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("API_LOGIN_MAX_FAILURES_PER_ADDRESS", 100)
API_LOGIN_FAILURE_WINDOW_SECONDS = env_int("API_LOGIN_FAILURE_WINDOW_SECONDS", 300)
# The facility this catalogue serves (shown to clients), and optional JSON files the SciCat
# frontend boots from (GET /api/v3/admin/config and /admin/theme).
FACILITY = os.environ.get("FACILITY", "")
FRONTEND_CONFIG_FILE = os.environ.get("FRONTEND_CONFIG_FILE", "")
FRONTEND_THEME_FILE = os.environ.get("FRONTEND_THEME_FILE", "")
# Largest JSON body the API accepts (SciCat's MAX_FILE_UPLOAD_SIZE, 16 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 16 * 1024 * 1024)

# --- Celery: Redis when CELERY_BROKER_URL is set, else a filesystem broker needing no server ----
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast commands (ping, shutdown) also live in the data dir, not the working dir.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": env_float("CELERY_POLLING_INTERVAL", 0.1),
    }
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING (JSON or text, with request ids), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Search: the backend (a dotted path) and where the embedded tantivy index lives ------------
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "search.backends.tantivy_backend.TantivyBackend")
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR") or DATA_DIR / "search-index")
# Facet counts each web process's tantivy backend remembers (per index version; 0: none).
SEARCH_FACET_CACHE = env_int("SEARCH_FACET_CACHE", 512, minimum=0)
# Elasticsearch (SEARCH_BACKEND=search.backends.elasticsearch_backend.ElasticsearchBackend).
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "fedcat")
ELASTICSEARCH_API_KEY = os.environ.get("ELASTICSEARCH_API_KEY", "")
ELASTICSEARCH_USERNAME = os.environ.get("ELASTICSEARCH_USERNAME", "")
ELASTICSEARCH_PASSWORD = os.environ.get("ELASTICSEARCH_PASSWORD", "")
ELASTICSEARCH_VERIFY_CERTS = env_bool("ELASTICSEARCH_VERIFY_CERTS", True)
ELASTICSEARCH_CA_CERTS = os.environ.get("ELASTICSEARCH_CA_CERTS", "")
# Safety net: outbox rows left behind while the broker was down are applied within a minute.
CELERY_BEAT_SCHEDULE = {
    "search-apply-outbox": {"task": "search.tasks.apply_outbox", "schedule": 60.0},
    # /-/ready fails when the newest heartbeat is older than twice this interval.
    "worker-heartbeat": {"task": "catalogue.tasks.worker_heartbeat", "schedule": 30.0},
    # DOIs whose registration a dead worker or an exhausted retry left behind.
    "doi-sweep": {"task": "catalogue.publishing.tasks.doi_sweep", "schedule": 300.0},
}

# --- Federation (docs/federation.md): partner catalogues searched together with this one -------
# A JSON list: [{"name": "psi", "type": "panosc"|"fedcat", "url": "...", "timeout": 2}, ...].
FEDERATION_PARTNERS = os.environ.get("FEDERATION_PARTNERS", "")
# Hosts partner URLs may point at ("host", "host:port", "*.domain"); empty: FEDERATION_PARTNERS'.
FEDERATION_ALLOWED_HOSTS = env_list("FEDERATION_ALLOWED_HOSTS")
FEDERATION_TIMEOUT_SECONDS = env_float("FEDERATION_TIMEOUT_SECONDS", 3.0)
FEDERATION_DEADLINE_SECONDS = env_float("FEDERATION_DEADLINE_SECONDS", 5.0)
FEDERATION_CACHE_SECONDS = env_int("FEDERATION_CACHE_SECONDS", 30)
FEDERATION_MAX_RESPONSE_BYTES = env_int("FEDERATION_MAX_RESPONSE_BYTES", 5 * 1024 * 1024)
FEDERATION_BREAKER_FAILURES = env_int("FEDERATION_BREAKER_FAILURES", 3)
FEDERATION_BREAKER_SECONDS = env_int("FEDERATION_BREAKER_SECONDS", 60)
FEDERATION_LOCAL_NAME = os.environ.get("FEDERATION_LOCAL_NAME", "local")

# --- Downloads (docs/portal.md): directories files may be served from; empty disables them ----
DOWNLOAD_ROOTS = env_list("DOWNLOAD_ROOTS")
# Internal nginx location for X-Accel-Redirect downloads (empty: Django streams files itself).
DOWNLOAD_X_ACCEL_PREFIX = os.environ.get("DOWNLOAD_X_ACCEL_PREFIX", "")
# Under gunicorn, send file data with sendfile(2) on its socket (portal/downloads/sendfile.py).
DOWNLOAD_SENDFILE = env_bool("DOWNLOAD_SENDFILE", True)

# --- Sign-in (docs/portal.md): local accounts, and OpenID Connect (Helmholtz AAI) when a client
# id is set. Endpoints are set one by one or read from the provider's discovery document.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "portal.auth.backends.OIDCBackend",
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "portal:mydata"
LOGOUT_REDIRECT_URL = "portal:search"
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "Helmholtz AAI")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile email eduperson_entitlement")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT", 10.0)
OIDC_AUTHENTICATION_CALLBACK_URL = "portal:oidc-callback"
# Groups: entitlements under these prefixes become groups (prefix, #authority and :role= cut
# off); OIDC_GROUP_MAP renames them ("HZB:admins=admin,..."; an empty target drops one).
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "eduperson_entitlement")
OIDC_GROUP_PREFIXES = env_list("OIDC_GROUP_PREFIXES", "urn:geant:helmholtz.de:group:")
OIDC_GROUP_MAP = env_list("OIDC_GROUP_MAP")
# Access tokens of the provider sent to the API are checked at its userinfo endpoint; answers
# are kept this long (revocation at the provider takes effect within it).
OIDC_TOKEN_CACHE_SECONDS = env_int("OIDC_TOKEN_CACHE_SECONDS", 60)
# Sign-out also ends the session at the provider (RP-Initiated Logout) for users who signed in
# there: endpoint from discovery (end_session_endpoint) unless set; the ID token is kept in the
# session only for this (the id_token_hint).
OIDC_LOGOUT_AT_PROVIDER = env_bool("OIDC_LOGOUT_AT_PROVIDER", True)
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "")
OIDC_OP_LOGOUT_URL_METHOD = "portal.auth.logout.provider_logout_url"
OIDC_STORE_ID_TOKEN = OIDC_LOGOUT_AT_PROVIDER

# --- Publishing: public base URL, landing pages and OAI-PMH (docs/publishing.md) -------------
SITE_URL = os.environ.get("SITE_URL", "")
SITE_NAME = os.environ.get("SITE_NAME", "")
OAI_REPOSITORY_NAME = os.environ.get("OAI_REPOSITORY_NAME", "")
OAI_REPOSITORY_IDENTIFIER = os.environ.get("OAI_REPOSITORY_IDENTIFIER", "fedcat.local")
OAI_ADMIN_EMAILS = env_list("OAI_ADMIN_EMAILS")
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 100)
OAI_TOKEN_TTL_SECONDS = env_int("OAI_TOKEN_TTL_SECONDS", 86400)
OAI_SETS = env_bool("OAI_SETS", True)
OAI_DATACENTRE_SYMBOL = os.environ.get("OAI_DATACENTRE_SYMBOL", "")

# --- Catalogue: identifiers, SciCat group settings, policies ------------------------------------
# Dataset pids are "<PID_PREFIX>/<uuid4>"; SciCat sites use their handle prefix here.
PID_PREFIX = os.environ.get("PID_PREFIX", "fedcat").rstrip("/")
# Optional regex a client-supplied pid must match (SciCat DATASET_CREATION_VALIDATION_REGEX).
DATASET_PID_REGEX = os.environ.get("DATASET_CREATION_VALIDATION_REGEX", "")
DATASET_TYPES = env_list("DATASET_TYPES", "raw,derived")

# SciCat's group settings: comma-separated group names; "#all" means every signed-in user.
ADMIN_GROUPS = env_list("ADMIN_GROUPS", "admin")
DELETE_GROUPS = env_list("DELETE_GROUPS", "")
CREATE_DATASET_GROUPS = env_list("CREATE_DATASET_GROUPS", "#all")
CREATE_DATASET_WITH_PID_GROUPS = env_list("CREATE_DATASET_WITH_PID_GROUPS", "")
CREATE_DATASET_PRIVILEGED_GROUPS = env_list("CREATE_DATASET_PRIVILEGED_GROUPS", "")
UPDATE_DATASET_LIFECYCLE_GROUPS = env_list("UPDATE_DATASET_LIFECYCLE_GROUPS", "")
PROPOSAL_GROUPS = env_list("PROPOSAL_GROUPS", "")
SAMPLE_GROUPS = env_list("SAMPLE_GROUPS", "#all")
SAMPLE_PRIVILEGED_GROUPS = env_list("SAMPLE_PRIVILEGED_GROUPS", "")
POLICY_GROUPS = env_list("POLICY_GROUPS", "")
# Groups every signed-in user belongs to, whatever the identity provider says.
ACCESS_GROUPS_STATIC_VALUES = env_list("ACCESS_GROUPS_STATIC_VALUES", "")

# Default embargo (years after the end of the experiment) for a new owner group's policy, and
# the licence the data carry once public.
EMBARGO_PERIOD_YEARS = env_float("EMBARGO_PERIOD_YEARS", 3.0)
DEFAULT_LICENSE = os.environ.get("DEFAULT_LICENSE", "CC-BY-4.0")
# --- Data policies (docs/policies.md): embargo release, notices, access requests ---------------
# True: an embargoed dataset's record (title, people, instrument, abstract, metadata) is public
# during the embargo and only its files stay closed. False (default, as at ESRF and ILL): the
# whole record stays closed; DOI landing pages still show publication-level metadata at once.
EMBARGO_METADATA_PUBLIC = env_bool("EMBARGO_METADATA_PUBLIC", False)
# Owners are told by e-mail this many days before their data become public (0: no notice).
EMBARGO_NOTICE_DAYS = env_int("EMBARGO_NOTICE_DAYS", 30)
# How often the beat job releases due embargoes, sends notices and ends expired access grants.
EMBARGO_RELEASE_INTERVAL_SECONDS = env_int("EMBARGO_RELEASE_INTERVAL_SECONDS", 900)
# Longest access an owner may grant on a request (days; 0: grants may be open-ended).
ACCESS_GRANT_MAX_DAYS = env_int("ACCESS_GRANT_MAX_DAYS", 0)
CELERY_BEAT_SCHEDULE.update(
    {
        "policies-embargo-release": {
            "task": "catalogue.tasks.embargo_release_due",
            "schedule": float(EMBARGO_RELEASE_INTERVAL_SECONDS),
        },
        "policies-access-grants-expire": {
            "task": "catalogue.tasks.access_grants_expire",
            "schedule": float(EMBARGO_RELEASE_INTERVAL_SECONDS),
        },
    }
)

# --- E-mail (embargo notices, access requests): printed to the console unless SMTP is set up ----
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fedcat <noreply@localhost>")
# Default harvest mapping (JSON or TOML): paths to owner/access groups and download URLs.
HARVEST_MAPPING_FILE = os.environ.get("HARVEST_MAPPING_FILE", "")
# DOIs of published data are "<DOI_PREFIX><suffix>" (SciCat's DOI_PREFIX, e.g. "10.17199/").
DOI_PREFIX = os.environ.get("DOI_PREFIX", "10.xxxx/")
# DataCite REST API (docs/publishing.md): empty DATACITE_URL keeps DOIs reserved locally only.
DATACITE_URL = os.environ.get("DATACITE_URL", "")
DATACITE_REPOSITORY_ID = os.environ.get("DATACITE_REPOSITORY_ID", "")
DATACITE_PASSWORD = os.environ.get("DATACITE_PASSWORD", "")
DATACITE_TIMEOUT_SECONDS = env_float("DATACITE_TIMEOUT_SECONDS", 30.0)
# Naive timestamps sent by clients (pyscicat sends them) are read in this zone.
SERVER_TIME_ZONE = os.environ.get("SERVER_TIME_ZONE", "UTC")
