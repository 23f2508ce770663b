"""Create (or reset) the demo back-office account, ready to sign in with two-factor codes.

The password and TOTP secret are fixed and published here on purpose: this account is for
demos and local development only, and the command refuses to run with the prod profile.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopstack.accounts.services import staff_ensure

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "shopstack-demo-admin"
# 32 base32 characters = a 160-bit key, the size RFC 4226 recommends.
DEMO_TOTP_SECRET = "SHOPSTACKDEMOADMINTOTPSECRET2345"


class Command(BaseCommand):
    help = "Create or update the demo staff superuser admin@example.com with a verified email and TOTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with SHOPSTACK_PROFILE=prod")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if settings.PROFILE == "prod" and not force:
            raise CommandError("demo_staff publishes its password and TOTP secret; it does not run in prod.")
        user = staff_ensure(email=DEMO_EMAIL, password=DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
        base_url = settings.SHOP_BASE_URL.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    f"Demo staff account ready (user id {user.pk}).",
                    f"  Back office: {base_url}/admin/",
                    f"  Email:       {DEMO_EMAIL}",
                    f"  Password:    {DEMO_PASSWORD}",
                    f"  TOTP secret: {DEMO_TOTP_SECRET}  (add it to an authenticator app)",
                    "  No app? `.venv/bin/python manage.py demo_totp` prints the current 6-digit code.",
                ]
            )
        )
