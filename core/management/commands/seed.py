import json
from pathlib import Path

import reversion
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from core.models import Versioned, bump_data_version, natural_keys_remembered


def seed_fixtures() -> list[tuple[str, str]]:
    """(app label, file in fixtures/) of each app with a seed fixture, in INSTALLED_APPS
    order: an app is listed after the apps its records link to."""
    return [
        (config.label, config.seed_fixture)
        for config in apps.get_app_configs()
        if getattr(config, "seed_fixture", None)
    ]


class Command(BaseCommand):
    help = (
        "Load the seed fixtures into apps whose tables are still empty. An app that already "
        "holds any record is left alone, so admins' edits survive every run."
    )

    def handle(self, *args, **options):
        for app_label, filename in seed_fixtures():
            path = settings.BASE_DIR / "fixtures" / filename
            if not path.exists():
                continue
            if app_has_data(app_label):
                self.stdout.write(f"{filename}: {app_label} already holds data, not loaded.")
                continue
            try:
                with natural_keys_remembered():
                    call_command("loaddata", path, verbosity=0)  # atomic: all or nothing
            except Exception as exc:
                raise CommandError(
                    f"{filename} was not loaded (nothing was saved). {describe_bad_record(path)}"
                    f"\nloaddata said: {exc}"
                ) from exc
            create_baseline(app_label, comment=f"初始版本：种子数据 {filename}")
            bump_data_version()
            self.stdout.write(self.style.SUCCESS(f"{filename}: loaded into {app_label}."))


def create_baseline(app_label: str, comment: str) -> None:
    """One revision holding every record of the app, so the first edit in the admin has
    something to diff against (one revision for all is far quicker than one each)."""
    with reversion.create_revision():
        reversion.set_comment(comment)
        # Inlines before the records they belong to: a record's history follows its inlines
        # (see VersionAdmin), and finds them already added instead of fetching them anew.
        for model in reversed(list(apps.get_app_config(app_label).get_models())):
            if reversion.is_registered(model):
                # The records with what their names (str) and many-to-many fields read.
                many = [field.name for field in model._meta.many_to_many]
                for obj in model._default_manager.select_related().prefetch_related(*many):
                    reversion.add_to_revision(obj)


def app_has_data(app_label: str) -> bool:
    """Whether the app holds any content record (its Versioned models: bookkeeping such as
    the data version does not count)."""
    return any(
        model.objects.exists()
        for model in apps.get_app_config(app_label).get_models()
        if issubclass(model, Versioned)
    )


def describe_bad_record(path: Path) -> str:
    """Name the first record that cannot be saved, by saving them one by one and rolling back.

    loaddata reports errors as "policies.Measure(pk=None)", which does not say which of
    the fixture's records is wrong.
    """
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"The file is not valid JSON: {exc}"
    culprit = None
    with transaction.atomic():
        for index, record in enumerate(records, start=1):
            try:
                with transaction.atomic():
                    for obj in serializers.deserialize("json", json.dumps([record])):
                        obj.save()
            except Exception as exc:
                culprit = f"Record {index} ({record.get('model')}) is wrong: {exc}\n  {json.dumps(record, ensure_ascii=False)[:400]}"
                break
        transaction.set_rollback(True)
    return (
        culprit or "Every record saves on its own; the fixture's records conflict with each other."
    )
