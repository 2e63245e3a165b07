from django import template
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_language(context, language: str) -> str:
    """This page, with its query string, in another language (the language switch)."""
    request = context.get("request")  # error pages are rendered without one
    return translate_url(request.get_full_path() if request else "/", language)


@register.simple_tag
def name_of(obj, field: str = "name", plain: bool = False):
    """`obj.<field>` in the page's language: on English pages the editorial English
    value (`<field>_en`) when there is one, else the Chinese marked as Chinese (unless
    `plain`, for places that take no markup such as <title>)."""
    chinese = getattr(obj, field)
    if get_language() != "en":
        return chinese
    english = getattr(obj, f"{field}_en", "")
    if english or plain:
        return english or chinese
    return format_html('<span lang="zh-Hans">{}</span>', chinese)


@register.filter
def zh(value):
    """Mark Chinese source text (a document number, a quote) as Chinese."""
    return format_html('<span lang="zh-Hans">{}</span>', value)


@register.simple_tag
def highlight(text: str, terms: list[str]):
    """An excerpt of `text` around the searched words, which are marked (escaped)."""
    from kbsite.site_search import snippet

    return snippet(text, terms)
