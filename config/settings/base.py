"""Shopstack settings. Every tier is this file plus environment variables.

Embedded defaults (SQLite, a database cache, database sessions and tasks, local media)
need no services; DATABASE_URL, REDIS_URL/CACHE_URL, EMAIL_URL and friends move the
same code to PostgreSQL, Redis and SMTP.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.utils.csp import CSP

from config.settings.env import (
    caches_from_url,
    counters_from_url,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    event_store_from_url,
    mailer_from_url,
    origin_of,
    payment_backend,
    secret_key,
    url_origin,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SHOPSTACK_VAR_DIR", str(BASE_DIR / "var")))

PROFILE = env_str("SHOPSTACK_PROFILE", "demo")  # demo | prod | test
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR, required=PROFILE == "prod")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SHOP_NAME = env_str("SHOP_NAME", "Shopstack Gifts")
SHOP_CURRENCY = env_str("SHOP_CURRENCY", "GBP")
SHOP_BASE_URL = env_str("SHOP_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # its bundled Swagger UI files: the API docs load nothing from a CDN
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "shopstack.core",
    "shopstack.accounts",
    "shopstack.catalog",
    "shopstack.inventory",
    "shopstack.orders",
    "shopstack.pricing",
    "shopstack.shipping",
    "shopstack.payments",
    "shopstack.checkout",
    "shopstack.notifications",
    "shopstack.search",
    "shopstack.integrations",
    "shopstack.analytics",
    "shopstack.storefront",
    "shopstack.api",
]

MIDDLEWARE = [
    # First: it hands the request's search log rows to the response the server closes.
    "shopstack.search.middleware.SearchLogMiddleware",
    "shopstack.core.timing.ServerTimingMiddleware",
    "shopstack.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth (it reads who signed in, if the view loaded the user): records page views
    # and what views declared once the answer is ready (docs/analytics.md, Collection).
    "shopstack.analytics.middleware.AnalyticsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sessions, auth and messages: its 400 page is drawn like any other page.
    "shopstack.core.text_middleware.ControlCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shopstack.accounts.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shopstack" / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopstack.storefront.context_processors.shop",
                "shopstack.analytics.context_processors.analytics",
            ],
            # Cached loaders always: templates are read from disk once per process.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shopstack.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Product search: tantivy (an index directory under var/search/) on the embedded tier, measured
# faster than SQLite FTS5 (docs/search.md, "Engines"; FTS5 stays selectable with
# SEARCH_BACKEND=shopstack.search.backends.sqlite_fts.SqliteFtsBackend), PostgreSQL full text
# + pg_trgm otherwise.
SEARCH = {
    "BACKEND": env_str(
        "SEARCH_BACKEND",
        "shopstack.search.backends.postgres.PostgresBackend"
        if DATABASES["default"]["ENGINE"].endswith("postgresql")
        else "shopstack.search.backends.tantivy_engine.TantivyBackend",
    ),
    "OPTIONS": {},
}
# Autocomplete suggests a search to everyone once this many visitors (distinct client
# networks) made it in this many days and it found products (shopstack/search/popular.py).
SEARCH_POPULAR_MIN_VISITORS = env_int("SEARCH_POPULAR_MIN_VISITORS", 3)
SEARCH_POPULAR_DAYS = env_int("SEARCH_POPULAR_DAYS", 30)

# Shipping labels and tracking: the local carrier needs no network (tracking pages on the shop).
SHIPPING_CARRIER = {
    "BACKEND": env_str("SHIPPING_CARRIER_BACKEND", "shopstack.shipping.backends.local.LocalCarrier"),
    "OPTIONS": {},
}

CACHES = caches_from_url(env_str("CACHE_URL", env_str("REDIS_URL", "")))
USES_REDIS = CACHES["default"]["BACKEND"].endswith("RedisCache")
# Rate-limit counts, shared by every web and worker process (core/limits.py).
RATE_COUNTERS = counters_from_url(env_str("RATE_COUNTERS_URL", env_str("REDIS_URL", "")), VAR_DIR)
# How many proxies you run in front of the shop, each appending to X-Forwarded-For. 0 (the
# default): the client is REMOTE_ADDR and X-Forwarded-For is ignored, since anyone can send
# one. Every per-client limit (sign-in, API, order lookup, vouchers) uses the same address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
NINJA_NUM_PROXIES = TRUSTED_PROXY_COUNT
# Unknown voucher codes that one checkout, and one client address, may try (per window).
VOUCHER_ATTEMPTS_PER_CHECKOUT = env_str("VOUCHER_ATTEMPTS_PER_CHECKOUT", "10/h")
VOUCHER_ATTEMPTS_PER_CLIENT = env_str("VOUCHER_ATTEMPTS_PER_CLIENT", "30/h")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Analytics (docs/analytics.md). Events wait in the event store until compaction writes them
# to the warehouse: Parquet files under ANALYTICS_WAREHOUSE_ROOT (a folder, or any fsspec URL
# such as s3://bucket/shop), queried by the engine named in ANALYTICS_ENGINE.
ANALYTICS_TRACKING = env_bool("ANALYTICS_TRACKING", True)
ANALYTICS_EVENT_STORE = event_store_from_url(
    env_str("ANALYTICS_EVENTS_URL", ""), env_str("DATABASE_URL", ""), VAR_DIR
)
# A web process appends its visitors' events in batches, at most this many seconds apart.
ANALYTICS_FLUSH_SECONDS = float(env_str("ANALYTICS_FLUSH_SECONDS", "0.5"))
ANALYTICS_WAREHOUSE_ROOT = env_str("ANALYTICS_WAREHOUSE_ROOT", str(VAR_DIR / "warehouse"))
ANALYTICS_ENGINE = {
    "BACKEND": env_str("ANALYTICS_ENGINE_BACKEND", "shopstack.analytics.engines.duckdb.DuckDBEngine"),
    "OPTIONS": (
        {"master": env_str("ANALYTICS_SPARK_MASTER", "local[2]")}
        if env_str("ANALYTICS_ENGINE_BACKEND", "").endswith("SparkEngine")
        else {}
    ),
}
# Visitors' sessions end after this many minutes without activity (or at a new campaign).
ANALYTICS_SESSION_MINUTES = env_int("ANALYTICS_SESSION_MINUTES", 30)
# A campaign is credited with an order placed within this many days of its last visit.
ANALYTICS_ATTRIBUTION_DAYS = env_int("ANALYTICS_ATTRIBUTION_DAYS", 30)
# With a consent banner, visitors are counted anonymously (no visitor cookie) until they agree.
ANALYTICS_CONSENT_BANNER = env_bool("ANALYTICS_CONSENT_BANNER", False)
# A variant with this many units or fewer available (across warehouses) counts as low on stock.
ANALYTICS_LOW_STOCK_UNITS = env_int("ANALYTICS_LOW_STOCK_UNITS", 5)
# A client keeping no cookies that asks for more pages a minute than this is a bot.
ANALYTICS_BOT_PAGES_PER_MINUTE = env_int("ANALYTICS_BOT_PAGES_PER_MINUTE", 60)
# Page beacons one client address may send (each page sends one or two as it is hidden).
ANALYTICS_BEACON_RATE = env_str("ANALYTICS_BEACON_RATE", "120/m")

# Sessions live in the database on the embedded tier and in Redis when it is configured,
# so any web process can serve any request.
SESSION_ENGINE = env_str(
    "SESSION_ENGINE",
    "django.contrib.sessions.backends.cache" if USES_REDIS else "django.contrib.sessions.backends.db",
)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The outbox (core.events): a delivery that failed this many times is dead (listed in the
# admin, retried from there). Retention (core.retention, an hourly sweep): how many days
# handed-out outbox events, idempotency keys and the search log are kept; expired database
# sessions go as soon as they expire.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7)
IDEMPOTENCY_KEYS_KEEP_DAYS = env_int("IDEMPOTENCY_KEYS_KEEP_DAYS", 7)
SEARCH_LOG_KEEP_DAYS = env_int("SEARCH_LOG_KEEP_DAYS", 180)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

# django-allauth: email is the login, verified before use; no message reveals whether
# an address has an account; failed logins are rate limited per IP and per address.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SHOP_NAME}] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "shopstack.accounts.adapters.ShopMFAAdapter"
ACCOUNT_ADAPTER = "shopstack.accounts.adapters.ShopAccountAdapter"
MFA_TOTP_ISSUER = SHOP_NAME
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "allauth.headless.tokens.strategies.sessions.SessionTokenStrategy"
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": f"{SHOP_BASE_URL}/accounts/confirm-email/{{key}}/",
    "account_reset_password_from_key": f"{SHOP_BASE_URL}/accounts/password/reset/key/{{key}}/",
    "account_signup": f"{SHOP_BASE_URL}/accounts/signup/",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("SHOP_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "shopstack" / "static"]
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env_str("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed files (every URL a page links) are served "immutable" for ten years by
# WhiteNoise itself; this is only for files requested by their plain name.
WHITENOISE_MAX_AGE = 60 * 60
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Catalog CSV files staff upload hold the shop's prices and stock: never in the media
# storage, which anyone can read. By default a directory under var/ with no URL; a tier
# whose task worker runs on another machine names a private bucket's storage class in
# CATALOG_IMPORT_STORAGE (docs/import-catalog.md). Each file is deleted when its import
# ends; leftovers are swept after CATALOG_IMPORT_RETENTION_SECONDS. The caps refuse a CSV
# wider or with longer rows than any real catalog before it is parsed.
STORAGES["catalog_imports"] = (
    {"BACKEND": env_str("CATALOG_IMPORT_STORAGE")}
    if env_str("CATALOG_IMPORT_STORAGE")
    else {
        "BACKEND": "shopstack.catalog.importing.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private")},
    }
)
CATALOG_IMPORT_RETENTION_SECONDS = env_int("CATALOG_IMPORT_RETENTION_SECONDS", 24 * 60 * 60)
CATALOG_IMPORT_MAX_COLUMNS = env_int("CATALOG_IMPORT_MAX_COLUMNS", 500)
CATALOG_IMPORT_MAX_ROW_CHARS = env_int("CATALOG_IMPORT_MAX_ROW_CHARS", 1024 * 1024)

MAILERS = {"default": mailer_from_url(env_str("EMAIL_URL", f"file://{VAR_DIR / 'mail'}"))}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SHOP_NAME} <shop@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

API_THROTTLE_ANON = env_str("API_THROTTLE_ANON", "600/m")
API_THROTTLE_AUTH = env_str("API_THROTTLE_AUTH", "1200/m")
# Batches of analytics events an app may send to POST /api/v1/events, per user or address.
API_THROTTLE_EVENTS = env_str("API_THROTTLE_EVENTS", "120/m")
API_MAX_PAGE_SIZE = 100

PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)

# Every response says how long the server took (`Server-Timing: app;dur=<ms>`); with
# SERVER_TIMING_DB=1 also the time in database queries (wraps every query: off by default).
SERVER_TIMING_DB = env_bool("SERVER_TIMING_DB", False)

# How long a checkout holds the stock of its cart while the shopper pays; an abandoned
# checkout's units go back on sale after this (and its checkout is closed by a sweep).
CHECKOUT_RESERVATION_SECONDS = env_int("CHECKOUT_RESERVATION_SECONDS", 15 * 60)
# An open checkout untouched this long after its reservation lapsed is closed as abandoned
# (a periodic sweep; the cart stays open).
CHECKOUT_ABANDONED_AFTER_SECONDS = env_int("CHECKOUT_ABANDONED_AFTER_SECONDS", 24 * 60 * 60)

# Payments. The built-in test gateway is a small HTTP service of its own mounted at
# /_testgateway/ (TEST_GATEWAY_ENABLED=0 unmounts it); the shop reaches it, like any
# provider, only over HTTP at PAYMENT_GATEWAY_URL. Its keys default to values derived
# from SECRET_KEY, so a deployed demo's gateway is not open to anyone who reads this file.
# The demo and test profiles take payments with it by default. The prod profile never falls
# back to it: it refuses to load without PAYMENT_GATEWAY_BACKEND, and takes test payments
# only when the test gateway is both named there and enabled with TEST_GATEWAY_ENABLED=1
# (the shopstack.E010-E011 / W010-W011 checks say the same to `check --deploy`).
TEST_GATEWAY_BACKEND = "shopstack.payments.backends.testgateway.LocalTestGateway"
TEST_GATEWAY_ENABLED = env_bool("TEST_GATEWAY_ENABLED", PROFILE != "prod")
_test_gateway_seed = hashlib.sha256(f"testgateway:{SECRET_KEY}".encode()).hexdigest()
TEST_GATEWAY = {
    "API_KEY": env_str("TEST_GATEWAY_API_KEY", f"sk_test_{_test_gateway_seed[:32]}"),
    "WEBHOOK_SECRET": env_str("TEST_GATEWAY_WEBHOOK_SECRET", f"whsec_{_test_gateway_seed[32:]}"),
    # How long the "times out" test card holds back its answer (longer than the client waits).
    "SLOW_SECONDS": float(env_str("TEST_GATEWAY_SLOW_SECONDS", "30")),
}
# Orders: capture the payment as soon as it is authorized (otherwise staff capture it,
# e.g. when the goods ship).
ORDERS_AUTO_CAPTURE = env_bool("ORDERS_AUTO_CAPTURE", False)

_payment_backend = payment_backend(
    profile=PROFILE, test_backend=TEST_GATEWAY_BACKEND, test_enabled=TEST_GATEWAY_ENABLED
)
_payment_url = (
    "https://api.stripe.com/"
    if _payment_backend.endswith(".StripeGateway")
    else f"{SHOP_BASE_URL}/_testgateway/"
)
PAYMENT_GATEWAY = {
    "BACKEND": _payment_backend,
    "OPTIONS": {
        "base_url": env_str("PAYMENT_GATEWAY_URL", _payment_url),
        "api_key": env_str("PAYMENT_GATEWAY_API_KEY", TEST_GATEWAY["API_KEY"]),
        "webhook_secret": env_str("PAYMENT_GATEWAY_WEBHOOK_SECRET", TEST_GATEWAY["WEBHOOK_SECRET"]),
        "webhook_url": f"{SHOP_BASE_URL}/payments/webhooks/testgateway/",
        "timeout": float(env_str("PAYMENT_GATEWAY_TIMEOUT", "10")),
    },
}
# Where a payment may send the shopper back (with a card token): the origin the request
# came in on, these origins, and app link schemes (e.g. PAYMENT_RETURN_SCHEMES=myapp for
# myapp://...). Anything else is refused, so a payment link cannot hand a shopper's card
# token to another site. Default: SHOP_BASE_URL's origin and the CSRF_TRUSTED_ORIGINS
# without wildcards (ALLOWED_HOSTS names hosts, not origins, and may be a wildcard).
PAYMENT_RETURN_ORIGINS = env_list(
    "PAYMENT_RETURN_ORIGINS",
    [origin_of(SHOP_BASE_URL), *(o for o in CSRF_TRUSTED_ORIGINS if "*" not in o)],
)
PAYMENT_RETURN_SCHEMES = [s.lower().removesuffix("://") for s in env_list("PAYMENT_RETURN_SCHEMES", [])]
# Reconciliation calls an unanswered authorization "not charged" only this many seconds
# after the request's timeout (and the gateway's lookup delay): it may still be on its way.
PAYMENTS_RECONCILE_MARGIN_SECONDS = float(env_str("PAYMENTS_RECONCILE_MARGIN_SECONDS", "30"))

# Security headers. Every page works under this Content-Security-Policy: no inline
# scripts, event-handler attributes, inline styles or eval anywhere (storefront, allauth,
# admin, htmx, the API docs), and no nonce either, since storefront pages are cached and
# served to every visitor alike (docs/security.md). The browser tests fail on any violation.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
MIDDLEWARE.insert(  # right after SecurityMiddleware, so every page answer carries both headers
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware") + 1,
    "shopstack.core.middleware.PermissionsPolicyMiddleware",
)
# Media (and static files) may come from object storage or a CDN on another origin.
_asset_origins = sorted({origin for origin in map(url_origin, (STATIC_URL, MEDIA_URL)) if origin})
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, *_asset_origins],
    "style-src": [CSP.SELF, *_asset_origins],
    # Style attributes: only allauth's hidden "pending email" form (style="display: none").
    "style-src-attr": [CSP.UNSAFE_HASHES, "'sha256-ZdHxw9eWtnxUb3mk6tBS+gIiVUPE3pGM470keHPDFlE='"],
    # data: URIs: the QR code of the two-factor setup page and Swagger UI's icons.
    "img-src": [CSP.SELF, "data:", *_asset_origins],
    "font-src": [CSP.SELF, *_asset_origins],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    # No form-action: the payment step's POST redirects to the provider's hosted card page,
    # and browsers apply form-action to that redirect's origin too.
}
# Browser features no page uses, refused for the page and anything it embeds. The card is
# entered on the payment provider's own page, so the shop needs no Payment Request API.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "serial",
        "hid",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"shopstack": {"level": env_str("LOG_LEVEL", "INFO"), "propagate": True}},
}
