import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kbsite.progress import Progress
from policies.models import Heading, Measure, Notice, Region, TargetGroup, Topic

SLUG_PREFIX = "synthetic-"
BATCH = 2000


class Command(BaseCommand):
    help = (
        "Add a synthetic knowledge base for benchmarks: N notices of 20 measures each, their "
        "texts recombined from the real notice's sentences, reproducible from --seed. "
        "Records are marked synthetic (slug prefix 'synthetic-'); --delete removes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("notices", type=int, help="how many notices (x 20 measures)")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--delete", action="store_true", help="remove synthetic records first")

    def handle(self, *args, notices, seed, delete, **options):
        if delete:
            delete_synthetic()
        real = list(
            Measure.objects.exclude(notice__slug__startswith=SLUG_PREFIX).select_related("heading")
        )
        if not real:
            raise CommandError(
                "Load the seed data first (manage.py seed): synthetic text is built from it."
            )
        rng = random.Random(seed)
        with transaction.atomic():
            generate(rng, notices, real, Progress(notices, "notices"))
        self.stdout.write(
            self.style.SUCCESS(f"Added {notices} synthetic notices ({notices * 20} measures).")
        )


def delete_synthetic() -> None:
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
                    issuing_body="合成数据",
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
                measure.refresh_search()  # bulk_create skips pre_save
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
        progress.advance(len(notices))
