"""Print the current two-factor code of the demo back-office account."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopstack.accounts.management.commands.demo_staff import DEMO_EMAIL
from shopstack.accounts.models import User
from shopstack.accounts.services import totp_code, user_totp_secret


class Command(BaseCommand):
    help = "Print the current 6-digit TOTP code of a staff account (the demo admin by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=DEMO_EMAIL)

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email).first()
        secret = user_totp_secret(user=user) if user is not None else None
        if secret is None:
            raise CommandError(f"{email} has no TOTP authenticator. Run `python manage.py demo_staff` first.")
        period = mfa_settings.TOTP_PERIOD
        left = period - int(time.time()) % period
        self.stdout.write(totp_code(secret=secret))
        self.stderr.write(f"(valid for about {left} more seconds; each code works once)")
