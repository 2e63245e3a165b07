from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver


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
