"""allauth hooks: TOTP secrets and recovery-code seeds are encrypted at rest.

allauth stores them as given unless the MFA adapter encrypts them; a copy of the
database alone must not let anyone produce a staff member's codes. The key is derived
from SECRET_KEY, and SECRET_KEY_FALLBACKS keep decrypting after a key rotation.
"""

from __future__ import annotations

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.http import HttpRequest

from shopstack.core.clients import client_address

# Every Fernet token starts with its version byte 0x80, which is "gA" in base64.
_FERNET_PREFIX = "gA"


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(f"shopstack.accounts.mfa:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    return MultiFernet(
        [_fernet(settings.SECRET_KEY), *(_fernet(key) for key in settings.SECRET_KEY_FALLBACKS)]
    )


class ShopMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return _keys().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_FERNET_PREFIX):
            # Written before encryption was switched on; re-saving the authenticator encrypts it.
            return encrypted_text
        try:
            return _keys().decrypt(encrypted_text.encode()).decode()
        except InvalidToken as error:
            raise ValueError("An MFA secret could not be decrypted: was SECRET_KEY changed?") from error


class ShopAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # Sign-in and reset limits count the same client address as every other limit.
        return client_address(request)
