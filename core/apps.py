from django.apps import AppConfig
from django.core.signals import request_started
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """What the knowledge-base apps stand on. It imports no app: apps say what they
    contribute in their own AppConfig (see core.models, core.roles and the seed command):

    - `knowledge_base = True`: the app's records are knowledge-base content (edits move the
      data version on; the roles cover its models);
    - `seed_fixture`: the file in fixtures/ that `manage.py seed` loads into it;
    - `editor_models`: the models that editors (编辑) may add and change;
    - `public_history`: the records whose changes the public 最近更新 page and feeds list
      (see core.models.HistoryKind and core.changes), and in `public_history_parts` the
      rows edited on such a record's page whose changes count as its own (HistoryPart).

    Core itself seeds and lets editors change one model: the search's equivalent terms.
    """

    name = "core"
    verbose_name = "知识库"

    # The search's list of other names for things (core.models.EquivalentTerms).
    seed_fixture = "search.json"
    editor_models = ["equivalentterms"]

    def ready(self):
        from core.changes import fill_from_history, watch_history
        from core.models import (
            rebuild_stale_search_index,
            repair_search_indexes,
            watch_search_names,
        )
        from core.roles import sync_roles
        from core.routers import route_request

        # Once per migrate, after every app's migrations and permissions.
        post_migrate.connect(repair_search_indexes, sender=self)
        post_migrate.connect(rebuild_stale_search_index, sender=self)
        post_migrate.connect(sync_roles, sender=self)
        post_migrate.connect(fill_from_history, sender=self)
        watch_search_names()
        watch_history()
        request_started.connect(route_request)  # which database a request reads (a replica?)
