"""Template tags for the industry pages' words in the page's language (see derived.Phrase):
English on English pages, with the Chinese the source prints marked lang="zh-Hans"; on
Chinese pages exactly the text the templates always showed, without extra markup."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from industry import derived as d

register = template.Library()


@register.simple_tag
def source(text) -> SafeString:
    """Chinese source text or a Chinese-only editor's note: marked as Chinese on English pages."""
    return d.source(text or "")


@register.simple_tag
def figure_name(figure) -> SafeString:
    """What a figure measures: product and indicator (烧碱企业数; Caustic soda · Number of
    enterprises)."""
    return d.Msg(
        gettext_noop("{product}{indicator}"),
        product=d.Name(figure.product),
        indicator=d.Name(figure.indicator),
    ).html()


@register.simple_tag
def value_of(figure) -> SafeString:
    """A figure's value with its unit: as printed on Chinese pages, in English on English pages."""
    return d.value_of(figure).html()


@register.simple_tag
def number(text, approximate=False) -> SafeString:
    """A number, with 约 (≈ in English) before it when approximate."""
    return d.Num(str(text), bool(approximate)).html()


@register.filter
def unit_name(unit) -> SafeString:
    return d.unit_name(unit or "")


@register.simple_tag
def period(figure) -> SafeString:
    """When a figure is for: the period as the sentence prints it (with the year added when
    it does not say it), or the year the editor read from the context, flagged as such.
    A tag rather than an included template: the figures table shows it on every row."""
    if figure.period_text:
        html = format_html('<span lang="zh-Hans">{}</span>', figure.period_text)
        if not figure.period_names_year:
            html += format_html(' <span class="meta">{}{}{}</span>', _("（"), figure.year, _("）"))
        return html
    return format_html(
        '{}{} <span class="editorial-flag" title="{}">{}</span>',
        figure.year,
        _("年"),
        _("原句未写时期，年份由编者据上下文确定"),
        _("编者据上下文"),
    )
