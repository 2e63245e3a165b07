"""What the admin's history page of a measure costs after two saves of a 5,000-character
text (issue 11: it took 72 s of CPU). Builds its own test database (test_<name> of
DATABASE_URL, SQLite in memory by default), so it never touches the site's data:

    .venv/bin/python bench/history.py
    DATABASE_URL=postgres://root@127.0.0.1:5432/kb_bench .venv/bin/python bench/history.py

Prints, for each case, the median CPU and wall time of the history page over a few views.
Target: under 0.5 s.
"""

import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key-" + "x7Qm" * 10)
os.environ.setdefault("DJANGO_HTTPS", "0")

import django  # noqa: E402

django.setup()

import reversion  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    override_settings,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.urls import reverse  # noqa: E402

from policies.models import Heading, Measure, Notice  # noqa: E402

VIEWS = 5
WORDS = "国家支持企业复工复产加大信贷投放力度减免租金税费社保缓缴稳定就业保障供应链畅通"


def sentences(rng: random.Random, count: int, length: int = 49) -> list[str]:
    return ["".join(rng.choices(WORDS, k=length)) + "。" for _ in range(count)]


def cases() -> dict[str, list[str]]:
    """Three texts of 5,000 characters per case: the first save and two edits."""
    rng = random.Random(11)
    base = sentences(rng, 100)
    edited = [base]
    for _ in range(2):  # an editor's corrections: a few words in a few sentences
        text = list(edited[-1])
        for index in rng.sample(range(len(text)), 5):
            start = rng.randrange(40)
            text[index] = text[index][:start] + "修订字样" + text[index][start + 4 :]
        edited.append(text)
    rewritten = [base, sentences(rng, 100), sentences(rng, 100)]
    return {
        "edited (a few words in 5 sentences, twice)": ["".join(t) for t in edited],
        "rewritten (every sentence, twice)": ["".join(t) for t in rewritten],
    }


def history_timings(client: Client, user, texts: list[str]) -> tuple[float, float]:
    notice = Notice.objects.create(
        slug=f"bench-{random.randrange(10**9)}",
        doc_number=f"基准〔2099〕{random.randrange(10**9)}号",
        title="基准通知",
        issuing_body="基准部",
        issued_on="2099-01-01",
        addressees="各单位",
        preamble="通知如下：",
        signature="基准部",
        signature_date="2099年1月1日",
        published_in="基准",
        level="national",
        doc_type="notice",
        status="published",
    )
    heading = Heading.objects.create(notice=notice, ordinal=1, title="基准标题")
    measure = None
    for text in texts:
        with reversion.create_revision():
            reversion.set_user(user)
            if measure is None:
                measure = Measure.objects.create(heading=heading, number=1, title="基准", text=text)
            else:
                measure.text = text
                measure.save()
    url = reverse("admin:policies_measure_history", args=[measure.pk])
    assert client.get(url).status_code == 200
    cpu, wall = [], []
    for _ in range(VIEWS):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
        assert response.status_code == 200
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    setup_test_environment()
    warnings.filterwarnings(
        "ignore", "No directory at", UserWarning
    )  # WhiteNoise, no collectstatic
    # Pages render without collectstatic having run (as in the tests).
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    databases = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        user = get_user_model().objects.create_superuser("bench", password="bench-passphrase-1")
        client = Client()
        client.force_login(user)
        print(
            f"History page of a measure after two saves of a 5,000-character text, median of {VIEWS}:"
        )
        for name, texts in cases().items():
            cpu, wall = history_timings(client, user, texts)
            print(f"  {name}: {cpu:.3f} s CPU, {wall:.3f} s wall")
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
