from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from kbsite.search import analyze


class Versioned(models.Model):
    """A record that editors change concurrently: `version` goes up on every save, so a
    form that was opened on an older version can be refused (see kbsite.admin)."""

    version = models.PositiveIntegerField(
        "版本", default=1, help_text="每次保存加一，用于发现两人同时编辑。"
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


class Searchable(models.Model):
    """A record the site search finds. Subclasses say what its title and body text are;
    the analysed token streams are stored here and indexed by the database (see
    kbsite.search and the migration that calls create_search_index)."""

    search_title = models.TextField("检索用标题词元", editable=False, default="")
    search_body = models.TextField("检索用正文词元", editable=False, default="")

    class Meta:
        abstract = True

    def search_document(self) -> tuple[str, str]:
        raise NotImplementedError

    def refresh_search(self) -> None:
        title, body = self.search_document()
        self.search_title, self.search_body = analyze(title), analyze(body)


@receiver(pre_save)
def fill_search_text(sender, instance, **kwargs):
    # Raw saves too: fixtures must arrive searchable.
    if isinstance(instance, Searchable):
        instance.refresh_search()


class DataVersion(models.Model):
    """A counter that every change to the knowledge base moves on. Cached results that
    depend on the data (facet counts, list totals) put it in their cache keys, so no
    cache ever outlives an edit, in any server process."""

    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "数据版本"
        verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return str(self.number)


KNOWLEDGE_APPS = {"policies", "industry"}


def data_version() -> int:
    return DataVersion.objects.values_list("number", flat=True).first() or 0


def bump_data_version() -> None:
    if not DataVersion.objects.filter(pk=1).update(number=models.F("number") + 1):
        DataVersion.objects.get_or_create(pk=1, defaults={"number": 1})


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def knowledge_changed(sender, raw=False, **kwargs):
    # Raw saves are fixture loads; the loading command moves the version on once at the end.
    if not raw and sender._meta.app_label in KNOWLEDGE_APPS:
        bump_data_version()
