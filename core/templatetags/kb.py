from django import template
from django.urls import translate_url
from django.utils.html import format_html

from core.analysis import snippet
from core.text import localized, localized_html

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


@register.filter
def zh(value):
    """Mark Chinese source text (a document number, a quote) as Chinese."""
    return format_html('<span lang="zh-Hans">{}</span>', value)


@register.simple_tag
def highlight(text: str, terms: list[str]):
    """An excerpt of `text` around the searched words, which are marked (escaped)."""
    return snippet(text, terms)
