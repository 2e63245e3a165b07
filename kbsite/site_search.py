"""The site search: which records it finds, how it ranks them, and their snippets."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from industry.models import Action, Company, Figure, Paragraph
from kbsite import search
from kbsite.search import HAN
from policies.models import Measure

# Search pages are numbered up to here: deeper pages would read ever more of each index.
MAX_PAGES = 50
SNIPPET_CHARS = 90


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any
    model: type
    # What a row of the search export says about one record: (title, text, citation).
    describe: Callable[[Any], tuple[str, str, str]]

    def queryset(self) -> QuerySet:
        return self.model.objects.for_search()


KINDS = [
    Kind("measure", _("支持措施"), Measure, lambda m: (m.title, m.text, m.citation)),
    Kind(
        "paragraph",
        _("文章段落"),
        Paragraph,
        lambda p: (
            p.section.article.title,
            p.text,
            f"{p.section.article.title} {p.section.short_label}",
        ),
    ),
    Kind(
        "figure",
        _("行业数据"),
        Figure,
        lambda f: (
            f"{f.product.name}{f.indicator.name} {f.printed_value}",
            f.sentence,
            f"#{f.number}",
        ),
    ),
    Kind("company", _("企业"), Company, lambda c: (c.name, f"{c.province} {c.city}", c.name)),
    Kind(
        "action",
        _("企业行动"),
        Action,
        lambda a: (f"{a.company.name}：{a.kind.name}", a.sentence, a.company.name),
    ),
]
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


@dataclass
class Results:
    kind: Kind
    hits: list
    has_more: bool  # whether more matches follow this page


def ranked(kind: Kind, query: search.Query, offset: int, limit: int) -> Results:
    """A page of one kind's matches: title matches first (see search.ranked_ids)."""
    page = search.ranked_ids(kind.model, query, offset, limit)
    objects = kind.queryset().in_bulk(page.ids)
    return Results(kind, [objects[pk] for pk in page.ids if pk in objects], page.has_more)


def highlight_terms(text: str) -> list[str]:
    """The pieces of a query to mark in snippets: its Chinese runs and Latin words."""
    return [t for t in re.findall(rf"[{HAN}]+|[A-Za-z0-9]+", text[: search.MAX_QUERY_LENGTH]) if t]


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """A short excerpt around the first match, every match wrapped in <mark>; the text
    is escaped first, so nothing stored or typed becomes markup."""
    pattern = (
        re.compile(
            "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
        )
        if terms
        else None
    )
    first = pattern.search(text) if pattern else None
    start = max((first.start() if first else 0) - width // 3, 0)
    excerpt = text[start : start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    if not pattern:
        return mark_safe(escape(prefix + excerpt + suffix))
    parts, position = [], 0
    for found in pattern.finditer(excerpt):
        parts.append(escape(excerpt[position : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        position = found.end()
    parts.append(escape(excerpt[position:]))
    return mark_safe(escape(prefix) + "".join(parts) + escape(suffix))  # noqa: S308 - every part escaped above


EXPORT_COLUMNS = ["kind", "title", "text", "citation", "url"]


def export_rows(query: search.Query, kinds: list[Kind], absolute) -> Iterator[dict]:
    """Every match (not just the first 1000) of every kind asked for, kind by kind."""
    for kind in kinds:
        for obj in search.match(kind.queryset(), query).order_by("-pk").iterator(chunk_size=2000):
            title, text, citation = kind.describe(obj)
            yield {
                "kind": kind.key,
                "title": title,
                "text": text,
                "citation": citation,
                "url": absolute(obj.get_absolute_url()),
            }
