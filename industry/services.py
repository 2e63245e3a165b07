"""Writes that touch several industry models at once: importing an article from its
text, and publishing or withdrawing one."""

from collections.abc import Iterable

import reversion
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from industry.models import Action, Article, Company, Figure, Paragraph, Section

FIGURE_FIELDS = [
    "sentence",
    "value_text",
    "unit",
    "is_approximate",
    "product",
    "indicator",
    "breakdown",
    "year",
    "period_text",
    "change_direction",
    "change_abs_text",
    "change_pct_text",
    "change_is_approximate",
    "change_as_printed",
    "basis",
]
ACTION_FIELDS = [
    "sentence",
    "kind",
    "item",
    "quantity_qualifier",
    "quantity_text",
    "quantity",
    "unit",
]


@transaction.atomic
def article_import(
    *,
    article: dict,
    sections: Iterable[dict],
    paragraphs: Iterable[dict],
    figures: Iterable[dict],
    actions: Iterable[dict],
    user: AbstractBaseUser,
    source_name: str,
) -> Article:
    """Create an article as a draft with its sections and paragraphs, and the figures and
    actions the editor accepted, in one transaction and one history entry that names the
    file it came from. Raises ValidationError if a record breaks a rule of its model."""
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"从文本导入：{source_name}（草稿）")
        position = (Article.objects.aggregate(Max("position"))["position__max"] or 0) + 1
        created = Article(
            status=Article.Status.DRAFT,
            position=position,
            **{f: article[f] for f in ("title", "slug", "author", "column", "published_in")},
        )
        save(created)
        by_position: dict[int, Section] = {}
        companies: dict[int, Company] = {}
        for data in sorted(sections, key=lambda s: s["position"]):
            section = Section(
                article=created,
                parent=by_position.get(data["parent"]),
                **{
                    f: data[f]
                    for f in ("position", "anchor", "kind", "number", "heading", "editorial_note")
                },
            )
            save(section)
            by_position[section.position] = section
            if data.get("company"):
                companies[section.position] = company_for(section, data)
        paragraph_at = {}
        for data in paragraphs:
            paragraph = Paragraph(
                section=by_position[data["section"]], position=data["position"], text=data["text"]
            )
            save(paragraph)
            paragraph_at[data["section"], data["position"]] = paragraph
        number = Figure.objects.aggregate(Max("number"))["number__max"] or 0
        for data in figures:
            number += 1
            paragraph = paragraph_at[data["section"], data["paragraph"]]
            save(Figure(number=number, paragraph=paragraph, **{f: data[f] for f in FIGURE_FIELDS}))
        for data in actions:
            company = companies[data["section"]]
            next_position = (company.actions.aggregate(Max("position"))["position__max"] or 0) + 1
            save(
                Action(
                    company=company,
                    position=next_position,
                    paragraph=paragraph_at[data["section"], data["paragraph"]],
                    **{f: data[f] for f in ACTION_FIELDS},
                )
            )
    return created


def save(record) -> None:
    record.full_clean()
    record.save()


def company_for(story: Section, data: dict) -> Company:
    """The company a story tells of: found by name, or created with the story."""
    company = Company.objects.filter(name=data["company"]).first()
    if company is None:
        company = Company(
            slug=data["company_slug"],
            name=data["company"],
            name_en=data["company_name_en"],
            province=data["company_province"],
            story=story,
        )
        save(company)
    return company


def article_set_status(*, articles: Iterable[Article], status: str, user: AbstractBaseUser) -> int:
    """Publish (or withdraw to draft) articles, each save a history entry; returns how
    many changed. Saved one by one so that the search index follows (see Article signals)."""
    changed = 0
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("发布" if status == Article.Status.PUBLISHED else "撤回为草稿")
        for article in articles:
            if article.status != status:
                article.status = status
                article.save()
                changed += 1
    return changed
