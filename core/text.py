"""Chinese text and the page's language: what a Han character is, and a record's name in the
language of the page showing it (English names are editorial; Chinese is the source's)."""

import re

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# CJK Unified Ideographs, Extension A and the compatibility block: the one definition of
# "a Han character" (the search analyser, the layout undoing and the lang marks use it).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHARACTER = re.compile(f"[{HAN}]")


def has_han(text) -> bool:
    return bool(HAN_CHARACTER.search(str(text)))


# Han characters with the punctuation and digits that run between them (〔2020〕14号, 二、3、).
_CJK = f"{HAN}\u3000-\u303f\uff00-\uffef\u2014"
CHINESE_RUN = re.compile(f"(?:[0-9]+(?=[{HAN}]))?[{_CJK}]+(?:[ 0-9]+[{_CJK}]+)*")


def english() -> bool:
    return get_language() == "en"


def localized(obj, field: str = "name") -> str:
    """`obj.<field>` in the page's language: on English pages the editorial English value
    (`<field>_en`) when there is one, else the Chinese."""
    chinese = getattr(obj, field)
    if english():
        return getattr(obj, f"{field}_en", "") or chinese
    return chinese


def source(text) -> SafeString:
    """Text as the source prints it: on English pages, Chinese in it is marked as Chinese
    (for screen readers and fonts); on Chinese pages the text alone."""
    text = "" if text is None else str(text)
    if english() and has_han(text):
        return format_html('<span lang="zh-Hans">{}</span>', text)
    return conditional_escape(text)


def localized_html(obj, field: str = "name") -> SafeString:
    """`localized()` as HTML: the Chinese fallback on an English page is marked as Chinese."""
    if not english():  # what the rest would give, asking the page's language once, not twice
        value = getattr(obj, field)
        return conditional_escape("" if value is None else value)
    return source(localized(obj, field))


def mark_chinese(text) -> SafeString:
    """Text that mixes English with Chinese (a citation on an English page): on English
    pages each run of Chinese marked as Chinese; on Chinese pages the text alone."""
    text = "" if text is None else str(text)
    if not english():
        return conditional_escape(text)
    parts, end = [], 0
    for run in CHINESE_RUN.finditer(text):
        parts.append(conditional_escape(text[end : run.start()]))
        parts.append(format_html('<span lang="zh-Hans">{}</span>', run.group()))
        end = run.end()
    parts.append(conditional_escape(text[end:]))
    return SafeString("".join(parts))
