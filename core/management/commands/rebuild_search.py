from django.core.management.base import BaseCommand
from django.db import transaction

from core.models import searchable_models

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Analyse the text of every searchable record again and store it for the search index "
        "(after bulk loads that skipped save(), or after a change to the analyser)."
    )

    def handle(self, *args, verbosity, **options):
        self.verbosity = verbosity
        for model in searchable_models():
            # for_search() brings the related rows that the search text is made of.
            queryset = model.objects.for_search().order_by("pk")
            done = 0
            with transaction.atomic():
                batch = []
                for obj in queryset.iterator(chunk_size=BATCH):
                    obj.refresh_search()
                    batch.append(obj)
                    if len(batch) == BATCH:
                        done += self.save(model, batch)
                        batch = []
                done += self.save(model, batch)
            self.stdout.write(f"{model._meta.label}: {done} records analysed.")

    def save(self, model, batch) -> int:
        model.objects.bulk_update(batch, ["search_title", "search_body"])
        if batch and self.verbosity > 1:
            self.stderr.write(f"{model._meta.label}: {len(batch)} more")
        return len(batch)
