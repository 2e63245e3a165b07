"""What every knowledge-base record stands on: natural keys, a version number that catches
concurrent edits, the search token streams, a vocabulary term, and the data version that
cached results are keyed on.

An app contributes knowledge by saying so in its AppConfig (`knowledge_base = True`):
saving any of its records moves the data version of its kind (its app, see data_kind) on.
Searchable models are found by their base class; core never names an app.
"""

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import Q
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver
from django.utils.translation import gettext_lazy as _

from core import search
from core.analysis import Query, Search, analyze

# The records found by natural key during a fixture load: {(model, database, key): record}.
_found_by_natural_key: ContextVar[dict | None] = ContextVar("found_by_natural_key", default=None)


@contextmanager
def natural_keys_remembered():
    """Look each natural key up once: a fixture names the same notice, product or topic in
    many records. Only around a load, which changes no record's natural key."""
    token = _found_by_natural_key.set({})
    try:
        yield
    finally:
        _found_by_natural_key.reset(token)


class NaturalKeyManager(models.Manager):
    """Finds a record by its natural key, the values of its model's `natural_key_fields`."""

    def get_by_natural_key(self, *values):
        found = _found_by_natural_key.get()
        key = (self.model, self.db, values)
        if found is not None and key in found:
            return found[key]
        fields = self.model.natural_key_fields
        record = self.get(**dict(zip(fields, values, strict=True)))
        if found is not None:
            found[key] = record
        return record


class NaturalKeyModel(models.Model):
    """A record that fixtures and backups name by what it is (a slug, a notice and a
    number), not by its id, so they read as data and reload anywhere."""

    # Lookups, such as ("notice__slug", "number"); a related model that also has a natural
    # key is found through its own, so Django's dumpdata orders the two correctly.
    natural_key_fields: tuple[str, ...] = ("slug",)

    objects = NaturalKeyManager()

    class Meta:
        abstract = True

    def natural_key(self) -> tuple:
        values = []
        for lookup in self.natural_key_fields:
            value = self
            for part in lookup.split("__"):
                value = getattr(value, part)
            values.append(value)
        return tuple(values)


class Versioned(NaturalKeyModel):
    """A record that editors change concurrently: `version` goes up on every save, so a
    form that was opened on an older version can be refused (see core.admin)."""

    version = models.PositiveIntegerField(
        _("版本"), default=1, help_text=_("每次保存加一，用于发现两人同时编辑。")
    )

    class Meta:
        abstract = True


@receiver(pre_save)
def bump_version(sender, instance, raw, **kwargs):
    """Count up from the stored version, never from what the instance carries: a revert
    from history (a raw save of old data) must not move the number back to one that a
    stale form might still hold. A raw save keeps the stored number; the admin's save
    that completes a revert then counts up as any other edit does."""
    if not isinstance(instance, Versioned) or instance.pk is None:
        return
    current = sender._base_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
    if current is not None:
        instance.version = current if raw else current + 1


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """What the public sees: records an editor has published, not drafts."""
        return self.filter(status=Publishable.Status.PUBLISHED)

    def drafts(self):
        return self.filter(status=Publishable.Status.DRAFT)


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Publishable(models.Model):
    """A record that starts as a draft, seen only in the admin (and previewed there by
    staff), until an editor publishes it. Records that belong to it (a notice's measures,
    an article's paragraphs) are public when it is: their querysets' `published()` says so,
    and their search text stays out of the index until then (see Searchable.is_public)."""

    Status = PublicationStatus

    status = models.CharField(
        _("发布状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("草稿只有后台用户看得到（可在网站上预览）；发布后公众才能看到、检索和导出。"),
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PublicationStatus.values),
                name="%(app_label)s_%(class)s_status_known",
            )
        ]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def visible_to(self, user) -> bool:
        """Whether this user may see the record's pages: anyone once it is published; a
        draft only staff who may view it in the admin (a preview)."""
        if self.is_published:
            return True
        opts = self._meta
        return (
            user.is_active
            and user.is_staff
            and user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        )


class Term(Versioned):
    """A word of the knowledge base's vocabulary (a product, an indicator, a kind of
    action, a classification): Chinese name, editorial English name, an editor's
    description of what it covers, and its place in lists."""

    slug = models.SlugField(_("网址标识"), max_length=60, unique=True)
    name = models.CharField(_("中文名称"), max_length=60, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100, help_text=_("编者所译。"))
    description = models.CharField(_("说明"), max_length=300, blank=True, help_text=_("编者说明。"))
    position = models.PositiveSmallIntegerField(_("次序"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


# Raise when analyze() or any model's search_document() changes: the next migrate then
# analyses every searchable record again (see rebuild_stale_search_index).
SEARCH_INDEX_VERSION = 3


class SearchableQuerySet(models.QuerySet):
    """Reads that every searchable model shares."""

    def for_search(self):
        """What a search hit shows: the model's `search_related` rows, without the token
        streams (only the index reads them)."""
        return self.select_related(*self.model.search_related).defer("search_title", "search_body")

    def for_indexing(self):
        """What the search document is made of: the record's own text and the names of
        the records it is filed under (`search_names`)."""
        fields, many = [], []
        for lookup in self.model.search_names:
            (many if _is_many(self.model, lookup) else fields).append(lookup)
        return self.select_related(*self.model.search_related, *fields).prefetch_related(*many)

    def matching(
        self, words: "Search | str", *, scope: str = search.ANYWHERE, ids: tuple | None = None
    ):
        """The records holding every word of the search (in the scope). A string is read
        as typed, without other names: parse it with core.find.parse for those. `ids`
        (SQL of a low and a high id, and its parameters) is a hint that only records with
        ids in that range are wanted (see core.search.In); others may still come back."""
        if isinstance(words, str):
            words = Search.parse(words)
        if not words or (scope == search.TOGETHER and not words.together):
            return self.none()
        return self.filter(search_title__matches=search.In(words, scope, ids))


def _path(model, lookup: str) -> list:
    fields = []
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        fields.append(field)
        model = field.related_model
    return fields


def _is_many(model, lookup: str) -> bool:
    return any(field.many_to_many or field.one_to_many for field in _path(model, lookup))


class Searchable(models.Model):
    """A record the site search finds. Subclasses say:

    - `search_document()`: its title and body text (the body ends with the names of what
      the record is filed under, in Chinese and English, so that a word typed can be found
      in either);
    - `search_related`: the related rows a search hit shows (select_related);
    - `search_names`: the lookups to the records whose names the document includes; when
      one of those changes, or the record is filed under another, the document is made
      again (see `watch_search_names`).

    The analysed token streams are stored here and indexed by the database (see
    core.search and the migration that calls create_search_index)."""

    search_title = search.SearchTokens(_("检索用标题词元"), editable=False, default="")
    search_body = search.SearchTokens(_("检索用正文词元"), editable=False, default="")

    search_related: tuple[str, ...] = ()
    search_names: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def search_document(self) -> tuple[str, str]:
        raise NotImplementedError

    def is_public(self) -> bool:
        """Whether the public may find this record. A draft's records are kept out of the
        index (their token streams stay empty) until it is published, so no search, count
        or export can show them, and no search statement has to filter them out."""
        return True

    def refresh_search(self) -> None:
        title, body = self.search_document() if self.is_public() else ("", "")
        self.search_title, self.search_body = analyze(title), analyze(body)

    def names_of(self, lookup: str, *fields: str) -> list[str]:
        """The values of `fields` (default: name and name_en) of the records this one is
        filed under through a many-to-many `lookup`; none before the record is first saved."""
        if self.pk is None:
            return []
        fields = fields or ("name", "name_en")
        return [getattr(obj, field) for obj in getattr(self, lookup).all() for field in fields]


@receiver(pre_save)
def fill_search_text(sender, instance, **kwargs):
    # Raw saves too: fixtures must arrive searchable.
    if isinstance(instance, Searchable):
        instance.refresh_search()


def searchable_models() -> list[type[Searchable]]:
    return [model for model in apps.get_models() if issubclass(model, Searchable)]


REINDEX_BATCH = 1000


def reindex(queryset) -> int:
    """Analyse these records' documents again and store them (no save signals, no new
    version: the records themselves did not change)."""
    model = queryset.model
    done, batch = 0, []
    for obj in queryset.for_indexing().order_by("pk").iterator(chunk_size=REINDEX_BATCH):
        obj.refresh_search()
        batch.append(obj)
        if len(batch) == REINDEX_BATCH:
            model.objects.bulk_update(batch, ["search_title", "search_body"])
            done, batch = done + len(batch), []
    model.objects.bulk_update(batch, ["search_title", "search_body"])
    return done + len(batch)


def watch_search_names() -> None:
    """Keep search documents in step with the names they include (see
    Searchable.search_names): re-analyse the records filed under a record that is saved or
    deleted, and a record that is filed under others or no longer. Called once the apps
    are loaded (CoreConfig.ready)."""
    for model in searchable_models():
        for lookup in model.search_names:
            path = _path(model, lookup)
            related = path[-1].related_model
            _watch(model, lookup, related)
            if len(path) == 1 and path[0].many_to_many:
                through = path[0].remote_field.through
                m2m_changed.connect(
                    _filed_changed(model, lookup),
                    sender=through,
                    weak=False,
                    dispatch_uid=f"search-filed-{model._meta.label}-{lookup}",
                )
                if not through._meta.auto_created:
                    _watch_through(model, lookup, through, path[0].m2m_field_name())


def _watch_through(model, lookup: str, through, source: str) -> None:
    """A many-to-many field with its own model (an assignment with its evidence) is also
    changed by saving or deleting those rows (an admin inline does, and a fixture load, whose
    records must arrive searchable): re-analyse the record."""
    uid = f"search-through-{model._meta.label}-{lookup}"

    def changed(sender, instance, **kwargs):
        reindex(model.objects.filter(pk=getattr(instance, f"{source}_id")))

    post_save.connect(changed, sender=through, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=through, weak=False, dispatch_uid=uid)


def _watch(model, lookup: str, related) -> None:
    uid = f"search-names-{model._meta.label}-{lookup}"

    def saved(sender, instance, raw=False, created=False, **kwargs):
        if not raw and not created:
            reindex(model.objects.filter(**{lookup: instance}))

    def deleting(sender, instance, **kwargs):
        ids = list(model.objects.filter(**{lookup: instance}).values_list("pk", flat=True))
        instance._search_affected = {**getattr(instance, "_search_affected", {}), uid: ids}

    def deleted(sender, instance, **kwargs):
        ids = getattr(instance, "_search_affected", {}).get(uid)
        if ids:
            reindex(model.objects.filter(pk__in=ids))

    post_save.connect(saved, sender=related, weak=False, dispatch_uid=uid)
    pre_delete.connect(deleting, sender=related, weak=False, dispatch_uid=uid)
    post_delete.connect(deleted, sender=related, weak=False, dispatch_uid=uid)


def _filed_changed(model, lookup: str):
    def changed(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse:  # measure.topics.add(...): this record's names changed
            if action in ("post_add", "post_remove", "post_clear"):
                reindex(model.objects.filter(pk=instance.pk))
        elif action == "pre_clear":  # topic.measures.clear(): find them before they go
            ids = model.objects.filter(**{lookup: instance}).values_list("pk", flat=True)
            instance._search_cleared = list(ids)
        elif action == "post_clear":
            reindex(model.objects.filter(pk__in=getattr(instance, "_search_cleared", [])))
        elif action in ("post_add", "post_remove") and pk_set:
            reindex(model.objects.filter(pk__in=pk_set))

    return changed


def repair_search_indexes(using="default", **kwargs):
    """After every migrate (see CoreConfig.ready)."""
    search.repair_sqlite_indexes([m._meta.db_table for m in searchable_models()], using)


def rebuild_stale_search_index(using="default", **kwargs):
    """After every migrate: analyse every searchable record again when the index was
    built by another version of the analyser or of the documents."""
    row, _ = DataVersion.objects.using(using).get_or_create(scope="search-index")
    if row.number == SEARCH_INDEX_VERSION:
        return
    for model in searchable_models():
        reindex(model.objects.using(using).all())
    row.number = SEARCH_INDEX_VERSION
    row.save(update_fields=["number"])


class EquivalentTerms(Versioned):
    """Other names for the same thing (房租 = 租金, PVC = 聚氯乙烯, 烧碱 = caustic soda): a
    search for any of them also finds the others. Editorial: the source names each thing one
    way; this list says what else staff type for it."""

    terms = models.CharField(
        _("等同说法"),
        max_length=300,
        unique=True,
        help_text=_("两个或更多说法，用“=”分隔，例如 房租 = 租金。中文、英文均可。"),
    )
    note = models.CharField(
        _("依据"),
        max_length=300,
        blank=True,
        help_text=_("编者说明为何等同，例如原文用哪个说法。"),
    )

    natural_key_fields = ("terms",)
    # Editing the list changes what searches find: cached results must not outlive it.
    knowledge_base = True
    data_kind = "terms"

    class Meta:
        verbose_name = _("等同说法")
        verbose_name_plural = _("等同说法")
        ordering = ["terms"]

    def __str__(self) -> str:
        return self.terms

    @property
    def names(self) -> list[str]:
        return [part.strip() for part in self.terms.split("=") if part.strip()]

    def clean(self):
        names = self.names
        if len(names) < 2:
            raise ValidationError({"terms": _("至少写两个说法，用“=”分隔。")})
        unsearchable = [name for name in names if not Query.parse(name)]
        if unsearchable:
            raise ValidationError(
                {
                    "terms": _("这些说法没有可检索的文字：%(names)s")
                    % {"names": "、".join(unsearchable)}
                }
            )
        self.terms = " = ".join(dict.fromkeys(names))


class DataVersion(models.Model):
    """A counter that every change to one kind of knowledge-base record moves on (a scope
    per kind: "knowledge:policies", "knowledge:industry"). Cached results put the numbers of
    the kinds they read in their cache keys, so no cache outlives an edit, in any server
    process, and an edit of a measure leaves what is computed from the figures alone."""

    scope = models.CharField(max_length=100, unique=True, default="knowledge")
    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "数据版本"
        verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return f"{self.scope}: {self.number}"


SCOPE_PREFIX = "knowledge:"

# Sent after a kind's version moved on, with the `kinds` (see core.caching).
data_changed = Signal()


def data_kind(model) -> str:
    """The kind of record a model's rows are, for the data version: its app's label unless
    the model names another (`data_kind`)."""
    return getattr(model, "data_kind", None) or model._meta.app_label


@functools.cache
def data_kinds() -> tuple[str, ...]:
    """Every kind of knowledge-base record (computed once the apps are loaded)."""
    models_ = apps.get_models(include_auto_created=True)
    return tuple(sorted({data_kind(model) for model in models_ if is_knowledge(model)}))


def data_versions() -> dict[str, int]:
    """Each kind's version, in one query: every page reads them (the whole-page cache's key),
    so the query is written out, a fraction of what the ORM takes to build it."""
    connection = connections[router.db_for_read(DataVersion)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('scope')}, {quote('number')} FROM {quote(DataVersion._meta.db_table)}"
        )
        found = dict(cursor.fetchall())
    return {kind: found.get(SCOPE_PREFIX + kind, 0) for kind in data_kinds()}


def bump_data_version(*kinds: str) -> None:
    """Move these kinds' versions on (all kinds when none is named)."""
    kinds = kinds or data_kinds()
    scopes = [SCOPE_PREFIX + kind for kind in kinds]
    rows = DataVersion.objects.filter(scope__in=scopes)
    if rows.update(number=models.F("number") + 1) < len(scopes):
        # A kind's first change: create its row, then count up (a row that another process
        # created meanwhile is counted up twice, which still changes the key).
        for scope in scopes:
            DataVersion.objects.get_or_create(scope=scope)
        rows.update(number=models.F("number") + 1)
    data_changed.send(sender=DataVersion, kinds=kinds)


def knowledge_apps() -> list:
    """The apps that hold knowledge-base content (see core.apps), in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if getattr(config, "knowledge_base", False)]


def is_knowledge(model) -> bool:
    """Whether records of this model are knowledge-base content (their app, or the model
    itself, says so)."""
    return getattr(model, "knowledge_base", False) or getattr(
        model._meta.app_config, "knowledge_base", False
    )


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def knowledge_changed(sender, raw=False, action="post_", **kwargs):
    # Raw saves are fixture loads; the loading command moves the version on once at the end.
    # A many-to-many change moves it on once it is made (post_add, post_remove, post_clear).
    if not raw and action.startswith("post_") and is_knowledge(sender):
        bump_data_version(data_kind(sender))


# What the public 最近更新 page lists (core.changes): an app names its records in its
# AppConfig's `public_history`, {model name: (publication, related)}, where
# `publication` is the lookup to the record whose publication decides whether the public
# sees it ("" for the record itself, None when it is always public) and `related` what its
# name and URL read (select_related: a page of changes fetches each kind's records at once).
@dataclass(frozen=True)
class HistoryKind:
    model: type
    publication: str | None
    related: tuple[str, ...]

    @property
    def governed_by(self) -> type | None:
        """The model whose publication decides (a notice, an article), if any."""
        if self.publication is None:
            return None
        if self.publication == "":
            return self.model
        return _path(self.model, self.publication)[-1].related_model


@functools.cache
def history_kinds() -> dict[type, HistoryKind]:
    kinds = {}
    for config in apps.get_app_configs():
        for name, (publication, related) in getattr(config, "public_history", {}).items():
            model = config.get_model(name)
            kinds[model] = HistoryKind(model, publication, tuple(related))
    return kinds


# Rows edited on a listed record's admin page as part of it (a measure's classifications,
# an action's other quantities): an app names them in `public_history_parts`,
# {model name: (record, named_by)}, where `record` is the foreign key to the listed record
# and `named_by` the field that names a row on the changes page (a vocabulary term, or text
# as printed). A change to such rows is listed as a change of their record.
@dataclass(frozen=True)
class HistoryPart:
    model: type
    record: str
    named_by: str

    @property
    def record_model(self) -> type:
        return self.model._meta.get_field(self.record).related_model

    @property
    def label(self):
        """What the rows are: the kind of term that names them (支持对象), else the model."""
        field = self.model._meta.get_field(self.named_by)
        return field.verbose_name if field.is_relation else self.model._meta.verbose_name


@functools.cache
def history_parts() -> dict[type, HistoryPart]:
    parts = {}
    for config in apps.get_app_configs():
        for name, (record, named_by) in getattr(config, "public_history_parts", {}).items():
            model = config.get_model(name)
            parts[model] = HistoryPart(model, record, named_by)
    return parts


def _pk_text(model):
    return model._base_manager.values_list(Cast("pk", models.CharField()), flat=True)


def _changes_of(model, pk) -> Q:
    """The changes about a record (`pk`, or an OuterRef to it): its own, of a notice or
    article also those of what it holds, and those of the records its page lists
    (`history_includes`, reverse foreign keys: a company's actions, which link to it)."""
    content_type = ContentType.objects.get_for_model(model)
    outer = hasattr(pk, "resolve_expression")
    text = Cast(pk, models.CharField()) if outer else str(pk)
    if issubclass(model, Publishable):
        about = Q(governed_by_type=content_type, governed_by_id=text)
    else:
        about = Q(content_type=content_type, object_id=text)
    for name in getattr(model, "history_includes", ()):
        relation = model._meta.get_field(name)
        # One query deeper, an OuterRef reaches out one more level.
        owner = models.OuterRef(pk) if outer else pk
        listed = _pk_text(relation.related_model).filter(**{relation.field.name: owner})
        about |= Q(
            content_type=ContentType.objects.get_for_model(relation.related_model),
            object_id__in=listed,
        )
    return about


class ChangeQuerySet(models.QuerySet):
    def public(self):
        """What anyone may read: changes made while the record was public, of records the
        public sees now (their notice or article is published), and deletions of records
        that were public when deleted (unless what they belonged to is a draft now)."""
        return self.filter(_visible(_governing_content_types()), public=True)

    def about(self, record):
        """The changes of this record; of a notice or article, also of what it holds."""
        return self.filter(_changes_of(type(record), record.pk))

    def newest_date(self, model) -> models.Subquery:
        """The date of the newest of these changes about each `model` record (as `about`
        reads them), to annotate a queryset of that model with: one query for all."""
        newest = self.filter(_changes_of(model, models.OuterRef("pk")))
        newest = newest.order_by("-date").values("date")[:1]
        return models.Subquery(newest)

    def newest_first(self):
        return self.order_by("-date", "-pk")


def _governing_content_types() -> tuple[tuple[type, int], ...]:
    """The models that decide whether the public sees a record, with their content type ids
    (ContentType keeps them in memory)."""
    governing = {k.governed_by for k in history_kinds().values()} - {None}
    return tuple(
        (model, ContentType.objects.get_for_model(model).pk)
        for model in sorted(governing, key=lambda m: m._meta.label)
    )


# Built once for each set of content type ids: the subqueries cost about a millisecond to
# build, on every page that says when its record was last updated. A filter copies what it
# is given, so one condition serves every query.
@functools.cache
def _visible(governing: tuple[tuple[type, int], ...]) -> Q:
    visible = Q(governed_by_type__isnull=True)
    for model, content_type_id in governing:
        published = _pk_text(model).filter(status=PublicationStatus.PUBLISHED)
        gone = Q(action=Change.Action.DELETED) & ~Q(governed_by_id__in=_pk_text(model))
        visible |= Q(governed_by_type_id=content_type_id) & (Q(governed_by_id__in=published) | gone)
    return visible


def newest_public_change(model: type[models.Model]) -> models.Subquery:
    """The date of the newest public change of the record OuterRef("pk") of `model` (as
    `Change.objects.public().about(record)` finds them): an annotation, so that a page reads
    its record's last update (最后更新) with the record rather than in a query of its own."""
    content_type = ContentType.objects.get_for_model(model)
    return _newest_public_change(model, content_type.pk, _governing_content_types())


@functools.cache  # as _visible: the same expression serves every query
def _newest_public_change(model, content_type_id: int, governing) -> models.Subquery:
    pk = Cast(models.OuterRef("pk"), models.CharField())
    changes = Change.objects.filter(_visible(governing), public=True)
    if issubclass(model, Publishable):
        changes = changes.filter(governed_by_type_id=content_type_id, governed_by_id=pk)
    else:
        changes = changes.filter(content_type_id=content_type_id, object_id=pk)
    return models.Subquery(changes.order_by("-date").values("date")[:1])


class Change(models.Model):
    """One record's change, as the 最近更新 page and the feeds list it: made from the edit
    history (django-reversion) when a revision is saved, and when a record is deleted (see
    core.changes). Which fields changed is kept, never the values, the editor's comment or
    the editor: those stay in the admin's history."""

    class Action(models.TextChoices):
        ADDED = "added", _("新增")
        CHANGED = "changed", _("修改")
        DELETED = "deleted", _("删除")

    date = models.DateTimeField(_("时间"))
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=191)
    object_repr = models.CharField(_("记录"), max_length=200, help_text=_("保存时的名称。"))
    fields = models.JSONField(
        _("所改字段"), default=list, help_text=_("字段名（attname），不含字段的值。")
    )
    governed_by_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, related_name="+"
    )
    governed_by_id = models.CharField(
        max_length=191, blank=True, help_text=_("决定公众能否看到此记录的通知或文章。")
    )
    public = models.BooleanField(_("当时公开"), default=False)
    revision = models.ForeignKey(
        "reversion.Revision", on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("更新记录")
        verbose_name_plural = _("更新记录")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-date"], name="change_of_record"),
            models.Index(
                fields=["governed_by_type", "governed_by_id", "-date"], name="change_within"
            ),
            models.Index(fields=["-date", "-id"], name="change_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["added", "changed", "deleted"]), name="change_action_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"
