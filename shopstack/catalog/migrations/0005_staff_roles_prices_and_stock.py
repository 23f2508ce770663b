"""Prices and stock are their own permissions (catalog.change_price, inventory.change_stock).

Catalog managers keep everything they had and get the price permission. Two new roles
split the work: a Catalog editor keeps products, photos and categories but sets no price
and no stock count; a Merchandiser sets prices (the bulk price action) and stock counts and
edits nothing else. A user with both roles may do both (and import CSV files with prices
and stock, which needs "add product" and "change product" as well).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = ("add", "change", "delete", "view")

ROLES = {
    "Catalog manager": {"catalog": {"productvariant": ("price",)}},
    "Catalog editor": {
        "catalog": {
            "category": ALL,
            "attribute": ALL,
            "attributevalue": ALL,
            "producttype": ALL,
            "product": ("add", "change", "view"),
            "productvariant": ("change", "view"),
            "productmedia": ALL,
        },
        "inventory": {"warehouse": ("view",), "stock": ("view",)},
    },
    "Merchandiser": {
        "catalog": {"product": ("view",), "productvariant": ("view", "price")},
        "inventory": {"warehouse": ("view",), "stock": ("view", "change")},
    },
}
NEW_ROLES = ("Catalog editor", "Merchandiser")


def _codename(action: str, model: str) -> str:
    return "change_price" if action == "price" else f"{action}_{model}"


def _permissions(apps, grants):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=_codename(action, model))
        for app_label, models in grants.items()
        for model, actions in models.items()
        for action in actions
    ]


def grant(apps, schema_editor):
    for label in ("catalog", "inventory"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(apps, grants))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=NEW_ROLES).delete()
    manager = Group.objects.filter(name="Catalog manager").first()
    if manager is not None:
        manager.permissions.remove(*_permissions(apps, ROLES["Catalog manager"]))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_variant_change_price_permission"),
        ("inventory", "0002_reservations_allocations"),
        ("accounts", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
