"""Customers and staff: one user model, email as the login."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models


class UserManager(DjangoUserManager["User"]):
    def _create_user_object(self, username: Any, email: Any, password: Any, **extra_fields: Any) -> User:  # type: ignore[override]
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> User:  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    country = models.CharField(max_length=64, blank=True)
    # Customer number from an imported system (the Online Retail CustomerID for the demo).
    external_id = models.CharField(max_length=32, blank=True, db_index=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.email


class Address(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=128)
    company = models.CharField(max_length=128, blank=True)
    line1 = models.CharField("address line 1", max_length=128)
    line2 = models.CharField("address line 2", max_length=128, blank=True)
    city = models.CharField(max_length=64)
    region = models.CharField("county / state / region", max_length=64, blank=True)
    postal_code = models.CharField(max_length=16)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    phone = models.CharField(max_length=32, blank=True)
    is_default_shipping = models.BooleanField(default=False)
    is_default_billing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-is_default_shipping", "-created_at")
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city} {self.postal_code}, {self.country}"


class StaffEnrolment(models.Model):
    """A single-use link, emailed to a staff member, to set up two-factor authentication.

    A password alone must not be enough to enrol a second factor on a staff account: the
    link proves the person also reads the account's mailbox. Its use is recorded here, in
    the database, so that every web process sees it spent.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_enrolments")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Two-factor enrolment link for {self.user} ({self.created_at:%Y-%m-%d %H:%M})"
