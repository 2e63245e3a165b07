"""The two roles beside superusers, kept in step with the apps after every migrate:

- 编辑 (editors): view everything in the knowledge base; add and change the models each
  app names in its `editor_models` (core's: the search's equivalent terms); never delete;
  nothing about user accounts.
- 管理员 (administrators): everything in the knowledge base, its history, users and the
  login-attempt records.

The roles are defined here, not by hand: every migrate sets their permissions to exactly
this (a different role is a different group).
"""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from core.models import knowledge_apps

EDITOR = "编辑"
ADMINISTRATOR = "管理员"
# Beside the knowledge base, administrators manage accounts, history and lockouts.
ADMINISTERED_APPS = ["auth", "reversion", "axes"]


def sync_roles(app_config, using="default", apps=None, **kwargs):
    from django.apps import apps as global_apps

    # Permissions are made per app as post_migrate reaches it; the roles need them all now.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    editor_codes = Q()
    for config in global_apps.get_app_configs():
        editable = set(getattr(config, "editor_models", ()))
        knowledge = getattr(config, "knowledge_base", False)
        for model in config.get_models():
            name = model._meta.model_name
            if name in editable:
                actions = ("add", "change", "view")
            elif knowledge:
                actions = ("view",)
            else:
                continue
            codes = [f"{action}_{name}" for action in actions]
            editor_codes |= Q(content_type__app_label=config.label, codename__in=codes)
    editor, _ = Group.objects.using(using).get_or_create(name=EDITOR)
    editor.permissions.set(Permission.objects.using(using).filter(editor_codes))
    # Knowledge apps, and core (the search's equivalent terms, the data version).
    labels = [config.label for config in knowledge_apps()] + ["core", *ADMINISTERED_APPS]
    administrator, _ = Group.objects.using(using).get_or_create(name=ADMINISTRATOR)
    administrator.permissions.set(
        Permission.objects.using(using).filter(content_type__app_label__in=labels)
    )
