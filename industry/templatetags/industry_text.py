"""The industry pages' words in the page's language: English on English pages, with the
Chinese the source prints (a section number such as 二、1、, a process route such as 电石法)
marked lang="zh-Hans"; on Chinese pages exactly the text the templates always showed, without
extra markup. Derivations are cached across requests and languages as numbers
(industry.derived), and put into words here when a page shows them.

The English style: 约 becomes ≈ (≈120); a unit follows its number as the catalogue says
("161 enterprises", "5%"); 万吨 (ten thousand tonnes) is given in million tonnes, its
printed digits moved two places and none added or dropped (2518万吨 is "25.18 Mt", 约120万吨
"≈1.20 Mt"), formulas too; a range reads "115 to 125". A period the source prints in words
is put into English (2019年底 is "end of 2019"). These English names are the editors'.
"""

import html
import re
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _  # marks ids, translated when shown

from core.text import english, localized_html
from core.text import source as source_html
from industry.derived import PCT, RULES, VALUE, Derivation, as_printed, by_figure, printed_number

register = template.Library()

# How a number is written with its unit; the catalogue gives the English ("{value} (10k t)").
UNIT_PATTERNS = {"万吨": _("{value}万吨"), "家": _("{value}家")}
# A unit on its own (a table column, a chart's axis).
UNIT_NAMES = {"万吨": _("万吨"), "家": _("家"), "万元": _("万元"), "吨": _("吨"), "名": _("名")}

# Periods the source prints, as the editors put them into English.
PERIOD_PATTERNS = [
    (re.compile(r"(\d{4})年底"), _("{year}年底")),
    (re.compile(r"(\d{4})年末"), _("{year}年底")),
    (re.compile(r"(\d{4})年"), _("{year}年")),
]
PERIOD_WORDS = {"当前": _("当前"), "目前": _("目前")}

BOTH = _("{a}（{where_a}）与 {b}（{where_b}）")
CHANGE = _("{product}{indicator}的变化：两处所述")
PREVIOUS_FROM_PCT = "{value} ÷ (1 {op} {pct}%)"

# Each rule's title and formula (industry.derived.RULES), filled in with the words for the
# roles of its terms: the number as printed (as the source prints it, unit included, for the
# rules in PRINTED), `where_<role>` (the section stating it), `<role>_year`; for the figure
# it is shown beside, `product`, `indicator`, `route` and `year` (the year before); `op` and
# `back`, the sign of the change and its opposite. A formula of symbols is its own
# translation. A sum's formula is shown part by part, joined by +.
WORDS = {
    "restated": (_("{product}{indicator}：两处所述"), BOTH),
    "change": (CHANGE, BOTH),
    "change-rate": (CHANGE, _("{change} ÷ ({level} {back} {change}) × 100%（{where_change}所述）")),
    "utilisation": (
        _("{product}产能利用率（产量 ÷ 年底产能），对照所述开工率"),
        _(
            "产量 ÷ 年底产能 × 100% = {output} ÷ {capacity}（{capacity_year}年底）× 100%；"
            "文章未定义开工率，编者按年底产能计"
        ),
    ),
    "utilisation-average": (
        _("{product}产能利用率，若按两年年底产能的平均计（另一种算法，不作核对）"),
        _(
            "产量 ÷ [(上年底产能 + 年底产能) ÷ 2] × 100% = {output} ÷ ({capacity} − {added} ÷ 2)"
            " × 100%（上年底产能 = {capacity} − 产能净增{added}）"
        ),
    ),
    "consumption": (
        _("{product}表观消费量（产量 + 进口 − 出口），对照所述"),
        _("产量 + 进口 − 出口 = {output} + {imports} − {exports}"),
    ),
    "average": (
        _("{product}企业平均产能（产能 ÷ 企业数），对照所述"),
        _("产能 ÷ 企业数 = {capacity} ÷ {count}"),
    ),
    "parts": (_("{product}{indicator}：分项之和，对照总数"), "{product} {value}"),
    "parts-previous": (
        _("{product}{indicator}：分项上年数之和，对照总数的上年数（均据变化率推算）"),
        "{product} " + PREVIOUS_FROM_PCT,
    ),
    "shares": (_("{product}各工艺路线比重之和，对照100%"), "{route} {value}"),
    "previous-net": (_("{year}年产能（产能 − 产能净增）"), "{capacity} − {added}"),
    "pct-net": (_("折合产能同比增长率"), "{added} ÷ ({capacity} − {added}) × 100%"),
    "previous-pct": (_("{year}年数值（据变化率推算）"), PREVIOUS_FROM_PCT),
    "abs-from-pct": (_("折合变化量"), "{value} − " + PREVIOUS_FROM_PCT),
    "previous-abs": (_("{year}年数值（据变化量推算）"), "{value} {back} {change}"),
    "pct-from-abs": (_("折合变化率"), "{op}{change} ÷ ({value} {back} {change}) × 100%"),
    "growth": (_("{old_year}年至{new_year}年的增幅"), "({new} − {old}) ÷ {old} × 100%"),
    "route-capacity": (
        _("{route}产能，若比重按产能计（产能 × 比重；原文未说明比重按产能还是产量）"),
        "{capacity} × {share}",
    ),
}
PRINTED = {"restated", "change"}
# Said after the formula when an input is a variant's figure, standing in for the product's.
NOTES = {"consumption": _("（原文只给出{variant}的进出口，以之代入）")}


def phrase(pattern: str, **words) -> SafeString:
    """A message, translated and escaped, its {words} (escaped unless safe) filled in."""
    escaped = {key: conditional_escape(word) for key, word in words.items()}
    return mark_safe(conditional_escape(gettext(pattern)).format(**escaped))


def join(separator: str, parts) -> SafeString:
    return mark_safe(conditional_escape(gettext(separator)).join(map(conditional_escape, parts)))


def plain(text) -> str:
    """Words without markup (for places that take none, such as an SVG <text>)."""
    return html.unescape(strip_tags(conditional_escape(text)))


def fmt(value: Decimal, places: int = 1) -> str:
    """A derived number for display: rounded, without trailing zeros."""
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace("-", "−")


def in_unit(text: str, unit: str) -> str:
    """A number in the unit English pages give it: 万吨 as million tonnes, by moving the
    decimal point of the digits as printed (2518 → 25.18, 6.1 → 0.061); else unchanged."""
    if unit != "万吨" or not english() or not text:
        return text
    sign = "−" if text[0] in "−-" else ""
    digits = text.lstrip("−-")
    try:
        moved = Decimal(digits).scaleb(-2)
    except ArithmeticError:
        return text
    return sign + f"{moved:f}"


@register.simple_tag
def number(text, approximate=False) -> SafeString:
    """A number, with 约 (≈ in English) before it when approximate."""
    return phrase(_("约{number}"), number=text) if approximate else conditional_escape(text)


@register.simple_tag
def total_value(total) -> SafeString:
    """A total with the source's qualifier (近30, 约230; nearly 30, ≈230 in English)."""
    text = fmt(total.total, 2)
    if total.qualifier == "近":
        return phrase(_("近{number}"), number=text)
    return number(text, bool(total.qualifier))


def quantity(value, unit: str) -> SafeString:
    """A number (text or HTML) with its unit."""
    if unit == "%":
        return phrase("{value}%", value=value)
    if unit in UNIT_PATTERNS:
        return phrase(UNIT_PATTERNS[unit], value=value)
    return conditional_escape(value) + source_html(unit)  # a unit the catalogue lacks


@register.simple_tag
def source(text) -> SafeString:
    """Chinese source text or a Chinese-only editor's note: marked as Chinese on English pages."""
    return source_html(text or "")


@register.simple_tag
def figure_name(figure) -> SafeString:
    """What a figure measures: product and indicator (烧碱企业数; Caustic soda · Number of
    enterprises)."""
    product, indicator = localized_html(figure.product), localized_html(figure.indicator)
    return phrase(_("{product}{indicator}"), product=product, indicator=indicator)


@register.simple_tag
def value_of(figure) -> SafeString:
    """A figure's value with its unit: as printed on Chinese pages, in English on English pages."""
    text = in_unit(figure.value_text, figure.unit)
    return quantity(number(text, figure.is_approximate), figure.unit)


@register.filter
def unit_name(unit) -> SafeString:
    if unit in UNIT_NAMES:
        return conditional_escape(gettext(UNIT_NAMES[unit]))
    return conditional_escape(unit) if unit in ("%", "", None) else source_html(unit)


def term_words(subject, inputs: list, against: list = (), printed: bool = False) -> dict:
    """The words a rule's title and formula are filled in with (see WORDS)."""
    words = {
        "product": localized_html(subject.product),
        "indicator": localized_html(subject.indicator),
        "route": source_html(subject.breakdown),
        "year": subject.year - 1,
    }
    sign = next((f.sign for _r, f, aspect in inputs if aspect != VALUE), 1)
    words["op"], words["back"] = ("+", "−") if sign > 0 else ("−", "+")
    for role, figure, aspect in [*inputs, *against]:
        text, approximate = printed_number(figure, aspect)
        shown = number(in_unit(text, "%" if aspect == PCT else figure.unit), approximate)
        if printed:
            shown = in_print(figure, aspect)
        elif aspect == VALUE and figure.unit == "%":
            shown += "%"
        words[role] = shown
        words[f"where_{role}"] = source_html(figure.section.short_label)
        words[f"{role}_year"] = figure.year
    return words


def in_print(figure, aspect: str) -> SafeString:
    """A term as the source prints it (约120万吨, 同比增加2.8%); on English pages in
    English, a change with its sign (≈120 (10k t), +2.8%)."""
    if not english():
        return conditional_escape(as_printed(figure, aspect))
    text, approximate = printed_number(figure, aspect)
    unit = "%" if aspect == PCT else figure.unit
    shown = quantity(number(in_unit(text, unit), approximate), unit)
    if aspect == VALUE:
        return shown
    return ("+" if figure.sign > 0 else "−") + shown


def interval_words(interval, unit: str) -> SafeString:
    places = 2 if unit == "%" else 1
    if interval.lo == interval.hi:
        return quantity(in_unit(fmt(interval.lo, places), unit), unit)
    lo, hi = (in_unit(fmt(end, places), unit) for end in (interval.lo, interval.hi))
    return quantity(phrase(_("{lo} ~ {hi}"), lo=lo, hi=hi), unit)


@register.simple_tag
def derivation(d: Derivation, part: str, figures: dict) -> SafeString:
    """A derivation in words: its "title", "formula", "value", "interval" (its tolerance) or
    "stated" (the tolerance of what the article states). `figures`: the page's figures by
    number."""
    if part == "value":
        return quantity(in_unit(fmt(d.value, 2 if d.unit == "%" else 1), d.unit), d.unit)
    if part in ("interval", "stated"):
        interval = d.interval if part == "interval" else d.stated
        return interval_words(interval, d.unit) if interval else mark_safe("")
    subject = figures[d.subject]
    inputs = [(role, figures[n], aspect) for role, n, aspect in d.inputs]
    against = [(role, figures[n], aspect) for role, n, aspect in d.against]
    title, shown = WORDS[d.rule]
    if part == "title":
        return phrase(title, **term_words(subject, inputs, against))
    if RULES[d.rule].summed:
        return join(" + ", [phrase(shown, **term_words(p[0][1], p)) for p in by_figure(inputs)])
    words = phrase(shown, **term_words(subject, inputs, against, printed=d.rule in PRINTED))
    variant = next((f.product for _r, f, _a in inputs if f.product.pk != subject.product.pk), None)
    if variant and d.rule in NOTES:
        words += phrase(NOTES[d.rule], variant=localized_html(variant))
    return words


def editorial_addition(text: str, why: str) -> SafeString:
    """Words the editors add inside a value the source prints (a year it leaves out),
    marked as theirs wherever the value is shown."""
    return format_html(
        ' <span class="editorial-addition" title="{}">{}</span>'
        ' <span class="editorial-flag">{}</span>',
        why,
        text,
        gettext("编者补"),
    )


@register.simple_tag
def as_of_date(action) -> SafeString:
    """截至2月2日 as printed, then the full date with the year the editors supply."""
    return format_html(
        '<span lang="zh-Hans">{}</span>{}',
        action.as_of_text,
        editorial_addition(
            format_html(
                '{}<time datetime="{}">{}</time>{}',
                gettext("（"),
                action.as_of.isoformat(),
                action.as_of.isoformat(),
                gettext("）"),
            ),
            gettext("原文只写月日，括号中日期的年份（%(year)s）是编者补出的")
            % {"year": action.as_of.year},
        ),
    )


@register.filter
def get_figure(figures: dict, number: int):
    """The page's figure of that number (figures by number)."""
    return figures[number]


@register.simple_tag
def period(figure) -> SafeString:
    """When a figure is for: the period as the sentence prints it (with the year added when
    it does not say it), or the year the editor read from the context, flagged as such.
    A tag rather than an included template: the figures table shows it on every row."""
    if figure.period_text and english():
        return period_in_english(figure)
    if figure.period_text:
        printed = format_html('<span lang="zh-Hans">{}</span>', figure.period_text)
        if not figure.period_names_year:
            printed += editorial_addition(
                f"{gettext('（')}{figure.year}{gettext('）')}",
                gettext("原文没有写年份，括号中的年份是编者补出的"),
            )
        return printed
    return format_html(
        '{}{} <span class="editorial-flag" title="{}">{}</span>',
        figure.year,
        gettext("年"),
        gettext("原句未写时期，年份由编者据上下文确定"),
        gettext("编者据上下文"),
    )


def period_words(text: str) -> SafeString | None:
    """A printed period in English (the editors' words), or None if it is not one we know."""
    if text in PERIOD_WORDS:
        return phrase(PERIOD_WORDS[text])
    for pattern, words in PERIOD_PATTERNS:
        if match := pattern.fullmatch(text):
            return phrase(words, year=match.group(1))
    return None


def period_in_english(figure) -> SafeString:
    """The printed period put into English and marked as the editors' words (the source's
    Chinese as its title); the year added when the period does not say it."""
    words = period_words(figure.period_text)
    if words is None:  # a period we have no English for: the source's words, marked
        shown = format_html('<span lang="zh-Hans">{}</span>', figure.period_text)
    else:
        shown = format_html('<span class="editorial-name">{}</span>', words)
    if not figure.period_names_year:
        shown += editorial_addition(
            f"{gettext('（')}{figure.year}{gettext('）')}",
            gettext("原文没有写年份，括号中的年份是编者补出的"),
        )
    return shown


@register.simple_tag
def title_of(article) -> SafeString:
    """An article's title: on English pages the editors' English (marked as theirs) when
    there is one, else the source's Chinese, marked as Chinese."""
    if english() and article.title_en:
        return format_html('<span class="editorial-name">{}</span>', article.title_en)
    return source_html(article.title)


@register.simple_tag
def heading_of(section, full: bool = False) -> SafeString:
    """A section's heading: its number as the source prints it (with its parent's when
    `full`: 二、1、) and the heading, in the editors' English on English pages when there
    is one (marked as theirs), else the source's Chinese."""
    if not (english() and section.heading_en):
        return source_html(section.label if full else section)
    number = section.number
    if full and section.parent_id:
        number = section.parent.number + number
    english_heading = format_html('<span class="editorial-name">{}</span>', section.heading_en)
    if not number:
        return english_heading
    return format_html('<span lang="zh-Hans">{}</span> {}', number, english_heading)
