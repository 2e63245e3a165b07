from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KbsiteConfig(AppConfig):
    name = "kbsite"
    verbose_name = "知识库"

    def ready(self):
        from kbsite.search import repair_sqlite_indexes

        post_migrate.connect(repair_sqlite_indexes, sender=self)
