from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from core.management.commands.seed import app_has_data, seed_fixtures
from core.roles import ADMINISTRATOR, EDITOR


class Command(BaseCommand):
    help = (
        "Load a file written by `manage.py backup` into a freshly migrated database. Refuses "
        "a database that already holds knowledge-base records, so nothing is mixed or overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="file written by `manage.py backup`")

    def handle(self, *args, backup, **options):
        in_use = [label for label, _ in seed_fixtures() if app_has_data(label)]
        if in_use or apps.get_model("reversion", "Version").objects.exists():
            raise CommandError(
                f"The database already holds records ({', '.join(in_use) or 'history'}); "
                "restore into an empty database (a new DATABASE_URL, then `manage.py migrate`)."
            )
        with transaction.atomic():
            # `migrate` made the roles afresh; the backup brings them back as they were
            # (with their own ids, which its users' memberships refer to).
            Group.objects.filter(name__in=[EDITOR, ADMINISTRATOR], user=None).delete()
            call_command("loaddata", backup, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Restored {backup}."))
