from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by `migrate` or worthless in a restore: content types and permissions (referred
# to by natural key instead), sessions, login-attempt records and the cache counter.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "core.dataversion"]


class Command(BaseCommand):
    help = (
        "Write the whole knowledge base (records, users, groups, edit history) to a JSON file. "
        "Restore it with `manage.py restore FILE` into a freshly migrated database."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="file to write, e.g. backup-2026-11-26.json")

    def handle(self, *args, output, **options):
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,  # content types and permissions differ between databases
            indent=1,
            output=output,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {output}."))
