"""The Atom feed of one notice's changes: the notice, its headings and its measures."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.changes import ChangeFeed
from core.models import Change
from policies.models import Notice


class NoticeChangesFeed(ChangeFeed):
    def get_object(self, request, slug: str) -> Notice:
        return get_object_or_404(Notice.objects.published(), slug=slug)

    def changes(self, notice: Notice):
        return Change.objects.public().about(notice)

    def title(self, notice: Notice) -> str:
        return _("{notice} 的更新 · 政策与行业知识库").format(notice=notice.doc_number)

    def link(self, notice: Notice) -> str:
        return notice.get_absolute_url()
