"""Writes that touch several policy models at once: importing a notice from its text, and
publishing or withdrawing one."""

from collections.abc import Iterable

import reversion
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from policies.models import Heading, Issuer, Measure, Notice

NOTICE_FIELDS = [
    "doc_number",
    "slug",
    "title",
    "issuing_body",
    "level",
    "level_is_editorial",
    "doc_type",
    "doc_type_is_editorial",
    "issued_on",
    "addressees",
    "preamble",
    "closing",
    "signature",
    "signature_date",
    "is_abridged",
    "abridged_note",
    "published_in",
    "official_url",
]


@transaction.atomic
def notice_import(
    *,
    notice: dict,
    headings: Iterable[dict],
    measures: Iterable[dict],
    user: AbstractBaseUser,
    source_name: str,
) -> Notice:
    """Create a notice as a draft, with its issuers, headings and measures, in one
    transaction and one history entry that names the file it came from."""
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"从文本导入：{source_name}（草稿）")
        created = Notice(status=Notice.Status.DRAFT, **{f: notice[f] for f in NOTICE_FIELDS})
        created.full_clean()
        created.save()
        created.issuers.set(issuers_named(created.issuing_body, level=created.level))
        by_ordinal = {}
        for heading in headings:
            by_ordinal[heading["ordinal"]] = Heading.objects.create(
                notice=created, ordinal=heading["ordinal"], title=heading["title"]
            )
        for measure in measures:
            record = Measure(
                heading=by_ordinal[measure["heading"]],
                number=measure["number"],
                title=measure["title"],
                title_is_editorial=measure["title_is_editorial"],
                text=measure["text"],
            )
            record.full_clean()
            record.save()
    return created


def issuers_named(issuing_body: str, *, level: str = "") -> list[Issuer]:
    """The issuers an issuing body names (财政部 税务总局), found by name or alias; one the
    vocabulary lacks is added, with the notice's level, for an editor to complete."""
    known = {name: issuer for issuer in Issuer.objects.all() for name in issuer.names()}
    found = []
    for name in issuing_body.replace("、", " ").split():
        issuer = known.get(name)
        if issuer is None:
            issuer = Issuer.objects.create(slug=free_issuer_slug(), name=name, level=level)
            known[name] = issuer
        if issuer not in found:
            found.append(issuer)
    return found


def free_issuer_slug() -> str:
    n = Issuer.objects.count() + 1
    while Issuer.objects.filter(slug=f"issuer-{n}").exists():
        n += 1
    return f"issuer-{n}"


def notice_set_status(*, notices: Iterable[Notice], status: str, user: AbstractBaseUser) -> int:
    """Publish (or withdraw to draft) notices, each save a history entry; returns how
    many changed. Saved one by one so that the search index follows (see Notice signals)."""
    changed = 0
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("发布" if status == Notice.Status.PUBLISHED else "撤回为草稿")
        for notice in notices:
            if notice.status != status:
                notice.status = status
                notice.save()
                changed += 1
    return changed
