import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from policies.models import Heading, Measure, Notice, Topic


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cache keys carry the data version, which restarts with every test's database.
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # A request to an English page leaves English active in this thread: reverse() and
    # gettext outside a request would then give English to the next test.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seed(db):
    """The real seed data, loaded the way `make run` loads it."""
    call_command("seed", verbosity=0)


@pytest.fixture
def make_notice(db):
    def make(slug="test-notice", doc_number="测试〔2024〕1号", **fields):
        fields = {
            "title": "关于测试的通知",
            "issuing_body": "测试部",
            "issued_on": "2024-01-01",
            "addressees": "各测试单位",
            "preamble": "现就有关事项通知如下：",
            "signature": "测试部",
            "signature_date": "2024年1月1日",
            "published_in": "测试刊物",
            "level": "national",
            "doc_type": "notice",
            "status": "published",
            **fields,
        }
        return Notice.objects.create(slug=slug, doc_number=doc_number, **fields)

    return make


@pytest.fixture
def make_measures(make_notice):
    """A notice with `count` measures spread over headings of three measures each."""

    def make(count, notice=None, topic=None):
        notice = notice or make_notice()
        measures = []
        for number in range(1, count + 1):
            heading, _ = Heading.objects.get_or_create(
                notice=notice,
                ordinal=(number - 1) // 3 + 1,
                defaults={"title": "测试标题"},
            )
            measure = Measure.objects.create(
                heading=heading,
                number=number,
                title=f"措施{number}",
                text=f"第{number}条正文。",
            )
            if topic:
                measure.topics.add(topic)
            measures.append(measure)
        return measures

    return make


@pytest.fixture
def topic(db):
    return Topic.objects.create(slug="credit", name="信贷", name_en="Credit")
