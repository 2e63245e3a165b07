from django.db import models
from django.db.models.signals import pre_save
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
