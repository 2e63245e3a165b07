from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html

from core.analysis import best_sentence, mark
from core.models import Change
from core.text import english, localized, localized_html, mark_chinese, source

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_language(context, language: str) -> str:
    """This page, with its query string, in another language (the language switch).

    Always a path on this site: the page is found by resolving its path and reversed in the
    other language; anything that does not resolve (a 404 for `//evil.example/`, say) gets
    that language's home page. The request's path is never echoed, so it can never be read
    as another host."""
    request = context.get("request")  # error pages are rendered without one
    try:
        match = request and (request.resolver_match or resolve(request.path_info))
    except Resolver404:
        match = None
    with translation.override(language):
        home = reverse("home")
        if not match:
            return home
        try:
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return home
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        return home
    # As get_full_path() gives it (request.GET could be refused: too many fields).
    query = iri_to_uri(request.META.get("QUERY_STRING", ""))
    return f"{path}?{query}" if query else path


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
def mixed(value):
    """Text that mixes the page's language with Chinese names (a change's summary): on
    English pages each run of Chinese marked as Chinese."""
    return mark_chinese(value)


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


@register.simple_tag(takes_context=True)
def export_row_limit(context) -> str:
    """The most rows this visitor's downloads hold, as core.exports caps them ("": all)."""
    request = context.get("request")
    if request is None or request.user.is_staff:
        return ""
    return f"{settings.KB_EXPORT_ROW_LIMIT:,}"


@register.simple_tag
def password_reset_offered() -> bool:
    """Whether the site can mail a password reset (core.accounts)."""
    return settings.KB_EMAIL_CONFIGURED


@register.inclusion_tag("includes/last_updated.html")
def last_updated(record):
    """最后更新: the date of the record's newest public change (of a notice or article, of
    anything in it). One query, unless the record was read with it: annotated as
    `last_public_change` (core.models.newest_public_change)."""
    if hasattr(record, "last_public_change"):
        return {"date": record.last_public_change}
    newest = Change.objects.public().about(record).order_by("-date")
    return {"date": newest.values_list("date", flat=True).first()}


@register.simple_tag(takes_context=True)
def permanent_url(context, record) -> str:
    """The record's page, as an absolute URL (in the page's language)."""
    return context["request"].build_absolute_uri(record.get_absolute_url())


@register.simple_tag(takes_context=True)
def online_citation(context, record, path: str = "") -> str:
    """The record's page (at `path`, or its absolute URL, when the template has either) as
    a GB/T 7714-2015 reference (core.citation) in the page's language, cited today; on
    English pages its Chinese marked as such."""
    url = context["request"].build_absolute_uri(path) if path else permanent_url(context, record)
    citation = record.online_citation(url=url, accessed=timezone.localdate(), english=english())
    return mark_chinese(citation)
