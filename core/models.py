"""What every knowledge-base record stands on: natural keys, a version number that catches
concurrent edits, the search token streams, a vocabulary term, and the data version that
cached results are keyed on.

An app contributes knowledge by saying so in its AppConfig (`knowledge_base = True`):
saving any of its records moves the data version on. Searchable models are found by
their base class; core never names an app.
"""

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from core import search
from core.analysis import analyze


class NaturalKeyManager(models.Manager):
    """Finds a record by its natural key, the values of its model's `natural_key_fields`."""

    def get_by_natural_key(self, *values):
        fields = self.model.natural_key_fields
        return self.get(**dict(zip(fields, values, strict=True)))


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


class Searchable(models.Model):
    """A record the site search finds. Subclasses say what its title and body text are
    (`search_document`) and which related rows that text needs (`search_related`); the
    analysed token streams are stored here and indexed by the database (see core.search
    and the migration that calls create_search_index)."""

    search_title = search.SearchTokens(_("检索用标题词元"), editable=False, default="")
    search_body = search.SearchTokens(_("检索用正文词元"), editable=False, default="")

    search_related: tuple[str, ...] = ()

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


@receiver(pre_save)
def fill_search_text(sender, instance, **kwargs):
    # Raw saves too: fixtures must arrive searchable.
    if isinstance(instance, Searchable):
        instance.refresh_search()


def searchable_models() -> list[type[Searchable]]:
    return [model for model in apps.get_models() if issubclass(model, Searchable)]


def repair_search_indexes(using="default", **kwargs):
    """After every migrate (see CoreConfig.ready)."""
    search.repair_sqlite_indexes([m._meta.db_table for m in searchable_models()], using)


class DataVersion(models.Model):
    """A counter that every change to the knowledge base moves on. Cached results that
    depend on the data (facet counts, list totals) put it in their cache keys, so no
    cache ever outlives an edit, in any server process."""

    scope = models.CharField(max_length=100, unique=True, default="knowledge")
    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "数据版本"
        verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return f"{self.scope}: {self.number}"


SCOPE = "knowledge"


def data_version() -> int:
    return DataVersion.objects.filter(scope=SCOPE).values_list("number", flat=True).first() or 0


def bump_data_version() -> None:
    if not DataVersion.objects.filter(scope=SCOPE).update(number=models.F("number") + 1):
        DataVersion.objects.get_or_create(scope=SCOPE, defaults={"number": 1})


def knowledge_apps() -> list:
    """The apps that hold knowledge-base content (see core.apps), in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if getattr(config, "knowledge_base", False)]


def is_knowledge(model) -> bool:
    """Whether records of this model are knowledge-base content (their app says so)."""
    return getattr(model._meta.app_config, "knowledge_base", False)


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def knowledge_changed(sender, raw=False, **kwargs):
    # Raw saves are fixture loads; the loading command moves the version on once at the end.
    if not raw and is_knowledge(sender):
        bump_data_version()
