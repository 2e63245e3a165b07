from urllib.parse import urlencode

from django import template
from django.urls import translate_url
from django.utils.html import format_html

from core.analysis import best_sentence, mark
from core.text import localized, localized_html, source

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_language(context, language: str) -> str:
    """This page, with its query string, in another language (the language switch)."""
    request = context.get("request")  # error pages are rendered without one
    return translate_url(request.get_full_path() if request else "/", language)


@register.simple_tag
def name_of(obj, field: str = "name", plain: bool = False):
    """`obj.<field>` in the page's language (see core.text.localized); the Chinese fallback
    on an English page is marked as Chinese unless `plain`, for places that take no markup
    such as <title>."""
    return localized(obj, field) if plain else localized_html(obj, field)


@register.filter(name="source")
def source_filter(value):
    """Text the source (or a user) wrote: marked as Chinese on English pages if it is."""
    return source(value)


@register.filter
def zh(value):
    """Mark Chinese source text (a document number, a quote) as Chinese."""
    return format_html('<span lang="zh-Hans">{}</span>', value)


@register.simple_tag
def highlight(text: str, search):
    """The sentence of `text` where the searched words are, the words marked (escaped)."""
    return best_sentence(text or "", search)


@register.simple_tag
def marked(text: str, search):
    """All of a short text (a title, a name) with the searched words marked (escaped)."""
    forms = [form for forms in search.surface_forms() for form in forms] if search else []
    return mark(text or "", forms, width=len(text or "") or 1)


@register.simple_tag
def found_only_by_editorial_title(record, search) -> bool:
    """Whether a hit was found only through its editorial title (see Measure)."""
    check = getattr(record, "found_only_by_editorial_title", None)
    return bool(check and check(search))


@register.simple_tag
def search_query(text: str) -> str:
    """The query string of a search for `text`."""
    return urlencode({"q": text})


@register.simple_tag
def search_only_query(word: str) -> str:
    """The query string of a search for this word alone, as typed (quoted: no other names)."""
    return urlencode({"q": f'"{word}"'})
