"""Staff roles as groups. Permissions are normally created after all migrations run
(post_migrate), so this migration creates the ones it needs first."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = ("add", "change", "delete", "view")

ROLES = {
    "Catalog manager": {
        "catalog": {
            "category": ALL,
            "attribute": ALL,
            "attributevalue": ALL,
            "producttype": ALL,
            "product": ALL,
            "productvariant": ALL,
            "productmedia": ALL,
        },
        "inventory": {"warehouse": ALL, "stock": ALL},
    },
    "Order manager": {
        "orders": {"order": ("view", "change"), "orderline": ("view", "change"), "ordercharge": ("view", "change")},
    },
    "Support": {
        "accounts": {"user": ("view",), "address": ("view",)},
        "orders": {"order": ("view",), "orderline": ("view",), "ordercharge": ("view",)},
    },
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in grants.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0002_product_is_featured"),
        ("inventory", "0001_initial"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
