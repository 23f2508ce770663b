"""Back office for customers and staff.

The admin signs in through allauth: its login view is replaced so that a staff member with a
TOTP authenticator must give a code, and the rate limits of the shop's login apply. Staff
without TOTP are sent to set it up (see accounts.middleware).
"""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from shopstack.accounts.models import Address, User
from shopstack.core.admin_utils import csv_export_action

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Shopstack back office"
admin.site.site_title = "Shopstack back office"


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = (
        ("full_name", "company"),
        ("line1", "line2"),
        ("city", "region", "postal_code", "country"),
        "phone",
        ("is_default_shipping", "is_default_billing"),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "country", "external_id")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    list_display = ("email", "first_name", "last_name", "country", "external_id", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "country")
    search_fields = ("email", "first_name", "last_name", "external_id")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    inlines = (AddressInline,)
    show_full_result_count = False
    actions = (
        csv_export_action(
            [
                ("email", "email"),
                ("first_name", "first_name"),
                ("last_name", "last_name"),
                ("country", "country"),
                ("external_id", "external_id"),
                ("is_staff", "is_staff"),
                ("date_joined", "date_joined"),
            ],
            name="customers",
        ),
    )


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("full_name", "user", "city", "postal_code", "country", "is_default_shipping")
    list_filter = ("country", "is_default_shipping", "is_default_billing")
    search_fields = ("full_name", "user__email", "postal_code", "city")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    show_full_result_count = False
