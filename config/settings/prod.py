"""The prod profile: base settings behind HTTPS. Passes `manage.py check --deploy`.

Use with DJANGO_SETTINGS_MODULE=config.settings.prod and SECRET_KEY, ALLOWED_HOSTS set.
"""

import os

os.environ["SHOPSTACK_PROFILE"] = "prod"
# Production mail goes to a real server; a local MTA unless EMAIL_URL names another.
os.environ.setdefault("EMAIL_URL", "smtp://localhost:25")

from config.settings.base import *  # noqa: F403
from config.settings.env import env_int

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxy that terminates TLS (trusted for the scheme above) also appends the client's
# address to X-Forwarded-For: one proxy unless told otherwise (docs/security.md).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
NINJA_NUM_PROXIES = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The health probes are plain HTTP from the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
