from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand

# Each app's seed fixture, in load order (industry links to policy measures).
SEED_FIXTURES = [("policies", "policies.json"), ("industry", "industry.json")]


class Command(BaseCommand):
    help = (
        "Load the seed fixtures into apps whose tables are still empty. An app that already "
        "holds any record is left alone, so admins' edits survive every run."
    )

    def handle(self, *args, **options):
        for app_label, filename in SEED_FIXTURES:
            path = settings.BASE_DIR / "fixtures" / filename
            if not path.exists():
                continue
            if app_has_data(app_label):
                self.stdout.write(
                    f"{filename}: {app_label} already holds data, not loaded."
                )
                continue
            try:
                call_command("loaddata", path, verbosity=0)
            except Exception as exc:  # loaddata rolls back; say which fixture and why
                raise CommandError(
                    f"{filename} was not loaded (nothing was saved): {exc}"
                ) from exc
            self.stdout.write(
                self.style.SUCCESS(f"{filename}: loaded into {app_label}.")
            )


def app_has_data(app_label: str) -> bool:
    return any(
        model.objects.exists() for model in apps.get_app_config(app_label).get_models()
    )
