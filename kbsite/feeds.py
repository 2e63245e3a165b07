"""The Atom feed of every public change (the 最近更新 page as a feed)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.changes import ChangeFeed


class AllChangesFeed(ChangeFeed):
    title = _("最近更新 · 政策与行业知识库")

    def link(self) -> str:
        return reverse("changes")
