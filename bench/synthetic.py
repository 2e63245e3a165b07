"""A synthetic knowledge base for benchmarks, built from the real one.

    .venv/bin/python bench/synthetic.py N [--seed S] [--delete]

adds N notices of 20 measures each, their texts recombined from the real notice's
sentences, and in proportion for each notice an industry article (3 paragraphs, 5 figures
of synthetic products) and a company with 2 actions, recombined from the real articles.
Reproducible from --seed; records are marked synthetic (slug prefix 'synthetic-');
--delete removes them first. The database is the site's (DATABASE_URL).
"""

import argparse
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path

if __name__ == "__main__":  # run as a script: set up Django first
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.settings")
    import django

    django.setup()

from django.db import transaction

from bench.progress import Progress
from core.models import bump_data_version, reindex
from industry.models import (
    Action,
    ActionKind,
    Article,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Product,
    Section,
)
from policies.models import Heading, Level, Measure, Notice, Region, TargetGroup, Topic

SLUG_PREFIX = "synthetic-"
BATCH = 2000


def add_synthetic(notices: int, *, seed: int = 2020, delete: bool = False, stream=None) -> None:
    """Add `notices` synthetic notices (and their industry records) to the database."""
    if delete:
        delete_synthetic()
    real = list(
        Measure.objects.exclude(notice__slug__startswith=SLUG_PREFIX).select_related("heading")
    )
    if not real:
        raise ValueError(
            "Load the seed data first (manage.py seed): synthetic text is built from it."
        )
    rng = random.Random(seed)
    with transaction.atomic():
        generate(rng, notices, real, Progress(notices, "notices", stream))
        generate_industry(rng, notices, Progress(notices, "industry", stream))
        bump_data_version()  # bulk_create sends no signals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notices", type=int, help="how many notices (x 20 measures)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--delete", action="store_true", help="remove synthetic records first")
    args = parser.parse_args()
    try:
        add_synthetic(args.notices, seed=args.seed, delete=args.delete)
    except ValueError as exc:
        sys.exit(str(exc))
    print(f"Added {args.notices} synthetic notices ({args.notices * 20} measures).")


def delete_synthetic() -> None:
    Action.objects.filter(company__slug__startswith=SLUG_PREFIX).delete()
    Company.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    articles = Article.objects.filter(slug__startswith=SLUG_PREFIX)
    Figure.objects.filter(paragraph__section__article__in=articles).delete()
    Paragraph.objects.filter(section__article__in=articles).delete()
    Section.objects.filter(article__in=articles).delete()
    articles.delete()
    Product.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    synthetic = Notice.objects.filter(slug__startswith=SLUG_PREFIX)
    Measure.objects.filter(notice__in=synthetic).delete()
    Heading.objects.filter(notice__in=synthetic).delete()
    synthetic.delete()


def draw(rng: random.Random, items: list, weights: list[float], count: int) -> list:
    """`count` different items, each drawn with its weight."""
    chosen: dict[int, None] = {}
    while len(chosen) < count:
        chosen.setdefault(rng.choices(range(len(items)), weights)[0])
    return [items[i] for i in chosen]


def generate(rng: random.Random, count: int, real: list[Measure], progress: Progress) -> None:
    sentences = [
        s + "。" for m in sorted(real, key=lambda m: m.number) for s in m.text.split("。") if s
    ]
    # Word frequencies in real text follow Zipf's law; so do the sentences here (the
    # notice's later sentences are the rare ones), giving common and rare words alike.
    weights = [1 / (rank + 1) ** 1.5 for rank in range(len(sentences))]
    headings_by_ordinal = {m.heading.ordinal: m.heading for m in real}
    ordinal_of = {m.number: m.heading.ordinal for m in real}
    topics, groups, regions = (
        list(Topic.objects.all()),
        list(TargetGroup.objects.all()),
        list(Region.objects.all()),
    )
    start = Notice.objects.filter(slug__startswith=SLUG_PREFIX).count()
    for first in range(0, count, BATCH // 20):
        numbers = range(start + first, start + min(first + BATCH // 20, count))
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    slug=f"{SLUG_PREFIX}{n}",
                    doc_number=f"合成〔{2000 + n % 25}〕{n}号",
                    title=f"关于支持中小企业发展的合成通知（第{n}号）",
                    title_en=f"Synthetic notice no. {n} on supporting SMEs",
                    status=Notice.Status.PUBLISHED,
                    issuing_body="合成数据",
                    level=Level.NATIONAL,
                    doc_type=Notice.DocType.NOTICE,
                    issued_on=date(2000, 1, 1) + timedelta(days=n % 9000),
                    addressees="各测试单位",
                    preamble=draw(rng, sentences, weights, 1)[0],
                    signature="合成数据",
                    signature_date="2000年1月1日",
                    published_in="合成数据（基准测试用，非真实文件）",
                )
                for n in numbers
            ]
        )
        headings = Heading.objects.bulk_create(
            [
                Heading(notice=notice, ordinal=o, title=h.title, title_en=h.title_en)
                for notice in notices
                for o, h in sorted(headings_by_ordinal.items())
            ]
        )
        heading_of = {(h.notice_id, h.ordinal): h for h in headings}
        measures = []
        for notice in notices:
            for template in real:
                measure = Measure(
                    notice=notice,
                    heading=heading_of[(notice.pk, ordinal_of[template.number])],
                    number=template.number,
                    title=template.title,
                    title_en=template.title_en,
                    title_is_editorial=template.title_is_editorial,
                    text="".join(draw(rng, sentences, weights, rng.randint(2, 5))),
                )
                measures.append(measure)
        measures = Measure.objects.bulk_create(measures)
        for field, choices, most in [
            ("topics", topics, 3),
            ("target_groups", groups, 2),
            ("regions", regions, 1),
        ]:
            through = getattr(Measure, field).through
            target = getattr(Measure, field).field.m2m_reverse_field_name()
            through.objects.bulk_create(
                [
                    through(measure_id=m.pk, **{f"{target}_id": choice.pk})
                    for m in measures
                    for choice in rng.sample(
                        choices, rng.randint(0 if field == "regions" else 1, most)
                    )
                ]
            )
        # bulk_create skips pre_save, and a measure is searched by its classifications' names.
        reindex(Measure.objects.filter(pk__in=[m.pk for m in measures]))
        progress.advance(len(notices))


FIGURES_PER_ARTICLE = 5
PROVINCES = ["宁夏", "陕西", "内蒙古", "新疆", "山东", "河南", "江苏", "浙江"]


def sentences_of(texts) -> list[str]:
    return [s + "。" for text in texts for s in text.split("。") if s]


def generate_industry(rng: random.Random, count: int, progress: Progress) -> None:
    """Per synthetic notice: an article of three paragraphs with five figures, and a
    company with two actions. Figures use synthetic products, so that the real products'
    pages and the data checks only ever see the bulletin's own figures."""
    real = Paragraph.objects.exclude(section__article__slug__startswith=SLUG_PREFIX)
    sentences = sentences_of(real.values_list("text", flat=True))
    weights = [1 / (rank + 1) ** 1.5 for rank in range(len(sentences))]
    products = [
        Product.objects.get_or_create(
            slug=f"{SLUG_PREFIX}product-{i}",
            defaults={
                "name": f"合成产品{i}",
                "name_en": f"Synthetic product {i}",
                "position": 100 + i,
            },
        )[0]
        for i in range(1, 21)
    ]
    indicators, kinds = list(Indicator.objects.all()), list(ActionKind.objects.all())
    start = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
    first_number = (
        Figure.objects.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    first_position = (
        Article.objects.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    step = BATCH // 20
    for first in range(0, count, step):
        numbers = range(start + first, start + min(first + step, count))
        articles = Article.objects.bulk_create(
            [
                Article(
                    slug=f"{SLUG_PREFIX}{n}",
                    column=Article.Column.INDUSTRY_NEWS,
                    status=Article.Status.PUBLISHED,
                    position=first_position + n,
                    title=f"合成行业分析（第{n}号）",
                    author="合成数据",
                    published_in="合成数据（基准测试用，非真实文章）",
                )
                for n in numbers
            ]
        )
        sections = Section.objects.bulk_create(
            [
                Section(article=a, position=1, anchor="s1", number="一、", heading="合成部分")
                for a in articles
            ]
        )
        paragraphs = [
            Paragraph(
                section=section,
                position=p,
                text="".join(draw(rng, sentences, weights, rng.randint(2, 4))),
            )
            for section in sections
            for p in (1, 2, 3)
        ]
        for paragraph in paragraphs:
            paragraph.refresh_search()
        paragraphs = Paragraph.objects.bulk_create(paragraphs)
        figures = []
        for index, paragraph in enumerate(p for p in paragraphs if p.position == 1):
            sentence = paragraph.text.split("。")[0] + "。"
            for k in range(FIGURES_PER_ARTICLE):
                value = rng.randint(1, 5000)
                figure = Figure(
                    number=first_number + (first + index) * FIGURES_PER_ARTICLE + k,
                    paragraph=paragraph,
                    section_id=paragraph.section_id,
                    sentence=sentence,
                    product=rng.choice(products),
                    indicator=rng.choice(indicators),
                    year=2019,
                    value_text=str(value),
                    value=value,
                    unit=Figure.Unit.WAN_TONNES,
                )
                figure.refresh_search()
                figures.append(figure)
        Figure.objects.bulk_create(figures)
        companies = []
        for n in numbers:
            company = Company(
                slug=f"{SLUG_PREFIX}company-{n}",
                name=f"合成企业{n}",
                name_en=f"Synthetic company {n}",
                province=rng.choice(PROVINCES),
            )
            company.refresh_search()
            companies.append(company)
        companies = Company.objects.bulk_create(companies)
        story_of = {p.section.article_id: p for p in paragraphs if p.position == 2}
        actions = []
        for company, article in zip(companies, articles, strict=True):
            paragraph = story_of[article.pk]
            for position, sentence in enumerate(paragraph.text.split("。")[:2], start=1):
                action = Action(
                    company=company,
                    position=position,
                    kind=rng.choice(kinds),
                    paragraph=paragraph,
                    sentence=sentence + "。",
                )
                action.refresh_search()
                actions.append(action)
        Action.objects.bulk_create(actions)
        progress.advance(len(articles))


if __name__ == "__main__":
    main()
