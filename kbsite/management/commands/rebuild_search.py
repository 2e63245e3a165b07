from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from kbsite.models import Searchable
from kbsite.progress import Progress

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Analyse the text of every searchable record again and store it for the search index "
        "(after bulk loads that skipped save(), or after a change to the analyser)."
    )

    def handle(self, *args, **options):
        for model in apps.get_models():
            if not issubclass(model, Searchable):
                continue
            # for_search() brings the related rows that the search text is made of.
            queryset = model.objects.for_search().order_by("pk")
            total = queryset.count()
            progress = Progress(total, model._meta.label)
            with transaction.atomic():
                batch = []
                for obj in queryset.iterator(chunk_size=BATCH):
                    obj.refresh_search()
                    batch.append(obj)
                    if len(batch) == BATCH:
                        model.objects.bulk_update(batch, ["search_title", "search_body"])
                        progress.advance(len(batch))
                        batch = []
                model.objects.bulk_update(batch, ["search_title", "search_body"])
                progress.advance(len(batch))
            self.stdout.write(f"{model._meta.label}: {total} records analysed.")
