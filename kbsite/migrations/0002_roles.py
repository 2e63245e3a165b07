"""The two roles beside superusers: 编辑 (editors) and 管理员 (administrators)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# What editors may do: add and change content and classifications, never delete, and
# nothing about notices' structure or user accounts beyond looking.
EDITOR_EDITS = {
    "policies": ["measure", "topic", "targetgroup", "region"],
    "industry": ["figure", "company", "action", "product", "indicator", "actionkind", "place"],
}
EDITOR_VIEWS = {
    "policies": ["notice", "heading"],
    "industry": ["article", "section", "paragraph"],
}
ADMIN_APPS = ["policies", "industry", "auth", "reversion", "axes"]


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations run; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    editor, _ = Group.objects.get_or_create(name="编辑")
    codenames = [
        (app, f"{action}_{model}")
        for app, models in EDITOR_EDITS.items()
        for model in models
        for action in ("add", "change", "view")
    ] + [(app, f"view_{model}") for app, models in EDITOR_VIEWS.items() for model in models]
    editor.permissions.set(
        [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in codenames]
    )

    administrator, _ = Group.objects.get_or_create(name="管理员")
    administrator.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["编辑", "管理员"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kbsite", "0001_data_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("policies", "0004_measure_search"),
        ("industry", "0002_versions_and_search"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
